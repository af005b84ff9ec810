package tiquo

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// The error values a call can match with errors.Is. Every error returned by a
// Client method is an *Error, and all but those caused by the caller's
// context match exactly one of them.
var (
	// ErrNotFound: the customer does not exist (404).
	ErrNotFound = errors.New("not found")
	// ErrUnauthorized: the API key is missing or invalid (401).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden: the API key lacks a scope, e.g. customers:write (403).
	ErrForbidden = errors.New("forbidden")
	// ErrConflict: the update conflicts with another customer, e.g. the
	// email address is taken (409).
	ErrConflict = errors.New("conflict")
	// ErrValidation: the request was rejected as invalid (400, 422), or was
	// invalid before it was sent. Error.Message says why.
	ErrValidation = errors.New("invalid request")
	// ErrRateLimited: too many requests (429). Error.RetryAfter says when to
	// try again, if the upstream said.
	ErrRateLimited = errors.New("rate limited")
	// ErrUnavailable: the upstream failed (5xx), could not be reached, or did
	// not answer within Options.Timeout.
	ErrUnavailable = errors.New("unavailable")
	// ErrUnexpected: any other status, or a response that could not be
	// understood (undecodable body, "success": false on a 2xx, missing data).
	ErrUnexpected = errors.New("unexpected response")
)

// Error is the error returned by every Client method.
//
// Its text never contains the base URL, host, request path or API key, so it
// can be logged. Message, where set, is the upstream's own explanation and is
// meant to be shown to users for validation errors and conflicts.
type Error struct {
	Op         string        // "get customer", "list customers" or "update customer"
	Kind       error         // one of the Err* values; nil when the caller's context ended
	Status     int           // HTTP status; 0 when there was no response
	Code       string        // upstream error code, e.g. "not_found", when given
	Message    string        // upstream error message, when given
	RetryAfter time.Duration // from Retry-After on 429 and 503; 0 when absent
	Err        error         // underlying cause, e.g. context.DeadlineExceeded; may be nil
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("tiquo: ")
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

// kindForStatus maps an HTTP error status to an error value.
func kindForStatus(status int) error {
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

// errorBody is the upstream error envelope. Error is either a string
// ({"success":false,"error":"text"}) or an object
// ({"success":false,"error":{"code":"...","message":"..."}}).
type errorBody struct {
	Success *bool           `json:"success"`
	Error   json.RawMessage `json:"error"`
	Message string          `json:"message"`
}

// parseErrorBody extracts the code and message from an error envelope. It
// returns empty strings for bodies that are not one (e.g. an HTML error page).
func parseErrorBody(body []byte) (code, message string) {
	var eb errorBody
	if json.Unmarshal(body, &eb) != nil {
		return "", ""
	}
	message = eb.Message
	var s string
	var obj struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	switch {
	case len(eb.Error) == 0:
	case json.Unmarshal(eb.Error, &s) == nil:
		message = s
	case json.Unmarshal(eb.Error, &obj) == nil:
		code = obj.Code
		if obj.Message != "" {
			message = obj.Message
		}
	}
	return code, strings.TrimSpace(message)
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP-date.
// It returns 0 when the header is absent, malformed or in the past.
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
			return d.Round(time.Second)
		}
	}
	return 0
}

// causeError is a transport error with its text rewritten so that it names
// neither the URL nor the host. It unwraps to the original cause, minus the
// *url.Error (whose text has the URL), so errors.Is still finds, e.g.,
// syscall.ECONNREFUSED or context.DeadlineExceeded.
type causeError struct {
	msg string
	err error
}

func (e *causeError) Error() string { return e.msg }
func (e *causeError) Unwrap() error { return e.err }

// scrub returns err as a cause safe to put in an *Error.
func (c *Client) scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &causeError{msg: c.redact(describe(err)), err: err}
}

// describe renders a transport error without addresses or host names for the
// error types that carry them; others are rendered as they are and redacted
// by the caller.
func describe(err error) string {
	var (
		dnsErr  *net.DNSError
		opErr   *net.OpError
		sysErr  *os.SyscallError
		hostErr x509.HostnameError
		addrErr *net.AddrError
	)
	switch {
	case err == nil:
		return "unknown error"
	case errors.As(err, &dnsErr):
		if dnsErr.IsTimeout {
			return "dns lookup: timeout"
		}
		return "dns lookup: " + dnsErr.Err
	case errors.As(err, &opErr):
		// "dial tcp 10.0.0.1:443: connect: connection refused" → "dial: connect: connection refused"
		return opErr.Op + ": " + describe(opErr.Err)
	case errors.As(err, &sysErr):
		return sysErr.Syscall + ": " + sysErr.Err.Error()
	case errors.As(err, &hostErr):
		return "tls: certificate is not valid for the host"
	case errors.As(err, &addrErr):
		return "address error: " + addrErr.Err
	}
	return err.Error()
}

// redact removes the base URL, host and API key from s.
func (c *Client) redact(s string) string {
	for _, secret := range c.secrets {
		s = strings.ReplaceAll(s, secret, "[redacted]")
	}
	return s
}
