package tiquo

import (
	"bytes"
	"encoding/json"
	"reflect"
)

// Patch is a partial customer update. Only the fields that are present are
// sent; a field set to Null[T]() is sent as JSON null.
//
// A Patch with only Phone set encodes as {"phone":"+1..."}.
type Patch struct {
	FirstName           Optional[string]       `json:"firstName,omitzero"`
	LastName            Optional[string]       `json:"lastName,omitzero"`
	Email               Optional[string]       `json:"email,omitzero"`
	Phone               Optional[string]       `json:"phone,omitzero"`
	DateOfBirth         Optional[string]       `json:"dateOfBirth,omitzero"` // YYYY-MM-DD
	Address             Optional[AddressPatch] `json:"address,omitzero"`     // merged with the stored address
	Tags                Optional[[]string]     `json:"tags,omitzero"`        // replaces all tags
	Notes               Optional[string]       `json:"notes,omitzero"`
	PreferredLocationID Optional[string]       `json:"preferredLocationId,omitzero"`
	MarketingConsent    Optional[bool]         `json:"marketingConsent,omitzero"`
	CompanyID           Optional[string]       `json:"companyId,omitzero"`
}

// AddressPatch is a partial address update; the upstream merges it with the
// stored address, so absent parts are kept.
type AddressPatch struct {
	Line1      Optional[string] `json:"line1,omitzero"`
	Line2      Optional[string] `json:"line2,omitzero"`
	City       Optional[string] `json:"city,omitzero"`
	State      Optional[string] `json:"state,omitzero"`
	PostalCode Optional[string] `json:"postalCode,omitzero"`
	Country    Optional[string] `json:"country,omitzero"`
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

// Some returns a present Optional holding v. A nil slice is still present:
// it encodes as [], not null.
func Some[T any](v T) Optional[T] { return Optional[T]{value: v, state: present} }

// Null returns an Optional that is present as an explicit null.
func Null[T any]() Optional[T] { return Optional[T]{state: null} }

// IsZero reports whether o is absent.
func (o Optional[T]) IsZero() bool { return o.state == absent }

// IsNull reports whether o is an explicit null.
func (o Optional[T]) IsNull() bool { return o.state == null }

// Get returns o's value and whether it has one (false when absent or null).
func (o Optional[T]) Get() (T, bool) { return o.value, o.state == present }

// MarshalJSON encodes o's value, or null when o is null or absent.
func (o Optional[T]) MarshalJSON() ([]byte, error) {
	if o.state != present {
		return []byte("null"), nil
	}
	if v := reflect.ValueOf(&o.value).Elem(); v.Kind() == reflect.Slice && v.IsNil() {
		return []byte("[]"), nil
	}
	return json.Marshal(o.value)
}

// UnmarshalJSON decodes null as Null and anything else as Some. (A field
// missing from the input leaves o absent.)
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
