package persisted

import (
	"strings"
	"testing"
)

// TestManifestKeys: an operation is found by its id, by its body's SHA-256
// (any case, with or without "sha256:"), and by nothing else; fields the
// format may add are ignored.
func TestManifestKeys(t *testing.T) {
	body := "query A { __typename }"
	m, err := ParseManifest([]byte(`{"format":"apollo-persisted-query-manifest","version":1,"generator":"x",
		"operations":[{"id":"a-1","name":"A","type":"query","body":"query A { __typename }","clientName":"web"}]}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	h := Hash(body)
	for _, key := range []string{"a-1", h, strings.ToUpper(h), "sha256:" + h} {
		if op := m.byKey(key); op == nil || op.Body != body {
			t.Errorf("byKey(%q) = %+v", key, op)
		}
	}
	for _, key := range []string{"", "a", "A", "sha256:a-1", h[:63], "sha256:"} {
		if op := m.byKey(key); op != nil {
			t.Errorf("byKey(%q) found %+v", key, op)
		}
	}
	if ops := m.Operations(); len(ops) != 1 || ops[0].Hash != h || ops[0].Name != "A" {
		t.Errorf("Operations() = %+v", ops)
	}
}

func TestManifestTrailingData(t *testing.T) {
	_, err := ParseManifest([]byte(`{"format":"apollo-persisted-query-manifest","version":1,"operations":[]} {}`), nil)
	if err == nil || !strings.Contains(err.Error(), "more than one JSON value") {
		t.Errorf("got %v", err)
	}
}
