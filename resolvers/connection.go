package resolvers

import (
	"strings"
	"unicode/utf8"

	"customergraph/graph/model"
	"customergraph/internal/customer"
	"customergraph/loaders"
)

const (
	maxFirst     = 100
	defaultFirst = 50
	// maxSearch bounds a search string; names, emails and numbers are short.
	maxSearch = 200
	// maxParam bounds a parameter filter's id, name and value.
	maxParam = 200
)

// listQuery validates the customers arguments. Every error is
// BAD_USER_INPUT, or NOT_SUPPORTED for a filter the vendor cannot serve,
// and is found before any upstream call.
func listQuery(caps customer.Capabilities, first *int, after, search *string, status *customer.Status, param *model.CustomerParameterFilter, group *string) (loaders.ListQuery, error) {
	q := loaders.ListQuery{First: defaultFirst}
	if first != nil {
		q.First = *first
	}
	if q.First < 1 || q.First > maxFirst {
		return q, badInput("first must be between 1 and %d, got %d", maxFirst, q.First)
	}
	if after != nil {
		q.After = *after
	}
	if search != nil {
		s := strings.TrimSpace(*search)
		if err := checkText("search", s, maxSearch); err != nil {
			return q, err
		}
		q.Search = s
	}
	if status != nil {
		if *status == customer.StatusUnknown || !status.Valid() {
			return q, badInput("status: %s cannot be used as a filter", *status)
		}
		q.Status = *status
	}
	if param != nil {
		id, name, value := param.ID.Value(), param.Name.Value(), param.Value.Value()
		switch {
		case (id == nil) == (name == nil):
			return q, badInput("parameter: give exactly one of id and name")
		case q.Search != "":
			return q, badInput("search cannot be combined with a parameter filter")
		}
		for _, f := range []struct {
			name string
			v    *string
			dst  *string
		}{{"parameter.id", id, &q.ParameterID}, {"parameter.name", name, &q.ParameterName}, {"parameter.value", value, &q.ParameterValue}} {
			if f.v == nil {
				continue
			}
			if err := checkText(f.name, *f.v, maxParam); err != nil {
				return q, err
			}
			*f.dst = *f.v
		}
		if q.ParameterID == "" && q.ParameterName == "" {
			return q, badInput("parameter: give exactly one of id and name")
		}
	}
	if group != nil {
		g := strings.TrimSpace(*group)
		if err := checkText("group", g, maxParam); err != nil {
			return q, err
		}
		if g == "" {
			return q, badInput("group: empty")
		}
		q.Group = g
	}
	for _, f := range []struct {
		name string
		set  bool
	}{{"search", search != nil}, {"status", status != nil}, {"parameter", param != nil}, {"group", group != nil}} {
		if f.set && !caps.CanFilter(f.name) {
			return q, notSupported(caps.Vendor, "%s: %s cannot filter customers by %s", f.name, caps.Vendor.Name(), f.name)
		}
	}
	return q, nil
}

// checkText rejects over-long strings and control characters.
func checkText(name, s string, max int) error {
	if len(s) > max {
		return badInput("%s: longer than %d bytes", name, max)
	}
	if !utf8.ValidString(s) {
		return badInput("%s: not valid UTF-8", name)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return badInput("%s: contains a control character", name)
		}
	}
	return nil
}

// connection maps a page onto the Relay connection types, with the edges'
// cursors when cursors is set (else they are empty: a query that selects
// none need not pay for signing them).
func connection(p *loaders.ListPage, cursors bool) *model.CustomerConnection {
	conn := &model.CustomerConnection{
		Edges:    make([]model.CustomerEdge, len(p.Edges)),
		Nodes:    make([]customer.Customer, len(p.Edges)),
		PageInfo: &model.PageInfo{HasNextPage: p.HasNextPage},
	}
	for i, e := range p.Edges {
		conn.Nodes[i] = *e.Node
		conn.Edges[i] = model.CustomerEdge{Node: &conn.Nodes[i], ParameterValue: e.ParameterValue}
		if cursors {
			conn.Edges[i].Cursor = p.Cursor(i)
		}
	}
	if n := len(p.Edges); n > 0 {
		conn.PageInfo.StartCursor = &conn.Edges[0].Cursor
		conn.PageInfo.EndCursor = &conn.Edges[n-1].Cursor
	}
	return conn
}
