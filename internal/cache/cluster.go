package cache

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"customergraph/internal/telemetry"
)

// clusterRedirects is how many times a cluster client follows a MOVED or
// ASK redirection, or sends a command again after its node failed, before
// it gives up: at once each time, without backoff, because the cache's
// own deadline (RedisOptions.Timeout) is far shorter than any backoff.
const clusterRedirects = 3

// clusterReload is the longest a cluster client goes without reloading the
// slot map. Errors make it reload sooner (see Redis.do): a failover is
// followed within a fraction of a second of the replica's promotion.
const clusterReload = 5 * time.Second

// ErrPartial is returned, wrapped, by an operation on a Redis Cluster that
// some masters answered and others did not (a master died, its slots not
// yet moved to a replica): Get's values for the keys that were read are
// good, and the others are misses. It does not count against the cache's
// breaker: the cluster is there, a part of it is not.
var ErrPartial = errors.New("some Redis Cluster nodes did not answer")

// parseClusterURL is ParseRedisURL with opts.Cluster set.
func parseClusterURL(url string, opts RedisOptions, wait time.Duration) (redis.UniversalClient, error) {
	o, err := redis.ParseClusterURL(url)
	if err != nil {
		return nil, fmt.Errorf("cache: parse Redis Cluster URL: %w", redactURLError(err))
	}
	o.ReadTimeout = wait
	o.WriteTimeout = wait
	o.PoolTimeout = wait
	o.DialTimeout = opts.DialTimeout
	o.PoolSize = opts.PoolSize // per node
	setBuffers(&o.ReadBufferSize, &o.WriteBufferSize, &o.PipelineReadBufferSize, &o.PipelineWriteBufferSize, opts)
	o.MaxRetries = -1
	o.DialerRetries = 1
	o.MaxRedirects = clusterRedirects
	o.MinRetryBackoff, o.MaxRetryBackoff = -1, -1 // no sleep between attempts
	o.ClusterStateReloadInterval = clusterReload
	o.DisableRoutingPolicies = true // every command of the cache names its keys
	o.ContextTimeoutEnabled = true
	o.DisableIdentity = true
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	client := newClusterClient(o)
	if t := telemetry.Tracer(opts.TracerProvider, "customergraph/internal/cache"); t != nil {
		client.AddHook(tracingHook{tracer: t})
	}
	return client, nil
}

// newClusterClient returns a cluster client for o whose errors name none
// of the nodes, those of the URL or those the cluster announces.
func newClusterClient(o *redis.ClusterOptions) *redis.ClusterClient {
	c := redis.NewClusterClient(o)
	c.OnNewNode(func(n *redis.Client) {
		n.AddHook(redactHook{addrs: []string{n.Options().Addr}})
	})
	c.AddHook(redactHook{addrs: o.Addrs})
	return c
}

// answered reports whether a command's error is an answer of its node: no
// error, a nil reply or a WRONGTYPE (a key holding another type, which Get
// counts as corrupt). Anything else — a connection refused or reset, a
// timeout, CLUSTERDOWN, TRYAGAIN, redirections exhausted — means the node
// did not answer for the key.
func answered(err error) bool {
	return err == nil || errors.Is(err, redis.Nil) || isWrongType(err)
}

func isWrongType(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "WRONGTYPE")
}

// verdict sums up the commands of one cluster operation: nil when every
// one was answered; the first slow error when a node was too slow (the
// whole operation is slow: a caller with patience asks again); ErrPartial,
// wrapped with the first error, when some were answered and some not; the
// first error when none was.
func verdict[C redis.Cmder](cmds ...[]C) error {
	var (
		first, slow error
		ok          bool
	)
	for _, cs := range cmds {
		for _, c := range cs {
			err := c.Err()
			switch {
			case answered(err):
				ok = true
			case isSlow(err):
				slow = cmp.Or(slow, err)
			default:
				first = cmp.Or(first, err)
			}
		}
	}
	switch {
	case slow != nil:
		return slow
	case first == nil:
		return nil
	case ok:
		return fmt.Errorf("%w: %w", ErrPartial, first)
	}
	return first
}

// getCluster is Get on a Redis Cluster: one GET per key, in one pipeline
// that the client splits into one round trip per master, in parallel; then
// the targets of the links read, the same way. Keys whose master did not
// answer are misses, and the error wraps ErrPartial.
func (r *Redis) getCluster(ctx context.Context, keys []string) ([][]byte, error) {
	out := make([][]byte, len(keys))
	var (
		first  []*redis.StringCmd
		second []*redis.StringCmd
		links  []int // the keys whose first reply was a link, for second
	)
	err := r.do(ctx, "get", len(keys), func(ctx context.Context) error {
		first = r.pipelineGets(ctx, keys)
		var targets []string
		for i, c := range first {
			if v := c.Val(); c.Err() == nil && len(v) > 1 && v[0] == tagLink {
				links = append(links, i)
				targets = append(targets, v[1:])
			}
		}
		if len(links) > 0 {
			second = r.pipelineGets(ctx, targets)
		}
		err := verdict(first, second)
		if isSlow(err) {
			r.suspect(ctx, append(slowKeys(keys, first), slowKeys(targets, second)...))
		}
		return err
	})
	if err != nil && !errors.Is(err, ErrPartial) {
		return r.failedGet(keys, out, err)
	}
	// What each key reads as: its own reply, or its link's target's; and
	// the key the fallback holds it under.
	replies, held := slices.Clone(first), keys
	if len(links) > 0 {
		held = slices.Clone(keys)
	}
	for j, i := range links {
		replies[i], held[i] = second[j], first[i].Val()[1:]
	}
	r.n.record(collect(out, replies, decodeCmd))
	if err != nil {
		r.fromFallback(keys, out, func(i int) (string, bool) {
			return held[i], !answered(replies[i].Err())
		})
		return out, fmt.Errorf("cache: get: %w", err)
	}
	return out, nil
}

// pipelineGets sends a GET of each key, in one pipeline split by master,
// but for the keys of masters that are down (see nodeHealth).
func (r *Redis) pipelineGets(ctx context.Context, keys []string) []*redis.StringCmd {
	cmds := make([]*redis.StringCmd, len(keys))
	skip := r.skipped(ctx, keys)
	_, _ = r.cluster.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			if skip != nil && skip[i] {
				cmds[i] = skippedCmd(ctx, k)
				continue
			}
			cmds[i] = p.Get(ctx, k)
		}
		return nil
	})
	return cmds
}

// decodeCmd decodes the reply of one GET of getCluster.
func decodeCmd(c *redis.StringCmd) (string, result) {
	v, err := c.Result()
	switch {
	case err == nil:
		return decode(v, true)
	case isWrongType(err):
		return "", corrupt
	default: // nil, or not answered
		return "", miss
	}
}

// setCluster is Set on a Redis Cluster: one command per entry, in one
// pipeline split by master — a SET, or for a versioned document the
// script that keeps a newer version, run on its one key. When a master
// had not loaded the script yet, the batch is sent again with its text.
func (r *Redis) setCluster(ctx context.Context, entries []Entry) error {
	var cmds []*redis.Cmd
	keys := make([]string, len(entries))
	for i := range entries {
		keys[i] = entries[i].Key
	}
	err := r.do(ctx, "set", len(entries), func(ctx context.Context) error {
		cmds = make([]*redis.Cmd, len(entries))
		skip := r.skipped(ctx, keys)
		send := func(evalsha bool) {
			_, _ = r.cluster.Pipelined(ctx, func(p redis.Pipeliner) error {
				for i := range entries {
					e := &entries[i]
					ttl := roundTTL(e.TTL).Milliseconds()
					switch {
					case skip != nil && skip[i]:
						cmds[i] = redis.NewCmd(ctx, "set", e.Key)
						cmds[i].SetErr(errNodeDown)
					case !e.conditional():
						cmds[i] = p.Do(ctx, "set", e.Key, encode(e), "px", ttl)
					case evalsha:
						cmds[i] = p.EvalSha(ctx, setScript.Hash(), []string{e.Key}, encode(e), ttl, e.Version)
					default:
						cmds[i] = p.Eval(ctx, setScriptSource, []string{e.Key}, encode(e), ttl, e.Version)
					}
				}
				return nil
			})
		}
		send(true)
		if slices.ContainsFunc(cmds, func(c *redis.Cmd) bool { return redis.HasErrorPrefix(c.Err(), "NOSCRIPT") }) {
			// A master had not loaded the script: the batch is sent again,
			// whole and in order, with the script's text, so that a key
			// named twice still ends with its last entry. Its SETs are
			// the same again.
			send(false)
		}
		err := verdict(cmds)
		if isSlow(err) {
			r.suspect(ctx, slowKeys(keys, cmds))
		}
		return err
	})
	r.afterSet(entries, func(i int) bool {
		if cmds == nil || cmds[i] == nil { // not sent: skipped
			return err != nil
		}
		return !answered(cmds[i].Err()) && !isSlow(cmds[i].Err())
	})
	if err != nil {
		return fmt.Errorf("cache: set: %w", err)
	}
	return nil
}

// deleteCluster is Delete on a Redis Cluster: one DEL per key, in one
// pipeline split by master.
func (r *Redis) deleteCluster(ctx context.Context, keys []string) error {
	err := r.do(ctx, "delete", len(keys), func(ctx context.Context) error {
		cmds := make([]*redis.IntCmd, len(keys))
		skip := r.skipped(ctx, keys)
		_, _ = r.cluster.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range keys {
				if skip != nil && skip[i] {
					cmds[i] = redis.NewIntCmd(ctx, "del", k)
					cmds[i].SetErr(errNodeDown)
					continue
				}
				cmds[i] = p.Del(ctx, k)
			}
			return nil
		})
		err := verdict(cmds)
		if isSlow(err) {
			r.suspect(ctx, slowKeys(keys, cmds))
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("cache: delete: %w", err)
	}
	return nil
}

// pingCluster is Ping on a Redis Cluster: a PING to every master.
func (r *Redis) pingCluster(ctx context.Context) error {
	ok, failed, first := pingMasters(ctx, r.cluster, max(r.timeout, 500*time.Millisecond))
	switch {
	case failed > 0 && ok > 0:
		return fmt.Errorf("cache: ping: %d of %d masters: %w: %w", failed, ok+failed, ErrPartial, first)
	case first != nil:
		return fmt.Errorf("cache: ping: %w", first)
	}
	return nil
}

// pingMasters PINGs every master of c's slot map, each given at most each
// to answer, and counts those that did and did not. The slot map is
// reloaded first, for at most each too: a quiet node asked for it must not
// use up the time the PINGs have (the map known before is used then).
func pingMasters(ctx context.Context, c *redis.ClusterClient, each time.Duration) (ok, failed int, first error) {
	var mu sync.Mutex
	rctx, cancel := context.WithTimeout(ctx, each)
	defer cancel()
	err := c.ForEachMaster(rctx, func(_ context.Context, m *redis.Client) error {
		pctx, cancel := context.WithTimeout(ctx, each)
		defer cancel()
		err := m.Ping(pctx).Err()
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			failed++
			first = cmp.Or(first, err)
		} else {
			ok++
		}
		return nil
	})
	if ok+failed == 0 {
		first = cmp.Or(err, errors.New("no master to ask"))
	}
	return ok, failed, first
}

// errNodeDown is the error of a command not sent because its master is
// known not to answer (see nodeHealth): a miss, at once.
var errNodeDown = errors.New("redis cluster master does not answer; skipped")

// nodeHealth tracks the masters of a cluster that stopped answering
// altogether. A command that times out on a master does not tell a busy
// master from a dead host (whose connections neither refuse nor reset):
// a PING on a connection of its own, given a cooldown to answer, does. A
// master that does not answer it is skipped — its keys are misses, at
// once — and PINGed every cooldown until it answers again, or until the
// cluster has moved its slots to a replica and the slot map no longer
// names it.
type nodeHealth struct {
	mu       sync.Mutex
	down     map[string]bool // by address
	checking map[string]bool // a confirmation PING is under way
	count    atomic.Int32    // len(down), read without the lock
}

// skipped returns, for each key, whether its master is down; nil when
// none is (the common case, which costs one atomic load).
func (r *Redis) skipped(ctx context.Context, keys []string) []bool {
	if r.nodes.count.Load() == 0 {
		return nil
	}
	r.nodes.mu.Lock()
	down := maps.Clone(r.nodes.down)
	r.nodes.mu.Unlock()
	skip := make([]bool, len(keys))
	for i, k := range keys {
		if m, err := r.cluster.MasterForKey(ctx, k); err == nil && down[m.Options().Addr] {
			skip[i] = true
		}
	}
	return skip
}

// suspect asks, in the background, the masters of the keys whose
// commands timed out whether they are there.
func (r *Redis) suspect(ctx context.Context, keys []string) {
	seen := map[string]bool{}
	for _, k := range keys {
		m, err := r.cluster.MasterForKey(ctx, k)
		if err != nil {
			continue
		}
		o := m.Options()
		if seen[o.Addr] {
			continue
		}
		seen[o.Addr] = true
		r.nodes.mu.Lock()
		busy := r.nodes.checking[o.Addr] || r.nodes.down[o.Addr]
		if !busy {
			r.nodes.checking[o.Addr] = true
		}
		r.nodes.mu.Unlock()
		if !busy {
			go r.confirmNode(*o)
		}
	}
}

// confirmNode PINGs the master of options o on a connection of its own,
// with a cooldown to answer; if it does not, it is down until it answers
// one of the PINGs sent every cooldown after.
func (r *Redis) confirmNode(o redis.Options) {
	o.PoolSize, o.MinIdleConns, o.MaxIdleConns = 1, 0, 1
	o.OnConnect = nil
	c := redis.NewClient(&o)
	c.AddHook(redactHook{addrs: []string{o.Addr}})
	defer c.Close()
	ping := func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), r.cooldown)
		defer cancel()
		return c.Ping(ctx).Err() == nil
	}
	answered := ping()
	r.nodes.mu.Lock()
	delete(r.nodes.checking, o.Addr)
	if !answered {
		r.nodes.down[o.Addr] = true
		r.nodes.count.Store(int32(len(r.nodes.down)))
	}
	r.nodes.mu.Unlock()
	if answered {
		return
	}
	r.log.logger.Warn("cache: a redis cluster master does not answer; skipping its keys until it does")
	r.cluster.ReloadState(context.Background())
	t := time.NewTicker(r.cooldown)
	defer t.Stop()
	for {
		select {
		case <-r.done:
			return
		case <-t.C:
		}
		if ping() || !r.isMaster(o.Addr) {
			break
		}
	}
	r.nodes.mu.Lock()
	delete(r.nodes.down, o.Addr)
	r.nodes.count.Store(int32(len(r.nodes.down)))
	r.nodes.mu.Unlock()
	r.log.logger.Info("cache: a redis cluster master answers again, or its slots have moved; using it again")
}

// isMaster reports whether the client's slot map, reloaded, still has
// addr serve slots.
func (r *Redis) isMaster(addr string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), r.cooldown)
	defer cancel()
	var (
		mu    sync.Mutex
		found bool
	)
	err := r.cluster.ForEachMaster(ctx, func(_ context.Context, m *redis.Client) error {
		mu.Lock()
		found = found || m.Options().Addr == addr
		mu.Unlock()
		return nil // nothing sent: the map is all that is asked
	})
	return found || err != nil // cannot tell: keep asking it
}

// slowKeys returns the keys whose commands timed out.
func slowKeys[C redis.Cmder](keys []string, cmds []C) []string {
	var out []string
	for i, c := range cmds {
		if i < len(keys) && isSlow(c.Err()) {
			out = append(out, keys[i])
		}
	}
	return out
}

// skippedCmd returns a GET of key that was not sent, its master being
// down.
func skippedCmd(ctx context.Context, key string) *redis.StringCmd {
	c := redis.NewStringCmd(ctx, "get", key)
	c.SetErr(errNodeDown)
	return c
}
