package loaders

import (
	"strings"
	"time"

	"customergraph/internal/customer"
	"customergraph/internal/identifier"
	"customergraph/internal/tiquo"
)

// Where a Tiquo record came from decides which fields it holds.
const (
	fromList   = iota // every email and phone, no detail fields
	fromRecord        // a single-record read or update: detail fields, primary contacts only
)

// fromTiquo maps a Tiquo customer into the upstream-independent record.
func fromTiquo(t *tiquo.Customer, source int) *customer.Customer {
	c := &customer.Customer{
		ID:             t.ID,
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
		UpdatedAt:      t.UpdatedAt.UTC(),
	}
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

func status(s tiquo.Status) customer.Status {
	switch st := customer.Status(strings.ToUpper(string(s))); st {
	case customer.StatusActive, customer.StatusInactive, customer.StatusArchived, customer.StatusBanned:
		return st
	}
	return customer.StatusUnknown
}

func timePtr(t *tiquo.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
