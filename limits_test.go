package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"weak"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/introspection"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"customergraph/graph"
	"customergraph/resolvers"
)

// rawResponse is an HTTP response to a hand-made request.
type rawResponse struct {
	status int
	header http.Header
	body   []byte
	errors []gqlError
	took   time.Duration
}

func (r *rawResponse) code() string {
	if len(r.errors) == 0 {
		return ""
	}
	c, _ := r.errors[0].Extensions["code"].(string)
	return c
}

// raw sends a request as given (body may be nil; a body that is not a
// *bytes.Reader or *strings.Reader goes out chunked, without a length)
// as JSON with the test's client key.
func (s *stack) raw(method, target string, body io.Reader) *rawResponse {
	s.t.Helper()
	req, err := http.NewRequest(method, s.url+target, body)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return s.do(req)
}

// do sends req with the test's client key and decodes the errors of the
// response, which must be JSON.
func (s *stack) do(req *http.Request) *rawResponse {
	s.t.Helper()
	req.Header.Set("Authorization", "Bearer "+testKey)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %.80s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	r := &rawResponse{status: resp.StatusCode, header: resp.Header}
	r.body, _ = io.ReadAll(resp.Body)
	r.took = time.Since(start)
	var env struct{ Errors []gqlError }
	if err := json.Unmarshal(r.body, &env); err != nil {
		s.t.Fatalf("%s %.80s: response is not JSON (%d): %.200s", req.Method, req.URL, r.status, r.body)
	}
	r.errors = env.Errors
	return r
}

func postBody(query string) io.Reader {
	b, _ := json.Marshal(map[string]any{"query": query})
	return bytes.NewReader(b)
}

// Documents within the default limits, and some beyond them.
func aliasedTypenames(n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, " a%d: __typename", i)
	}
	b.WriteString(" }")
	return b.String()
}

// w3Shape is the benchmark's W3: 100 aliased lookups of six fields.
func w3Shape() string {
	var b strings.Builder
	b.WriteString("{")
	for i := range 100 {
		fmt.Fprintf(&b, ` a%d: customerByIdentifier(identifier: "CUST-%06d") { id customerNumber displayName email phone status }`, i, i/2+1)
	}
	b.WriteString(" }")
	return b.String()
}

// TestOperationLimits sends the documents the limits exist for through
// the real handler with the default configuration: each is refused with
// its own code, quickly, without an upstream call, and the service goes
// on answering.
func TestOperationLimits(t *testing.T) {
	s := newStack(t, stackOptions{})
	var bomb strings.Builder
	bomb.WriteString("{ ...F0 }")
	for i := range 30 {
		fmt.Fprintf(&bomb, " fragment F%d on Query { ...F%d ...F%d }", i, i+1, i+1)
	}
	bomb.WriteString(" fragment F30 on Query { __typename }")
	fiveMB := `{"query":"{ __typename }","variables":{"pad":"` + strings.Repeat("x", 5<<20) + `"}}`

	tests := []struct {
		name   string
		method string
		target string
		body   func() io.Reader
		status int
		code   string
	}{
		{"a 5 MB body", "POST", "/graphql", func() io.Reader { return strings.NewReader(fiveMB) },
			http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE"},
		{"a 5 MB body of unknown length", "POST", "/graphql", func() io.Reader { return io.MultiReader(strings.NewReader(fiveMB)) },
			http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE"},
		{"a 1 MB query string", "GET", "/graphql?query=" + strings.Repeat("%20", 1<<20/3) + "{__typename}", nil,
			http.StatusRequestURITooLong, "REQUEST_TOO_LARGE"},
		{"100,000 directives", "POST", "/graphql", func() io.Reader { return postBody("{ __typename" + strings.Repeat("@a", 100_000) + " }") },
			http.StatusUnprocessableEntity, "TOKEN_LIMIT_EXCEEDED"},
		{"1,000 nesting levels", "POST", "/graphql", func() io.Reader {
			return postBody("{ " + strings.Repeat("customer { ", 999) + "id" + strings.Repeat(" }", 999) + " }")
		}, http.StatusUnprocessableEntity, "DEPTH_LIMIT_EXCEEDED"},
		{"500 aliases", "POST", "/graphql", func() io.Reader { return postBody(aliasedTypenames(500)) },
			http.StatusUnprocessableEntity, "ALIAS_LIMIT_EXCEEDED"},
		{"1,000 copies of one field", "POST", "/graphql", func() io.Reader {
			return postBody(`{ customer(id: "k1234567890abcdef") { ` + strings.Repeat("email ", 1000) + `} }`)
		}, http.StatusUnprocessableEntity, "FIELD_REPEAT_LIMIT_EXCEEDED"},
		{"160 root fields", "POST", "/graphql", func() io.Reader {
			return postBody("{" + strings.Repeat(" __typename", 20) + strings.TrimPrefix(aliasedTypenames(140), "{"))
		}, http.StatusUnprocessableEntity, "ROOT_FIELD_LIMIT_EXCEEDED"},
		{"a fragment bomb", "POST", "/graphql", func() io.Reader { return postBody(bomb.String()) },
			http.StatusUnprocessableEntity, "FIELD_LIMIT_EXCEEDED"},
		{"customers(first: 100000)", "POST", "/graphql", func() io.Reader { return postBody(`{ customers(first: 100000) { nodes { id email } } }`) },
			http.StatusUnprocessableEntity, "COMPLEXITY_LIMIT_EXCEEDED"},
	}
	s.resetStats()
	for _, tt := range tests {
		var body io.Reader
		if tt.body != nil {
			body = tt.body()
		}
		r := s.raw(tt.method, tt.target, body)
		if r.status != tt.status || r.code() != tt.code || len(r.errors) != 1 {
			t.Errorf("%s: %d %.300s; want %d with one error %s", tt.name, r.status, r.body, tt.status, tt.code)
		} else if msg := r.errors[0].Message; len(msg) < 20 || len(msg) > 300 {
			t.Errorf("%s: message %q; want a short explanation", tt.name, msg)
		}
		t.Logf("%s: %d %s in %v", tt.name, r.status, r.code(), r.took.Round(time.Microsecond))
		if r.took > 2*time.Second {
			t.Errorf("%s: answered in %v; want well under a second", tt.name, r.took)
		}
	}
	if got := s.stats(); got.Total != 0 {
		t.Errorf("refused requests cost %+v upstream calls; want none", got)
	}
	// The service is alive and answers documents within the limits: the
	// benchmark's W3 and W5 (w5Query, from bench_test.go), and GraphiQL's
	// introspection query.
	var one struct{ Customer struct{ Email string } }
	s.query(`{ customer(customerNumber: "CUST-000001") { email } }`, nil, &one)
	if one.Customer.Email != "john@example.com" {
		t.Errorf("after the refusals, a lookup found %+v", one)
	}
	for name, q := range map[string]string{"W3": w3Shape(), "W5": w5Query, "introspection": introspection.Query} {
		if r := s.post(q, nil); len(r.Errors) != 0 || r.Status != http.StatusOK {
			t.Errorf("%s: %d %+v; want an answer", name, r.Status, r.Errors)
		}
	}
}

// TestLimitsConfigurable: each limit follows its variable, and a repeated
// query is refused every time (a refusal is never cached as a pass).
func TestLimitsConfigurable(t *testing.T) {
	s := newStack(t, stackOptions{redisAddr: "memory", env: map[string]string{
		"MAX_BODY_BYTES": "2048", "MAX_DEPTH": "3", "MAX_ALIASES": "2", "MAX_ROOT_FIELDS": "3",
		"MAX_FIELDS": "8", "MAX_FIELD_REPEATS": "2", "PARSER_TOKEN_LIMIT": "100",
	}})
	tests := []struct {
		query string
		code  string
	}{
		{`{ a: __typename b: __typename }`, ""},
		{`{ a: __typename b: __typename c: __typename }`, "ALIAS_LIMIT_EXCEEDED"},
		{`{ customers { nodes { id } } }`, ""},
		{`{ customers { nodes { address { city } } } }`, "DEPTH_LIMIT_EXCEEDED"},
		{`{ __typename __typename }`, ""},
		{`{ __typename __typename __typename }`, "FIELD_REPEAT_LIMIT_EXCEEDED"},
		{`{ __typename a: __typename customers { nodes { id } } }`, ""},
		{`{ __typename a: __typename customers { nodes { id } } b: __typename }`, "ROOT_FIELD_LIMIT_EXCEEDED"},
		{`{ customers { nodes { id email phone status createdAt updatedAt } } }`, ""},
		{`{ customers { nodes { id email phone status createdAt updatedAt source } } }`, "FIELD_LIMIT_EXCEEDED"},
		{`{ __typename ` + strings.Repeat("@a", 100) + ` }`, "TOKEN_LIMIT_EXCEEDED"},
		{`{ __typename } # ` + strings.Repeat("x", 2048), "REQUEST_TOO_LARGE"},
	}
	for _, tt := range tests {
		for range 2 {
			r := s.raw("POST", "/graphql", postBody(tt.query))
			if r.code() != tt.code {
				t.Errorf("%.60s: %d %.200s; want code %q", tt.query, r.status, r.body, tt.code)
				break
			}
		}
	}
	r := s.raw("POST", "/graphql", postBody(`{ customers { nodes { address { city } } } }`))
	if len(r.errors) == 1 {
		e := r.errors[0]
		if e.Extensions["limit"] != float64(3) || !strings.Contains(e.Message, "3") {
			t.Errorf("depth error %+v; want the limit 3 in its message and extensions", e)
		}
	}
}

func TestLimitsConfigErrors(t *testing.T) {
	for env, want := range map[string]string{
		"MAX_BODY_BYTES": "100", "MAX_DEPTH": "1", "MAX_ALIASES": "-1", "MAX_ROOT_FIELDS": "0",
		"MAX_FIELDS": "lots", "MAX_FIELD_REPEATS": "0",
	} {
		_, err := loadConfig(func(k string) string {
			if k == env {
				return want
			}
			return ""
		})
		if err == nil || !strings.Contains(err.Error(), env) {
			t.Errorf("%s=%s: error %v; want one naming it", env, want, err)
		}
	}
	c, err := loadConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxBodyBytes != 256<<10 || c.MaxDepth != 10 || c.MaxAliases != 150 || c.MaxRootFields != 150 ||
		c.MaxFields != 2000 || c.MaxFieldRepeats != 20 {
		t.Errorf("limit defaults = %+v", c)
	}
}

// TestSuggestionsFollowIntrospection: with introspection off, validation
// errors do not reveal the schema's names by suggesting them.
func TestSuggestionsFollowIntrospection(t *testing.T) {
	const q = `{ customers(frist: 1, status: ACTIV) { nodes { emal } } }`
	on := newStack(t, stackOptions{redisAddr: "memory"})
	r := on.post(q, nil)
	if len(r.Errors) < 3 || !strings.Contains(fmt.Sprint(r.Errors), "Did you mean") {
		t.Fatalf("introspection on: errors %+v; want three, with suggestions", r.Errors)
	}
	off := newStack(t, stackOptions{redisAddr: "memory", env: map[string]string{"INTROSPECTION": "false"}})
	r = off.post(q, nil)
	if len(r.Errors) < 3 {
		t.Fatalf("introspection off: errors %+v; want three", r.Errors)
	}
	for _, e := range r.Errors {
		if strings.Contains(e.Message, "Did you mean") || strings.Contains(e.Message, "ACTIVE") ||
			strings.Contains(e.Message, `"first"`) || strings.Contains(e.Message, `"email"`) {
			t.Errorf("introspection off: %q suggests a name", e.Message)
		}
		if e.Extensions["code"] != "GRAPHQL_VALIDATION_FAILED" {
			t.Errorf("introspection off: %q has code %v", e.Message, e.Extensions["code"])
		}
	}
}

// TestGETNeverMutates: a mutation sent with GET is refused with 405 and
// a code, and never reaches the upstream.
func TestGETNeverMutates(t *testing.T) {
	s := newStack(t, stackOptions{redisAddr: "memory"})
	const mutation = `mutation { updateCustomer(id: "k1234567890abcdef", input: {notes: "x"}) { customer { id } } }`
	get := func(query, op string) *rawResponse {
		v := url.Values{"query": {query}}
		if op != "" {
			v.Set("operationName", op)
		}
		return s.raw("GET", "/graphql?"+v.Encode(), nil)
	}
	s.resetStats()
	r := get(mutation, "")
	if r.status != http.StatusMethodNotAllowed || r.code() != "METHOD_NOT_ALLOWED" || r.header.Get("Allow") != "POST" {
		t.Errorf("GET mutation: %d %s (Allow %q); want 405 METHOD_NOT_ALLOWED, Allow: POST", r.status, r.body, r.header.Get("Allow"))
	}
	// The operation GET would run decides, not the document's other ones.
	both := `query Q { __typename } ` + mutation[:len("mutation")] + " M" + mutation[len("mutation"):]
	if r := get(both, "M"); r.status != http.StatusMethodNotAllowed {
		t.Errorf("GET of a document's mutation: %d %s; want 405", r.status, r.body)
	}
	if r := get(both, "Q"); r.status != http.StatusOK || len(r.errors) != 0 {
		t.Errorf("GET of a document's query: %d %s; want it answered", r.status, r.body)
	}
	// Spelled so that the keyword is not visible in the query string.
	r = s.raw("GET", "/graphql?query=%6Dutation"+url.QueryEscape(mutation[len("mutation"):]), nil)
	if r.status != http.StatusMethodNotAllowed {
		t.Errorf("GET of an escaped mutation: %d %s; want 405", r.status, r.body)
	}
	// A GET that does not decode is the client's error, with a code.
	for _, q := range []string{"query=%zz", "query={__typename}&variables=[1]", "query={__typename}&extensions=x", "a=1;b=2"} {
		if r := s.raw("GET", "/graphql?"+q, nil); r.status != http.StatusBadRequest || r.code() != "BAD_REQUEST" {
			t.Errorf("GET ?%s: %d %s; want 400 BAD_REQUEST", q, r.status, r.body)
		}
	}
	if got := s.stats(); got.Patch != 0 || got.Total != 0 {
		t.Errorf("GET mutations cost %+v upstream calls; want none", got)
	}
	// The same mutation over POST runs.
	if r := s.post(mutation, nil); len(r.Errors) != 0 {
		t.Errorf("POST mutation: errors %+v", r.Errors)
	}
}

// TestMalformedRequests: a body that is not a GraphQL request is the
// client's error, with a code, and no copy of the body in the message.
func TestMalformedRequests(t *testing.T) {
	s := newStack(t, stackOptions{redisAddr: "memory"})
	for _, body := range []string{`{"query": `, `[]`, `"x"`, `{"query": 5}`, `{"variables": "x"}`, strings.Repeat("secret ", 100)} {
		r := s.raw("POST", "/graphql", strings.NewReader(body))
		if r.status != http.StatusBadRequest && r.status != http.StatusUnprocessableEntity {
			t.Errorf("%.30q: status %d; want 400 or 422", body, r.status)
		}
		if c := r.code(); c != "BAD_REQUEST" && c != "GRAPHQL_VALIDATION_FAILED" {
			t.Errorf("%.30q: %s; want BAD_REQUEST", body, r.body)
		}
		if strings.Contains(string(r.body), "secret secret") {
			t.Errorf("%.30q: the response repeats the body: %s", body, r.body)
		}
	}
	// Not JSON, or not GET or POST: refused with a code too.
	req, _ := http.NewRequest(http.MethodPost, s.url+"/graphql", strings.NewReader("query={__typename}"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if r := s.do(req); r.status != http.StatusUnsupportedMediaType || r.code() != "BAD_REQUEST" {
		t.Errorf("form POST: %d %s; want 415 BAD_REQUEST", r.status, r.body)
	}
	req, _ = http.NewRequest(http.MethodPost, s.url+"/graphql", strings.NewReader(`{"query":"{__typename}"}`))
	req.Header.Set("Content-Type", "Application/JSON; charset=UTF-8")
	if r := s.do(req); r.status != http.StatusOK || len(r.errors) != 0 {
		t.Errorf("POST as Application/JSON; charset=UTF-8: %d %s; want it answered", r.status, r.body)
	}
	for _, method := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch} {
		r := s.raw(method, "/graphql", strings.NewReader(`{"query":"{__typename}"}`))
		if r.status != http.StatusMethodNotAllowed || r.code() != "METHOD_NOT_ALLOWED" || r.header.Get("Allow") == "" {
			t.Errorf("%s: %d %s; want 405 METHOD_NOT_ALLOWED with Allow", method, r.status, r.body)
		}
	}
	if strings.Contains(s.logs.String(), "unexpected resolver error") {
		t.Errorf("malformed requests were logged as unexpected errors:\n%s", s.logs)
	}
}

// TestMisshapenBodies: a body whose JSON has the wrong shape is answered
// BAD_REQUEST in the client's terms, naming neither Go types nor the
// body, at no upstream cost.
func TestMisshapenBodies(t *testing.T) {
	s := newStack(t, stackOptions{redisAddr: "memory"})
	tests := []struct {
		body string
		want string // in the message
	}{
		{`[{"query":"{ __typename }"}]`, "batched operations are not supported"},
		{`"{ __typename }"`, "must be a JSON object"},
		{`42`, "not a number"},
		{`{"query":5}`, `"query" must be a string, not a number`},
		{`{"query":"{ __typename }","variables":[1]}`, `"variables" must be a JSON object, not an array`},
		{`{"query":"{ __typename }","extensions":"x"}`, `"extensions" must be a JSON object, not a string`},
		{`{"query":"{ __typename }","operationName":true}`, `"operationName" must be a string, not a boolean`},
	}
	for _, tt := range tests {
		r := s.raw(http.MethodPost, "/graphql", strings.NewReader(tt.body))
		if len(r.errors) != 1 || r.code() != "BAD_REQUEST" {
			t.Errorf("%s: got %d %s; want one BAD_REQUEST error", tt.body, r.status, r.body)
			continue
		}
		msg := r.errors[0].Message
		if !strings.Contains(msg, tt.want) {
			t.Errorf("%s: got message %q; want it to say %q", tt.body, msg, tt.want)
		}
		for _, internal := range []string{"Go ", "RawParams", "graphql.", "map[", "interface"} {
			if strings.Contains(msg, internal) {
				t.Errorf("%s: message %q names %q", tt.body, msg, internal)
			}
		}
	}
	if got := s.stats(); got.Total != 0 {
		t.Errorf("misshapen bodies cost %d upstream calls; want 0", got.Total)
	}
}

// The complexity remembered for an operation is what the limit computes,
// and what admission reads; an operation whose variables reach an
// argument the complexity functions read is priced each time.
func TestCachedComplexityIsTheLimits(t *testing.T) {
	cfg := graph.Config{Resolvers: &resolvers.Resolver{}}
	reads := price(&cfg.Complexity)
	es := graph.NewExecutableSchema(cfg)
	inner := extension.FixedComplexityLimit(100_000)
	price := func(ext graphql.OperationContextMutator, doc *ast.QueryDocument, vars map[string]any) *extension.ComplexityStats {
		t.Helper()
		oc := &graphql.OperationContext{Doc: doc, Variables: vars, Stats: graphql.Stats{}}
		if err := ext.MutateOperationContext(context.Background(), oc); err != nil {
			t.Fatal(err)
		}
		ctx := graphql.WithOperationContext(context.Background(), oc)
		return extension.GetComplexityStats(ctx)
	}
	for _, tc := range []struct {
		name     string
		reads    map[string][]string // nil: what price says
		query    string
		remember bool
	}{
		{name: "no variables", query: `{ customers(first: 37) { nodes { id email emails { address } } pageInfo { endCursor } } }`, remember: true},
		{name: "no variables, two lookups", query: `{ a: customer(email: "a@example.com") { id } b: customerByIdentifier(identifier: "x") { id phones { number } } }`, remember: true},
		{name: "page size by variable", query: `query($n: Int) { customers(first: $n) { nodes { id } } }`},
		{name: "page size by variable, in a fragment", query: `query($n: Int) { ...page } fragment page on Query { customers(first: $n) { nodes { id } } }`},
		{name: "page size by variable, in an inline fragment", query: `query($n: Int) { ... on Query { customers(first: $n) { nodes { id } } } }`},
		{name: "lookup by variable", query: `query($e: String) { customer(email: $e) { id } customers(first: 3, search: $e) { nodes { id } } }`, remember: true},
		{name: "variables priced by no function", query: `query($e: String) { customers(first: 5, search: $e) { nodes { id } } x: customers(first: 9) { pageInfo { hasNextPage } } }`, remember: true},
		{name: "a variable inside an object read",
			reads: map[string][]string{"Query.customers": {"parameter"}},
			query: `query($e: String) { customers(first: 4, parameter: { name: "Tier", value: $e }) { nodes { id } } }`},
		{name: "the same, not read",
			reads: map[string][]string{"Query.customers": {"first"}},
			query: `query($e: String) { customers(first: 4, parameter: { name: "Tier", value: $e }) { nodes { id } } }`, remember: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := reads
			if tc.reads != nil {
				r = tc.reads
			}
			c := newCachedComplexity(inner, 10, r)
			if err := c.Validate(es); err != nil {
				t.Fatal(err)
			}
			doc, errs := gqlparser.LoadQueryWithRules(es.Schema(), tc.query, nil)
			if errs != nil {
				t.Fatal(errs)
			}
			// A different page size each time: a remembered price of a
			// query that reads it would be wrong the second time.
			for _, n := range []int{20, 300, 7} {
				vars := map[string]any{"n": n, "e": fmt.Sprint("v", n)}
				want := price(inner, doc, vars)
				if got := price(c, doc, vars); *got != *want {
					t.Errorf("n=%d: stats %+v; want %+v", n, *got, *want)
				}
			}
			p, _ := c.known.Get(weak.Make(doc.Operations[0]))
			if p.priced != tc.remember {
				t.Errorf("priced once: %v; want %v", p.priced, tc.remember)
			}
		})
	}
}

// price names every field it gives a complexity function, with the
// arguments that function reads; it reads no other: varying any other
// argument leaves the price as it was, and varying one it names changes it.
func TestPriceNamesWhatItReads(t *testing.T) {
	cfg := graph.Config{Resolvers: &resolvers.Resolver{}}
	reads := price(&cfg.Complexity)
	es := graph.NewExecutableSchema(cfg)
	schema := es.Schema()
	set := map[string]bool{}
	root := reflect.ValueOf(cfg.Complexity)
	for i := range root.NumField() {
		typ := root.Type().Field(i).Name
		for j := range root.Field(i).NumField() {
			if f := root.Field(i).Field(j); f.Kind() == reflect.Func && !f.IsNil() {
				name := root.Field(i).Type().Field(j).Name
				set[typ+"."+strings.ToLower(name[:1])+name[1:]] = true
			}
		}
	}
	for field := range set {
		if _, ok := reads[field]; !ok {
			t.Errorf("%s has a complexity function; price does not say what it reads", field)
		}
	}
	samples := map[string][]any{"String": {nil, "a", "a much longer value"}, "Int": {nil, 1, 500}, "ID": {nil, "1", "2"}}
	for field, read := range reads {
		if !set[field] {
			t.Errorf("price names %s, which has no complexity function", field)
			continue
		}
		typ, name, _ := strings.Cut(field, ".")
		def := schema.Types[typ].Fields.ForName(name)
		for _, arg := range read {
			if def.Arguments.ForName(arg) == nil {
				t.Errorf("%s: price reads argument %q, which it does not have", field, arg)
			}
		}
		for _, arg := range def.Arguments {
			values := samples[arg.Type.Name()]
			if arg.Type.Elem != nil || values == nil {
				continue // a list or an input object: no sample values
			}
			var prices []int
			for _, v := range values {
				args := map[string]any{}
				if v != nil {
					args[arg.Name] = v
				}
				n, ok := es.Complexity(context.Background(), typ, name, 3, args)
				if !ok {
					t.Fatalf("%s(%s: %v): not priced", field, arg.Name, v)
				}
				prices = append(prices, n)
			}
			varies := slices.Min(prices) != slices.Max(prices)
			if named := slices.Contains(read, arg.Name); varies != named {
				t.Errorf("%s(%s:) prices %v over %v; price names it as read: %v", field, arg.Name, prices, values, named)
			}
		}
	}
}

// An interface's field is priced by each type's function, so the price
// of any type reading an argument makes a variable there count.
func TestReadsVariablesOfAnInterface(t *testing.T) {
	c := cachedComplexity{reads: map[string][]string{"Customer.things": {"first"}}}
	field := func(kind ast.DefinitionKind, arg string) ast.SelectionSet {
		return ast.SelectionSet{&ast.Field{
			Name:             "things",
			ObjectDefinition: &ast.Definition{Name: "Node", Kind: kind},
			Arguments:        ast.ArgumentList{{Name: arg, Value: &ast.Value{Kind: ast.Variable, Raw: "n"}}},
		}}
	}
	for _, tc := range []struct {
		kind ast.DefinitionKind
		arg  string
		want bool
	}{
		{ast.Interface, "first", true},
		{ast.Union, "first", true},
		{ast.Interface, "last", false},
		{ast.Object, "first", false}, // Node.things is priced by no function
	} {
		if got := c.readsVariables(field(tc.kind, tc.arg), map[*ast.FragmentDefinition]bool{}); got != tc.want {
			t.Errorf("%s field, $n as %s: reads variables %v; want %v", tc.kind, tc.arg, got, tc.want)
		}
	}
}
