package tiquo

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"customergraph/internal/customer"
	"customergraph/internal/identifier"
)

// Adapter serves the facade's vendor port (see package loaders) over a
// Client: it maps Tiquo's records, list pages and updates to and from
// customer terms.
type Adapter struct {
	c *Client
}

// NewAdapter returns the adapter of c.
func NewAdapter(c *Client) *Adapter { return &Adapter{c: c} }

// capabilities are Tiquo's: it looks customers up by every identifier,
// filters its list by search, status and parameter, and updates partially.
var capabilities = customer.Capabilities{
	Vendor:      customer.Tiquo,
	IDs:         identifier.DocumentIDs,
	Lookups:     []identifier.Kind{identifier.CustomerNumber, identifier.Email, identifier.Phone},
	Filters:     []string{"search", "status", "parameter"},
	UpdateTimes: true,
	Updates: []string{
		"firstName", "lastName", "email", "phone", "dateOfBirth", "address", "tags", "notes",
		"preferredLocationId", "marketingOptIn", "companyId",
	},
}

// Capabilities returns what Tiquo can answer.
func (a *Adapter) Capabilities() customer.Capabilities { return capabilities }

// Customer returns the customer id names, of any kind, with its detail
// fields and its primary email and phone.
func (a *Adapter) Customer(ctx context.Context, id identifier.ID) (*customer.Customer, error) {
	t, err := a.c.Customer(ctx, id)
	if err != nil {
		return nil, err
	}
	return fromTiquo(t, fromRecord), nil
}

// List returns a page of Tiquo's list: every email and phone of each
// customer, no detail fields.
func (a *Adapter) List(ctx context.Context, p customer.ListParams) (*customer.Page, error) {
	up, err := a.c.ListCustomers(ctx, ListParams{
		Limit:          p.Limit,
		Cursor:         p.Token,
		Search:         p.Search,
		Status:         upstreamStatus(p.Status),
		ParameterID:    p.ParameterID,
		ParameterName:  p.ParameterName,
		ParameterValue: p.ParameterValue,
	})
	if err != nil {
		return nil, err
	}
	page := &customer.Page{Customers: make([]*customer.Customer, len(up.Customers))}
	if up.HasMore {
		page.Next = up.NextCursor
	}
	filtered := p.ParameterID != "" || p.ParameterName != ""
	if filtered {
		page.ParameterValues = make([]*string, len(up.Customers))
	}
	for i := range up.Customers {
		page.Customers[i] = fromTiquo(&up.Customers[i], fromList)
		if filtered {
			page.ParameterValues[i] = up.Customers[i].ParameterValue
		}
	}
	return page, nil
}

// Update sends p as one PATCH of the fields present.
func (a *Adapter) Update(ctx context.Context, id string, _ *customer.Customer, p customer.Patch) (*customer.Customer, error) {
	t, err := a.c.UpdateCustomer(ctx, id, toPatch(p))
	if err != nil {
		return nil, err
	}
	return fromTiquo(t, fromRecord), nil
}

// Contacts returns c with every email and phone: Tiquo's single read
// returns only the primary ones, its list all of them, so the list is
// searched by c's customer number. Nil when c is no longer listed.
func (a *Adapter) Contacts(ctx context.Context, c *customer.Customer) (*customer.Customer, error) {
	if c.CustomerNumber == "" {
		return nil, nil
	}
	page, err := a.c.ListCustomers(ctx, ListParams{Search: c.CustomerNumber, Limit: 10})
	if err != nil {
		return nil, err
	}
	for i := range page.Customers {
		if t := &page.Customers[i]; t.ID == c.ID {
			return fromTiquo(t, fromList), nil
		}
	}
	return nil, nil
}

// Where a Tiquo record came from decides which fields it holds.
const (
	fromList   = iota // every email and phone, no detail fields
	fromRecord        // a single-record read or update: detail fields, primary contacts only
)

// fromTiquo maps a Tiquo customer into the vendor-neutral record.
func fromTiquo(t *Customer, source int) *customer.Customer {
	c := &customer.Customer{
		ID:             t.ID,
		Vendor:         customer.Tiquo,
		CustomerNumber: strings.ToUpper(t.CustomerNumber),
		FirstName:      t.FirstName,
		LastName:       t.LastName,
		DisplayName:    t.DisplayName,
		ProfilePhoto:   t.ProfilePhoto,
		Status:         status(t.Status),
		Source:         t.Source,
		TotalOrders:    t.TotalOrders,
		TotalSpent:     t.TotalSpent,
		AverageOrder:   t.AverageOrderValue,
		LifetimeValue:  t.LifetimeValue,
		LastOrderAt:    timePtr(t.LastOrderDate),
		LastActivityAt: timePtr(t.LastActivityDate),
		CreatedAt:      t.CreatedAt.UTC(),
	}
	if !t.UpdatedAt.IsZero() {
		u := t.UpdatedAt.UTC()
		c.UpdatedAt = &u
	}
	if t.Status != "" {
		s := string(t.Status)
		c.VendorStatus = &s
	}
	// The vendor record, Tiquo's own JSON of t, is made when it is read
	// (see customer.SetVendorRecordFunc): t is not changed after this.
	c.SetVendorRecordFunc(func() json.RawMessage {
		raw, err := json.Marshal(t)
		if err != nil {
			return nil
		}
		return raw
	})
	switch source {
	case fromList:
		c.AllContacts = true
		c.Emails = make([]customer.Email, 0, len(t.Emails))
		for _, e := range t.Emails {
			c.Emails = append(c.Emails, customer.Email{Address: canonical(e.Address, identifier.Email), IsPrimary: e.IsPrimary})
		}
		c.Phones = make([]customer.Phone, 0, len(t.Phones))
		for _, p := range t.Phones {
			c.Phones = append(c.Phones, customer.Phone{Number: canonical(p.Number, identifier.Phone), IsPrimary: p.IsPrimary})
		}
	case fromRecord:
		if t.Email != nil {
			c.Emails = []customer.Email{{Address: canonical(*t.Email, identifier.Email), IsPrimary: true}}
		}
		if t.Phone != nil {
			c.Phones = []customer.Phone{{Number: canonical(*t.Phone, identifier.Phone), IsPrimary: true}}
		}
		d := &customer.Detail{
			MarketingOptIn:      t.MarketingOptIn,
			SMSOptIn:            t.SMSOptIn,
			DateOfBirth:         t.DateOfBirth,
			Notes:               t.Notes,
			PreferredLocationID: t.PreferredLocationID,
			CompanyID:           t.CompanyID,
			LoyaltyPoints:       t.LoyaltyPoints,
			Tags:                t.Tags,
		}
		if a := t.Address; a != nil {
			d.Address = &customer.Address{Line1: a.Line1, Line2: a.Line2, City: a.City, State: a.State, PostalCode: a.PostalCode, Country: a.Country}
		}
		c.Detail = d
	}
	return c
}

// canonical returns the canonical form of an email or phone the upstream
// sent, so cached aliases match what clients' lookups normalise to. A value
// that does not parse as the expected kind is kept as sent.
func canonical(s string, want identifier.Kind) string {
	if id, err := identifier.Parse(s); err == nil && id.Kind() == want {
		return id.String()
	}
	return s
}

func status(s Status) customer.Status {
	switch st := customer.Status(strings.ToUpper(string(s))); st {
	case customer.StatusActive, customer.StatusInactive, customer.StatusArchived, customer.StatusBanned:
		return st
	}
	return customer.StatusUnknown
}

func upstreamStatus(s customer.Status) string {
	switch s {
	case customer.StatusActive:
		return string(StatusActive)
	case customer.StatusInactive:
		return string(StatusInactive)
	case customer.StatusArchived:
		return string(StatusArchived)
	case customer.StatusBanned:
		return string(StatusBanned)
	}
	return ""
}

func timePtr(t *Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// toPatch maps a vendor-neutral patch onto Tiquo's. The fields Tiquo
// cannot update (see capabilities) are refused before an update gets here.
func toPatch(p customer.Patch) Patch {
	out := Patch{
		FirstName:           p.FirstName,
		LastName:            p.LastName,
		Email:               p.Email,
		Phone:               p.Phone,
		DateOfBirth:         p.DateOfBirth,
		Tags:                p.Tags,
		Notes:               p.Notes,
		PreferredLocationID: p.PreferredLocationID,
		MarketingConsent:    p.MarketingOptIn,
		CompanyID:           p.CompanyID,
	}
	switch a, ok := p.Address.Get(); {
	case p.Address.IsNull():
		out.Address = Null[AddressPatch]()
	case ok:
		out.Address = Some(AddressPatch{
			Line1: a.Line1, Line2: a.Line2, City: a.City,
			State: a.State, PostalCode: a.PostalCode, Country: a.Country,
		})
	}
	return out
}
