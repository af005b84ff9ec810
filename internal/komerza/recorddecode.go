package komerza

import (
	"bytes"
	"encoding/json"

	"customergraph/internal/jsonread"
)

// decodeRecord reads a single customer's response body (a GET by ID or by
// email) as the envelope and decodeCustomer give it with encoding/json,
// faster: every cold lookup reads one. It reports false for anything it is
// not sure to read exactly so (and for no customer, "success": false or a
// key given twice that encoding/json would merge), and the caller then
// decodes the body with encoding/json, so every error is encoding/json's.
func decodeRecord(body []byte) (*Customer, bool) {
	var cu *Customer
	_, ok := readEnvelope(body, func(r *jsonread.Reader) bool {
		if cu != nil || r.Next() != '{' { // data twice, null or not an object: encoding/json's to read
			return false
		}
		cu = new(Customer)
		return readCustomer(r, cu)
	})
	if !ok || cu.ID == "" {
		return nil, false
	}
	return cu, true
}

var (
	customerKeys = []string{"id", "dateCreated", "emailAddress", "status", "totalSpend", "averageSpend", "totalOrders",
		"ipAddress", "balance", "externalIntegrations", "subscriptions", "tickets", "affiliate", "isBlocked", "blockedNote", "blockedAt"}
	subscriptionKeys = []string{"id", "dateCreated", "expirationDate", "startDate", "productId"}
	ticketKeys       = []string{"id", "dateCreated", "subject", "status", "storeId", "customerId", "emailAddress", "entries"}
	entryKeys        = []string{"id", "dateCreated", "message", "name"}
	affiliateKeys    = []string{"id", "dateCreated", "isEnabled", "link", "balance", "returnPercentage", "percentageOff"}
)

// readCustomer reads a customer object into c, and a copy of its bytes into
// c.Raw, as Customer.UnmarshalJSON does.
func readCustomer(r *jsonread.Reader, c *Customer) bool {
	start := r.Offset()
	// The parts encoding/json would merge if given twice.
	var integrations, subscriptions, tickets, affiliate bool
	once := func(seen *bool) bool {
		if *seen {
			return false
		}
		*seen = true
		return true
	}
	ok := r.Object(func(key []byte) bool {
		switch string(key) {
		case "id":
			return r.StrVal(&c.ID)
		case "dateCreated":
			return readTime(r, &c.DateCreated)
		case "emailAddress":
			return r.StrVal(&c.EmailAddress)
		case "status":
			return readPtr(r, &c.Status, (*jsonread.Reader).StrVal)
		case "totalSpend":
			return readPtr(r, &c.TotalSpend, (*jsonread.Reader).FloatVal)
		case "averageSpend":
			return readPtr(r, &c.AverageSpend, (*jsonread.Reader).FloatVal)
		case "totalOrders":
			return readPtr(r, &c.TotalOrders, (*jsonread.Reader).IntVal)
		case "ipAddress":
			return readPtr(r, &c.IPAddress, (*jsonread.Reader).StrVal)
		case "balance":
			return readPtr(r, &c.Balance, (*jsonread.Reader).FloatVal)
		case "externalIntegrations":
			return once(&integrations) && readStrings(r, &c.ExternalIntegrations)
		case "subscriptions":
			return once(&subscriptions) && readList(r, &c.Subscriptions, readSubscription)
		case "tickets":
			return once(&tickets) && readList(r, &c.Tickets, readTicket)
		case "affiliate":
			return once(&affiliate) && readPtr(r, &c.Affiliate, readAffiliate)
		case "isBlocked":
			return readPtr(r, &c.IsBlocked, (*jsonread.Reader).BoolVal)
		case "blockedNote":
			return readPtr(r, &c.BlockedNote, (*jsonread.Reader).StrVal)
		case "blockedAt":
			return readPtr(r, &c.BlockedAt, readTime)
		}
		return r.Unknown(key, customerKeys)
	})
	if ok {
		c.Raw = json.RawMessage(bytes.Clone(r.Bytes(start)))
	}
	return ok
}

// readTime reads a Time as its UnmarshalJSON does: null is the zero Time,
// else a string.
func readTime(r *jsonread.Reader, t *Time) bool {
	if r.Null() {
		*t = Time{}
		return true
	}
	s, ok := r.Str()
	if !ok {
		return false
	}
	tt, err := parseTime(s)
	*t = tt
	return err == nil
}

// readStrings reads an object of strings into a new map, or null as nil. A
// null value gives up: encoding/json stores "" for it.
func readStrings(r *jsonread.Reader, p *map[string]string) bool {
	if r.Null() {
		*p = nil
		return true
	}
	m := map[string]string{}
	ok := r.Object(func(key []byte) bool {
		if r.Next() != '"' {
			return false
		}
		s, ok := r.Str()
		m[string(key)] = s
		return ok
	})
	*p = m
	return ok
}

// readList reads an array into a new slice, or null as nil; a null element
// is the zero value, as encoding/json leaves it.
func readList[T any](r *jsonread.Reader, p *[]T, elem func(*jsonread.Reader, *T) bool) bool {
	if r.Null() {
		*p = nil
		return true
	}
	list := []T{}
	ok := r.Array(func() bool {
		list = append(list, *new(T))
		return r.Null() || elem(r, &list[len(list)-1])
	})
	*p = list
	return ok
}

// readObject reads an object into fields, keeping a key encoding/json
// would not match as given (see jsonread.Reader.Unknown) from being read.
func readObject(r *jsonread.Reader, known []string, field func(key string) (bool, bool)) bool {
	if r.Next() != '{' {
		return false
	}
	return r.Object(func(key []byte) bool {
		if ok, found := field(string(key)); found {
			return ok
		}
		return r.Unknown(key, known)
	})
}

func readSubscription(r *jsonread.Reader, s *Subscription) bool {
	return readObject(r, subscriptionKeys, func(key string) (bool, bool) {
		switch key {
		case "id":
			return r.StrVal(&s.ID), true
		case "dateCreated":
			return readTime(r, &s.DateCreated), true
		case "expirationDate":
			return readPtr(r, &s.ExpirationDate, readTime), true
		case "startDate":
			return readPtr(r, &s.StartDate, readTime), true
		case "productId":
			return readPtr(r, &s.ProductID, (*jsonread.Reader).StrVal), true
		}
		return false, false
	})
}

func readTicket(r *jsonread.Reader, t *Ticket) bool {
	entries := false
	return readObject(r, ticketKeys, func(key string) (bool, bool) {
		switch key {
		case "id":
			return r.StrVal(&t.ID), true
		case "dateCreated":
			return readTime(r, &t.DateCreated), true
		case "subject":
			return readPtr(r, &t.Subject, (*jsonread.Reader).StrVal), true
		case "status":
			return readPtr(r, &t.Status, (*jsonread.Reader).IntVal), true
		case "storeId":
			return readPtr(r, &t.StoreID, (*jsonread.Reader).StrVal), true
		case "customerId":
			return readPtr(r, &t.CustomerID, (*jsonread.Reader).StrVal), true
		case "emailAddress":
			return readPtr(r, &t.EmailAddress, (*jsonread.Reader).StrVal), true
		case "entries":
			if entries { // twice: encoding/json merges the two
				return false, true
			}
			entries = true
			return readList(r, &t.Entries, readEntry), true
		}
		return false, false
	})
}

func readEntry(r *jsonread.Reader, e *TicketEntry) bool {
	return readObject(r, entryKeys, func(key string) (bool, bool) {
		switch key {
		case "id":
			return r.StrVal(&e.ID), true
		case "dateCreated":
			return readTime(r, &e.DateCreated), true
		case "message":
			return readPtr(r, &e.Message, (*jsonread.Reader).StrVal), true
		case "name":
			return readPtr(r, &e.Name, (*jsonread.Reader).StrVal), true
		}
		return false, false
	})
}

func readAffiliate(r *jsonread.Reader, a *Affiliate) bool {
	return readObject(r, affiliateKeys, func(key string) (bool, bool) {
		switch key {
		case "id":
			return r.StrVal(&a.ID), true
		case "dateCreated":
			return readTime(r, &a.DateCreated), true
		case "isEnabled":
			return r.BoolVal(&a.IsEnabled), true
		case "link":
			return readPtr(r, &a.Link, (*jsonread.Reader).StrVal), true
		case "balance":
			return readPtr(r, &a.Balance, (*jsonread.Reader).FloatVal), true
		case "returnPercentage":
			return readPtr(r, &a.ReturnPercentage, (*jsonread.Reader).FloatVal), true
		case "percentageOff":
			return readPtr(r, &a.PercentageOff, (*jsonread.Reader).FloatVal), true
		}
		return false, false
	})
}
