package tiquosim

import (
	"slices"
	"strings"
	"time"
)

// The documented customer statuses.
const (
	StatusActive   = "active"
	StatusInactive = "inactive"
	StatusArchived = "archived"
	StatusBanned   = "banned"
)

// Customer is a snapshot of one stored customer, as Server.Customer returns
// it. Nullable fields are pointers (nil is JSON null). A snapshot is a deep
// copy: changing it does not change the server.
type Customer struct {
	Seq            int    // creation sequence, 1-based; the list order
	ID             string // document ID, e.g. "k1234567890abcdef"
	CustomerNumber string // e.g. "CUST-000001"
	FirstName      *string
	LastName       *string
	DisplayName    *string
	Emails         []Email // the primary address, if any, comes first
	Phones         []Phone // the primary number, if any, comes first; E.164
	ProfilePhoto   *string
	Status         string
	Source         *string
	MarketingOptIn bool
	SMSOptIn       bool

	TotalOrders       int
	TotalSpent        float64
	AverageOrderValue *float64 // nil when there are no orders
	LifetimeValue     float64
	LastOrderDate     *time.Time
	LastActivityDate  *time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time

	DateOfBirth         *string // YYYY-MM-DD
	Address             *Address
	Tags                []string // never nil
	Notes               *string
	PreferredLocationID *string
	CompanyID           *string
	LoyaltyPoints       int

	Parameters []Parameter // in schema order
}

// Email is one of a customer's email addresses, stored lower-cased.
type Email struct {
	Address string `json:"address"`
	Primary bool   `json:"isPrimary"`
}

// Phone is one of a customer's phone numbers, stored in E.164.
type Phone struct {
	Number  string `json:"number"`
	Primary bool   `json:"isPrimary"`
}

// Address is a postal address; every part may be null.
type Address struct {
	Line1      *string `json:"line1"`
	Line2      *string `json:"line2"`
	City       *string `json:"city"`
	State      *string `json:"state"`
	PostalCode *string `json:"postalCode"`
	Country    *string `json:"country"`
}

// Parameter is a customer parameter that is set: a system parameter such
// as "system_marketing_opt_in" or a custom one such as LoyaltyTierParameterID.
type Parameter struct {
	ID     string
	Name   string
	Values []string // one value, or the members of a multiselect
}

// Value returns the parameter's value as the list API reports it:
// multiselect members joined with ",".
func (p Parameter) Value() string { return strings.Join(p.Values, ",") }

// PrimaryEmail returns the customer's primary email address, or "" if none.
func (c *Customer) PrimaryEmail() string {
	if len(c.Emails) > 0 && c.Emails[0].Primary {
		return c.Emails[0].Address
	}
	return ""
}

// PrimaryPhone returns the customer's primary phone number, or "" if none.
func (c *Customer) PrimaryPhone() string {
	if len(c.Phones) > 0 && c.Phones[0].Primary {
		return c.Phones[0].Number
	}
	return ""
}

// Parameter returns the customer's parameter with the given ID.
func (c *Customer) Parameter(id string) (Parameter, bool) {
	for _, p := range c.Parameters {
		if p.ID == id {
			return p, true
		}
	}
	return Parameter{}, false
}

// clone returns a deep copy of c.
func (c *Customer) clone() Customer {
	d := *c
	d.FirstName = clonePtr(c.FirstName)
	d.LastName = clonePtr(c.LastName)
	d.DisplayName = clonePtr(c.DisplayName)
	d.Emails = slices.Clone(c.Emails)
	d.Phones = slices.Clone(c.Phones)
	d.ProfilePhoto = clonePtr(c.ProfilePhoto)
	d.Source = clonePtr(c.Source)
	d.AverageOrderValue = clonePtr(c.AverageOrderValue)
	d.LastOrderDate = clonePtr(c.LastOrderDate)
	d.LastActivityDate = clonePtr(c.LastActivityDate)
	d.DateOfBirth = clonePtr(c.DateOfBirth)
	if c.Address != nil {
		a := c.Address.clone()
		d.Address = &a
	}
	d.Tags = append([]string{}, c.Tags...)
	d.Notes = clonePtr(c.Notes)
	d.PreferredLocationID = clonePtr(c.PreferredLocationID)
	d.CompanyID = clonePtr(c.CompanyID)
	d.Parameters = make([]Parameter, len(c.Parameters))
	for i, p := range c.Parameters {
		p.Values = slices.Clone(p.Values)
		d.Parameters[i] = p
	}
	return d
}

func (a *Address) clone() Address {
	return Address{
		Line1:      clonePtr(a.Line1),
		Line2:      clonePtr(a.Line2),
		City:       clonePtr(a.City),
		State:      clonePtr(a.State),
		PostalCode: clonePtr(a.PostalCode),
		Country:    clonePtr(a.Country),
	}
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func ptr[T any](v T) *T { return &v }

// record is a stored customer with its derived search text.
//
// Records are copy-on-write: a writer (holding Server.mu) replaces a field's
// pointer, slice or struct instead of mutating what it points to, so views
// built under the read lock stay valid after the lock is released.
type record struct {
	Customer
	haystack    string // lower-cased names, emails, phones and number, NUL-separated
	phoneDigits string // the digits of every phone, NUL-separated
}

// reindex recomputes the derived search text.
func (r *record) reindex() {
	var b strings.Builder
	for _, s := range []*string{r.FirstName, r.LastName, r.DisplayName} {
		if s != nil {
			b.WriteString(strings.ToLower(*s))
		}
		b.WriteByte(0)
	}
	for _, e := range r.Emails {
		b.WriteString(strings.ToLower(e.Address))
		b.WriteByte(0)
	}
	for _, p := range r.Phones {
		b.WriteString(p.Number)
		b.WriteByte(0)
	}
	b.WriteString(strings.ToLower(r.CustomerNumber))
	r.haystack = b.String()

	b.Reset()
	for i, p := range r.Phones {
		if i > 0 {
			b.WriteByte(0)
		}
		b.WriteString(digitsOf(p.Number))
	}
	r.phoneDigits = b.String()
}

func digitsOf(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; '0' <= c && c <= '9' {
			b = append(b, c)
		}
	}
	return string(b)
}

// displayName is first and last name joined by a space; nil when both are
// absent or empty.
func displayName(first, last *string) *string {
	var parts []string
	for _, s := range []*string{first, last} {
		if s != nil && strings.TrimSpace(*s) != "" {
			parts = append(parts, strings.TrimSpace(*s))
		}
	}
	if len(parts) == 0 {
		return nil
	}
	return ptr(strings.Join(parts, " "))
}
