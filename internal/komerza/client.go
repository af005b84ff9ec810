// Package komerza is a client for the customer endpoints of the Komerza
// Admin API, scoped to one store: get a customer by ID or email address,
// list and search customers (by page number), set a customer's store
// balance.
//
// Every method returns an *upstream.Error, with API "komerza", that matches
// one of the upstream.Err* values with errors.Is. GET requests are retried
// on 5xx responses, connection errors and attempt timeouts; the balance
// PATCH never is. The request machinery (retries, upstream.Options.Before,
// Retry-After, body limits, redaction) is package upstream's; this package
// holds Komerza's paths, envelope and wire types.
package komerza

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"customergraph/internal/upstream"
)

// api names this API in error text.
const api = "komerza"

const (
	opGet         = "get customer"
	opGetByEmail  = "get customer by email"
	opList        = "list customers"
	opSearch      = "search customers"
	opBalance     = "update balance"
	errNoCustomer = "response has no customer"
)

// Client calls the Komerza Admin API for one store. It is safe for
// concurrent use.
type Client struct {
	c       *upstream.Caller
	storeID string
	prefix  string // "/stores/{storeId}/customers", escaped
}

// New returns a Client for the store storeID (a UUID) of the API at
// baseURL, e.g. "https://api.komerza.com", authenticating with apiKey.
// baseURL must be an absolute http or https URL without query, fragment or
// user info. A nil opts selects every default; bodies of up to
// upstream.DefaultMaxBodySize (8 MiB) are read unless opts.MaxBodySize says
// otherwise.
func New(baseURL, apiKey, storeID string, opts *upstream.Options) (*Client, error) {
	if !isUUID(storeID) {
		return nil, errors.New("komerza: store ID must be a UUID")
	}
	c, err := upstream.NewCaller(api, baseURL, apiKey, opts, parseErrorBody)
	if err != nil {
		return nil, err
	}
	return &Client{c: c, storeID: storeID, prefix: "/stores/" + upstream.PathSegment(storeID) + "/customers"}, nil
}

// StoreID returns the store the Client reads and writes.
func (c *Client) StoreID() string { return c.storeID }

// Customer returns the customer with the given ID, a UUID; any other ID is
// an ErrValidation without a request.
func (c *Client) Customer(ctx context.Context, id string) (*Customer, error) {
	if !isUUID(id) {
		return nil, &upstream.Error{API: api, Op: opGet, Kind: upstream.ErrValidation, Message: "customer ID must be a UUID"}
	}
	return c.getCustomer(ctx, opGet, c.prefix+"/"+upstream.PathSegment(id))
}

// CustomerByEmail returns the customer with the given email address, which
// the API matches exactly. An empty address is an ErrValidation without a
// request.
func (c *Client) CustomerByEmail(ctx context.Context, email string) (*Customer, error) {
	if strings.TrimSpace(email) == "" {
		return nil, &upstream.Error{API: api, Op: opGetByEmail, Kind: upstream.ErrValidation, Message: "empty email address"}
	}
	return c.getCustomer(ctx, opGetByEmail, c.prefix+"/"+upstream.PathSegment(email)+"/email")
}

func (c *Client) getCustomer(ctx context.Context, op, path string) (*Customer, error) {
	body, status, err := c.c.Do(ctx, op, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	if cu, ok := decodeRecord(body); ok {
		return cu, nil
	}
	return c.decodeRecordStd(op, status, body)
}

// decodeRecordStd decodes a single customer's body with encoding/json:
// what decodeRecord gives up on, and what its tests compare it with.
func (c *Client) decodeRecordStd(op string, status int, body []byte) (*Customer, error) {
	env, err := c.decode(op, status, body)
	if err != nil {
		return nil, err
	}
	cu, err := decodeCustomer(env.Data)
	if err != nil {
		return nil, &upstream.Error{API: api, Op: op, Kind: upstream.ErrUnexpected, Status: status, Err: err}
	}
	if cu == nil {
		return nil, &upstream.Error{API: api, Op: op, Kind: upstream.ErrUnexpected, Status: status, Err: errors.New(errNoCustomer)}
	}
	return cu, nil
}

// ListParams selects a page of customers. Zero fields are not sent: the API
// then starts at page 1 with its default page size. A negative Page or
// PageSize is an ErrValidation without a request.
type ListParams struct {
	Page     int // from 1
	PageSize int
	// Email and IPAddress keep the customers whose email address or IP
	// address contains them, ignoring case. Only ListCustomers sends them.
	Email     string
	IPAddress string
}

// Page is one page of customers.
type Page struct {
	Customers []CustomerRef
	Pages     int // how many pages there are in all; 0 when the API does not say
}

// ListCustomers returns one page of the store's customers.
func (c *Client) ListCustomers(ctx context.Context, p ListParams) (*Page, error) {
	q, err := p.query(opList)
	if err != nil {
		return nil, err
	}
	if p.Email != "" {
		q.Set("email", p.Email)
	}
	if p.IPAddress != "" {
		q.Set("ipAddress", p.IPAddress)
	}
	return c.page(ctx, opList, c.prefix, q)
}

// SearchCustomers returns one page of the customers matching query; the
// API decides what matches. p.Email and p.IPAddress are not sent. An empty
// query is an ErrValidation without a request.
func (c *Client) SearchCustomers(ctx context.Context, query string, p ListParams) (*Page, error) {
	if strings.TrimSpace(query) == "" {
		return nil, &upstream.Error{API: api, Op: opSearch, Kind: upstream.ErrValidation, Message: "empty search query"}
	}
	q, err := p.query(opSearch)
	if err != nil {
		return nil, err
	}
	return c.page(ctx, opSearch, c.prefix+"/search/"+upstream.PathSegment(query), q)
}

func (p ListParams) query(op string) (url.Values, error) {
	if p.Page < 0 || p.PageSize < 0 {
		return nil, &upstream.Error{API: api, Op: op, Kind: upstream.ErrValidation, Message: "page and page size must not be negative"}
	}
	q := url.Values{}
	if p.Page != 0 {
		q.Set("Page", strconv.Itoa(p.Page))
	}
	if p.PageSize != 0 {
		q.Set("PageSize", strconv.Itoa(p.PageSize))
	}
	return q, nil
}

func (c *Client) page(ctx context.Context, op, path string, q url.Values) (*Page, error) {
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	body, status, err := c.c.Do(ctx, op, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	if page, ok := decodePage(body); ok {
		return page, nil
	}
	return c.decodePageStd(op, status, body)
}

// decodePageStd decodes a page's body with encoding/json: what decodePage
// gives up on, and what its tests compare it with.
func (c *Client) decodePageStd(op string, status int, body []byte) (*Page, error) {
	env, err := c.decode(op, status, body)
	if err != nil {
		return nil, err
	}
	if env.Data == nil {
		return nil, &upstream.Error{API: api, Op: op, Kind: upstream.ErrUnexpected, Status: status, Err: errors.New("response has no data")}
	}
	page := &Page{}
	// An explicit null is taken for an empty page.
	if err := json.Unmarshal(env.Data, &page.Customers); err != nil {
		return nil, &upstream.Error{API: api, Op: op, Kind: upstream.ErrUnexpected, Status: status, Err: fmt.Errorf("decode data: %w", err)}
	}
	if env.Pages != nil {
		page.Pages = *env.Pages
	}
	return page, nil
}

// UpdateBalance sets the store balance of the customer with the given ID
// to newBalance (>= 0), with an optional audit comment; comment nil sends
// null. It is never retried. It returns the updated customer when the
// response carries one (data with an id), and else nil with a nil error:
// the caller re-reads the customer if it needs the record. An ID that is not
// a UUID, or a negative or non-finite balance, is an ErrValidation without
// a request.
func (c *Client) UpdateBalance(ctx context.Context, id string, newBalance float64, comment *string) (*Customer, error) {
	switch {
	case !isUUID(id):
		return nil, &upstream.Error{API: api, Op: opBalance, Kind: upstream.ErrValidation, Message: "customer ID must be a UUID"}
	case math.IsNaN(newBalance) || math.IsInf(newBalance, 0) || newBalance < 0:
		return nil, &upstream.Error{API: api, Op: opBalance, Kind: upstream.ErrValidation, Message: "balance must be a number >= 0"}
	}
	b, err := json.Marshal(struct {
		NewBalance float64 `json:"newBalance"`
		Comment    *string `json:"comment"`
	}{newBalance, comment})
	if err != nil {
		return nil, &upstream.Error{API: api, Op: opBalance, Kind: upstream.ErrValidation, Err: err}
	}
	body, status, err := c.c.Do(ctx, opBalance, http.MethodPatch, c.prefix+"/"+upstream.PathSegment(id)+"/balance", b)
	if err != nil {
		return nil, err
	}
	env, err := c.decode(opBalance, status, body)
	if err != nil {
		return nil, err
	}
	var probe struct {
		ID string `json:"id"`
	}
	if len(env.Data) == 0 || json.Unmarshal(env.Data, &probe) != nil || probe.ID == "" {
		return nil, nil
	}
	cu, err := decodeCustomer(env.Data)
	if err != nil {
		return nil, &upstream.Error{API: api, Op: opBalance, Kind: upstream.ErrUnexpected, Status: status, Err: err}
	}
	return cu, nil
}

// envelope is the API's response wrapper.
type envelope struct {
	Success *bool           `json:"success"`
	Message *string         `json:"message"`
	Code    *string         `json:"code"`
	Pages   *int            `json:"pages"` // lists only
	Data    json.RawMessage `json:"data"`  // nil when absent; "null" when null
}

// decode decodes a 2xx body and rejects "success": false.
func (c *Client) decode(op string, status int, body []byte) (*envelope, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, &upstream.Error{API: api, Op: op, Kind: upstream.ErrUnexpected, Status: status, Err: fmt.Errorf("decode body: %w", err)}
	}
	if env.Success != nil && !*env.Success {
		code, msg := parseErrorBody(body)
		return nil, &upstream.Error{API: api, Op: op, Kind: upstream.ErrUnexpected, Status: status,
			Code: c.c.Redact(code), Message: c.c.Redact(msg), Err: errors.New(`"success": false`)}
	}
	return &env, nil
}

// decodeCustomer decodes data as a customer; it returns nil for null or a
// customer without an ID.
func decodeCustomer(data json.RawMessage) (*Customer, error) {
	if len(data) == 0 {
		return nil, nil
	}
	var cu *Customer
	if err := json.Unmarshal(data, &cu); err != nil {
		return nil, fmt.Errorf("decode customer: %w", err)
	}
	if cu == nil || cu.ID == "" {
		return nil, nil
	}
	return cu, nil
}

// isUUID reports whether s is a UUID in its canonical text form
// (8-4-4-4-12 hex digits, either case).
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i]) {
				return false
			}
		}
	}
	return true
}

func isHex(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F'
}
