package resolvers

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"customergraph/internal/customer"
	"customergraph/internal/identifier"
	"customergraph/loaders"
)

// lookup parses raw as an identifier of kind want (0 for any kind) in the
// tenant's vendor's syntax and loads the customer it names, with the parts
// the query selects. An invalid identifier is BAD_USER_INPUT and a kind the
// vendor cannot look up NOT_SUPPORTED; neither costs an upstream call. An
// unknown customer is nil without an error.
func lookup(ctx context.Context, arg, raw string, want identifier.Kind) (*customer.Customer, error) {
	l := loaders.For(ctx)
	caps := l.Capabilities()
	var (
		id  identifier.ID
		err error
	)
	if want == 0 {
		id, err = caps.IDs.Parse(raw)
	} else {
		id, err = caps.IDs.ParseAs(raw, want)
	}
	if err != nil {
		return nil, badInput("%s: %v", arg, err)
	}
	if !caps.CanLookUp(id.Kind()) {
		return nil, notSupported(caps.Vendor, "%s: %s cannot look customers up by %s", arg, caps.Vendor.Name(), kindName(id.Kind()))
	}
	c, err := l.Customer(ctx, id)
	if c == nil || err != nil {
		return nil, err
	}
	if detail, contacts := wants(ctx, graphql.GetFieldContext(ctx).Field.Selections); detail || contacts {
		c = l.Complete(ctx, []*customer.Customer{c}, detail, contacts)[0]
	}
	if c.StaleAge > 0 { // the path costs allocations: only for a stale record
		l.NoteStale(graphql.GetPath(ctx), c)
	}
	return c, nil
}

// kindName names an identifier kind in a message: "phone number".
func kindName(k identifier.Kind) string {
	switch k {
	case identifier.Email:
		return "email address"
	case identifier.Phone:
		return "phone number"
	case identifier.CustomerNumber:
		return "customer number"
	}
	return "ID"
}

// contactFields need every email and phone.
var contactFields = map[string]bool{"emails": true, "phones": true}

// wants reports whether a selection on a Customer (fragments and @skip /
// @include applied) asks for detail fields of the tenant's vendor (the
// fields only its single read returns) or for every email and phone.
func wants(ctx context.Context, sel ast.SelectionSet) (detail, contacts bool) {
	vendor := loaders.For(ctx).Capabilities().Vendor
	eachField(graphql.GetOperationContext(ctx), sel, customerTypes, func(f *ast.Field) bool {
		detail = detail || vendor.DetailField(f.Name)
		contacts = contacts || contactFields[f.Name]
		return !(detail && contacts)
	})
	return detail, contacts
}

// customerTypes are the types a Customer satisfies.
var customerTypes = []string{"Customer", "Node"}

// wantsIn reports what the Customers found at path under sel, a chain of
// field names through the given types, ask for: e.g. path "edges", "node"
// through CustomerEdge.
func wantsIn(ctx context.Context, sel ast.SelectionSet, typ string, path ...string) (detail, contacts bool) {
	if len(path) == 0 {
		return wants(ctx, sel)
	}
	eachField(graphql.GetOperationContext(ctx), sel, []string{typ}, func(f *ast.Field) bool {
		if f.Name != path[0] {
			return true
		}
		next := "Customer"
		if len(path) > 1 {
			next = edgeType
		}
		d, c := wantsIn(ctx, f.SelectionSet, next, path[1:]...)
		detail, contacts = detail || d, contacts || c
		return true
	})
	return detail, contacts
}

const edgeType = "CustomerEdge"

// selects reports whether sel, a selection on an object of type typ
// (fragments and @skip / @include applied), selects the field at path:
// field names alternating with the type of the object each one is, e.g.
// "edges", "CustomerEdge", "cursor".
func selects(ctx context.Context, sel ast.SelectionSet, typ string, path ...string) bool {
	return !eachField(graphql.GetOperationContext(ctx), sel, []string{typ}, func(f *ast.Field) bool {
		found := f.Name == path[0] && (len(path) == 1 || selects(ctx, f.SelectionSet, path[1], path[2:]...))
		return !found
	})
}
