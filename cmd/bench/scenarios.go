package main

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
)

// runW0 measures { __typename }: parsing, validation, the middleware
// and the HTTP stack, with no resolver work.
func runW0(ctx context.Context, b *bench) ([]row, error) {
	return b.onFacade(ctx, "W0", b.cfg.concurrency, func(f *facade) ([]row, error) {
		body := gqlBody(queryTypename, nil)
		w, err := b.measured(ctx, b.cfg.vendor.label("W0"), f.pid, true, func() (result, error) {
			return runLoad(ctx, b.client, b.spec(b.cfg.n, func(int) request { return f.gql(body) }))
		})
		if err != nil {
			return nil, err
		}
		w.note("framework floor")
		if w.Upstream.Total > 0 {
			w.note("%s", expectation("no upstream calls", false))
		}
		return []row{w}, nil
	})
}

// runW1Warm measures customer(email:) over 100 customers that were each
// requested once before the run, so every lookup is a cache hit.
func runW1Warm(ctx context.Context, b *bench) ([]row, error) {
	cs, err := b.warmSet()
	if err != nil {
		return nil, err
	}
	bodies := byEmailBodies(cs)
	return b.onFacade(ctx, "W1-warm", b.cfg.concurrency, func(f *facade) ([]row, error) {
		var nulls atomic.Int64
		err := b.warmUp(ctx, "warm-up", loadSpec{n: len(bodies), concurrency: b.cfg.concurrency, request: func(i int) request {
			r := f.gql(bodies[i])
			r.check = countingNulls("customer", &nulls)
			return r
		}})
		if err != nil {
			return nil, err
		}
		w, err := b.measured(ctx, b.cfg.vendor.label("W1-warm"), f.pid, true, func() (result, error) {
			return runLoad(ctx, b.client, b.spec(b.cfg.n, func(i int) request { return f.gql(bodies[i%len(bodies)]) }))
		})
		if err != nil {
			return nil, err
		}
		w.note("%d emails, each requested once before", len(bodies))
		w.note("%s", expectation("0 upstream calls", w.Upstream.Total == 0))
		if n := nulls.Load(); n > 0 {
			w.note("%d of %d warm-up lookups found nobody", n, len(bodies))
		}
		return []row{w}, nil
	})
}

// runW1Cold measures customer(email:) with a different customer in every
// request: a cache miss, an upstream GET and a write-back each.
func runW1Cold(ctx context.Context, b *bench) ([]row, error) {
	cs := withEmail(b.customers, b.cfg.n)
	if len(cs) == 0 {
		return nil, fmt.Errorf("the simulator lists no customers with an email")
	}
	return b.onFacade(ctx, "W1-cold", b.cfg.concurrency, func(f *facade) ([]row, error) {
		var nulls atomic.Int64
		w, err := b.measured(ctx, b.cfg.vendor.label("W1-cold"), f.pid, true, func() (result, error) {
			return runLoad(ctx, b.client, b.spec(len(cs), func(i int) request {
				r := f.gql(gqlBody(queryByEmail, map[string]any{"e": cs[i].Email}))
				r.check = countingNulls("customer", &nulls)
				return r
			}))
		})
		if err != nil {
			return nil, err
		}
		w.note("every request a different customer")
		if len(cs) < b.cfg.n {
			w.note("capped at the %d distinct customers available", len(cs))
		}
		if b.cfg.vendor == vendorXtrakit {
			// No email lookup upstream: the alias index, from the one
			// unpaginated list, answers; whatever it costs is counted.
			w.note("answered from the alias index of the vendor's unpaginated list: list calls, not gets")
		} else {
			w.note("%s", expectation("1 get per request", w.Upstream.Get == int64(w.Requests) && w.Upstream.Total == w.Upstream.Get))
		}
		if n := nulls.Load(); n > 0 {
			w.note("%d lookups found nobody", n)
		}
		return []row{w}, nil
	})
}

// firstThenWarm measures body's first request on a fresh facade alone,
// then its repetition, in rows named after the workload name and the
// vendor. check, when not nil, inspects the first response and returns
// notes.
func (b *bench) firstThenWarm(ctx context.Context, name string, f *facade, body []byte, check func([]byte) []string) ([]row, error) {
	var resp []byte
	first, err := b.measured(ctx, b.cfg.vendor.label(name, "first"), f.pid, true, func() (result, error) {
		res, got, err := runOne(ctx, b.client, f.gql(body))
		resp = got
		return res, err
	})
	if err != nil {
		return nil, err
	}
	first.note("first request, cold")
	if check != nil && first.Failed == 0 {
		first.Notes = append(first.Notes, check(resp)...)
	}
	warm, err := b.measured(ctx, b.cfg.vendor.label(name), f.pid, true, func() (result, error) {
		return runLoad(ctx, b.client, b.spec(b.cfg.n, func(int) request { return f.gql(body) }))
	})
	if err != nil {
		return nil, err
	}
	warm.note("repeated, warm")
	return []row{first, warm}, nil
}

// runW2 measures customers(first: 50) asking for a detail field that the
// vendor's list lacks (see pageQuery): cold (1 list + the detail GETs),
// then warm.
func runW2(ctx context.Context, b *bench) ([]row, error) {
	return b.onFacade(ctx, "W2", b.cfg.concurrency, func(f *facade) ([]row, error) {
		rows, err := b.firstThenWarm(ctx, "W2", f, gqlBody(pageQuery(b.cfg.vendor), nil), func(resp []byte) []string {
			if n, err := countNodes(resp); err != nil || n != 50 {
				return []string{fmt.Sprintf("the page has %d nodes, not 50", n)}
			}
			return nil
		})
		if err == nil {
			u := rows[0].Upstream
			if b.cfg.vendor != vendorTiquo {
				rows[0].note("detail field %s", detailField(b.cfg.vendor))
			}
			rows[0].note("%s", expectation("1 list + ≤ 50 get", u.List == 1 && u.Get <= 50 && u.Total == u.List+u.Get))
		}
		return rows, err
	})
}

// runW3 measures one query of 100 aliased lookups of 50 customers in
// mixed spellings: normalisation, dedup and batching, cold then warm.
func runW3(ctx context.Context, b *bench) ([]row, error) {
	if len(b.customers) < warmSetSize+w3Customers {
		return nil, fmt.Errorf("the simulator lists only %d customers; W3 needs %d", len(b.customers), warmSetSize+w3Customers)
	}
	cs := b.customers[warmSetSize : warmSetSize+w3Customers]
	body := gqlBody(w3Query(cs), nil)
	return b.onFacade(ctx, "W3", b.cfg.concurrency, func(f *facade) ([]row, error) {
		rows, err := b.firstThenWarm(ctx, "W3", f, body, w3Check(len(cs)))
		if err == nil {
			rows[0].note("%d lookups of %d customers", 2*len(cs), len(cs))
			rows[0].note("%s", expectation(fmt.Sprintf("≤ %d calls", len(cs)), rows[0].Upstream.Total <= int64(len(cs))))
		}
		return rows, err
	})
}

// runW4 releases bursts of identical concurrent requests for a customer
// not yet cached and counts the upstream calls of each burst: coalescing
// across requests should make it one.
func runW4(ctx context.Context, b *bench) ([]row, error) {
	var cs []simCustomer
	if len(b.customers) > warmSetSize+w3Customers {
		cs = withEmail(b.customers[warmSetSize+w3Customers:], burstCount)
	}
	if len(cs) < burstCount {
		return nil, fmt.Errorf("the simulator lists too few customers with an email for %d bursts", burstCount)
	}
	return b.onFacade(ctx, "W4", burstSize, func(f *facade) ([]row, error) {
		var details []burstDetail
		w, err := b.measured(ctx, "W4", f.pid, true, func() (result, error) {
			var (
				bursts []result
				prev   simStats
			)
			for _, c := range cs {
				res, err := runBurst(ctx, b.client, burstSize, f.gql(gqlBody(queryByEmail, map[string]any{"e": c.Email})))
				if err != nil {
					return result{}, err
				}
				st, err := b.sim.stats(ctx)
				if err != nil {
					return result{}, err
				}
				details = append(details, burstDetail{
					UpstreamCalls: st.Total - prev.Total,
					Failed:        res.failed,
					P50ms:         ms(percentile(res.latencies, 50)),
					P99ms:         ms(percentile(res.latencies, 99)),
					MaxMs:         ms(percentile(res.latencies, 100)),
				})
				prev = st
				bursts = append(bursts, res)
			}
			return merge(bursts...), nil
		})
		if err != nil {
			return nil, err
		}
		calls := make([]string, len(details))
		for i, d := range details {
			calls[i] = strconv.FormatInt(d.UpstreamCalls, 10)
		}
		w.Bursts, w.BurstDetails = burstCount, details
		w.note("%d bursts of %d released together, each for a customer not requested before", burstCount, burstSize)
		w.note("upstream calls per burst: %s", strings.Join(calls, ", "))
		w.note("%s", expectation("1 call per burst", w.Upstream.Total == burstCount))
		return []row{w}, nil
	})
}

// runW5 measures the largest page with every field of Customer, warm:
// resolver and serialisation cost per node.
func runW5(ctx context.Context, b *bench) ([]row, error) {
	body := gqlBody(queryFullPage, nil)
	return b.onFacade(ctx, "W5", b.cfg.concurrency, func(f *facade) ([]row, error) {
		res, resp, err := runOne(ctx, b.client, f.gql(body))
		switch {
		case err != nil:
			return nil, err
		case res.failed > 0:
			return nil, fmt.Errorf("warm-up request: %s", res.failures[0].Message)
		}
		w, err := b.measured(ctx, "W5", f.pid, true, func() (result, error) {
			return runLoad(ctx, b.client, b.spec(b.cfg.n, func(int) request { return f.gql(body) }))
		})
		if err != nil {
			return nil, err
		}
		w.note("warm, after one warm-up request")
		if n, err := countNodes(resp); err != nil || n != 100 {
			w.note("the page has %d nodes, not 100", n)
		}
		w.note("%d bytes per response", len(resp))
		return []row{w}, nil
	})
}

// restGets returns the baselines' requests: GET /customers/{email} at base
// with the simulator's key, cycling over cs.
func (b *bench) restGets(base string, cs []simCustomer) func(i int) request {
	urls := make([]string, len(cs))
	for i, c := range cs {
		urls[i] = base + "/customers/" + url.PathEscape(c.Email)
	}
	return func(i int) request {
		return request{method: "GET", url: urls[i%len(urls)], key: b.cfg.simKey}
	}
}

// baseline runs a REST baseline against base: a warm-up over cs, then the
// measured run. pid is the process whose peak RSS the row shows.
func (b *bench) baseline(ctx context.Context, name, base string, pid int, cs []simCustomer) (row, error) {
	req := b.restGets(base, cs)
	if err := b.warmUp(ctx, "warm-up", loadSpec{n: len(cs), concurrency: b.cfg.concurrency, request: req}); err != nil {
		return row{}, err
	}
	return b.measured(ctx, name, pid, false, func() (result, error) {
		return runLoad(ctx, b.client, b.spec(b.cfg.n, req))
	})
}

// runBDirect measures the simulator alone with W1-warm's lookups as REST
// GETs: the floor under any facade.
func runBDirect(ctx context.Context, b *bench) ([]row, error) {
	cs, err := b.warmSet()
	if err != nil {
		return nil, err
	}
	w, err := b.baseline(ctx, "B-direct", b.sim.url, 0, cs)
	if err != nil {
		return nil, err
	}
	w.note("REST straight to the simulator, W1-warm's emails")
	return []row{w}, nil
}

// runBProxy measures the same GETs through a bare httputil.ReverseProxy
// process: the floor of a Go proxy hop.
func runBProxy(ctx context.Context, b *bench) ([]row, error) {
	cs, err := b.warmSet()
	if err != nil {
		return nil, err
	}
	p, proxyURL, err := startProxy(ctx, b.procs, b.sim.url)
	if err != nil {
		return nil, err
	}
	w, err := b.baseline(ctx, "B-proxy", proxyURL, p.pid(), cs)
	b.client.CloseIdleConnections()
	stopErr := p.stop(stopGrace)
	if err != nil {
		return nil, err
	}
	w.note("REST through httputil.ReverseProxy; RSS is the proxy's")
	if stopErr != nil {
		w.note("%v", stopErr)
	}
	return []row{w}, nil
}
