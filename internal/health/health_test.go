package health

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
		}
	}))
	defer ok.Close()
	if err := Check(t.Context(), ok.URL+"/healthz"); err != nil {
		t.Errorf("Check of a healthy server: %v; want nil", err)
	}
	if err := Check(t.Context(), ok.URL+"/other"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("Check of a 404: %v; want an error naming the status", err)
	}
	ok.Close()
	if err := Check(t.Context(), ok.URL+"/healthz"); err == nil {
		t.Error("Check of a closed server: nil; want an error")
	}
}

func TestLocal(t *testing.T) {
	tests := []struct{ in, want string }{
		{":8080", "127.0.0.1:8080"},
		{"0.0.0.0:8081", "127.0.0.1:8081"},
		{"[::]:8081", "127.0.0.1:8081"},
		{"127.0.0.1:9", "127.0.0.1:9"},
		{"sim:8081", "sim:8081"},
	}
	for _, tt := range tests {
		if got, err := Local(tt.in); err != nil || got != tt.want {
			t.Errorf("Local(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := Local("8080"); err == nil {
		t.Error(`Local("8080"): nil error; want one`)
	}
}
