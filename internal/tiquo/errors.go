package tiquo

import (
	"encoding/json"
	"strings"

	"customergraph/internal/upstream"
)

// The error values a call can match with errors.Is: the shared values of
// package upstream, which every vendor client maps its failures to.
var (
	ErrNotFound     = upstream.ErrNotFound
	ErrUnauthorized = upstream.ErrUnauthorized
	ErrForbidden    = upstream.ErrForbidden
	ErrConflict     = upstream.ErrConflict
	ErrValidation   = upstream.ErrValidation
	ErrRateLimited  = upstream.ErrRateLimited
	ErrUnavailable  = upstream.ErrUnavailable
	ErrUnexpected   = upstream.ErrUnexpected
)

// Error is the error returned by every Client method; see upstream.Error.
type Error = upstream.Error

// api names this API in error text.
const api = "tiquo"

// errorBody is the upstream error envelope. Error is either a string
// ({"success":false,"error":"text"}) or an object
// ({"success":false,"error":{"code":"...","message":"..."}}).
type errorBody struct {
	Success *bool           `json:"success"`
	Error   json.RawMessage `json:"error"`
	Message string          `json:"message"`
}

// parseErrorBody extracts the code and message from an error envelope. It
// returns empty strings for bodies that are not one (e.g. an HTML error page).
func parseErrorBody(body []byte) (code, message string) {
	var eb errorBody
	if json.Unmarshal(body, &eb) != nil {
		return "", ""
	}
	message = eb.Message
	var s string
	var obj struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	switch {
	case len(eb.Error) == 0:
	case json.Unmarshal(eb.Error, &s) == nil:
		message = s
	case json.Unmarshal(eb.Error, &obj) == nil:
		code = obj.Code
		if obj.Message != "" {
			message = obj.Message
		}
	}
	return code, strings.TrimSpace(message)
}
