package resolvers

import (
	"context"
	"weak"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"customergraph/internal/customer"
	"customergraph/internal/identifier"
	"customergraph/loaders"
)

// Prefetch loads, in one batch before the operation runs, every customer
// its root lookups (customer, customerByIdentifier, node) name, so that no
// lookup waits for a dataloader batch window. Arguments that do not parse,
// or that the vendor cannot look up, are left to the resolvers, which
// reject them.
func Prefetch(ctx context.Context) {
	oc := graphql.GetOperationContext(ctx)
	l, ok := loaders.From(ctx)
	if !ok || oc == nil || oc.Operation == nil || oc.Operation.Operation != ast.Query {
		return
	}
	if len(oc.Operation.VariableDefinitions) > 0 {
		l.Prefetch(ctx, rootLookups(oc, l.Capabilities()))
		return
	}
	// Without variables, what the operation looks up is a function of the
	// document: worked out once per parsed document.
	// A weak key: the plan must not keep alive a document the query
	// cache has let go of.
	l.Prefetch(ctx, l.Plan(weak.Make(oc.Operation), func() []identifier.ID { return rootLookups(oc, l.Capabilities()) }))
}

// rootLookups returns the identifiers the operation's root lookups name,
// in the tenant's vendor's syntax.
func rootLookups(oc *graphql.OperationContext, caps customer.Capabilities) []identifier.ID {
	var ids []identifier.ID
	add := func(v any, want identifier.Kind) {
		s, ok := v.(string)
		if !ok {
			return
		}
		id, err := caps.IDs.Parse(s)
		if want != 0 {
			id, err = caps.IDs.ParseAs(s, want)
		}
		if err == nil && caps.CanLookUp(id.Kind()) {
			ids = append(ids, id)
		}
	}
	for _, f := range graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Query"}) {
		args := f.ArgumentMap(oc.Variables)
		switch f.Name {
		case "customerByIdentifier":
			add(args["identifier"], 0)
		case "node":
			add(args["id"], identifier.DocumentID)
		case "customer":
			var given []string
			for name := range args {
				if args[name] != nil {
					given = append(given, name)
				}
			}
			if len(given) == 1 {
				add(args[given[0]], map[string]identifier.Kind{
					"id": identifier.DocumentID, "customerNumber": identifier.CustomerNumber,
					"email": identifier.Email, "phone": identifier.Phone,
				}[given[0]])
			}
		}
	}
	return ids
}
