package upstream

import (
	"crypto/x509"
	"errors"
	"net"
	"net/url"
	"os"
	"strings"
)

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
func (c *Caller) scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &causeError{msg: c.Redact(describe(err)), err: err}
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

// Redact removes the base URL, host and API key from s, for text from the
// upstream (an error message, say) that a vendor package puts in an Error.
// The Caller already redacts what it puts there itself. The key is removed
// wherever it occurs; the URL and host only where they are not part of a
// longer word, so that a short host name ("sim") leaves "simulated" alone.
func (c *Caller) Redact(s string) string {
	if s == "" {
		return s
	}
	if c.apiKey != "" {
		s = strings.ReplaceAll(s, c.apiKey, redacted)
	}
	for _, secret := range c.secrets {
		s = replaceWord(s, secret)
	}
	return s
}

const redacted = "[redacted]"

// replaceWord replaces each occurrence of old in s that is neither preceded
// nor followed by a letter or digit.
func replaceWord(s, old string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, old)
		if i < 0 {
			break
		}
		j := i + len(old)
		if (i > 0 && isWordByte(s[i-1])) || (j < len(s) && isWordByte(s[j])) {
			b.WriteString(s[:i+1])
			s = s[i+1:]
			continue
		}
		b.WriteString(s[:i])
		b.WriteString(redacted)
		s = s[j:]
	}
	if b.Len() == 0 {
		return s
	}
	b.WriteString(s)
	return b.String()
}

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b >= 0x80
}
