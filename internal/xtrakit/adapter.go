package xtrakit

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"customergraph/internal/customer"
	"customergraph/internal/identifier"
	"customergraph/internal/upstream"
)

// Adapter serves the facade's vendor port (see package loaders) over a
// Client: it maps Xtrakit's records, its one unpaginated list and its
// whole-record edit to and from customer terms. Xtrakit's zone-less
// timestamps are read in the tenant's time zone.
type Adapter struct {
	c   *Client
	loc *time.Location
}

// NewAdapter returns the adapter of c, reading timestamps in loc (nil:
// UTC).
func NewAdapter(c *Client, loc *time.Location) *Adapter {
	if loc == nil {
		loc = time.UTC
	}
	return &Adapter{c: c, loc: loc}
}

// capabilities are Xtrakit's: customers by integer ID only, one
// unpaginated list filtered by group, and an edit that replaces the whole
// record and requires six fields. The facade supplies the rest: lookups by
// email and phone through its alias index, paging and search over the
// list, partial updates.
var capabilities = customer.Capabilities{
	Vendor:      customer.Xtrakit,
	IDs:         identifier.Integers,
	Indexed:     []identifier.Kind{identifier.Email, identifier.Phone},
	Unpaginated: true,
	FullReplace: true,
	Filters:     []string{"search", "group"},
	Updates: []string{
		"displayName", "email", "phone", "whatsapp", "address",
	},
	Required: []string{"displayName", "phone", "address", "address.line1", "address.city", "address.state", "address.country"},
}

// Capabilities returns what Xtrakit can answer, with the facade's help.
func (a *Adapter) Capabilities() customer.Capabilities { return capabilities }

// Customer returns the customer with the integer ID id, with its groups.
func (a *Adapter) Customer(ctx context.Context, id identifier.ID) (*customer.Customer, error) {
	n, err := a.id(id.String(), id.Kind())
	if err != nil {
		return nil, err
	}
	c, groups, err := a.c.Customer(ctx, n)
	if err != nil {
		return nil, err
	}
	return a.fromRecord(c, groups, true), nil
}

func (a *Adapter) id(s string, k identifier.Kind) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if k != identifier.DocumentID || err != nil || n <= 0 {
		return 0, &upstream.Error{API: api, Op: opGet, Kind: upstream.ErrValidation, Message: "xtrakit looks customers up by integer ID only"}
	}
	return n, nil
}

// List returns every customer, of p.Group when set, in one page: Xtrakit's
// list is not paginated. The records lack the customers' groups.
func (a *Adapter) List(ctx context.Context, p customer.ListParams) (*customer.Page, error) {
	var lp ListParams
	if p.Group != "" {
		g, err := strconv.ParseInt(p.Group, 10, 64)
		if err != nil || g <= 0 {
			return nil, &upstream.Error{API: api, Op: opList, Kind: upstream.ErrValidation, Message: "group: must be a customer group's integer ID"}
		}
		lp.GroupID = g
	}
	cs, err := a.c.ListCustomers(ctx, lp)
	if err != nil {
		return nil, err
	}
	page := &customer.Page{Customers: make([]*customer.Customer, len(cs))}
	for i := range cs {
		page.Customers[i] = a.fromRecord(&cs[i], nil, false)
	}
	return page, nil
}

// Update merges p into current, the record as Xtrakit returned it just
// before, and sends the whole record in one PUT. A required field left
// empty is an ErrValidation, and nothing is sent.
func (a *Adapter) Update(ctx context.Context, id string, current *customer.Customer, p customer.Patch) (*customer.Customer, error) {
	n, err := a.id(id, identifier.DocumentID)
	if err != nil {
		return nil, err
	}
	if current == nil || len(current.VendorRecordJSON()) == 0 {
		return nil, &upstream.Error{API: api, Op: opUpdate, Kind: upstream.ErrUnexpected, Message: "no current record to merge into"}
	}
	var rec Customer
	if err := json.Unmarshal(current.VendorRecordJSON(), &rec); err != nil {
		return nil, &upstream.Error{API: api, Op: opUpdate, Kind: upstream.ErrUnexpected, Err: err}
	}
	merge(&rec, p)
	c, groups, err := a.c.UpdateCustomer(ctx, n, rec)
	if err != nil {
		return nil, err
	}
	if c == nil {
		if c, groups, err = a.c.Customer(ctx, n); err != nil {
			return nil, err
		}
	}
	return a.fromRecord(c, groups, true), nil
}

// merge applies p to rec: present fields are set, null ones cleared.
func merge(rec *Customer, p customer.Patch) {
	str := func(dst *string, o customer.Optional[string]) {
		if v, ok := o.Get(); ok {
			*dst = v
		} else if o.IsNull() {
			*dst = ""
		}
	}
	ptr := func(dst **string, o customer.Optional[string]) {
		if v, ok := o.Get(); ok {
			*dst = &v
		} else if o.IsNull() {
			*dst = nil
		}
	}
	str(&rec.CustomerName, p.DisplayName)
	ptr(&rec.CustomerEmail, p.Email)
	str(&rec.CustomerPhone, p.Phone)
	ptr(&rec.CustomerWhatsApp, p.WhatsApp)
	if p.Address.IsNull() {
		rec.Address1, rec.Address2, rec.CustomerCity, rec.CustomerState, rec.CustomerZip, rec.CustomerCountry = "", nil, "", "", nil, ""
	}
	if ad, ok := p.Address.Get(); ok {
		str(&rec.Address1, ad.Line1)
		ptr(&rec.Address2, ad.Line2)
		str(&rec.CustomerCity, ad.City)
		str(&rec.CustomerState, ad.State)
		ptr(&rec.CustomerZip, ad.PostalCode)
		str(&rec.CustomerCountry, ad.Country)
	}
}

// Contacts returns c: an Xtrakit customer has one email and one phone,
// which every record holds.
func (a *Adapter) Contacts(_ context.Context, c *customer.Customer) (*customer.Customer, error) {
	cc := *c
	cc.AllContacts = true
	return &cc, nil
}

// fromRecord maps an Xtrakit record; withGroups: groups holds all of the
// customer's groups (a single read), which are the record's detail.
func (a *Adapter) fromRecord(x *Customer, groups []Group, withGroups bool) *customer.Customer {
	c := &customer.Customer{
		ID:           strconv.FormatInt(x.ID, 10),
		Vendor:       customer.Xtrakit,
		DisplayName:  nonEmpty(x.CustomerName),
		ProfilePhoto: nonEmptyPtr(x.CustomerProfile),
		WhatsApp:     phonePtr(x.CustomerWhatsApp),
		Status:       customer.StatusActive, // Xtrakit has no status: a customer it lists is an active one
		VendorRecord: x.Raw,
		AllContacts:  true,
	}
	if t, err := x.CreatedAt.Time(a.loc); err == nil {
		c.CreatedAt = t.UTC()
	}
	if t, err := x.UpdatedAt.Time(a.loc); err == nil && !t.IsZero() {
		u := t.UTC()
		c.UpdatedAt = &u
	}
	if e := nonEmptyPtr(x.CustomerEmail); e != nil {
		c.Emails = []customer.Email{{Address: canonical(*e, identifier.Email), IsPrimary: true}}
	}
	if p := nonEmpty(x.CustomerPhone); p != nil {
		c.Phones = []customer.Phone{{Number: canonical(*p, identifier.Phone), IsPrimary: true}}
	}
	if withGroups {
		d := &customer.Detail{Groups: []customer.Group{}}
		for _, g := range groups {
			d.Groups = append(d.Groups, customer.Group{ID: strconv.FormatInt(g.ID, 10), Name: g.GroupName, Description: nonEmptyPtr(g.GroupDescription)})
		}
		c.Detail = d
	}
	addr := &customer.Address{
		Line1: nonEmpty(x.Address1), Line2: nonEmptyPtr(x.Address2), City: nonEmpty(x.CustomerCity),
		State: nonEmpty(x.CustomerState), PostalCode: nonEmptyPtr(x.CustomerZip), Country: nonEmpty(x.CustomerCountry),
	}
	if *addr != (customer.Address{}) {
		c.PostalAddress = addr // on every record, list items included
	}
	return c
}

// canonical returns the canonical form of an email or phone, or s as sent
// when it is not one.
func canonical(s string, k identifier.Kind) string {
	if id, err := identifier.Integers.ParseAs(s, k); err == nil {
		return id.String()
	}
	return strings.TrimSpace(s)
}

func phonePtr(p *string) *string {
	if p = nonEmptyPtr(p); p == nil {
		return nil
	}
	v := canonical(*p, identifier.Phone)
	return &v
}

func nonEmpty(s string) *string {
	if s = strings.TrimSpace(s); s == "" {
		return nil
	}
	return &s
}

func nonEmptyPtr(p *string) *string {
	if p == nil {
		return nil
	}
	return nonEmpty(*p)
}
