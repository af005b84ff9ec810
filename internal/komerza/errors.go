package komerza

import (
	"encoding/json"
	"strings"

	"customergraph/internal/upstream"
)

// errorBody is the API's envelope as an error response carries it:
// {"success": false, "message": "...", "code": "...", "data": null}, on a
// 400 perhaps with invalidFields (not in the published schema). title and
// errors are those of an ASP.NET problem-details body, which a framework in
// front of the API may send instead.
type errorBody struct {
	Message       *string         `json:"message"`
	Code          *string         `json:"code"`
	InvalidFields json.RawMessage `json:"invalidFields"`
	Title         *string         `json:"title"`
	Errors        json.RawMessage `json:"errors"`
}

// parseErrorBody extracts the code and message from an error body. It adds
// the first invalid field, if any, to the message: "Validation failed
// (newBalance: must be at least 0)". It returns empty strings for a body
// that is not JSON (e.g. an HTML error page).
func parseErrorBody(body []byte) (code, message string) {
	var eb errorBody
	if json.Unmarshal(body, &eb) != nil {
		return "", ""
	}
	code = strings.TrimSpace(deref(eb.Code))
	message = strings.TrimSpace(deref(eb.Message))
	if message == "" {
		message = strings.TrimSpace(deref(eb.Title))
	}
	fields := eb.InvalidFields
	if len(fields) == 0 {
		fields = eb.Errors
	}
	name, why := upstream.FirstInvalidField(fields)
	switch {
	case name == "":
	case message == "" && why == "":
		message = "invalid field " + name
	case message == "":
		message = name + ": " + why
	case why == "":
		message += " (" + name + ")"
	default:
		message += " (" + name + ": " + why + ")"
	}
	return code, message
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
