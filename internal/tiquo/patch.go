package tiquo

import "customergraph/internal/customer"

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

// Optional is a Patch field: absent (the zero Optional), null, or present;
// with `json:",omitzero"` an absent one is left out. It is the facade's own
// customer.Optional.
type Optional[T any] = customer.Optional[T]

// Some returns a present Optional holding v. A nil slice is still present:
// it encodes as [], not null.
func Some[T any](v T) Optional[T] { return customer.Some(v) }

// Null returns an Optional that is present as an explicit null.
func Null[T any]() Optional[T] { return customer.Null[T]() }
