package cache

import (
	"encoding/hex"
	"strings"
	"testing"
)

func TestKeyspace(t *testing.T) {
	ks := NewKeyspace("tenant1")
	tests := []struct {
		got, want string
		tag       string // what Redis Cluster hashes for the slot: "" for the whole key
	}{
		{ks.Customer("42"), "cg:v5:{}:tenant1:c:42", ""},
		{ks.Customer(""), "cg:v5:{}:tenant1:c:", ""},
		{ks.Alias("email", "ada@example.com"), "cg:v5:{}:tenant1:a:email:ada@example.com", ""},
		{ks.Alias("email", "a{b}c@example.com"), "cg:v5:{}:tenant1:a:email:a{b}c@example.com", ""},
		{ks.Alias("phone", "+44 20 7946 0000"), "cg:v5:{}:tenant1:a:phone:+44 20 7946 0000", ""},
		{ks.Alias("number", "C-1:2"), "cg:v5:{}:tenant1:a:number:C-1:2", ""},
		{ks.Limit("budget"), "cg:limits:{tenant1}:budget", "tenant1"},
		{ks.Limit("budget:client"), "cg:limits:{tenant1}:budget:client", "tenant1"},
		{ks.PersistedQuery("ab12"), "cg:v5:{tenant1}:q:ab12", "tenant1"},
		{ks.PersistedQueryIndex(), "cg:v5:{tenant1}:qi", "tenant1"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("key %q; want %q", tt.got, tt.want)
		}
		want := tt.tag
		if want == "" {
			want = tt.got
		}
		if !ks.Owns(tt.got) || NewKeyspace("tenant2").Owns(tt.got) || NewKeyspace("tenant").Owns(tt.got) {
			t.Errorf("key %q: owned by tenant1 %v, tenant2 %v, tenant %v; want tenant1 only", tt.got, ks.Owns(tt.got), NewKeyspace("tenant2").Owns(tt.got), NewKeyspace("tenant").Owns(tt.got))
		}
		if tag := hashTag(tt.got); tag != want {
			t.Errorf("key %q hashes %q for its slot; want %q", tt.got, tag, want)
		}
	}
	if ks.Customer("1") == ks.Alias("c", "1") || ks.Limit("x") == ks.Customer("x") || ks.Customer("1") == NewKeyspace("tenant2").Customer("1") ||
		ks.PersistedQuery("i") == ks.PersistedQueryIndex() || ks.Limit("budget") == NewKeyspace("tenant2").Limit("budget") {
		t.Error("keys collide")
	}
}

// hashTag returns what Redis Cluster hashes to choose a key's slot: the
// text between the first '{' and the next '}', if not empty.
func hashTag(key string) string {
	_, after, ok := strings.Cut(key, "{")
	if !ok {
		return key
	}
	tag, _, ok := strings.Cut(after, "}")
	if !ok || tag == "" {
		return key
	}
	return tag
}

func TestNewKeyspacePanics(t *testing.T) {
	for _, ns := range []string{"", "a{b", "a}b", "{}"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewKeyspace(%q) did not panic", ns)
				}
			}()
			NewKeyspace(ns)
		}()
	}
}

func TestNamespace(t *testing.T) {
	const (
		base = "https://api.tiquo.example/v2"
		key1 = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
		key2 = "sk_live_4eC39HqLyjWDarjtT1zdp7dd"
	)
	ns := Namespace(base, key1)
	if len(ns) != 16 {
		t.Errorf("Namespace = %q, want 16 hex digits", ns)
	}
	if _, err := hex.DecodeString(ns); err != nil {
		t.Errorf("Namespace = %q, not hex: %v", ns, err)
	}
	if got := Namespace(base, key1); got != ns {
		t.Errorf("Namespace not deterministic: %q then %q", ns, got)
	}
	key := NewKeyspace(ns).Alias("email", "ada@example.com")
	for _, part := range []string{key1, key1[8:], "4eC39Hq", base, "tiquo"} {
		if strings.Contains(key, part) {
			t.Errorf("key %q contains %q", key, part)
		}
	}
	distinct := map[string][]string{}
	for _, parts := range [][]string{
		{base, key1},
		{base, key2},
		{base + "/", key1},
		{"https://other.example", key1},
		{base},
		{key1, base},
		{"ab", "c"},
		{"a", "bc"},
		{"abc"},
		{},
		{""},
		{"", ""},
	} {
		ns := Namespace(parts...)
		if prev, ok := distinct[ns]; ok {
			t.Errorf("Namespace(%q) = Namespace(%q) = %q", parts, prev, ns)
		}
		distinct[ns] = parts
	}
}
