package resolvers

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"

	"customergraph/internal/customer"
	"customergraph/internal/identifier"
	"customergraph/loaders"
)

// lookup parses raw as an identifier of kind want (0 for any kind) and
// loads the customer it names. An invalid identifier is BAD_USER_INPUT and
// costs no upstream call; an unknown customer is nil without an error.
func lookup(ctx context.Context, arg, raw string, want identifier.Kind) (*customer.Customer, error) {
	id, err := identifier.Parse(raw)
	if err != nil {
		var ie *identifier.Error
		if want != 0 && errors.As(err, &ie) && ie.Kind != want {
			return nil, badInput("%s: not %s", arg, article(want))
		}
		return nil, badInput("%s: %v", arg, err)
	}
	if want != 0 && id.Kind() != want {
		return nil, badInput("%s: expected %s, got what looks like %s", arg, article(want), article(id.Kind()))
	}
	l := loaders.For(ctx)
	c, err := l.Customer(ctx, id)
	l.NoteStale(graphql.GetPath(ctx), c)
	return c, err
}

func article(k identifier.Kind) string {
	switch k {
	case identifier.Email:
		return "an email address"
	case identifier.Phone:
		return "a phone number"
	case identifier.CustomerNumber:
		return "a customer number (CUST-000001)"
	case identifier.DocumentID:
		return "a document ID"
	}
	return "an identifier"
}

// detail returns one detail field of obj, loading the customer's detail
// fields by ID (batched across the request) when obj lacks them.
func detail[T any](ctx context.Context, obj *customer.Customer, field func(*customer.Customer) T) (T, error) {
	var zero T
	l := loaders.For(ctx)
	c, err := l.Detailed(ctx, obj)
	if err != nil || c == nil {
		return zero, err
	}
	if c != obj { // obj's own staleness is reported at obj
		l.NoteStale(graphql.GetPath(ctx), c)
	}
	return field(c), nil
}

// nonNil returns s, or an empty slice for nil: the schema's lists are
// non-null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
