// Package customer holds the upstream-independent customer record that the
// GraphQL schema exposes and the cache stores. Each upstream client's types
// are mapped into it, so Tiquo, Komerza and Xtrakit can serve one Customer.
package customer

import (
	"fmt"
	"io"
	"strconv"
	"time"
)

// Customer is one customer record. Which optional groups of fields it holds
// is recorded in Detailed and AllContacts: the upstream's list returns all
// emails and phones but not the detail fields, its single-record read the
// reverse, and a record cached from both holds everything.
type Customer struct {
	ID             string     `json:"id"`
	CustomerNumber string     `json:"customerNumber"`
	FirstName      *string    `json:"firstName,omitempty"`
	LastName       *string    `json:"lastName,omitempty"`
	DisplayName    *string    `json:"displayName,omitempty"`
	Emails         []Email    `json:"emails,omitempty"`
	Phones         []Phone    `json:"phones,omitempty"`
	ProfilePhoto   *string    `json:"profilePhoto,omitempty"`
	Status         Status     `json:"status"`
	Source         *string    `json:"source,omitempty"`
	TotalOrders    *int       `json:"totalOrders,omitempty"`
	TotalSpent     *float64   `json:"totalSpent,omitempty"`
	AverageOrder   *float64   `json:"averageOrderValue,omitempty"`
	LifetimeValue  *float64   `json:"lifetimeValue,omitempty"`
	LastOrderAt    *time.Time `json:"lastOrderAt,omitempty"`
	LastActivityAt *time.Time `json:"lastActivityAt,omitempty"`
	CreatedAt      time.Time  `json:"createdAt"`
	UpdatedAt      time.Time  `json:"updatedAt"`

	// Detail fields: valid only when Detailed is true.
	MarketingOptIn      *bool    `json:"marketingOptIn,omitempty"`
	SMSOptIn            *bool    `json:"smsOptIn,omitempty"`
	DateOfBirth         *string  `json:"dateOfBirth,omitempty"`
	Address             *Address `json:"address,omitempty"`
	Tags                []string `json:"tags,omitempty"`
	Notes               *string  `json:"notes,omitempty"`
	PreferredLocationID *string  `json:"preferredLocationId,omitempty"`
	CompanyID           *string  `json:"companyId,omitempty"`
	LoyaltyPoints       *int     `json:"loyaltyPoints,omitempty"`

	// Detailed reports whether the detail fields above were loaded.
	Detailed bool `json:"detailed,omitempty"`
	// AllContacts reports whether Emails and Phones hold every address and
	// number, not just the primary ones.
	AllContacts bool `json:"allContacts,omitempty"`

	// StaleAge is set when the record is served from the cache past its
	// freshness because the upstream failed: how long ago it was fetched.
	StaleAge time.Duration `json:"-"`
}

// Email is one of a customer's email addresses.
type Email struct {
	Address   string `json:"address"`
	IsPrimary bool   `json:"isPrimary"`
}

// Phone is one of a customer's phone numbers, in E.164.
type Phone struct {
	Number    string `json:"number"`
	IsPrimary bool   `json:"isPrimary"`
}

// Address is a postal address; every line is optional.
type Address struct {
	Line1      *string `json:"line1,omitempty"`
	Line2      *string `json:"line2,omitempty"`
	City       *string `json:"city,omitempty"`
	State      *string `json:"state,omitempty"`
	PostalCode *string `json:"postalCode,omitempty"`
	Country    *string `json:"country,omitempty"`
}

// Email returns the primary email address, or nil.
func (c *Customer) Email() *string {
	for i := range c.Emails {
		if c.Emails[i].IsPrimary {
			return &c.Emails[i].Address
		}
	}
	return nil
}

// Phone returns the primary phone number, or nil.
func (c *Customer) Phone() *string {
	for i := range c.Phones {
		if c.Phones[i].IsPrimary {
			return &c.Phones[i].Number
		}
	}
	return nil
}

// AverageOrderValue returns the average value per order.
func (c *Customer) AverageOrderValue() *float64 { return c.AverageOrder }

// Status is a customer's lifecycle status. Values the upstream adds later
// map to StatusUnknown rather than failing the record.
type Status string

// The statuses of the GraphQL enum CustomerStatus.
const (
	StatusActive   Status = "ACTIVE"
	StatusInactive Status = "INACTIVE"
	StatusArchived Status = "ARCHIVED"
	StatusBanned   Status = "BANNED"
	StatusUnknown  Status = "UNKNOWN"
)

// Valid reports whether s is one of the defined statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusActive, StatusInactive, StatusArchived, StatusBanned, StatusUnknown:
		return true
	}
	return false
}

// MarshalGQL writes s as a GraphQL enum value.
func (s Status) MarshalGQL(w io.Writer) {
	if !s.Valid() {
		s = StatusUnknown
	}
	io.WriteString(w, strconv.Quote(string(s)))
}

// UnmarshalGQL reads a GraphQL enum value into s.
func (s *Status) UnmarshalGQL(v any) error {
	str, ok := v.(string)
	if !ok {
		return fmt.Errorf("CustomerStatus must be a string, got %T", v)
	}
	if !Status(str).Valid() {
		return fmt.Errorf("%q is not a valid CustomerStatus", str)
	}
	*s = Status(str)
	return nil
}

// String returns s as written in the schema.
func (s Status) String() string { return string(s) }

// IsNode marks Customer as an implementation of the schema's Node interface.
func (Customer) IsNode() {}
