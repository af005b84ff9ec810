package xtrakitsim

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"customergraph/internal/sim/simkit"
)

// The business every simulated customer and group belongs to: the docs'.
const (
	businessUserID = "f93c5a51-ffa4-4aef-a45b-4cdec1c8cc10"
	businessCode   = "15848484"
)

// The docs' example customer, customer 1.
const (
	exampleName  = "Jane Doe"
	exampleEmail = "jane.doe@example.com"
	examplePhone = "+233244567890"
)

// dataStream makes the data set differ from the other vendors' for the
// same seed.
const dataStream = 0x78747261 // "xtra"

// The range of generated created_at values: 2023-01-01 to the end of 2025.
var (
	dataStart = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	dataEnd   = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(-time.Second)
)

// groupSeed is one of the business's customer groups.
type groupSeed struct {
	name, description string
	created, updated  string // wall clock in the server's zone
}

// groupSeeds are the business's customer groups, IDs 1 to 6. Group 1 is
// the docs' example.
var groupSeeds = []groupSeed{
	{"Premium Customers", "Customers who have spent over $1000 and have been with the business for over a year.", "2024-08-04 08:23:45", "2024-08-04 02:00:43"},
	{"Wholesale Buyers", "Shops and resellers buying in bulk at trade prices.", "2023-02-11 10:15:00", "2024-01-20 16:42:10"},
	{"Newsletter Subscribers", "Customers who asked for the monthly newsletter.", "2023-03-01 09:00:00", "2023-03-01 09:00:00"},
	{"Loyalty Members", "Members of the points programme.", "2023-05-17 14:30:12", "2025-02-03 11:05:59"},
	{"Corporate Accounts", "Companies invoiced monthly.", "2023-09-09 08:00:00", "2023-11-30 17:45:00"},
	{"Walk-in", "", "2024-01-05 12:00:00", "2024-01-05 12:00:00"},
}

type place struct{ city, state, zip, digital string }

type country struct {
	name              string
	first, last       []string
	places            []place
	streets, address2 []string
}

var countries = []country{
	{
		name:  "Ghana",
		first: []string{"Kwame", "Ama", "Kofi", "Abena", "Yaw", "Akosua", "Kwabena", "Efua", "Kojo", "Adwoa", "Kwesi", "Esi", "Kwaku", "Afua", "Nana", "Yaa", "Fiifi", "Akua", "Selorm", "Edem", "Dzifa", "Elikem"},
		last:  []string{"Mensah", "Owusu", "Boateng", "Asante", "Osei", "Appiah", "Agyeman", "Darko", "Adjei", "Ofori", "Amoah", "Quaye", "Addo", "Tetteh", "Annan", "Acheampong", "Gyamfi", "Nkrumah", "Ansah", "Kuffour"},
		places: []place{
			{"Accra", "Greater Accra", "00233", "GA"}, {"Kumasi", "Ashanti", "", "AK"}, {"Tamale", "Northern", "", "NT"},
			{"Cape Coast", "Central", "", "CC"}, {"Takoradi", "Western", "", "WS"}, {"Tema", "Greater Accra", "", "GT"}, {"Ho", "Volta", "", "VH"},
		},
		streets:  []string{"Oxford Street", "Liberation Road", "Ring Road Central", "Kojo Thompson Road", "Spintex Road", "Harper Road", "Independence Avenue"},
		address2: []string{"Off Palace Mall", "Near Total Filling Station", "House No. 12", "Opposite the Methodist Church", "Apt 4B, Downtown Complex"},
	},
	{
		name:  "United Kingdom",
		first: []string{"Oliver", "Amelia", "Harry", "Isla", "George", "Ava", "Jack", "Emily", "Charlie", "Sophie", "Thomas", "Grace"},
		last:  []string{"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Roberts", "Walker", "O'Connor", "Hughes", "Patel"},
		places: []place{
			{"London", "England", "SW1A 1AA", ""}, {"Manchester", "England", "M1 1AE", ""}, {"Edinburgh", "Scotland", "EH1 1YZ", ""},
			{"Cardiff", "Wales", "CF10 1EP", ""}, {"Belfast", "Northern Ireland", "BT1 5GS", ""},
		},
		streets:  []string{"High Street", "Station Road", "Church Lane", "Victoria Road", "Mill Lane"},
		address2: []string{"Flat 3", "Flat 12", "Unit 7", "The Old Bakery"},
	},
	{
		name:  "United States",
		first: []string{"James", "Olivia", "Michael", "Emma", "William", "Mia", "David", "Harper", "Ethan", "Zoe", "Daniel", "Chloe"},
		last:  []string{"Johnson", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Anderson", "Jackson", "Lee", "Harris", "Clark", "Lewis"},
		places: []place{
			{"Austin", "Texas", "73301", ""}, {"New York", "New York", "10001", ""}, {"Chicago", "Illinois", "60601", ""},
			{"San Francisco", "California", "94103", ""}, {"Atlanta", "Georgia", "30303", ""},
		},
		streets:  []string{"Main Street", "Oak Avenue", "Maple Drive", "Elm Street", "Sunset Boulevard"},
		address2: []string{"Apt 2C", "Suite 300", "Unit 14", "Floor 5"},
	},
}

var (
	emailDomains = []string{"example.com", "example.org", "mail.example.com", "example.com.gh", "example.co.uk"}
	creators     = []string{"Edward", "Abena", "Kojo", "Sarah", "Edward", "Ama"}
	businessKind = []string{"Trading Ltd", "Enterprise", "Fresh Foods", "Ventures", "& Sons"}
)

// groupsOf builds the groups; their times are wall clock in any zone.
func groupsOf() []Group {
	out := make([]Group, len(groupSeeds))
	for i, g := range groupSeeds {
		out[i] = Group{
			ID: i + 1, UserID: businessUserID, BusinessCode: businessCode, GroupName: g.name,
			CreatedAt: g.created, UpdatedAt: g.updated,
		}
		if g.description != "" {
			out[i].GroupDescription = simkit.Ptr(g.description)
		}
	}
	return out
}

// generate returns the n records of the data set in ID order.
func generate(n int, seed int64, loc *time.Location) []*record {
	store := simkit.Generate(n, seed, dataStream, func(seq int, r *rand.Rand) record {
		if seq == 1 {
			return exampleRecord()
		}
		return newRecord(seq, n, r, loc)
	})
	recs := make([]*record, n)
	for i := range store {
		recs[i] = &store[i]
	}
	return recs
}

// exampleRecord is the docs' Jane Doe, in groups 1 and 3; its times are
// the docs' wall clock in any zone (updated_at earlier than created_at,
// as printed).
func exampleRecord() record {
	return record{
		Customer: Customer{
			ID:               1,
			UserID:           businessUserID,
			BusinessCode:     businessCode,
			CustomerGroupID:  simkit.Ptr(1),
			CustomerName:     exampleName,
			CustomerEmail:    simkit.Ptr(exampleEmail),
			CustomerPhone:    examplePhone,
			CustomerWhatsapp: simkit.Ptr(examplePhone),
			CustomerCountry:  "Ghana",
			CustomerCity:     "Accra",
			CustomerState:    "Greater Accra",
			CustomerZip:      simkit.Ptr("00233"),
			Address1:         "123 Main Street",
			Address2:         simkit.Ptr("Apt 4B, Downtown Complex"),
			CustomerProfile:  simkit.Ptr("https://example.com/profiles/customer123.jpg"),
			CreatedBy:        "Edward",
			CreatedAt:        "2024-08-04 08:23:45",
			UpdatedAt:        "2024-08-04 02:00:43",
		},
		others: []int{3},
	}
}

func newRecord(seq, n int, r *rand.Rand, loc *time.Location) record {
	ci := 0 // Ghana
	switch v := r.IntN(100); {
	case v < 25:
		ci = 1
	case v < 50:
		ci = 2
	}
	co := &countries[ci]
	first, last := simkit.Pick(r, co.first), simkit.Pick(r, co.last)
	p := simkit.Pick(r, co.places)
	c := Customer{
		ID:              seq,
		UserID:          businessUserID,
		BusinessCode:    businessCode,
		CustomerName:    first + " " + last,
		CustomerCountry: co.name,
		CustomerCity:    p.city,
		CustomerState:   p.state,
		Address1:        strconv.Itoa(1+r.IntN(250)) + " " + simkit.Pick(r, co.streets),
		CreatedBy:       simkit.Pick(r, creators),
	}
	if simkit.Chance(r, 5) {
		c.CustomerName = last + " " + simkit.Pick(r, businessKind)
	}
	if !simkit.Chance(r, 15) {
		local := strings.ToLower(strings.ReplaceAll(first+"."+last, "'", "")) + strconv.Itoa(seq)
		if simkit.Chance(r, 10) { // as typed
			local = strings.ReplaceAll(first+"."+last, "'", "") + strconv.Itoa(seq)
		}
		c.CustomerEmail = simkit.Ptr(local + "@" + simkit.Pick(r, emailDomains))
	}
	number := primaryPhone(seq, ci, r)
	c.CustomerPhone = number
	if simkit.Chance(r, 25) {
		c.CustomerPhone = spaced(number, ci)
	}
	switch v := r.IntN(100); {
	case v < 65:
		c.CustomerWhatsapp = simkit.Ptr(number)
	case v < 75:
		c.CustomerWhatsapp = simkit.Ptr(spaced(number, ci))
	case v < 82:
		c.CustomerWhatsapp = simkit.Ptr(whatsappPhone(seq, ci))
	}
	switch {
	case p.zip != "" && (ci != 0 || simkit.Chance(r, 50)):
		c.CustomerZip = simkit.Ptr(p.zip)
	case p.digital != "" && simkit.Chance(r, 50): // GhanaPost digital address
		c.CustomerZip = simkit.Ptr(p.digital + "-" + simkit.Pad(int64(r.IntN(1000)), 3) + "-" + simkit.Pad(int64(r.IntN(10000)), 4))
	}
	if simkit.Chance(r, 45) {
		c.Address2 = simkit.Ptr(simkit.Pick(r, co.address2))
	}
	if simkit.Chance(r, 40) {
		c.CustomerProfile = simkit.Ptr("https://example.com/profiles/customer" + strconv.Itoa(seq) + ".jpg")
	}

	rec := record{}
	if !simkit.Chance(r, 30) {
		c.CustomerGroupID = simkit.Ptr(1 + r.IntN(len(groupSeeds)))
	}
	if simkit.Chance(r, 25) {
		for g := 1; g <= len(groupSeeds); g++ {
			if (c.CustomerGroupID == nil || *c.CustomerGroupID != g) && simkit.Chance(r, 30) {
				rec.others = append(rec.others, g)
			}
		}
	}

	// created_at grows with the ID across 2023–2025.
	span := dataEnd.Unix() - dataStart.Unix()
	slot := span / int64(max(n-1, 1))
	created := min(dataStart.Unix()+int64(seq-2)*slot+r.Int64N(max(slot, 1)), dataEnd.Unix())
	updated := created
	if !simkit.Chance(r, 30) {
		updated += r.Int64N(dataEnd.Unix() - created + 1)
	}
	c.CreatedAt = time.Unix(created, 0).In(loc).Format(TimestampLayout)
	c.UpdatedAt = time.Unix(updated, 0).In(loc).Format(TimestampLayout)
	rec.Customer = c
	return rec
}

// permute is a bijection of i below mod when mult is coprime to mod.
func permute(i, offset, mult, mod int64) int64 { return (offset + i*mult) % mod }

// primaryPhone returns, in E.164, a number no other customer has: the
// country's prefix and a permutation of the ID. Ghana's permutation starts
// at the example's 4567890, which customer 1 has, so no generated number
// equals it.
func primaryPhone(seq, country int, r *rand.Rand) string {
	i := int64(seq - 1)
	switch country {
	case 1: // UK mobile: +44 7xxx xxxxxx
		return "+447" + simkit.Pick(r, []string{"400", "700", "800", "900"}) + simkit.Pad(permute(i, 123456, 654323, 1_000_000), 6)
	case 2: // US: +1 NPA NXX XXXX
		return "+1" + simkit.Pick(r, []string{"212", "415", "617", "312", "404"}) + simkit.Pad(permute(i, 5550100, 7654321, 10_000_000), 7)
	}
	return "+233" + simkit.Pick(r, []string{"24", "54", "55", "20", "26", "27", "57", "59"}) + simkit.Pad(permute(i, 4567890, 7654321, 10_000_000), 7)
}

// whatsappPhone returns a second number, on prefixes no primary uses.
func whatsappPhone(seq, country int) string {
	i := int64(seq - 1)
	switch country {
	case 1:
		return "+447950" + simkit.Pad(permute(i, 0, 123457, 1_000_000), 6)
	case 2:
		return "+1646" + simkit.Pad(permute(i, 0, 3141593, 10_000_000), 7)
	}
	return "+23350" + simkit.Pad(permute(i, 0, 3141593, 10_000_000), 7)
}

// spaced writes an E.164 number with spaces, as people type it:
// "+233 24 456 7890", "+44 7700 900123", "+1 212 555 0142".
func spaced(e164 string, country int) string {
	switch country {
	case 1:
		return e164[:3] + " " + e164[3:7] + " " + e164[7:]
	case 2:
		return e164[:2] + " " + e164[2:5] + " " + e164[5:8] + " " + e164[8:]
	}
	return e164[:4] + " " + e164[4:6] + " " + e164[6:9] + " " + e164[9:]
}
