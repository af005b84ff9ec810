package loaders

import (
	"context"
	"errors"
	"net/http"

	"github.com/graph-gophers/dataloader/v7"
	"golang.org/x/sync/errgroup"

	"customergraph/internal/customer"
	"customergraph/internal/identifier"
	"customergraph/internal/tiquo"
)

// maxBatch is the most keys one batch carries: one upstream page's worth.
const maxBatch = 100

// Loaders are one request's dataloaders. Create them per request (Middleware
// does) and never share them: their memo is the request's view.
type Loaders struct {
	s *Service
	// byIdentifier finds a customer by any identifier; the record may lack
	// the detail fields when it was cached from a list.
	byIdentifier *dataloader.Loader[identifier.ID, *customer.Customer]
	// detailed finds a customer with its detail fields by document ID.
	detailed *dataloader.Loader[string, *customer.Customer]
	// contacts finds a customer with all its emails and phones by number.
	contacts *dataloader.Loader[string, *customer.Customer]
}

// NewLoaders returns fresh loaders for one request.
func (s *Service) NewLoaders() *Loaders {
	return &Loaders{
		s: s,
		byIdentifier: dataloader.NewBatchedLoader(s.loadByIdentifier,
			dataloader.WithWait[identifier.ID, *customer.Customer](s.wait),
			dataloader.WithBatchCapacity[identifier.ID, *customer.Customer](maxBatch)),
		detailed: dataloader.NewBatchedLoader(s.loadDetailed,
			dataloader.WithWait[string, *customer.Customer](s.wait),
			dataloader.WithBatchCapacity[string, *customer.Customer](maxBatch)),
		contacts: dataloader.NewBatchedLoader(s.loadContacts,
			dataloader.WithWait[string, *customer.Customer](s.wait),
			dataloader.WithBatchCapacity[string, *customer.Customer](maxBatch)),
	}
}

type ctxKey struct{}

// Middleware gives every request its own Loaders, found with For.
func (s *Service) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), ctxKey{}, s.NewLoaders())
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// WithLoaders returns ctx carrying l.
func WithLoaders(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// For returns the request's Loaders. It panics when Middleware did not run,
// which is a wiring mistake, not a request error.
func For(ctx context.Context) *Loaders {
	l, ok := ctx.Value(ctxKey{}).(*Loaders)
	if !ok {
		panic("loaders: no Loaders in context; is loaders.Middleware installed?")
	}
	return l
}

// Customer returns the customer id identifies, or nil when there is none.
// The record may lack the detail fields; see Detailed.
func (l *Loaders) Customer(ctx context.Context, id identifier.ID) (*customer.Customer, error) {
	c, err := l.byIdentifier.Load(ctx, id)()
	if err != nil {
		l.byIdentifier.Clear(ctx, id) // transient: let a later field try again
	}
	return c, err
}

// Detailed returns c with its detail fields (opt-ins, date of birth,
// address, tags, notes, …): c itself when it has them, else the record
// loaded by ID, batched with the other customers of the request.
func (l *Loaders) Detailed(ctx context.Context, c *customer.Customer) (*customer.Customer, error) {
	if c.Detailed {
		return c, nil
	}
	d, err := l.detailed.Load(ctx, c.ID)()
	if err != nil {
		l.detailed.Clear(ctx, c.ID)
		return nil, err
	}
	if d == nil {
		return nil, nil
	}
	return d, nil
}

// Contacts returns c with every email and phone: c itself when it has them,
// else the record as the upstream's list shows it. The upstream's single
// read returns only the primary ones.
func (l *Loaders) Contacts(ctx context.Context, c *customer.Customer) (*customer.Customer, error) {
	if c.AllContacts {
		return c, nil
	}
	d, err := l.contacts.Load(ctx, c.CustomerNumber)()
	if err != nil {
		l.contacts.Clear(ctx, c.CustomerNumber)
		return nil, err
	}
	if d == nil {
		return c, nil // gone from the list since: what we have is all we know
	}
	return d, nil
}

// prime records c in this request's loaders under its ID and aliases, so
// later fields of the request find it without a batch.
func (l *Loaders) prime(ctx context.Context, c *customer.Customer) {
	if id, err := identifier.Parse(c.ID); err == nil && id.Kind() == identifier.DocumentID {
		l.byIdentifier.Prime(ctx, id, c)
	}
	for _, id := range aliases(c) {
		l.byIdentifier.Prime(ctx, id, c)
	}
	if c.Detailed {
		l.detailed.Prime(ctx, c.ID, c)
	}
	if c.AllContacts {
		l.contacts.Prime(ctx, c.CustomerNumber, c)
	}
}

// forget drops every memo of c's keys from this request's loaders.
func (l *Loaders) forget(ctx context.Context, cs ...*customer.Customer) {
	for _, c := range cs {
		if c == nil {
			continue
		}
		if id, err := identifier.Parse(c.ID); err == nil {
			l.byIdentifier.Clear(ctx, id)
		}
		for _, id := range aliases(c) {
			l.byIdentifier.Clear(ctx, id)
		}
		l.detailed.Clear(ctx, c.ID)
		l.contacts.Clear(ctx, c.CustomerNumber)
	}
}

// loadByIdentifier is the batch function of Loaders.byIdentifier.
func (s *Service) loadByIdentifier(ctx context.Context, ids []identifier.ID) []*dataloader.Result[*customer.Customer] {
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = s.keyFor(id)
	}
	cached := s.lookup(ctx, keys)
	results := make([]*dataloader.Result[*customer.Customer], len(ids))
	var misses []int
	for i, c := range cached {
		if c != nil && matches(c, ids[i]) {
			results[i] = &dataloader.Result[*customer.Customer]{Data: c}
			continue
		}
		misses = append(misses, i)
	}
	s.fetch(ctx, misses, results, func(ctx context.Context, i int) (*customer.Customer, error) {
		t, err := s.up.Customer(ctx, ids[i])
		if err != nil {
			return nil, err
		}
		return fromTiquo(t, fromRecord), nil
	})
	return results
}

// loadDetailed is the batch function of Loaders.detailed.
func (s *Service) loadDetailed(ctx context.Context, docIDs []string) []*dataloader.Result[*customer.Customer] {
	keys := make([]string, len(docIDs))
	for i, id := range docIDs {
		keys[i] = s.keys.Customer(id)
	}
	cached := s.lookup(ctx, keys)
	results := make([]*dataloader.Result[*customer.Customer], len(docIDs))
	var misses []int
	for i, c := range cached {
		if c != nil && c.Detailed && c.ID == docIDs[i] {
			results[i] = &dataloader.Result[*customer.Customer]{Data: c}
			continue
		}
		misses = append(misses, i)
	}
	s.fetch(ctx, misses, results, func(ctx context.Context, i int) (*customer.Customer, error) {
		id, err := identifier.Parse(docIDs[i])
		if err != nil || id.Kind() != identifier.DocumentID {
			return nil, nil // not an ID the upstream could know
		}
		t, err := s.up.Customer(ctx, id)
		if err != nil {
			return nil, err
		}
		return withContactsOf(fromTiquo(t, fromRecord), cached[i]), nil
	})
	return results
}

// loadContacts is the batch function of Loaders.contacts: the upstream's
// list, searched by customer number, is the one read that returns every
// email and phone of a customer.
func (s *Service) loadContacts(ctx context.Context, numbers []string) []*dataloader.Result[*customer.Customer] {
	results := make([]*dataloader.Result[*customer.Customer], len(numbers))
	all := make([]int, len(numbers))
	for i := range all {
		all[i] = i
	}
	s.fetch(ctx, all, results, func(ctx context.Context, i int) (*customer.Customer, error) {
		page, err := s.up.ListCustomers(ctx, tiquo.ListParams{Search: numbers[i], Limit: 10})
		if err != nil {
			return nil, err
		}
		for j := range page.Customers {
			if t := &page.Customers[j]; t.CustomerNumber == numbers[i] {
				return fromTiquo(t, fromList), nil
			}
		}
		return nil, nil
	})
	return results
}

// fetch runs get for the indexes in todo, at most s.fanout at a time, and
// fills results; it then writes every customer found to the cache in one
// round trip. Not found is a nil result, not an error.
func (s *Service) fetch(ctx context.Context, todo []int, results []*dataloader.Result[*customer.Customer],
	get func(ctx context.Context, i int) (*customer.Customer, error)) {
	if len(todo) == 0 {
		return
	}
	var g errgroup.Group
	g.SetLimit(s.fanout)
	for _, i := range todo {
		g.Go(func() error {
			c, err := get(ctx, i)
			if errors.Is(err, ErrNotFound) {
				c, err = nil, nil
			}
			results[i] = &dataloader.Result[*customer.Customer]{Data: c, Error: err}
			return nil
		})
	}
	g.Wait()
	found := make([]*customer.Customer, 0, len(todo))
	for _, i := range todo {
		if c := results[i].Data; c != nil {
			found = append(found, c)
		}
	}
	s.store(ctx, found...)
}

// withContactsOf returns d with the full email and phone lists of old, a
// record of the same customer from a list, when they still agree on the
// primary ones.
func withContactsOf(d, old *customer.Customer) *customer.Customer {
	if old == nil || !old.AllContacts || old.ID != d.ID || !samePrimaries(d, old) {
		return d
	}
	d.Emails, d.Phones, d.AllContacts = old.Emails, old.Phones, true
	return d
}

// withDetailsOf returns l, a record from a list, with the detail fields of
// old when old has them and both describe the same version of the customer.
func withDetailsOf(l, old *customer.Customer) *customer.Customer {
	if old == nil || !old.Detailed || old.ID != l.ID || !old.UpdatedAt.Equal(l.UpdatedAt) {
		return l
	}
	l.Detailed = true
	l.MarketingOptIn, l.SMSOptIn, l.DateOfBirth = old.MarketingOptIn, old.SMSOptIn, old.DateOfBirth
	l.Address, l.Tags, l.Notes = old.Address, old.Tags, old.Notes
	l.PreferredLocationID, l.CompanyID, l.LoyaltyPoints = old.PreferredLocationID, old.CompanyID, old.LoyaltyPoints
	return l
}

func samePrimaries(a, b *customer.Customer) bool {
	return eqPtr(a.Email(), b.Email()) && eqPtr(a.Phone(), b.Phone())
}

func eqPtr(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
