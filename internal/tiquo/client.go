// Package tiquo is a client for the customer endpoints of the Tiquo Admin
// API: get a customer by any identifier, list customers, update a customer.
//
// Every method maps failures to an *Error that matches one of the Err*
// values with errors.Is. GET requests are retried on 5xx responses,
// connection errors and attempt timeouts; PATCH requests never are. No
// retry is started whose backoff would end after the context's deadline.
//
// Options.Before sees every attempt, retries included, and may refuse it:
// the place for a circuit breaker, a request budget or a rate-limit pause.
package tiquo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"customergraph/internal/identifier"
)

// Options configures a Client. The zero value of each field selects its
// default.
type Options struct {
	// HTTPClient sends the requests. The default uses a keep-alive transport
	// sized for many concurrent calls and does not follow redirects.
	HTTPClient *http.Client
	// Timeout bounds each attempt, including reading the body. Default 10s.
	Timeout time.Duration
	// MaxRetries is how many times a GET is retried after a 5xx response, a
	// connection error or an attempt timeout. Default 2; negative means no
	// retries.
	MaxRetries int
	// RetryBase is the base of the exponential backoff between retries
	// (full jitter). Default 100ms.
	RetryBase time.Duration
	// UserAgent is sent with every request. Default "customergraph".
	UserAgent string
	// Before, when set, is called before every attempt, retries included,
	// with the request's method. A non-nil error ends the call there: the
	// attempt is not sent and nothing is retried. The call returns that
	// error with Op set if it is an *Error, and otherwise wrapped in an
	// *Error of Kind ErrUnavailable. Else Before returns the function to
	// call with the attempt's Result once it is over, or nil.
	Before func(ctx context.Context, method string) (after func(Result), err error)
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
	DefaultTimeout    = 10 * time.Second
	DefaultMaxRetries = 2
	DefaultRetryBase  = 100 * time.Millisecond
	DefaultUserAgent  = "customergraph"
)

const (
	maxBodySize  = 8 << 20 // largest response body read
	maxDrainSize = 64 << 10
	maxBackoff   = 5 * time.Second

	opGet    = "get customer"
	opList   = "list customers"
	opUpdate = "update customer"
)

// Client calls the Tiquo Admin API. It is safe for concurrent use.
type Client struct {
	baseURL    string // no trailing slash
	authHeader string // "Bearer <key>", or "" without a key
	apiKey     string
	secrets    []string // redacted from transport error text, longest first
	hc         *http.Client
	timeout    time.Duration
	maxRetries int
	retryBase  time.Duration
	userAgent  string
	before     func(ctx context.Context, method string) (func(Result), error)
}

// New returns a Client for the API at baseURL, e.g.
// "https://api.tiquo.app/api/v1", authenticating with apiKey. baseURL must be
// an absolute http or https URL without query, fragment or user info. A nil
// opts selects every default.
func New(baseURL, apiKey string, opts *Options) (*Client, error) {
	u, err := url.Parse(baseURL)
	switch {
	case err != nil:
		return nil, errors.New("tiquo: invalid base URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New("tiquo: base URL must be an absolute http or https URL")
	case u.Host == "":
		return nil, errors.New("tiquo: base URL has no host")
	case u.User != nil:
		return nil, errors.New("tiquo: base URL must not contain user info")
	case u.RawQuery != "" || u.ForceQuery:
		return nil, errors.New("tiquo: base URL must not have a query")
	case u.Fragment != "":
		return nil, errors.New("tiquo: base URL must not have a fragment")
	case strings.ContainsAny(apiKey, "\r\n\x00"):
		return nil, errors.New("tiquo: API key contains control characters")
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	c := &Client{
		baseURL:    strings.TrimRight(u.String(), "/"),
		apiKey:     apiKey,
		hc:         o.HTTPClient,
		timeout:    o.Timeout,
		maxRetries: o.MaxRetries,
		retryBase:  o.RetryBase,
		userAgent:  o.UserAgent,
		before:     o.Before,
	}
	if apiKey != "" {
		c.authHeader = "Bearer " + apiKey
	}
	if c.hc == nil {
		c.hc = defaultHTTPClient()
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
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	for _, s := range []string{apiKey, c.baseURL, baseURL, u.Host, u.Hostname()} {
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

func defaultHTTPClient() *http.Client {
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
		// into a GET. A 3xx is reported as ErrUnexpected.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// ListParams selects a page of customers. Empty fields are not sent; a zero
// Limit leaves the page size to the upstream (50).
type ListParams struct {
	Limit          int    // 1–100
	Cursor         string // Page.NextCursor of the previous page
	Search         string // full text; cannot be combined with ParameterID or ParameterName
	Status         string
	ParameterID    string // e.g. "system_marketing_opt_in"
	ParameterName  string // e.g. "Marketing Opt-In"
	ParameterValue string // with ParameterID or ParameterName: exact value match
}

// Page is one page of customers.
type Page struct {
	Customers  []Customer
	HasMore    bool
	NextCursor string // "" on the last page
	PageSize   int
}

type envelope[T any] struct {
	Success    *bool           `json:"success"`
	Data       T               `json:"data"`
	Error      json.RawMessage `json:"error"`
	Pagination *struct {
		HasMore    bool    `json:"hasMore"`
		NextCursor *string `json:"nextCursor"`
		PageSize   int     `json:"pageSize"`
	} `json:"pagination"`
}

// Customer returns the customer with the given identifier, of any kind
// (customer number, email, phone or document ID).
func (c *Client) Customer(ctx context.Context, id identifier.ID) (*Customer, error) {
	if id.IsZero() {
		return nil, &Error{API: api, Op: opGet, Kind: ErrValidation, Message: "empty customer identifier"}
	}
	body, status, err := c.send(ctx, opGet, http.MethodGet, "/customers/"+url.PathEscape(id.String()), nil)
	if err != nil {
		return nil, err
	}
	return decodeCustomer(opGet, status, body)
}

// ListCustomers returns one page of customers.
func (c *Client) ListCustomers(ctx context.Context, p ListParams) (*Page, error) {
	q := url.Values{}
	if p.Limit != 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	for _, kv := range [...][2]string{
		{"cursor", p.Cursor},
		{"search", p.Search},
		{"status", p.Status},
		{"parameterId", p.ParameterID},
		{"parameterName", p.ParameterName},
		{"parameterValue", p.ParameterValue},
	} {
		if kv[1] != "" {
			q.Set(kv[0], kv[1])
		}
	}
	path := "/customers"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	body, status, err := c.send(ctx, opList, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	var env envelope[[]Customer]
	if err := decodeEnvelope(opList, status, body, &env); err != nil {
		return nil, err
	}
	if env.Data == nil {
		return nil, &Error{API: api, Op: opList, Kind: ErrUnexpected, Status: status, Err: errors.New("response has no data")}
	}
	page := &Page{Customers: env.Data}
	if pg := env.Pagination; pg != nil {
		page.HasMore = pg.HasMore
		page.PageSize = pg.PageSize
		if pg.NextCursor != nil {
			page.NextCursor = *pg.NextCursor
		}
	}
	if page.HasMore && page.NextCursor == "" {
		return nil, &Error{API: api, Op: opList, Kind: ErrUnexpected, Status: status, Err: errors.New("hasMore without nextCursor")}
	}
	return page, nil
}

// UpdateCustomer applies patch to the customer with document ID id and
// returns the updated customer. It is never retried.
func (c *Client) UpdateCustomer(ctx context.Context, id string, patch Patch) (*Customer, error) {
	if id == "" {
		return nil, &Error{API: api, Op: opUpdate, Kind: ErrValidation, Message: "empty customer ID"}
	}
	b, err := json.Marshal(patch)
	if err != nil {
		return nil, &Error{API: api, Op: opUpdate, Kind: ErrValidation, Err: err}
	}
	body, status, err := c.send(ctx, opUpdate, http.MethodPatch, "/customers/"+url.PathEscape(id), b)
	if err != nil {
		return nil, err
	}
	return decodeCustomer(opUpdate, status, body)
}

func decodeCustomer(op string, status int, body []byte) (*Customer, error) {
	var env envelope[*Customer]
	if err := decodeEnvelope(op, status, body, &env); err != nil {
		return nil, err
	}
	if env.Data == nil {
		return nil, &Error{API: api, Op: op, Kind: ErrUnexpected, Status: status, Err: errors.New("response has no data")}
	}
	return env.Data, nil
}

// decodeEnvelope decodes a 2xx body into env and rejects "success": false.
func decodeEnvelope[T any](op string, status int, body []byte, env *envelope[T]) error {
	if err := json.Unmarshal(body, env); err != nil {
		return &Error{API: api, Op: op, Kind: ErrUnexpected, Status: status, Err: fmt.Errorf("decode body: %w", err)}
	}
	if env.Success != nil && !*env.Success {
		code, msg := parseErrorBody(body)
		return &Error{API: api, Op: op, Kind: ErrUnexpected, Status: status, Code: code, Message: msg,
			Err: errors.New(`"success": false`)}
	}
	return nil
}

// send performs the request, retrying GETs, and returns the body of a 2xx
// response.
func (c *Client) send(ctx context.Context, op, method, path string, body []byte) ([]byte, int, error) {
	retries := 0
	if method == http.MethodGet {
		retries = c.maxRetries
	}
	for attempt := 0; ; attempt++ {
		var after func(Result)
		if c.before != nil {
			var err error
			if after, err = c.before(ctx, method); err != nil {
				return nil, 0, refused(op, err)
			}
		}
		b, status, retry, err := c.try(ctx, op, method, path, body)
		if after != nil {
			r := Result{Method: method, Status: status, Err: err}
			var te *Error
			if errors.As(err, &te) {
				r.RetryAfter = te.RetryAfter
			}
			after(r)
		}
		if err == nil {
			return b, status, nil
		}
		if !retry || attempt >= retries {
			return nil, status, err
		}
		if !c.backoff(ctx, attempt) {
			if ctx.Err() != nil {
				return nil, 0, ctxError(ctx, op)
			}
			// Not enough time left before ctx's deadline: give up.
			return nil, status, err
		}
	}
}

// refused returns the error Options.Before refused an attempt with, as the
// call's error.
func refused(op string, err error) error {
	var te *Error
	if errors.As(err, &te) {
		e := *te
		e.API, e.Op = api, op
		return &e
	}
	return &Error{API: api, Op: op, Kind: ErrUnavailable, Err: err}
}

// try makes one attempt. retry reports whether a GET may be retried.
func (c *Client) try(ctx context.Context, op, method, path string, body []byte) (_ []byte, status int, retry bool, _ error) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, method, c.baseURL+path, rd)
	if err != nil {
		return nil, 0, false, &Error{API: api, Op: op, Kind: ErrUnexpected, Err: c.scrub(err)}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if c.authHeader != "" {
		req.Header.Set("Authorization", c.authHeader)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
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
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBodySize+1))
	if err != nil {
		return nil, status, ctx.Err() == nil, c.transportError(ctx, actx, op, status, err)
	}
	if len(b) > maxBodySize {
		return nil, status, false, &Error{API: api, Op: op, Kind: ErrUnexpected, Status: status,
			Err: fmt.Errorf("response body larger than %d bytes", maxBodySize)}
	}
	if status >= 200 && status <= 299 {
		return b, status, false, nil
	}
	code, msg := parseErrorBody(b)
	e := &Error{API: api, Op: op, Kind: kindForStatus(status), Status: status, Code: code, Message: c.redactKey(msg)}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return nil, status, e.Kind == ErrUnavailable, e
}

// transportError classifies a failure to get or read a response: the
// caller's context ending, an attempt timeout, or a connection error.
func (c *Client) transportError(ctx, actx context.Context, op string, status int, err error) error {
	if ctx.Err() != nil {
		return ctxError(ctx, op)
	}
	if actx.Err() != nil {
		return &Error{API: api, Op: op, Kind: ErrUnavailable, Status: status,
			Err: &causeError{msg: "no response within " + c.timeout.String(), err: context.DeadlineExceeded}}
	}
	return &Error{API: api, Op: op, Kind: ErrUnavailable, Status: status, Err: c.scrub(err)}
}

// ctxError reports that the caller's context ended. It deliberately matches
// none of the Err* values.
func ctxError(ctx context.Context, op string) error {
	return &Error{API: api, Op: op, Err: ctx.Err()}
}

// backoff sleeps before retry number attempt+1 (full jitter, exponential).
// It returns false, without sleeping, when ctx is done or its deadline would
// pass during the sleep, and false as soon as ctx is done while sleeping.
func (c *Client) backoff(ctx context.Context, attempt int) bool {
	ceiling := c.retryBase << min(attempt, 20)
	if ceiling <= 0 || ceiling > maxBackoff {
		ceiling = maxBackoff
	}
	d := rand.N(ceiling) + 1
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

// redactKey removes the API key from an upstream message.
func (c *Client) redactKey(s string) string {
	if c.apiKey == "" || s == "" {
		return s
	}
	return strings.ReplaceAll(s, c.apiKey, "[redacted]")
}
