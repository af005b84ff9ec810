package querylimit

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/introspection"
)

// defaults are the service's default limits.
var defaults = Limits{Tokens: 5000, Depth: 10, Aliases: 150, RootFields: 150, Fields: 2000, FieldRepeats: 20}

// names returns n distinct field names.
func names(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, " f%d", i)
	}
	return b.String()
}

// aliases returns n aliased __typename fields: 3 tokens each.
func aliases(n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, " a%d: __typename", i)
	}
	b.WriteString(" }")
	return b.String()
}

// lookups returns n aliased customerByIdentifier lookups of six fields
// each: the shape of the benchmark's W3 at n = 100.
func lookups(n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, ` a%d: customerByIdentifier(identifier: "CUST-%06d") { id customerNumber displayName email phone status }`, i, i)
	}
	b.WriteString(" }")
	return b.String()
}

// fullPage is the benchmark's W5: a page of 100 with every field.
const fullPage = `{ customers(first: 100) { nodes { id customerNumber firstName lastName displayName ` +
	`email emails { address isPrimary } phone phones { number isPrimary } profilePhoto status source ` +
	`marketingOptIn smsOptIn dateOfBirth address { line1 line2 city state postalCode country } tags notes ` +
	`preferredLocationId companyId loyaltyPoints totalOrders totalSpent averageOrderValue lifetimeValue ` +
	`lastOrderAt lastActivityAt createdAt updatedAt } } }`

// nest returns a selection nested n fields deep: { a { a { … } } }.
func nest(n int) string {
	return "{ " + strings.Repeat("a { ", n-1) + "a" + strings.Repeat(" }", n-1) + " }"
}

// bomb returns a document whose fragments double what they select at
// each of n levels: 2^n fields from a few hundred bytes.
func bomb(n int) string {
	var b strings.Builder
	b.WriteString("{ ...F0 }")
	for i := range n {
		fmt.Fprintf(&b, " fragment F%d on Query { ...F%d ...F%d }", i, i+1, i+1)
	}
	fmt.Fprintf(&b, " fragment F%d on Query { __typename }", n)
	return b.String()
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name  string
		query string
		lim   Limits // zero: defaults
		want  Kind   // 0: within the limits
	}{
		{"typename", `{ __typename }`, Limits{}, 0},
		{"W3: 100 aliased lookups", lookups(100), Limits{}, 0},
		{"150 aliased lookups", lookups(150), Limits{}, 0},
		{"W5: a page with every field", fullPage, Limits{}, 0},
		{"GraphiQL's introspection query", introspection.Query, Limits{}, 0},
		{"syntax error is not a limit", `{ customer(`, Limits{}, 0},
		{"empty document", ``, Limits{}, 0},
		{"fragment cycle is left to validation", `{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }`, Limits{}, 0},
		{"unknown fragment is left to validation", `{ ...Nowhere }`, Limits{}, 0},
		{"a fragment spread twice", `{ c: customer { ...F } d: customer { ...F } } fragment F on Customer { id email }`, Limits{}, 0},

		{"100,000 directives", `{ __typename` + strings.Repeat("@a", 100_000) + ` }`, Limits{}, Tokens},
		{"tokens at the limit", `{` + names(97) + ` }`, Limits{Tokens: 99}, 0},
		{"tokens over the limit", `{` + names(98) + ` }`, Limits{Tokens: 99}, Tokens},
		{"500 aliased lookups", lookups(500), Limits{}, Tokens},
		{"comments count as tokens", "{ a #1\n#2\n}", Limits{Tokens: 4}, Tokens},

		{"depth 10", nest(10), Limits{}, 0},
		{"depth 11", nest(11), Limits{}, Depth},
		{"1,000 nesting levels", nest(1000), Limits{}, Depth},
		{"more levels than the parser allows", nest(5000), Limits{Tokens: 100_000}, Depth},
		{"depth through fragments", `{ a { ...F } } fragment F on T { b { ...G } } fragment G on T { c { d } }`, Limits{Depth: 3}, Depth},
		{"depth through fragments within the limit", `{ a { ...F } } fragment F on T { b { ...G } } fragment G on T { c }`, Limits{Depth: 3}, 0},
		{"depth through inline fragments", `{ a { ... on T { b { ... { c { d } } } } } }`, Limits{Depth: 3}, Depth},
		{"introspection is exempt from depth", `{ __schema { types { fields { type { ofType { ofType { name } } } } } } }`, Limits{Depth: 2}, 0},
		{"but only introspection", `{ __schema { types { name } } customer { address { city } } }`, Limits{Depth: 2}, Depth},
		{"a fragment spreading itself below its root", `{ a { ...F } } fragment F on T { a { ...F } }`, Limits{}, Depth},
		{"a self-spreading fragment under introspection", `{ __schema { types { ...T } } } fragment T on __Type { fields { type { ...T } } }`, Limits{}, Depth},
		{"a self-spreading fragment under introspection, more fields allowed", `{ __schema { types { ...T } } } fragment T on __Type { fields { type { ...T } } }`, Limits{Fields: 1 << 30}, Depth},
		{"a self-spreading fragment, no limit in reach", `{ a { ...F } } fragment F on T { a { ...F } }`, Limits{Depth: 1 << 30, Fields: 1 << 30}, Depth},

		{"500 aliases", aliases(500), Limits{}, Aliases},
		{"151 aliases", lookups(151), Limits{RootFields: 1000}, Aliases},
		{"no aliases allowed", `{ a: __typename }`, Limits{Aliases: -1}, Aliases},
		{"an alias that is the name is none", `{ id: id }`, Limits{Aliases: -1}, 0},
		{"aliases counted after expanding fragments", `{ a { ...F } b { ...F } } fragment F on T { x: id y: id }`, Limits{Aliases: 3}, Aliases},

		{"151 root fields", lookups(151), Limits{Aliases: 1000}, RootFields},
		{"root fields through fragments", `{ a ...F ... { d } } fragment F on Query { b c }`, Limits{RootFields: 3}, RootFields},
		{"nested fields are not root fields", `{ a { b c d e } }`, Limits{RootFields: 1}, 0},

		{"fields at the limit", `{ a b c { d e } }`, Limits{Fields: 5}, 0},
		{"fields over the limit", `{ a b c { d e f } }`, Limits{Fields: 5}, Fields},
		{"fragment spreads count", `{ ...F ...F } fragment F on Query { a }`, Limits{Fields: 3}, Fields},
		{"a fragment bomb", bomb(40), Limits{}, Fields},
		{"a fragment bomb in a fragment no one uses", `{ a }` + strings.TrimPrefix(bomb(40), "{ ...F0 }"), Limits{}, Fields},

		{"1,000 copies of one field", `{ ` + strings.Repeat("__typename ", 1000) + `}`, Limits{}, FieldRepeats},
		{"1,000 copies of a nested field", `{ customer { ` + strings.Repeat("id ", 1000) + `} }`, Limits{}, FieldRepeats},
		{"20 copies of one field", `{ ` + strings.Repeat("id ", 20) + `}`, Limits{}, 0},
		{"21 copies of one field", `{ ` + strings.Repeat("id ", 21) + `}`, Limits{}, FieldRepeats},
		{"copies through fragments", `{ id ...F ... on Query { id } } fragment F on Query { id }`, Limits{FieldRepeats: 2}, FieldRepeats},
		{"copies under one alias", `{ x: a x: b x: c }`, Limits{FieldRepeats: 2}, FieldRepeats},
		{"copies in sibling selection sets are separate", `{ a { id id } b { id id } }`, Limits{FieldRepeats: 2}, 0},
		{"copies in a fragment no one uses", `{ a } fragment F on Query { ` + strings.Repeat("b ", 1000) + `}`, Limits{}, FieldRepeats},
		{"copies in the second fragment of a name", `{ ...F } fragment F on Query { a } fragment F on Query { ` + strings.Repeat("b ", 1000) + `}`, Limits{}, FieldRepeats},
		{"copies in a second operation", `query A { a } query B { ` + strings.Repeat("b ", 1000) + `}`, Limits{}, FieldRepeats},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lim := defaults
			for p, v := range map[*int]int{&lim.Tokens: tt.lim.Tokens, &lim.Depth: tt.lim.Depth,
				&lim.Aliases: tt.lim.Aliases, &lim.RootFields: tt.lim.RootFields, &lim.Fields: tt.lim.Fields,
				&lim.FieldRepeats: tt.lim.FieldRepeats} {
				if v == -1 {
					*p = 0
				} else if v != 0 {
					*p = v
				}
			}
			start := time.Now()
			v := lim.Check(tt.query)
			if took := time.Since(start); took > time.Second {
				t.Errorf("Check took %v", took)
			}
			switch {
			case tt.want == 0 && v != nil:
				t.Fatalf("Check = %v (%v); want no violation", v.Kind, v)
			case tt.want != 0 && v == nil:
				t.Fatalf("Check = nil; want a %v violation", tt.want)
			case tt.want != 0 && v.Kind != tt.want:
				t.Fatalf("Check = %v (%v); want a %v violation", v.Kind, v, tt.want)
			}
			if v != nil && (v.Message == "" || !strings.Contains(v.Message, fmt.Sprint(v.Limit)) && v.Kind != Depth) {
				t.Errorf("message %q does not state the limit %d", v.Message, v.Limit)
			}
		})
	}
}

func TestViolationPosition(t *testing.T) {
	v := defaults.Check("{\n  a\n  b { c { d { e { f { g { h { i { j { k { l } } } } } } } } } }\n}")
	if v == nil || v.Kind != Depth {
		t.Fatalf("Check = %v; want a depth violation", v)
	}
	if v.Pos == nil || v.Pos.Line != 3 || v.Pos.Column != 43 {
		t.Errorf("position = %+v; want line 3, column 43 (the field l)", v.Pos)
	}
	if v := defaults.Check(`{ ` + strings.Repeat("a ", 21) + `}`); v == nil || v.Pos == nil || v.Pos.Column != 43 {
		t.Errorf("repeat violation %+v; want it at the 21st a (column 43)", v)
	}
	v = defaults.Check(nest(1001))
	if v == nil || v.Kind != Depth || !strings.Contains(v.Message, "1000 levels") {
		t.Errorf("Check(1,001 levels) = %+v; want a depth violation naming the parser's bound", v)
	}
}

// TestCheckIsBounded checks that documents that would expand without
// bound, or make a naive walk quadratic, are checked in time bounded by
// the limits: work is counted as the walk goes and stops at the first
// limit exceeded.
func TestCheckIsBounded(t *testing.T) {
	chain := func(spreads, links int) string {
		var b strings.Builder
		b.WriteString("{ ")
		b.WriteString(strings.Repeat("...C0 ", spreads))
		b.WriteString("}")
		for i := range links {
			fmt.Fprintf(&b, " fragment C%d on Query { ...C%d }", i, i+1)
		}
		fmt.Fprintf(&b, " fragment C%d on Query { a }", links)
		return b.String()
	}
	lim := defaults
	lim.Tokens = 0 // unlimited: the walk alone must stay bounded
	for name, q := range map[string]string{
		"bomb of 60 levels":             bomb(60),
		"1,000 spreads of a long chain": chain(1000, 1000),
	} {
		start := time.Now()
		v := lim.Check(q)
		if took := time.Since(start); took > time.Second {
			t.Errorf("%s: Check took %v", name, took)
		}
		if v == nil {
			t.Errorf("%s: no violation", name)
		}
	}
}

// TestManyOperations: validation walks a fragment once for every
// operation that spreads it (and reports its errors once for each), so
// selections are counted over the whole document.
func TestManyOperations(t *testing.T) {
	q := strings.Repeat("query{c{...F}}", 300) + "fragment F on C {" + names(100) + " }"
	if v := defaults.Check(q); v == nil || v.Kind != Fields {
		t.Fatalf("Check(300 operations spreading 100 fields) = %v; want a fields violation", v)
	}
	q = `query A { a { ...F } } query B { b { ...F } } fragment F on T {` + names(900) + ` }`
	if v := defaults.Check(q); v != nil {
		t.Fatalf("Check(2 operations spreading 900 fields) = %v; want none", v)
	}
}

func BenchmarkCheck(b *testing.B) {
	for name, q := range map[string]string{
		"typename":   `{ __typename }`,
		"W3":         lookups(100),
		"W5":         fullPage,
		"copies1000": `{ ` + strings.Repeat("__typename ", 1000) + `}`,
		"bomb":       bomb(40),
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				defaults.Check(q)
			}
		})
	}
}

// FuzzCheck: any document is checked without a panic and in bounded
// time; a violation names its limit; with limits no document can reach,
// only the parser's own nesting bound is reported.
//
//	go test ./internal/querylimit -run '^$' -fuzz FuzzCheck -fuzztime 60s
func FuzzCheck(f *testing.F) {
	for _, q := range []string{
		`{ __typename }`, lookups(3), fullPage, nest(12), bomb(12), aliases(3),
		`{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }`,
		`{ a { ...F } } fragment F on T { a { ...F } }`,
		`query A { a } query B { b } fragment F on Q { c ...G } fragment G on Q { ... on Q { d } }`,
		`{ a(x: [[[1]]], y: {z: {w: $v}}) @d(e: 1) }`, `{ customer(`, `}{`, "",
	} {
		f.Add(q)
	}
	small := Limits{Tokens: 500, Depth: 4, Aliases: 3, RootFields: 5, Fields: 30, FieldRepeats: 2}
	huge := Limits{Tokens: 1 << 30, Depth: 1 << 30, Aliases: 1 << 30, RootFields: 1 << 30, Fields: 1 << 30, FieldRepeats: 1 << 30}
	limitOf := map[Kind]int{Tokens: small.Tokens, Depth: small.Depth, Aliases: small.Aliases,
		RootFields: small.RootFields, Fields: small.Fields, FieldRepeats: small.FieldRepeats}
	f.Fuzz(func(t *testing.T, q string) {
		if v := small.Check(q); v != nil {
			if want, ok := limitOf[v.Kind]; !ok || v.Limit != want || v.Message == "" || v.Error() != v.Message {
				t.Fatalf("Check(%q) = %+v; want a known kind with its limit and a message", q, v)
			}
		}
		if v := huge.Check(q); v != nil && !(v.Kind == Depth && v.Limit == 1<<30 && strings.Contains(v.Message, "1000 levels") ||
			v.Kind == Depth && v.Limit == 1000) {
			t.Fatalf("Check(%q) with unreachable limits = %+v", q, v)
		}
	})
}
