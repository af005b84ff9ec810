// Package xtrakit is a client for the customer endpoints of the Xtrakit
// API: get a customer with its groups, list every customer, edit a customer
// by sending the whole record.
//
// Every method returns an *upstream.Error, with API "xtrakit", that matches
// one of the upstream.Err* values with errors.Is. GET requests are retried
// on 5xx responses, connection errors and attempt timeouts; the PUT never
// is. The request machinery (retries, upstream.Options.Before, Retry-After,
// body limits, redaction) is package upstream's; this package holds
// Xtrakit's paths, envelope and wire types.
//
// The list is not paginated: one response holds every customer that
// matches. A Client reads response bodies of up to DefaultMaxBodySize
// (64 MiB) unless upstream.Options.MaxBodySize says otherwise; a larger
// body fails with upstream.ErrUnexpected. Options.Timeout bounds the whole
// attempt, reading that body included.
package xtrakit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"customergraph/internal/upstream"
)

// DefaultMaxBodySize is the largest response body a Client reads unless
// upstream.Options.MaxBodySize says otherwise: the unpaginated list of a
// large account.
const DefaultMaxBodySize = 64 << 20

// api names this API in error text.
const api = "xtrakit"

const (
	opGet    = "get customer"
	opList   = "list customers"
	opUpdate = "update customer"
)

// Client calls the Xtrakit API. It is safe for concurrent use.
type Client struct {
	c *upstream.Caller
}

// New returns a Client for the API at baseURL, e.g.
// "https://app.xtrakit.com/api/v1", authenticating with apiKey. baseURL must
// be an absolute http or https URL without query, fragment or user info. A
// nil opts selects every default.
func New(baseURL, apiKey string, opts *upstream.Options) (*Client, error) {
	var o upstream.Options
	if opts != nil {
		o = *opts
	}
	if o.MaxBodySize <= 0 {
		o.MaxBodySize = DefaultMaxBodySize
	}
	c, err := upstream.NewCaller(api, baseURL, apiKey, &o, parseErrorBody)
	if err != nil {
		return nil, err
	}
	return &Client{c: c}, nil
}

// Customer returns the customer with the given ID and the groups the API
// sends with it. An ID that is not positive is an ErrValidation without a
// request.
func (c *Client) Customer(ctx context.Context, id int64) (*Customer, []Group, error) {
	if id <= 0 {
		return nil, nil, &upstream.Error{API: api, Op: opGet, Kind: upstream.ErrValidation, Message: "customer ID must be a positive integer"}
	}
	body, status, err := c.c.Do(ctx, opGet, http.MethodGet, customerPath(id), nil)
	if err != nil {
		return nil, nil, err
	}
	data, err := c.decode(opGet, status, body)
	if err != nil {
		return nil, nil, err
	}
	cu, groups, err := decodeCustomerData(data)
	if err == nil && cu == nil {
		err = errors.New("response has no customer")
	}
	if err != nil {
		return nil, nil, &upstream.Error{API: api, Op: opGet, Kind: upstream.ErrUnexpected, Status: status, Err: err}
	}
	return cu, groups, nil
}

func customerPath(id int64) string { return "/customers/" + strconv.FormatInt(id, 10) }

// ListParams filters the list of customers. Zero fields are not sent.
type ListParams struct {
	GroupID   int64  // customer_group_id
	CreatedAt string // created_at, a date: YYYY-MM-DD
	UpdatedAt string // updated_at, a date: YYYY-MM-DD
}

// ListCustomers returns every customer that matches p, in the API's order,
// from one response (see the package comment for its size limit). The API
// prints data.customers as an object in its docs: an array and an object
// whose values are customers are both accepted. A customer without an ID
// makes the response ErrUnexpected. A date that is not
// YYYY-MM-DD, or a negative GroupID, is an ErrValidation without a request.
func (c *Client) ListCustomers(ctx context.Context, p ListParams) ([]Customer, error) {
	q := url.Values{}
	switch {
	case p.GroupID < 0:
		return nil, &upstream.Error{API: api, Op: opList, Kind: upstream.ErrValidation, Message: "customer group ID must be positive"}
	case p.GroupID > 0:
		q.Set("customer_group_id", strconv.FormatInt(p.GroupID, 10))
	}
	for _, kv := range [...][2]string{{"created_at", p.CreatedAt}, {"updated_at", p.UpdatedAt}} {
		if kv[1] == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, kv[1]); err != nil {
			return nil, &upstream.Error{API: api, Op: opList, Kind: upstream.ErrValidation, Message: kv[0] + " must be a date, YYYY-MM-DD"}
		}
		q.Set(kv[0], kv[1])
	}
	path := "/customers"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	body, status, err := c.c.Do(ctx, opList, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	data, err := c.decode(opList, status, body)
	if err != nil {
		return nil, err
	}
	customers, err := decodeListData(data)
	if err != nil {
		return nil, &upstream.Error{API: api, Op: opList, Kind: upstream.ErrUnexpected, Status: status, Err: err}
	}
	return customers, nil
}

// UpdateCustomer replaces the customer with the given ID by cu, sending
// every field the API lets an edit set (all but id, user_id, business_code,
// created_by, created_at and updated_at, which the API keeps), nil ones as
// null. It is never retried. Read the record first and change what needs
// changing: a field left empty is cleared.
//
// It returns the updated customer and its groups when the response carries
// the record, and else nil, nil and a nil error: the caller re-reads the
// customer if it needs it. A record that lacks a required field (see
// Customer.Validate), or whose ID is set and is not id, and an ID that is
// not positive, are an ErrValidation without a request.
func (c *Client) UpdateCustomer(ctx context.Context, id int64, cu Customer) (*Customer, []Group, error) {
	switch {
	case id <= 0:
		return nil, nil, &upstream.Error{API: api, Op: opUpdate, Kind: upstream.ErrValidation, Message: "customer ID must be a positive integer"}
	case cu.ID != 0 && cu.ID != id:
		return nil, nil, &upstream.Error{API: api, Op: opUpdate, Kind: upstream.ErrValidation,
			Message: fmt.Sprintf("the record is customer %d, not %d", cu.ID, id)}
	}
	if err := validate(opUpdate, &cu); err != nil {
		return nil, nil, err
	}
	b, err := json.Marshal(editOf(&cu))
	if err != nil {
		return nil, nil, &upstream.Error{API: api, Op: opUpdate, Kind: upstream.ErrValidation, Err: err}
	}
	body, status, err := c.c.Do(ctx, opUpdate, http.MethodPut, customerPath(id), b)
	if err != nil {
		return nil, nil, err
	}
	data, err := c.decode(opUpdate, status, body)
	if err != nil {
		return nil, nil, err
	}
	updated, groups, err := decodeCustomerData(data)
	if err != nil {
		return nil, nil, &upstream.Error{API: api, Op: opUpdate, Kind: upstream.ErrUnexpected, Status: status, Err: err}
	}
	if updated == nil {
		return nil, nil, nil
	}
	return updated, groups, nil
}

// edit is the body of PUT /customers/{id}: the fields an edit sets.
type edit struct {
	CustomerGroupID  *int64  `json:"customer_group_id"`
	CustomerName     string  `json:"customer_name"`
	CustomerEmail    *string `json:"customer_email"`
	CustomerPhone    string  `json:"customer_phone"`
	CustomerWhatsApp *string `json:"customer_whatsapp"`
	CustomerCountry  string  `json:"customer_country"`
	CustomerCity     string  `json:"customer_city"`
	CustomerState    string  `json:"customer_state"`
	CustomerZip      *string `json:"customer_zip"`
	Address1         string  `json:"address1"`
	Address2         *string `json:"address2"`
	CustomerProfile  *string `json:"customer_profile"`
}

func editOf(c *Customer) edit {
	return edit{
		CustomerGroupID:  c.CustomerGroupID,
		CustomerName:     c.CustomerName,
		CustomerEmail:    c.CustomerEmail,
		CustomerPhone:    c.CustomerPhone,
		CustomerWhatsApp: c.CustomerWhatsApp,
		CustomerCountry:  c.CustomerCountry,
		CustomerCity:     c.CustomerCity,
		CustomerState:    c.CustomerState,
		CustomerZip:      c.CustomerZip,
		Address1:         c.Address1,
		Address2:         c.Address2,
		CustomerProfile:  c.CustomerProfile,
	}
}

func validate(op string, c *Customer) error {
	missing := c.MissingFields()
	if missing == nil {
		return nil
	}
	e := &MissingFieldsError{Fields: missing}
	return &upstream.Error{API: api, Op: op, Kind: upstream.ErrValidation, Message: e.Error(), Err: e}
}

// envelope is the API's response wrapper: {"status", "message", "data"};
// errors carry "error" instead of "message".
type envelope struct {
	Status  *status         `json:"status"`
	Message json.RawMessage `json:"message"`
	Error   json.RawMessage `json:"error"`
	Data    json.RawMessage `json:"data"` // nil when absent
}

// status is the envelope's status: a number, or a string of digits.
type status int

func (s *status) UnmarshalJSON(b []byte) error {
	b = bytes.Trim(bytes.TrimSpace(b), `"`)
	n, err := strconv.Atoi(string(b))
	if err != nil {
		return fmt.Errorf("status %s is not a number", b)
	}
	*s = status(n)
	return nil
}

// decode decodes a 2xx body and returns its data. An error status in the
// envelope (a 2xx response saying {"status": 404, ...}) is that status's
// error, with Status set to it.
func (c *Client) decode(op string, httpStatus int, body []byte) (json.RawMessage, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, &upstream.Error{API: api, Op: op, Kind: upstream.ErrUnexpected, Status: httpStatus, Err: fmt.Errorf("decode body: %w", err)}
	}
	if env.Status != nil && (*env.Status < 200 || *env.Status > 299) {
		s := int(*env.Status)
		code, msg := parseErrorBody(body)
		return nil, &upstream.Error{API: api, Op: op, Kind: upstream.KindForStatus(s), Status: s,
			Code: c.c.Redact(code), Message: c.c.Redact(msg),
			Err: fmt.Errorf("HTTP status %d with status %d in the body", httpStatus, s)}
	}
	if env.Data == nil {
		return nil, &upstream.Error{API: api, Op: op, Kind: upstream.ErrUnexpected, Status: httpStatus, Err: errors.New("response has no data")}
	}
	return env.Data, nil
}

// decodeCustomerData decodes the data of a single-customer response:
// {"customer": {...}, "customer-group": [...]}, or the customer object
// itself. It returns a nil customer when data holds none.
func decodeCustomerData(data json.RawMessage) (*Customer, []Group, error) {
	if !isObject(data) {
		return nil, nil, nil // null, or [] for an empty PHP array
	}
	var d struct {
		Customer json.RawMessage `json:"customer"`
		Groups   json.RawMessage `json:"customer-group"`
		ID       json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, nil, fmt.Errorf("decode data: %w", err)
	}
	raw := d.Customer
	if raw == nil && d.ID != nil {
		raw = data // the record itself
	}
	if !isObject(raw) {
		return nil, nil, nil
	}
	var cu Customer
	if err := json.Unmarshal(raw, &cu); err != nil {
		return nil, nil, fmt.Errorf("decode customer: %w", err)
	}
	if cu.ID == 0 {
		return nil, nil, nil
	}
	groups, err := decodeList[Group](d.Groups)
	if err != nil {
		return nil, nil, fmt.Errorf("decode customer-group: %w", err)
	}
	return &cu, groups, nil
}

// decodeListData decodes the data of a list response: {"customers": ...}.
// Data that is itself an array (empty, as PHP writes an empty map, or of
// customers) or null is taken for the list. Every customer must have an ID.
func decodeListData(data json.RawMessage) ([]Customer, error) {
	list := data
	if isObject(data) {
		var d struct {
			Customers json.RawMessage `json:"customers"`
		}
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, fmt.Errorf("decode data: %w", err)
		}
		if d.Customers == nil {
			return nil, errors.New("response has no customers")
		}
		list = d.Customers
	}
	customers, err := decodeList[Customer](list)
	if err != nil {
		return nil, fmt.Errorf("decode customers: %w", err)
	}
	for i := range customers {
		if customers[i].ID <= 0 {
			return nil, fmt.Errorf("customer %d of the list has no ID", i+1)
		}
	}
	return customers, nil
}

// decodeList decodes a JSON array of T, an object whose values are T (in
// the order they appear), or null (none).
func decodeList[T any](raw json.RawMessage) ([]T, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] != '{' {
		var list []T
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, err
		}
		return list, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // {
		return nil, err
	}
	var list []T
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v T
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("member %q: %w", key, err)
		}
		list = append(list, v)
	}
	return list, nil
}

func isObject(b json.RawMessage) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{'
}

// errorBody is an error response: {"status": 401, "error": "text"}, or
// the envelope with a message, or a Laravel validation error,
// {"message": "...", "errors": {"field": ["..."]}} (or the fields as
// "error").
type errorBody struct {
	Error   json.RawMessage `json:"error"`
	Message json.RawMessage `json:"message"`
	Errors  json.RawMessage `json:"errors"`
}

// parseErrorBody extracts the message from an error body: "error" if it is
// a string (or an object with a message), else "message", with the first
// invalid field added when the body lists them. Xtrakit has no error codes:
// code is always "".
func parseErrorBody(body []byte) (code, message string) {
	var eb errorBody
	if json.Unmarshal(body, &eb) != nil {
		return "", ""
	}
	fields := eb.Errors
	message = text(eb.Error)
	if message == "" && isObject(eb.Error) {
		var obj struct {
			Message json.RawMessage `json:"message"`
		}
		json.Unmarshal(eb.Error, &obj)
		if obj.Message != nil {
			message = text(obj.Message)
		} else if len(fields) == 0 {
			fields = eb.Error // {"error": {"field": ["..."]}}
		}
	}
	if message == "" {
		message = text(eb.Message)
	}
	if name, why := upstream.FirstInvalidField(fields); name != "" {
		switch {
		case why == "":
			why = "invalid " + name
		case !strings.Contains(why, name) && !strings.Contains(why, strings.ReplaceAll(name, "_", " ")):
			why = name + ": " + why
		}
		if message == "" || message == why {
			message = why
		} else if !strings.Contains(message, why) {
			message += " (" + why + ")"
		}
	}
	return "", message
}

// text returns b as a string if it is a JSON string, trimmed; else "".
func text(b json.RawMessage) string {
	var s string
	if json.Unmarshal(b, &s) != nil {
		return ""
	}
	return strings.TrimSpace(s)
}
