package loaders

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"customergraph/internal/customer"
)

// filler sets every field encoding/json writes to a random value: pointers
// nil or not, slices empty or not, strings from a small set with unicode
// and JSON's special characters, times in UTC, the local zone and fixed
// zones.
type filler struct {
	r      *rand.Rand
	filled map[string]bool // the fields set to something other than zero, by type.field
}

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

func (f *filler) fill(v reflect.Value, path string) {
	switch {
	case v.Type() == timeType:
		t := time.Unix(f.r.Int64N(4_000_000_000)-1_000_000_000, f.r.Int64N(1e9))
		switch f.r.IntN(4) {
		case 0:
			t = t.UTC()
		case 1:
			t = t.In(time.FixedZone("", 2*3600))
		case 2:
			t = t.In(time.FixedZone("", -(5*3600 + 30*60)))
		}
		v.Set(reflect.ValueOf(t))
		f.filled[path] = true
		return
	case v.Type() == rawType:
		raws := []string{`{"id": "x", "n": [1, 2.5, null], "html": "<a&b>"}`, `null`, `[]`, `"s"`}
		v.SetBytes([]byte(raws[f.r.IntN(len(raws))]))
		f.filled[path] = true
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			sf := t.Field(i)
			if !sf.IsExported() || sf.Tag.Get("json") == "-" {
				continue
			}
			f.fill(v.Field(i), t.Name()+"."+sf.Name)
		}
		return
	case reflect.Pointer:
		if f.r.IntN(4) == 0 {
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		f.fill(v.Elem(), path)
	case reflect.Slice:
		n := f.r.IntN(3)
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			f.fill(s.Index(i), path)
		}
		v.Set(s)
	case reflect.String:
		strs := []string{"", "a", "Yılmaz", `q"uo\te`, "<tag>&amp;", "line\nbreak", "emoji 🙂", strings.Repeat("x", 300)}
		v.SetString(strs[f.r.IntN(len(strs))])
	case reflect.Bool:
		v.SetBool(f.r.IntN(2) == 1)
	case reflect.Int:
		ints := []int64{0, 1, -1, 1538, math.MaxInt32, math.MinInt64, math.MaxInt64}
		v.SetInt(ints[f.r.IntN(len(ints))])
	case reflect.Float64:
		floats := []float64{0, math.Copysign(0, -1), 0.1, 1538.3, -64.125, 1e300, math.SmallestNonzeroFloat64}
		v.SetFloat(floats[f.r.IntN(len(floats))])
	default:
		panic("filler: no case for " + path + " of kind " + v.Kind().String())
	}
	if !v.IsZero() {
		f.filled[path] = true
	}
}

// fieldsOf returns type.field for every field encoding/json writes of the
// customer types.
func fieldsOf(t reflect.Type, seen map[reflect.Type]bool, out map[string]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == timeType || seen[t] {
		return
	}
	seen[t] = true
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() || sf.Tag.Get("json") == "-" {
			continue
		}
		out[t.Name()+"."+sf.Name] = true
		fieldsOf(sf.Type, seen, out)
	}
}

// The cache's layout decodes to exactly what encoding/json would have
// decoded from the record's JSON (the layout before it), for records with
// every field set, unset and in between: a field added to the customer
// types but not to the layout fails here.
func TestCodecCoversEveryField(t *testing.T) {
	f := &filler{r: rand.New(rand.NewPCG(1, 2)), filled: map[string]bool{}}
	fetched := time.UnixMilli(1_700_000_000_000)
	for i := range 2000 {
		var c customer.Customer
		f.fill(reflect.ValueOf(&c).Elem(), "Customer")
		c.ID = "k" + string(rune('a'+i%26)) // a record without an ID is no record
		c.DetailErr, c.StaleAge = ErrNotFound, time.Minute

		doc, err := json.Marshal(&c)
		if err != nil {
			t.Fatal(err)
		}
		var want customer.Customer
		if err := json.Unmarshal(doc, &want); err != nil {
			t.Fatal(err)
		}
		b, err := encodeCustomer(&c, fetched, fetched.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		r, ok := decodeRecord(b)
		if !ok {
			t.Fatalf("record %d does not decode", i)
		}
		if !reflect.DeepEqual(r.c, &want) {
			got, _ := json.Marshal(r.c)
			t.Fatalf("record %d decodes as\n%s\nwant\n%s", i, got, doc)
		}
		if !r.fetchedAt.Equal(fetched) || !r.freshUntil.Equal(fetched.Add(time.Minute)) {
			t.Fatalf("record %d: times %v, %v", i, r.fetchedAt, r.freshUntil)
		}
		// A value damaged anywhere, or any strict prefix of the layout,
		// is unreadable, not a different customer.
		if i < 50 {
			for p := range b {
				damaged := bytes.Clone(b)
				damaged[p] ^= 0x24
				if _, ok := decodeRecord(damaged); ok {
					t.Fatalf("record %d with byte %d of %d damaged decodes", i, p, len(b))
				}
			}
			fields := string(appendCustomer(nil, &c))
			for cut := range len(fields) {
				if _, ok := decodeCustomer(fields[:cut]); ok {
					t.Fatalf("record %d cut at %d of %d decodes", i, cut, len(fields))
				}
			}
		}
	}
	all := map[string]bool{}
	fieldsOf(reflect.TypeFor[customer.Customer](), map[reflect.Type]bool{}, all)
	for name := range all {
		if !f.filled[name] {
			t.Errorf("%s was never set to a non-zero value", name)
		}
	}
}

// A vendor record that is not JSON is not cached, as before.
func TestEncodeRejectsInvalidVendorRecord(t *testing.T) {
	c := &customer.Customer{ID: "k1", VendorRecord: json.RawMessage(`{"a":`)}
	if _, err := encodeCustomer(c, time.Now(), time.Now()); err == nil {
		t.Error("encodeCustomer with a truncated vendor record: no error")
	}
}

// The layout's decoder never panics and never reads past its input, and
// what it accepts encodes to a layout that decodes to the same. (The CRC of
// a cached value keeps most damaged values from reaching it at all.)
func FuzzDecodeCustomer(f *testing.F) {
	for _, c := range []*customer.Customer{
		{ID: "k1", CustomerNumber: "CUST-000001", Status: customer.StatusActive},
		{ID: "k2", Emails: []customer.Email{{Address: "a@b.c", IsPrimary: true}}, Detail: &customer.Detail{Tags: []string{"x"},
			Tickets: []customer.SupportTicket{{ID: "t", Messages: []customer.SupportTicketMessage{{ID: "m"}}}}}},
	} {
		f.Add(appendCustomer(nil, c))
	}
	f.Fuzz(func(t *testing.T, fields []byte) {
		decodeRecord(fields)
		c, ok := decodeCustomer(string(fields))
		if !ok {
			return
		}
		b := appendCustomer(nil, c)
		c2, ok := decodeCustomer(string(b))
		if !ok {
			t.Fatalf("re-encoded layout %q does not decode", b)
		}
		if b2 := appendCustomer(nil, c2); !bytes.Equal(b, b2) {
			t.Fatalf("re-encoded layout %q encodes as %q", b, b2)
		}
	})
}
