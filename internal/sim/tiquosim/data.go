package tiquosim

import (
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"customergraph/internal/sim/simkit"
)

// The docs' example customer, CUST-000001.
const (
	exampleID    = "k1234567890abcdef"
	exampleEmail = "john@example.com"
	examplePhone = "+15554567890"
)

// exampleMillis is 2022-01-01T00:00:00Z, every timestamp of the example.
const exampleMillis = 1640995200000

// The range of generated createdAt values: 2021-01-01 to the end of 2025.
var (
	dataStart = time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	dataEnd   = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(-time.Millisecond)
)

// name is a first or last name with the ASCII slug used in email addresses.
type name struct{ text, slug string }

func names(list ...string) []name {
	out := make([]name, len(list))
	for i, s := range list {
		out[i] = name{s, slug(s)}
	}
	return out
}

var asciiFold = map[rune]string{
	'á': "a", 'à': "a", 'ä': "a", 'å': "a", 'â': "a", 'ã': "a",
	'é': "e", 'è': "e", 'ë': "e", 'ê': "e", 'ễ': "e",
	'í': "i", 'ï': "i", 'î': "i", 'ı': "i",
	'ó': "o", 'ö': "o", 'ø': "o", 'ô': "o",
	'ú': "u", 'ü': "u", 'û': "u",
	'ç': "c", 'ñ': "n", 'ß': "ss", 'š': "s", 'ý': "y",
}

// slug lower-cases s, folds common accented letters to ASCII and drops
// everything but letters and digits: "O'Brien" → "obrien", "Zoë" → "zoe".
func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
		case asciiFold[r] != "":
			b.WriteString(asciiFold[r])
		}
	}
	return b.String()
}

var firstNames = names(
	"James", "Mary", "Olivia", "Liam", "Emma", "Noah", "Ava", "Oliver",
	"Sophia", "Elijah", "Isabella", "Lucas", "Mia", "Mateo", "Amelia", "Ethan",
	"Harper", "Aiden", "Evelyn", "Daniel", "Abigail", "Henry", "Emily", "Jackson",
	"Ella", "Sebastian", "Scarlett", "Jack", "Grace", "Leo", "Chloé", "Samuel",
	"Zoë", "José", "Björn", "Søren", "François", "Anaïs", "Mohammed", "Aisha",
	"Wei", "Mei", "Hiroshi", "Yuki", "Priya", "Arjun", "Fatima", "Omar",
	"Ingrid", "Siobhán", "Kwame", "Renée",
)

var lastNames = names(
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
	"Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas",
	"Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White",
	"Harris", "Sanchez", "Clark", "Lewis", "Robinson", "Walker", "Young", "King",
	"Wright", "Scott", "Müller", "Schmidt", "Schäfer", "Nguyễn", "O'Brien", "Dubois",
	"Rossi", "Kowalski", "Novák", "Østergaard", "Yılmaz", "Papadopoulos", "Okafor", "Tanaka",
	"Kim", "Patel", "Singh", "Fernández",
)

var (
	emailDomains     = []string{"example.com", "example.org", "example.net", "mail.example.com", "shop.example.co.uk"}
	secondaryDomains = []string{"work.example.com", "alt.example.net", "inbox.example.org"}
	tagPool          = []string{"VIP", "newsletter", "wholesale", "longtime", "at-risk", "birthday-club", "staff"}
	notePool         = []string{
		"Prefers email communication",
		"Allergic to nuts",
		"Call before delivery",
		"Interested in the membership programme",
		"Asked about gift cards",
	}
	locationIDs = []string{"loc_downtown", "loc_airport", "loc_harbour", "loc_mall", "loc_station"}
	streets     = map[string][]string{
		"US": {"Main Street", "Oak Avenue", "Elm Road", "Maple Drive", "Sunset Boulevard"},
		"GB": {"High Street", "Park Lane", "Mill Road", "Church Street"},
		"DE": {"Hauptstraße", "Bahnhofstraße", "Gartenweg", "Schillerstraße"},
	}
	campaigns = []string{"spring-sale-2024", "black-friday-2023", "newsletter-jan", "summer-launch", "referral-program"}
	mediums   = []string{"email", "social", "cpc", "organic", "referral"}
	browsers  = []string{"Chrome", "Safari", "Firefox", "Edge"}
	devices   = []string{"Desktop", "Mobile", "Tablet"}
	locations = []string{"London", "New York", "Berlin", "Austin", "Paris"}
	languages = []string{"en", "de", "fr", "es", "it"}
	diets     = []string{"Vegetarian", "Vegan", "Gluten-Free", "Halal", "Kosher"}
)

type place struct{ city, state, postal, country string }

var places = map[string][]place{
	"US": {{"Springfield", "IL", "62701", "US"}, {"Austin", "TX", "73301", "US"}, {"Portland", "OR", "97201", "US"}, {"Denver", "CO", "80202", "US"}, {"Boston", "MA", "02108", "US"}},
	"GB": {{"London", "England", "SW1A 1AA", "GB"}, {"Manchester", "England", "M1 1AE", "GB"}, {"Edinburgh", "Scotland", "EH1 1YZ", "GB"}},
	"DE": {{"Berlin", "Berlin", "10115", "DE"}, {"München", "Bayern", "80331", "DE"}, {"Hamburg", "Hamburg", "20095", "DE"}},
}

// generator builds customers of the deterministic data set. Each customer
// draws from its own PCG stream seeded with (seed, sequence), so customers
// can be generated in any order, in parallel by several generators; phone
// numbers and document IDs are unique by construction.
type generator struct {
	n      int
	seed   uint64
	docKey uint64
	pcg    *rand.PCG
	r      *rand.Rand
	values map[string][]string // interned one-value parameter lists
}

func newGenerator(n int, seed int64) *generator {
	pcg := rand.NewPCG(0, 0)
	return &generator{
		n:      n,
		seed:   uint64(seed),
		docKey: simkit.Mix64(uint64(seed) ^ 0x5851f42d4c957f2d),
		pcg:    pcg,
		r:      rand.New(pcg),
		values: make(map[string][]string),
	}
}

// generate returns n records in creation order.
func generate(n int, seed int64) []*record {
	store := make([]record, n)
	recs := make([]*record, n)
	workers := min(runtime.GOMAXPROCS(0), max(n/5000, 1))
	chunk := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Go(func() {
			g := newGenerator(n, seed)
			for i := lo; i < hi; i++ {
				seq := i + 1
				if seq == 1 {
					store[i].Customer = exampleCustomer()
				} else {
					g.pcg.Seed(g.seed, uint64(seq))
					store[i].Customer = g.customer(seq)
				}
				store[i].reindex()
				recs[i] = &store[i]
			}
		})
	}
	wg.Wait()
	return recs
}

// exampleCustomer is the customer of the docs' examples.
func exampleCustomer() Customer {
	t := time.UnixMilli(exampleMillis).UTC()
	return Customer{
		Seq:               1,
		ID:                exampleID,
		CustomerNumber:    customerNumber(1),
		FirstName:         ptr("John"),
		LastName:          ptr("Doe"),
		DisplayName:       ptr("John Doe"),
		Emails:            []Email{{exampleEmail, true}},
		Phones:            []Phone{{examplePhone, true}},
		ProfilePhoto:      ptr("https://example.com/photo.jpg"),
		Status:            StatusActive,
		Source:            ptr("website"),
		MarketingOptIn:    true,
		SMSOptIn:          false,
		TotalOrders:       15,
		TotalSpent:        2450.50,
		AverageOrderValue: ptr(163.37),
		LifetimeValue:     2450.50,
		LastOrderDate:     ptr(t),
		LastActivityDate:  ptr(t),
		CreatedAt:         t,
		UpdatedAt:         t,
		Tags:              []string{},
		LoyaltyPoints:     2450,
		Parameters: []Parameter{
			{paramMarketingOptIn, "Marketing Opt-In", []string{"true"}},
			{paramSMSOptIn, "SMS Opt-In", []string{"false"}},
			{paramSource, "Source", []string{"website"}},
			{paramLanguage, "Language", []string{"en"}},
			{LoyaltyTierParameterID, "Loyalty Tier", []string{"Gold"}},
		},
	}
}

func customerNumber(seq int) string {
	s := strconv.Itoa(seq)
	if len(s) < 6 {
		s = strings.Repeat("0", 6-len(s)) + s
	}
	return "CUST-" + s
}

func (g *generator) chance(percent int) bool { return g.r.IntN(100) < percent }

// pickSome returns 1 to most distinct members of list, in list order.
func pickSome(r *rand.Rand, list []string, most int) []string {
	k := 1 + r.IntN(most)
	var mask uint
	for n := 0; n < k; {
		bit := uint(1) << r.IntN(len(list))
		if mask&bit == 0 {
			mask |= bit
			n++
		}
	}
	out := make([]string, 0, k)
	for i, s := range list {
		if mask&(1<<i) != 0 {
			out = append(out, s)
		}
	}
	return out
}

func (g *generator) customer(seq int) Customer {
	r := g.r
	first, last := simkit.Pick(r, firstNames), simkit.Pick(r, lastNames)
	c := Customer{
		Seq:            seq,
		ID:             g.documentID(seq),
		CustomerNumber: customerNumber(seq),
		FirstName:      ptr(first.text),
		Tags:           []string{},
	}
	if !g.chance(3) {
		c.LastName = ptr(last.text)
	}
	c.DisplayName = displayName(c.FirstName, c.LastName)

	country := "US"
	switch v := r.IntN(100); {
	case v < 5:
		country = "GB"
	case v < 10:
		country = "DE"
	}

	if !g.chance(5) {
		local := first.slug + "." + last.slug + strconv.Itoa(seq)
		c.Emails = append(c.Emails, Email{local + "@" + simkit.Pick(r, emailDomains), true})
		if g.chance(25) {
			c.Emails = append(c.Emails, Email{first.slug + strconv.Itoa(seq) + "@" + simkit.Pick(r, secondaryDomains), false})
		}
	}
	if !g.chance(5) {
		c.Phones = append(c.Phones, Phone{primaryPhone(seq, country), true})
		if g.chance(20) {
			c.Phones = append(c.Phones, Phone{secondaryPhone(seq), false})
		}
	}

	switch v := r.IntN(100); {
	case seq == 2:
		c.Status = StatusInactive // every status is present in any set of 4 or more
	case seq == 3:
		c.Status = StatusArchived
	case seq == 4:
		c.Status = StatusBanned
	case v < 70:
		c.Status = StatusActive
	case v < 85:
		c.Status = StatusInactive
	case v < 93:
		c.Status = StatusArchived
	default:
		c.Status = StatusBanned
	}
	switch v := r.IntN(100); {
	case v < 35:
		c.Source = ptr("website")
	case v < 50:
		c.Source = ptr("manual")
	case v < 60:
		c.Source = ptr("admin")
	case v < 75:
		c.Source = ptr("pos")
	case v < 85:
		c.Source = ptr("import")
	case v < 95:
		c.Source = ptr("referral")
	}
	if g.chance(30) {
		c.ProfilePhoto = ptr("https://images.example.com/customers/" + c.ID + ".jpg")
	}
	c.MarketingOptIn = g.chance(55)
	c.SMSOptIn = g.chance(30)

	if !g.chance(20) {
		c.TotalOrders = 1 + r.IntN(40)
		c.TotalSpent = simkit.RoundCents(float64(c.TotalOrders) * (15 + r.Float64()*285))
		c.AverageOrderValue = ptr(simkit.RoundCents(c.TotalSpent / float64(c.TotalOrders)))
	}
	c.LifetimeValue = c.TotalSpent
	c.LoyaltyPoints = int(c.TotalSpent)

	if g.chance(60) {
		dob := time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(57*365))
		c.DateOfBirth = ptr(dob.Format(time.DateOnly))
	}
	if g.chance(50) {
		p := simkit.Pick(r, places[country])
		a := &Address{
			Line1:      ptr(strconv.Itoa(1+r.IntN(999)) + " " + simkit.Pick(r, streets[country])),
			City:       ptr(p.city),
			State:      ptr(p.state),
			PostalCode: ptr(p.postal),
			Country:    ptr(p.country),
		}
		if g.chance(20) {
			a.Line2 = ptr("Apt " + strconv.Itoa(1+r.IntN(40)))
		}
		c.Address = a
	}
	if g.chance(40) {
		c.Tags = pickSome(r, tagPool, 3)
	}
	if g.chance(15) {
		c.Notes = ptr(simkit.Pick(r, notePool))
	}
	if g.chance(30) {
		c.PreferredLocationID = ptr(simkit.Pick(r, locationIDs))
	}
	if g.chance(10) {
		c.CompanyID = ptr("comp_" + strconv.FormatUint(uint64(r.Uint32()), 16))
	}
	c.Parameters = g.parameters(&c)
	g.times(&c) // last: the only draws that depend on the set size
	return c
}

// times sets the timestamps. createdAt grows with the sequence across
// 2021–2025; updatedAt ≥ lastActivityDate ≥ lastOrderDate ≥ createdAt.
func (g *generator) times(c *Customer) {
	r := g.r
	span := dataEnd.UnixMilli() - dataStart.UnixMilli()
	slot := span / int64(max(g.n-1, 1))
	created := dataStart.UnixMilli() + int64(c.Seq-2)*slot + r.Int64N(max(slot, 1))
	created = min(created, dataEnd.UnixMilli())
	updated := created
	if !g.chance(30) {
		updated += r.Int64N(dataEnd.UnixMilli() - created + 1)
	}
	c.CreatedAt, c.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	switch {
	case c.TotalOrders > 0:
		lastOrder := created + r.Int64N(updated-created+1)
		c.LastOrderDate = ptr(time.UnixMilli(lastOrder).UTC())
		c.LastActivityDate = ptr(time.UnixMilli(lastOrder + r.Int64N(updated-lastOrder+1)).UTC())
	case g.chance(90):
		c.LastActivityDate = ptr(time.UnixMilli(created + r.Int64N(updated-created+1)).UTC())
	}
}

func (g *generator) parameters(c *Customer) []Parameter {
	r := g.r
	ps := make([]Parameter, 0, 8)
	add := func(id string, values ...string) {
		ps = append(ps, Parameter{ID: id, Name: parameterSchema[schemaIndex(id)].name, Values: values})
	}
	// one adds a parameter with a value from a small pool, sharing the
	// value list between customers (records are copy-on-write).
	one := func(id, value string) {
		v, ok := g.values[value]
		if !ok {
			v = []string{value}
			g.values[value] = v
		}
		add(id, v...)
	}
	one(paramMarketingOptIn, boolString(c.MarketingOptIn))
	one(paramSMSOptIn, boolString(c.SMSOptIn))
	if c.DateOfBirth != nil {
		add(paramDateOfBirth, *c.DateOfBirth)
	}
	if c.Source != nil {
		one(paramSource, *c.Source)
	}
	if g.chance(30) {
		one(paramCampaign, simkit.Pick(r, campaigns))
	}
	if g.chance(40) {
		one(paramMedium, simkit.Pick(r, mediums))
	}
	if g.chance(50) {
		add(paramBrowser, pickSome(r, browsers, 2)...)
	}
	if g.chance(50) {
		add(paramDevice, pickSome(r, devices, 2)...)
	}
	if g.chance(40) {
		one(paramLocation, simkit.Pick(r, locations))
	}
	if g.chance(70) {
		one(paramLanguage, simkit.Pick(r, languages))
	}
	if g.chance(85) {
		tier := "Bronze"
		switch {
		case c.TotalSpent >= 3000:
			tier = "Platinum"
		case c.TotalSpent >= 1000:
			tier = "Gold"
		case c.TotalSpent >= 200:
			tier = "Silver"
		}
		one(LoyaltyTierParameterID, tier)
	}
	if g.chance(20) {
		add(DietaryPreferencesParameterID, pickSome(r, diets, 2)...)
	}
	return ps
}

// Bijections of a counter into a fixed number of digits: multiplying by a
// number coprime to 10 permutes the residues, so distinct counters below
// the modulus give distinct digits.
func permute(i, offset, mult, mod int64) int64 { return (offset + i*mult) % mod }

// primaryPhone returns a number no other customer has as its primary: a
// permutation of the sequence after a country prefix. US numbers are +1555
// and seven digits whose first value is the example's 4567890, so no
// generated number equals it. UK numbers have six digits, which is why the
// data set has at most MaxCustomers customers.
func primaryPhone(seq int, country string) string {
	i := int64(seq - 1)
	switch country {
	case "GB":
		return "+447700" + simkit.Pad(permute(i, 900000, 123457, 1_000_000), 6)
	case "DE":
		return "+49151" + simkit.Pad(permute(i, 0, 12345679, 100_000_000), 8)
	default:
		return "+1555" + simkit.Pad(permute(i, 4567890, 7654321, 10_000_000), 7)
	}
}

// secondaryPhone returns a unique +1202 number, a prefix no primary uses.
func secondaryPhone(seq int) string {
	return "+1202" + simkit.Pad(permute(int64(seq-1), 5550000, 3141593, 10_000_000), 7)
}

// documentID returns "k" and 16 base32hex characters: 64 bits that are a
// bijection of the sequence (so IDs are unique) and 16 random bits.
func (g *generator) documentID(seq int) string {
	hi, lo := simkit.Mix64(uint64(seq)^g.docKey), uint64(g.r.Uint32()&0xffff)
	id := encodeID(hi, lo)
	if id == exampleID {
		id = encodeID(hi, lo^1)
	}
	return id
}

func encodeID(hi, lo uint64) string {
	const alphabet = "0123456789abcdefghijklmnopqrstuv"
	var b [17]byte
	b[0] = 'k'
	for i := 16; i >= 1; i-- {
		b[i] = alphabet[lo&31]
		lo = lo>>5 | (hi&31)<<11
		hi >>= 5
	}
	return string(b[:])
}
