// Package customer holds the upstream-independent customer record that the
// GraphQL schema exposes and the cache stores. Each upstream client's types
// are mapped into it, so Tiquo, Komerza and Xtrakit can serve one Customer.
package customer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Customer is one customer record. Which optional parts it holds is
// recorded in Detail and AllContacts: the upstream's list returns all emails
// and phones but not the detail fields, its single-record read the reverse,
// and a record cached from both holds everything.
//
// The schema reads the optional parts through methods that return an error
// when the part could not be loaded (DetailErr, ContactsErr): that field is
// then null with its error while its siblings resolve.
type Customer struct {
	ID     string `json:"id"`
	Vendor Vendor `json:"vendor"`
	// CustomerNumber is "" for a vendor without customer numbers.
	CustomerNumber string  `json:"customerNumber,omitempty"`
	FirstName      *string `json:"firstName,omitempty"`
	LastName       *string `json:"lastName,omitempty"`
	DisplayName    *string `json:"displayName,omitempty"`
	Emails         []Email `json:"emails,omitempty"`
	Phones         []Phone `json:"phones,omitempty"`
	ProfilePhoto   *string `json:"profilePhoto,omitempty"`
	WhatsApp       *string `json:"whatsapp,omitempty"` // E.164
	// PostalAddress is the address of a vendor whose list returns it
	// (for the others it is a detail field: Detail.Address).
	PostalAddress  *Address   `json:"postalAddress,omitempty"`
	Status         Status     `json:"status"`
	VendorStatus   *string    `json:"vendorStatus,omitempty"` // the vendor's own status text
	Source         *string    `json:"source,omitempty"`
	TotalOrders    *int       `json:"totalOrders,omitempty"`
	TotalSpent     *float64   `json:"totalSpent,omitempty"`
	AverageOrder   *float64   `json:"averageOrderValue,omitempty"`
	LifetimeValue  *float64   `json:"lifetimeValue,omitempty"`
	LastOrderAt    *time.Time `json:"lastOrderAt,omitempty"`
	LastActivityAt *time.Time `json:"lastActivityAt,omitempty"`
	CreatedAt      time.Time  `json:"createdAt"`
	// UpdatedAt is nil for a vendor without update times.
	UpdatedAt *time.Time `json:"updatedAt,omitempty"`
	// AsOf is when the facade knew the record to be current: the start of
	// the read that fetched it, or the end of the update that wrote it. It
	// orders the versions of a record whose vendor has no UpdatedAt.
	AsOf time.Time `json:"asOf,omitzero"`
	// VendorRecord is the record as the vendor last returned it: a JSON
	// object in the vendor's own shape. Read it with VendorRecordJSON: an
	// adapter may leave it to be made on demand (SetVendorRecordFunc).
	VendorRecord json.RawMessage `json:"vendorRecord,omitempty"`
	// vendorRecordOf makes VendorRecord when it is nil; see
	// SetVendorRecordFunc.
	vendorRecordOf func() json.RawMessage

	// Detail holds the fields the upstream's list does not return; nil
	// until loaded.
	Detail *Detail `json:"detail,omitempty"`
	// AllContacts reports whether Emails and Phones hold every address and
	// number, not just the primary ones.
	AllContacts bool `json:"allContacts,omitempty"`

	// DetailErr and ContactsErr say why Detail or the full contact lists
	// could not be loaded for this request.
	DetailErr   error `json:"-"`
	ContactsErr error `json:"-"`
	// StaleAge is set when the record is served from the cache past its
	// freshness because the upstream failed: how long ago it was fetched.
	StaleAge time.Duration `json:"-"`
}

// Detail holds the fields only the vendor's single-record read returns;
// which of them a vendor has at all, and which its list lacks, DetailField
// says.
type Detail struct {
	MarketingOptIn      *bool    `json:"marketingOptIn,omitempty"`
	SMSOptIn            *bool    `json:"smsOptIn,omitempty"`
	DateOfBirth         *string  `json:"dateOfBirth,omitempty"`
	Address             *Address `json:"address,omitempty"`
	Tags                []string `json:"tags,omitempty"`
	Notes               *string  `json:"notes,omitempty"`
	PreferredLocationID *string  `json:"preferredLocationId,omitempty"`
	CompanyID           *string  `json:"companyId,omitempty"`
	LoyaltyPoints       *int     `json:"loyaltyPoints,omitempty"`

	Balance       *float64        `json:"balance,omitempty"`
	IPAddress     *string         `json:"ipAddress,omitempty"`
	Subscriptions []Subscription  `json:"subscriptions,omitempty"`
	Tickets       []SupportTicket `json:"tickets,omitempty"`
	Affiliate     *Affiliate      `json:"affiliate,omitempty"`
	Groups        []Group         `json:"groups,omitempty"`
}

// Subscription is one of a customer's product subscriptions.
type Subscription struct {
	ID        string     `json:"id"`
	ProductID *string    `json:"productId,omitempty"`
	StartsAt  *time.Time `json:"startsAt,omitempty"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	CreatedAt *time.Time `json:"createdAt,omitempty"`
}

// SupportTicket is one of a customer's support tickets.
type SupportTicket struct {
	ID        string                 `json:"id"`
	Subject   *string                `json:"subject,omitempty"`
	Status    *int                   `json:"status,omitempty"` // the vendor's code
	CreatedAt *time.Time             `json:"createdAt,omitempty"`
	Messages  []SupportTicketMessage `json:"messages,omitempty"`
}

// SupportTicketMessage is one entry of a support ticket.
type SupportTicketMessage struct {
	ID        string     `json:"id"`
	Author    *string    `json:"author,omitempty"`
	Message   *string    `json:"message,omitempty"`
	CreatedAt *time.Time `json:"createdAt,omitempty"`
}

// TicketMessages returns the ticket's messages, never nil.
func (t *SupportTicket) TicketMessages() []SupportTicketMessage { return orEmpty(t.Messages) }

// Affiliate is a customer's affiliate account.
type Affiliate struct {
	ID               string     `json:"id"`
	Enabled          bool       `json:"enabled"`
	Link             *string    `json:"link,omitempty"`
	Balance          *float64   `json:"balance,omitempty"`
	ReturnPercentage *float64   `json:"returnPercentage,omitempty"`
	PercentageOff    *float64   `json:"percentageOff,omitempty"`
	CreatedAt        *time.Time `json:"createdAt,omitempty"`
}

// Group is a customer group the customer belongs to.
type Group struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Description *string `json:"description,omitempty"`
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// ErrNotLoaded is returned by the accessors of a part that nobody asked to
// load: a wiring mistake, never a client's.
var ErrNotLoaded = errors.New("customer: field read before it was loaded")

// part returns the record's detail for reading the schema field name: nil
// without an error when the vendor has no such field, so it is empty.
func (c *Customer) part(name string) (*Detail, error) {
	switch {
	case c.Detail != nil:
		return c.Detail, nil
	case !c.Vendor.DetailField(name):
		return &Detail{}, nil
	case c.DetailErr != nil:
		return nil, c.DetailErr
	}
	return nil, ErrNotLoaded
}

// MarketingOptIn reports the marketing email consent.
func (c *Customer) MarketingOptIn() (*bool, error) {
	d, err := c.part("marketingOptIn")
	if d == nil {
		return nil, err
	}
	return d.MarketingOptIn, nil
}

// SMSOptIn reports the SMS consent.
func (c *Customer) SMSOptIn() (*bool, error) {
	d, err := c.part("smsOptIn")
	if d == nil {
		return nil, err
	}
	return d.SMSOptIn, nil
}

// DateOfBirth returns the date of birth, YYYY-MM-DD.
func (c *Customer) DateOfBirth() (*string, error) {
	d, err := c.part("dateOfBirth")
	if d == nil {
		return nil, err
	}
	return d.DateOfBirth, nil
}

// Address returns the postal address.
func (c *Customer) Address() (*Address, error) {
	if c.PostalAddress != nil {
		return c.PostalAddress, nil
	}
	d, err := c.part("address")
	if d == nil {
		return nil, err
	}
	return d.Address, nil
}

// Tags returns the tags, never nil.
func (c *Customer) Tags() ([]string, error) {
	d, err := c.part("tags")
	if d == nil {
		return nil, err
	}
	if d.Tags == nil {
		return []string{}, nil
	}
	return d.Tags, nil
}

// Notes returns the internal notes.
func (c *Customer) Notes() (*string, error) {
	d, err := c.part("notes")
	if d == nil {
		return nil, err
	}
	return d.Notes, nil
}

// PreferredLocationID returns the preferred location's ID.
func (c *Customer) PreferredLocationID() (*string, error) {
	d, err := c.part("preferredLocationId")
	if d == nil {
		return nil, err
	}
	return d.PreferredLocationID, nil
}

// CompanyID returns the associated company's ID.
func (c *Customer) CompanyID() (*string, error) {
	d, err := c.part("companyId")
	if d == nil {
		return nil, err
	}
	return d.CompanyID, nil
}

// LoyaltyPoints returns the loyalty points balance.
func (c *Customer) LoyaltyPoints() (*int, error) {
	d, err := c.part("loyaltyPoints")
	if d == nil {
		return nil, err
	}
	return d.LoyaltyPoints, nil
}

// Balance returns the store balance.
func (c *Customer) Balance() (*float64, error) {
	d, err := c.part("balance")
	if d == nil {
		return nil, err
	}
	return d.Balance, nil
}

// IPAddress returns the address the customer was last seen at.
func (c *Customer) IPAddress() (*string, error) {
	d, err := c.part("ipAddress")
	if d == nil {
		return nil, err
	}
	return d.IPAddress, nil
}

// Subscriptions returns the customer's subscriptions, never nil.
func (c *Customer) Subscriptions() ([]Subscription, error) {
	d, err := c.part("subscriptions")
	if d == nil {
		return nil, err
	}
	return orEmpty(d.Subscriptions), nil
}

// SupportTickets returns the customer's support tickets, never nil.
func (c *Customer) SupportTickets() ([]SupportTicket, error) {
	d, err := c.part("supportTickets")
	if d == nil {
		return nil, err
	}
	return orEmpty(d.Tickets), nil
}

// Affiliate returns the customer's affiliate account, or nil.
func (c *Customer) Affiliate() (*Affiliate, error) {
	d, err := c.part("affiliate")
	if d == nil {
		return nil, err
	}
	return d.Affiliate, nil
}

// Groups returns the customer groups the customer belongs to, never nil.
func (c *Customer) Groups() ([]Group, error) {
	d, err := c.part("groups")
	if d == nil {
		return nil, err
	}
	return orEmpty(d.Groups), nil
}

// Number returns the customer number, or nil for a vendor without them.
func (c *Customer) Number() *string {
	if c.CustomerNumber == "" {
		return nil
	}
	return &c.CustomerNumber
}

// SetVendorRecordFunc makes f the source of the record's vendor record
// while VendorRecord is nil: an adapter's records from a list are mostly
// never asked for theirs, nor written to the cache, so encoding it can
// wait. f must be safe to call more than once, concurrently, and always
// return the same.
func (c *Customer) SetVendorRecordFunc(f func() json.RawMessage) { c.vendorRecordOf = f }

// VendorRecordJSON returns the record as the vendor last returned it,
// VendorRecord or what SetVendorRecordFunc's function makes, or nil.
func (c *Customer) VendorRecordJSON() json.RawMessage {
	if c.VendorRecord == nil && c.vendorRecordOf != nil {
		return c.vendorRecordOf()
	}
	return c.VendorRecord
}

// Record returns the record as the vendor last returned it, or nil.
func (c *Customer) Record() json.RawMessage {
	if r := c.VendorRecordJSON(); len(r) > 0 {
		return r
	}
	return nil
}

// AllEmails returns every email address, the primary one marked.
func (c *Customer) AllEmails() ([]Email, error) {
	if !c.AllContacts {
		if c.ContactsErr != nil {
			return nil, c.ContactsErr
		}
		return nil, ErrNotLoaded
	}
	if c.Emails == nil {
		return []Email{}, nil
	}
	return c.Emails, nil
}

// AllPhones returns every phone number, the primary one marked.
func (c *Customer) AllPhones() ([]Phone, error) {
	if !c.AllContacts {
		if c.ContactsErr != nil {
			return nil, c.ContactsErr
		}
		return nil, ErrNotLoaded
	}
	if c.Phones == nil {
		return []Phone{}, nil
	}
	return c.Phones, nil
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
	var buf [16]byte
	w.Write(s.AppendGQL(buf[:0]))
}

// AppendGQL appends s as MarshalGQL writes it: a value the schema does not
// know is UNKNOWN.
func (s Status) AppendGQL(b []byte) []byte {
	if !s.Valid() {
		s = StatusUnknown
	}
	return strconv.AppendQuote(b, string(s))
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
