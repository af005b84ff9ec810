// Package upstream holds what the vendor clients share: the error values
// every client's failures match with errors.Is, the Error that carries a
// failure's detail, and the Caller that sends a client's requests — base-URL
// checks, retries of GETs, statuses mapped to error values, Retry-After,
// body limits, and error text that never names the base URL, host or API
// key. The core (loaders, resolvers, the gateway) checks upstream failures
// against these values and never against a vendor's.
//
// A vendor package (tiquo, komerza, xtrakit) keeps only what is its own: its
// paths, envelopes, wire types and error bodies.
package upstream

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The error values a call can match with errors.Is. Every error a vendor
// client returns is an *Error, and all but those caused by the caller's
// context match exactly one of them.
var (
	// ErrNotFound: the customer (or the store it is looked up in) does not
	// exist (404).
	ErrNotFound = errors.New("not found")
	// ErrUnauthorized: the API key is missing or invalid (401).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden: the API key lacks a scope or permission (403).
	ErrForbidden = errors.New("forbidden")
	// ErrConflict: the request conflicts with another customer, e.g. the
	// email address is taken (409).
	ErrConflict = errors.New("conflict")
	// ErrValidation: the request was rejected as invalid (400, 422), or was
	// invalid before it was sent. Error.Message says why.
	ErrValidation = errors.New("invalid request")
	// ErrRateLimited: too many requests (429). Error.RetryAfter says when to
	// try again, if the upstream said.
	ErrRateLimited = errors.New("rate limited")
	// ErrUnavailable: the upstream failed (5xx), could not be reached, or did
	// not answer in time.
	ErrUnavailable = errors.New("unavailable")
	// ErrUnexpected: any other status, or a response that could not be
	// understood (undecodable body, an unsuccessful envelope on a 2xx,
	// missing data).
	ErrUnexpected = errors.New("unexpected response")
)

// Error is the error returned by every vendor client method.
//
// Its text never contains the base URL, host, request path or API key, so it
// can be logged. Message, where set, is the upstream's own explanation and is
// meant to be shown to users for validation errors and conflicts.
type Error struct {
	API        string        // the vendor API, e.g. "tiquo"; "" for none
	Op         string        // e.g. "get customer", "list customers"
	Kind       error         // one of the Err* values; nil when the caller's context ended
	Status     int           // HTTP status; 0 when there was no response
	Code       string        // upstream error code, when given
	Message    string        // upstream error message, when given
	RetryAfter time.Duration // from Retry-After on 429 and 503; 0 when absent
	Err        error         // underlying cause, e.g. context.DeadlineExceeded; may be nil
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.API != "" {
		b.WriteString(e.API)
		b.WriteString(": ")
	}
	b.WriteString(e.Op)
	if e.Kind != nil {
		b.WriteString(": ")
		b.WriteString(e.Kind.Error())
	}
	switch {
	case e.Message != "":
		b.WriteString(": ")
		b.WriteString(e.Message)
	case e.Status != 0:
		b.WriteString(": status ")
		b.WriteString(strconv.Itoa(e.Status))
		if e.Err != nil {
			b.WriteString(": ")
			b.WriteString(e.Err.Error())
		}
	case e.Err != nil:
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.RetryAfter > 0 {
		b.WriteString(" (retry after ")
		b.WriteString(e.RetryAfter.String())
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns Kind and Err, so that errors.Is matches both the error value
// (ErrNotFound, …) and the cause (context.DeadlineExceeded, …).
func (e *Error) Unwrap() []error {
	errs := make([]error, 0, 2)
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// KindForStatus maps an HTTP error status to the error value it means: 400
// and 422 ErrValidation, 401 ErrUnauthorized, 403 ErrForbidden, 404
// ErrNotFound, 409 ErrConflict, 429 ErrRateLimited, 5xx ErrUnavailable, any
// other ErrUnexpected. A Caller uses it for every non-2xx response; a vendor
// package may use it for a status its envelope reports.
func KindForStatus(status int) error {
	switch {
	case status == http.StatusBadRequest, status == http.StatusUnprocessableEntity:
		return ErrValidation
	case status == http.StatusUnauthorized:
		return ErrUnauthorized
	case status == http.StatusForbidden:
		return ErrForbidden
	case status == http.StatusNotFound:
		return ErrNotFound
	case status == http.StatusConflict:
		return ErrConflict
	case status == http.StatusTooManyRequests:
		return ErrRateLimited
	case status >= 500 && status <= 599:
		return ErrUnavailable
	default:
		return ErrUnexpected
	}
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP-date.
// It returns 0 when the header is absent, malformed or in the past, and at
// most a day.
func parseRetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.ParseInt(h, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > int64(24*time.Hour/time.Second) {
			n = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d.Round(time.Second), 24*time.Hour)
		}
	}
	return 0
}
