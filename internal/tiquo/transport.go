package tiquo

import "net/http"

// NewHTTPClient returns the HTTP client a Client uses by default: a
// keep-alive transport sized for many concurrent calls, which does not
// follow redirects. Clients of one host (one per tenant) may share one.
func NewHTTPClient() *http.Client { return defaultHTTPClient() }
