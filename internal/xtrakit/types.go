package xtrakit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Customer is an Xtrakit customer, as GET /customers/{id} and the list
// return it. The fields a create or edit requires (RequiredFields) are
// strings, "" when absent; the others are pointers, nil when absent or null.
type Customer struct {
	ID               int64        `json:"id"`
	UserID           *string      `json:"user_id"` // a UUID: the account that owns the customer
	BusinessCode     BusinessCode `json:"business_code"`
	CustomerGroupID  *int64       `json:"customer_group_id"`
	CustomerName     string       `json:"customer_name"` // one name, not split
	CustomerEmail    *string      `json:"customer_email"`
	CustomerPhone    string       `json:"customer_phone"`
	CustomerWhatsApp *string      `json:"customer_whatsapp"` // E.164 in the samples
	CustomerCountry  string       `json:"customer_country"`
	CustomerCity     string       `json:"customer_city"`
	CustomerState    string       `json:"customer_state"`
	CustomerZip      *string      `json:"customer_zip"`
	Address1         string       `json:"address1"`
	Address2         *string      `json:"address2"`
	CustomerProfile  *string      `json:"customer_profile"` // a photo URL
	CreatedBy        *string      `json:"created_by"`
	CreatedAt        Timestamp    `json:"created_at"`
	UpdatedAt        Timestamp    `json:"updated_at"`

	// Raw is the customer's JSON object as the API sent it, fields unknown
	// to this package included. Decoding a Customer fills it; it is not
	// encoded.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes a customer object and keeps a copy of it in Raw.
func (c *Customer) UnmarshalJSON(b []byte) error {
	type plain Customer
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*c = Customer(p)
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '{' {
		c.Raw = bytes.Clone(b)
	} else {
		c.Raw = nil
	}
	return nil
}

// Group is a customer group (the "customer-group" of GET /customers/{id}).
type Group struct {
	ID               int64        `json:"id"`
	UserID           *string      `json:"user_id"`
	BusinessCode     BusinessCode `json:"business_code"`
	GroupName        string       `json:"group_name"`
	GroupDescription *string      `json:"group_description"`
	CreatedAt        Timestamp    `json:"created_at"`
	UpdatedAt        Timestamp    `json:"updated_at"`
}

// RequiredFields are the fields, by their JSON names, that Xtrakit
// requires of a create and of an edit: an edit replaces the record, so
// every one of them must be sent. Do not modify.
var RequiredFields = []string{"customer_name", "customer_phone", "customer_country", "customer_city", "customer_state", "address1"}

// MissingFields returns the names of the RequiredFields that c leaves
// empty (or blank), in the order of RequiredFields; nil when none is.
func (c *Customer) MissingFields() []string {
	var missing []string
	for _, f := range [...]struct {
		name, value string
	}{
		{"customer_name", c.CustomerName},
		{"customer_phone", c.CustomerPhone},
		{"customer_country", c.CustomerCountry},
		{"customer_city", c.CustomerCity},
		{"customer_state", c.CustomerState},
		{"address1", c.Address1},
	} {
		if strings.TrimSpace(f.value) == "" {
			missing = append(missing, f.name)
		}
	}
	return missing
}

// Validate reports whether c can be sent as an edit: nil, or an
// *upstream.Error of Kind upstream.ErrValidation, whose Message names the
// missing fields and whose Err is a *MissingFieldsError listing them.
func (c *Customer) Validate() error {
	return validate("validate customer", c)
}

// MissingFieldsError lists the required fields a customer record lacks.
type MissingFieldsError struct {
	Fields []string // JSON names, in the order of RequiredFields
}

func (e *MissingFieldsError) Error() string {
	return "missing required fields: " + strings.Join(e.Fields, ", ")
}

// BusinessCode is the code of the business a record belongs to. The API
// sends it as a string in its samples and as an integer elsewhere; either
// decodes (an integer as its digits), as does null (""). It encodes as a
// string.
type BusinessCode string

// UnmarshalJSON decodes a string, a number or null.
func (c *BusinessCode) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*c = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*c = BusinessCode(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("xtrakit: decode business_code: %s is neither a string nor a number", b)
	}
	*c = BusinessCode(n.String())
	return nil
}

// Timestamp is a time as the API sends it: "2024-08-04 08:23:45", with no
// time zone, kept as its text ("" when absent or null). Time reads it in the
// zone the account's times are in.
type Timestamp string

// UnmarshalJSON decodes a string or null ("").
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		*t = ""
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("xtrakit: decode timestamp: %s is not a string", b)
	}
	*t = Timestamp(s)
	return nil
}

// The layouts Timestamp.Time reads in the given location: the API's own,
// then the same with a "T" or fractional seconds, then a bare date.
var localLayouts = []string{
	time.DateTime,
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	time.DateOnly,
}

// Time returns t as a time in loc (nil means UTC): t is read as a wall
// clock time there. A timestamp with a zone of its own (RFC 3339, as
// Laravel writes by default) is read in that zone instead. The empty
// Timestamp gives the zero time and no error.
func (t Timestamp) Time(loc *time.Location) (time.Time, error) {
	s := strings.TrimSpace(string(t))
	if s == "" {
		return time.Time{}, nil
	}
	if loc == nil {
		loc = time.UTC
	}
	if tt, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return tt, nil
	}
	for _, layout := range localLayouts {
		if tt, err := time.ParseInLocation(layout, s, loc); err == nil {
			return tt, nil
		}
	}
	return time.Time{}, fmt.Errorf("xtrakit: timestamp %q is not YYYY-MM-DD HH:MM:SS", s)
}
