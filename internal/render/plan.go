package render

import (
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// objectType is an object type of the schema the renderer writes: the
// types it satisfies (for fragments, as gqlgen's generated code lists them)
// and its fields by name.
type objectType struct {
	name       string
	implements []string
	fields     map[string]fieldDef
}

// fieldDef is a field of an objectType: which one, for the type's writer,
// and the object type of its value, for a field of objects.
type fieldDef struct {
	id   int
	elem *objectType
}

// typename is the id of __typename in every type.
const typename = -1

// plan is what one selection set asks of an object type: its fields as
// gqlgen collects them (fragments spread, @skip and @include applied,
// fields of one response name merged), each with the key it is written
// under and, for objects, the plan of its own selection.
type plan struct {
	typ    *objectType
	fields []planField
}

type planField struct {
	// key is `"alias":`, behind a comma but for the first field.
	key []byte
	id  int
	sub *plan
}

// compile plans sel for t; ok is false when the selection asks for a
// field the renderer does not write or defers one.
func compile(oc *graphql.OperationContext, sel ast.SelectionSet, t *objectType) (*plan, bool) {
	collected := graphql.CollectFields(oc, sel, t.implements)
	p := &plan{typ: t, fields: make([]planField, 0, len(collected))}
	seen := make(map[string]bool, len(collected))
	for _, f := range collected {
		if len(f.Deferrables) > 0 {
			return nil, false
		}
		if seen[f.Alias] {
			continue // gqlgen writes a response name once
		}
		seen[f.Alias] = true
		pf := planField{key: key(f.Alias, len(p.fields) > 0), id: typename}
		if f.Name != "__typename" {
			d, ok := t.fields[f.Name]
			if !ok {
				return nil, false
			}
			pf.id = d.id
			if d.elem != nil {
				if pf.sub, ok = compile(oc, f.Selections, d.elem); !ok {
					return nil, false
				}
			}
		}
		p.fields = append(p.fields, pf)
	}
	return p, true
}

// key returns the JSON of a response name and its colon, behind a comma
// unless first. Names are GraphQL names, which JSON need not escape.
func key(name string, comma bool) []byte {
	b := make([]byte, 0, len(name)+4)
	if comma {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, name...)
	return append(b, '"', ':')
}
