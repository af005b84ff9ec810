package komerza

import (
	"bytes"
	"encoding/json"

	"customergraph/internal/jsonread"
)

// decodePage reads a list or search response's body into a Page exactly as
// the envelope and its data decoded by encoding/json give it, several times
// faster: a page is read on every page request, and reading it through
// reflection and each reference's UnmarshalJSON was half of what serving a
// warm page cost. It reports false for anything it is not sure to read as
// encoding/json would (a key in other case than documented, a value of an
// unexpected type, "success": false, no data), and the caller then decodes
// the body with encoding/json, so every error is encoding/json's.
func decodePage(body []byte) (*Page, bool) {
	var page Page
	pages, ok := readEnvelope(body, func(r *jsonread.Reader) bool {
		page.Customers = nil // a key given twice: the last one's value, as a RawMessage keeps it
		if r.Null() {
			return true
		}
		page.Customers = []CustomerRef{} // [] is an empty page, not a nil one
		return r.Array(func() bool {
			page.Customers = append(page.Customers, CustomerRef{})
			c := &page.Customers[len(page.Customers)-1]
			return r.Null() || readRef(r, c)
		})
	})
	if !ok {
		return nil, false
	}
	if pages != nil {
		page.Pages = *pages
	}
	return &page, true
}

// readEnvelope reads the API's envelope of body, calling data for its data
// (each time it is given), and returns its pages. It reports false when
// the body is not an envelope it is sure of, has no data, or says
// "success": false.
func readEnvelope(body []byte, data func(r *jsonread.Reader) bool) (pages *int, ok bool) {
	r := jsonread.New(body)
	var (
		success *bool
		hasData bool
	)
	ok = r.Object(func(key []byte) bool {
		switch string(key) {
		case "success":
			return readPtr(&r, &success, (*jsonread.Reader).BoolVal)
		case "message", "code":
			if r.Null() {
				return true
			}
			_, ok := r.Str()
			return ok
		case "pages":
			return readPtr(&r, &pages, (*jsonread.Reader).IntVal)
		case "data":
			hasData = true
			return data(&r)
		}
		return r.Unknown(key, envelopeKeys)
	})
	if !ok || !r.End() || !hasData || success != nil && !*success {
		return nil, false
	}
	return pages, true
}

var (
	envelopeKeys = []string{"success", "message", "code", "pages", "data"}
	refKeys      = []string{"id", "dateCreated", "emailAddress", "status", "isAffiliate", "totalSpend", "averageSpend", "totalOrders", "isBlocked"}
)

// readRef reads a customer reference object into c, and a copy of its bytes
// into c.Raw, as CustomerRef.UnmarshalJSON does.
func readRef(r *jsonread.Reader, c *CustomerRef) bool {
	if r.Next() != '{' {
		return false
	}
	start := r.Offset()
	ok := r.Object(func(key []byte) bool {
		switch string(key) {
		case "id":
			return r.StrVal(&c.ID)
		case "dateCreated":
			return readTime(r, &c.DateCreated)
		case "emailAddress":
			return r.StrVal(&c.EmailAddress)
		case "status":
			return readPtr(r, &c.Status, (*jsonread.Reader).StrVal)
		case "isAffiliate":
			return readPtr(r, &c.IsAffiliate, (*jsonread.Reader).BoolVal)
		case "totalSpend":
			return readPtr(r, &c.TotalSpend, (*jsonread.Reader).FloatVal)
		case "averageSpend":
			return readPtr(r, &c.AverageSpend, (*jsonread.Reader).FloatVal)
		case "totalOrders":
			return readPtr(r, &c.TotalOrders, (*jsonread.Reader).IntVal)
		case "isBlocked":
			return readPtr(r, &c.IsBlocked, (*jsonread.Reader).BoolVal)
		}
		return r.Unknown(key, refKeys)
	})
	if ok {
		c.Raw = json.RawMessage(bytes.Clone(r.Bytes(start)))
	}
	return ok
}

// readPtr reads null into *p as nil, and any other value with val into a
// new value that *p then points to.
func readPtr[T any](r *jsonread.Reader, p **T, val func(*jsonread.Reader, *T) bool) bool {
	if r.Null() {
		*p = nil
		return true
	}
	v := new(T)
	if !val(r, v) {
		return false
	}
	*p = v
	return true
}
