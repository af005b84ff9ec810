// Package admin serves customergraph's operator endpoints, authorised by
// admin keys that are never client keys: today, cache invalidation for
// changes made outside the facade (in a vendor's own admin screens).
//
//	POST /admin/cache/invalidate
//	Authorization: Bearer <admin key>
//	{"tenant": "default", "ids": ["cus_1"], "identifiers": ["ada@example.com"]}
//
//	200 {"tenant": "default", "records": 1, "keys": 4}
//
// Errors are answered as GraphQL errors are, {"errors": [{"message",
// "extensions": {"code"}}]}: UNAUTHENTICATED (401), BAD_REQUEST (400: the
// body), BAD_USER_INPUT (400: an identifier), NOT_FOUND (404: the
// tenant), CACHE_UNAVAILABLE (503: nothing may have been removed; repeat
// the call).
package admin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"customergraph/loaders"
)

// Invalidator removes what the cache holds of some customers of one
// tenant; *loaders.Service is one.
type Invalidator interface {
	Invalidate(ctx context.Context, ids, identifiers []string) (loaders.Invalidation, error)
}

// Options configure Handler.
type Options struct {
	// Keys are the admin API keys. Required: with none, every request is
	// refused.
	Keys []string
	// Tenants are the tenants whose caches may be invalidated, by name.
	Tenants map[string]Invalidator
	// Announce, if set, is called after a tenant's cache was invalidated,
	// to tell the other instances (what they hold in memory). Its error is
	// logged: the shared cache has changed already.
	Announce func(ctx context.Context, tenant string) error
	// MaxItems bounds ids and identifiers together in one request.
	//
	// default: 1000
	MaxItems int
	// Logger receives one line per invalidation (tenant and counts, never
	// the identifiers) and Announce's errors.
	//
	// default: slog.Default()
	Logger *slog.Logger
}

// maxBody bounds a request body.
const maxBody = 1 << 20

// Handler returns the admin endpoints' handler, to be mounted at /admin/.
func Handler(o Options) http.Handler {
	if o.MaxItems <= 0 {
		o.MaxItems = 1000
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	digests := make([][32]byte, len(o.Keys))
	for i, k := range o.Keys {
		digests[i] = sha256.Sum256([]byte(k))
	}
	h := &handler{o: o, keys: digests}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /admin/cache/invalidate", h.invalidate)
	mux.HandleFunc("/admin/", func(w http.ResponseWriter, r *http.Request) {
		if !h.authorised(r) {
			refuse(w, http.StatusUnauthorized, "UNAUTHENTICATED", "an admin key is required: Authorization: Bearer <key>")
			return
		}
		refuse(w, http.StatusNotFound, "NOT_FOUND", "no such admin endpoint: POST /admin/cache/invalidate is")
	})
	return mux
}

type handler struct {
	o    Options
	keys [][32]byte
}

// authorised reports whether r carries an admin key, comparing digests in
// constant time.
func (h *handler) authorised(r *http.Request) bool {
	scheme, key, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || key == "" {
		return false
	}
	d := sha256.Sum256([]byte(strings.TrimSpace(key)))
	found := 0
	for _, k := range h.keys {
		found |= subtle.ConstantTimeCompare(d[:], k[:])
	}
	return found == 1
}

type invalidateRequest struct {
	Tenant      string   `json:"tenant"`
	IDs         []string `json:"ids"`
	Identifiers []string `json:"identifiers"`
}

type invalidateResponse struct {
	Tenant string `json:"tenant"`
	loaders.Invalidation
}

func (h *handler) invalidate(w http.ResponseWriter, r *http.Request) {
	if !h.authorised(r) {
		refuse(w, http.StatusUnauthorized, "UNAUTHENTICATED", "an admin key is required: Authorization: Bearer <key>")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		refuse(w, http.StatusUnsupportedMediaType, "BAD_REQUEST", "the body must be JSON (Content-Type: application/json)")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		refuse(w, http.StatusRequestEntityTooLarge, "BAD_REQUEST", "the body is larger than 1 MiB")
		return
	}
	var req invalidateRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || dec.More() {
		refuse(w, http.StatusBadRequest, "BAD_REQUEST",
			`the body must be one JSON object: {"tenant": "...", "ids": ["..."], "identifiers": ["..."]}`)
		return
	}
	n := len(req.IDs) + len(req.Identifiers)
	switch {
	case req.Tenant == "":
		refuse(w, http.StatusBadRequest, "BAD_REQUEST", `"tenant" is required`)
		return
	case n == 0:
		refuse(w, http.StatusBadRequest, "BAD_REQUEST", `name at least one customer in "ids" or "identifiers"`)
		return
	case n > h.o.MaxItems:
		refuse(w, http.StatusBadRequest, "BAD_REQUEST", "at most "+strconv.Itoa(h.o.MaxItems)+` entries in "ids" and "identifiers" together`)
		return
	}
	t, ok := h.o.Tenants[req.Tenant]
	if !ok {
		refuse(w, http.StatusNotFound, "NOT_FOUND", "no tenant of that name")
		return
	}
	inv, err := t.Invalidate(r.Context(), req.IDs, req.Identifiers)
	var ie *loaders.InputError
	switch {
	case errors.As(err, &ie):
		refuse(w, http.StatusBadRequest, "BAD_USER_INPUT", ie.Error())
		return
	case err != nil:
		h.o.Logger.Warn("cache invalidation failed", "tenant", req.Tenant, "err", err)
		w.Header().Set("Retry-After", "1")
		refuse(w, http.StatusServiceUnavailable, "CACHE_UNAVAILABLE", "the cache could not be changed; nothing may have been removed: repeat the request")
		return
	}
	if h.o.Announce != nil {
		if err := h.o.Announce(r.Context(), req.Tenant); err != nil {
			h.o.Logger.Warn("cache invalidation not announced to the other instances; their in-memory lists expire on their own", "tenant", req.Tenant, "err", err)
		}
	}
	h.o.Logger.Info("cache invalidated", "tenant", req.Tenant, "asked", n, "records", inv.Records, "keys", inv.Keys)
	writeJSON(w, http.StatusOK, invalidateResponse{Tenant: req.Tenant, Invalidation: inv})
}

func refuse(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"errors": []map[string]any{{
		"message": msg, "extensions": map[string]any{"code": code},
	}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
