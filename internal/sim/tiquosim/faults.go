package tiquosim

import (
	"fmt"
	"net/http"

	"customergraph/internal/sim/simkit"
)

// DefaultRetryAfter is the Retry-After, in seconds, of an injected 429
// without RetryAfter.
const DefaultRetryAfter = simkit.DefaultRetryAfter

// Faults are failures injected into API requests; see simkit.Faults. An
// injected status answers in the route's documented error shape.
type Faults = simkit.Faults

// writeError answers an error the kit raises: an injected fault, 401, 429,
// no route, or a control endpoint's complaint.
func (s *Server) writeError(w http.ResponseWriter, f *simkit.Failure) {
	rt, msg := f.Route, f.Message
	switch f.Cause {
	case simkit.Injected:
		msg = s.faultMessage(f)
	case simkit.NoKey, simkit.BadKey:
		msg = msgUnauthorized
	case simkit.RateLimited:
		msg = s.rateLimitMessage()
	}
	s.writeRouteError(w, rt, f.Status, codeForStatus(f.Status), msg)
}

// faultMessage is the message of an injected status: the one the docs give
// for it on the route, else the status text.
func (s *Server) faultMessage(f *simkit.Failure) string {
	msg := f.Message
	switch f.Status {
	case http.StatusUnauthorized:
		msg = msgUnauthorized
	case http.StatusTooManyRequests:
		msg = s.rateLimitMessage()
	case http.StatusNotFound:
		if f.Route == simkit.RouteGet {
			msg = msgNotFoundPrefix + f.Target
		} else if f.Route == simkit.RoutePatch {
			msg = msgPatchNotFound
		}
	case http.StatusBadRequest:
		if f.Route == simkit.RouteGet {
			msg = msgBadIdentifier
		}
	}
	if msg == "" {
		msg = fmt.Sprintf("Error %d", f.Status)
	}
	return msg
}
