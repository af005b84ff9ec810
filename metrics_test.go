package main

import (
	"context"
	"fmt"
	"testing"

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
	}
	for _, tt := range tests {
		if got := outcome(tt.err); got != tt.want {
			t.Errorf("outcome(%v) = %q; want %q", tt.err, got, tt.want)
		}
	}
}
