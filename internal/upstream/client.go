package upstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"customergraph/internal/telemetry"
)

// Options configures a vendor client. The zero value of each field selects
// its default. Every vendor package takes this type (tiquo.Options is an
// alias of it).
type Options struct {
	// HTTPClient sends the requests. The default, NewHTTPClient(), uses a
	// keep-alive transport sized for many concurrent calls and does not
	// follow redirects.
	HTTPClient *http.Client
	// Timeout bounds each attempt, including reading the body. Default 10s.
	Timeout time.Duration
	// MaxRetries is how many times a GET is retried after a 5xx response, a
	// connection error or an attempt timeout. Default 2; negative means no
	// retries. Other methods are never retried.
	MaxRetries int
	// RetryBase is the base of the exponential backoff between retries
	// (full jitter). Default 100ms.
	RetryBase time.Duration
	// UserAgent is sent with every request. Default "customergraph".
	UserAgent string
	// MaxBodySize is the largest response body read, in bytes; a larger one
	// fails the call with ErrUnexpected and is not retried. Zero or negative
	// selects the vendor client's default: DefaultMaxBodySize unless its
	// package documents another.
	MaxBodySize int64
	// Before, when set, is called before every attempt, retries included,
	// with the request's method. A non-nil error ends the call there: the
	// attempt is not sent and nothing is retried. The call returns that
	// error with API and Op set if it is an *Error, and otherwise wrapped in
	// an *Error of Kind ErrUnavailable. Else Before returns the function to
	// call with the attempt's Result once it is over, or nil.
	Before func(ctx context.Context, method string) (after func(Result), err error)
	// TracerProvider, unless nil or a no-op provider, records a span for
	// every attempt, refused ones included: its vendor, operation, method,
	// status and retry number, never its URL (see attemptSpan). Default:
	// none, and no tracing code runs.
	TracerProvider trace.TracerProvider
	// MaxConcurrent bounds the attempts the Caller has in flight at once;
	// more wait for their turn, as long as their context allows and
	// somebody waits for their answer (WithAbandonment). It bounds the
	// memory a burst of misses takes and the load it puts on the vendor.
	// Zero or negative: no bound.
	MaxConcurrent int
	// Propagator, with a TracerProvider, writes each attempt's trace
	// context into its request (W3C traceparent). Default: nothing is
	// sent.
	Propagator propagation.TextMapPropagator
}

// Result describes one attempt, for the function Options.Before returns.
type Result struct {
	Method     string
	Status     int           // the response's HTTP status; 0 when there was none
	RetryAfter time.Duration // Retry-After of a 429 or 503; 0 when absent
	Err        error         // nil for a 2xx; else the attempt's error, an *Error
}

// Defaults for Options.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultMaxRetries  = 2
	DefaultRetryBase   = 100 * time.Millisecond
	DefaultUserAgent   = "customergraph"
	DefaultMaxBodySize = 8 << 20
)

const (
	maxDrainSize = 64 << 10 // most of an unread body drained for connection reuse
	maxBackoff   = 5 * time.Second
)

// NewHTTPClient returns the HTTP client a vendor client uses by default: a
// keep-alive transport sized for many concurrent calls, which does not
// follow redirects (a 3xx is reported as ErrUnexpected). Clients of one host
// (one per tenant) may share one.
func NewHTTPClient() *http.Client {
	var t *http.Transport
	if dt, ok := http.DefaultTransport.(*http.Transport); ok {
		t = dt.Clone()
	} else {
		t = &http.Transport{Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true}
	}
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 128
	t.IdleConnTimeout = 90 * time.Second
	return &http.Client{
		Transport: t,
		// An API client should not follow redirects: a PATCH would turn
		// into a GET, and the API key would go wherever the 3xx points.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// ErrorBodyFunc extracts the upstream's error code and message from the body
// of an error response. It returns empty strings for a body that is not one
// of the vendor's error envelopes (e.g. an HTML error page).
type ErrorBodyFunc func(body []byte) (code, message string)

// Caller sends the requests of one vendor client to one base URL with one
// API key: it retries GETs, maps statuses to the Err* values and keeps the
// base URL, host and key out of every error's text. It knows nothing of the
// vendor's paths or envelopes. It is safe for concurrent use.
type Caller struct {
	api        string
	baseURL    string // no trailing slash
	authHeader string // "Bearer <key>", or "" without a key
	apiKey     string
	secrets    []string // base URL and host names, longest first
	hc         *http.Client
	timeout    time.Duration
	maxRetries int
	retryBase  time.Duration
	maxBody    int64
	userAgent  string
	before     func(ctx context.Context, method string) (func(Result), error)
	errorBody  ErrorBodyFunc
	tracer     trace.Tracer                  // nil: no spans
	propagator propagation.TextMapPropagator // nil: no trace context sent
	slots      chan struct{}                 // one token per attempt in flight; nil: no bound
}

// NewCaller returns a Caller for the vendor API named api (e.g. "komerza",
// the prefix of every error's text) at baseURL, authenticating with
// "Authorization: Bearer apiKey" (no header when apiKey is ""). baseURL must
// be an absolute http or https URL without query, fragment or user info; a
// trailing slash is dropped. A nil opts selects every default. errorBody,
// which may be nil, parses the body of non-2xx responses.
//
// Its errors name neither the URL nor the key.
func NewCaller(api, baseURL, apiKey string, opts *Options, errorBody ErrorBodyFunc) (*Caller, error) {
	u, err := url.Parse(baseURL)
	switch {
	case err != nil:
		return nil, errors.New(api + ": invalid base URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New(api + ": base URL must be an absolute http or https URL")
	case u.Host == "":
		return nil, errors.New(api + ": base URL has no host")
	case u.User != nil:
		return nil, errors.New(api + ": base URL must not contain user info")
	case u.RawQuery != "" || u.ForceQuery:
		return nil, errors.New(api + ": base URL must not have a query")
	case u.Fragment != "":
		return nil, errors.New(api + ": base URL must not have a fragment")
	case strings.ContainsAny(apiKey, "\r\n\x00"):
		return nil, errors.New(api + ": API key contains control characters")
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	c := &Caller{
		api:        api,
		apiKey:     apiKey,
		baseURL:    strings.TrimRight(u.String(), "/"),
		hc:         o.HTTPClient,
		timeout:    o.Timeout,
		maxRetries: o.MaxRetries,
		retryBase:  o.RetryBase,
		maxBody:    o.MaxBodySize,
		userAgent:  o.UserAgent,
		before:     o.Before,
		errorBody:  errorBody,
		tracer:     telemetry.Tracer(o.TracerProvider, "customergraph/internal/upstream"),
	}
	if c.tracer != nil {
		c.propagator = o.Propagator
	}
	if o.MaxConcurrent > 0 {
		c.slots = make(chan struct{}, o.MaxConcurrent)
	}
	if apiKey != "" {
		c.authHeader = "Bearer " + apiKey
	}
	if c.hc == nil {
		c.hc = NewHTTPClient()
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = DefaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.retryBase <= 0 {
		c.retryBase = DefaultRetryBase
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBodySize
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	for _, s := range []string{c.baseURL, baseURL, u.Host, u.Hostname()} {
		if s != "" {
			c.secrets = append(c.secrets, s)
		}
	}
	// Longest first, so the base URL goes before the host inside it.
	for i := 1; i < len(c.secrets); i++ {
		for j := i; j > 0 && len(c.secrets[j]) > len(c.secrets[j-1]); j-- {
			c.secrets[j], c.secrets[j-1] = c.secrets[j-1], c.secrets[j]
		}
	}
	return c, nil
}

// API returns the API name errors are prefixed with.
func (c *Caller) API() string { return c.api }

// Do sends method path (relative to the base URL, starting with "/", query
// included) with body, which, when non-nil, is sent as application/json. It
// returns the body and status of a 2xx response.
//
// A GET is retried after a 5xx, a connection error or an attempt timeout,
// up to Options.MaxRetries times, with full-jitter exponential backoff; a
// backoff that would end after ctx's deadline is not started, and the last
// error is returned instead. Other methods are sent exactly once.
//
// Every error is an *Error with API and Op set. A non-2xx status gives the
// Kind KindForStatus maps it to, with Code and Message from the ErrorBodyFunc
// and, for 429 and 503, RetryAfter. When ctx ends, the error has no Kind and
// wraps ctx.Err(). Once nobody waits for the answer any more
// (WithAbandonment), no further attempt is made, and the error wraps
// ErrAbandoned. With Options.MaxConcurrent, each attempt waits its turn.
func (c *Caller) Do(ctx context.Context, op, method, path string, body []byte) ([]byte, int, error) {
	retries := 0
	if method == http.MethodGet {
		retries = c.maxRetries
	}
	gone := goneOf(ctx)
	for attempt := 0; ; attempt++ {
		if isClosed(gone) {
			return nil, 0, c.abandonedError(op)
		}
		release, err := c.turn(ctx, gone, op)
		if err != nil {
			return nil, 0, err
		}
		b, status, retry, err := c.attempt(ctx, op, method, path, body, attempt)
		release()
		if err == nil {
			return b, status, nil
		}
		if !retry || attempt >= retries {
			return nil, status, err
		}
		if !backoff(ctx, c.retryBase, attempt) {
			if ctx.Err() != nil {
				return nil, 0, c.ctxError(ctx, op)
			}
			// Not enough time left before ctx's deadline: give up.
			return nil, status, err
		}
	}
}

// turn waits until fewer than Options.MaxConcurrent attempts are in
// flight, and returns the function that ends this one's turn. It gives up
// when ctx ends or nobody waits for the call any more (gone).
func (c *Caller) turn(ctx context.Context, gone <-chan struct{}, op string) (release func(), err error) {
	if c.slots == nil {
		return func() {}, nil
	}
	select {
	case c.slots <- struct{}{}:
	default:
		select {
		case c.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, c.ctxError(ctx, op)
		case <-gone:
			return nil, c.abandonedError(op)
		}
		if isClosed(gone) { // given up while it waited
			<-c.slots
			return nil, c.abandonedError(op)
		}
	}
	return func() { <-c.slots }, nil
}

// attempt makes attempt number attempt (0 for the first) of a call, with
// its span and Options.Before.
func (c *Caller) attempt(ctx context.Context, op, method, path string, body []byte, attempt int) (_ []byte, status int, retry bool, _ error) {
	actx, span := ctx, trace.Span(nil)
	if c.tracer != nil {
		actx, span = c.startAttempt(ctx, op, method, attempt)
	}
	var after func(Result)
	if c.before != nil {
		var err error
		if after, err = c.before(actx, method); err != nil {
			err = c.refused(op, err)
			if span != nil {
				endRefused(span, err)
			}
			return nil, 0, false, err
		}
	}
	b, status, retry, err := c.try(actx, op, method, path, body)
	if span != nil {
		endAttempt(span, status, err)
	}
	if after != nil {
		r := Result{Method: method, Status: status, Err: err}
		var ue *Error
		if errors.As(err, &ue) {
			r.RetryAfter = ue.RetryAfter
		}
		after(r)
	}
	return b, status, retry, err
}

// refused returns the error Options.Before refused an attempt with, as the
// call's error.
func (c *Caller) refused(op string, err error) error {
	var ue *Error
	if errors.As(err, &ue) {
		e := *ue
		e.API, e.Op = c.api, op
		return &e
	}
	return &Error{API: c.api, Op: op, Kind: ErrUnavailable, Err: err}
}

// try makes one attempt. retry reports whether a GET may be retried.
func (c *Caller) try(ctx context.Context, op, method, path string, body []byte) (_ []byte, status int, retry bool, _ error) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	req, err := http.NewRequestWithContext(actx, method, c.baseURL+path, rd)
	if err != nil {
		return nil, 0, false, &Error{API: c.api, Op: op, Kind: ErrUnexpected, Err: c.scrub(err)}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if c.authHeader != "" {
		req.Header.Set("Authorization", c.authHeader)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.propagator != nil {
		c.propagator.Inject(ctx, propagation.HeaderCarrier(req.Header))
	}

	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, 0, ctx.Err() == nil, c.transportError(ctx, actx, op, 0, err)
	}
	defer func() {
		// Drain what is left (within reason) so the connection can be reused.
		io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrainSize))
		resp.Body.Close()
	}()
	status = resp.StatusCode
	if resp.ContentLength > c.maxBody {
		return nil, status, false, c.tooLarge(op, status)
	}
	// One allocation when the length is known, rather than ReadAll's
	// doubling from 512 bytes.
	var buf bytes.Buffer
	if resp.ContentLength > 0 {
		buf.Grow(int(resp.ContentLength) + bytes.MinRead)
	}
	_, err = buf.ReadFrom(io.LimitReader(resp.Body, c.maxBody+1))
	b := buf.Bytes()
	if err != nil {
		return nil, status, ctx.Err() == nil, c.transportError(ctx, actx, op, status, err)
	}
	if int64(len(b)) > c.maxBody {
		return nil, status, false, c.tooLarge(op, status)
	}
	if status >= 200 && status <= 299 {
		return b, status, false, nil
	}
	e := &Error{API: c.api, Op: op, Kind: KindForStatus(status), Status: status}
	if c.errorBody != nil {
		code, msg := c.errorBody(b)
		e.Code, e.Message = c.Redact(code), c.Redact(msg)
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return nil, status, e.Kind == ErrUnavailable, e
}

func (c *Caller) tooLarge(op string, status int) error {
	return &Error{API: c.api, Op: op, Kind: ErrUnexpected, Status: status,
		Err: fmt.Errorf("response body larger than %d bytes", c.maxBody)}
}

// transportError classifies a failure to get or read a response: the
// caller's context ending, an attempt timeout, or a connection error.
func (c *Caller) transportError(ctx, actx context.Context, op string, status int, err error) error {
	if ctx.Err() != nil {
		return c.ctxError(ctx, op)
	}
	if actx.Err() != nil {
		return &Error{API: c.api, Op: op, Kind: ErrUnavailable, Status: status,
			Err: &causeError{msg: "no response within " + c.timeout.String(), err: context.DeadlineExceeded}}
	}
	return &Error{API: c.api, Op: op, Kind: ErrUnavailable, Status: status, Err: c.scrub(err)}
}

// ctxError reports that the caller's context ended. It deliberately matches
// none of the Err* values.
func (c *Caller) ctxError(ctx context.Context, op string) error {
	return &Error{API: c.api, Op: op, Err: ctx.Err()}
}

// jitter draws a backoff's sleep, uniform over (0, ceiling]. Tests replace
// it to take either side of a deadline on purpose.
var jitter = func(ceiling time.Duration) time.Duration { return rand.N(ceiling) + 1 }

// backoff sleeps before retry number attempt+1 (full jitter, exponential).
// It returns false, without sleeping, when ctx is done or its deadline would
// pass during the sleep, and false as soon as ctx is done while sleeping.
func backoff(ctx context.Context, base time.Duration, attempt int) bool {
	ceiling := base << min(attempt, 20)
	if ceiling <= 0 || ceiling > maxBackoff {
		ceiling = maxBackoff
	}
	d := jitter(ceiling)
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= d {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
