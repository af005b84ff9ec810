package komerza

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Customer is a customer of the store in full (the API's PublicCustomer), as
// returned by Client.Customer and Client.CustomerByEmail. Fields the API
// may omit or send as null are pointers, nil slices or a nil map.
type Customer struct {
	ID                   string            `json:"id"` // a UUID
	DateCreated          Time              `json:"dateCreated"`
	EmailAddress         string            `json:"emailAddress"`
	Status               *string           `json:"status"` // free text, e.g. "New", "Regular", "VIP"
	TotalSpend           *float64          `json:"totalSpend"`
	AverageSpend         *float64          `json:"averageSpend"`
	TotalOrders          *int              `json:"totalOrders"`
	IPAddress            *string           `json:"ipAddress"`
	Balance              *float64          `json:"balance"` // the store balance
	ExternalIntegrations map[string]string `json:"externalIntegrations"`
	Subscriptions        []Subscription    `json:"subscriptions"`
	Tickets              []Ticket          `json:"tickets"`
	Affiliate            *Affiliate        `json:"affiliate"`
	IsBlocked            *bool             `json:"isBlocked"`
	BlockedNote          *string           `json:"blockedNote"`
	BlockedAt            *Time             `json:"blockedAt"`

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
	c.Raw = rawObject(b)
	return nil
}

// CustomerRef is a customer as a list or search returns it (the API's
// PublicCustomerReference): no balance, IP address, tickets, subscriptions
// or affiliate detail.
type CustomerRef struct {
	ID           string   `json:"id"`
	DateCreated  Time     `json:"dateCreated"`
	EmailAddress string   `json:"emailAddress"`
	Status       *string  `json:"status"`
	IsAffiliate  *bool    `json:"isAffiliate"`
	TotalSpend   *float64 `json:"totalSpend"`
	AverageSpend *float64 `json:"averageSpend"`
	TotalOrders  *int     `json:"totalOrders"`
	IsBlocked    *bool    `json:"isBlocked"`

	// Raw is the reference's JSON object as the API sent it. Decoding a
	// CustomerRef fills it; it is not encoded.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes a customer reference and keeps a copy of it in Raw.
func (c *CustomerRef) UnmarshalJSON(b []byte) error {
	type plain CustomerRef
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*c = CustomerRef(p)
	c.Raw = rawObject(b)
	return nil
}

// rawObject returns a copy of b if it is a JSON object, else nil.
func rawObject(b []byte) json.RawMessage {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return nil
	}
	return bytes.Clone(b)
}

// Subscription is one of a customer's subscriptions.
type Subscription struct {
	ID             string  `json:"id"`
	DateCreated    Time    `json:"dateCreated"`
	ExpirationDate *Time   `json:"expirationDate"`
	StartDate      *Time   `json:"startDate"`
	ProductID      *string `json:"productId"`
}

// Ticket is one of a customer's support tickets.
type Ticket struct {
	ID           string        `json:"id"`
	DateCreated  Time          `json:"dateCreated"`
	Subject      *string       `json:"subject"`
	Status       *int          `json:"status"` // an integer code, 0–4; the API publishes no names
	StoreID      *string       `json:"storeId"`
	CustomerID   *string       `json:"customerId"`
	EmailAddress *string       `json:"emailAddress"`
	Entries      []TicketEntry `json:"entries"`
}

// TicketEntry is one message of a support ticket.
type TicketEntry struct {
	ID          string  `json:"id"`
	DateCreated Time    `json:"dateCreated"`
	Message     *string `json:"message"`
	Name        *string `json:"name"` // the author
}

// Affiliate is a customer's affiliate account.
type Affiliate struct {
	ID               string   `json:"id"`
	DateCreated      Time     `json:"dateCreated"`
	IsEnabled        bool     `json:"isEnabled"`
	Link             *string  `json:"link"`
	Balance          *float64 `json:"balance"`
	ReturnPercentage *float64 `json:"returnPercentage"`
	PercentageOff    *float64 `json:"percentageOff"`
}

// Time is an instant the API sent, in UTC. It decodes from an RFC 3339
// string (any fraction of a second), from a date-time without a zone
// ("2023-11-07T05:31:56.1234567", as .NET writes an unspecified time), read
// as UTC, and from null or "" (the zero Time). It encodes as RFC 3339, or
// null when zero.
type Time struct {
	time.Time
}

// zoneless are the layouts of a date-time without a zone that Time accepts.
var zoneless = []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"}

// UnmarshalJSON decodes an RFC 3339 string, a zone-less date-time (as UTC),
// null or "".
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		*t = Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("komerza: decode time: %s is not a string", b)
	}
	tt, err := parseTime(s)
	if err != nil {
		return err
	}
	*t = tt
	return nil
}

// parseTime reads the text of a time as UnmarshalJSON does: RFC 3339, a
// zone-less date-time (as UTC), or "" (the zero Time), spaces around it
// ignored.
func parseTime(s string) (Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Time{}, nil
	}
	if tt, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return Time{tt.UTC()}, nil
	}
	for _, layout := range zoneless {
		if tt, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return Time{tt}, nil
		}
	}
	return Time{}, fmt.Errorf("komerza: decode time: %q is not RFC 3339", s)
}

// MarshalJSON encodes t as RFC 3339 in UTC, or null if t is zero.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.UTC().Format(time.RFC3339Nano))
}
