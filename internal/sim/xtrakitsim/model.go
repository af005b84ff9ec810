package xtrakitsim

import "slices"

// TimestampLayout is the form of created_at and updated_at: no time zone,
// read in the zone of Options.TimeZone.
const TimestampLayout = "2006-01-02 15:04:05"

// Customer is a customer as the API sends it (data.customer of the docs).
// Nullable fields are pointers; nil is JSON null.
type Customer struct {
	ID               int     `json:"id"`
	UserID           string  `json:"user_id"`
	BusinessCode     string  `json:"business_code"`
	CustomerGroupID  *int    `json:"customer_group_id"` // the main group; nil in none
	CustomerName     string  `json:"customer_name"`     // one name, never split
	CustomerEmail    *string `json:"customer_email"`
	CustomerPhone    string  `json:"customer_phone"` // as written: E.164 or spaced, e.g. "+233 24 456 7890"
	CustomerWhatsapp *string `json:"customer_whatsapp"`
	CustomerCountry  string  `json:"customer_country"`
	CustomerCity     string  `json:"customer_city"`
	CustomerState    string  `json:"customer_state"`
	CustomerZip      *string `json:"customer_zip"`
	Address1         string  `json:"address1"`
	Address2         *string `json:"address2"`
	CustomerProfile  *string `json:"customer_profile"` // photo URL
	CreatedBy        string  `json:"created_by"`
	CreatedAt        string  `json:"created_at"` // TimestampLayout
	UpdatedAt        string  `json:"updated_at"` // TimestampLayout
}

// Group is a customer group (the docs' data["customer-group"] items).
type Group struct {
	ID               int     `json:"id"`
	UserID           string  `json:"user_id"`
	BusinessCode     string  `json:"business_code"`
	GroupName        string  `json:"group_name"`
	GroupDescription *string `json:"group_description"`
	CreatedAt        string  `json:"created_at"`
	UpdatedAt        string  `json:"updated_at"`
}

// record is a stored customer. Records are copy-on-write: a writer
// (holding Server.mu) replaces the Customer and the slice, never what
// they point to, so copies taken under the read lock stay valid.
type record struct {
	Customer
	others []int // groups besides the main one, ascending
}

// groupIDs returns the customer's groups: the main one first, then the
// others.
func (r *record) groupIDs() []int {
	out := make([]int, 0, len(r.others)+1)
	if r.CustomerGroupID != nil {
		out = append(out, *r.CustomerGroupID)
	}
	for _, g := range r.others {
		if !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}

func (r *record) inGroup(id int) bool {
	return r.CustomerGroupID != nil && *r.CustomerGroupID == id || slices.Contains(r.others, id)
}

// clone returns a deep copy of c.
func (c Customer) clone() Customer {
	d := c
	d.CustomerGroupID = clonePtr(c.CustomerGroupID)
	d.CustomerEmail = clonePtr(c.CustomerEmail)
	d.CustomerWhatsapp = clonePtr(c.CustomerWhatsapp)
	d.CustomerZip = clonePtr(c.CustomerZip)
	d.Address2 = clonePtr(c.Address2)
	d.CustomerProfile = clonePtr(c.CustomerProfile)
	return d
}

func (g Group) clone() Group {
	g.GroupDescription = clonePtr(g.GroupDescription)
	return g
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
