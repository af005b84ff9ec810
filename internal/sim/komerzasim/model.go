package komerzasim

import (
	"strings"
	"time"
)

// Customer is a customer's full record as the API sends it (the docs'
// PublicCustomer). Times are UTC and whole seconds, so they encode as the
// docs' "2023-11-07T05:31:56Z"; nil is JSON null.
type Customer struct {
	ID                   string            `json:"id"`
	DateCreated          time.Time         `json:"dateCreated"`
	EmailAddress         string            `json:"emailAddress"` // as stored: case is kept
	Status               string            `json:"status"`       // free text: "New", "Regular", "VIP", …
	TotalSpend           float64           `json:"totalSpend"`
	AverageSpend         float64           `json:"averageSpend"`
	TotalOrders          int               `json:"totalOrders"`
	IPAddress            *string           `json:"ipAddress"` // IPv4 or IPv6; nil for a customer registered through the API
	Balance              float64           `json:"balance"`
	ExternalIntegrations map[string]string `json:"externalIntegrations"` // never nil
	Subscriptions        []Subscription    `json:"subscriptions"`        // never nil
	Tickets              []Ticket          `json:"tickets"`              // never nil
	Affiliate            *Affiliate        `json:"affiliate"`
	IsBlocked            bool              `json:"isBlocked"`
	BlockedNote          *string           `json:"blockedNote"` // set when blocked
	BlockedAt            *time.Time        `json:"blockedAt"`   // set when blocked
}

// Subscription is one of a customer's subscriptions.
type Subscription struct {
	ID             string    `json:"id"`
	DateCreated    time.Time `json:"dateCreated"`
	ExpirationDate time.Time `json:"expirationDate"`
	StartDate      time.Time `json:"startDate"`
	ProductID      string    `json:"productId"`
}

// Ticket is a support ticket the customer opened.
type Ticket struct {
	ID           string        `json:"id"`
	DateCreated  time.Time     `json:"dateCreated"`
	Subject      string        `json:"subject"`
	Status       int           `json:"status"` // 0–4; the vendor publishes no names
	StoreID      string        `json:"storeId"`
	CustomerID   string        `json:"customerId"`
	EmailAddress string        `json:"emailAddress"`
	Entries      []TicketEntry `json:"entries"` // oldest first, never nil
}

// TicketEntry is one message of a ticket, by the customer or by staff.
type TicketEntry struct {
	ID          string    `json:"id"`
	DateCreated time.Time `json:"dateCreated"`
	Message     string    `json:"message"`
	Name        string    `json:"name"` // the author
}

// Affiliate is a customer's affiliate account.
type Affiliate struct {
	ID               string    `json:"id"`
	DateCreated      time.Time `json:"dateCreated"`
	IsEnabled        bool      `json:"isEnabled"`
	Link             string    `json:"link"`
	Balance          float64   `json:"balance"`
	ReturnPercentage float64   `json:"returnPercentage"`
	PercentageOff    float64   `json:"percentageOff"`
}

// Reference is a customer as lists and searches send it (the docs'
// PublicCustomerReference): part of the record only.
type Reference struct {
	ID           string    `json:"id"`
	DateCreated  time.Time `json:"dateCreated"`
	EmailAddress string    `json:"emailAddress"`
	Status       string    `json:"status"`
	IsAffiliate  bool      `json:"isAffiliate"`
	TotalSpend   float64   `json:"totalSpend"`
	AverageSpend float64   `json:"averageSpend"`
	TotalOrders  int       `json:"totalOrders"`
	IsBlocked    bool      `json:"isBlocked"`
}

// record is a stored customer: the fields the API can list, filter or
// change. Subscriptions, tickets and the affiliate account never change
// (the API has no way to change them), so they are generated from the seed
// when a full record is rendered, not stored.
//
// Records are replaced field by field under Server.mu, never mutated
// through shared pointers, maps or slices: a copy taken under the read
// lock stays valid.
type record struct {
	seq          int
	id           string // lower-case UUID
	created      time.Time
	email        string // as stored
	emailLower   string
	status       string
	totalSpend   float64
	averageSpend float64
	totalOrders  int
	ip           *string
	balance      float64
	integrations map[string]string // shared; replaced, never changed
	affiliate    bool              // has an affiliate account
	blocked      bool
	blockedNote  *string
	blockedAt    *time.Time

	generated   bool  // details come from the seed (false: registered through the API)
	first, last uint8 // indexes of the name the customer signs tickets with
}

func (r *record) ref() Reference {
	return Reference{
		ID:           r.id,
		DateCreated:  r.created,
		EmailAddress: r.email,
		Status:       r.status,
		IsAffiliate:  r.affiliate,
		TotalSpend:   r.totalSpend,
		AverageSpend: r.averageSpend,
		TotalOrders:  r.totalOrders,
		IsBlocked:    r.blocked,
	}
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func containsFold(s, lowerSub string) bool {
	return strings.Contains(strings.ToLower(s), lowerSub)
}
