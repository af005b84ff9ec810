package main

import (
	"bytes"
	"customergraph/internal/cache"
	"customergraph/internal/customer"
	"customergraph/internal/identifier"
	"customergraph/internal/sim/komerzasim"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"
)

// tenantConfig is one row of the tenant table: an upstream account and the
// client keys that act for it. Every tenant has its own cache namespace,
// derived from its upstream URL and key, so tenants sharing one Redis never
// see each other's entries.
type tenantConfig struct {
	Name           string
	Vendor         customer.Vendor
	UpstreamURL    string // "" is the vendor's in-process simulator
	UpstreamAPIKey secret
	StoreID        string         // Komerza's store, canonical (lower case)
	TimeZone       *time.Location // Xtrakit's zone-less timestamps are read in it; nil: UTC
	ClientKeys     []secret
}

// namespace returns the tenant's cache namespace: derived from the
// account (vendor, upstream URL, store, key) and salt, so tenants sharing
// one Redis never see each other's entries. A Tiquo account's parts are
// its URL and key alone, as they always were.
func (t tenantConfig) namespace(baseURL, key, salt string) string {
	if t.Vendor == customer.Tiquo || t.Vendor == "" {
		return cache.Namespace(baseURL, key, salt)
	}
	return cache.Namespace(t.Vendor.Name()+" "+baseURL+" "+t.StoreID, key, salt)
}

// tenantTable is the JSON form of TENANTS and of the file TENANTS_FILE
// names:
//
//	{"tenants": [
//	  {"name": "acme",
//	   "upstreamUrl": "https://api.tiquo.app/api/v1",
//	   "upstreamApiKeyEnv": "ACME_TIQUO_KEY",
//	   "clientKeysEnv": "ACME_CLIENT_KEYS"},
//	  {"name": "shop", "vendor": "komerza",
//	   "upstreamUrl": "https://api.komerza.com",
//	   "storeId": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
//	   "upstreamApiKeyEnv": "SHOP_KOMERZA_KEY",
//	   "clientKeysEnv": "SHOP_CLIENT_KEYS"}
//	]}
//
// vendor is "tiquo" (the default), "komerza" or "xtrakit"; Komerza needs
// storeId; Xtrakit may give timeZone (IANA, default UTC), the zone its
// timestamps are written in.
//
// A secret is given either inline (upstreamApiKey, clientKeys) or as the
// name of an environment variable holding it (upstreamApiKeyEnv, and
// clientKeysEnv with comma-separated keys), which keeps secrets out of the
// file.
type tenantTable struct {
	Tenants []tenantRow `json:"tenants"`
}

type tenantRow struct {
	Name              string   `json:"name"`
	Vendor            string   `json:"vendor"`
	StoreID           string   `json:"storeId"`
	TimeZone          string   `json:"timeZone"`
	UpstreamURL       string   `json:"upstreamUrl"`
	UpstreamAPIKey    string   `json:"upstreamApiKey"`
	UpstreamAPIKeyEnv string   `json:"upstreamApiKeyEnv"`
	ClientKeys        []string `json:"clientKeys"`
	ClientKeysEnv     string   `json:"clientKeysEnv"`
}

// Authentication modes (AUTH_MODE).
const (
	authKeys        = "keys"        // client keys from FACADE_API_KEYS or the tenant table
	authPassthrough = "passthrough" // the client's bearer key is the upstream key
)

var tenantName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// parseTenantTable decodes a tenant table. Its errors never quote a
// secret.
func parseTenantTable(data []byte, getenv func(string) string) ([]tenantConfig, []string) {
	var tab tenantTable
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&tab); err != nil {
		return nil, []string{"the tenant table is not valid JSON of the documented form: " + jsonProblem(err)}
	}
	if dec.More() {
		return nil, []string{"the tenant table has data after its JSON object"}
	}
	if len(tab.Tenants) == 0 {
		return nil, []string{"the tenant table lists no tenants"}
	}
	var (
		out  []tenantConfig
		errs []string
	)
	for i, row := range tab.Tenants {
		where := fmt.Sprintf("tenant %d", i+1)
		if tenantName.MatchString(row.Name) {
			where = fmt.Sprintf("tenant %q", row.Name)
		} else {
			errs = append(errs, where+": name must be 1 to 63 lower-case letters, digits, '-' or '_'")
		}
		t := tenantConfig{Name: row.Name, UpstreamURL: strings.TrimSpace(row.UpstreamURL)}
		var problem string
		t.Vendor, t.StoreID, problem = vendorOf(row.Vendor, row.StoreID, t.UpstreamURL != "")
		if problem != "" {
			errs = append(errs, where+": "+problem)
		}
		if t.TimeZone, problem = timeZoneOf(t.Vendor, row.TimeZone); problem != "" {
			errs = append(errs, where+": "+problem)
		}
		switch {
		case row.UpstreamAPIKey != "" && row.UpstreamAPIKeyEnv != "":
			errs = append(errs, where+": give upstreamApiKey or upstreamApiKeyEnv, not both")
		case row.UpstreamAPIKeyEnv != "":
			t.UpstreamAPIKey = secret(strings.TrimSpace(getenv(row.UpstreamAPIKeyEnv)))
			if t.UpstreamAPIKey == "" {
				errs = append(errs, fmt.Sprintf("%s: upstreamApiKeyEnv names %s, which is not set", where, row.UpstreamAPIKeyEnv))
			}
		default:
			t.UpstreamAPIKey = secret(strings.TrimSpace(row.UpstreamAPIKey))
		}
		keys := row.ClientKeys
		if row.ClientKeysEnv != "" {
			v := getenv(row.ClientKeysEnv)
			if strings.TrimSpace(v) == "" {
				errs = append(errs, fmt.Sprintf("%s: clientKeysEnv names %s, which is not set", where, row.ClientKeysEnv))
			}
			keys = append(keys, strings.Split(v, ",")...)
		}
		for _, k := range keys {
			if k = strings.TrimSpace(k); k != "" {
				t.ClientKeys = append(t.ClientKeys, secret(k))
			}
		}
		if len(t.ClientKeys) == 0 {
			errs = append(errs, where+": no client keys (clientKeys or clientKeysEnv)")
		}
		if t.UpstreamURL != "" && t.UpstreamAPIKey == "" {
			errs = append(errs, where+": an upstreamUrl needs an upstream API key")
		}
		out = append(out, t)
	}
	return out, errs
}

// vendorOf reads a tenant's vendor (default Tiquo) and Komerza store ID,
// which a Komerza tenant with an upstream URL must have (the in-process
// simulator has a default store). problem says what is wrong, if anything.
func vendorOf(name, store string, upstreamURL bool) (customer.Vendor, string, string) {
	v := customer.Tiquo
	if name = strings.TrimSpace(name); name != "" {
		var ok bool
		if v, ok = customer.ParseVendor(name); !ok {
			return customer.Tiquo, "", fmt.Sprintf("vendor %q: want tiquo, komerza or xtrakit", name)
		}
	}
	store = strings.TrimSpace(store)
	switch {
	case v != customer.Komerza && store != "":
		return v, "", "storeId is for komerza tenants only"
	case v != customer.Komerza:
		return v, "", ""
	case store == "" && upstreamURL:
		return v, "", "a komerza tenant needs storeId"
	case store == "":
		return v, komerzasim.DefaultStore, ""
	}
	id, err := identifier.UUIDs.ParseAs(store, identifier.DocumentID)
	if err != nil {
		return v, "", "storeId must be a UUID"
	}
	return v, id.String(), ""
}

// timeZoneOf reads a tenant's time zone: an IANA name, for Xtrakit's
// zone-less timestamps (default UTC).
func timeZoneOf(v customer.Vendor, name string) (*time.Location, string) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return nil, ""
	case v != customer.Xtrakit:
		return nil, "timeZone is for xtrakit tenants only"
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Sprintf("timeZone %q is not an IANA time zone such as Africa/Accra", name)
	}
	return loc, ""
}

// jsonProblem describes a decoding error without quoting the input.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %s has the wrong type", te.Field)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return err.Error()[len("json: "):]
	}
	return "unexpected end or form"
}

// checkTenants reports what makes a set of tenants unusable: duplicate
// names, a client key used twice, two tenants on one upstream account
// (they would be one tenant with two names, and share its budget), an
// upstream URL that is not http or https.
func checkTenants(ts []tenantConfig) []string {
	var errs []string
	names := map[string]bool{}
	keys := map[secret]string{}
	accounts := map[[2]string]string{}
	for _, t := range ts {
		if names[t.Name] {
			errs = append(errs, fmt.Sprintf("tenant %q is listed twice", t.Name))
		}
		names[t.Name] = true
		if t.UpstreamURL != "" {
			u, err := url.Parse(t.UpstreamURL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
				errs = append(errs, fmt.Sprintf("tenant %q: upstreamUrl must be an http or https URL without user info", t.Name))
			}
		}
		for _, k := range t.ClientKeys {
			if other, ok := keys[k]; ok {
				errs = append(errs, fmt.Sprintf("tenants %q and %q share a client key: each key must name one tenant", other, t.Name))
			}
			keys[k] = t.Name
		}
		acct := [2]string{t.Vendor.Name() + " " + t.UpstreamURL + " " + t.StoreID, string(t.UpstreamAPIKey)}
		if other, ok := accounts[acct]; ok {
			errs = append(errs, fmt.Sprintf("tenants %q and %q use the same upstream URL and key: make them one tenant", other, t.Name))
		}
		accounts[acct] = t.Name
	}
	return errs
}

// loadTenants reads TENANTS or TENANTS_FILE into c.Tenants, or builds the
// single tenant "default" from UPSTREAM_URL, UPSTREAM_API_KEY and
// FACADE_API_KEYS. In passthrough mode there is no table: every client key
// is its own tenant.
func (p *parser) loadTenants(c *config) {
	inline, file := strings.TrimSpace(p.getenv("TENANTS")), strings.TrimSpace(p.getenv("TENANTS_FILE"))
	table := inline != "" || file != ""
	switch {
	case inline != "" && file != "":
		p.errs = append(p.errs, "set TENANTS or TENANTS_FILE, not both")
		return
	case table && c.AuthMode == authPassthrough:
		p.errs = append(p.errs, "AUTH_MODE=passthrough has no tenant table: unset TENANTS and TENANTS_FILE")
		return
	case table && (c.UpstreamURL != "" || c.UpstreamAPIKey != "" || len(c.FacadeAPIKeys) > 0 || c.vendorSet):
		p.errs = append(p.errs, "with a tenant table, UPSTREAM_URL, UPSTREAM_API_KEY, UPSTREAM_VENDOR, KOMERZA_STORE_ID and FACADE_API_KEYS go in the table: unset them")
		return
	case c.AuthMode == authPassthrough:
		if c.UpstreamAPIKey != "" || len(c.FacadeAPIKeys) > 0 {
			p.errs = append(p.errs, "AUTH_MODE=passthrough forwards each client's key upstream: unset UPSTREAM_API_KEY and FACADE_API_KEYS")
		}
		return
	case !table:
		c.Tenants = []tenantConfig{{Name: "default", Vendor: c.UpstreamVendor, UpstreamURL: c.UpstreamURL,
			UpstreamAPIKey: c.UpstreamAPIKey, StoreID: c.KomerzaStoreID, TimeZone: c.TimeZone, ClientKeys: c.FacadeAPIKeys}}
		return
	}
	data := []byte(inline)
	if file != "" {
		var err error
		if data, err = os.ReadFile(file); err != nil {
			p.errs = append(p.errs, "TENANTS_FILE cannot be read: "+pathProblem(err))
			return
		}
	}
	ts, errs := parseTenantTable(data, p.getenv)
	p.errs = append(p.errs, errs...)
	if len(errs) == 0 {
		p.errs = append(p.errs, checkTenants(ts)...)
	}
	c.Tenants = ts
}

// pathProblem is the reason of a file error, without its path.
func pathProblem(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
