package render

import (
	"math"
	"strconv"
	"time"

	"customergraph/graph/model"
	"customergraph/internal/customer"
	"customergraph/internal/scalar"
)

// The field writers below write the value of one field of an object,
// appending to b; object writes the object around them. They return
// false where gqlgen would report an error (a part of the record
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

// object writes v for p: braces around each field's key and value, the
// value written by field (for a field of the type other than __typename).
func object[T any](b []byte, p *plan, v *T, field func(b []byte, f *planField, v *T) ([]byte, bool)) ([]byte, bool) {
	b = append(b, '{')
	for i := range p.fields {
		f := &p.fields[i]
		b = append(b, f.key...)
		if f.id == typename {
			b = scalar.AppendString(b, p.typ.name)
			continue
		}
		var ok bool
		if b, ok = field(b, f, v); !ok {
			return b, false
		}
	}
	return append(b, '}'), true
}

func connectionField(b []byte, f *planField, c *model.CustomerConnection) ([]byte, bool) {
	ok := true
	switch f.id {
	case connEdges:
		b, ok = list(b, c.Edges, f.sub, edgeField)
	case connNodes:
		b, ok = list(b, c.Nodes, f.sub, customerField)
	case connPageInfo:
		if c.PageInfo == nil {
			return b, false
		}
		b, ok = object(b, f.sub, c.PageInfo, pageInfoField)
	}
	return b, ok
}

func edgeField(b []byte, f *planField, e *model.CustomerEdge) ([]byte, bool) {
	ok := true
	switch f.id {
	case edgeCursor:
		b = scalar.AppendString(b, e.Cursor)
	case edgeNode:
		if e.Node == nil {
			return b, false
		}
		b, ok = object(b, f.sub, e.Node, customerField)
	case edgeParameterValue:
		b = optString(b, e.ParameterValue)
	}
	return b, ok
}

func pageInfoField(b []byte, f *planField, pi *model.PageInfo) ([]byte, bool) {
	switch f.id {
	case pageHasNext:
		b = strconv.AppendBool(b, pi.HasNextPage)
	case pageHasPrevious:
		b = strconv.AppendBool(b, pi.HasPreviousPage)
	case pageStartCursor:
		b = optString(b, pi.StartCursor)
	case pageEndCursor:
		b = optString(b, pi.EndCursor)
	}
	return b, true
}

// customerField writes a field of c; each case reads the field as the
// schema's binding of Customer does (gqlgen.yml and the methods of
// customer.Customer).
func customerField(b []byte, f *planField, c *customer.Customer) ([]byte, bool) {
	ok := true
	switch f.id {
	case custID:
		b = scalar.AppendString(b, c.ID)
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
			b, ok = list(b, es, f.sub, emailField)
		}
	case custPhone:
		b = optString(b, c.Phone())
	case custPhones:
		var ps []customer.Phone
		if ps, ok = loaded(c.AllPhones()); ok {
			b, ok = list(b, ps, f.sub, phoneField)
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
				b, ok = object(b, f.sub, a, addressField)
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
				b = scalar.AppendString(b, t)
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
			b, ok = list(b, ss, f.sub, subscriptionField)
		}
	case custSupportTickets:
		var ts []customer.SupportTicket
		if ts, ok = loaded(c.SupportTickets()); ok {
			b, ok = list(b, ts, f.sub, ticketField)
		}
	case custAffiliate:
		var a *customer.Affiliate
		if a, ok = loaded(c.Affiliate()); ok {
			if a == nil {
				b = appendNull(b)
			} else {
				b, ok = object(b, f.sub, a, affiliateField)
			}
		}
	case custGroups:
		var gs []customer.Group
		if gs, ok = loaded(c.Groups()); ok {
			b, ok = list(b, gs, f.sub, groupField)
		}
	}
	return b, ok
}

func emailField(b []byte, f *planField, e *customer.Email) ([]byte, bool) {
	switch f.id {
	case emailAddress:
		b = scalar.AppendString(b, e.Address)
	case emailIsPrimary:
		b = strconv.AppendBool(b, e.IsPrimary)
	}
	return b, true
}

func phoneField(b []byte, f *planField, ph *customer.Phone) ([]byte, bool) {
	switch f.id {
	case phoneNumber:
		b = scalar.AppendString(b, ph.Number)
	case phoneIsPrimary:
		b = strconv.AppendBool(b, ph.IsPrimary)
	}
	return b, true
}

func addressField(b []byte, f *planField, a *customer.Address) ([]byte, bool) {
	switch f.id {
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
	return b, true
}

func subscriptionField(b []byte, f *planField, s *customer.Subscription) ([]byte, bool) {
	switch f.id {
	case subID:
		b = scalar.AppendString(b, s.ID)
	case subProductID:
		b = optString(b, s.ProductID)
	case subStartsAt:
		b = optTime(b, s.StartsAt)
	case subExpiresAt:
		b = optTime(b, s.ExpiresAt)
	case subCreatedAt:
		b = optTime(b, s.CreatedAt)
	}
	return b, true
}

func ticketField(b []byte, f *planField, t *customer.SupportTicket) ([]byte, bool) {
	ok := true
	switch f.id {
	case ticketID:
		b = scalar.AppendString(b, t.ID)
	case ticketSubject:
		b = optString(b, t.Subject)
	case ticketStatus:
		b = optInt(b, t.Status)
	case ticketCreatedAt:
		b = optTime(b, t.CreatedAt)
	case ticketMessages:
		b, ok = list(b, t.TicketMessages(), f.sub, messageField)
	}
	return b, ok
}

func messageField(b []byte, f *planField, m *customer.SupportTicketMessage) ([]byte, bool) {
	switch f.id {
	case msgID:
		b = scalar.AppendString(b, m.ID)
	case msgAuthor:
		b = optString(b, m.Author)
	case msgMessage:
		b = optString(b, m.Message)
	case msgCreatedAt:
		b = optTime(b, m.CreatedAt)
	}
	return b, true
}

func affiliateField(b []byte, f *planField, a *customer.Affiliate) ([]byte, bool) {
	ok := true
	switch f.id {
	case affID:
		b = scalar.AppendString(b, a.ID)
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
	return b, ok
}

func groupField(b []byte, f *planField, g *customer.Group) ([]byte, bool) {
	switch f.id {
	case groupID:
		b = scalar.AppendString(b, g.ID)
	case groupName:
		b = scalar.AppendString(b, g.Name)
	case groupDescription:
		b = optString(b, g.Description)
	}
	return b, true
}

// list writes a list of objects, each with p.
func list[T any](b []byte, s []T, p *plan, field func(b []byte, f *planField, v *T) ([]byte, bool)) ([]byte, bool) {
	b = append(b, '[')
	for i := range s {
		if i > 0 {
			b = append(b, ',')
		}
		var ok bool
		if b, ok = object(b, p, &s[i], field); !ok {
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
	return scalar.AppendString(b, *s)
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
