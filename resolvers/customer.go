package resolvers

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"customergraph/internal/customer"
	"customergraph/internal/identifier"
	"customergraph/loaders"
)

// lookup parses raw as an identifier of kind want (0 for any kind) and
// loads the customer it names, with the parts the query selects. An invalid
// identifier is BAD_USER_INPUT and costs no upstream call; an unknown
// customer is nil without an error.
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
	if c == nil || err != nil {
		return nil, err
	}
	detail, contacts := wants(ctx, graphql.GetFieldContext(ctx).Field.Selections)
	c = l.Complete(ctx, []*customer.Customer{c}, detail, contacts)[0]
	l.NoteStale(graphql.GetPath(ctx), c)
	return c, nil
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

// detailFields are the Customer fields only the upstream's single read
// returns; contactFields need every email and phone.
var (
	detailFields = map[string]bool{
		"marketingOptIn": true, "smsOptIn": true, "dateOfBirth": true, "address": true, "tags": true,
		"notes": true, "preferredLocationId": true, "companyId": true, "loyaltyPoints": true,
	}
	contactFields = map[string]bool{"emails": true, "phones": true}
)

// wants reports whether a selection on a Customer (fragments and @skip /
// @include applied) asks for detail fields or for every email and phone.
func wants(ctx context.Context, sel ast.SelectionSet) (detail, contacts bool) {
	for _, f := range graphql.CollectFields(graphql.GetOperationContext(ctx), sel, []string{"Customer", "Node"}) {
		detail = detail || detailFields[f.Name]
		contacts = contacts || contactFields[f.Name]
	}
	return detail, contacts
}

// wantsIn reports what the Customers found at path under sel, a chain of
// field names through the given types, ask for: e.g. path "edges", "node"
// through CustomerEdge.
func wantsIn(ctx context.Context, sel ast.SelectionSet, typ string, path ...string) (detail, contacts bool) {
	if len(path) == 0 {
		return wants(ctx, sel)
	}
	for _, f := range graphql.CollectFields(graphql.GetOperationContext(ctx), sel, []string{typ}) {
		if f.Name != path[0] {
			continue
		}
		next := "Customer"
		if len(path) > 1 {
			next = edgeType
		}
		d, c := wantsIn(ctx, f.Selections, next, path[1:]...)
		detail, contacts = detail || d, contacts || c
	}
	return detail, contacts
}

const edgeType = "CustomerEdge"
