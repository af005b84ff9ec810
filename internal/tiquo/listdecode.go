package tiquo

import (
	"encoding/json"

	"customergraph/internal/jsonread"
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
	r := listReader{Reader: jsonread.New(body)}
	if r.envelope(env) {
		return nil
	}
	*env = envelope[[]Customer]{}
	return json.Unmarshal(body, env)
}

// decodeOne is decodeList for the response of a single customer (a GET or
// a PATCH): every cold lookup reads one, on the way to its answer.
func decodeOne(body []byte, env *envelope[*Customer]) error {
	r := listReader{Reader: jsonread.New(body), slab: oneSlab}
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
	jsonread.Reader
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

// readPtr reads null into *p as nil, and any other value with val into a
// new element of slab that *p then points to.
func readPtr[T any](r *listReader, p **T, slab *[]T, val func(*listReader, *T) bool) bool {
	if r.Null() {
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

func (r *listReader) strPtr(p **string) bool { return readPtr(r, p, &r.strs, (*listReader).StrVal) }
func (r *listReader) boolPtr(p **bool) bool  { return readPtr(r, p, &r.bools, (*listReader).BoolVal) }
func (r *listReader) intPtr(p **int) bool    { return readPtr(r, p, &r.ints, (*listReader).IntVal) }
func (r *listReader) floatPtr(p **float64) bool {
	return readPtr(r, p, &r.floats, (*listReader).FloatVal)
}
func (r *listReader) timePtr(p **Time) bool { return readPtr(r, p, &r.times, (*listReader).timeVal) }

// timeVal reads a Time through its UnmarshalJSON, as encoding/json does:
// null too, which makes it the zero Time.
func (r *listReader) timeVal(t *Time) bool {
	raw, ok := r.RawValue()
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
	if r.Null() {
		return r.End()
	}
	ok := r.Object(func(key []byte) bool {
		switch string(key) {
		case "success":
			return r.boolPtr(success)
		case "data":
			return data()
		case "error":
			raw, ok := r.RawValue()
			*errBody = append((*errBody)[:0], raw...)
			return ok
		case "pagination":
			return r.pagination(pg)
		}
		return r.Unknown(key, envelopeKeys)
	})
	return ok && r.End()
}

func (r *listReader) pagination(p **pagination) bool {
	if r.Null() {
		*p = nil
		return true
	}
	if *p == nil {
		*p = &pagination{}
	}
	pg := *p
	return r.Object(func(key []byte) bool {
		switch string(key) {
		case "hasMore":
			return r.BoolVal(&pg.HasMore)
		case "nextCursor":
			return r.strPtr(&pg.NextCursor)
		case "pageSize":
			return r.IntVal(&pg.PageSize)
		}
		return r.Unknown(key, paginationKeys)
	})
}

// readSlice reads an array into *p as encoding/json does: null is a nil
// slice, [] an empty one, and elements are decoded into what the slice's
// array already holds (a key given twice merges, as it does there), or
// into zero values past it. elem reads one element, or null, into e.
func readSlice[T any](r *listReader, p *[]T, elem func(e *T) bool) bool {
	if r.Null() {
		*p = nil
		return true
	}
	list := (*p)[:0]
	ok := r.Array(func() bool {
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
		return r.Null() || r.customer(c)
	})
}

// customerPtr reads a customer into *p as encoding/json does: null is nil,
// and an object is read into the customer *p points to, or a new one.
func (r *listReader) customerPtr(p **Customer) bool {
	if r.Null() {
		*p = nil
		return true
	}
	if *p == nil {
		*p = new(Customer)
	}
	return r.customer(*p)
}

func (r *listReader) customer(c *Customer) bool {
	return r.Object(func(key []byte) bool {
		switch string(key) {
		case "id":
			return r.StrVal(&c.ID)
		case "customerNumber":
			return r.StrVal(&c.CustomerNumber)
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
			return r.StrVal((*string)(&c.Status))
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
		return r.Unknown(key, customerKeys)
	})
}

func (r *listReader) emails(p *[]Email) bool {
	return readSlice(r, p, func(e *Email) bool {
		return r.Null() || r.Object(func(key []byte) bool {
			switch string(key) {
			case "address":
				return r.StrVal(&e.Address)
			case "isPrimary":
				return r.BoolVal(&e.IsPrimary)
			}
			return r.Unknown(key, emailKeys)
		})
	})
}

func (r *listReader) phones(p *[]Phone) bool {
	return readSlice(r, p, func(ph *Phone) bool {
		return r.Null() || r.Object(func(key []byte) bool {
			switch string(key) {
			case "number":
				return r.StrVal(&ph.Number)
			case "isPrimary":
				return r.BoolVal(&ph.IsPrimary)
			}
			return r.Unknown(key, phoneKeys)
		})
	})
}

func (r *listReader) tags(p *[]string) bool {
	return readSlice(r, p, r.StrVal)
}

func (r *listReader) address(p **Address) bool {
	if r.Null() {
		*p = nil
		return true
	}
	if *p == nil {
		*p = &Address{}
	}
	a := *p
	return r.Object(func(key []byte) bool {
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
		return r.Unknown(key, addressKeys)
	})
}
