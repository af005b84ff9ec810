package loaders

import (
	"context"
	"crypto/sha256"
	"strings"

	"customergraph/internal/customer"
)

// maxPageSize is the largest page asked of a vendor, and the largest
// `first`.
const maxPageSize = 100

// ListQuery selects a page of a customer connection.
type ListQuery struct {
	First  int    // 1..100
	After  string // an edge cursor from an earlier page, or ""
	Search string
	Status customer.Status // "" for any
	// ParameterID or ParameterName (one at most) filter by a customer
	// parameter; ParameterValue narrows to an exact value.
	ParameterID, ParameterName, ParameterValue string
	// Group keeps the customers of one customer group.
	Group string
}

// Edge is one customer of a page; ListPage.Cursor gives the cursor that
// continues after it.
type Edge struct {
	Node           *customer.Customer
	ParameterValue *string
	pos            position // where the cursor continues
}

// ListPage is one page of a customer connection.
type ListPage struct {
	Edges       []Edge
	HasNextPage bool
	filters     [filterHashLen]byte
	codec       cursorCodec
}

// Cursor returns the cursor of edge i: After it continues right behind
// that edge. Each is signed, so a query that selects no cursor should not
// ask for them.
func (p *ListPage) Cursor(i int) string {
	return p.codec.encode(p.Edges[i].pos, p.filters)
}

func (q ListQuery) filterHash() [filterHashLen]byte {
	h := sha256.New()
	for _, s := range []string{q.Search, string(q.Status), q.ParameterID, q.ParameterName, q.ParameterValue, q.Group} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	var out [filterHashLen]byte
	copy(out[:], h.Sum(nil))
	return out
}

// Customers returns the page q selects. Every edge has its own cursor:
// After any of them continues right behind that edge, even in the middle of
// an upstream page, so walking the connection yields every customer once.
// Usually one upstream call; two when a page starts mid-way through an
// upstream page and does not fit in the rest of it.
//
// The customers listed are written to the cache under their IDs and aliases
// and primed into this request's loaders; detail fields already cached for
// the same version of a customer are kept.
func (l *Loaders) Customers(ctx context.Context, q ListQuery) (*ListPage, error) {
	filters := q.filterHash()
	pos := position{}
	if q.After != "" {
		p, err := l.s.cursor.decode(q.After, filters)
		if err != nil {
			return nil, err
		}
		pos = p
	}
	if l.s.caps.Unpaginated {
		return l.customersOfList(ctx, q, pos, filters)
	}
	params := customer.ListParams{
		Search:         q.Search,
		Status:         q.Status,
		ParameterID:    q.ParameterID,
		ParameterName:  q.ParameterName,
		ParameterValue: q.ParameterValue,
		Group:          q.Group,
	}

	var (
		items  []*customer.Customer
		values []*string
		cursor []position // where to continue after each item
		page   = &ListPage{filters: filters, codec: l.s.cursor}
		asOf   = l.s.now()
	)
	for len(items) < q.First {
		params.Token = pos.up
		params.Limit = min(maxPageSize, pos.skip+q.First-len(items))
		up, err := l.s.up.List(ctx, params)
		if err != nil {
			return nil, err
		}
		n := len(up.Customers)
		j := pos.skip
		for ; j < n && len(items) < q.First; j++ {
			items = append(items, up.Customers[j])
			var v *string
			if j < len(up.ParameterValues) {
				v = up.ParameterValues[j]
			}
			values = append(values, v)
			if j == n-1 && up.Next != "" {
				cursor = append(cursor, position{up: up.Next})
			} else {
				cursor = append(cursor, position{up: pos.up, skip: j + 1})
			}
		}
		if len(items) == q.First {
			page.HasNextPage = j < n || up.Next != ""
			break
		}
		if up.Next == "" {
			break
		}
		pos = position{up: up.Next}
	}

	for _, c := range items {
		if c.AsOf.IsZero() {
			c.AsOf = asOf
		}
	}
	l.s.mergeCached(ctx, items)
	page.Edges = make([]Edge, len(items))
	for i, c := range items {
		page.Edges[i] = Edge{Node: c, ParameterValue: values[i], pos: cursor[i]}
		l.prime(c)
	}
	return page, nil
}

// mergeCached adds to freshly listed records the detail fields cached for
// the same version of each customer (one cache round trip), then writes back
// the records the cache does not already hold as fresh (one more, or none
// for a page that is all cached).
func (s *Service) mergeCached(ctx context.Context, nodes []*customer.Customer) {
	if len(nodes) == 0 {
		return
	}
	keys := make([]string, len(nodes))
	for i, c := range nodes {
		keys[i] = s.keys.Customer(c.ID)
	}
	now := s.now()
	cached, ok, _ := s.lookup(ctx, keys)
	if !ok {
		// The cache may hold these customers with their detail fields: do
		// not overwrite them with the list's shorter records blind.
		return
	}
	changed := nodes[:0:0]
	var unreadable map[string]bool
	for i, old := range cached {
		nodes[i] = s.withDetailsOf(nodes[i], old.c, old.fresh(now))
		if !old.fresh(now) || old.c == nil || !s.sameListing(old.c, nodes[i]) {
			changed = append(changed, nodes[i])
		}
		if old.unreadable {
			if unreadable == nil {
				unreadable = map[string]bool{}
			}
			unreadable[nodes[i].ID] = true
		}
	}
	s.store(ctx, changed, nil, unreadable)
}

// sameListing reports whether the cached record old already holds what the
// list says of c: the same version, with every contact. For a vendor
// without update times, the same version is what the list shows being the
// same.
func (s *Service) sameListing(old, c *customer.Customer) bool {
	if !s.caps.UpdateTimes || old.UpdatedAt == nil || c.UpdatedAt == nil {
		if !eqTime(old.UpdatedAt, c.UpdatedAt) || old.Status != c.Status || !eqPtr(old.VendorStatus, c.VendorStatus) ||
			!eqVal(old.TotalOrders, c.TotalOrders) || !eqVal(old.TotalSpent, c.TotalSpent) || !eqVal(old.AverageOrder, c.AverageOrder) {
			return false
		}
	} else if !old.UpdatedAt.Equal(*c.UpdatedAt) {
		return false
	}
	return old.AllContacts && (old.Detail != nil) == (c.Detail != nil) && samePrimaries(old, c) &&
		len(old.Emails) == len(c.Emails) && len(old.Phones) == len(c.Phones)
}

func eqVal[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// customersOfList pages a vendor whose list is one unpaginated response:
// the page is cut from the list's snapshot (one list call serves every
// page of a walk while the snapshot is fresh), searched by the facade, and
// its cursors are offsets into it.
func (l *Loaders) customersOfList(ctx context.Context, q ListQuery, pos position, filters [filterHashLen]byte) (*ListPage, error) {
	if pos.up != "" {
		return nil, ErrBadCursor
	}
	snap, err := l.s.snapshot(ctx, customer.ListParams{Group: q.Group}, l.s.ttl)
	if err != nil {
		return nil, err
	}
	list := snap.customers
	if q.Search != "" {
		list = search(list, q.Search)
	}
	start := min(pos.skip, len(list))
	end := min(start+q.First, len(list))
	items := make([]*customer.Customer, end-start)
	for i, c := range list[start:end] {
		cc := *c // the snapshot is shared: merge into copies
		items[i] = &cc
	}
	l.s.mergeCached(ctx, items)
	page := &ListPage{Edges: make([]Edge, len(items)), HasNextPage: end < len(list), filters: filters, codec: l.s.cursor}
	for i, c := range items {
		page.Edges[i] = Edge{Node: c, pos: position{skip: start + i + 1}}
		l.prime(c)
	}
	return page, nil
}

// search returns the customers of list that the facade's search term
// matches, in order: the term, ignoring case, is part of the display name
// (or of first and last name), part of the primary email, or — when it
// has at least three digits and nothing but phone punctuation besides —
// its digits are part of the primary phone's.
func search(list []*customer.Customer, term string) []*customer.Customer {
	t := strings.ToLower(strings.TrimSpace(term))
	digits := phoneDigits(t)
	var out []*customer.Customer
	for _, c := range list {
		if matchesSearch(c, t, digits) {
			out = append(out, c)
		}
	}
	return out
}

func matchesSearch(c *customer.Customer, t, digits string) bool {
	for _, p := range []*string{c.DisplayName, c.FirstName, c.LastName, c.Email()} {
		if p != nil && strings.Contains(strings.ToLower(*p), t) {
			return true
		}
	}
	if c.FirstName != nil && c.LastName != nil && strings.Contains(strings.ToLower(*c.FirstName+" "+*c.LastName), t) {
		return true
	}
	if p := c.Phone(); digits != "" && p != nil && strings.Contains(*p, digits) {
		return true
	}
	return false
}

// phoneDigits returns the digits of t if t looks like (part of) a phone
// number with at least three digits, else "".
func phoneDigits(t string) string {
	var b strings.Builder
	for _, r := range t {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' || r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
		default:
			return ""
		}
	}
	if b.Len() < 3 {
		return ""
	}
	return b.String()
}
