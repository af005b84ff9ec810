package tiquo

import (
	"net/http"

	"customergraph/internal/upstream"
)

// NewHTTPClient returns the HTTP client a Client uses by default:
// upstream.NewHTTPClient, a keep-alive transport sized for many concurrent
// calls, which does not follow redirects. Clients of one host (one per
// tenant) may share one.
func NewHTTPClient() *http.Client { return upstream.NewHTTPClient() }
