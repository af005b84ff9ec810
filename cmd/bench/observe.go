package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// simStats is the simulator's GET /__sim/stats: API requests by route since
// the last reset.
type simStats struct {
	Get          int64 `json:"get"`
	List         int64 `json:"list"`
	Patch        int64 `json:"patch"`
	Total        int64 `json:"total"`
	PeakInFlight int64 `json:"peakInFlight"`
}

// simClient talks to the simulator's control endpoints, which are the same
// for every vendor.
type simClient struct {
	url    string // base URL, no trailing slash
	client *http.Client
}

// reset zeroes the simulator's counters.
func (s *simClient) reset(ctx context.Context) error {
	return s.do(ctx, http.MethodPost, "/__sim/reset", nil)
}

// stats reads the simulator's counters.
func (s *simClient) stats(ctx context.Context) (simStats, error) {
	var st simStats
	err := s.do(ctx, http.MethodGet, "/__sim/stats", &st)
	return st, err
}

// do sends one request and decodes a 2xx answer's JSON into out (when not
// nil).
func (s *simClient) do(ctx context.Context, method, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, s.url+path, nil)
	if err != nil {
		return err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("simulator: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("simulator: %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("simulator: %s %s: HTTP %d: %s", method, path, resp.StatusCode, snippet(body))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("simulator: %s %s: %w", method, path, err)
	}
	return nil
}

// simCustomer is what the workloads need of a customer: its identifiers.
// Email and Phone are the primary ones, "" when the customer has none;
// Number is "" for a vendor without customer numbers.
type simCustomer struct {
	Number string
	Email  string
	Phone  string // as the simulator stores it: E.164 for Tiquo
}

// customers reads the simulator's GET /__sim/customers, every customer in
// data-set order whatever the vendor, as far as it takes to have at least
// total customers of which at least withEmail have an email, or to the
// end. It is a control endpoint: it costs no API call of the counters.
func (s *simClient) customers(ctx context.Context, total, withEmail int) ([]simCustomer, error) {
	const path = "/__sim/customers"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("simulator: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		return nil, fmt.Errorf("simulator: GET %s: HTTP %d: %s", path, resp.StatusCode, snippet(body))
	}
	out, err := decodeSimCustomers(resp.Body, total, withEmail)
	if err != nil {
		return nil, fmt.Errorf("simulator: GET %s: %w", path, err)
	}
	return out, nil
}

// decodeSimCustomers decodes the JSON array of /__sim/customers from r,
// entry by entry, and stops once it has total customers of which withEmail
// have an email, or at the end of the array.
func decodeSimCustomers(r io.Reader, total, withEmail int) ([]simCustomer, error) {
	dec := json.NewDecoder(r)
	if t, err := dec.Token(); err != nil {
		return nil, err
	} else if t != json.Delim('[') {
		return nil, fmt.Errorf("want a JSON array, got %v", t)
	}
	var (
		out    []simCustomer
		emails int
	)
	for (len(out) < total || emails < withEmail) && dec.More() {
		var e struct {
			Email          *string `json:"email"`
			Phone          *string `json:"phone"`
			CustomerNumber *string `json:"customerNumber"`
		}
		if err := dec.Decode(&e); err != nil {
			return nil, err
		}
		c := simCustomer{Number: deref(e.CustomerNumber), Email: deref(e.Email), Phone: deref(e.Phone)}
		if c.Email != "" {
			emails++
		}
		out = append(out, c)
	}
	return out, nil
}

// deref returns *p, or "" for nil.
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// redisStats reads a Redis server's command counters, or the sum of a
// Redis Cluster's masters'.
type redisStats struct {
	client  *redis.Client        // one server
	cluster *redis.ClusterClient // or a cluster
}

// newRedisStats returns a redisStats for the Redis at addr, or for the
// cluster addr is a node of. Its connections send nothing on connect
// besides the handshake, and only INFO after it, which commandCalls leaves
// out (and, on a cluster, CLUSTER SLOTS, to find the masters).
func newRedisStats(addr string, cluster bool) *redisStats {
	if cluster {
		return &redisStats{cluster: redis.NewClusterClient(&redis.ClusterOptions{
			Addrs:                    []string{addr},
			PoolSize:                 1,
			DisableIdentity:          true,
			DisableRoutingPolicies:   true,
			MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
		})}
	}
	return &redisStats{client: redis.NewClient(&redis.Options{
		Addr:                     addr,
		PoolSize:                 1,
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})}
}

// ping checks that the server, or every master, answers.
func (r *redisStats) ping(ctx context.Context) error {
	if r.cluster != nil {
		return r.cluster.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error { return m.Ping(ctx).Err() })
	}
	return r.client.Ping(ctx).Err()
}

// flushDB empties the Redis database (the one both servers use), on every
// master of a cluster.
func (r *redisStats) flushDB(ctx context.Context) error {
	if r.cluster != nil {
		return r.cluster.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error { return m.FlushDB(ctx).Err() })
	}
	return r.client.FlushDB(ctx).Err()
}

// commandCalls returns the calls of every command from INFO commandstats,
// summed over a cluster's masters.
func (r *redisStats) commandCalls(ctx context.Context) (map[string]int64, error) {
	if r.cluster == nil {
		return commandCallsOf(ctx, r.client)
	}
	var mu sync.Mutex
	sum := map[string]int64{}
	err := r.cluster.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		calls, err := commandCallsOf(ctx, m)
		mu.Lock()
		for k, v := range calls {
			sum[k] += v
		}
		mu.Unlock()
		return err
	})
	return sum, err
}

func commandCallsOf(ctx context.Context, c *redis.Client) (map[string]int64, error) {
	info, err := c.Info(ctx, "commandstats").Result()
	if err != nil {
		return nil, fmt.Errorf("redis INFO commandstats: %w", err)
	}
	return parseCommandStats(info)
}

// Close closes the connections.
func (r *redisStats) Close() error {
	if r.cluster != nil {
		return r.cluster.Close()
	}
	return r.client.Close()
}

// parseCommandStats parses the output of INFO commandstats into calls per
// command, e.g. "get" or "client|setinfo". Lines that are not cmdstat_
// lines (the section header, blank lines) are ignored.
//
//	cmdstat_get:calls=21,usec=175,usec_per_call=8.33,rejected_calls=0,failed_calls=0
func parseCommandStats(info string) (map[string]int64, error) {
	calls := map[string]int64{}
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		rest, ok := strings.CutPrefix(line, "cmdstat_")
		if !ok {
			continue
		}
		name, fields, ok := strings.Cut(rest, ":")
		if !ok || name == "" {
			return nil, fmt.Errorf("commandstats line %q: no colon", line)
		}
		found := false
		for f := range strings.SplitSeq(fields, ",") {
			v, ok := strings.CutPrefix(f, "calls=")
			if !ok {
				continue
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("commandstats line %q: bad calls", line)
			}
			calls[name], found = n, true
		}
		if !found {
			return nil, fmt.Errorf("commandstats line %q: no calls=", line)
		}
	}
	return calls, sc.Err()
}

// commandDelta returns, per command, the calls made between two
// commandstats snapshots, and their total. INFO itself (the snapshots) is
// left out; commands with no new calls are omitted.
func commandDelta(before, after map[string]int64) (map[string]int64, int64) {
	delta := map[string]int64{}
	var total int64
	for name, n := range after {
		if name == "info" {
			continue
		}
		if d := n - before[name]; d > 0 {
			delta[name] = d
			total += d
		}
	}
	return delta, total
}

// peakRSS returns the peak resident set size (VmHWM) of the process pid in
// bytes.
func peakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseVmHWM(string(b))
}

// treePeakRSS returns the sum of the peak RSS (VmHWM) of the process pid
// and of all its descendants alive now: each process's own peak, which
// for a server of several processes (a cluster's primary and workers)
// bounds the peak of the whole from above. A descendant that exits while
// it is read is left out.
func treePeakRSS(pid int) (int64, error) {
	total, err := peakRSS(pid)
	if err != nil {
		return 0, err
	}
	kids, err := descendants(pid)
	if err != nil {
		return 0, err
	}
	for _, k := range kids {
		if rss, err := peakRSS(k); err == nil {
			total += rss
		}
	}
	return total, nil
}

// descendants returns the IDs of the processes below pid in the process
// tree, read from the parent IDs in /proc/<pid>/stat.
func descendants(pid int) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // it exited
		}
		if ppid, ok := parseStatPPID(string(b)); ok {
			children[ppid] = append(children[ppid], p)
		}
	}
	var out []int
	for queue := children[pid]; len(queue) > 0; {
		p := queue[0]
		queue = append(queue[1:], children[p]...)
		out = append(out, p)
	}
	return out, nil
}

// parseStatPPID returns the parent process ID from the text of a
// /proc/<pid>/stat file: "pid (comm) state ppid …", where comm may hold
// spaces and parentheses.
func parseStatPPID(stat string) (int, bool) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(f[1])
	return ppid, err == nil
}

// parseVmHWM returns the VmHWM line of a /proc/<pid>/status file in bytes.
func parseVmHWM(status string) (int64, error) {
	for line := range strings.SplitSeq(status, "\n") {
		v, ok := strings.CutPrefix(line, "VmHWM:")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("VmHWM line %q: want <n> kB", line)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("VmHWM line %q: %w", line, err)
		}
		return kb * 1024, nil
	}
	return 0, errors.New("no VmHWM line in the process status")
}
