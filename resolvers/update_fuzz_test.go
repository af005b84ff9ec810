package resolvers

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"

	"customergraph/graph/model"
	"customergraph/internal/customer"
	"customergraph/internal/identifier"
	"customergraph/internal/tiquo"
)

// inputField is one field of UpdateCustomerInput as the fuzz target sees
// it: its path under "input", how to set it, and what the patch holds.
type inputField struct {
	path  string // e.g. "address.city"
	set   func(in *model.UpdateCustomerInput, v *string)
	patch func(p customer.Patch) customer.Optional[string]
	max   int  // longest valid value, in bytes; 0: checked elsewhere
	multi bool // newlines and tabs allowed
}

// tiquoCaps are the capabilities of the vendor that updates every field
// the fuzz target sets.
var tiquoCaps = tiquo.NewAdapter(nil).Capabilities()

func addressPart(p customer.Patch, part func(customer.AddressPatch) customer.Optional[string]) customer.Optional[string] {
	a, _ := p.Address.Get()
	return part(a)
}

func setAddress(in *model.UpdateCustomerInput, part func(*model.AddressInput) *graphql.Omittable[*string], v *string) {
	a, _ := in.Address.ValueOK()
	if a == nil {
		a = &model.AddressInput{}
		in.Address = graphql.OmittableOf(a)
	}
	*part(a) = graphql.OmittableOf(v)
}

var fuzzFields = []inputField{
	{"firstName", func(in *model.UpdateCustomerInput, v *string) { in.FirstName = graphql.OmittableOf(v) },
		func(p customer.Patch) customer.Optional[string] { return p.FirstName }, maxName, false},
	{"lastName", func(in *model.UpdateCustomerInput, v *string) { in.LastName = graphql.OmittableOf(v) },
		func(p customer.Patch) customer.Optional[string] { return p.LastName }, maxName, false},
	{"email", func(in *model.UpdateCustomerInput, v *string) { in.Email = graphql.OmittableOf(v) },
		func(p customer.Patch) customer.Optional[string] { return p.Email }, 0, false},
	{"phone", func(in *model.UpdateCustomerInput, v *string) { in.Phone = graphql.OmittableOf(v) },
		func(p customer.Patch) customer.Optional[string] { return p.Phone }, 0, false},
	{"notes", func(in *model.UpdateCustomerInput, v *string) { in.Notes = graphql.OmittableOf(v) },
		func(p customer.Patch) customer.Optional[string] { return p.Notes }, maxNotes, true},
	{"preferredLocationId", func(in *model.UpdateCustomerInput, v *string) { in.PreferredLocationID = graphql.OmittableOf(v) },
		func(p customer.Patch) customer.Optional[string] { return p.PreferredLocationID }, maxRef, false},
	{"companyId", func(in *model.UpdateCustomerInput, v *string) { in.CompanyID = graphql.OmittableOf(v) },
		func(p customer.Patch) customer.Optional[string] { return p.CompanyID }, maxRef, false},
	{"address.line1", func(in *model.UpdateCustomerInput, v *string) {
		setAddress(in, func(a *model.AddressInput) *graphql.Omittable[*string] { return &a.Line1 }, v)
	}, func(p customer.Patch) customer.Optional[string] {
		return addressPart(p, func(a customer.AddressPatch) customer.Optional[string] { return a.Line1 })
	}, maxRef, false},
	{"address.city", func(in *model.UpdateCustomerInput, v *string) {
		setAddress(in, func(a *model.AddressInput) *graphql.Omittable[*string] { return &a.City }, v)
	}, func(p customer.Patch) customer.Optional[string] {
		return addressPart(p, func(a customer.AddressPatch) customer.Optional[string] { return a.City })
	}, maxRef, false},
	{"address.country", func(in *model.UpdateCustomerInput, v *string) {
		setAddress(in, func(a *model.AddressInput) *graphql.Omittable[*string] { return &a.Country }, v)
	}, func(p customer.Patch) customer.Optional[string] {
		return addressPart(p, func(a customer.AddressPatch) customer.Optional[string] { return a.Country })
	}, maxRef, false},
}

// FuzzToPatch builds update inputs from arbitrary values: set is a bit
// mask of the fields present (bit i: fuzzFields[i]; then tags, then
// marketingOptIn), null a mask of those given as null, and field i takes
// values[i % 4]. toPatch must never panic; each problem it reports names
// a present field by its path; a present field is either in the patch or
// reported; and an input without problems maps onto the patch as given.
//
//	go test ./resolvers -run '^$' -fuzz FuzzToPatch -fuzztime 60s
func FuzzToPatch(f *testing.F) {
	f.Add("Jane", "jane@example.com", "+1 (202) 555-0199", "line\nbreak", uint16(0xffff), uint16(0), true, "vip")
	f.Add("", "not an email", "555 CALL", "\x00", uint16(0xffff), uint16(0), false, "")
	f.Add(strings.Repeat("x", 101), "a@b", "0049 30 1234567", "\xff", uint16(0x0f0f), uint16(0x00f0), true, "\t")
	f.Add("CUST-000001", "k1234567890abcdef", "+441234567890", "ok", uint16(0x3000), uint16(0x2000), false, strings.Repeat("t", 65))
	f.Add("Ünïcödé", "MIXED@Example.COM", "(555) 456-7890", "é", uint16(0x0c), uint16(0x04), true, "a,b")
	f.Fuzz(func(t *testing.T, v0, v1, v2, v3 string, set, null uint16, optIn bool, tag string) {
		values := []string{v0, v1, v2, v3}
		var in model.UpdateCustomerInput
		present := map[string]bool{}
		for i, fld := range fuzzFields {
			if set&(1<<i) == 0 {
				continue
			}
			present[fld.path] = true
			if null&(1<<i) != 0 {
				fld.set(&in, nil)
			} else {
				v := values[i%len(values)]
				fld.set(&in, &v)
			}
		}
		tagsBit, optBit := uint16(1)<<len(fuzzFields), uint16(1)<<(len(fuzzFields)+1)
		if set&tagsBit != 0 {
			present["tags"] = true
			if null&tagsBit != 0 {
				in.Tags = graphql.OmittableOf[[]string](nil)
			} else {
				in.Tags = graphql.OmittableOf(strings.Split(tag, ","))
			}
		}
		if set&optBit != 0 {
			present["marketingOptIn"] = true
			if null&optBit != 0 {
				in.MarketingOptIn = graphql.OmittableOf[*bool](nil)
			} else {
				in.MarketingOptIn = graphql.OmittableOf(&optIn)
			}
		}

		p, errs := toPatch(tiquoCaps, in)

		reported := map[string]bool{}
		for _, e := range errs {
			if len(e.Field) < 2 || e.Field[0] != "input" || e.Code != model.UserErrorCodeInvalid {
				t.Fatalf("user error %+v: want code INVALID and a path under input", e)
			}
			path := strings.Join(e.Field[1:], ".")
			if !present[path] {
				t.Fatalf("user error %+v names a field the input does not have (present: %v)", e, present)
			}
			if !strings.HasPrefix(e.Message, path+": ") || len(e.Message) == len(path)+2 {
				t.Fatalf("user error %+v: want a message %q followed by the problem", e, path+": ")
			}
			reported[path] = true
		}
		for i, fld := range fuzzFields {
			got := fld.patch(p)
			if !present[fld.path] {
				if !got.IsZero() {
					t.Fatalf("%s is absent from the input but not from the patch", fld.path)
				}
				continue
			}
			v, wantNull := values[i%len(values)], null&(1<<i) != 0
			isNull := got.IsNull()
			value, ok := got.Get()
			switch {
			case reported[fld.path]:
				if ok || isNull {
					t.Fatalf("%s is reported invalid but still in the patch", fld.path)
				}
			case got.IsZero():
				t.Fatalf("%s is in the input, neither in the patch nor reported", fld.path)
			case isNull:
				// Only a null in the input; checked below.
			case fld.max > 0 && value != v:
				t.Fatalf("%s = %q in the patch; want %q as given", fld.path, value, v)
			case fld.max == 0:
				id, err := identifier.Parse(v)
				if err != nil || id.String() != value {
					t.Fatalf("%s = %q in the patch from %q; want its canonical form", fld.path, value, v)
				}
			}
			if isNull != wantNull {
				t.Fatalf("%s: null in the patch %v, in the input %v", fld.path, isNull, wantNull)
			}
			// Problems a valid value cannot have must be reported.
			if fld.max > 0 && !wantNull && !reported[fld.path] {
				if len(v) > fld.max || !utf8.ValidString(v) || hasControl(v, fld.multi) {
					t.Fatalf("%s = %q is not valid, but not reported", fld.path, v)
				}
			}
		}
		if present["marketingOptIn"] {
			if null&optBit != 0 {
				if !reported["marketingOptIn"] {
					t.Fatal("marketingOptIn: null is not reported")
				}
			} else if got, ok := p.MarketingOptIn.Get(); !ok || got != optIn {
				t.Fatalf("marketingConsent = %v, %v; want %v", got, ok, optIn)
			}
		}
		if reported["tags"] && !p.Tags.IsZero() {
			t.Fatal("tags are reported invalid but still in the patch")
		}
		if present["tags"] && !reported["tags"] {
			got, ok := p.Tags.Get()
			if null&tagsBit != 0 {
				if !p.Tags.IsNull() {
					t.Fatal("tags: null in the input, not in the patch")
				}
			} else if !ok || !slices.Equal(got, strings.Split(tag, ",")) {
				t.Fatalf("tags = %q in the patch; want %q", got, strings.Split(tag, ","))
			}
		}
		if len(errs) == 0 && !present["tags"] && !p.Tags.IsZero() {
			t.Fatal("tags are in the patch but not in the input")
		}
	})
}

func hasControl(s string, multiline bool) bool {
	for _, r := range s {
		if r == 0x7f || r < 0x20 && !(multiline && (r == '\n' || r == '\t' || r == '\r')) {
			return true
		}
	}
	return false
}
