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
//
// The request machinery is package upstream's, shared with the other vendor
// clients; this package holds Tiquo's paths, envelopes and wire types.
package tiquo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"customergraph/internal/identifier"
	"customergraph/internal/upstream"
)

// Options configures a Client; see upstream.Options for each field and its
// default. A Client reads bodies of up to upstream.DefaultMaxBodySize (8 MiB)
// unless MaxBodySize says otherwise.
type Options = upstream.Options

// Result describes one attempt, for the function Options.Before returns.
type Result = upstream.Result

// Defaults for Options.
const (
	DefaultTimeout    = upstream.DefaultTimeout
	DefaultMaxRetries = upstream.DefaultMaxRetries
	DefaultRetryBase  = upstream.DefaultRetryBase
	DefaultUserAgent  = upstream.DefaultUserAgent
)

const (
	opGet    = "get customer"
	opList   = "list customers"
	opUpdate = "update customer"
)

// Client calls the Tiquo Admin API. It is safe for concurrent use.
type Client struct {
	c *upstream.Caller
}

// New returns a Client for the API at baseURL, e.g.
// "https://api.tiquo.app/api/v1", authenticating with apiKey. baseURL must be
// an absolute http or https URL without query, fragment or user info. A nil
// opts selects every default.
func New(baseURL, apiKey string, opts *Options) (*Client, error) {
	c, err := upstream.NewCaller(api, baseURL, apiKey, opts, parseErrorBody)
	if err != nil {
		return nil, err
	}
	return &Client{c: c}, nil
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
	Pagination *pagination     `json:"pagination"`
}

type pagination struct {
	HasMore    bool    `json:"hasMore"`
	NextCursor *string `json:"nextCursor"`
	PageSize   int     `json:"pageSize"`
}

// Customer returns the customer with the given identifier, of any kind
// (customer number, email, phone or document ID).
func (c *Client) Customer(ctx context.Context, id identifier.ID) (*Customer, error) {
	if id.IsZero() {
		return nil, &Error{API: api, Op: opGet, Kind: ErrValidation, Message: "empty customer identifier"}
	}
	body, status, err := c.c.Do(ctx, opGet, http.MethodGet, "/customers/"+upstream.PathSegment(id.String()), nil)
	if err != nil {
		return nil, err
	}
	return c.decodeCustomer(opGet, status, body)
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
	body, status, err := c.c.Do(ctx, opList, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	var env envelope[[]Customer]
	if err := decodeEnvelope(c, opList, status, body, &env); err != nil {
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
	body, status, err := c.c.Do(ctx, opUpdate, http.MethodPatch, "/customers/"+upstream.PathSegment(id), b)
	if err != nil {
		return nil, err
	}
	return c.decodeCustomer(opUpdate, status, body)
}

func (c *Client) decodeCustomer(op string, status int, body []byte) (*Customer, error) {
	var env envelope[*Customer]
	if err := decodeEnvelope(c, op, status, body, &env); err != nil {
		return nil, err
	}
	if env.Data == nil {
		return nil, &Error{API: api, Op: op, Kind: ErrUnexpected, Status: status, Err: errors.New("response has no data")}
	}
	return env.Data, nil
}

// decodeEnvelope decodes a 2xx body into env and rejects "success": false.
func decodeEnvelope[T any](c *Client, op string, status int, body []byte, env *envelope[T]) error {
	var err error
	switch env := any(env).(type) {
	case *envelope[[]Customer]:
		err = decodeList(body, env)
	case *envelope[*Customer]:
		err = decodeOne(body, env)
	default:
		err = json.Unmarshal(body, env)
	}
	if err != nil {
		return &Error{API: api, Op: op, Kind: ErrUnexpected, Status: status, Err: fmt.Errorf("decode body: %w", err)}
	}
	if env.Success != nil && !*env.Success {
		code, msg := parseErrorBody(body)
		return &Error{API: api, Op: op, Kind: ErrUnexpected, Status: status, Code: c.c.Redact(code), Message: c.c.Redact(msg),
			Err: errors.New(`"success": false`)}
	}
	return nil
}
