package customer

import (
	"bytes"
	"encoding/json"
	"reflect"

	"customergraph/internal/identifier"
)

// Capabilities say what a vendor's API can answer: how its IDs look, which
// lookups and list filters it serves, and which fields it can update. What
// it cannot serve is refused before any upstream call.
type Capabilities struct {
	Vendor Vendor
	IDs    identifier.Syntax
	// Lookups are the identifier kinds besides the ID that the vendor can
	// look a customer up by.
	Lookups []identifier.Kind
	// Indexed are the kinds the vendor cannot look a customer up by but
	// the facade can, through an alias index built from the vendor's list
	// (which must then be Unpaginated).
	Indexed []identifier.Kind
	// Unpaginated: List returns every customer matching the filters at
	// once, ignoring Token and Limit; the facade pages it, and searches
	// it itself.
	Unpaginated bool
	// FullReplace: Update replaces the whole record, so the facade reads
	// the current record just before and hands it to Update.
	FullReplace bool
	// Required are the UpdateCustomerInput fields (by path, e.g.
	// "address.city") the vendor requires: null is refused for them.
	Required []string
	// UpdateTimes: the vendor's updatedAt orders the versions of a record.
	// Without it (no updatedAt, or one that cannot be trusted), the
	// record's AsOf does.
	UpdateTimes bool
	// Filters are the customers connection's filters it serves, by
	// argument name: "search", "status", "parameter", "group".
	Filters []string
	// Updates are the UpdateCustomerInput fields it can update, by name.
	Updates []string
	// PageSize is the size of every page its list returns whatever the
	// limit asked, when its pages are numbered rather than cursors (0:
	// pages are as long as the limit asks).
	PageSize int
}

// CanLookUp reports whether a customer can be found by kind k: natively
// or through the facade's alias index.
func (c Capabilities) CanLookUp(k identifier.Kind) bool {
	return k == identifier.DocumentID || hasKind(c.Lookups, k) || hasKind(c.Indexed, k)
}

// IsIndexed reports whether lookups by kind k go through the alias index.
func (c Capabilities) IsIndexed(k identifier.Kind) bool { return hasKind(c.Indexed, k) }

// IsRequired reports whether the input field at path may not be null.
func (c Capabilities) IsRequired(path string) bool { return contains(c.Required, path) }

func hasKind(list []identifier.Kind, k identifier.Kind) bool {
	for _, l := range list {
		if l == k {
			return true
		}
	}
	return false
}

// CanFilter reports whether the vendor serves the connection filter name.
func (c Capabilities) CanFilter(name string) bool { return contains(c.Filters, name) }

// CanUpdate reports whether the vendor can update the input field name.
func (c Capabilities) CanUpdate(name string) bool { return contains(c.Updates, name) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ListParams select a page of a vendor's customer list. Empty fields are
// not sent.
type ListParams struct {
	// Token is the vendor's own position: Page.Next of the previous page,
	// or "" for the first.
	Token string
	// Limit is how many customers to return, 1–100; a vendor with
	// numbered pages returns Capabilities.PageSize whatever it is.
	Limit  int
	Search string
	Status Status
	// ParameterID or ParameterName (one at most) filter by a customer
	// parameter; ParameterValue narrows to an exact value.
	ParameterID, ParameterName, ParameterValue string
	// Group keeps the customers of one customer group.
	Group string
}

// Page is one page of a vendor's customer list. The records hold what the
// list returns: usually no Detail.
type Page struct {
	Customers []*Customer
	// ParameterValues, when filtering by parameter, hold each customer's
	// value of it, in order.
	ParameterValues []*string
	// Next is the Token of the next page; "" on the last.
	Next string
}

// Patch is a partial customer update: only present fields are sent, and an
// explicit null clears a field.
type Patch struct {
	FirstName           Optional[string]
	LastName            Optional[string]
	DisplayName         Optional[string]
	Email               Optional[string] // canonical
	Phone               Optional[string] // E.164
	WhatsApp            Optional[string] // E.164
	DateOfBirth         Optional[string] // YYYY-MM-DD
	Address             Optional[AddressPatch]
	Tags                Optional[[]string] // replaces all tags
	Notes               Optional[string]
	PreferredLocationID Optional[string]
	MarketingOptIn      Optional[bool]
	CompanyID           Optional[string]
	Balance             Optional[float64]
	BalanceComment      Optional[string]
}

// AddressPatch is a partial address, merged with the stored one.
type AddressPatch struct {
	Line1      Optional[string]
	Line2      Optional[string]
	City       Optional[string]
	State      Optional[string]
	PostalCode Optional[string]
	Country    Optional[string]
}

// Optional is a value that is absent (the zero Optional), null, or present.
// With the `json:",omitzero"` option an absent Optional is left out of the
// encoding, a null one is encoded as null and a present one as its value.
type Optional[T any] struct {
	value T
	state optState
}

type optState uint8

const (
	absent optState = iota
	null
	present
)

// Some returns a present Optional holding v.
func Some[T any](v T) Optional[T] { return Optional[T]{value: v, state: present} }

// Null returns an Optional that is present as an explicit null.
func Null[T any]() Optional[T] { return Optional[T]{state: null} }

// IsZero reports whether o is absent.
func (o Optional[T]) IsZero() bool { return o.state == absent }

// IsSet reports whether o is present or null.
func (o Optional[T]) IsSet() bool { return o.state != absent }

// IsNull reports whether o is an explicit null.
func (o Optional[T]) IsNull() bool { return o.state == null }

// Get returns o's value and whether it has one (false when absent or null).
func (o Optional[T]) Get() (T, bool) { return o.value, o.state == present }

// MarshalJSON encodes o's value, or null when o is null or absent. A nil
// slice that is present encodes as [].
func (o Optional[T]) MarshalJSON() ([]byte, error) {
	if o.state != present {
		return []byte("null"), nil
	}
	if v := reflect.ValueOf(&o.value).Elem(); v.Kind() == reflect.Slice && v.IsNil() {
		return []byte("[]"), nil
	}
	return json.Marshal(o.value)
}

// UnmarshalJSON decodes null as Null and anything else as Some.
func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		*o = Null[T]()
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*o = Some(v)
	return nil
}
