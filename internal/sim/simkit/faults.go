package simkit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// DefaultRetryAfter is the Retry-After, in seconds, of an injected 429
// without RetryAfter.
const DefaultRetryAfter = 60

// Faults are failures injected into API requests. A request on one of
// Routes first waits Latency (on top of Config.Latency), then, with
// probability Rate, is answered with Status and an error body in the
// vendor's shape for the route, before authentication: an outage answers
// every caller. A faulted request is still counted and logged. Requests
// that match no route are never faulted. The zero Faults injects nothing.
//
// In JSON (POST /__sim/faults) Faults is
//
//	{"status": 503, "rate": 1.0, "latency": "2s", "routes": ["get"], "retryAfter": 3}
//
// with any subset of the keys: latency is a Go duration string, an omitted
// rate is 1 and an explicit rate of 0 disables the status.
type Faults struct {
	Status     int           // 400–599, or 0 for none
	Rate       float64       // probability in [0, 1]; 0 with a Status means 1
	Latency    time.Duration // extra latency, slept before the status draw
	Routes     []string      // among "get", "list", "patch"; empty means all
	RetryAfter int           // seconds, sent as Retry-After with a 429; 0 means DefaultRetryAfter
}

type faultsJSON struct {
	Status     *int     `json:"status"`
	Rate       *float64 `json:"rate"`
	Latency    *string  `json:"latency"`
	Routes     []string `json:"routes"`
	RetryAfter *int     `json:"retryAfter"`
}

// MarshalJSON encodes f with its latency as a duration string.
func (f Faults) MarshalJSON() ([]byte, error) {
	routes := f.Routes
	if routes == nil {
		routes = []string{}
	}
	lat := f.Latency.String()
	return json.Marshal(faultsJSON{&f.Status, &f.Rate, &lat, routes, &f.RetryAfter})
}

// UnmarshalJSON decodes the JSON form described on Faults. Unknown keys
// are an error.
func (f *Faults) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return errors.New("faults must be a JSON object")
	}
	var raw faultsJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return fmt.Errorf("invalid faults: %w", err)
	}
	var out Faults
	if raw.Status != nil {
		out.Status = *raw.Status
	}
	out.Rate = 1
	if raw.Rate != nil {
		out.Rate = *raw.Rate
		if out.Rate == 0 {
			out.Status = 0
		}
	}
	if raw.Latency != nil && *raw.Latency != "" {
		d, err := time.ParseDuration(*raw.Latency)
		if err != nil {
			return fmt.Errorf("invalid faults: latency %q is not a duration such as \"2s\"", *raw.Latency)
		}
		out.Latency = d
	}
	out.Routes = raw.Routes
	if raw.RetryAfter != nil {
		out.RetryAfter = *raw.RetryAfter
	}
	*f = out
	return nil
}

// Validate checks f and returns it normalised: routes lower-cased and
// de-duplicated, the rate 0 without a status and 1 for a status without a
// rate, and DefaultRetryAfter for a 429 without RetryAfter.
func (f Faults) Validate() (Faults, error) {
	switch {
	case f.Status != 0 && (f.Status < 400 || f.Status > 599):
		return f, fmt.Errorf("invalid faults: status %d is not 0 or 400–599", f.Status)
	case f.Rate < 0 || f.Rate > 1 || f.Rate != f.Rate:
		return f, fmt.Errorf("invalid faults: rate %v is not in [0, 1]", f.Rate)
	case f.Latency < 0:
		return f, errors.New("invalid faults: negative latency")
	case f.RetryAfter < 0:
		return f, errors.New("invalid faults: negative retryAfter")
	}
	routes := make([]string, 0, len(f.Routes))
	for _, r := range f.Routes {
		r = strings.ToLower(strings.TrimSpace(r))
		if r != "get" && r != "list" && r != "patch" {
			return f, fmt.Errorf("invalid faults: route %q is not get, list or patch", r)
		}
		if !slices.Contains(routes, r) {
			routes = append(routes, r)
		}
	}
	f.Routes = routes
	if f.Status == 0 {
		f.Rate = 0
	} else if f.Rate == 0 {
		f.Rate = 1
	}
	if f.Status == http.StatusTooManyRequests && f.RetryAfter == 0 {
		f.RetryAfter = DefaultRetryAfter
	}
	return f, nil
}

// SetFaults replaces the injected faults. It returns an error, and changes
// nothing, if f is invalid.
func (k *Kit) SetFaults(f Faults) error {
	f, err := f.Validate()
	if err != nil {
		return err
	}
	k.faults.Store(&f)
	return nil
}

// ClearFaults removes every injected fault.
func (k *Kit) ClearFaults() { k.faults.Store(nil) }

// Faults returns the faults in force, normalised as Validate does.
func (k *Kit) Faults() Faults {
	if f := k.faults.Load(); f != nil {
		out := *f
		out.Routes = slices.Clone(f.Routes)
		return out
	}
	return Faults{Routes: []string{}}
}

// faultFor returns the faults that apply to rt, or nil.
func (k *Kit) faultFor(rt Route) *Faults {
	f := k.faults.Load()
	if f == nil || rt == RouteNone {
		return nil
	}
	if len(f.Routes) > 0 && !slices.Contains(f.Routes, rt.String()) {
		return nil
	}
	return f
}

// fires draws whether f's status is injected into this request.
func (k *Kit) fires(f *Faults) bool {
	switch {
	case f.Status == 0 || f.Rate <= 0:
		return false
	case f.Rate >= 1:
		return true
	}
	k.rngMu.Lock()
	defer k.rngMu.Unlock()
	return k.rng.Float64() < f.Rate
}
