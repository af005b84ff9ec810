// Package identifier classifies and normalises customer identifiers.
//
// A customer can be looked up by customer number (CUST-000001), email address,
// phone number or upstream document ID. Parse decides which one a string is and
// reduces it to one canonical form, so that every spelling of the same
// identifier — "+1 (555) 456-7890", "0015554567890", "15554567890" — becomes the
// same key: emails trimmed and lower-cased, phones in E.164, customer numbers
// upper-cased. Canonical forms parse back to themselves.
package identifier

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Kind is the kind of a customer identifier.
type Kind uint8

// The identifier kinds. The zero Kind is Invalid: the zero ID has it.
const (
	Invalid Kind = iota
	CustomerNumber
	Email
	Phone
	DocumentID
)

var kindNames = [...]string{
	Invalid:        "invalid",
	CustomerNumber: "customerNumber",
	Email:          "email",
	Phone:          "phone",
	DocumentID:     "documentId",
}

// String returns the kind's name, e.g. "email".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// ID is a parsed, canonical customer identifier. The zero ID is invalid.
// IDs are comparable and can be used as map keys.
type ID struct {
	kind  Kind
	value string
}

// Kind reports what kind of identifier id is.
func (id ID) Kind() Kind { return id.kind }

// String returns the canonical form of id, e.g. "+15554567890".
func (id ID) String() string { return id.value }

// IsZero reports whether id is the zero (invalid) ID.
func (id ID) IsZero() bool { return id.kind == Invalid }

// Limits on identifier lengths.
const (
	// MaxLength is the longest identifier accepted, in bytes, after trimming.
	// It is the longest valid email address.
	MaxLength = 254
	// MaxDocumentIDLength is the longest document ID accepted.
	MaxDocumentIDLength = 64
	minPhoneDigits      = 7
	maxPhoneDigits      = 15 // E.164
	maxNumberDigits     = 12
	maxLocalPart        = 64
	maxDomainLabel      = 63
	customerNumberLabel = "CUST-"
)

// ErrInvalid is matched by every error Parse returns:
// errors.Is(err, identifier.ErrInvalid).
var ErrInvalid = errors.New("invalid identifier")

// Error is the error Parse returns. Reason says, in words a client can be
// shown, why the input is not an identifier.
type Error struct {
	Kind   Kind // the kind the input looked like, or Invalid
	Reason string
}

func (e *Error) Error() string {
	if e.Kind == Invalid {
		return "invalid identifier: " + e.Reason
	}
	return "invalid " + e.Kind.String() + ": " + e.Reason
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

func fail(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Reason: fmt.Sprintf(format, args...)}
}

// Parse classifies s under the DocumentIDs syntax and returns its
// canonical form; see Syntax.Parse for the rules. Leading and trailing
// white space is ignored.
func Parse(s string) (ID, error) { return DocumentIDs.Parse(s) }

// Syntax is how a vendor spells its customer IDs. It decides what a
// customer ID looks like, and so how an identifier of unknown kind is
// classified: a digit string is a phone number where IDs are document IDs
// or UUIDs, and an ID where IDs are integers.
type Syntax uint8

// The ID syntaxes.
const (
	// DocumentIDs: a letter, then letters, digits and "_", at most 64
	// characters, kept as written.
	DocumentIDs Syntax = iota
	// UUIDs: the 36-character text form (8-4-4-4-12 hex digits), any case;
	// canonical in lower case.
	UUIDs
	// Integers: a positive decimal integer without leading zeros, at most
	// 18 digits. A phone number then needs a "+" or "00" prefix.
	Integers
)

// String returns the syntax's name.
func (x Syntax) String() string {
	switch x {
	case DocumentIDs:
		return "document ID"
	case UUIDs:
		return "UUID"
	case Integers:
		return "integer ID"
	}
	return fmt.Sprintf("Syntax(%d)", uint8(x))
}

// Describe names the syntax's IDs for a client, e.g. "a customer ID (a UUID)".
func (x Syntax) Describe() string {
	switch x {
	case UUIDs:
		return "a customer ID (a UUID)"
	case Integers:
		return "a customer ID (a positive integer)"
	}
	return "a document ID"
}

const maxIntegerDigits = 18

// Parse classifies s and returns its canonical form. Leading and trailing
// white space is ignored. The rules, in order:
//
//   - an ID of the syntax (for UUIDs: a UUID, lower-cased; for Integers: a
//     string of digits that does not start with 0);
//   - containing "@": an email address, lower-cased;
//   - starting with "CUST-" (any case): a customer number, upper-cased;
//   - starting with "+", "(" or a digit: a phone number. Spaces, dashes,
//     dots and parentheses are dropped; a leading "+" or "00" introduces the
//     country code, and digits with neither prefix are read as already
//     carrying one ("15554567890") — except under Integers, where a phone
//     must have one of the two prefixes. The result is E.164: "+" and 7–15
//     digits;
//   - otherwise, under DocumentIDs, a document ID: a letter, then letters,
//     digits and "_", at most 64 characters, kept as written.
//
// Anything else is an error matching ErrInvalid that says why, including
// input that is empty, longer than MaxLength, not UTF-8, or that contains
// control characters or URL syntax ("/", "%", "?", "#", "\").
func (x Syntax) Parse(s string) (ID, error) {
	s, err := precheck(s)
	if err != nil {
		return ID{}, err
	}
	switch c := s[0]; {
	case x == UUIDs && isUUID(s):
		return ID{DocumentID, strings.ToLower(s)}, nil
	case x == Integers && allDigits(s) && c != '0':
		return parseInteger(s)
	case strings.IndexByte(s, '@') >= 0:
		return parseEmail(s)
	case len(s) >= len(customerNumberLabel) && strings.EqualFold(s[:len(customerNumberLabel)], customerNumberLabel):
		return parseCustomerNumber(s)
	case x == Integers && isDigit(c) && !strings.HasPrefix(s, "00"):
		return ID{}, fail(Invalid, "not a customer ID (a positive integer without leading zeros) nor a phone number (which starts with + or 00)")
	case c == '+' || c == '(' || isDigit(c):
		return parsePhone(s)
	case x == DocumentIDs && isLetter(c):
		return parseDocumentID(s)
	case x == UUIDs:
		return ID{}, fail(Invalid, "not a UUID, email, phone or customer number")
	case x == Integers:
		return ID{}, fail(Invalid, "not an integer ID, email, phone or customer number")
	default:
		return ID{}, fail(Invalid, "not a customer number, email, phone or document ID")
	}
}

// ParseAs parses s as an identifier of kind k, which must not be Invalid.
// It accepts what Parse classifies as k and, for k Phone, any phone number
// Parse would classify otherwise (under Integers a digit string given as a
// phone is a phone). Its error says why s is not one: a *KindError when s
// is, or looks like, an identifier of another kind.
func (x Syntax) ParseAs(s string, k Kind) (ID, error) {
	id, err := x.Parse(s)
	if err == nil && id.Kind() == k {
		return id, nil
	}
	var ie *Error
	errors.As(err, &ie)
	if k == Phone && (err == nil || ie.Kind == Invalid) {
		if t, perr := precheck(s); perr == nil && t[0] != '@' && strings.IndexByte(t, '@') < 0 {
			p, perr := parsePhone(t)
			if perr == nil || (err != nil && (t[0] == '+' || isDigit(t[0]))) {
				return p, perr
			}
		}
	}
	switch {
	case err == nil:
		return ID{}, &KindError{Want: k, Got: id.Kind(), Syntax: x}
	case ie != nil && ie.Kind != k:
		return ID{}, &KindError{Want: k, Got: ie.Kind, Syntax: x, invalid: true}
	}
	return ID{}, err
}

// KindError is the error ParseAs returns when the input is, or looks
// like, an identifier of another kind. It matches ErrInvalid.
type KindError struct {
	Want, Got Kind
	Syntax    Syntax
	invalid   bool // Got is what the input looked like; it is not a valid one
}

func (e *KindError) Error() string {
	if e.invalid {
		return "not " + e.Syntax.Article(e.Want)
	}
	return "expected " + e.Syntax.Article(e.Want) + ", got what looks like " + e.Syntax.Article(e.Got)
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *KindError) Is(target error) bool { return target == ErrInvalid }

// Article names kind k for a client, with its article: "an email address".
func (x Syntax) Article(k Kind) string {
	switch k {
	case Email:
		return "an email address"
	case Phone:
		return "a phone number"
	case CustomerNumber:
		return "a customer number (CUST-000001)"
	case DocumentID:
		return x.Describe()
	}
	return "an identifier"
}

// precheck trims s and rejects what no identifier of any kind may be.
func precheck(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", fail(Invalid, "empty")
	case len(s) > MaxLength:
		return "", fail(Invalid, "longer than %d bytes", MaxLength)
	case !utf8.ValidString(s):
		return "", fail(Invalid, "not valid UTF-8")
	}
	for _, r := range s {
		switch {
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029':
			return "", fail(Invalid, "contains a control character")
		case r == '/' || r == '\\' || r == '%' || r == '?' || r == '#':
			return "", fail(Invalid, "contains %q, which no identifier has", string(r))
		}
	}
	return s, nil
}

// isUUID reports whether s is a UUID in its 36-character text form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isDigit(c) && !('a' <= c && c <= 'f') && !('A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

func parseInteger(s string) (ID, error) {
	if len(s) > maxIntegerDigits {
		return ID{}, fail(DocumentID, "more than %d digits", maxIntegerDigits)
	}
	return ID{DocumentID, s}, nil
}

// MustParse is like Parse but panics on error. It is for tests and constants.
func MustParse(s string) ID {
	id, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return id
}

func parseCustomerNumber(s string) (ID, error) {
	digits := s[len(customerNumberLabel):]
	if digits == "" {
		return ID{}, fail(CustomerNumber, "no digits after %q", customerNumberLabel)
	}
	if len(digits) > maxNumberDigits {
		return ID{}, fail(CustomerNumber, "more than %d digits", maxNumberDigits)
	}
	for i := 0; i < len(digits); i++ {
		if !isDigit(digits[i]) {
			return ID{}, fail(CustomerNumber, "%q must be followed by digits only", customerNumberLabel)
		}
	}
	return ID{CustomerNumber, customerNumberLabel + digits}, nil
}

func parsePhone(s string) (ID, error) {
	var b [maxPhoneDigits + 2]byte // room for a "00" prefix
	n := 0
	plus := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			if n == len(b) {
				return ID{}, fail(Phone, "more than %d digits", maxPhoneDigits)
			}
			b[n] = c
			n++
		case c == '+':
			if n > 0 || plus {
				return ID{}, fail(Phone, `"+" may only start the number`)
			}
			plus = true
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
		case isLetter(c):
			return ID{}, fail(Phone, "contains letters")
		default:
			return ID{}, fail(Phone, "contains %q", rune(c))
		}
	}
	// Non-ASCII bytes were rejected by the default case above.
	digits := b[:n]
	if !plus && len(digits) >= 2 && digits[0] == '0' && digits[1] == '0' {
		digits = digits[2:]
	}
	switch {
	case len(digits) < minPhoneDigits:
		return ID{}, fail(Phone, "fewer than %d digits", minPhoneDigits)
	case len(digits) > maxPhoneDigits:
		return ID{}, fail(Phone, "more than %d digits", maxPhoneDigits)
	case digits[0] == '0':
		return ID{}, fail(Phone, "country code cannot start with 0")
	}
	return ID{Phone, "+" + string(digits)}, nil
}

func parseEmail(s string) (ID, error) {
	at := strings.IndexByte(s, '@')
	if strings.IndexByte(s[at+1:], '@') >= 0 {
		return ID{}, fail(Email, `more than one "@"`)
	}
	local, domain := s[:at], s[at+1:]
	switch {
	case local == "":
		return ID{}, fail(Email, `nothing before "@"`)
	case len(local) > maxLocalPart:
		return ID{}, fail(Email, "local part longer than %d bytes", maxLocalPart)
	case domain == "":
		return ID{}, fail(Email, `no domain after "@"`)
	case local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, ".."):
		return ID{}, fail(Email, "misplaced dot in local part")
	}
	for i := 0; i < len(local); i++ {
		if !isAtext(local[i]) && local[i] != '.' {
			return ID{}, fail(Email, "local part contains %q", rune(local[i]))
		}
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return ID{}, fail(Email, "domain has no dot")
	}
	for _, l := range labels {
		switch {
		case l == "":
			return ID{}, fail(Email, "empty domain label")
		case len(l) > maxDomainLabel:
			return ID{}, fail(Email, "domain label longer than %d bytes", maxDomainLabel)
		case l[0] == '-' || l[len(l)-1] == '-':
			return ID{}, fail(Email, "domain label starts or ends with \"-\"")
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !isLetter(c) && !isDigit(c) && c != '-' {
				return ID{}, fail(Email, "domain contains %q", rune(c))
			}
		}
	}
	tld := labels[len(labels)-1]
	if len(tld) < 2 || isDigit(tld[0]) {
		return ID{}, fail(Email, "invalid top-level domain")
	}
	return ID{Email, strings.ToLower(s)}, nil
}

func parseDocumentID(s string) (ID, error) {
	if len(s) > MaxDocumentIDLength {
		return ID{}, fail(DocumentID, "longer than %d characters", MaxDocumentIDLength)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && !isDigit(c) && c != '_' {
			return ID{}, fail(Invalid, "not a customer number, email, phone or document ID")
		}
	}
	return ID{DocumentID, s}, nil
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }

// isAtext reports whether c may appear in an unquoted email local part
// (RFC 5322 atext). Quoted local parts are not accepted.
func isAtext(c byte) bool {
	if isLetter(c) || isDigit(c) {
		return true
	}
	return strings.IndexByte("!#$&'*+-=^_`{|}~", c) >= 0
}
