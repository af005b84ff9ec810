package main

import (
	"fmt"
	"regexp"
	"strings"
)

// vendor is the customer API the simulator serves and the facade is
// configured for: -vendor.
type vendor string

// The vendors bench can run against.
const (
	vendorTiquo   vendor = "tiquo"
	vendorKomerza vendor = "komerza"
	vendorXtrakit vendor = "xtrakit"
)

// defaultKomerzaStore is the store of the Komerza simulator unless -store
// says otherwise; it is the simulator's own default.
const defaultKomerzaStore = "11111111-1111-4111-8111-111111111111"

// vendors are every vendor, in the order -h names them.
var vendors = []vendor{vendorTiquo, vendorKomerza, vendorXtrakit}

// parseVendor reads -vendor, in any case.
func parseVendor(s string) (vendor, error) {
	v := vendor(strings.ToLower(strings.TrimSpace(s)))
	for _, known := range vendors {
		if v == known {
			return v, nil
		}
	}
	return "", fmt.Errorf("-vendor %q: want tiquo, komerza or xtrakit", s)
}

// uuidPattern is a hyphenated UUID in any case, as the Komerza simulator's
// -store and the facade's KOMERZA_STORE_ID take it.
var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// label returns the table's name of a row of workload name with the
// qualifiers, e.g. "W2 (first)"; for a vendor other than Tiquo the vendor
// comes first among them, e.g. "W2 (komerza, first)", "W1-warm (komerza)".
func (v vendor) label(name string, qualifiers ...string) string {
	if v != vendorTiquo {
		qualifiers = append([]string{string(v)}, qualifiers...)
	}
	if len(qualifiers) == 0 {
		return name
	}
	return name + " (" + strings.Join(qualifiers, ", ") + ")"
}

// simArgs returns the simulator's flags that select v: none for Tiquo, the
// simulator's default (so a binary older than -vendor still runs it).
func (v vendor) simArgs(store string) []string {
	switch v {
	case vendorTiquo:
		return nil
	case vendorKomerza:
		return []string{"-vendor", string(v), "-store", store}
	}
	return []string{"-vendor", string(v)}
}

// facadeEnv returns the facade's environment that selects v. For Tiquo it
// clears UPSTREAM_VENDOR and KOMERZA_STORE_ID (empty is unset to the
// facade), so that neither leaks in from bench's own environment.
func (v vendor) facadeEnv(store string) map[string]string {
	switch v {
	case vendorTiquo:
		return map[string]string{"UPSTREAM_VENDOR": "", "KOMERZA_STORE_ID": ""}
	case vendorKomerza:
		return map[string]string{"UPSTREAM_VENDOR": string(v), "KOMERZA_STORE_ID": store}
	}
	return map[string]string{"UPSTREAM_VENDOR": string(v), "KOMERZA_STORE_ID": ""}
}

// pageQuery returns W2's document: customers(first: 50) with a detail
// field that v's list lacks, so that a cold page costs the list and the
// detail GETs: Tiquo's marketingOptIn, Komerza's balance, Xtrakit's
// groups.
func pageQuery(v vendor) string {
	switch v {
	case vendorKomerza:
		return queryPageKomerza
	case vendorXtrakit:
		return queryPageXtrakit
	}
	return queryPage
}

// detailField names the detail field of pageQuery(v), for the notes.
func detailField(v vendor) string {
	switch v {
	case vendorKomerza:
		return "balance"
	case vendorXtrakit:
		return "groups"
	}
	return "marketingOptIn"
}

// vendorNote is the report's note on a vendor other than Tiquo.
func vendorNote(v vendor, store string) string {
	var on []string
	var off []string
	for _, w := range allWorkloads() {
		if w.runsOn(v) {
			on = append(on, w.name)
		} else {
			off = append(off, w.name)
		}
	}
	var s strings.Builder
	fmt.Fprintf(&s, "Vendor: %s", v)
	if v == vendorKomerza {
		fmt.Fprintf(&s, " (store %s)", store)
	}
	fmt.Fprintf(&s, ": the simulator serves -vendor %s and the facade runs with UPSTREAM_VENDOR=%s; %s have variants for it, %s are Tiquo's only.",
		v, v, strings.Join(on, ", "), strings.Join(off, ", "))
	fmt.Fprintf(&s, " W2's detail field is %s.", detailField(v))
	if v == vendorXtrakit {
		s.WriteString(" Xtrakit has no email lookup: the facade answers customer(email:) from an alias index built from the vendor's one unpaginated list, so W1-cold's upstream calls are list calls.")
	}
	return s.String()
}
