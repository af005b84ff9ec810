package tiquosim

import "time"

// timestampLayout is RFC 3339 in UTC with milliseconds, the form of the
// envelope's "timestamp" and of the update response's times.
const timestampLayout = "2006-01-02T15:04:05.000Z07:00"

// timeForm selects how a view renders times: epoch milliseconds (get and
// list) or RFC 3339 strings (update).
type timeForm uint8

const (
	epochMillis timeForm = iota
	rfc3339
)

func (f timeForm) render(t time.Time) any {
	if f == rfc3339 {
		return t.UTC().Format(timestampLayout)
	}
	return t.UnixMilli()
}

func (f timeForm) renderPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return f.render(*t)
}

// customerView is the customer object of the get-customer and
// update-customer responses: the get doc's fields plus the updatable ones.
type customerView struct {
	ID                  string   `json:"id"`
	CustomerNumber      string   `json:"customerNumber"`
	FirstName           *string  `json:"firstName"`
	LastName            *string  `json:"lastName"`
	DisplayName         *string  `json:"displayName"`
	Email               *string  `json:"email"`
	Phone               *string  `json:"phone"`
	ProfilePhoto        *string  `json:"profilePhoto"`
	Status              string   `json:"status"`
	Source              *string  `json:"source"`
	MarketingOptIn      bool     `json:"marketingOptIn"`
	SMSOptIn            bool     `json:"smsOptIn"`
	TotalOrders         int      `json:"totalOrders"`
	TotalSpent          float64  `json:"totalSpent"`
	AverageOrderValue   *float64 `json:"averageOrderValue"`
	LastOrderDate       any      `json:"lastOrderDate"`
	LastActivityDate    any      `json:"lastActivityDate"`
	LifetimeValue       float64  `json:"lifetimeValue"`
	CreatedAt           any      `json:"createdAt"`
	UpdatedAt           any      `json:"updatedAt"`
	DateOfBirth         *string  `json:"dateOfBirth"`
	Address             *Address `json:"address"`
	Tags                []string `json:"tags"`
	Notes               *string  `json:"notes"`
	PreferredLocationID *string  `json:"preferredLocationId"`
	CompanyID           *string  `json:"companyId"`
	LoyaltyPoints       int      `json:"loyaltyPoints"`
}

// view renders c; the caller holds at least the read lock. The view shares
// pointers with the record, which is fine because records are copy-on-write.
func (c *Customer) view(tf timeForm) customerView {
	v := customerView{
		ID:                  c.ID,
		CustomerNumber:      c.CustomerNumber,
		FirstName:           c.FirstName,
		LastName:            c.LastName,
		DisplayName:         c.DisplayName,
		ProfilePhoto:        c.ProfilePhoto,
		Status:              c.Status,
		Source:              c.Source,
		MarketingOptIn:      c.MarketingOptIn,
		SMSOptIn:            c.SMSOptIn,
		TotalOrders:         c.TotalOrders,
		TotalSpent:          c.TotalSpent,
		AverageOrderValue:   c.AverageOrderValue,
		LastOrderDate:       tf.renderPtr(c.LastOrderDate),
		LastActivityDate:    tf.renderPtr(c.LastActivityDate),
		LifetimeValue:       c.LifetimeValue,
		CreatedAt:           tf.render(c.CreatedAt),
		UpdatedAt:           tf.render(c.UpdatedAt),
		DateOfBirth:         c.DateOfBirth,
		Address:             c.Address,
		Tags:                c.Tags,
		Notes:               c.Notes,
		PreferredLocationID: c.PreferredLocationID,
		CompanyID:           c.CompanyID,
		LoyaltyPoints:       c.LoyaltyPoints,
	}
	if e := c.PrimaryEmail(); e != "" {
		v.Email = &e
	}
	if p := c.PrimaryPhone(); p != "" {
		v.Phone = &p
	}
	if v.Tags == nil {
		v.Tags = []string{}
	}
	return v
}

// listItem is the customer object of the list-customers response.
type listItem struct {
	ID                string   `json:"id"`
	CustomerNumber    string   `json:"customerNumber"`
	FirstName         *string  `json:"firstName"`
	LastName          *string  `json:"lastName"`
	DisplayName       *string  `json:"displayName"`
	Emails            []Email  `json:"emails"`
	Phones            []Phone  `json:"phones"`
	ProfilePhoto      *string  `json:"profilePhoto"`
	Status            string   `json:"status"`
	Source            *string  `json:"source"`
	TotalOrders       int      `json:"totalOrders"`
	TotalSpent        float64  `json:"totalSpent"`
	AverageOrderValue *float64 `json:"averageOrderValue"`
	LifetimeValue     float64  `json:"lifetimeValue"`
	LastOrderDate     *int64   `json:"lastOrderDate"`
	LastActivityDate  *int64   `json:"lastActivityDate"`
	CreatedAt         int64    `json:"createdAt"`
	UpdatedAt         int64    `json:"updatedAt"`
	ParameterValue    *string  `json:"parameterValue,omitempty"`
}

func (c *Customer) listItem() listItem {
	it := listItem{
		ID:                c.ID,
		CustomerNumber:    c.CustomerNumber,
		FirstName:         c.FirstName,
		LastName:          c.LastName,
		DisplayName:       c.DisplayName,
		Emails:            c.Emails,
		Phones:            c.Phones,
		ProfilePhoto:      c.ProfilePhoto,
		Status:            c.Status,
		Source:            c.Source,
		TotalOrders:       c.TotalOrders,
		TotalSpent:        c.TotalSpent,
		AverageOrderValue: c.AverageOrderValue,
		LifetimeValue:     c.LifetimeValue,
		LastOrderDate:     millisPtr(c.LastOrderDate),
		LastActivityDate:  millisPtr(c.LastActivityDate),
		CreatedAt:         c.CreatedAt.UnixMilli(),
		UpdatedAt:         c.UpdatedAt.UnixMilli(),
	}
	if it.Emails == nil {
		it.Emails = []Email{}
	}
	if it.Phones == nil {
		it.Phones = []Phone{}
	}
	return it
}

func millisPtr(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	ms := t.UnixMilli()
	return &ms
}
