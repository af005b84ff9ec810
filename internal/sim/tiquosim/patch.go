package tiquosim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"time"

	"customergraph/internal/identifier"
)

// patchFields are the update doc's body fields, in validation order.
var patchFields = []string{
	"firstName", "lastName", "email", "phone", "dateOfBirth", "address",
	"tags", "notes", "preferredLocationId", "marketingConsent", "companyId",
}

var addressFields = []string{"line1", "line2", "city", "state", "postalCode", "country"}

// optString is a string field of an update: absent, set, or cleared (nil).
type optString struct {
	set bool
	val *string
}

// update is a validated PATCH body.
type update struct {
	firstName, lastName, email, phone, dateOfBirth optString
	notes, preferredLocationID, companyID          optString

	address      bool               // present
	addressClear bool               // null
	addressParts map[string]*string // key → value (nil clears the part)

	tags    bool
	tagList []string

	marketing      bool
	marketingValue bool
}

// fieldError is a validation failure; its message is "field: problem".
type fieldError string

func invalid(field, problem string) *fieldError {
	e := fieldError(field + ": " + problem)
	return &e
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// parseUpdate validates a PATCH body.
func parseUpdate(body []byte) (update, *fieldError) {
	var u update
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return u, invalid("body", "must be a JSON object")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &raw); err != nil {
		return u, invalid("body", "is not valid JSON")
	}
	unknown := make([]string, 0)
	for k := range raw {
		if !slices.Contains(patchFields, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return u, invalid(unknown[0], "unknown field")
	}

	str := func(field string, dst *optString) *fieldError {
		v, ok := raw[field]
		if !ok {
			return nil
		}
		dst.set = true
		if isNull(v) {
			return nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return invalid(field, "must be a string or null")
		}
		dst.val = &s
		return nil
	}
	for _, f := range []struct {
		name string
		dst  *optString
	}{
		{"firstName", &u.firstName}, {"lastName", &u.lastName}, {"email", &u.email},
		{"phone", &u.phone}, {"dateOfBirth", &u.dateOfBirth}, {"notes", &u.notes},
		{"preferredLocationId", &u.preferredLocationID}, {"companyId", &u.companyID},
	} {
		if err := str(f.name, f.dst); err != nil {
			return u, err
		}
	}

	if v := u.email.val; v != nil {
		id, err := identifier.Parse(*v)
		if err != nil || id.Kind() != identifier.Email {
			return u, invalid("email", "must be a valid email address")
		}
		u.email.val = ptr(id.String())
	}
	if v := u.phone.val; v != nil {
		id, err := identifier.Parse(*v)
		if err != nil || id.Kind() != identifier.Phone {
			return u, invalid("phone", "must be a valid phone number")
		}
		u.phone.val = ptr(id.String())
	}
	if v := u.dateOfBirth.val; v != nil {
		if _, err := time.Parse(time.DateOnly, *v); err != nil || len(*v) != len(time.DateOnly) {
			return u, invalid("dateOfBirth", "must be YYYY-MM-DD")
		}
	}

	if v, ok := raw["address"]; ok {
		u.address = true
		if isNull(v) {
			u.addressClear = true
		} else {
			var parts map[string]json.RawMessage
			if t := bytes.TrimSpace(v); len(t) == 0 || t[0] != '{' || json.Unmarshal(t, &parts) != nil {
				return u, invalid("address", "must be an object or null")
			}
			keys := make([]string, 0, len(parts))
			for k := range parts {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			u.addressParts = make(map[string]*string, len(parts))
			for _, k := range keys {
				if !slices.Contains(addressFields, k) {
					return u, invalid("address."+k, "unknown field")
				}
				if isNull(parts[k]) {
					u.addressParts[k] = nil
					continue
				}
				var s string
				if err := json.Unmarshal(parts[k], &s); err != nil {
					return u, invalid("address."+k, "must be a string or null")
				}
				u.addressParts[k] = &s
			}
		}
	}

	if v, ok := raw["tags"]; ok {
		u.tags = true
		u.tagList = []string{}
		if !isNull(v) {
			var tags []*string
			if t := bytes.TrimSpace(v); len(t) == 0 || t[0] != '[' || json.Unmarshal(t, &tags) != nil {
				return u, invalid("tags", "must be an array of strings or null")
			}
			for _, t := range tags {
				if t == nil {
					return u, invalid("tags", "must be an array of strings or null")
				}
				u.tagList = append(u.tagList, *t)
			}
		}
	}

	if v, ok := raw["marketingConsent"]; ok {
		if err := json.Unmarshal(v, &u.marketingValue); err != nil || isNull(v) {
			return u, invalid("marketingConsent", "must be a boolean")
		}
		u.marketing = true
	}
	return u, nil
}

// servePatch answers PATCH /customers/{id} for an authorised key.
func (s *Server) servePatch(w http.ResponseWriter, ident string, body []byte) {
	u, ferr := parseUpdate(body)
	if ferr != nil {
		writeObjectError(w, http.StatusBadRequest, codeValidation, string(*ferr))
		return
	}
	id, err := identifier.Parse(ident)

	s.mu.Lock()
	var rec *record
	if err == nil {
		rec = s.lookup(id)
	}
	if rec == nil {
		s.mu.Unlock()
		writeObjectError(w, http.StatusNotFound, codeNotFound, msgPatchNotFound)
		return
	}
	if v := u.email.val; v != nil {
		if owner := s.emails[*v]; owner != nil && owner != rec {
			s.mu.Unlock()
			writeObjectError(w, http.StatusConflict, codeConflict, "email: already in use by another customer")
			return
		}
	}
	s.apply(rec, &u)
	v := rec.view(rfc3339)
	s.mu.Unlock()

	writeJSON(w, http.StatusOK, struct {
		Success bool         `json:"success"`
		Data    customerView `json:"data"`
	}{true, v})
}

// apply changes rec as u says and keeps the indexes consistent. The caller
// holds the write lock. Fields are replaced, never mutated in place, since
// views built under the read lock may share them.
func (s *Server) apply(rec *record, u *update) {
	s.unindexContacts(rec)
	if u.firstName.set {
		rec.FirstName = u.firstName.val
	}
	if u.lastName.set {
		rec.LastName = u.lastName.val
	}
	if u.firstName.set || u.lastName.set {
		rec.DisplayName = displayName(rec.FirstName, rec.LastName)
	}
	if u.email.set {
		emails := make([]Email, 0, len(rec.Emails)+1)
		if v := u.email.val; v != nil {
			emails = append(emails, Email{*v, true})
		}
		for _, e := range rec.Emails {
			if !e.Primary && (u.email.val == nil || e.Address != *u.email.val) {
				emails = append(emails, e)
			}
		}
		rec.Emails = emails
	}
	if u.phone.set {
		phones := make([]Phone, 0, len(rec.Phones)+1)
		if v := u.phone.val; v != nil {
			phones = append(phones, Phone{*v, true})
		}
		for _, p := range rec.Phones {
			if !p.Primary && (u.phone.val == nil || p.Number != *u.phone.val) {
				phones = append(phones, p)
			}
		}
		rec.Phones = phones
	}
	if u.dateOfBirth.set {
		rec.DateOfBirth = u.dateOfBirth.val
		if v := u.dateOfBirth.val; v != nil {
			rec.Parameters = withParameter(rec.Parameters, paramDateOfBirth, *v)
		} else {
			rec.Parameters = withParameter(rec.Parameters, paramDateOfBirth)
		}
	}
	if u.address {
		switch {
		case u.addressClear:
			rec.Address = nil
		default:
			var a Address
			if rec.Address != nil {
				a = *rec.Address
			}
			for k, v := range u.addressParts {
				switch k {
				case "line1":
					a.Line1 = v
				case "line2":
					a.Line2 = v
				case "city":
					a.City = v
				case "state":
					a.State = v
				case "postalCode":
					a.PostalCode = v
				case "country":
					a.Country = v
				}
			}
			rec.Address = &a
		}
	}
	if u.tags {
		rec.Tags = u.tagList
	}
	if u.notes.set {
		rec.Notes = u.notes.val
	}
	if u.preferredLocationID.set {
		rec.PreferredLocationID = u.preferredLocationID.val
	}
	if u.companyID.set {
		rec.CompanyID = u.companyID.val
	}
	if u.marketing {
		rec.MarketingOptIn = u.marketingValue
		rec.Parameters = withParameter(rec.Parameters, paramMarketingOptIn, boolString(u.marketingValue))
	}
	rec.UpdatedAt = time.UnixMilli(s.now().UnixMilli()).UTC()
	rec.reindex()
	s.indexContacts(rec)
}
