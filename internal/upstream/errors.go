// Package upstream holds what the vendor clients share: the error values
// every client's failures match with errors.Is, and the Error that carries
// a failure's detail. The core (loaders, resolvers, the gateway) checks
// upstream failures against these values and never against a vendor's.
package upstream

import (
	"errors"
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
