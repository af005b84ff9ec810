package main

import (
	"bytes"
	"encoding/json"

	"github.com/99designs/gqlgen/graphql"

	"customergraph/internal/jsonread"
)

// decodeParams decodes a GraphQL POST body into p as a json.Decoder with
// UseNumber decodes one into graphql.RawParams, and reports whether it
// could; when it could not, p is as it was and the caller decodes the
// body with encoding/json, which gives the result or the error. It takes
// the bodies clients send — an object of query, operationName, variables
// and extensions, once each, its keys as written, followed by nothing but
// white space — and leaves anything else to encoding/json: other
// spellings of the keys, which encoding/json matches case-insensitively,
// a key given twice, whose values encoding/json merges, values of another
// type, keys with escapes.
func decodeParams(body []byte, p *graphql.RawParams) bool {
	r := jsonread.New(body)
	var (
		out  graphql.RawParams
		seen [4]bool
	)
	once := func(i int) bool {
		if seen[i] {
			return false
		}
		seen[i] = true
		return true
	}
	ok := r.Object(func(key []byte) bool {
		switch string(key) {
		case "query":
			return once(0) && r.StrVal(&out.Query)
		case "operationName":
			return once(1) && r.StrVal(&out.OperationName)
		case "variables":
			return once(2) && readMap(&r, &out.Variables)
		case "extensions":
			return once(3) && readMap(&r, &out.Extensions)
		}
		return r.Unknown(key, paramNames)
	})
	if !ok || !r.End() {
		return false
	}
	*p = out
	return true
}

// paramNames are the keys of graphql.RawParams that encoding/json decodes.
var paramNames = []string{"query", "operationName", "variables", "extensions"}

// readMap reads an object into *m, as encoding/json decodes one into a
// map[string]any with UseNumber; null leaves *m as it was.
func readMap(r *jsonread.Reader, m *map[string]any) bool {
	if r.Null() {
		return true
	}
	if r.Next() != '{' {
		return false
	}
	v, ok := readValue(r, 1)
	if ok {
		*m = v.(map[string]any)
	}
	return ok
}

// maxParamsDepth bounds the nesting readValue follows; deeper values are
// left to encoding/json.
const maxParamsDepth = 64

// readValue reads any value as encoding/json decodes one into an any with
// UseNumber: objects as map[string]any (of a key given twice, the last
// value), arrays as []any, numbers as json.Number.
func readValue(r *jsonread.Reader, depth int) (any, bool) {
	if depth > maxParamsDepth {
		return nil, false
	}
	switch r.Next() {
	case '{':
		m := map[string]any{}
		ok := r.Object(func(key []byte) bool {
			v, ok := readValue(r, depth+1)
			m[string(key)] = v
			return ok
		})
		return m, ok
	case '[':
		a := []any{}
		ok := r.Array(func() bool {
			v, ok := readValue(r, depth+1)
			a = append(a, v)
			return ok
		})
		return a, ok
	case '"':
		return r.Str()
	case 't':
		return true, r.Lit("true")
	case 'f':
		return false, r.Lit("false")
	case 'n':
		return nil, r.Lit("null")
	}
	n, ok := r.Number()
	return json.Number(n), ok
}

// decodeParamsStd is what decodeParams stands in for.
func decodeParamsStd(body []byte, p *graphql.RawParams) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	return dec.Decode(p)
}
