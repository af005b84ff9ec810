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
	maxName  = 100
	maxNotes = 5000
	maxRef   = 128 // preferredLocationId, companyId, address lines
	maxTags  = 50
	maxTag   = 64
)

func userError(code model.UserErrorCode, msg string, field ...string) *model.UpdateCustomerPayload {
	return &model.UpdateCustomerPayload{UserErrors: []model.UserError{{Field: field, Message: msg, Code: code}}}
}

// toPatch validates input and maps it onto an upstream patch holding only
// the fields present. Every problem is reported, each with its field path.
func toPatch(in model.UpdateCustomerInput) (loaders.Patch, []model.UserError) {
	var (
		p    loaders.Patch
		errs []model.UserError
	)
	invalid := func(msg string, path ...string) {
		errs = append(errs, model.UserError{Field: append([]string{"input"}, path...), Message: msg, Code: model.UserErrorCodeInvalid})
	}
	text := func(name string, o graphql.Omittable[*string], max int, multiline bool) loaders.Optional[string] {
		v, ok := o.ValueOK()
		if !ok {
			return loaders.Optional[string]{}
		}
		if v == nil {
			return loaders.Null[string]()
		}
		if msg := textProblem(*v, max, multiline); msg != "" {
			invalid(name+": "+msg, strings.Split(name, ".")...)
			return loaders.Optional[string]{}
		}
		return loaders.Some(*v)
	}
	p.FirstName = text("firstName", in.FirstName, maxName, false)
	p.LastName = text("lastName", in.LastName, maxName, false)
	p.Notes = text("notes", in.Notes, maxNotes, true)
	p.PreferredLocationID = text("preferredLocationId", in.PreferredLocationID, maxRef, false)
	p.CompanyID = text("companyId", in.CompanyID, maxRef, false)
	p.Email = contact("email", in.Email, identifier.Email, invalid)
	p.Phone = contact("phone", in.Phone, identifier.Phone, invalid)
	if v, ok := in.DateOfBirth.ValueOK(); ok {
		if v == nil {
			p.DateOfBirth = loaders.Null[string]()
		} else {
			p.DateOfBirth = loaders.Some(*v) // the Date scalar has validated it
		}
	}
	if v, ok := in.MarketingOptIn.ValueOK(); ok {
		if v == nil {
			invalid("marketingOptIn: cannot be null; give true or false", "marketingOptIn")
		} else {
			p.MarketingConsent = loaders.Some(*v)
		}
	}
	if v, ok := in.Tags.ValueOK(); ok {
		switch {
		case v == nil:
			p.Tags = loaders.Null[[]string]()
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
				p.Tags = loaders.Some(v)
			}
		}
	}
	if v, ok := in.Address.ValueOK(); ok {
		if v == nil {
			p.Address = loaders.Null[loaders.AddressPatch]()
		} else {
			p.Address = loaders.Some(loaders.AddressPatch{
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

// emptyInput reports whether in sets no field at all.
func emptyInput(in model.UpdateCustomerInput) bool {
	return !in.FirstName.IsSet() && !in.LastName.IsSet() && !in.Email.IsSet() && !in.Phone.IsSet() &&
		!in.DateOfBirth.IsSet() && !in.Address.IsSet() && !in.Tags.IsSet() && !in.Notes.IsSet() &&
		!in.PreferredLocationID.IsSet() && !in.MarketingOptIn.IsSet() && !in.CompanyID.IsSet()
}

// contact validates an email or phone and sends its canonical form.
func contact(name string, o graphql.Omittable[*string], want identifier.Kind, invalid func(string, ...string)) loaders.Optional[string] {
	v, ok := o.ValueOK()
	if !ok {
		return loaders.Optional[string]{}
	}
	if v == nil {
		return loaders.Null[string]()
	}
	id, err := identifier.Parse(*v)
	switch {
	case err != nil:
		var ie *identifier.Error
		if errors.As(err, &ie) {
			invalid(name+": "+ie.Reason, name)
		} else {
			invalid(name+": invalid", name)
		}
	case id.Kind() != want:
		invalid(name+": not "+article(want), name)
	default:
		return loaders.Some(id.String())
	}
	return loaders.Optional[string]{}
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
	"marketingConsent": "marketingOptIn",
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
