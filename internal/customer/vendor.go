package customer

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Vendor is the customer API a record comes from: the schema's Vendor enum.
type Vendor string

// The vendors of the GraphQL enum Vendor.
const (
	Tiquo   Vendor = "TIQUO"
	Komerza Vendor = "KOMERZA"
	Xtrakit Vendor = "XTRAKIT"
)

// ParseVendor reads a vendor's configuration name ("tiquo", any case).
func ParseVendor(s string) (Vendor, bool) {
	v := Vendor(strings.ToUpper(strings.TrimSpace(s)))
	return v, v.Valid()
}

// Valid reports whether v is one of the defined vendors.
func (v Vendor) Valid() bool {
	switch v {
	case Tiquo, Komerza, Xtrakit:
		return true
	}
	return false
}

// Name returns v's configuration name, e.g. "komerza": the value of a
// NOT_SUPPORTED error's extensions.vendor.
func (v Vendor) Name() string { return strings.ToLower(string(v)) }

// String returns v as written in the schema.
func (v Vendor) String() string { return string(v) }

// MarshalGQL writes v as a GraphQL enum value.
func (v Vendor) MarshalGQL(w io.Writer) {
	var buf [16]byte
	w.Write(v.AppendGQL(buf[:0]))
}

// AppendGQL appends v as MarshalGQL writes it.
func (v Vendor) AppendGQL(b []byte) []byte { return strconv.AppendQuote(b, string(v)) }

// UnmarshalGQL reads a GraphQL enum value into v.
func (v *Vendor) UnmarshalGQL(x any) error {
	s, ok := x.(string)
	if !ok {
		return fmt.Errorf("Vendor must be a string, got %T", x)
	}
	if !Vendor(s).Valid() {
		return fmt.Errorf("%q is not a valid Vendor", s)
	}
	*v = Vendor(s)
	return nil
}

// detailFields are, per vendor, the Customer fields (by schema name) that
// its single-record read returns and its list does not: a record without
// Detail must be completed before they are read. Fields a vendor does not
// have at all are empty on its records, whatever their parts.
var detailFields = map[Vendor]map[string]bool{
	Tiquo: {
		"marketingOptIn": true, "smsOptIn": true, "dateOfBirth": true, "address": true, "tags": true,
		"notes": true, "preferredLocationId": true, "companyId": true, "loyaltyPoints": true,
	},
	Komerza: {"balance": true, "ipAddress": true, "subscriptions": true, "supportTickets": true, "affiliate": true},
	Xtrakit: {"groups": true},
}

// DetailField reports whether the Customer field name (as the schema
// spells it) is one of v's detail fields. A record without a vendor is
// read as Tiquo's.
func (v Vendor) DetailField(name string) bool {
	if v == "" {
		v = Tiquo
	}
	return detailFields[v][name]
}
