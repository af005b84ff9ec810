// Package render answers a query's root fields without gqlgen's per-field
// machinery. Below its root resolvers the schema is plain data: every field
// of Customer, of a connection and of their parts reads a value already in
// memory. gqlgen nevertheless gives each such field a field context, a
// context value, a marshaler and, for each element of a list of objects, a
// goroutine: most of the cost of a page of customers. The Renderer walks
// the selection once per request instead of once per object, and writes
// the root field's JSON into one buffer.
//
// It is exact by construction where it answers, and hands everything else
// back to gqlgen: a mutation, introspection, an argument it does not read
// (the parameter filter), a resolver error or panic, and any value the
// schema makes an error (a field whose part could not be loaded, a null
// where the schema forbids one, a float JSON cannot hold). gqlgen then
// answers from the outcome the resolver already had (see Renderer.Query),
// so no resolver runs twice and no upstream call is repeated.
package render

import (
	"context"
	"io"
	"sync/atomic"
	"weak"

	"github.com/99designs/gqlgen/graphql"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"customergraph/graph"
	"customergraph/graph/model"
	"customergraph/internal/customer"
)

// Renderer is a gqlgen handler extension that renders the root fields of
// queries. Register it after every other root field interceptor, and build
// the schema with Renderer.Query as its query resolver.
type Renderer struct {
	q                  graph.QueryResolver
	plans              *lru.Cache[weak.Pointer[ast.Field], *plan] // weak keys: never keeps alive a document the query cache let go of
	rendered, declined atomic.Uint64
}

// Stats counts the root fields of queries by who wrote them.
type Stats struct {
	Rendered uint64 // by the Renderer
	Declined uint64 // by gqlgen (see the package documentation for when)
}

// Stats returns the counts so far.
func (r *Renderer) Stats() Stats {
	return Stats{Rendered: r.rendered.Load(), Declined: r.declined.Load()}
}

// New returns a Renderer calling q, the schema's query resolvers. It
// remembers the plans of up to plans root fields of operations without
// variables, whose selections depend on their document alone: a repeated
// query, found in the query cache as the same document, is planned once.
func New(q graph.QueryResolver, plans int) *Renderer {
	c, err := lru.New[weak.Pointer[ast.Field], *plan](max(plans, 1))
	if err != nil {
		panic(err) // only for a size below 1
	}
	return &Renderer{q: q, plans: c}
}

var _ interface {
	graphql.HandlerExtension
	graphql.RootFieldInterceptor
} = (*Renderer)(nil)

// ExtensionName names the extension for gqlgen.
func (*Renderer) ExtensionName() string { return "Render" }

// Validate accepts any schema.
func (*Renderer) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptRootField renders the root field of a query when it can, and
// otherwise lets gqlgen resolve and marshal it.
func (r *Renderer) InterceptRootField(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	oc, rf := graphql.GetOperationContext(ctx), graphql.GetRootFieldContext(ctx)
	if oc == nil || rf == nil || oc.Operation == nil || oc.Operation.Operation != ast.Query {
		return next(ctx)
	}
	field := rf.Field
	rt, ok := roots[field.Name]
	if !ok || len(field.Deferrables) > 0 {
		r.declined.Add(1)
		return next(ctx)
	}
	args, p, ok := r.prepare(oc, field, rt)
	if !ok {
		r.declined.Add(1)
		return next(ctx)
	}
	fc := &graphql.FieldContext{Object: "Query", Field: field, Args: args, IsMethod: true, IsResolver: true}
	o := r.resolve(graphql.WithFieldContext(ctx, fc), rt, args)
	if !o.panicked && o.err == nil {
		if b, ok := renderRoot(p, rt, o.value); ok {
			r.rendered.Add(1)
			return raw(b)
		}
	}
	r.declined.Add(1)
	return next(context.WithValue(ctx, outcomeKey{}, &o))
}

// prepare reads the field's arguments as gqlgen would and plans its
// selection; ok is false for anything the renderer leaves to gqlgen,
// including what gqlgen reports as an error.
func (r *Renderer) prepare(oc *graphql.OperationContext, field graphql.CollectedField, rt *rootField) (args map[string]any, p *plan, ok bool) {
	defer func() {
		// ArgumentMap panics on a variable it cannot read; gqlgen turns
		// that into the field's error.
		if recover() != nil {
			args, p, ok = nil, nil, false
		}
	}()
	if args, ok = rt.args(field.ArgumentMap(oc.Variables)); !ok {
		return nil, nil, false
	}
	cacheable := len(oc.Operation.VariableDefinitions) == 0
	if cacheable {
		if p, ok := r.plans.Get(weak.Make(field.Field)); ok {
			return args, p, p != nil
		}
	}
	p, ok = compile(oc, field.Selections, rt.typ)
	if cacheable {
		r.plans.Add(weak.Make(field.Field), p) // nil: not rendered
	}
	if !ok {
		return nil, nil, false
	}
	return args, p, true
}

// outcome is what a root resolver returned, or the panic it raised.
type outcome struct {
	value    any
	err      error
	panicked bool
	panic    any
}

type outcomeKey struct{}

// resolve calls the root field's resolver.
func (r *Renderer) resolve(ctx context.Context, rt *rootField, args map[string]any) (o outcome) {
	defer func() {
		if p := recover(); p != nil {
			o = outcome{panicked: true, panic: p}
		}
	}()
	o.value, o.err = rt.call(ctx, r.q, args)
	return o
}

// renderRoot writes the root field's value for p, or reports that gqlgen
// must marshal it.
func renderRoot(p *plan, rt *rootField, v any) (b []byte, ok bool) {
	defer func() {
		if recover() != nil {
			b, ok = nil, false
		}
	}()
	b = make([]byte, 0, max(256, rt.size.Load()))
	switch v := v.(type) {
	case *model.CustomerConnection:
		if v == nil {
			return nil, false // CustomerConnection! is not null
		}
		b, ok = object(b, p, v, connectionField)
	case *customer.Customer:
		if v == nil {
			return append(b, "null"...), true
		}
		b, ok = object(b, p, v, customerField)
	case customer.Customer:
		b, ok = object(b, p, &v, customerField)
	case nil:
		return append(b, "null"...), true
	default:
		return nil, false
	}
	if ok {
		rt.size.Store(int64(len(b)))
	}
	return b, ok
}

// raw is a root field's rendered JSON.
type raw []byte

// MarshalGQL writes the JSON.
func (b raw) MarshalGQL(w io.Writer) { w.Write(b) }

// rootField is a query field the renderer answers.
type rootField struct {
	typ  *objectType
	args func(raw map[string]any) (map[string]any, bool)
	call func(ctx context.Context, q graph.QueryResolver, args map[string]any) (any, error)
	// size is the length of the field's last rendered answer: the next
	// one's buffer starts that large.
	size atomic.Int64
}

var roots = map[string]*rootField{
	"customers": {
		typ: connectionType,
		args: func(raw map[string]any) (map[string]any, bool) {
			if v := raw["parameter"]; v != nil {
				return nil, false // an input object: gqlgen reads it
			}
			args := map[string]any{"parameter": (*model.CustomerParameterFilter)(nil)}
			ok := argInt(raw, args, "first") && argString(raw, args, "after") && argString(raw, args, "search") &&
				argStatus(raw, args, "status") && argID(raw, args, "group")
			return args, ok
		},
		call: func(ctx context.Context, q graph.QueryResolver, args map[string]any) (any, error) {
			return q.Customers(ctx, args["first"].(*int), args["after"].(*string), args["search"].(*string),
				args["status"].(*customer.Status), args["parameter"].(*model.CustomerParameterFilter), args["group"].(*string))
		},
	},
	"customer": {
		typ: customerType,
		args: func(raw map[string]any) (map[string]any, bool) {
			args := map[string]any{}
			ok := argID(raw, args, "id") && argString(raw, args, "customerNumber") && argString(raw, args, "email") &&
				argString(raw, args, "phone")
			return args, ok
		},
		call: func(ctx context.Context, q graph.QueryResolver, args map[string]any) (any, error) {
			return q.Customer(ctx, args["id"].(*string), args["customerNumber"].(*string), args["email"].(*string), args["phone"].(*string))
		},
	},
	"customerByIdentifier": {
		typ: customerType,
		args: func(raw map[string]any) (map[string]any, bool) {
			args := map[string]any{}
			return args, argReqString(raw, args, "identifier")
		},
		call: func(ctx context.Context, q graph.QueryResolver, args map[string]any) (any, error) {
			return q.CustomerByIdentifier(ctx, args["identifier"].(string))
		},
	},
	"node": {
		// Node's only implementation is Customer.
		typ: customerType,
		args: func(raw map[string]any) (map[string]any, bool) {
			args := map[string]any{}
			return args, argReqID(raw, args, "id")
		},
		call: func(ctx context.Context, q graph.QueryResolver, args map[string]any) (any, error) {
			return q.Node(ctx, args["id"].(string))
		},
	},
}

// The argument readers below read an argument as gqlgen's generated code
// does, with the same functions; false means gqlgen would report an error.

func argInt(raw, args map[string]any, name string) bool {
	return optional(raw, args, name, graphql.UnmarshalInt)
}

func argString(raw, args map[string]any, name string) bool {
	return optional(raw, args, name, graphql.UnmarshalString)
}

func argID(raw, args map[string]any, name string) bool {
	return optional(raw, args, name, graphql.UnmarshalID)
}

func argStatus(raw, args map[string]any, name string) bool {
	return optional(raw, args, name, func(v any) (customer.Status, error) {
		var s customer.Status
		err := s.UnmarshalGQL(v)
		return s, err
	})
}

func argReqString(raw, args map[string]any, name string) bool {
	return required(raw, args, name, graphql.UnmarshalString)
}

func argReqID(raw, args map[string]any, name string) bool {
	return required(raw, args, name, graphql.UnmarshalID)
}

// optional reads a nullable argument into args as a *T, nil when absent
// or null.
func optional[T any](raw, args map[string]any, name string, unmarshal func(any) (T, error)) bool {
	v := raw[name]
	if v == nil {
		args[name] = (*T)(nil)
		return true
	}
	x, err := unmarshal(v)
	args[name] = &x
	return err == nil
}

// required reads a non-null argument into args as a T.
func required[T any](raw, args map[string]any, name string, unmarshal func(any) (T, error)) bool {
	x, err := unmarshal(raw[name])
	args[name] = x
	return err == nil
}

// Query returns the query resolvers gqlgen must call: q's, except that a
// root field the renderer handed back is answered with the outcome its
// resolver already had.
func (r *Renderer) Query() graph.QueryResolver { return replaying{r.q} }

// replaying answers a root field the renderer handed back.
type replaying struct{ graph.QueryResolver }

// replayed returns the outcome the renderer handed back with ctx, raising
// the resolver's panic again for gqlgen to recover as it would have.
func replayed(ctx context.Context) (*outcome, bool) {
	o, _ := ctx.Value(outcomeKey{}).(*outcome)
	if o == nil {
		return nil, false
	}
	if o.panicked {
		panic(o.panic)
	}
	return o, true
}

func (q replaying) Node(ctx context.Context, id string) (model.Node, error) {
	if o, ok := replayed(ctx); ok {
		v, _ := o.value.(model.Node)
		return v, o.err
	}
	return q.QueryResolver.Node(ctx, id)
}

func (q replaying) Customer(ctx context.Context, id, customerNumber, email, phone *string) (*customer.Customer, error) {
	if o, ok := replayed(ctx); ok {
		v, _ := o.value.(*customer.Customer)
		return v, o.err
	}
	return q.QueryResolver.Customer(ctx, id, customerNumber, email, phone)
}

func (q replaying) CustomerByIdentifier(ctx context.Context, identifier string) (*customer.Customer, error) {
	if o, ok := replayed(ctx); ok {
		v, _ := o.value.(*customer.Customer)
		return v, o.err
	}
	return q.QueryResolver.CustomerByIdentifier(ctx, identifier)
}

func (q replaying) Customers(ctx context.Context, first *int, after, search *string, status *customer.Status, parameter *model.CustomerParameterFilter, group *string) (*model.CustomerConnection, error) {
	if o, ok := replayed(ctx); ok {
		v, _ := o.value.(*model.CustomerConnection)
		return v, o.err
	}
	return q.QueryResolver.Customers(ctx, first, after, search, status, parameter, group)
}
