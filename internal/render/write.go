package render

import (
	"math"
	"strconv"
	"time"

	"customergraph/graph/model"
	"customergraph/internal/customer"
	"customergraph/internal/scalar"
)

// The writers below write one object for its plan, appending to b. They
// return false where gqlgen would report an error (a part of the record
// that could not be loaded, a null the schema forbids, a float JSON cannot
// hold), which hands the whole root field back to gqlgen.

// Field ids, by type.
const (
	connEdges = iota
	connNodes
	connPageInfo
)

const (
	edgeCursor = iota
	edgeNode
	edgeParameterValue
)

const (
	pageHasNext = iota
	pageHasPrevious
	pageStartCursor
	pageEndCursor
)

const (
	custID = iota
	custVendor
	custCustomerNumber
	custFirstName
	custLastName
	custDisplayName
	custEmail
	custEmails
	custPhone
	custPhones
	custProfilePhoto
	custWhatsApp
	custStatus
	custVendorStatus
	custSource
	custMarketingOptIn
	custSMSOptIn
	custDateOfBirth
	custAddress
	custTags
	custNotes
	custPreferredLocationID
	custCompanyID
	custLoyaltyPoints
	custTotalOrders
	custTotalSpent
	custAverageOrderValue
	custLifetimeValue
	custLastOrderAt
	custLastActivityAt
	custCreatedAt
	custUpdatedAt
	custVendorRecord
	custBalance
	custIPAddress
	custSubscriptions
	custSupportTickets
	custAffiliate
	custGroups
)

const (
	emailAddress = iota
	emailIsPrimary
)

const (
	phoneNumber = iota
	phoneIsPrimary
)

const (
	addrLine1 = iota
	addrLine2
	addrCity
	addrState
	addrPostalCode
	addrCountry
)

const (
	subID = iota
	subProductID
	subStartsAt
	subExpiresAt
	subCreatedAt
)

const (
	ticketID = iota
	ticketSubject
	ticketStatus
	ticketCreatedAt
	ticketMessages
)

const (
	msgID = iota
	msgAuthor
	msgMessage
	msgCreatedAt
)

const (
	affID = iota
	affEnabled
	affLink
	affBalance
	affReturnPercentage
	affPercentageOff
	affCreatedAt
)

const (
	groupID = iota
	groupName
	groupDescription
)

// The object types, with the names gqlgen's generated code collects
// fields for. Their fields are filled in by init, as some refer to others.
var (
	connectionType = &objectType{name: "CustomerConnection", implements: []string{"CustomerConnection"}}
	edgeType       = &objectType{name: "CustomerEdge", implements: []string{"CustomerEdge"}}
	pageInfoType   = &objectType{name: "PageInfo", implements: []string{"PageInfo"}}
	customerType   = &objectType{name: "Customer", implements: []string{"Customer", "Node"}}
	emailType      = &objectType{name: "CustomerEmail", implements: []string{"CustomerEmail"}}
	phoneType      = &objectType{name: "CustomerPhone", implements: []string{"CustomerPhone"}}
	addressType    = &objectType{name: "Address", implements: []string{"Address"}}
	subType        = &objectType{name: "Subscription", implements: []string{"Subscription"}}
	ticketType     = &objectType{name: "SupportTicket", implements: []string{"SupportTicket"}}
	messageType    = &objectType{name: "SupportTicketMessage", implements: []string{"SupportTicketMessage"}}
	affiliateType  = &objectType{name: "Affiliate", implements: []string{"Affiliate"}}
	groupType      = &objectType{name: "CustomerGroup", implements: []string{"CustomerGroup"}}
)

// objectTypes are every type the renderer writes.
var objectTypes = []*objectType{connectionType, edgeType, pageInfoType, customerType, emailType, phoneType,
	addressType, subType, ticketType, messageType, affiliateType, groupType}

func init() {
	leaf := func(id int) fieldDef { return fieldDef{id: id} }
	of := func(id int, t *objectType) fieldDef { return fieldDef{id: id, elem: t} }
	connectionType.fields = map[string]fieldDef{
		"edges": of(connEdges, edgeType), "nodes": of(connNodes, customerType), "pageInfo": of(connPageInfo, pageInfoType),
	}
	edgeType.fields = map[string]fieldDef{
		"cursor": leaf(edgeCursor), "node": of(edgeNode, customerType), "parameterValue": leaf(edgeParameterValue),
	}
	pageInfoType.fields = map[string]fieldDef{
		"hasNextPage": leaf(pageHasNext), "hasPreviousPage": leaf(pageHasPrevious),
		"startCursor": leaf(pageStartCursor), "endCursor": leaf(pageEndCursor),
	}
	customerType.fields = map[string]fieldDef{
		"id": leaf(custID), "vendor": leaf(custVendor), "customerNumber": leaf(custCustomerNumber),
		"firstName": leaf(custFirstName), "lastName": leaf(custLastName), "displayName": leaf(custDisplayName),
		"email": leaf(custEmail), "emails": of(custEmails, emailType),
		"phone": leaf(custPhone), "phones": of(custPhones, phoneType),
		"profilePhoto": leaf(custProfilePhoto), "whatsapp": leaf(custWhatsApp), "status": leaf(custStatus),
		"vendorStatus": leaf(custVendorStatus), "source": leaf(custSource),
		"marketingOptIn": leaf(custMarketingOptIn), "smsOptIn": leaf(custSMSOptIn), "dateOfBirth": leaf(custDateOfBirth),
		"address": of(custAddress, addressType), "tags": leaf(custTags), "notes": leaf(custNotes),
		"preferredLocationId": leaf(custPreferredLocationID), "companyId": leaf(custCompanyID),
		"loyaltyPoints": leaf(custLoyaltyPoints), "totalOrders": leaf(custTotalOrders), "totalSpent": leaf(custTotalSpent),
		"averageOrderValue": leaf(custAverageOrderValue), "lifetimeValue": leaf(custLifetimeValue),
		"lastOrderAt": leaf(custLastOrderAt), "lastActivityAt": leaf(custLastActivityAt),
		"createdAt": leaf(custCreatedAt), "updatedAt": leaf(custUpdatedAt), "vendorRecord": leaf(custVendorRecord),
		"balance": leaf(custBalance), "ipAddress": leaf(custIPAddress),
		"subscriptions": of(custSubscriptions, subType), "supportTickets": of(custSupportTickets, ticketType),
		"affiliate": of(custAffiliate, affiliateType), "groups": of(custGroups, groupType),
	}
	emailType.fields = map[string]fieldDef{"address": leaf(emailAddress), "isPrimary": leaf(emailIsPrimary)}
	phoneType.fields = map[string]fieldDef{"number": leaf(phoneNumber), "isPrimary": leaf(phoneIsPrimary)}
	addressType.fields = map[string]fieldDef{
		"line1": leaf(addrLine1), "line2": leaf(addrLine2), "city": leaf(addrCity), "state": leaf(addrState),
		"postalCode": leaf(addrPostalCode), "country": leaf(addrCountry),
	}
	subType.fields = map[string]fieldDef{
		"id": leaf(subID), "productId": leaf(subProductID), "startsAt": leaf(subStartsAt),
		"expiresAt": leaf(subExpiresAt), "createdAt": leaf(subCreatedAt),
	}
	ticketType.fields = map[string]fieldDef{
		"id": leaf(ticketID), "subject": leaf(ticketSubject), "status": leaf(ticketStatus),
		"createdAt": leaf(ticketCreatedAt), "messages": of(ticketMessages, messageType),
	}
	messageType.fields = map[string]fieldDef{
		"id": leaf(msgID), "author": leaf(msgAuthor), "message": leaf(msgMessage), "createdAt": leaf(msgCreatedAt),
	}
	affiliateType.fields = map[string]fieldDef{
		"id": leaf(affID), "enabled": leaf(affEnabled), "link": leaf(affLink), "balance": leaf(affBalance),
		"returnPercentage": leaf(affReturnPercentage), "percentageOff": leaf(affPercentageOff),
		"createdAt": leaf(affCreatedAt),
	}
	groupType.fields = map[string]fieldDef{
		"id": leaf(groupID), "name": leaf(groupName), "description": leaf(groupDescription),
	}
}

func (p *plan) connection(b []byte, c *model.CustomerConnection) ([]byte, bool) {
	b = append(b, '{')
	ok := true
	for i := range p.fields {
		f := &p.fields[i]
		b = append(b, f.key...)
		switch f.id {
		case typename:
			b = appendString(b, p.typ.name)
		case connEdges:
			b, ok = list(b, c.Edges, f.sub, (*plan).edge)
		case connNodes:
			b, ok = list(b, c.Nodes, f.sub, (*plan).customer)
		case connPageInfo:
			if c.PageInfo == nil {
				return b, false
			}
			b = f.sub.pageInfo(b, c.PageInfo)
		}
		if !ok {
			return b, false
		}
	}
	return append(b, '}'), true
}

func (p *plan) edge(b []byte, e *model.CustomerEdge) ([]byte, bool) {
	b = append(b, '{')
	ok := true
	for i := range p.fields {
		f := &p.fields[i]
		b = append(b, f.key...)
		switch f.id {
		case typename:
			b = appendString(b, p.typ.name)
		case edgeCursor:
			b = appendString(b, e.Cursor)
		case edgeNode:
			if e.Node == nil {
				return b, false
			}
			b, ok = f.sub.customer(b, e.Node)
		case edgeParameterValue:
			b = optString(b, e.ParameterValue)
		}
		if !ok {
			return b, false
		}
	}
	return append(b, '}'), true
}

func (p *plan) pageInfo(b []byte, pi *model.PageInfo) []byte {
	b = append(b, '{')
	for i := range p.fields {
		f := &p.fields[i]
		b = append(b, f.key...)
		switch f.id {
		case typename:
			b = appendString(b, p.typ.name)
		case pageHasNext:
			b = strconv.AppendBool(b, pi.HasNextPage)
		case pageHasPrevious:
			b = strconv.AppendBool(b, pi.HasPreviousPage)
		case pageStartCursor:
			b = optString(b, pi.StartCursor)
		case pageEndCursor:
			b = optString(b, pi.EndCursor)
		}
	}
	return append(b, '}')
}

// customer writes c; each case reads the field as the schema's binding of
// Customer does (gqlgen.yml and the methods of customer.Customer).
func (p *plan) customer(b []byte, c *customer.Customer) ([]byte, bool) {
	b = append(b, '{')
	ok := true
	for i := range p.fields {
		f := &p.fields[i]
		b = append(b, f.key...)
		switch f.id {
		case typename:
			b = appendString(b, p.typ.name)
		case custID:
			b = appendString(b, c.ID)
		case custVendor:
			b = c.Vendor.AppendGQL(b)
		case custCustomerNumber:
			b = optString(b, c.Number())
		case custFirstName:
			b = optString(b, c.FirstName)
		case custLastName:
			b = optString(b, c.LastName)
		case custDisplayName:
			b = optString(b, c.DisplayName)
		case custEmail:
			b = optString(b, c.Email())
		case custEmails:
			var es []customer.Email
			if es, ok = loaded(c.AllEmails()); ok {
				b, ok = list(b, es, f.sub, (*plan).email)
			}
		case custPhone:
			b = optString(b, c.Phone())
		case custPhones:
			var ps []customer.Phone
			if ps, ok = loaded(c.AllPhones()); ok {
				b, ok = list(b, ps, f.sub, (*plan).phone)
			}
		case custProfilePhoto:
			b = optString(b, c.ProfilePhoto)
		case custWhatsApp:
			b = optString(b, c.WhatsApp)
		case custStatus:
			b = c.Status.AppendGQL(b)
		case custVendorStatus:
			b = optString(b, c.VendorStatus)
		case custSource:
			b = optString(b, c.Source)
		case custMarketingOptIn:
			var v *bool
			if v, ok = loaded(c.MarketingOptIn()); ok {
				b = optBool(b, v)
			}
		case custSMSOptIn:
			var v *bool
			if v, ok = loaded(c.SMSOptIn()); ok {
				b = optBool(b, v)
			}
		case custDateOfBirth:
			var v *string
			if v, ok = loaded(c.DateOfBirth()); ok {
				if v == nil {
					b = appendNull(b)
				} else {
					b = scalar.AppendDate(b, *v)
				}
			}
		case custAddress:
			var a *customer.Address
			if a, ok = loaded(c.Address()); ok {
				if a == nil {
					b = appendNull(b)
				} else {
					b = f.sub.address(b, a)
				}
			}
		case custTags:
			var tags []string
			if tags, ok = loaded(c.Tags()); ok {
				b = append(b, '[')
				for j, t := range tags {
					if j > 0 {
						b = append(b, ',')
					}
					b = appendString(b, t)
				}
				b = append(b, ']')
			}
		case custNotes:
			b, ok = loadedString(b, c.Notes)
		case custPreferredLocationID:
			b, ok = loadedString(b, c.PreferredLocationID)
		case custCompanyID:
			b, ok = loadedString(b, c.CompanyID)
		case custLoyaltyPoints:
			var v *int
			if v, ok = loaded(c.LoyaltyPoints()); ok {
				b = optInt(b, v)
			}
		case custTotalOrders:
			b = optInt(b, c.TotalOrders)
		case custTotalSpent:
			b, ok = optFloat(b, c.TotalSpent)
		case custAverageOrderValue:
			b, ok = optFloat(b, c.AverageOrderValue())
		case custLifetimeValue:
			b, ok = optFloat(b, c.LifetimeValue)
		case custLastOrderAt:
			b = optTime(b, c.LastOrderAt)
		case custLastActivityAt:
			b = optTime(b, c.LastActivityAt)
		case custCreatedAt:
			b = scalar.AppendDateTime(b, c.CreatedAt)
		case custUpdatedAt:
			b = optTime(b, c.UpdatedAt)
		case custVendorRecord:
			if r := c.Record(); r == nil {
				b = appendNull(b)
			} else {
				b = scalar.AppendJSON(b, r)
			}
		case custBalance:
			var v *float64
			if v, ok = loaded(c.Balance()); ok {
				b, ok = optFloat(b, v)
			}
		case custIPAddress:
			b, ok = loadedString(b, c.IPAddress)
		case custSubscriptions:
			var ss []customer.Subscription
			if ss, ok = loaded(c.Subscriptions()); ok {
				b, ok = list(b, ss, f.sub, (*plan).subscription)
			}
		case custSupportTickets:
			var ts []customer.SupportTicket
			if ts, ok = loaded(c.SupportTickets()); ok {
				b, ok = list(b, ts, f.sub, (*plan).ticket)
			}
		case custAffiliate:
			var a *customer.Affiliate
			if a, ok = loaded(c.Affiliate()); ok {
				if a == nil {
					b = appendNull(b)
				} else {
					b, ok = f.sub.affiliate(b, a)
				}
			}
		case custGroups:
			var gs []customer.Group
			if gs, ok = loaded(c.Groups()); ok {
				b, ok = list(b, gs, f.sub, (*plan).group)
			}
		}
		if !ok {
			return b, false
		}
	}
	return append(b, '}'), true
}

func (p *plan) email(b []byte, e *customer.Email) ([]byte, bool) {
	b = append(b, '{')
	for i := range p.fields {
		f := &p.fields[i]
		b = append(b, f.key...)
		switch f.id {
		case typename:
			b = appendString(b, p.typ.name)
		case emailAddress:
			b = appendString(b, e.Address)
		case emailIsPrimary:
			b = strconv.AppendBool(b, e.IsPrimary)
		}
	}
	return append(b, '}'), true
}

func (p *plan) phone(b []byte, ph *customer.Phone) ([]byte, bool) {
	b = append(b, '{')
	for i := range p.fields {
		f := &p.fields[i]
		b = append(b, f.key...)
		switch f.id {
		case typename:
			b = appendString(b, p.typ.name)
		case phoneNumber:
			b = appendString(b, ph.Number)
		case phoneIsPrimary:
			b = strconv.AppendBool(b, ph.IsPrimary)
		}
	}
	return append(b, '}'), true
}

func (p *plan) address(b []byte, a *customer.Address) []byte {
	b = append(b, '{')
	for i := range p.fields {
		f := &p.fields[i]
		b = append(b, f.key...)
		switch f.id {
		case typename:
			b = appendString(b, p.typ.name)
		case addrLine1:
			b = optString(b, a.Line1)
		case addrLine2:
			b = optString(b, a.Line2)
		case addrCity:
			b = optString(b, a.City)
		case addrState:
			b = optString(b, a.State)
		case addrPostalCode:
			b = optString(b, a.PostalCode)
		case addrCountry:
			b = optString(b, a.Country)
		}
	}
	return append(b, '}')
}

func (p *plan) subscription(b []byte, s *customer.Subscription) ([]byte, bool) {
	b = append(b, '{')
	for i := range p.fields {
		f := &p.fields[i]
		b = append(b, f.key...)
		switch f.id {
		case typename:
			b = appendString(b, p.typ.name)
		case subID:
			b = appendString(b, s.ID)
		case subProductID:
			b = optString(b, s.ProductID)
		case subStartsAt:
			b = optTime(b, s.StartsAt)
		case subExpiresAt:
			b = optTime(b, s.ExpiresAt)
		case subCreatedAt:
			b = optTime(b, s.CreatedAt)
		}
	}
	return append(b, '}'), true
}

func (p *plan) ticket(b []byte, t *customer.SupportTicket) ([]byte, bool) {
	b = append(b, '{')
	ok := true
	for i := range p.fields {
		f := &p.fields[i]
		b = append(b, f.key...)
		switch f.id {
		case typename:
			b = appendString(b, p.typ.name)
		case ticketID:
			b = appendString(b, t.ID)
		case ticketSubject:
			b = optString(b, t.Subject)
		case ticketStatus:
			b = optInt(b, t.Status)
		case ticketCreatedAt:
			b = optTime(b, t.CreatedAt)
		case ticketMessages:
			b, ok = list(b, t.TicketMessages(), f.sub, (*plan).message)
		}
		if !ok {
			return b, false
		}
	}
	return append(b, '}'), true
}

func (p *plan) message(b []byte, m *customer.SupportTicketMessage) ([]byte, bool) {
	b = append(b, '{')
	for i := range p.fields {
		f := &p.fields[i]
		b = append(b, f.key...)
		switch f.id {
		case typename:
			b = appendString(b, p.typ.name)
		case msgID:
			b = appendString(b, m.ID)
		case msgAuthor:
			b = optString(b, m.Author)
		case msgMessage:
			b = optString(b, m.Message)
		case msgCreatedAt:
			b = optTime(b, m.CreatedAt)
		}
	}
	return append(b, '}'), true
}

func (p *plan) affiliate(b []byte, a *customer.Affiliate) ([]byte, bool) {
	b = append(b, '{')
	ok := true
	for i := range p.fields {
		f := &p.fields[i]
		b = append(b, f.key...)
		switch f.id {
		case typename:
			b = appendString(b, p.typ.name)
		case affID:
			b = appendString(b, a.ID)
		case affEnabled:
			b = strconv.AppendBool(b, a.Enabled)
		case affLink:
			b = optString(b, a.Link)
		case affBalance:
			b, ok = optFloat(b, a.Balance)
		case affReturnPercentage:
			b, ok = optFloat(b, a.ReturnPercentage)
		case affPercentageOff:
			b, ok = optFloat(b, a.PercentageOff)
		case affCreatedAt:
			b = optTime(b, a.CreatedAt)
		}
		if !ok {
			return b, false
		}
	}
	return append(b, '}'), true
}

func (p *plan) group(b []byte, g *customer.Group) ([]byte, bool) {
	b = append(b, '{')
	for i := range p.fields {
		f := &p.fields[i]
		b = append(b, f.key...)
		switch f.id {
		case typename:
			b = appendString(b, p.typ.name)
		case groupID:
			b = appendString(b, g.ID)
		case groupName:
			b = appendString(b, g.Name)
		case groupDescription:
			b = optString(b, g.Description)
		}
	}
	return append(b, '}'), true
}

// list writes a list of objects, each with p.
func list[T any](b []byte, s []T, p *plan, write func(*plan, []byte, *T) ([]byte, bool)) ([]byte, bool) {
	b = append(b, '[')
	for i := range s {
		if i > 0 {
			b = append(b, ',')
		}
		var ok bool
		if b, ok = write(p, b, &s[i]); !ok {
			return b, false
		}
	}
	return append(b, ']'), true
}

// loaded passes on a value read from a part of the record, or false when
// the part could not be loaded: gqlgen reports that field's error.
func loaded[T any](v T, err error) (T, bool) { return v, err == nil }

func loadedString(b []byte, read func() (*string, error)) ([]byte, bool) {
	v, err := read()
	if err != nil {
		return b, false
	}
	return optString(b, v), true
}

func appendNull(b []byte) []byte { return append(b, "null"...) }

func optString(b []byte, s *string) []byte {
	if s == nil {
		return appendNull(b)
	}
	return appendString(b, *s)
}

func optBool(b []byte, v *bool) []byte {
	if v == nil {
		return appendNull(b)
	}
	return strconv.AppendBool(b, *v)
}

func optInt(b []byte, v *int) []byte {
	if v == nil {
		return appendNull(b)
	}
	return strconv.AppendInt(b, int64(*v), 10)
}

// optFloat writes a Float as gqlgen does (%g); an infinity or NaN is
// gqlgen's error.
func optFloat(b []byte, v *float64) ([]byte, bool) {
	switch {
	case v == nil:
		return appendNull(b), true
	case math.IsInf(*v, 0) || math.IsNaN(*v):
		return b, false
	}
	return strconv.AppendFloat(b, *v, 'g', -1, 64), true
}

func optTime(b []byte, t *time.Time) []byte {
	if t == nil {
		return appendNull(b)
	}
	return scalar.AppendDateTime(b, *t)
}

// appendString writes a String.
func appendString(b []byte, s string) []byte { return scalar.AppendString(b, s) }
