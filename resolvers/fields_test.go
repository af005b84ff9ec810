package resolvers

import (
	"slices"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"customergraph/graph"
)

// eachField visits exactly the fields graphql.CollectFields collects,
// through fragments, type conditions, @skip and @include.
func TestEachFieldAsCollectFields(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: &Resolver{}}).Schema()
	const doc = `query($a: Boolean!, $b: Boolean!) {
  customer(email: "x@example.com") {
    id
    ... on Customer { notes @include(if: $a) smsOptIn @skip(if: $a) }
    ...F @skip(if: $b)
    ... on Node { id }
    ... @include(if: $b) { emails { address } }
    ...F
  }
  node(id: "k1") { id ... on Customer { marketingOptIn } ...G }
  customers(first: 2) {
    ... on CustomerConnection { edges @include(if: $a) { cursor node { tags } } }
    ...C @skip(if: $a)
    nodes { id ...G @include(if: $b) }
  }
}
fragment F on Customer { tags displayName ...G }
fragment G on Customer { phones { number } customerNumber @skip(if: true) }
fragment C on CustomerConnection { pageInfo { endCursor } }`
	q, errs := gqlparser.LoadQueryWithRules(schema, doc, nil)
	if errs != nil {
		t.Fatal(errs)
	}
	for _, vars := range []map[string]any{{"a": true, "b": true}, {"a": true, "b": false}, {"a": false, "b": true}, {"a": false, "b": false}} {
		oc := &graphql.OperationContext{Doc: q, Variables: vars}
		var compare func(sel ast.SelectionSet, types []string, where string)
		compare = func(sel ast.SelectionSet, types []string, where string) {
			var want, got []string
			for _, f := range graphql.CollectFields(oc, sel, types) {
				want = append(want, f.Name)
				// The types of the objects below: node is the root field
				// or an edge's.
				sub := map[string][]string{"customer": customerTypes, "node": customerTypes, "nodes": customerTypes,
					"customers": {"CustomerConnection"}, "edges": {"CustomerEdge"}}[f.Name]
				if len(sub) > 0 {
					compare(f.Selections, sub, where+"."+f.Name)
				}
			}
			eachField(oc, sel, types, func(f *ast.Field) bool {
				if !slices.Contains(got, f.Name) {
					got = append(got, f.Name)
				}
				return true
			})
			slices.Sort(want)
			want = slices.Compact(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%v %s: eachField visits %v; CollectFields collects %v", vars, where, got, want)
			}
		}
		compare(q.Operations[0].SelectionSet, []string{"Query"}, "")
	}

	// It stops when visit says so.
	oc := &graphql.OperationContext{Doc: q, Variables: map[string]any{"a": true, "b": true}}
	n := 0
	if eachField(oc, q.Operations[0].SelectionSet, []string{"Query"}, func(*ast.Field) bool { n++; return false }) || n != 1 {
		t.Errorf("eachField went on after visit returned false: %d visits", n)
	}
}
