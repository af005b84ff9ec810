package simkit

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// serveControl answers /__sim/*: no authentication, no latency, not
// counted, not logged.
func (k *Kit) serveControl(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/__sim/stats":
		if k.allow(w, r, http.MethodGet) {
			WriteJSON(w, http.StatusOK, k.Stats())
		}
	case "/__sim/reset":
		if k.allow(w, r, http.MethodPost) {
			k.Reset()
			w.WriteHeader(http.StatusNoContent)
		}
	case "/__sim/requests":
		if k.allow(w, r, http.MethodGet) {
			WriteJSON(w, http.StatusOK, k.Requests())
		}
	case "/__sim/customers":
		if k.allow(w, r, http.MethodGet) {
			var list []Customer
			if k.hooks.Customers != nil {
				list = k.hooks.Customers()
			}
			if list == nil {
				list = []Customer{}
			}
			WriteJSON(w, http.StatusOK, list)
		}
	case "/__sim/faults":
		if !k.allow(w, r, http.MethodGet, http.MethodPost, http.MethodDelete) {
			return
		}
		switch r.Method {
		case http.MethodGet:
			WriteJSON(w, http.StatusOK, k.Faults())
		case http.MethodDelete:
			k.ClearFaults()
			w.WriteHeader(http.StatusNoContent)
		case http.MethodPost:
			k.postFaults(w, r)
		}
	default:
		k.controlError(w, r, http.StatusNotFound, "Not found: "+r.URL.Path)
	}
}

func (k *Kit) controlError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	k.hooks.WriteError(w, &Failure{Cause: Control, Status: status, Message: msg, Request: r})
}

// allow reports whether r uses one of methods, answering 405 if not.
func (k *Kit) allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	k.controlError(w, r, http.StatusMethodNotAllowed, "Method "+r.Method+" not allowed")
	return false
}

// postFaults handles POST /__sim/faults.
func (k *Kit) postFaults(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil {
		k.controlError(w, r, http.StatusBadRequest, "cannot read body")
		return
	}
	var f Faults
	if err := json.Unmarshal(body, &f); err != nil {
		k.controlError(w, r, http.StatusBadRequest, strings.TrimPrefix(err.Error(), "json: "))
		return
	}
	if err := k.SetFaults(f); err != nil {
		k.controlError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	WriteJSON(w, http.StatusOK, k.Faults())
}

// WriteJSON answers with status and v as JSON (HTML characters are not
// escaped). If v cannot be encoded it answers 500 with {"error": ...}.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		buf.Reset()
		buf.WriteString(`{"error":"internal error: cannot encode the response"}` + "\n")
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
