package resolvers

import (
	"errors"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"customergraph/graph/model"
	"customergraph/internal/customer"
	"customergraph/internal/identifier"
	"customergraph/loaders"
)

// Limits on update input, checked before any upstream call.
const (
	maxName    = 100
	maxNotes   = 5000
	maxRef     = 128 // preferredLocationId, companyId, address lines
	maxTags    = 50
	maxTag     = 64
	maxComment = 500 // balanceComment
	// maxBalance bounds a balance: far above any store's, far below where
	// a float64 stops holding cents exactly.
	maxBalance = 1e12
)

func userError(code model.UserErrorCode, msg string, field ...string) *model.UpdateCustomerPayload {
	return &model.UpdateCustomerPayload{UserErrors: []model.UserError{{Field: field, Message: msg, Code: code}}}
}

// toPatch validates input and maps it onto a patch holding only the fields
// present. Every problem is reported, each with its field path: a field
// the vendor cannot update (caps) as NOT_SUPPORTED, an invalid one as
// INVALID.
func toPatch(caps customer.Capabilities, in model.UpdateCustomerInput) (customer.Patch, []model.UserError) {
	var (
		p    customer.Patch
		errs []model.UserError
	)
	for _, f := range setFields(in) {
		if !caps.CanUpdate(f) {
			errs = append(errs, model.UserError{
				Field:   []string{"input", f},
				Message: f + ": " + caps.Vendor.Name() + " cannot update this field",
				Code:    model.UserErrorCodeNotSupported,
			})
		}
	}
	if len(errs) > 0 {
		return p, errs
	}
	required := func(path string, set, null bool) {
		if set && null && caps.IsRequired(path) {
			errs = append(errs, model.UserError{
				Field:   append([]string{"input"}, strings.Split(path, ".")...),
				Message: path + ": " + caps.Vendor.Name() + " requires it; it cannot be null",
				Code:    model.UserErrorCodeInvalid,
			})
		}
	}
	required("displayName", in.DisplayName.IsSet(), in.DisplayName.Value() == nil)
	required("email", in.Email.IsSet(), in.Email.Value() == nil)
	required("phone", in.Phone.IsSet(), in.Phone.Value() == nil)
	required("address", in.Address.IsSet(), in.Address.Value() == nil)
	if a := in.Address.Value(); a != nil {
		for _, f := range []struct {
			name string
			o    graphql.Omittable[*string]
		}{{"line1", a.Line1}, {"city", a.City}, {"state", a.State}, {"country", a.Country}, {"line2", a.Line2}, {"postalCode", a.PostalCode}} {
			required("address."+f.name, f.o.IsSet(), f.o.Value() == nil)
		}
	}
	invalid := func(msg string, path ...string) {
		errs = append(errs, model.UserError{Field: append([]string{"input"}, path...), Message: msg, Code: model.UserErrorCodeInvalid})
	}
	text := func(name string, o graphql.Omittable[*string], max int, multiline bool) customer.Optional[string] {
		v, ok := o.ValueOK()
		if !ok {
			return customer.Optional[string]{}
		}
		if v == nil {
			return customer.Null[string]()
		}
		if msg := textProblem(*v, max, multiline); msg != "" {
			invalid(name+": "+msg, strings.Split(name, ".")...)
			return customer.Optional[string]{}
		}
		return customer.Some(*v)
	}
	p.FirstName = text("firstName", in.FirstName, maxName, false)
	p.LastName = text("lastName", in.LastName, maxName, false)
	p.DisplayName = text("displayName", in.DisplayName, maxName, false)
	p.WhatsApp = contact("whatsapp", in.Whatsapp, identifier.Phone, invalid)
	p.BalanceComment = text("balanceComment", in.BalanceComment, maxComment, true)
	if v, ok := in.Balance.ValueOK(); ok {
		switch {
		case v == nil:
			invalid("balance: cannot be null; give a number >= 0", "balance")
		case !(*v >= 0 && *v <= maxBalance):
			invalid("balance: must be a number from 0 to 1e12", "balance")
		default:
			p.Balance = customer.Some(*v)
		}
	} else if in.BalanceComment.IsSet() {
		invalid("balanceComment: only with balance", "balanceComment")
	}
	p.Notes = text("notes", in.Notes, maxNotes, true)
	p.PreferredLocationID = text("preferredLocationId", in.PreferredLocationID, maxRef, false)
	p.CompanyID = text("companyId", in.CompanyID, maxRef, false)
	p.Email = contact("email", in.Email, identifier.Email, invalid)
	p.Phone = contact("phone", in.Phone, identifier.Phone, invalid)
	if v, ok := in.DateOfBirth.ValueOK(); ok {
		if v == nil {
			p.DateOfBirth = customer.Null[string]()
		} else {
			p.DateOfBirth = customer.Some(*v) // the Date scalar has validated it
		}
	}
	if v, ok := in.MarketingOptIn.ValueOK(); ok {
		if v == nil {
			invalid("marketingOptIn: cannot be null; give true or false", "marketingOptIn")
		} else {
			p.MarketingOptIn = customer.Some(*v)
		}
	}
	if v, ok := in.Tags.ValueOK(); ok {
		switch {
		case v == nil:
			p.Tags = customer.Null[[]string]()
		case len(v) > maxTags:
			invalid("tags: at most 50 tags", "tags")
		default:
			valid := true
			for _, t := range v {
				if msg := textProblem(t, maxTag, false); msg != "" || strings.TrimSpace(t) == "" {
					if msg == "" {
						msg = "empty tag"
					}
					invalid("tags: "+msg, "tags")
					valid = false
					break
				}
			}
			if valid {
				p.Tags = customer.Some(v)
			}
		}
	}
	if v, ok := in.Address.ValueOK(); ok {
		if v == nil {
			p.Address = customer.Null[customer.AddressPatch]()
		} else {
			p.Address = customer.Some(customer.AddressPatch{
				Line1:      text("address.line1", v.Line1, maxRef, false),
				Line2:      text("address.line2", v.Line2, maxRef, false),
				City:       text("address.city", v.City, maxRef, false),
				State:      text("address.state", v.State, maxRef, false),
				PostalCode: text("address.postalCode", v.PostalCode, maxRef, false),
				Country:    text("address.country", v.Country, maxRef, false),
			})
		}
	}
	return p, errs
}

// setFields returns the names of the input fields in sets (present or
// null), in the schema's order.
func setFields(in model.UpdateCustomerInput) []string {
	var out []string
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"firstName", in.FirstName.IsSet()}, {"lastName", in.LastName.IsSet()}, {"email", in.Email.IsSet()},
		{"phone", in.Phone.IsSet()}, {"dateOfBirth", in.DateOfBirth.IsSet()}, {"address", in.Address.IsSet()},
		{"tags", in.Tags.IsSet()}, {"notes", in.Notes.IsSet()}, {"preferredLocationId", in.PreferredLocationID.IsSet()},
		{"marketingOptIn", in.MarketingOptIn.IsSet()}, {"companyId", in.CompanyID.IsSet()},
		{"displayName", in.DisplayName.IsSet()}, {"whatsapp", in.Whatsapp.IsSet()},
		{"balance", in.Balance.IsSet()}, {"balanceComment", in.BalanceComment.IsSet()},
	} {
		if f.set {
			out = append(out, f.name)
		}
	}
	return out
}

// emptyInput reports whether in sets no field at all.
func emptyInput(in model.UpdateCustomerInput) bool { return len(setFields(in)) == 0 }

// contact validates an email or phone and sends its canonical form.
func contact(name string, o graphql.Omittable[*string], want identifier.Kind, invalid func(string, ...string)) customer.Optional[string] {
	v, ok := o.ValueOK()
	if !ok {
		return customer.Optional[string]{}
	}
	if v == nil {
		return customer.Null[string]()
	}
	id, err := identifier.DocumentIDs.ParseAs(*v, want)
	var ie *identifier.Error
	switch {
	case err == nil:
		return customer.Some(id.String())
	case errors.As(err, &ie) && ie.Kind == want:
		invalid(name+": "+ie.Reason, name)
	default:
		invalid(name+": not "+identifier.DocumentIDs.Article(want), name)
	}
	return customer.Optional[string]{}
}

func textProblem(s string, max int, multiline bool) string {
	if len(s) > max {
		return "too long"
	}
	for _, r := range s {
		if r == 0x7f || (r < 0x20 && !(multiline && (r == '\n' || r == '\t' || r == '\r'))) {
			return "contains a control character"
		}
	}
	if strings.ToValidUTF8(s, "") != s {
		return "not valid UTF-8"
	}
	return ""
}

// upstreamFields maps the upstream's field names in validation messages to
// the input's.
var upstreamFields = map[string]string{
	"firstName": "firstName", "lastName": "lastName", "email": "email", "phone": "phone",
	"dateOfBirth": "dateOfBirth", "address": "address", "tags": "tags", "notes": "notes",
	"preferredLocationId": "preferredLocationId", "companyId": "companyId",
	"marketingConsent": "marketingOptIn", "displayName": "displayName", "whatsapp": "whatsapp",
	"balance": "balance", "newBalance": "balance", "comment": "balanceComment",
}

// updateResult turns the upstream's answer into the payload: validation,
// not found and conflict are userErrors; anything else a top-level error.
func updateResult(c *customer.Customer, err error) (*model.UpdateCustomerPayload, error) {
	var te *loaders.UpstreamError
	switch {
	case err == nil:
		return &model.UpdateCustomerPayload{Customer: c, UserErrors: []model.UserError{}}, nil
	case errors.Is(err, loaders.ErrNotFound):
		return userError(model.UserErrorCodeNotFound, "no customer has this id", "id"), nil
	case errors.Is(err, loaders.ErrConflict):
		return userError(model.UserErrorCodeTaken, "email is already used by another customer", "input", "email"), nil
	case errors.Is(err, loaders.ErrValidation):
		msg, path := "the customer service rejected the update", []string{"input"}
		if errors.As(err, &te) && te.Message != "" {
			msg = te.Message
			if name, _, ok := strings.Cut(te.Message, ":"); ok {
				head, _, _ := strings.Cut(name, ".")
				if f, ok := upstreamFields[head]; ok {
					path = append(path, f)
				}
			}
		}
		return userError(model.UserErrorCodeInvalid, msg, path...), nil
	}
	return nil, err
}
