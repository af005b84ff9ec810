package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// cannedExecutor answers every operation with resp, or fails to create the
// operation with opErr; it records the parameters it was given.
type cannedExecutor struct {
	resp   *graphql.Response
	opErr  gqlerror.List
	params *graphql.RawParams
}

func (e *cannedExecutor) CreateOperationContext(_ context.Context, p *graphql.RawParams) (*graphql.OperationContext, gqlerror.List) {
	cp := *p // transport.POST reuses its parameters once done
	e.params = &cp
	if e.opErr != nil {
		return nil, e.opErr
	}
	return &graphql.OperationContext{RawQuery: p.Query, Variables: p.Variables, OperationName: p.OperationName}, nil
}

func (e *cannedExecutor) DispatchOperation(ctx context.Context, _ *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	return graphql.OneShot(e.resp), ctx
}

func (e *cannedExecutor) DispatchError(_ context.Context, list gqlerror.List) *graphql.Response {
	return &graphql.Response{Errors: list}
}

// postTransport answers every request as transport.POST does, byte for
// byte: status, headers and body, for responses with and without errors,
// data and extensions, with characters encoding/json escapes, and for
// requests it refuses.
func TestPostTransportWritesAsGqlgen(t *testing.T) {
	yes := true
	protocolErr := gqlerror.Errorf("Cannot query field \"x\"")
	errcode.Set(protocolErr, errcode.ValidationFailed)
	userErr := gqlerror.Errorf("denied")
	userErr.Extensions = map[string]any{"code": "FORBIDDEN", "data": nil, "n": 1.5}
	responses := []*graphql.Response{
		{Data: json.RawMessage(`{"customer":{"id":"k1","name":"<b>A & B</b>","note":"line\u2028sep\u2029end","emoji":"🙂","q":"\"\\\n"}}`)},
		{Data: json.RawMessage(`{"customers":{"nodes":[{"id":"a","tags":[],"n":1.25e-7,"ok":true},{"id":"b","x":null}]}}`)},
		{Data: json.RawMessage(`null`), Errors: gqlerror.List{userErr, {Message: "second", Path: ast.Path{ast.PathName("a"), ast.PathIndex(2)}}}},
		{Data: nil, Errors: gqlerror.List{protocolErr}},
		{Data: json.RawMessage(`{"a":1}`), Extensions: map[string]any{"stale": []map[string]any{{"path": []any{"a", 0}, "ageSeconds": 3}}, "budget": map[string]int{"left": 5}}},
		{Data: json.RawMessage(`{"a":1}`), Label: "l<", Path: ast.Path{ast.PathName("x")}, HasNext: &yes},
		{Data: json.RawMessage(`{}`), Extensions: map[string]any{}},
	}
	type request struct {
		body, accept string
		opErr        gqlerror.List
		length       int64 // the Content-Length claimed, when not 0; -1 for none
	}
	requests := []request{
		{body: `{"query":"{ a }"}`},
		{body: `{"query":"query($n: Int) { a(n: $n) }","variables":{"n":12345678901234567890},"operationName":"Q"}`, accept: "application/json"},
		{body: `{"query":"{ a }"}`, accept: "*/*"},
		{body: `{"query":"{ a }"}`, accept: "application/graphql-response+json"},
		{body: `{"query":"{ a }"}`, accept: "text/html, application/graphql-response+json;q=0.9, application/json"},
		{body: `{"query":"{ a }"}`, accept: "text/html"},
		{body: `{"query":"{ a }"}`, accept: ";;;"},
		{body: `{"query":"{ x }"}`, opErr: gqlerror.List{protocolErr}},
		{body: `{"query":"{ x }"}`, accept: "application/graphql-response+json", opErr: gqlerror.List{protocolErr}},
		{body: `{"query":"{ x }"}`, accept: "application/graphql-response+json", opErr: gqlerror.List{userErr}},
		{body: `{"query": `},
		{body: `[1]`},
		{body: `{"query":"{ a }"} trailing`},
		{body: `{"query":"{ a }"}`, length: -1},
		{body: `{"query":"{ a }"}`, length: 5},
		{body: `{"query":"{ a }"}`, length: 500},
		{body: ``},
	}
	do := func(tr graphql.Transport, exec *cannedExecutor, rq request) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(rq.body))
		if rq.length != 0 {
			r.ContentLength = rq.length
		}
		r.Header.Set("Content-Type", "application/json")
		if rq.accept != "" {
			r.Header.Set("Accept", rq.accept)
		}
		w := httptest.NewRecorder()
		if !tr.Supports(r) {
			t.Fatalf("%T does not support %+v", tr, rq)
		}
		tr.Do(w, r, exec)
		return w
	}
	for _, resp := range responses {
		for _, rq := range requests {
			ours, theirs := &cannedExecutor{resp: resp, opErr: rq.opErr}, &cannedExecutor{resp: resp, opErr: rq.opErr}
			got, want := do(postTransport{}, ours, rq), do(transport.POST{}, theirs, rq)
			if got.Code != want.Code || !reflect.DeepEqual(got.Header(), want.Header()) || got.Body.String() != want.Body.String() {
				t.Errorf("request %+v, response %s:\n got %d %v %s\nwant %d %v %s", rq, resp.Data,
					got.Code, got.Header(), got.Body, want.Code, want.Header(), want.Body)
			}
			if ours.params != nil && (theirs.params == nil || ours.params.Query != theirs.params.Query ||
				!reflect.DeepEqual(ours.params.Variables, theirs.params.Variables) || ours.params.OperationName != theirs.params.OperationName) {
				t.Errorf("request %+v: parameters %+v; want %+v", rq, ours.params, theirs.params)
			}
		}
	}
}

// What the facade answers is compact JSON, escaped as encoding/json
// escapes: the same bytes as encoding/json would write, for responses from
// the upstream, from the cache and with errors.
func TestResponsesAreEncodingJSONs(t *testing.T) {
	s := newStack(t, stackOptions{})
	c := s.customers(1)[0]
	full := strings.ReplaceAll(w5Query, "createdAt updatedAt", "createdAt updatedAt vendorRecord")
	for _, body := range []string{
		string(gqlRequest(full, nil)), // from the upstream
		string(gqlRequest(full, nil)), // from the cache
		string(gqlRequest(`query($e: String) { customer(email: $e) { id displayName vendorRecord } }`, map[string]any{"e": *c.Email})),
		string(gqlRequest(`{ customer(email: "not an email") { id } nope: customer(phone: "x") { id } }`, nil)),
		string(gqlRequest(`{ nothing }`, nil)),
	} {
		r := s.raw(http.MethodPost, "/graphql", strings.NewReader(body))
		want, err := json.Marshal(json.RawMessage(r.body))
		if err != nil || string(r.body) != string(want) {
			t.Errorf("%.60s: the response\n%s\nis not what encoding/json writes (%v):\n%s", body, r.body, err, want)
		}
	}
}

func gqlRequest(query string, vars map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return b
}
