package resolvers

import (
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// eachField calls visit for every field sel selects on an object that
// satisfies types, as graphql.CollectFields would collect them: fields
// under @skip(if: true) or @include(if: false), and fragments whose type
// condition types do not satisfy, are left out; a field selected more than
// once is visited once for each. It stops, and returns false, when visit
// does.
//
// It is for the resolvers' questions about what a query asks for (which
// they ask for every customer a query looks up): CollectFields also groups
// the fields and caches its answer per selection, which costs allocations
// these questions need not pay for.
func eachField(oc *graphql.OperationContext, sel ast.SelectionSet, types []string, visit func(*ast.Field) bool) bool {
	var seen []string // fragment spreads already walked, as CollectFields does
	var walk func(sel ast.SelectionSet) bool
	walk = func(sel ast.SelectionSet) bool {
		for _, s := range sel {
			switch s := s.(type) {
			case *ast.Field:
				if included(s.Directives, oc.Variables) && !visit(s) {
					return false
				}
			case *ast.InlineFragment:
				if included(s.Directives, oc.Variables) && matches(s.TypeCondition, types) && !walk(s.SelectionSet) {
					return false
				}
			case *ast.FragmentSpread:
				if slices.Contains(seen, s.Name) || !included(s.Directives, oc.Variables) {
					continue
				}
				seen = append(seen, s.Name)
				f := oc.Doc.Fragments.ForName(s.Name)
				if f != nil && matches(f.TypeCondition, types) && !walk(f.SelectionSet) {
					return false
				}
			}
		}
		return true
	}
	return walk(sel)
}

// matches reports whether a fragment with the type condition cond applies
// to an object satisfying types.
func matches(cond string, types []string) bool {
	return len(types) == 0 || cond == "" || slices.Contains(types, cond)
}

// included applies @skip and @include. The validator has checked that
// their "if" is a Boolean; anything else includes the node.
func included(ds ast.DirectiveList, vars map[string]any) bool {
	if len(ds) == 0 {
		return true
	}
	is := func(name string, want bool) bool {
		d := ds.ForName(name)
		if d == nil {
			return false
		}
		arg := d.Arguments.ForName("if")
		if arg == nil {
			return false
		}
		v, err := arg.Value.Value(vars)
		b, ok := v.(bool)
		return err == nil && ok && b == want
	}
	return !is("skip", true) && !is("include", false)
}
