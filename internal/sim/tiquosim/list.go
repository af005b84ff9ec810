package tiquosim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// List page sizes.
const (
	defaultLimit = 50
	maxLimit     = 100
)

// Messages of the list endpoint's 400s.
const (
	msgBadLimit          = "limit must be an integer between 1 and 100"
	msgBadCursor         = "Invalid cursor"
	msgBadStatus         = "Invalid status filter"
	msgSearchWithParam   = "The 'search' parameter cannot be combined with parameter filters (parameterId/parameterName)"
	msgParamIDAndName    = "parameterId and parameterName cannot be combined"
	msgValueWithoutParam = "parameterValue requires parameterId or parameterName"
	msgBadQuery          = "Invalid query string"
)

// listQuery is a validated list request.
type listQuery struct {
	limit  int
	after  int    // sequence number of the last customer already returned
	search string // lower-cased; "" for none
	digits string // the search's digits when it looks like a phone number
	status string

	byParam    bool
	paramID    string // "" with byParam: an unknown name, which matches nothing
	paramValue *string
}

// parseListQuery validates the query parameters. An empty value counts as
// absent. It returns the 400 message on failure.
func (s *Server) parseListQuery(raw string) (listQuery, string) {
	v, err := url.ParseQuery(raw)
	if err != nil {
		return listQuery{}, msgBadQuery
	}
	q := listQuery{limit: defaultLimit}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxLimit {
			return q, msgBadLimit
		}
		q.limit = n
	}
	if c := v.Get("cursor"); c != "" {
		seq, ok := s.decodeCursor(c)
		if !ok {
			return q, msgBadCursor
		}
		q.after = seq
	}
	switch st := v.Get("status"); st {
	case "":
	case StatusActive, StatusInactive, StatusArchived, StatusBanned:
		q.status = st
	default:
		return q, msgBadStatus
	}
	search := strings.TrimSpace(v.Get("search"))
	id, name, value := v.Get("parameterId"), v.Get("parameterName"), v.Get("parameterValue")
	switch {
	case search != "" && (id != "" || name != ""):
		return q, msgSearchWithParam
	case id != "" && name != "":
		return q, msgParamIDAndName
	case value != "" && id == "" && name == "":
		return q, msgValueWithoutParam
	}
	if search != "" {
		q.search = strings.ToLower(search)
		q.digits = phoneSearchDigits(search)
	}
	if id != "" || name != "" {
		q.byParam = true
		q.paramID = id
		if name != "" {
			q.paramID, _ = parameterIDByName(name)
		}
		if value != "" {
			q.paramValue = &value
		}
	}
	return q, ""
}

// phoneSearchDigits returns the digits of s if s is made only of phone
// characters (digits, spaces, "+", "-", ".", "(", ")") with at least three
// digits, and "" otherwise.
func phoneSearchDigits(s string) string {
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune("0123456789 +-.()", rune(s[i])) {
			return ""
		}
	}
	d := digitsOf(s)
	if len(d) < 3 {
		return ""
	}
	return d
}

// matches reports whether r passes q's filters and returns the matched
// parameter's value when q filters by parameter. The caller holds the read
// lock.
func (q *listQuery) matches(r *record) (value string, ok bool) {
	if q.status != "" && r.Status != q.status {
		return "", false
	}
	if q.search != "" {
		hit := !strings.ContainsRune(q.search, 0) && strings.Contains(r.haystack, q.search)
		if !hit && q.digits != "" {
			hit = strings.Contains(r.phoneDigits, q.digits)
		}
		if !hit {
			return "", false
		}
	}
	if q.byParam {
		p, found := r.Parameter(q.paramID)
		if !found || q.paramID == "" {
			return "", false
		}
		if q.paramValue != nil && !slices.Contains(p.Values, *q.paramValue) {
			return "", false
		}
		return p.Value(), true
	}
	return "", true
}

type pagination struct {
	HasMore    bool    `json:"hasMore"`
	NextCursor *string `json:"nextCursor"`
	PageSize   int     `json:"pageSize"`
}

// serveList answers GET /customers.
func (s *Server) serveList(w http.ResponseWriter, r *http.Request) {
	q, msg := s.parseListQuery(r.URL.RawQuery)
	if msg != "" {
		s.writeStringError(w, http.StatusBadRequest, msg)
		return
	}
	items := make([]listItem, 0, q.limit)
	last, more := 0, false
	s.mu.RLock()
	for _, rec := range s.customers[q.after:] {
		value, ok := q.matches(rec)
		if !ok {
			continue
		}
		if len(items) == q.limit {
			more = true
			break
		}
		it := rec.listItem()
		if q.byParam {
			it.ParameterValue = &value
		}
		items = append(items, it)
		last = rec.Seq
	}
	s.mu.RUnlock()

	p := pagination{HasMore: more, PageSize: q.limit}
	if more {
		c := s.encodeCursor(last)
		p.NextCursor = &c
	}
	writeJSON(w, http.StatusOK, struct {
		Success    bool       `json:"success"`
		Data       []listItem `json:"data"`
		Pagination pagination `json:"pagination"`
		Timestamp  string     `json:"timestamp"`
	}{true, items, p, s.timestamp()})
}

// Cursors are base64url (unpadded) of a version byte, the uvarint sequence
// number of the last customer returned and the first 8 bytes of an
// HMAC-SHA256 of both, keyed by the seed: opaque, and forged or altered
// cursors are rejected.
const (
	cursorVersion = 1
	cursorMACLen  = 8
	maxCursorLen  = 32
)

func (s *Server) cursorMAC(payload []byte) []byte {
	m := hmac.New(sha256.New, s.cursorKey)
	m.Write(payload)
	return m.Sum(nil)[:cursorMACLen]
}

func (s *Server) encodeCursor(seq int) string {
	b := binary.AppendUvarint([]byte{cursorVersion}, uint64(seq))
	b = append(b, s.cursorMAC(b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor returns the sequence number a cursor carries.
func (s *Server) decodeCursor(c string) (int, bool) {
	if len(c) > maxCursorLen {
		return 0, false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(c)
	if err != nil || len(b) < 2+cursorMACLen || b[0] != cursorVersion {
		return 0, false
	}
	payload, mac := b[:len(b)-cursorMACLen], b[len(b)-cursorMACLen:]
	seq, n := binary.Uvarint(payload[1:])
	if n <= 0 || 1+n != len(payload) || !hmac.Equal(mac, s.cursorMAC(payload)) {
		return 0, false
	}
	if seq < 1 || seq > uint64(len(s.customers)) {
		return 0, false
	}
	return int(seq), true
}
