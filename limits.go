package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"weak"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	gqlparser "github.com/vektah/gqlparser/v2/parser"

	"customergraph/internal/querylimit"
	"customergraph/resolvers"
)

// limitCodes are the extensions.code of each document limit.
var limitCodes = map[querylimit.Kind]string{
	querylimit.Tokens:       resolvers.CodeTokenLimit,
	querylimit.Depth:        resolvers.CodeDepthLimit,
	querylimit.Aliases:      resolvers.CodeAliasLimit,
	querylimit.RootFields:   resolvers.CodeRootFieldLimit,
	querylimit.Fields:       resolvers.CodeFieldLimit,
	querylimit.FieldRepeats: resolvers.CodeFieldRepeatLimit,
}

// A document refused for its size is answered like one that fails
// validation: HTTP 422 (400 to clients that accept
// application/graphql-response+json). gqlgen answers its own complexity
// limit with 200; it is a refusal before execution too.
func init() {
	for _, code := range limitCodes {
		errcode.RegisterErrorType(code, errcode.KindProtocol)
	}
	errcode.RegisterErrorType(resolvers.CodeComplexityLimit, errcode.KindProtocol)
}

// operationLimits is a gqlgen extension that checks each query against
// the document limits (querylimit) before gqlgen parses and validates it,
// so a document whose validation would be expensive is refused for the
// price of one parse.
type operationLimits struct {
	limits querylimit.Limits
	// parsed is gqlgen's query cache. It holds only documents that were
	// validated, which happens after this check: a query found there has
	// passed these limits, so a repeated query costs one cache lookup.
	parsed graphql.Cache[*ast.QueryDocument]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = operationLimits{}

func (operationLimits) ExtensionName() string                   { return "OperationLimits" }
func (operationLimits) Validate(graphql.ExecutableSchema) error { return nil }

func (o operationLimits) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if _, ok := o.parsed.Get(ctx, p.Query); ok {
		return nil
	}
	v := o.limits.Check(p.Query)
	if v == nil {
		return nil
	}
	err := &gqlerror.Error{
		Message:    v.Message,
		Extensions: map[string]any{"code": limitCodes[v.Kind], "limit": v.Limit},
	}
	if v.Pos != nil {
		err.Locations = []gqlerror.Location{{Line: v.Pos.Line, Column: v.Pos.Column}}
	}
	return err
}

// limitRequests refuses, before any GraphQL work, a POST body larger than
// maxBytes (413), a GET whose query string is larger (414), a GET of a
// mutation (405), and what gqlgen's transports would refuse without an
// error code: a GET that does not decode (400), a POST that is not JSON
// (415) and other methods (405). A body of unknown length is read here, at most
// maxBytes+1 of it; one with a Content-Length is never read past it by
// net/http, so it needs no copy.
func limitRequests(maxBytes int64, tokenLimit int, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			if !isJSON(r.Header.Get("Content-Type")) {
				refuse(w, http.StatusUnsupportedMediaType, "send the request as Content-Type: application/json",
					map[string]any{"code": resolvers.CodeBadRequest})
				return
			}
			if r.ContentLength > maxBytes {
				refuseTooLarge(w, http.StatusRequestEntityTooLarge, "request body", maxBytes)
				return
			}
			if r.ContentLength < 0 && r.Body != nil {
				body, err := io.ReadAll(io.LimitReader(r.Body, maxBytes+1))
				if err != nil {
					refuse(w, http.StatusBadRequest, "the request body could not be read",
						map[string]any{"code": resolvers.CodeBadRequest})
					return
				}
				if int64(len(body)) > maxBytes {
					refuseTooLarge(w, http.StatusRequestEntityTooLarge, "request body", maxBytes)
					return
				}
				r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
			}
		case http.MethodGet:
			if int64(len(r.URL.RawQuery)) > maxBytes {
				refuseTooLarge(w, http.StatusRequestURITooLong, "query string", maxBytes)
				return
			}
			if status, msg := checkGET(r.URL.RawQuery, tokenLimit); status != 0 {
				code := resolvers.CodeBadRequest
				if status == http.StatusMethodNotAllowed {
					w.Header().Set("Allow", http.MethodPost)
					code = resolvers.CodeMethodNotAllowed
				}
				refuse(w, status, msg, map[string]any{"code": code})
				return
			}
		case http.MethodOptions:
		default:
			w.Header().Set("Allow", "GET, POST, OPTIONS")
			refuse(w, http.StatusMethodNotAllowed, "GraphQL is served with GET and POST",
				map[string]any{"code": resolvers.CodeMethodNotAllowed})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkGET returns the status and message for a GET that must not reach
// gqlgen: one asking for an operation other than a query (405), and one
// whose query string, variables or extensions do not decode (400), which
// gqlgen's GET transport refuses without an error code. The document is
// parsed only when it mentions "mutation" or "subscription"; gqlgen's
// transport still refuses any non-query operation this lets through.
func checkGET(rawQuery string, tokenLimit int) (int, string) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return http.StatusBadRequest, "the query string does not decode: " + err.Error()
	}
	for _, name := range []string{"variables", "extensions"} {
		if v := q.Get(name); v != "" {
			var m map[string]any
			if err := json.NewDecoder(strings.NewReader(v)).Decode(&m); err != nil {
				return http.StatusBadRequest, name + " must be a JSON object"
			}
		}
	}
	query := q.Get("query")
	if !strings.Contains(query, "mutation") && !strings.Contains(query, "subscription") {
		return 0, ""
	}
	doc, err := gqlparser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, tokenLimit)
	if err != nil {
		return 0, "" // gqlgen reports it
	}
	if op := doc.Operations.ForName(q.Get("operationName")); op != nil && op.Operation != ast.Query {
		return http.StatusMethodNotAllowed, "GET runs queries only; send " + string(op.Operation) + "s with POST"
	}
	return 0, ""
}

// isJSON reports whether a Content-Type is application/json, the one
// gqlgen's POST transport takes, looking at the usual spellings before
// parsing.
func isJSON(contentType string) bool {
	if contentType == "application/json" || contentType == "application/json; charset=utf-8" {
		return true
	}
	mediaType, _, err := mime.ParseMediaType(contentType)
	return err == nil && mediaType == "application/json"
}

func refuseTooLarge(w http.ResponseWriter, status int, what string, maxBytes int64) {
	// Whatever the client still sends is not read: do not keep the
	// connection for a next request behind it.
	w.Header().Set("Connection", "close")
	refuse(w, status, fmt.Sprintf("the %s is larger than %d bytes, the limit", what, maxBytes),
		map[string]any{"code": resolvers.CodeRequestTooLarge, "limit": maxBytes})
}

// refuse answers with one GraphQL error, shaped like gqlgen's.
func refuse(w http.ResponseWriter, status int, msg string, extensions map[string]any) {
	writeJSON(w, status, map[string]any{
		"errors": []any{map[string]any{"message": msg, "extensions": extensions}},
	})
}

// cachedComplexity is gqlgen's complexity limit (it) that remembers the
// complexity of operations whose variables cannot change it: it is then a
// function of the document alone, and a repeated query, found in the
// query cache as the same document, is priced once, not walked field by
// field on every request. That is every operation without variables, and
// every one whose variables go to none of the arguments the complexity
// functions read (reads: by field, as price returns them) — a lookup by
// $email is priced once; customers(first: $n) on every request. An
// operation over the limit is always priced again, so its error is the
// limit's own.
type cachedComplexity struct {
	limit *extension.ComplexityLimit
	reads map[string][]string // by field ("Query.customers"): the arguments its complexity function reads
	// known holds, for each operation seen, its complexity (once priced)
	// or that its variables may change it. Weak keys: it never keeps
	// alive a document the query cache let go of.
	known *lru.Cache[weak.Pointer[ast.OperationDefinition], pricing]
}

// pricing is what cachedComplexity knows of an operation.
type pricing struct {
	cost      int
	priced    bool // cost is the operation's complexity
	byVariant bool // its variables may change its complexity: never remembered
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = cachedComplexity{}

func newCachedComplexity(limit *extension.ComplexityLimit, size int, reads map[string][]string) cachedComplexity {
	known, err := lru.New[weak.Pointer[ast.OperationDefinition], pricing](size)
	if err != nil {
		panic(err) // size is validated config, at least 1
	}
	return cachedComplexity{limit: limit, reads: reads, known: known}
}

func (c cachedComplexity) ExtensionName() string { return c.limit.ExtensionName() }

func (c cachedComplexity) Validate(es graphql.ExecutableSchema) error { return c.limit.Validate(es) }

func (c cachedComplexity) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	op := oc.Doc.Operations.ForName(oc.OperationName)
	if op == nil {
		return c.limit.MutateOperationContext(ctx, oc)
	}
	key := weak.Make(op)
	p, seen := c.known.Get(key)
	limit := c.limit.Func(ctx, oc)
	if p.priced && p.cost <= limit {
		// What the limit records, for extension.GetComplexityStats.
		oc.Stats.SetExtension(c.limit.ExtensionName(), &extension.ComplexityStats{Complexity: p.cost, ComplexityLimit: limit})
		return nil
	}
	if !seen {
		p.byVariant = len(op.VariableDefinitions) > 0 && c.readsVariables(op.SelectionSet, map[*ast.FragmentDefinition]bool{})
	}
	err := c.limit.MutateOperationContext(ctx, oc)
	if st, ok := oc.Stats.GetExtension(c.limit.ExtensionName()).(*extension.ComplexityStats); ok && err == nil && !p.byVariant {
		p.cost, p.priced = st.Complexity, true
	}
	if !seen || p.priced {
		c.known.Add(key, p)
	}
	return err
}

// readsVariables reports whether a field of set, or of the fragments it
// spreads, gives a variable to an argument its complexity function reads.
// A field of an interface or a union is priced by each of its types'
// functions, so any type's counts for it.
func (c cachedComplexity) readsVariables(set ast.SelectionSet, spread map[*ast.FragmentDefinition]bool) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if c.argsRead(s, func(arg string) bool {
				a := s.Arguments.ForName(arg)
				return a != nil && hasVariable(a.Value)
			}) || c.readsVariables(s.SelectionSet, spread) {
				return true
			}
		case *ast.InlineFragment:
			if c.readsVariables(s.SelectionSet, spread) {
				return true
			}
		case *ast.FragmentSpread:
			if d := s.Definition; d != nil && !spread[d] {
				spread[d] = true
				if c.readsVariables(d.SelectionSet, spread) {
					return true
				}
			}
		}
	}
	return false
}

// argsRead reports whether read is true for an argument of f that a
// complexity function reads.
func (c cachedComplexity) argsRead(f *ast.Field, read func(arg string) bool) bool {
	if f.ObjectDefinition == nil {
		return false
	}
	if k := f.ObjectDefinition.Kind; k == ast.Interface || k == ast.Union {
		for field, args := range c.reads {
			if strings.HasSuffix(field, "."+f.Name) && slices.ContainsFunc(args, read) {
				return true
			}
		}
		return false
	}
	return slices.ContainsFunc(c.reads[f.ObjectDefinition.Name+"."+f.Name], read)
}

// hasVariable reports whether v is a variable or holds one.
func hasVariable(v *ast.Value) bool {
	if v == nil {
		return false
	}
	if v.Kind == ast.Variable {
		return true
	}
	for _, ch := range v.Children {
		if hasVariable(ch.Value) {
			return true
		}
	}
	return false
}
