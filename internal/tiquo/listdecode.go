package tiquo

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeList decodes a list response's body into env exactly as
// json.Unmarshal does, several times faster on the bodies Tiquo sends: the
// list is the one response read on every page request, and decoding it
// through reflection was the largest cost of serving a page. The fast
// reader gives up on anything unusual (a key in other case than
// documented, an escaped or non-ASCII key, a value of an unexpected type,
// deep nesting), and then json.Unmarshal decodes the body instead, so
// every result and every error is encoding/json's.
func decodeList(body []byte, env *envelope[[]Customer]) error {
	r := listReader{b: body}
	if r.envelope(env) {
		return nil
	}
	*env = envelope[[]Customer]{}
	return json.Unmarshal(body, env)
}

// decodeOne is decodeList for the response of a single customer (a GET or
// a PATCH): every cold lookup reads one, on the way to its answer.
func decodeOne(body []byte, env *envelope[*Customer]) error {
	r := listReader{b: body, slab: oneSlab}
	if r.customerEnvelope(env) {
		return nil
	}
	*env = envelope[*Customer]{}
	return json.Unmarshal(body, env)
}

// listReader reads one JSON document. Each method reports false when the
// document is not one it is sure to read as encoding/json would.
//
// The values its pointer fields point to are allocated a slab at a time,
// rather than one allocation each.
type listReader struct {
	b []byte
	i int
	// slab is how many values of a kind are allocated at once; 0 is
	// slabSize.
	slab int

	strs   []string
	bools  []bool
	ints   []int
	floats []float64
	times  []Time
}

// slabSize is how many values of a kind a list's reader allocates at once;
// oneSlab is a single customer's reader's.
const (
	slabSize = 64
	oneSlab  = 8
)

// slot returns a pointer to a new element of *slab, allocating a new slab
// of n rather than moving the elements others point to.
func slot[T any](slab *[]T, n int) *T {
	if len(*slab) == cap(*slab) {
		if n <= 0 {
			n = slabSize
		}
		*slab = make([]T, 0, n)
	}
	var zero T
	*slab = append(*slab, zero)
	return &(*slab)[len(*slab)-1]
}

func (r *listReader) ws() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// next skips white space and returns the next byte, or 0 at the end.
func (r *listReader) next() byte {
	r.ws()
	if r.i < len(r.b) {
		return r.b[r.i]
	}
	return 0
}

func (r *listReader) lit(s string) bool {
	if !bytes.HasPrefix(r.b[r.i:], []byte(s)) {
		return false
	}
	r.i += len(s)
	return true
}

// null consumes a null if one is next.
func (r *listReader) null() bool {
	return r.next() == 'n' && r.lit("null")
}

// object reads an object, calling field for each key with the reader at
// its value; field reads the value and reports whether it could. Keys
// are handed over raw: object gives up on one with an escape or a
// non-ASCII byte.
func (r *listReader) object(field func(key []byte) bool) bool {
	if r.next() != '{' {
		return false
	}
	r.i++
	if r.next() == '}' {
		r.i++
		return true
	}
	for {
		if r.next() != '"' {
			return false
		}
		start := r.i + 1
		end := start
		for end < len(r.b) && r.b[end] != '"' {
			if c := r.b[end]; c == '\\' || c < 0x20 || c >= 0x80 {
				return false
			}
			end++
		}
		if end >= len(r.b) {
			return false
		}
		r.i = end + 1
		if r.next() != ':' {
			return false
		}
		r.i++
		if !field(r.b[start:end]) {
			return false
		}
		switch r.next() {
		case ',':
			r.i++
		case '}':
			r.i++
			return true
		default:
			return false
		}
	}
}

// array reads an array, calling elem with the reader at each element.
func (r *listReader) array(elem func() bool) bool {
	if r.next() != '[' {
		return false
	}
	r.i++
	if r.next() == ']' {
		r.i++
		return true
	}
	for {
		if !elem() {
			return false
		}
		switch r.next() {
		case ',':
			r.i++
		case ']':
			r.i++
			return true
		default:
			return false
		}
	}
}

// unknown reads the value of a key no field has. encoding/json matches
// keys case-insensitively: one that matches a known name only so gives up.
func (r *listReader) unknown(key []byte, known []string) bool {
	for _, k := range known {
		if len(k) == len(key) && bytes.EqualFold([]byte(k), key) {
			return false
		}
	}
	return r.skip(0)
}

// maxDepth bounds the nesting skip follows; deeper documents are left to
// encoding/json, which has a limit of its own.
const maxDepth = 64

// skip reads any value.
func (r *listReader) skip(depth int) bool {
	if depth > maxDepth {
		return false
	}
	switch c := r.next(); {
	case c == '{':
		return r.object(func([]byte) bool { return r.skip(depth + 1) })
	case c == '[':
		return r.array(func() bool { return r.skip(depth + 1) })
	case c == '"':
		_, ok := r.str()
		return ok
	case c == 't':
		return r.lit("true")
	case c == 'f':
		return r.lit("false")
	case c == 'n':
		return r.lit("null")
	default:
		_, ok := r.number()
		return ok
	}
}

// number reads a number, checked against JSON's grammar, and returns it.
func (r *listReader) number() ([]byte, bool) {
	r.ws()
	b, start, i := r.b, r.i, r.i
	digits := func() bool {
		n := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > n
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		digits()
	default:
		return nil, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return nil, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return nil, false
		}
	}
	r.i = i
	return b[start:i], true
}

// str reads a string and returns its value, unquoted as encoding/json
// does: escapes decoded, an invalid UTF-8 byte or a lone surrogate
// replaced with U+FFFD.
func (r *listReader) str() (string, bool) {
	if r.next() != '"' {
		return "", false
	}
	b := r.b
	start := r.i + 1
	i := start
	plain := true
	for {
		if i >= len(b) {
			return "", false
		}
		c := b[i]
		if c == '"' {
			break
		}
		switch {
		case c < 0x20:
			return "", false
		case c == '\\':
			plain = false
			i++
			if i >= len(b) {
				return "", false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(b) {
					return "", false
				}
				for _, h := range b[i+1 : i+5] {
					if !isHex(h) {
						return "", false
					}
				}
				i += 4
			default:
				return "", false
			}
		case c >= 0x80:
			plain = false
		}
		i++
	}
	r.i = i + 1
	raw := b[start:i]
	if plain {
		return string(raw), true
	}
	return unquote(raw), true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// unquote decodes the inside of a string str has checked.
func unquote(s []byte) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			i++
			switch s[i] {
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				rr := hex4(s[i+1:])
				i += 4
				if utf16.IsSurrogate(rr) {
					// Half of a pair: the other half must follow at once.
					if i+7 <= len(s) && s[i+1] == '\\' && s[i+2] == 'u' && isHex4(s[i+3:i+7]) {
						if dec := utf16.DecodeRune(rr, hex4(s[i+3:])); dec != utf8.RuneError {
							i += 6
							out = utf8.AppendRune(out, dec)
							break
						}
					}
					rr = utf8.RuneError
				}
				out = utf8.AppendRune(out, rr)
			default: // '"', '\\', '/'
				out = append(out, s[i])
			}
			i++
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			rr, size := utf8.DecodeRune(s[i:])
			i += size
			out = utf8.AppendRune(out, rr)
		}
	}
	return string(out)
}

func isHex4(b []byte) bool {
	return len(b) >= 4 && isHex(b[0]) && isHex(b[1]) && isHex(b[2]) && isHex(b[3])
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c <= '9':
			c -= '0'
		case c <= 'F':
			c -= 'A' - 10
		default:
			c -= 'a' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// readPtr reads null into *p as nil, and any other value with val into a
// new element of slab that *p then points to.
func readPtr[T any](r *listReader, p **T, slab *[]T, val func(*listReader, *T) bool) bool {
	if r.null() {
		*p = nil
		return true
	}
	v := slot(slab, r.slab)
	if !val(r, v) {
		return false
	}
	*p = v
	return true
}

func (r *listReader) strPtr(p **string) bool { return readPtr(r, p, &r.strs, (*listReader).strVal) }
func (r *listReader) boolPtr(p **bool) bool  { return readPtr(r, p, &r.bools, (*listReader).boolVal) }
func (r *listReader) intPtr(p **int) bool    { return readPtr(r, p, &r.ints, (*listReader).intVal) }
func (r *listReader) floatPtr(p **float64) bool {
	return readPtr(r, p, &r.floats, (*listReader).floatVal)
}
func (r *listReader) timePtr(p **Time) bool { return readPtr(r, p, &r.times, (*listReader).timeVal) }

// strVal reads a string into *p. Like the other value readers but timeVal,
// it leaves *p as it was for null, as encoding/json does.
func (r *listReader) strVal(p *string) bool {
	if r.null() {
		return true
	}
	s, ok := r.str()
	if ok {
		*p = s
	}
	return ok
}

func (r *listReader) boolVal(p *bool) bool {
	switch {
	case r.null():
		return true
	case r.lit("true"):
		*p = true
	case r.lit("false"):
		*p = false
	default:
		return false
	}
	return true
}

func (r *listReader) intVal(p *int) bool {
	if r.null() {
		return true
	}
	n, ok := r.number()
	if !ok {
		return false
	}
	v, err := strconv.ParseInt(string(n), 10, 0)
	if err != nil {
		return false // a fraction, an exponent or too large: a type error
	}
	*p = int(v)
	return true
}

func (r *listReader) floatVal(p *float64) bool {
	if r.null() {
		return true
	}
	n, ok := r.number()
	if !ok {
		return false
	}
	v, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(v, 0) {
		return false
	}
	*p = v
	return true
}

// rawValue reads any value and returns its bytes.
func (r *listReader) rawValue() ([]byte, bool) {
	r.ws()
	start := r.i
	if !r.skip(0) {
		return nil, false
	}
	return r.b[start:r.i], true
}

// timeVal reads a Time through its UnmarshalJSON, as encoding/json does:
// null too, which makes it the zero Time.
func (r *listReader) timeVal(t *Time) bool {
	raw, ok := r.rawValue()
	if !ok || raw[0] == '{' || raw[0] == '[' || raw[0] == 't' || raw[0] == 'f' {
		return false
	}
	return t.UnmarshalJSON(raw) == nil
}

var (
	envelopeKeys   = []string{"success", "data", "error", "pagination"}
	paginationKeys = []string{"hasMore", "nextCursor", "pageSize"}
	emailKeys      = []string{"address", "isPrimary"}
	phoneKeys      = []string{"number", "isPrimary"}
	addressKeys    = []string{"line1", "line2", "city", "state", "postalCode", "country"}
	customerKeys   = []string{
		"id", "customerNumber", "firstName", "lastName", "displayName", "email", "emails",
		"phone", "phones", "profilePhoto", "status", "source", "marketingOptIn", "smsOptIn",
		"dateOfBirth", "address", "tags", "notes", "preferredLocationId", "companyId",
		"loyaltyPoints", "totalOrders", "totalSpent", "averageOrderValue", "lifetimeValue",
		"lastOrderDate", "lastActivityDate", "createdAt", "updatedAt", "parameterValue",
	}
)

// envelope reads the whole body into env.
func (r *listReader) envelope(env *envelope[[]Customer]) bool {
	return r.envelopeOf(&env.Success, &env.Error, &env.Pagination, func() bool { return r.customers(&env.Data) })
}

func (r *listReader) customerEnvelope(env *envelope[*Customer]) bool {
	return r.envelopeOf(&env.Success, &env.Error, &env.Pagination, func() bool { return r.customerPtr(&env.Data) })
}

// envelopeOf reads an envelope's fields into the pointers given, and its
// data with data.
func (r *listReader) envelopeOf(success **bool, errBody *json.RawMessage, pg **pagination, data func() bool) bool {
	if r.null() {
		return r.end()
	}
	ok := r.object(func(key []byte) bool {
		switch string(key) {
		case "success":
			return r.boolPtr(success)
		case "data":
			return data()
		case "error":
			raw, ok := r.rawValue()
			*errBody = append((*errBody)[:0], raw...)
			return ok
		case "pagination":
			return r.pagination(pg)
		}
		return r.unknown(key, envelopeKeys)
	})
	return ok && r.end()
}

// end reports whether nothing but white space is left.
func (r *listReader) end() bool {
	r.ws()
	return r.i == len(r.b)
}

func (r *listReader) pagination(p **pagination) bool {
	if r.null() {
		*p = nil
		return true
	}
	if *p == nil {
		*p = &pagination{}
	}
	pg := *p
	return r.object(func(key []byte) bool {
		switch string(key) {
		case "hasMore":
			return r.boolVal(&pg.HasMore)
		case "nextCursor":
			return r.strPtr(&pg.NextCursor)
		case "pageSize":
			return r.intVal(&pg.PageSize)
		}
		return r.unknown(key, paginationKeys)
	})
}

// readSlice reads an array into *p as encoding/json does: null is a nil
// slice, [] an empty one, and elements are decoded into what the slice's
// array already holds (a key given twice merges, as it does there), or
// into zero values past it. elem reads one element, or null, into e.
func readSlice[T any](r *listReader, p *[]T, elem func(e *T) bool) bool {
	if r.null() {
		*p = nil
		return true
	}
	list := (*p)[:0]
	ok := r.array(func() bool {
		if len(list) < cap(list) {
			list = list[:len(list)+1]
		} else {
			var zero T
			list = append(list, zero)
		}
		return elem(&list[len(list)-1])
	})
	if len(list) == 0 {
		list = []T{}
	}
	*p = list
	return ok
}

func (r *listReader) customers(p *[]Customer) bool {
	return readSlice(r, p, func(c *Customer) bool {
		return r.null() || r.customer(c)
	})
}

// customerPtr reads a customer into *p as encoding/json does: null is nil,
// and an object is read into the customer *p points to, or a new one.
func (r *listReader) customerPtr(p **Customer) bool {
	if r.null() {
		*p = nil
		return true
	}
	if *p == nil {
		*p = new(Customer)
	}
	return r.customer(*p)
}

func (r *listReader) customer(c *Customer) bool {
	return r.object(func(key []byte) bool {
		switch string(key) {
		case "id":
			return r.strVal(&c.ID)
		case "customerNumber":
			return r.strVal(&c.CustomerNumber)
		case "firstName":
			return r.strPtr(&c.FirstName)
		case "lastName":
			return r.strPtr(&c.LastName)
		case "displayName":
			return r.strPtr(&c.DisplayName)
		case "email":
			return r.strPtr(&c.Email)
		case "emails":
			return r.emails(&c.Emails)
		case "phone":
			return r.strPtr(&c.Phone)
		case "phones":
			return r.phones(&c.Phones)
		case "profilePhoto":
			return r.strPtr(&c.ProfilePhoto)
		case "status":
			return r.strVal((*string)(&c.Status))
		case "source":
			return r.strPtr(&c.Source)
		case "marketingOptIn":
			return r.boolPtr(&c.MarketingOptIn)
		case "smsOptIn":
			return r.boolPtr(&c.SMSOptIn)
		case "dateOfBirth":
			return r.strPtr(&c.DateOfBirth)
		case "address":
			return r.address(&c.Address)
		case "tags":
			return r.tags(&c.Tags)
		case "notes":
			return r.strPtr(&c.Notes)
		case "preferredLocationId":
			return r.strPtr(&c.PreferredLocationID)
		case "companyId":
			return r.strPtr(&c.CompanyID)
		case "loyaltyPoints":
			return r.intPtr(&c.LoyaltyPoints)
		case "totalOrders":
			return r.intPtr(&c.TotalOrders)
		case "totalSpent":
			return r.floatPtr(&c.TotalSpent)
		case "averageOrderValue":
			return r.floatPtr(&c.AverageOrderValue)
		case "lifetimeValue":
			return r.floatPtr(&c.LifetimeValue)
		case "lastOrderDate":
			return r.timePtr(&c.LastOrderDate)
		case "lastActivityDate":
			return r.timePtr(&c.LastActivityDate)
		case "createdAt":
			return r.timeVal(&c.CreatedAt)
		case "updatedAt":
			return r.timeVal(&c.UpdatedAt)
		case "parameterValue":
			return r.strPtr(&c.ParameterValue)
		}
		return r.unknown(key, customerKeys)
	})
}

func (r *listReader) emails(p *[]Email) bool {
	return readSlice(r, p, func(e *Email) bool {
		return r.null() || r.object(func(key []byte) bool {
			switch string(key) {
			case "address":
				return r.strVal(&e.Address)
			case "isPrimary":
				return r.boolVal(&e.IsPrimary)
			}
			return r.unknown(key, emailKeys)
		})
	})
}

func (r *listReader) phones(p *[]Phone) bool {
	return readSlice(r, p, func(ph *Phone) bool {
		return r.null() || r.object(func(key []byte) bool {
			switch string(key) {
			case "number":
				return r.strVal(&ph.Number)
			case "isPrimary":
				return r.boolVal(&ph.IsPrimary)
			}
			return r.unknown(key, phoneKeys)
		})
	})
}

func (r *listReader) tags(p *[]string) bool {
	return readSlice(r, p, r.strVal)
}

func (r *listReader) address(p **Address) bool {
	if r.null() {
		*p = nil
		return true
	}
	if *p == nil {
		*p = &Address{}
	}
	a := *p
	return r.object(func(key []byte) bool {
		switch string(key) {
		case "line1":
			return r.strPtr(&a.Line1)
		case "line2":
			return r.strPtr(&a.Line2)
		case "city":
			return r.strPtr(&a.City)
		case "state":
			return r.strPtr(&a.State)
		case "postalCode":
			return r.strPtr(&a.PostalCode)
		case "country":
			return r.strPtr(&a.Country)
		}
		return r.unknown(key, addressKeys)
	})
}
