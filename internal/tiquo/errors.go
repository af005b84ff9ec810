package tiquo

import (
	"crypto/x509"
	"customergraph/internal/upstream"
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

// The error values a call can match with errors.Is: the shared values of
// package upstream, which every vendor client maps its failures to.
var (
	ErrNotFound     = upstream.ErrNotFound
	ErrUnauthorized = upstream.ErrUnauthorized
	ErrForbidden    = upstream.ErrForbidden
	ErrConflict     = upstream.ErrConflict
	ErrValidation   = upstream.ErrValidation
	ErrRateLimited  = upstream.ErrRateLimited
	ErrUnavailable  = upstream.ErrUnavailable
	ErrUnexpected   = upstream.ErrUnexpected
)

// Error is the error returned by every Client method; see upstream.Error.
type Error = upstream.Error

// api names this API in error text.
const api = "tiquo"

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
