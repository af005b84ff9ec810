package komerzasim

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"customergraph/internal/sim/simkit"
)

// The docs' example customer, the first of every data set.
const (
	exampleID    = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
	exampleEmail = "jordan.lee@example.com"
	exampleIP    = "203.0.113.7"
)

// exampleCreated is the docs' "2023-11-07T05:31:56Z".
var exampleCreated = time.Date(2023, 11, 7, 5, 31, 56, 0, time.UTC)

// The statuses the generator uses. The vendor's status is free text; these
// are the ones its docs name, and two more.
const (
	StatusNew       = "New"
	StatusRegular   = "Regular"
	StatusVIP       = "VIP"
	StatusReturning = "Returning"
	StatusInactive  = "Inactive"
)

// The range of generated dateCreated values: 2021-01-01 to the end of 2025.
var (
	dataStart = time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	dataEnd   = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(-time.Second)
)

// Streams of simkit.Generate and of the details, so that the same seed
// gives Komerza data unlike the other vendors'.
const (
	coreStream   = 0x6b6f6d65727a61 // "komerza"
	detailStream = 0x64657461696c73 // "details"
)

var (
	firstNames = []string{
		"Jordan", "Maya", "Liam", "Ava", "Noah", "Chloe", "Ethan", "Zara", "Lucas", "Isla",
		"Mateo", "Aria", "Oliver", "Nina", "Kai", "Leah", "Omar", "Sofia", "Finn", "Priya",
		"Hugo", "Elena", "Ravi", "Mia", "Theo", "Aisha", "Jonas", "Lena", "Diego", "Yuki",
		"Tomas", "Freya", "Ahmed", "Clara", "Marco", "Ines", "Kofi", "Hana", "Sven", "Luca",
	}
	lastNames = []string{
		"Lee", "Rossi", "Smith", "Garcia", "Nguyen", "Khan", "Müller", "Brown", "Silva", "Kowalski",
		"Novak", "Haddad", "Tanaka", "Okafor", "Dubois", "Jensen", "Moreau", "Costa", "Ivanova", "Patel",
		"Walker", "Fischer", "Santos", "Larsen", "Mensah", "Ali", "Kim", "Schmidt", "Horvat", "Moreno",
	}
	emailDomains = []string{"example.com", "example.org", "example.net", "mail.example.com", "gamer.example.io"}
	staffNames   = []string{"Alex Morgan", "Sam Carter", "Priya Shah", "Store Support", "Dana Whitfield"}
	subjects     = []string{
		"Order not received", "Refund request", "License key not working", "Question about my subscription",
		"Payment failed", "Wrong item delivered", "How do I change my email?", "Download link expired",
	}
	customerMessages = []string{
		"Hi, I paid but have not received anything yet.",
		"Could you check my order please?",
		"The key says it is already in use.",
		"I would like a refund for my last purchase.",
		"Thanks, that worked!",
		"Any update on this?",
		"I was charged twice.",
	}
	staffMessages = []string{
		"Thanks for reaching out, we are looking into it.",
		"I have resent the delivery to your email address.",
		"Your refund has been issued and should arrive in 5–10 days.",
		"Could you send us the order ID?",
		"We have reset your key; please try again.",
		"Closing this ticket as resolved. Reply to reopen it.",
	}
	blockedNotes = []string{
		"Chargeback on order", "Fraudulent payment", "Abusive messages to support",
		"Reselling keys", "Multiple accounts",
	}
	integrationKeys = []string{"discordId", "stripeCustomerId", "telegramId", "steamId"}
	ipv4Prefixes    = []int{81, 86, 92, 104, 151, 172, 185, 203, 212}
)

// slugs lower-cases a name and drops everything but ASCII letters.
func slugName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case 'a' <= r && r <= 'z':
			b.WriteRune(r)
		case r == 'ü':
			b.WriteString("u")
		}
	}
	return b.String()
}

// keys are the per-seed keys of the data set's UUIDs.
type keys struct {
	id       uint64 // customer and nested object IDs
	products []string
}

func newKeys(seed int64) keys {
	k := keys{id: simkit.Mix64(uint64(seed) ^ 0x4b6f6d65727a6131)}
	for i := range 6 {
		k.products = append(k.products, simkit.UUID(k.id, 0xffff0000+uint32(i)))
	}
	return k
}

// objectID is the UUID of object k (0 for the customer itself, up to 63)
// of customer seq: unique across the data set by construction.
func (k keys) objectID(seq, obj int) string {
	id := simkit.UUID(k.id, uint32(seq)<<6|uint32(obj))
	if id == exampleID {
		id = simkit.UUID(^k.id, uint32(seq)<<6|uint32(obj))
	}
	return id
}

// generate returns the n records of the data set in order.
func generate(n int, seed int64, k keys) []*record {
	store := simkit.Generate(n, seed, coreStream, func(seq int, r *rand.Rand) record {
		if seq == 1 {
			return exampleRecord()
		}
		return newRecord(seq, n, r, k)
	})
	recs := make([]*record, n)
	for i := range store {
		recs[i] = &store[i]
	}
	return recs
}

// exampleRecord is the docs' example customer.
func exampleRecord() record {
	return record{
		seq:          1,
		id:           exampleID,
		created:      exampleCreated,
		email:        exampleEmail,
		emailLower:   exampleEmail,
		status:       StatusRegular,
		totalSpend:   123,
		averageSpend: 123,
		totalOrders:  1,
		ip:           simkit.Ptr(exampleIP),
		balance:      123,
		integrations: map[string]string{},
		affiliate:    true,
		generated:    true,
		first:        0, // Jordan
		last:         0, // Lee
	}
}

func newRecord(seq, n int, r *rand.Rand, k keys) record {
	rec := record{seq: seq, id: k.objectID(seq, 0), generated: true}
	rec.first, rec.last = uint8(r.IntN(len(firstNames))), uint8(r.IntN(len(lastNames)))
	first, last := firstNames[rec.first], lastNames[rec.last]

	// dateCreated grows with the sequence across 2021–2025.
	span := dataEnd.Unix() - dataStart.Unix()
	slot := span / int64(max(n-1, 1))
	created := min(dataStart.Unix()+int64(seq-2)*slot+r.Int64N(max(slot, 1)), dataEnd.Unix())
	rec.created = time.Unix(created, 0).UTC()

	var local string
	switch v := r.IntN(10); {
	case v < 6:
		local = slugName(first) + "." + slugName(last) + strconv.Itoa(seq)
	case v < 8:
		local = slugName(first) + strconv.Itoa(seq)
	default:
		local = slugName(first)[:1] + slugName(last) + "_" + strconv.Itoa(seq)
	}
	domain := simkit.Pick(r, emailDomains)
	if simkit.Chance(r, 20) { // stored as the customer typed it
		local = strings.ToUpper(local[:1]) + local[1:]
		if i := strings.IndexByte(local, '.'); i >= 0 && i+1 < len(local) {
			local = local[:i+1] + strings.ToUpper(local[i+1:i+2]) + local[i+2:]
		}
		if simkit.Chance(r, 50) {
			domain = strings.ToUpper(domain[:1]) + domain[1:]
		} else {
			domain = strings.ToUpper(domain)
		}
	}
	rec.email = local + "@" + domain
	rec.emailLower = strings.ToLower(rec.email)

	switch v := r.IntN(100); {
	case seq == 2:
		rec.status = StatusNew // every status is present in any set of 5 or more
	case seq == 3:
		rec.status = StatusVIP
	case seq == 4:
		rec.status = StatusReturning
	case seq == 5:
		rec.status = StatusInactive
	case v < 25:
		rec.status = StatusNew
	case v < 70:
		rec.status = StatusRegular
	case v < 80:
		rec.status = StatusVIP
	case v < 92:
		rec.status = StatusReturning
	default:
		rec.status = StatusInactive
	}
	switch rec.status {
	case StatusNew:
		rec.totalOrders = r.IntN(2)
	case StatusVIP:
		rec.totalOrders = 20 + r.IntN(80)
	default:
		rec.totalOrders = 1 + r.IntN(30)
	}
	if rec.totalOrders > 0 {
		rec.totalSpend = simkit.RoundCents(float64(rec.totalOrders) * (4.99 + r.Float64()*120))
		rec.averageSpend = simkit.RoundCents(rec.totalSpend / float64(rec.totalOrders))
	}

	var ip string
	if simkit.Chance(r, 78) {
		ip = strconv.Itoa(simkit.Pick(r, ipv4Prefixes)) + "." + strconv.Itoa(r.IntN(256)) + "." +
			strconv.Itoa(r.IntN(256)) + "." + strconv.Itoa(1+r.IntN(254))
	} else {
		ip = "2001:db8:" + strconv.FormatUint(uint64(r.IntN(0x10000)), 16) + ":" +
			strconv.FormatUint(uint64(r.IntN(0x10000)), 16) + "::" + strconv.FormatUint(uint64(1+r.IntN(0xffff)), 16)
	}
	rec.ip = &ip

	if !simkit.Chance(r, 60) {
		rec.balance = simkit.RoundCents(0.5 + r.Float64()*250)
	}
	rec.integrations = map[string]string{}
	if simkit.Chance(r, 45) {
		for i, key := range integrationKeys {
			if i == 0 || simkit.Chance(r, 30) {
				rec.integrations[key] = integrationValue(key, r)
			}
		}
	}
	rec.affiliate = simkit.Chance(r, 15)
	if simkit.Chance(r, 4) {
		rec.blocked = true
		rec.blockedNote = simkit.Ptr(simkit.Pick(r, blockedNotes))
		at := time.Unix(created+r.Int64N(dataEnd.Unix()-created+1), 0).UTC()
		rec.blockedAt = &at
	}
	return rec
}

func integrationValue(key string, r *rand.Rand) string {
	switch key {
	case "discordId":
		return strconv.FormatUint(100000000000000000+r.Uint64N(900000000000000000), 10)
	case "stripeCustomerId":
		const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
		b := []byte("cus_")
		for range 14 {
			b = append(b, alnum[r.IntN(len(alnum))])
		}
		return string(b)
	case "telegramId":
		return strconv.FormatUint(100000000+r.Uint64N(6900000000), 10)
	default:
		return strconv.FormatUint(76561197960265728+r.Uint64N(1<<32), 10)
	}
}

// details are the parts of a full record that never change.
type details struct {
	subscriptions []Subscription
	tickets       []Ticket
	affiliate     *Affiliate
}

// details generates rec's subscriptions, tickets and affiliate account
// from the seed: the same every time for the same record.
func (s *Server) details(rec *record) details {
	d := details{subscriptions: []Subscription{}, tickets: []Ticket{}}
	if !rec.generated {
		return d
	}
	r := rand.New(rand.NewPCG(uint64(s.opts.Seed), uint64(rec.seq)^detailStream))
	obj := 0
	next := func() string { obj++; return s.keys.objectID(rec.seq, obj) }
	created := rec.created.Unix()
	between := func(from int64) time.Time {
		return time.Unix(from+r.Int64N(max(dataEnd.Unix()-from, 0)+1), 0).UTC()
	}
	customerName := firstNames[rec.first] + " " + lastNames[rec.last]

	if rec.seq == 1 { // the docs' example: one of each, at the example's time
		t := exampleCreated
		d.subscriptions = append(d.subscriptions, Subscription{
			ID: next(), DateCreated: t, StartDate: t, ExpirationDate: t.AddDate(1, 0, 0), ProductID: s.keys.products[0],
		})
		d.tickets = append(d.tickets, Ticket{
			ID: next(), DateCreated: t, Subject: subjects[0], Status: 0,
			StoreID: s.store, CustomerID: rec.id, EmailAddress: rec.email,
			Entries: []TicketEntry{
				{ID: next(), DateCreated: t, Message: customerMessages[0], Name: customerName},
				{ID: next(), DateCreated: t.Add(42 * time.Minute), Message: staffMessages[0], Name: staffNames[0]},
			},
		})
		d.affiliate = &Affiliate{
			ID: next(), DateCreated: t, IsEnabled: true, Link: affiliateLink(rec),
			Balance: 123, ReturnPercentage: 10, PercentageOff: 5,
		}
		return d
	}

	if simkit.Chance(r, 35) {
		for range 1 + r.IntN(3) {
			start := between(created)
			days := simkit.Pick(r, []int{30, 90, 365})
			d.subscriptions = append(d.subscriptions, Subscription{
				ID: next(), DateCreated: start, StartDate: start,
				ExpirationDate: start.AddDate(0, 0, days), ProductID: simkit.Pick(r, s.keys.products),
			})
		}
	}
	if simkit.Chance(r, 30) {
		for range 1 + r.IntN(3) {
			opened := between(created)
			t := Ticket{
				ID: next(), DateCreated: opened, Subject: simkit.Pick(r, subjects), Status: r.IntN(5),
				StoreID: s.store, CustomerID: rec.id, EmailAddress: rec.email,
			}
			at := opened
			staff := simkit.Pick(r, staffNames)
			for i := range 2 + r.IntN(4) {
				e := TicketEntry{ID: next(), DateCreated: at}
				if i%2 == 0 {
					e.Message, e.Name = simkit.Pick(r, customerMessages), customerName
				} else {
					e.Message, e.Name = simkit.Pick(r, staffMessages), staff
				}
				t.Entries = append(t.Entries, e)
				at = at.Add(time.Duration(5+r.IntN(48*60)) * time.Minute)
			}
			d.tickets = append(d.tickets, t)
		}
	}
	if rec.affiliate {
		d.affiliate = &Affiliate{
			ID: next(), DateCreated: between(created), IsEnabled: simkit.Chance(r, 70), Link: affiliateLink(rec),
			ReturnPercentage: float64(simkit.Pick(r, []int{5, 10, 15, 20})),
			PercentageOff:    float64(simkit.Pick(r, []int{0, 5, 10})),
		}
		if simkit.Chance(r, 60) {
			d.affiliate.Balance = simkit.RoundCents(r.Float64() * 400)
		}
	}
	return d
}

// affiliateLink is the customer's referral link: a code made from the
// customer ID.
func affiliateLink(rec *record) string {
	return "https://shop.example.com/?ref=" + strings.ToUpper(strings.ReplaceAll(rec.id, "-", "")[:8])
}
