package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"customergraph/internal/graphiql"
)

// The query GraphiQL opens with runs as it is, against the real schema.
func TestGraphiQLDefaultQueryRuns(t *testing.T) {
	s := newStack(t, stackOptions{customers: 30})
	var out struct {
		Customers struct {
			Nodes []struct {
				ID, Email string
				Vendor    string
			}
			PageInfo struct{ HasNextPage bool }
		}
	}
	s.query(graphiqlQuery, nil, &out)
	if len(out.Customers.Nodes) != 10 || !out.Customers.PageInfo.HasNextPage {
		t.Fatalf("the default query gives %d customers (next page: %v), want the first 10 of 30",
			len(out.Customers.Nodes), out.Customers.PageInfo.HasNextPage)
	}
	if n := out.Customers.Nodes[0]; n.ID == "" || n.Vendor != "TIQUO" {
		t.Errorf("first customer: %+v", n)
	}
}

// The page at / follows the configuration: whether a key is needed, and
// whether introspection is on.
func TestGraphiQLPageFollowsConfig(t *testing.T) {
	manifest := filepath.Join(t.TempDir(), "manifest.json")
	if err := os.WriteFile(manifest, []byte(`{"format":"apollo-persisted-query-manifest","version":1,"operations":[`+
		`{"id":"first","name":"First","type":"query","body":"query First { __typename }"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name                   string
		env                    map[string]string
		key, noSchema, trusted bool
	}{
		{"demo", map[string]string{}, false, false, false},
		{"client keys", map[string]string{"FACADE_API_KEYS": "cg-page-test-key"}, true, false, false},
		{"passthrough", map[string]string{"AUTH_MODE": "passthrough"}, true, false, false},
		{"introspection off", map[string]string{"INTROSPECTION": "false"}, false, true, false},
		{"trusted documents", map[string]string{"PERSISTED_QUERIES": "trusted", "PERSISTED_QUERIES_MANIFEST": manifest}, false, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.env["SIM_CUSTOMERS"] = "5"
			cfg, err := loadConfig(func(k string) string { return tc.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			a, err := newApp(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()

			rec := httptest.NewRecorder()
			a.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			if rec.Code != http.StatusOK || rec.Header().Get("Content-Security-Policy") != graphiql.ContentSecurityPolicy {
				t.Fatalf("GET / = %d, CSP %q", rec.Code, rec.Header().Get("Content-Security-Policy"))
			}
			body := rec.Body.String()
			if got := strings.Contains(body, `id="note-key"`); got != tc.key {
				t.Errorf("key note shown: %v, want %v", got, tc.key)
			}
			if got := strings.Contains(body, `id="note-introspection"`); got != tc.noSchema {
				t.Errorf("introspection note shown: %v, want %v", got, tc.noSchema)
			}
			if got := strings.Contains(body, `id="note-trusted"`); got != tc.trusted {
				t.Errorf("trusted-documents note shown: %v, want %v", got, tc.trusted)
			}
			m := regexp.MustCompile(`(?s)id="graphiql-settings">(.*?)</script>`).FindStringSubmatch(body)
			if m == nil {
				t.Fatal("no settings in the page")
			}
			var s struct {
				Endpoint, DefaultQuery, DefaultHeaders string
				Introspection                          bool
			}
			if err := json.Unmarshal([]byte(m[1]), &s); err != nil {
				t.Fatal(err)
			}
			if s.Endpoint != "/graphql" || s.DefaultQuery != graphiqlQuery || s.Introspection == (tc.noSchema || tc.trusted) ||
				strings.Contains(s.DefaultHeaders, graphiql.KeyPlaceholder) != tc.key {
				t.Errorf("settings: %+v", s)
			}
			if strings.Contains(body, "cg-page-test-key") || strings.Contains(body, "127.0.0.1") {
				t.Error("the page shows a configured key or the upstream's address")
			}

			// The files the page names are served by the same service.
			for _, src := range regexp.MustCompile(`(?:src|href)="(/graphiql/assets/[^"]+)"`).FindAllStringSubmatch(body, -1) {
				rec := httptest.NewRecorder()
				a.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, src[1], nil))
				if rec.Code != http.StatusOK {
					t.Errorf("GET %s = %d", src[1], rec.Code)
				}
			}
		})
	}
}
