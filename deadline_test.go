package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

type valueKey struct{}

// TestWithinDeadline: a field's context keeps its own values, ends at the
// request's deadline or with the request, and so do contexts derived from
// it; the request's own context does not end at the deadline.
func TestWithinDeadline(t *testing.T) {
	var field, derived context.Context
	var cancelDerived context.CancelFunc
	h := withDeadline(50*time.Millisecond, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		field = withinDeadline(context.WithValue(r.Context(), valueKey{}, "field"))
		derived, cancelDerived = context.WithCancel(field)
		if got := field.Value(valueKey{}); got != "field" {
			t.Errorf("field context value %v; want field", got)
		}
		if _, ok := field.Deadline(); !ok {
			t.Error("field context has no deadline; want the request's")
		}
		if err := derived.Err(); err != nil {
			t.Errorf("derived context ended at once: %v", err)
		}
		select {
		case <-derived.Done():
		case <-time.After(5 * time.Second):
			t.Error("derived context did not end at the request's 50ms deadline")
		}
		if field.Err() != context.DeadlineExceeded || derived.Err() != context.DeadlineExceeded {
			t.Errorf("after the deadline: field %v, derived %v; want deadline exceeded", field.Err(), derived.Err())
		}
		if err := r.Context().Err(); err != nil {
			t.Errorf("the request's own context ended at the deadline: %v; want it to go on", err)
		}
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/graphql", nil))
	cancelDerived()

	// Without the middleware, the context is left as it is.
	ctx := context.Background()
	if got := withinDeadline(ctx); got != ctx {
		t.Errorf("withinDeadline without a request deadline returned %v; want its argument", got)
	}

	// A request that ends early ends its fields' contexts.
	ctx, cancel := context.WithCancel(context.Background())
	h = withDeadline(time.Hour, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := withinDeadline(r.Context())
		cancel()
		select {
		case <-f.Done():
		case <-time.After(5 * time.Second):
			t.Error("the field context outlived its cancelled request")
		}
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/graphql", nil).WithContext(ctx))
}
