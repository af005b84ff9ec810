package loaders

import (
	"encoding/binary"
	"math"
	"time"

	"customergraph/internal/customer"
)

// The binary layout of a cached customer (the fields of a record, see
// record.go): every field of customer.Customer that encoding/json would
// write, in declaration order, each as
//
//	string            uvarint length, bytes
//	*string           uvarint 0 for nil, else length+1, bytes
//	bool              one byte, 0 or 1
//	*bool             one byte: 0 nil, 1 false, 2 true
//	*int              one byte 0 for nil, else 1 and a varint
//	*float64          one byte 0 for nil, else 1 and the 8 bytes of its bits
//	time.Time         varint Unix seconds, uvarint nanoseconds, varint
//	                  zone offset in seconds
//	*time.Time        one byte 0 for nil, else 1 and a time.Time
//	*struct           one byte 0 for nil, else 1 and the struct
//	slice             uvarint length, the elements
//
// A decoded record is what encoding/json would have decoded from the
// record's JSON: empty slices are nil, a time keeps its offset (UTC, the
// local zone or a fixed one) but not its monotonic reading. Decoding
// copies the layout into one string and slices every string out of it,
// and allocates each struct together with what its pointers point to, so
// a record costs a handful of allocations, not one per field.
//
// TestCodecCoversEveryField fails when a field is added to the customer
// types without being added here.

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendOptStr(b []byte, p *string) []byte {
	if p == nil {
		return append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(*p))+1)
	return append(b, *p...)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendOptBool(b []byte, p *bool) []byte {
	switch {
	case p == nil:
		return append(b, 0)
	case *p:
		return append(b, 2)
	}
	return append(b, 1)
}

func appendOptInt(b []byte, p *int) []byte {
	if p == nil {
		return append(b, 0)
	}
	return binary.AppendVarint(append(b, 1), int64(*p))
}

func appendOptFloat(b []byte, p *float64) []byte {
	if p == nil {
		return append(b, 0)
	}
	return binary.LittleEndian.AppendUint64(append(b, 1), math.Float64bits(*p))
}

func appendTime(b []byte, t time.Time) []byte {
	_, off := t.Zone()
	b = binary.AppendVarint(b, t.Unix())
	b = binary.AppendUvarint(b, uint64(t.Nanosecond()))
	return binary.AppendVarint(b, int64(off))
}

func appendOptTime(b []byte, p *time.Time) []byte {
	if p == nil {
		return append(b, 0)
	}
	return appendTime(append(b, 1), *p)
}

func appendAddress(b []byte, a *customer.Address) []byte {
	if a == nil {
		return append(b, 0)
	}
	b = append(b, 1)
	for _, p := range [...]*string{a.Line1, a.Line2, a.City, a.State, a.PostalCode, a.Country} {
		b = appendOptStr(b, p)
	}
	return b
}

// appendCustomer appends the layout of c, without its vendor record.
func appendCustomer(b []byte, c *customer.Customer) []byte {
	b = appendStr(b, c.ID)
	b = appendStr(b, string(c.Vendor))
	b = appendStr(b, c.CustomerNumber)
	b = appendOptStr(b, c.FirstName)
	b = appendOptStr(b, c.LastName)
	b = appendOptStr(b, c.DisplayName)
	b = binary.AppendUvarint(b, uint64(len(c.Emails)))
	for _, e := range c.Emails {
		b = appendBool(appendStr(b, e.Address), e.IsPrimary)
	}
	b = binary.AppendUvarint(b, uint64(len(c.Phones)))
	for _, p := range c.Phones {
		b = appendBool(appendStr(b, p.Number), p.IsPrimary)
	}
	b = appendOptStr(b, c.ProfilePhoto)
	b = appendOptStr(b, c.WhatsApp)
	b = appendAddress(b, c.PostalAddress)
	b = appendStr(b, string(c.Status))
	b = appendOptStr(b, c.VendorStatus)
	b = appendOptStr(b, c.Source)
	b = appendOptInt(b, c.TotalOrders)
	b = appendOptFloat(b, c.TotalSpent)
	b = appendOptFloat(b, c.AverageOrder)
	b = appendOptFloat(b, c.LifetimeValue)
	b = appendOptTime(b, c.LastOrderAt)
	b = appendOptTime(b, c.LastActivityAt)
	b = appendTime(b, c.CreatedAt)
	b = appendOptTime(b, c.UpdatedAt)
	b = appendTime(b, c.AsOf)
	b = appendDetail(b, c.Detail)
	return appendBool(b, c.AllContacts)
}

func appendDetail(b []byte, d *customer.Detail) []byte {
	if d == nil {
		return append(b, 0)
	}
	b = append(b, 1)
	b = appendOptBool(b, d.MarketingOptIn)
	b = appendOptBool(b, d.SMSOptIn)
	b = appendOptStr(b, d.DateOfBirth)
	b = appendAddress(b, d.Address)
	b = binary.AppendUvarint(b, uint64(len(d.Tags)))
	for _, t := range d.Tags {
		b = appendStr(b, t)
	}
	b = appendOptStr(b, d.Notes)
	b = appendOptStr(b, d.PreferredLocationID)
	b = appendOptStr(b, d.CompanyID)
	b = appendOptInt(b, d.LoyaltyPoints)
	b = appendOptFloat(b, d.Balance)
	b = appendOptStr(b, d.IPAddress)
	b = binary.AppendUvarint(b, uint64(len(d.Subscriptions)))
	for _, s := range d.Subscriptions {
		b = appendStr(b, s.ID)
		b = appendOptStr(b, s.ProductID)
		b = appendOptTime(b, s.StartsAt)
		b = appendOptTime(b, s.ExpiresAt)
		b = appendOptTime(b, s.CreatedAt)
	}
	b = binary.AppendUvarint(b, uint64(len(d.Tickets)))
	for _, t := range d.Tickets {
		b = appendStr(b, t.ID)
		b = appendOptStr(b, t.Subject)
		b = appendOptInt(b, t.Status)
		b = appendOptTime(b, t.CreatedAt)
		b = binary.AppendUvarint(b, uint64(len(t.Messages)))
		for _, m := range t.Messages {
			b = appendStr(b, m.ID)
			b = appendOptStr(b, m.Author)
			b = appendOptStr(b, m.Message)
			b = appendOptTime(b, m.CreatedAt)
		}
	}
	if a := d.Affiliate; a == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = appendStr(b, a.ID)
		b = appendBool(b, a.Enabled)
		b = appendOptStr(b, a.Link)
		b = appendOptFloat(b, a.Balance)
		b = appendOptFloat(b, a.ReturnPercentage)
		b = appendOptFloat(b, a.PercentageOff)
		b = appendOptTime(b, a.CreatedAt)
	}
	b = binary.AppendUvarint(b, uint64(len(d.Groups)))
	for _, g := range d.Groups {
		b = appendStr(b, g.ID)
		b = appendStr(b, g.Name)
		b = appendOptStr(b, g.Description)
	}
	return b
}

// reader reads the layout from s. The first malformed or truncated field
// sets bad; every read after it returns zero values.
type reader struct {
	s   string
	bad bool
}

func (r *reader) fail() { r.bad, r.s = true, "" }

func (r *reader) uvarint() uint64 {
	var x uint64
	for i := 0; i < len(r.s) && i < binary.MaxVarintLen64; i++ {
		c := r.s[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				break // overflows 64 bits
			}
			r.s = r.s[i+1:]
			return x | uint64(c)<<(7*i)
		}
		x |= uint64(c&0x7f) << (7 * i)
	}
	r.fail()
	return 0
}

func (r *reader) varint() int64 {
	u := r.uvarint()
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x
}

func (r *reader) byte() byte {
	if len(r.s) == 0 {
		r.fail()
		return 0
	}
	c := r.s[0]
	r.s = r.s[1:]
	return c
}

// flag reads a presence byte: 0 or 1.
func (r *reader) flag() bool {
	switch r.byte() {
	case 0:
		return false
	case 1:
		return true
	}
	r.fail()
	return false
}

func (r *reader) bytes(n uint64) string {
	if n > uint64(len(r.s)) {
		r.fail()
		return ""
	}
	s := r.s[:n]
	r.s = r.s[n:]
	return s
}

func (r *reader) str() string { return r.bytes(r.uvarint()) }

// optStr reads a *string into *dst, which it points p at; p stays nil for
// nil.
func (r *reader) optStr(p **string, dst *string) {
	n := r.uvarint()
	if n == 0 || r.bad {
		return
	}
	*dst = r.bytes(n - 1)
	*p = dst
}

func (r *reader) optBool(p **bool, dst *bool) {
	switch r.byte() {
	case 0:
		return
	case 1:
		*dst = false
	case 2:
		*dst = true
	default:
		r.fail()
		return
	}
	*p = dst
}

func (r *reader) int() int {
	v := r.varint()
	if v != int64(int(v)) {
		r.fail()
		return 0
	}
	return int(v)
}

func (r *reader) float() float64 {
	b := r.bytes(8)
	if r.bad {
		return 0
	}
	return math.Float64frombits(uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56)
}

func (r *reader) optInt(p **int, dst *int) {
	if r.flag() {
		*dst = r.int()
		*p = dst
	}
}

func (r *reader) optFloat(p **float64, dst *float64) {
	if r.flag() {
		*dst = r.float()
		*p = dst
	}
}

// maxOffset bounds a zone offset, as time.Parse does (±24h).
const maxOffset = 24 * 60 * 60

func (r *reader) time() time.Time {
	sec, nsec, off := r.varint(), r.uvarint(), r.varint()
	if r.bad || nsec >= 1e9 || off <= -maxOffset || off >= maxOffset {
		r.fail()
		return time.Time{}
	}
	t := time.Unix(sec, int64(nsec))
	// As time.Parse places an RFC 3339 offset: "Z" is UTC, the local
	// zone's offset at that time is the local zone, any other is a fixed
	// zone without a name.
	switch _, local := t.Zone(); {
	case off == 0:
		return t.UTC()
	case int64(local) == off:
		return t
	}
	return t.In(time.FixedZone("", int(off)))
}

func (r *reader) optTime(p **time.Time, dst *time.Time) {
	if r.flag() {
		*dst = r.time()
		*p = dst
	}
}

// count reads a slice length, bounded by what is left to read (every
// element takes at least min bytes), so garbage cannot make it allocate
// much.
func (r *reader) count(min int) int {
	n := r.uvarint()
	if n > uint64(len(r.s)/min) {
		r.fail()
		return 0
	}
	return int(n)
}

// customerBox is a decoded customer with what its pointers point to.
type customerBox struct {
	c customer.Customer
	firstName, lastName, displayName, profilePhoto, whatsApp,
	vendorStatus, source string
	totalOrders                             int
	totalSpent, averageOrder, lifetimeValue float64
	lastOrderAt, lastActivityAt, updatedAt  time.Time
}

type addressBox struct {
	a                                              customer.Address
	line1, line2, city, state, postalCode, country string
}

type detailBox struct {
	d                                                  customer.Detail
	marketingOptIn, smsOptIn                           bool
	dateOfBirth, notes, preferredLocation, company, ip string
	loyaltyPoints                                      int
	balance                                            float64
}

// decodeCustomer reads the layout of a customer from s, which the customer
// keeps pieces of; ok is false unless s is exactly one customer's layout.
func decodeCustomer(s string) (*customer.Customer, bool) {
	r := &reader{s: s}
	x := new(customerBox)
	c := &x.c
	c.ID = r.str()
	c.Vendor = customer.Vendor(r.str())
	c.CustomerNumber = r.str()
	r.optStr(&c.FirstName, &x.firstName)
	r.optStr(&c.LastName, &x.lastName)
	r.optStr(&c.DisplayName, &x.displayName)
	if n := r.count(2); n > 0 {
		c.Emails = make([]customer.Email, n)
		for i := range c.Emails {
			c.Emails[i] = customer.Email{Address: r.str(), IsPrimary: r.flag()}
		}
	}
	if n := r.count(2); n > 0 {
		c.Phones = make([]customer.Phone, n)
		for i := range c.Phones {
			c.Phones[i] = customer.Phone{Number: r.str(), IsPrimary: r.flag()}
		}
	}
	r.optStr(&c.ProfilePhoto, &x.profilePhoto)
	r.optStr(&c.WhatsApp, &x.whatsApp)
	c.PostalAddress = r.address()
	c.Status = customer.Status(r.str())
	r.optStr(&c.VendorStatus, &x.vendorStatus)
	r.optStr(&c.Source, &x.source)
	r.optInt(&c.TotalOrders, &x.totalOrders)
	r.optFloat(&c.TotalSpent, &x.totalSpent)
	r.optFloat(&c.AverageOrder, &x.averageOrder)
	r.optFloat(&c.LifetimeValue, &x.lifetimeValue)
	r.optTime(&c.LastOrderAt, &x.lastOrderAt)
	r.optTime(&c.LastActivityAt, &x.lastActivityAt)
	c.CreatedAt = r.time()
	r.optTime(&c.UpdatedAt, &x.updatedAt)
	c.AsOf = r.time()
	c.Detail = r.detail()
	c.AllContacts = r.flag()
	if r.bad || len(r.s) != 0 {
		return nil, false
	}
	return c, true
}

func (r *reader) address() *customer.Address {
	if !r.flag() {
		return nil
	}
	x := new(addressBox)
	a := &x.a
	r.optStr(&a.Line1, &x.line1)
	r.optStr(&a.Line2, &x.line2)
	r.optStr(&a.City, &x.city)
	r.optStr(&a.State, &x.state)
	r.optStr(&a.PostalCode, &x.postalCode)
	r.optStr(&a.Country, &x.country)
	return a
}

func (r *reader) detail() *customer.Detail {
	if !r.flag() {
		return nil
	}
	x := new(detailBox)
	d := &x.d
	r.optBool(&d.MarketingOptIn, &x.marketingOptIn)
	r.optBool(&d.SMSOptIn, &x.smsOptIn)
	r.optStr(&d.DateOfBirth, &x.dateOfBirth)
	d.Address = r.address()
	if n := r.count(1); n > 0 {
		d.Tags = make([]string, n)
		for i := range d.Tags {
			d.Tags[i] = r.str()
		}
	}
	r.optStr(&d.Notes, &x.notes)
	r.optStr(&d.PreferredLocationID, &x.preferredLocation)
	r.optStr(&d.CompanyID, &x.company)
	r.optInt(&d.LoyaltyPoints, &x.loyaltyPoints)
	r.optFloat(&d.Balance, &x.balance)
	r.optStr(&d.IPAddress, &x.ip)
	if n := r.count(5); n > 0 {
		d.Subscriptions = make([]customer.Subscription, n)
		for i := range d.Subscriptions {
			s := &d.Subscriptions[i]
			s.ID = r.str()
			s.ProductID = r.newStr()
			s.StartsAt = r.newTime()
			s.ExpiresAt = r.newTime()
			s.CreatedAt = r.newTime()
		}
	}
	if n := r.count(5); n > 0 {
		d.Tickets = make([]customer.SupportTicket, n)
		for i := range d.Tickets {
			t := &d.Tickets[i]
			t.ID = r.str()
			t.Subject = r.newStr()
			t.Status = r.newInt()
			t.CreatedAt = r.newTime()
			if n := r.count(4); n > 0 {
				t.Messages = make([]customer.SupportTicketMessage, n)
				for j := range t.Messages {
					m := &t.Messages[j]
					m.ID = r.str()
					m.Author = r.newStr()
					m.Message = r.newStr()
					m.CreatedAt = r.newTime()
				}
			}
		}
	}
	if r.flag() {
		a := new(customer.Affiliate)
		a.ID = r.str()
		a.Enabled = r.flag()
		a.Link = r.newStr()
		a.Balance = r.newFloat()
		a.ReturnPercentage = r.newFloat()
		a.PercentageOff = r.newFloat()
		a.CreatedAt = r.newTime()
		d.Affiliate = a
	}
	if n := r.count(3); n > 0 {
		d.Groups = make([]customer.Group, n)
		for i := range d.Groups {
			g := &d.Groups[i]
			g.ID = r.str()
			g.Name = r.str()
			g.Description = r.newStr()
		}
	}
	return d
}

// newStr, newInt, newFloat and newTime read an optional value into memory
// of its own: for the fields of the rarer parts (subscriptions, tickets,
// the affiliate, groups), not worth a box.
func (r *reader) newStr() *string {
	n := r.uvarint()
	if n == 0 || r.bad {
		return nil
	}
	s := r.bytes(n - 1)
	return &s
}

func (r *reader) newInt() *int {
	if !r.flag() {
		return nil
	}
	p := new(int)
	*p = r.int()
	return p
}

func (r *reader) newFloat() *float64 {
	if !r.flag() {
		return nil
	}
	p := new(float64)
	*p = r.float()
	return p
}

func (r *reader) newTime() *time.Time {
	if !r.flag() {
		return nil
	}
	p := new(time.Time)
	*p = r.time()
	return p
}
