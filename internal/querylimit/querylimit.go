// Package querylimit checks a GraphQL document against size limits before
// it is validated or executed.
//
// Validation is not linear in the size of a document: a field selected
// 1,000 times in one selection set makes OverlappingFieldsCanBeMerged
// compare half a million pairs, and fragments spread into each other
// multiply what a short document selects. Check parses with a token limit
// and walks the document once, expanding fragments, and stops at the
// first limit exceeded, so its own cost is bounded by the limits rather
// than by what the document would expand to.
package querylimit

import (
	"errors"
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// Limits are the bounds a document must keep. Every limit must be
// positive, except Aliases, which may be 0 (no aliases at all).
type Limits struct {
	// Tokens bounds the tokens of the whole document (punctuation, names,
	// values and comments), checked while parsing.
	Tokens int
	// Depth bounds how deeply fields nest: in { customer { address { city } } }
	// city is at depth 3. Fragments count where they are spread. Fields
	// under __schema and __type may nest deeper, up to the parser's own
	// bound (parser.MaxNestingDepth): introspection has its own depth rule
	// in validation, and GraphiQL's introspection query nests type
	// references deeper than any query of data needs to.
	Depth int
	// Aliases bounds the fields selected under an alias that differs from
	// their name, counted after expanding fragments.
	Aliases int
	// RootFields bounds the fields an operation selects at its root,
	// after expanding fragments.
	RootFields int
	// Fields bounds the selections of the whole document (fields,
	// fragment spreads and inline fragments), counted after expanding
	// fragments, over all its operations: validation walks a fragment
	// once for every operation that spreads it, so a document of many
	// operations spreading one large fragment costs their product.
	Fields int
	// FieldRepeats bounds how often one response name is selected in one
	// selection set, fragments included: { id id } selects id twice.
	FieldRepeats int
}

// Kind says which limit a document exceeds.
type Kind int

// The limits, in the order of Limits' fields.
const (
	Tokens Kind = iota + 1
	Depth
	Aliases
	RootFields
	Fields
	FieldRepeats
)

func (k Kind) String() string {
	switch k {
	case Tokens:
		return "tokens"
	case Depth:
		return "depth"
	case Aliases:
		return "aliases"
	case RootFields:
		return "root fields"
	case Fields:
		return "fields"
	case FieldRepeats:
		return "field repeats"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Violation is a limit a document exceeds.
type Violation struct {
	Kind  Kind
	Limit int
	// Message explains the violation to the client who sent the document.
	Message string
	// Pos is where in the document the limit was exceeded, when one place
	// is to blame.
	Pos *ast.Position
}

func (v *Violation) Error() string { return v.Message }

// Check parses query and checks it against l. It returns nil if the
// document keeps every limit, and also if it fails to parse for any
// reason other than a limit: reporting syntax errors is the parser's job
// downstream.
func (l Limits) Check(query string) *Violation {
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, l.Tokens)
	if err != nil {
		return l.parseViolation(err)
	}
	return l.CheckDocument(doc)
}

// parseViolation recognises the parse errors that are limits: the token
// limit, and the parser's own bound on nesting (parser.MaxNestingDepth),
// which is a depth limit too.
func (l Limits) parseViolation(err error) *Violation {
	var ge *gqlerror.Error
	if !errors.As(err, &ge) {
		return nil
	}
	switch {
	case strings.HasPrefix(ge.Message, "exceeded token limit"):
		return &Violation{Kind: Tokens, Limit: l.Tokens,
			Message: fmt.Sprintf("the document has more than %d tokens, the limit", l.Tokens)}
	case strings.HasPrefix(ge.Message, "exceeded maximum nesting depth"):
		v := &Violation{Kind: Depth, Limit: l.Depth,
			Message: fmt.Sprintf("the document nests more than %d levels deep; fields may nest at most %d", parser.MaxNestingDepth, l.Depth)}
		if len(ge.Locations) > 0 {
			v.Pos = &ast.Position{Line: ge.Locations[0].Line, Column: ge.Locations[0].Column}
		}
		return v
	}
	return nil
}

// CheckDocument checks a parsed document against every limit but Tokens.
// Fragments that no operation spreads are checked too: validation will
// reject them, but only after running every rule over them.
func (l Limits) CheckDocument(doc *ast.QueryDocument) *Violation {
	c := checker{l: l}
	if len(doc.Fragments) > 0 {
		c.frags = make(map[string]*ast.FragmentDefinition, len(doc.Fragments))
		for _, f := range doc.Fragments {
			if _, dup := c.frags[f.Name]; !dup {
				c.frags[f.Name] = f
			}
		}
		c.active = make(map[string]bool)
		c.reached = make(map[*ast.FragmentDefinition]bool, len(doc.Fragments))
	}
	for _, op := range doc.Operations {
		c.aliases = 0
		if v := c.selectionSet(op.SelectionSet, 1, true, false); v != nil {
			return v
		}
	}
	c.aliases = 0
	for _, f := range doc.Fragments {
		if c.reached[f] {
			continue
		}
		c.reached[f] = true
		if v := c.selectionSet(f.SelectionSet, 1, false, false); v != nil {
			return v
		}
	}
	return nil
}

// checker walks one document. selections counts over the document,
// aliases over one operation (or all unused fragments); fields holds the fields of the selection sets being
// walked, flattened, one level above the other.
type checker struct {
	l          Limits
	frags      map[string]*ast.FragmentDefinition // by name; the first of a name
	active     map[string]bool                    // fragments being flattened: a cycle stops here
	reached    map[*ast.FragmentDefinition]bool   // fragments some walk has expanded
	selections int
	aliases    int
	fields     []*ast.Field
	names      map[string]int // response names of one level, when it is large
}

// selectionSet checks a selection set whose fields are at depth, then
// each field's own selection set.
func (c *checker) selectionSet(set ast.SelectionSet, depth int, root, introspection bool) *Violation {
	start := len(c.fields)
	if v := c.flatten(set); v != nil {
		return v
	}
	level := c.fields[start:]
	defer func() { c.fields = c.fields[:start] }()
	if len(level) > c.l.FieldRepeats {
		if v := c.repeats(level); v != nil {
			return v
		}
	}
	if root && len(level) > c.l.RootFields {
		return &Violation{Kind: RootFields, Limit: c.l.RootFields, Pos: level[c.l.RootFields].Position,
			Message: fmt.Sprintf("the operation selects more than %d root fields, the limit", c.l.RootFields)}
	}
	for _, f := range level {
		intro := introspection || root && (f.Name == "__schema" || f.Name == "__type")
		// The walk never goes deeper than the parser lets a document nest,
		// whatever the limit: a fragment spread inside itself, below its
		// root, would otherwise take it down without end.
		limit := min(c.l.Depth, parser.MaxNestingDepth)
		if intro {
			limit = parser.MaxNestingDepth
		}
		if depth > limit {
			return &Violation{Kind: Depth, Limit: limit, Pos: f.Position,
				Message: fmt.Sprintf("fields nest more than %d levels deep, the limit", limit)}
		}
		if len(f.SelectionSet) > 0 {
			if v := c.selectionSet(f.SelectionSet, depth+1, false, intro); v != nil {
				return v
			}
		}
	}
	return nil
}

// flatten appends the fields of set to c.fields, with those of its inline
// fragments and of the fragments it spreads, counting every selection
// and alias on the way. A spread of an unknown fragment, or of one that
// is being flattened (a cycle), is skipped: validation reports both.
func (c *checker) flatten(set ast.SelectionSet) *Violation {
	for _, sel := range set {
		c.selections++
		if c.selections > c.l.Fields {
			return &Violation{Kind: Fields, Limit: c.l.Fields, Pos: selectionPos(sel),
				Message: fmt.Sprintf("the document has more than %d selections (fields, fragment spreads and inline fragments, counted after expanding fragments), the limit", c.l.Fields)}
		}
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias != s.Name {
				c.aliases++
				if c.aliases > c.l.Aliases {
					return &Violation{Kind: Aliases, Limit: c.l.Aliases, Pos: s.Position,
						Message: fmt.Sprintf("the operation uses more than %d aliases (counted after expanding fragments), the limit", c.l.Aliases)}
				}
			}
			c.fields = append(c.fields, s)
		case *ast.InlineFragment:
			if v := c.flatten(s.SelectionSet); v != nil {
				return v
			}
		case *ast.FragmentSpread:
			def := c.frags[s.Name]
			if def == nil || c.active[s.Name] {
				continue
			}
			c.reached[def] = true
			c.active[s.Name] = true
			v := c.flatten(def.SelectionSet)
			delete(c.active, s.Name)
			if v != nil {
				return v
			}
		}
	}
	return nil
}

// repeats reports a response name selected more than FieldRepeats times
// in one flattened level.
func (c *checker) repeats(level []*ast.Field) *Violation {
	if c.names == nil {
		c.names = make(map[string]int)
	}
	defer clear(c.names)
	for _, f := range level {
		c.names[f.Alias]++
		if c.names[f.Alias] > c.l.FieldRepeats {
			return &Violation{Kind: FieldRepeats, Limit: c.l.FieldRepeats, Pos: f.Position,
				Message: fmt.Sprintf("%q is selected more than %d times in one selection set, the limit", f.Alias, c.l.FieldRepeats)}
		}
	}
	return nil
}

func selectionPos(sel ast.Selection) *ast.Position {
	switch s := sel.(type) {
	case *ast.Field:
		return s.Position
	case *ast.InlineFragment:
		return s.Position
	case *ast.FragmentSpread:
		return s.Position
	}
	return nil
}
