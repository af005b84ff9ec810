package tiquo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Customer is a Tiquo customer: the union of the fields returned by get,
// list and update. Fields the upstream may omit or send as null are
// pointers (or nil slices). A Customer marshals back to the upstream's JSON
// shape, with times in epoch milliseconds, so it survives a JSON round trip.
type Customer struct {
	ID             string  `json:"id"`
	CustomerNumber string  `json:"customerNumber"`
	FirstName      *string `json:"firstName,omitempty"`
	LastName       *string `json:"lastName,omitempty"`
	DisplayName    *string `json:"displayName,omitempty"`
	Email          *string `json:"email,omitempty"` // primary; get and update only
	Emails         []Email `json:"emails"`          // list only
	Phone          *string `json:"phone,omitempty"` // primary; get and update only
	Phones         []Phone `json:"phones"`          // list only
	ProfilePhoto   *string `json:"profilePhoto,omitempty"`
	Status         Status  `json:"status"`
	Source         *string `json:"source,omitempty"`

	MarketingOptIn *bool `json:"marketingOptIn,omitempty"`
	SMSOptIn       *bool `json:"smsOptIn,omitempty"`

	DateOfBirth         *string  `json:"dateOfBirth,omitempty"` // YYYY-MM-DD
	Address             *Address `json:"address,omitempty"`
	Tags                []string `json:"tags"`
	Notes               *string  `json:"notes,omitempty"`
	PreferredLocationID *string  `json:"preferredLocationId,omitempty"`
	CompanyID           *string  `json:"companyId,omitempty"`
	LoyaltyPoints       *int     `json:"loyaltyPoints,omitempty"`

	TotalOrders       *int     `json:"totalOrders,omitempty"`
	TotalSpent        *float64 `json:"totalSpent,omitempty"`
	AverageOrderValue *float64 `json:"averageOrderValue,omitempty"`
	LifetimeValue     *float64 `json:"lifetimeValue,omitempty"`
	LastOrderDate     *Time    `json:"lastOrderDate,omitempty"`
	LastActivityDate  *Time    `json:"lastActivityDate,omitempty"`
	CreatedAt         Time     `json:"createdAt"`
	UpdatedAt         Time     `json:"updatedAt"`

	// ParameterValue is the matched parameter's value; set only by
	// ListCustomers with a parameter filter.
	ParameterValue *string `json:"parameterValue,omitempty"`
}

// Email is one of a customer's email addresses.
type Email struct {
	Address   string `json:"address"`
	IsPrimary bool   `json:"isPrimary"`
}

// Phone is one of a customer's phone numbers.
type Phone struct {
	Number    string `json:"number"`
	IsPrimary bool   `json:"isPrimary"`
}

// Address is a postal address. Every part may be absent.
type Address struct {
	Line1      *string `json:"line1,omitempty"`
	Line2      *string `json:"line2,omitempty"`
	City       *string `json:"city,omitempty"`
	State      *string `json:"state,omitempty"`
	PostalCode *string `json:"postalCode,omitempty"`
	Country    *string `json:"country,omitempty"`
}

// Status is a customer's status. Values other than the constants below are
// kept as the upstream sent them.
type Status string

// The documented statuses.
const (
	StatusActive   Status = "active"
	StatusInactive Status = "inactive"
	StatusArchived Status = "archived"
	StatusBanned   Status = "banned"
)

// Known reports whether s is one of the documented statuses.
func (s Status) Known() bool {
	switch s {
	case StatusActive, StatusInactive, StatusArchived, StatusBanned:
		return true
	}
	return false
}

// Time is an instant in UTC, at millisecond precision. It decodes from JSON
// epoch milliseconds (integer or not), from an RFC 3339 string (with or
// without fractional seconds) and from null (the zero Time); it encodes as
// epoch milliseconds, or null when zero.
type Time struct {
	time.Time
}

// NewTime returns t as a Time, in UTC and truncated to milliseconds.
func NewTime(t time.Time) Time {
	if t.IsZero() {
		return Time{}
	}
	return Time{time.UnixMilli(t.UnixMilli()).UTC()}
}

// MarshalJSON encodes t as epoch milliseconds, or null if t is zero.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, t.UnixMilli(), 10), nil
}

// UnmarshalJSON decodes epoch milliseconds, an RFC 3339 string or null.
func (t *Time) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return fmt.Errorf("tiquo: decode time: empty value")
	case string(b) == "null":
		*t = Time{}
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("tiquo: decode time: %w", err)
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*t = Time{}
			return nil
		}
		tt, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fmt.Errorf("tiquo: decode time: %q is not RFC 3339", s)
		}
		*t = NewTime(tt)
		return nil
	}
	if ms, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		*t = Time{time.UnixMilli(ms).UTC()}
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	// Bound to what time.UnixMilli can represent without overflow.
	if err != nil || math.IsNaN(f) || math.Abs(f) > 9e15 {
		return fmt.Errorf("tiquo: decode time: %s is not epoch milliseconds", b)
	}
	*t = Time{time.UnixMilli(int64(math.Round(f))).UTC()}
	return nil
}
