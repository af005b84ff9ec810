package loaders

import (
	"context"
	"errors"
	"fmt"

	"customergraph/internal/identifier"
)

// Invalidation says what Invalidate removed.
type Invalidation struct {
	// Records is how many cached customer records were removed.
	Records int `json:"records"`
	// Keys is how many cache keys were deleted: the records, every alias
	// that leads to them, and remembered misses of the identifiers given.
	Keys int `json:"keys"`
}

// InputError reports an identifier given to Invalidate that is not one
// in the tenant's syntax. Its message is meant for the caller.
type InputError struct {
	Field string // "ids" or "identifiers"
	Index int
	Err   error
}

func (e *InputError) Error() string {
	return fmt.Sprintf("%s[%d]: %v", e.Field, e.Index, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

// ErrCacheUnavailable is returned by Invalidate when the cache could not be
// read or changed: nothing may have been removed, and the call should be
// repeated.
var ErrCacheUnavailable = errors.New("the cache is unavailable")

// Invalidate removes what the cache holds of customers changed outside the
// facade (in the vendor's own screens): the customers with the IDs ids,
// and those the identifiers (of any kind: ID, email, phone, customer
// number) lead to. For each it deletes the record and every alias that
// leads to it, as the cached record names them, and the identifiers' own
// keys, which may remember a miss. Every instance sharing the cache sees
// the change at once; this instance's own lists of an Unpaginated vendor
// are dropped too (DropSnapshots does that on the other instances), and
// the alias index is refreshed on its next miss.
//
// A read that fetched from the upstream before the change and is still in
// flight may write its record back afterwards; it is then served until
// its TTL, as any record is.
func (s *Service) Invalidate(ctx context.Context, ids, identifiers []string) (Invalidation, error) {
	var keys []string
	seen := map[string]bool{}
	add := func(k string) {
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for i, raw := range ids {
		id, err := s.caps.IDs.ParseAs(raw, identifier.DocumentID)
		if err != nil {
			return Invalidation{}, &InputError{Field: "ids", Index: i, Err: err}
		}
		add(s.keys.Customer(id.String()))
	}
	for i, raw := range identifiers {
		id, err := s.caps.IDs.Parse(raw)
		if err != nil {
			return Invalidation{}, &InputError{Field: "identifiers", Index: i, Err: err}
		}
		add(s.keyFor(id))
	}
	var inv Invalidation
	if len(keys) == 0 {
		return inv, nil
	}
	vals, err := s.cache.Get(ctx, keys)
	if err != nil {
		return inv, fmt.Errorf("%w: %w", ErrCacheUnavailable, err)
	}
	records := map[string]bool{}
	for _, v := range vals {
		r, ok := decodeRecord(v)
		if !ok || r.c == nil || records[r.c.ID] {
			continue
		}
		records[r.c.ID] = true
		add(s.keys.Customer(r.c.ID))
		for _, a := range aliases(r.c) {
			add(s.keyFor(a))
		}
	}
	del := keys
	if s.caps.Unpaginated || len(s.caps.Indexed) > 0 {
		del = append(del[:len(del):len(del)], s.indexMarker())
		s.DropSnapshots()
	}
	if err := s.cache.Delete(ctx, del); err != nil {
		return inv, fmt.Errorf("%w: %w", ErrCacheUnavailable, err)
	}
	inv.Records, inv.Keys = len(records), len(keys)
	return inv, nil
}

// DropSnapshots forgets this instance's lists of an Unpaginated vendor,
// the alias index among them, and any being fetched: the next list or
// indexed lookup that needs one fetches it anew. It is how an
// invalidation made through another instance reaches this one.
func (s *Service) DropSnapshots() {
	s.snaps.drop()
}
