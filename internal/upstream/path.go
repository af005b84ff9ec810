package upstream

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
)

// PathSegment escapes s for use as one segment of a request path, so that no
// value ("a/b", "?x", "#y", "..") can change the route: url.PathEscape, with
// the dot segments "." and ".." escaped too, since a proxy or server may
// resolve them.
func PathSegment(s string) string {
	switch s {
	case ".":
		return "%2E"
	case "..":
		return "%2E%2E"
	}
	return url.PathEscape(s)
}

// FirstInvalidField returns the first member of a JSON object that maps
// field names to what is wrong with them, such as Komerza's invalidFields
// or a Laravel "errors" object: its name, and its first message when the
// value is a string or an array whose first element is one. It returns ""
// for anything else.
func FirstInvalidField(obj json.RawMessage) (name, message string) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') || !dec.More() {
		return "", ""
	}
	t, err := dec.Token()
	if err != nil {
		return "", ""
	}
	name, _ = t.(string)
	var v json.RawMessage
	if dec.Decode(&v) != nil {
		return name, ""
	}
	var s string
	var list []json.RawMessage
	switch {
	case json.Unmarshal(v, &s) == nil:
	case json.Unmarshal(v, &list) == nil && len(list) > 0:
		json.Unmarshal(list[0], &s)
	}
	return name, strings.TrimSpace(s)
}
