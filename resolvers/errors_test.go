package resolvers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"customergraph/internal/identifier"
	"customergraph/internal/scalar"
	"customergraph/internal/tiquo"
	"customergraph/loaders"
)

func TestErrorPresenter(t *testing.T) {
	_, idErr := identifier.Parse("foo@")
	_, dateErr := scalar.UnmarshalDate("2024-02-30")
	tests := []struct {
		name string
		err  error
		code string
		msg  string // a fragment of the message
	}{
		{"rate limited", &tiquo.Error{Op: "get customer", Kind: tiquo.ErrRateLimited, RetryAfter: 2500 * time.Millisecond}, "RATE_LIMITED", "rate limit"},
		{"unavailable", &tiquo.Error{Op: "get customer", Kind: tiquo.ErrUnavailable, Status: 503}, "UPSTREAM_UNAVAILABLE", "unavailable"},
		{"deadline", fmt.Errorf("get: %w", context.DeadlineExceeded), "UPSTREAM_UNAVAILABLE", "unavailable"},
		{"upstream refused our key", &tiquo.Error{Kind: tiquo.ErrUnauthorized, Status: 401}, "UPSTREAM_UNAVAILABLE", "credentials"},
		{"upstream validation", &tiquo.Error{Kind: tiquo.ErrValidation, Message: "limit must be an integer"}, "BAD_USER_INPUT", "limit must be"},
		{"bad cursor", loaders.ErrBadCursor, "BAD_USER_INPUT", "after:"},
		{"identifier", idErr, "BAD_USER_INPUT", "no domain"},
		{"scalar", gqlerror.WrapPath(nil, dateErr), "BAD_USER_INPUT", "YYYY-MM-DD"},
		{"unknown", errors.New("dial tcp 10.1.2.3:6379: secret-internal-detail"), "INTERNAL_SERVER_ERROR", "internal server error"},
		{"ours", badInput("first must be between 1 and 100"), "BAD_USER_INPUT", "first must be"},
	}
	var logs bytes.Buffer
	present := ErrorPresenter(slog.New(slog.NewTextHandler(&logs, nil)))
	for _, tt := range tests {
		got := present(graphql.WithPathContext(context.Background(), graphql.NewPathWithField("customer")), tt.err)
		if got.Extensions["code"] != tt.code || !strings.Contains(got.Message, tt.msg) {
			t.Errorf("%s: got %q %v; want code %s and a message containing %q", tt.name, got.Message, got.Extensions, tt.code, tt.msg)
		}
		if strings.Contains(got.Message, "10.1.2.3") || strings.Contains(got.Message, "secret") {
			t.Errorf("%s: message leaks internals: %q", tt.name, got.Message)
		}
	}
	got := present(context.Background(), tests[0].err)
	if got.Extensions["retryAfterSeconds"] != 3 {
		t.Errorf("retryAfterSeconds = %v; want 3 (2.5s rounded up)", got.Extensions["retryAfterSeconds"])
	}
	if !strings.Contains(logs.String(), "secret-internal-detail") {
		t.Error("an unexpected error was not logged for the operator")
	}
}

func TestRecover(t *testing.T) {
	var logs bytes.Buffer
	err := Recover(slog.New(slog.NewTextHandler(&logs, nil)))(context.Background(), "boom: token=abc")
	var ge *gqlerror.Error
	if !errors.As(err, &ge) || ge.Extensions["code"] != "INTERNAL_SERVER_ERROR" || ge.Message != "internal server error" {
		t.Errorf("Recover = %v; want a bare INTERNAL_SERVER_ERROR", err)
	}
	if !strings.Contains(logs.String(), "boom: token=abc") || !strings.Contains(logs.String(), "stack") {
		t.Error("the panic and its stack were not logged")
	}
}
