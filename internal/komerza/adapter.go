package komerza

import (
	"context"
	"strconv"
	"strings"
	"time"

	"customergraph/internal/customer"
	"customergraph/internal/identifier"
	"customergraph/internal/upstream"
)

// PageSize is the size of the list pages the adapter asks for: the
// facade pages Komerza's numbered pages itself, so every page of one walk
// must have the same size.
const PageSize = 100

// Adapter serves the facade's vendor port (see package loaders) over a
// Client: it maps Komerza's records, numbered list pages and balance
// updates to and from customer terms.
type Adapter struct {
	c *Client
}

// NewAdapter returns the adapter of c.
func NewAdapter(c *Client) *Adapter { return &Adapter{c: c} }

// capabilities are Komerza's: customers by UUID and by email, a list with
// search, and the store balance as the one field it can update.
var capabilities = customer.Capabilities{
	Vendor:   customer.Komerza,
	IDs:      identifier.UUIDs,
	Lookups:  []identifier.Kind{identifier.Email},
	Filters:  []string{"search"},
	Updates:  []string{"balance", "balanceComment"},
	PageSize: PageSize,
}

// Capabilities returns what Komerza can answer.
func (a *Adapter) Capabilities() customer.Capabilities { return capabilities }

// Customer returns the customer with the UUID or email id, with every
// field Komerza has.
func (a *Adapter) Customer(ctx context.Context, id identifier.ID) (*customer.Customer, error) {
	var (
		k   *Customer
		err error
	)
	switch id.Kind() {
	case identifier.DocumentID:
		k, err = a.c.Customer(ctx, id.String())
	case identifier.Email:
		k, err = a.c.CustomerByEmail(ctx, id.String())
	default:
		return nil, &upstream.Error{API: api, Op: "get customer", Kind: upstream.ErrValidation,
			Message: "komerza cannot look customers up by " + id.Kind().String()}
	}
	if err != nil {
		return nil, err
	}
	return fromRecord(k), nil
}

// List returns one of Komerza's numbered pages, of PageSize customers
// whatever p.Limit asks: the Token is the page number ("" for the first).
// The list's records lack the balance, IP address, subscriptions, tickets
// and affiliate detail.
func (a *Adapter) List(ctx context.Context, p customer.ListParams) (*customer.Page, error) {
	n := 1
	if p.Token != "" {
		var err error
		if n, err = strconv.Atoi(p.Token); err != nil || n < 1 {
			return nil, &upstream.Error{API: api, Op: opList, Kind: upstream.ErrValidation, Message: "invalid page token"}
		}
	}
	lp := ListParams{Page: n, PageSize: PageSize}
	var (
		page *Page
		err  error
	)
	if p.Search != "" {
		page, err = a.c.SearchCustomers(ctx, p.Search, lp)
	} else {
		page, err = a.c.ListCustomers(ctx, lp)
	}
	if err != nil {
		return nil, err
	}
	out := &customer.Page{Customers: make([]*customer.Customer, len(page.Customers))}
	for i := range page.Customers {
		out.Customers[i] = fromRef(&page.Customers[i])
	}
	// More pages: as many as the API says there are, or, when it does not
	// say, while pages come back full.
	if (page.Pages > 0 && n < page.Pages) || (page.Pages == 0 && len(page.Customers) == PageSize) {
		out.Next = strconv.Itoa(n + 1)
	}
	return out, nil
}

// Update sets the store balance, the one field Komerza can update, with
// p.BalanceComment as the audit comment, and returns the customer as it is
// now: the answer of the update, or of one GET when it carries no record.
func (a *Adapter) Update(ctx context.Context, id string, _ *customer.Customer, p customer.Patch) (*customer.Customer, error) {
	balance, ok := p.Balance.Get()
	if !ok {
		return nil, &upstream.Error{API: api, Op: opBalance, Kind: upstream.ErrValidation, Message: "balance: required"}
	}
	var comment *string
	if c, ok := p.BalanceComment.Get(); ok {
		comment = &c
	}
	k, err := a.c.UpdateBalance(ctx, id, balance, comment)
	if err != nil {
		return nil, err
	}
	if k == nil {
		if k, err = a.c.Customer(ctx, id); err != nil {
			return nil, err
		}
	}
	return fromRecord(k), nil
}

// Contacts returns c: a Komerza customer has one email and no phone, which
// every record holds.
func (a *Adapter) Contacts(_ context.Context, c *customer.Customer) (*customer.Customer, error) {
	cc := *c
	cc.AllContacts = true
	return &cc, nil
}

// common maps the fields the list and the single read share.
func common(id string, created Time, email string, status *string, blocked *bool, spend, avg *float64, orders *int) *customer.Customer {
	c := &customer.Customer{
		ID:           strings.ToLower(id),
		Vendor:       customer.Komerza,
		Status:       customer.StatusActive,
		VendorStatus: status,
		TotalOrders:  orders,
		TotalSpent:   spend,
		AverageOrder: avg,
		CreatedAt:    created.UTC(),
		AllContacts:  true, // one email, no phone: every record has them all
	}
	if blocked != nil && *blocked {
		c.Status = customer.StatusBanned
	}
	if email = strings.TrimSpace(email); email != "" {
		if e, err := identifier.UUIDs.ParseAs(email, identifier.Email); err == nil {
			email = e.String()
		}
		c.Emails = []customer.Email{{Address: email, IsPrimary: true}}
	}
	return c
}

// fromRef maps a list item: no detail fields.
func fromRef(r *CustomerRef) *customer.Customer {
	c := common(r.ID, r.DateCreated, r.EmailAddress, r.Status, r.IsBlocked, r.TotalSpend, r.AverageSpend, r.TotalOrders)
	c.VendorRecord = r.Raw
	return c
}

// fromRecord maps a full record, detail fields included.
func fromRecord(k *Customer) *customer.Customer {
	c := common(k.ID, k.DateCreated, k.EmailAddress, k.Status, k.IsBlocked, k.TotalSpend, k.AverageSpend, k.TotalOrders)
	c.VendorRecord = k.Raw
	d := &customer.Detail{Balance: k.Balance, IPAddress: k.IPAddress}
	for _, s := range k.Subscriptions {
		d.Subscriptions = append(d.Subscriptions, customer.Subscription{
			ID:        strings.ToLower(s.ID),
			ProductID: s.ProductID,
			StartsAt:  timePtr(derefTime(s.StartDate)),
			ExpiresAt: timePtr(derefTime(s.ExpirationDate)),
			CreatedAt: timePtr(s.DateCreated),
		})
	}
	for _, t := range k.Tickets {
		st := customer.SupportTicket{ID: strings.ToLower(t.ID), Subject: t.Subject, Status: t.Status, CreatedAt: timePtr(t.DateCreated)}
		for _, e := range t.Entries {
			st.Messages = append(st.Messages, customer.SupportTicketMessage{
				ID: strings.ToLower(e.ID), Author: e.Name, Message: e.Message, CreatedAt: timePtr(e.DateCreated),
			})
		}
		d.Tickets = append(d.Tickets, st)
	}
	if f := k.Affiliate; f != nil {
		d.Affiliate = &customer.Affiliate{
			ID: strings.ToLower(f.ID), Enabled: f.IsEnabled, Link: f.Link, Balance: f.Balance,
			ReturnPercentage: f.ReturnPercentage, PercentageOff: f.PercentageOff, CreatedAt: timePtr(f.DateCreated),
		}
	}
	c.Detail = d
	return c
}

func derefTime(t *Time) Time {
	if t == nil {
		return Time{}
	}
	return *t
}

func timePtr(t Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
