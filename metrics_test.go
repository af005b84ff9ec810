package main

import (
	"context"
	"fmt"
	"testing"

	"customergraph/internal/breaker"
	"customergraph/internal/budget"
	"customergraph/internal/guard"
	"customergraph/internal/tiquo"
)

func TestOutcome(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, "ok"},
		{&tiquo.Error{Kind: tiquo.ErrNotFound}, "not_found"},
		{&tiquo.Error{Kind: tiquo.ErrRateLimited}, "rate_limited"},
		{&tiquo.Error{Kind: tiquo.ErrUnavailable}, "unavailable"},
		{&tiquo.Error{Kind: tiquo.ErrValidation}, "rejected"},
		{&tiquo.Error{Kind: tiquo.ErrConflict}, "rejected"},
		{&tiquo.Error{Kind: tiquo.ErrUnauthorized}, "unauthorized"},
		{fmt.Errorf("get: %w", context.Canceled), "cancelled"},
		{&tiquo.Error{Kind: tiquo.ErrUnexpected}, "error"},
		{&tiquo.Error{Kind: tiquo.ErrRateLimited, Err: &guard.Refusal{Reason: guard.ReasonBudget, Err: budget.ErrSpent}}, "refused"},
		{&tiquo.Error{Kind: tiquo.ErrUnavailable, Err: &guard.Refusal{Reason: guard.ReasonBreaker, Err: breaker.ErrOpen}}, "refused"},
	}
	for _, tt := range tests {
		if got := outcome(tt.err); got != tt.want {
			t.Errorf("outcome(%v) = %q; want %q", tt.err, got, tt.want)
		}
	}
}
