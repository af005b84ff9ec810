package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"go.opentelemetry.io/otel/trace"

	"customergraph/internal/telemetry"
)

// Defaults of RedisOptions.
const (
	DefaultTimeout     = 50 * time.Millisecond
	DefaultDialTimeout = 250 * time.Millisecond
	DefaultCooldown    = time.Second
	DefaultPatience    = 4 * time.Second
	DefaultFallback    = 10_000
	DefaultFallbackTTL = 10 * time.Second
)

// tripTimeouts is how many Timeouts every operation must have failed for
// before a Redis cache skips Redis (see RedisOptions.Cooldown).
const tripTimeouts = 4

// RedisOptions configures a Redis cache. The zero value is usable.
type RedisOptions struct {
	// Timeout bounds each operation of the cache as a whole: the wait for
	// a free connection, connecting if need be, and its round trips (in
	// NewRedis); and each socket write and read, and the wait for a free
	// connection (in ParseRedisURL). A slower Redis is a miss.
	//
	// default: 50 milliseconds
	Timeout time.Duration

	// Patience is the longest one operation may take when its caller asks
	// for patience (WithPatience): a slow Redis is waited for rather than
	// taken for a miss. ParseRedisURL makes it the cap of the socket and
	// connection-pool waits (each operation is bounded by its own
	// deadline); NewRedis the cap of an operation's timeout. Zero: Timeout,
	// no patience (ParseRedisURL, NewRedis); DialRedis defaults to
	// DefaultPatience, 4 seconds.
	Patience time.Duration

	// DialTimeout bounds the establishment of a new connection. Used by
	// ParseRedisURL and DialRedis.
	//
	// default: 250 milliseconds
	DialTimeout time.Duration

	// PoolSize is the base number of connections. Used by ParseRedisURL and
	// DialRedis. A request holds one for each round trip; when they run
	// out, requests queue for PoolTimeout (Timeout) and then miss.
	//
	// default: 64, or 10 * runtime.GOMAXPROCS(0) if that is more
	PoolSize int

	// BufferSize is the size of each connection's read buffer and of its
	// write buffer; PipelineBufferSize that of the connections go-redis
	// keeps for pipelines (the write-backs). Every buffer is allocated
	// with its connection and lives as long: go-redis's own default, 32
	// KiB each and 128 KiB for pipelines, holds about 12 MB with a full
	// pool, a sixth of the facade's default memory limit. A value longer
	// than a buffer is read in more system calls, never refused. Used by
	// ParseRedisURL and DialRedis; a URL's pipeline_read_buffer_size and
	// pipeline_write_buffer_size (go-redis reads them) win over
	// PipelineBufferSize.
	//
	// default: DefaultBufferSize (16 KiB), DefaultPipelineBufferSize (32 KiB)
	BufferSize, PipelineBufferSize int

	// Cooldown paces the cache's return to a Redis it skips. Once every
	// operation has failed for 4 Timeouts in a row (and at least 3 of
	// them), the cache skips Redis: operations return ErrSkipped at once,
	// a miss, without waiting for a timeout. Meanwhile, every Cooldown, it
	// sends Redis a PING in the background (waiting up to a Cooldown for
	// the answer), and uses Redis again as soon as one is answered.
	// Negative: never skip. Used by NewRedis and DialRedis.
	//
	// default: 1 second
	Cooldown time.Duration

	// Logger receives Redis errors, at Warn level and at most one line per
	// second. Neither keys nor values are logged.
	//
	// default: slog.Default()
	Logger *slog.Logger

	// Fallback is how many entries the cache keeps in process memory of
	// what it could not write to Redis — refused, reset, skipped by the
	// breaker, or on a cluster master that did not answer — and reads back
	// only for keys Redis cannot answer: a Redis outage, or the seconds a
	// cluster takes to promote a replica, then cost one upstream call per
	// customer instead of one per request. Each entry lives for
	// FallbackTTL at most; a later write or delete of its key drops it.
	// Negative: none. Used by NewRedis.
	//
	// default: 10_000
	Fallback int

	// FallbackTTL bounds how long an entry stays in the fallback: what an
	// instance may serve of its own while Redis cannot tell it of a
	// change made through another.
	//
	// default: 10 seconds
	FallbackTTL time.Duration

	// Cluster makes ParseRedisURL and DialRedis read the URL as
	// redis.ParseClusterURL does (redis://h1:7000?addr=h2:7001&addr=h3:7002,
	// rediss:// and passwords included) and speak to a Redis Cluster:
	// commands go to the master of their keys' slot, a batch as one
	// pipeline per master, and the client follows the cluster's topology
	// as slots move (see Redis).
	//
	// default: false, one Redis server
	Cluster bool

	// TracerProvider, unless nil or a no-op provider, records a span for
	// each round trip of a traced request: the command or pipeline and how
	// many keys it names, never the keys (see tracingHook). Used by
	// ParseRedisURL and DialRedis.
	//
	// default: none, and no tracing code runs
	TracerProvider trace.TracerProvider
}

func (o RedisOptions) withDefaults() RedisOptions {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.PoolSize <= 0 {
		o.PoolSize = max(64, 10*runtime.GOMAXPROCS(0))
	}
	if o.BufferSize <= 0 {
		o.BufferSize = DefaultBufferSize
	}
	if o.PipelineBufferSize <= 0 {
		o.PipelineBufferSize = DefaultPipelineBufferSize
	}
	if o.Cooldown == 0 {
		o.Cooldown = DefaultCooldown
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Fallback == 0 {
		o.Fallback = DefaultFallback
	}
	if o.FallbackTTL <= 0 {
		o.FallbackTTL = DefaultFallbackTTL
	}
	return o
}

// ParseRedisURL returns a go-redis client for url (redis://, rediss:// or
// unix://, as accepted by redis.ParseURL; with opts.Cluster, a
// *redis.ClusterClient for the nodes url names, as redis.ParseClusterURL
// reads them) tuned for a cache: short timeouts from opts, no retries
// (neither of commands nor of dials; a cluster client follows MOVED and
// ASK redirections, at once), context deadlines honoured, and no extra
// commands on connect (no CLIENT SETINFO, no maintenance notifications).
//
// The URL supplies the addresses, credentials, database and TLS; the
// timeouts, pool size and retries always come from opts. Errors never
// contain the URL, which may hold a password, nor a server's address.
func ParseRedisURL(url string, opts RedisOptions) (redis.UniversalClient, error) {
	opts = opts.withDefaults()
	wait := max(opts.Timeout, opts.Patience)
	if opts.Cluster {
		return parseClusterURL(url, opts, wait)
	}
	o, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("cache: parse Redis URL: %w", redactURLError(err))
	}
	o.ReadTimeout = wait
	o.WriteTimeout = wait
	o.PoolTimeout = wait
	o.DialTimeout = opts.DialTimeout
	o.PoolSize = opts.PoolSize
	setBuffers(&o.ReadBufferSize, &o.WriteBufferSize, &o.PipelineReadBufferSize, &o.PipelineWriteBufferSize, opts)
	o.MaxRetries = -1   // go-redis: -1 disables retries, 0 means 3.
	o.DialerRetries = 1 // one dial attempt per connection; 0 means 5.
	o.ContextTimeoutEnabled = true
	o.DisableIdentity = true
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	client := redis.NewClient(o)
	client.AddHook(redactHook{addrs: []string{o.Addr}})
	if t := telemetry.Tracer(opts.TracerProvider, "customergraph/internal/cache"); t != nil {
		client.AddHook(tracingHook{tracer: t})
	}
	return client, nil
}

// The default buffer sizes of a connection (see RedisOptions.BufferSize):
// a customer's record is about a kilobyte, and a batch of them — a page,
// a query of many lookups — is read and written through a pipeline's
// larger buffers, or in a few more system calls.
const (
	DefaultBufferSize         = 16 << 10
	DefaultPipelineBufferSize = 32 << 10
)

// setBuffers sets a client's buffer sizes from opts: the connections'
// always (go-redis reads no size for them from a URL), the pipelines'
// where the URL did not set them.
func setBuffers(read, write, pipelineRead, pipelineWrite *int, opts RedisOptions) {
	*read, *write = opts.BufferSize, opts.BufferSize
	for _, p := range [...]*int{pipelineRead, pipelineWrite} {
		if *p <= 0 {
			*p = opts.PipelineBufferSize
		}
	}
}

// redactURLError strips the URL from a *url.Error, whose message quotes the
// whole URL, credentials included.
func redactURLError(err error) error {
	if uerr, ok := errors.AsType[*url.Error](err); ok {
		return uerr.Err
	}
	return err
}

// DialRedis returns a Redis cache over a client from ParseRedisURL. It does
// not contact the server: use Ping to check readiness.
func DialRedis(url string, opts RedisOptions) (*Redis, error) {
	if opts.Patience == 0 {
		opts.Patience = DefaultPatience
	}
	client, err := ParseRedisURL(url, opts)
	if err != nil {
		return nil, err
	}
	return NewRedis(client, opts), nil
}

// Redis is a cache stored in Redis (or any server speaking its protocol with
// Lua scripting: Valkey, Sentinel), or in a Redis Cluster. It is safe for
// concurrent use.
//
// On one server, Get is one round trip (EVALSHA of a script that reads
// every key and follows links, falling back to EVAL once if the server lost
// the script), Set is one pipeline (a script for its versioned documents,
// then SET ... PX for the rest), Delete one DEL. On a cluster, Get is one
// pipeline of GETs split by master and sent to them all at once, then one
// more for the links' targets; Set and Delete are one pipeline each (see
// getCluster). A master that does not answer makes its keys misses, the
// others' are read (ErrPartial); one that goes quiet is skipped once it
// leaves a PING unanswered (see nodeHealth).
//
// Each operation is bounded by RedisOptions.Timeout as a whole, and none is
// sent while Redis is being skipped after repeated failures (see
// RedisOptions.Cooldown). What Redis could not take is kept in the
// fallback (see RedisOptions.Fallback).
type Redis struct {
	client   redis.UniversalClient
	timeout  time.Duration
	patience time.Duration // the longest timeout WithPatience may ask for
	cooldown time.Duration
	// pinger sends the PING that tells a slow Redis from a gone one, on a
	// connection of its own: a pool busy with this process's own load
	// must not make a healthy Redis look gone.
	pinger     redis.UniversalClient
	cluster    *redis.ClusterClient // client, on a Redis Cluster; nil on one server
	nodes      nodeHealth           // on a cluster, the masters that do not answer
	confirming atomic.Bool          // a confirmation PING is under way
	log        limiter
	n          counters
	brk        breaker
	fb         *Memory       // what could not be written; nil: no fallback
	fbTTL      time.Duration // the longest an entry stays in fb
	fbUsed     atomic.Bool   // something was ever written to fb
	probing    atomic.Bool   // a probe goroutine runs
	done       chan struct{} // closed by Close
	close      sync.Once
}

// NewRedis returns a Redis cache over client and takes ownership of it:
// Close closes it. opts.Timeout bounds each operation as a whole,
// opts.Cooldown and opts.Logger are used as documented; the client's own
// options decide its socket timeouts, pool and retries (see ParseRedisURL).
func NewRedis(client redis.UniversalClient, opts RedisOptions) *Redis {
	opts = opts.withDefaults()
	r := &Redis{client: client, timeout: opts.Timeout, patience: max(opts.Timeout, opts.Patience), cooldown: opts.Cooldown, done: make(chan struct{})}
	r.pinger = client
	switch c := client.(type) {
	case *redis.Client:
		o := *c.Options()
		o.PoolSize, o.MinIdleConns, o.MaxIdleConns = 1, 0, 1
		r.pinger = redis.NewClient(&o)
		r.pinger.AddHook(redactHook{addrs: []string{o.Addr}})
	case *redis.ClusterClient:
		r.cluster = c
		r.nodes.down, r.nodes.checking = map[string]bool{}, map[string]bool{}
		o := *c.Options()
		o.PoolSize, o.MinIdleConns, o.MaxIdleConns = 1, 0, 1
		r.pinger = newClusterClient(&o)
	}
	r.log.logger = opts.Logger
	if opts.Fallback > 0 {
		r.fb = NewMemory(MemoryOptions{MaxEntries: opts.Fallback, JanitorInterval: opts.FallbackTTL})
		r.fbTTL = opts.FallbackTTL
	}
	if opts.Cooldown > 0 {
		r.brk.tripAfter = tripTimeouts * opts.Timeout
	}
	r.brk.now = time.Now
	return r
}

// do runs op with the operation timeout, unless Redis is being skipped
// (ErrSkipped), and counts, logs and reports its outcome to the breaker.
// op names the operation and keys counts its keys, for the log.
func (r *Redis) do(ctx context.Context, op string, keys int, run func(context.Context) error) error {
	if !r.brk.allow() {
		r.n.skipped.Add(1)
		return ErrSkipped
	}
	timeout := r.timeout
	if n, ok := ctx.Value(patienceKey{}).(int); ok && n > 1 {
		timeout = min(timeout*time.Duration(n), r.patience)
	}
	// When the caller's deadline comes first, a timeout is the caller's.
	dl, ok := ctx.Deadline()
	callers := ok && !dl.After(time.Now().Add(timeout))
	octx, cancel := context.WithTimeout(ctx, timeout)
	err := run(octx)
	cancel()
	switch {
	case err == nil:
		if r.brk.succeeded() {
			r.log.logger.InfoContext(ctx, "cache: redis answers again; caching resumes")
		}
	case ctx.Err() != nil || callers && isSlow(err):
		// The caller gave up: no verdict on Redis. (A read deadline set
		// from the caller's may fire just before ctx says it is done.)
		r.n.abandoned.Add(1)
		if ctx.Err() == nil {
			err = fmt.Errorf("%w: %w", ErrSlow, err)
		}
	case errors.Is(err, ErrPartial) || errors.Is(err, errNodeDown):
		// Some masters of a cluster answered: the cluster is there. Its
		// slot map is reloaded, to find where the silent ones' slots went.
		r.cluster.ReloadState(ctx)
		r.fail(ctx, op, keys, err)
		if r.brk.succeeded() {
			r.log.logger.InfoContext(ctx, "cache: redis answers again; caching resumes")
		}
	default:
		if r.cluster != nil {
			r.cluster.ReloadState(ctx)
		}
		slow := isSlow(err)
		if slow {
			err = fmt.Errorf("%w: %w", ErrSlow, err)
		}
		r.fail(ctx, op, keys, err)
		if r.brk.failed() {
			if slow {
				// Timeouts alone do not tell a slow Redis from a gone
				// one: a PING, given a cooldown to answer, does.
				r.confirm()
				break
			}
			r.trip(ctx, err)
		}
	}
	return err
}

// trip opens the breaker: Redis is skipped until a probe is answered.
func (r *Redis) trip(ctx context.Context, err error) {
	if r.brk.trip() {
		r.log.logger.WarnContext(ctx, "cache: redis keeps failing; skipping it until it answers a PING",
			slog.Duration("every", r.cooldown), slog.Any("error", err))
		r.startProbe()
	}
}

// confirm asks Redis, on a connection of its own and with a cooldown to
// answer, whether it is there, after every operation timed out for a
// while: if it answers, it is slow, not gone, and operations go on waiting
// for it; if not, the breaker opens.
func (r *Redis) confirm() {
	if !r.confirming.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer r.confirming.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), r.cooldown)
		err := r.confirmPing(ctx)
		cancel()
		if err == nil {
			r.brk.succeeded()
			r.log.warn(context.Background(), "cache: redis is slow but answers; waiting for it rather than skipping it")
			return
		}
		r.trip(context.Background(), err)
	}()
}

// confirmPing PINGs Redis on the pinger's own connection: on a cluster,
// every master, any of whose answers will do — a master that does not
// answer is the per-node check's to skip (see nodeHealth), not a reason
// to skip the whole cluster.
func (r *Redis) confirmPing(ctx context.Context) error {
	cc, ok := r.pinger.(*redis.ClusterClient)
	if !ok {
		return r.pinger.Ping(ctx).Err()
	}
	answered, _, first := pingMasters(ctx, cc, r.cooldown/2)
	if answered > 0 {
		return nil
	}
	return first
}

// ErrSlow is returned, wrapped, by an operation that Redis did not answer
// within its timeout, or that waited that long for a connection: Redis, or
// this process, is slow; Redis is not known to be gone. A caller that can
// wait may ask again with more patience (WithPatience).
var ErrSlow = errors.New("redis did not answer in time")

type patienceKey struct{}

// WithPatience returns ctx in which each operation of a Redis cache may
// take n times its timeout (RedisOptions.Timeout), up to
// RedisOptions.Patience: for a caller that would rather wait for a slow
// Redis than take its slowness for a miss.
func WithPatience(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, patienceKey{}, n)
}

// isSlow reports whether err says an operation took too long, rather than
// that Redis refused it or went away.
func isSlow(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, redis.ErrPoolTimeout) ||
		errors.As(err, &ne) && ne.Timeout()
}

// startProbe starts the probe goroutine unless it runs.
func (r *Redis) startProbe() {
	if r.probing.CompareAndSwap(false, true) {
		go r.probe()
	}
}

// probe sends Redis a PING every cooldown while the breaker is open, and
// closes it when one is answered. Nobody waits for it, so it gives Redis up
// to a cooldown to answer: a slow Redis, or a process short of CPU, still
// gets its cache back.
func (r *Redis) probe() {
	t := time.NewTimer(r.cooldown)
	defer t.Stop()
	for {
		select {
		case <-r.done:
			return
		case <-t.C:
		}
		started := time.Now()
		if r.brk.open.Load() {
			ctx, cancel := context.WithTimeout(context.Background(), r.cooldown)
			err := r.client.Ping(ctx).Err()
			cancel()
			if err == nil && r.brk.succeeded() {
				r.log.logger.Info("cache: redis answers again; caching resumes")
			}
		}
		if !r.brk.open.Load() {
			// Stop, unless the breaker opened again before this
			// goroutine was seen to stop.
			r.probing.Store(false)
			if !r.brk.open.Load() || !r.probing.CompareAndSwap(false, true) {
				return
			}
		}
		t.Reset(r.cooldown - time.Since(started)) // one PING sent every cooldown
	}
}

// getScript returns, for each KEYS[i], the stored value, or the value of the
// key it links to, or false. A link is followed once: the value returned for
// a link to a link is that link, which Get treats as a miss. A key holding
// another type than a string yields 0, which Get counts as corrupt.
var getScript = redis.NewScript(`
local out = {}
local function get(key)
	local v = redis.pcall('GET', key)
	if type(v) == 'table' and v.err then
		if string.find(v.err, 'WRONGTYPE', 1, true) then
			return 0
		end
		error(v.err)
	end
	return v
end
for i, key in ipairs(KEYS) do
	local v = get(key)
	if type(v) == 'string' and string.byte(v, 1) == 108 then
		v = get(string.sub(v, 2))
	end
	out[i] = v
end
return out
`)

// Get returns the document of each key, in key order, nil for a miss. A
// key holding a link yields the document of the link's target; a link to a
// link, a dangling link or a value that is neither a document nor a link is a
// miss. The caller owns the returned slices, which may share one backing
// array.
//
// On a Redis error or timeout, or while Redis is skipped (ErrSkipped), Get
// returns a nil value for every key and an error wrapping the cause;
// callers should treat it as a miss for every key. When some keys could
// still be answered — by the masters of a cluster that did answer, or,
// Redis being unavailable rather than slow, by the fallback — the error
// wraps ErrPartial too, and the values returned for those keys are good.
// Get sends nothing when keys is empty.
func (r *Redis) Get(ctx context.Context, keys []string) ([][]byte, error) {
	if len(keys) == 0 {
		return make([][]byte, 0), nil
	}
	if r.cluster != nil {
		return r.getCluster(ctx, keys)
	}
	out := make([][]byte, len(keys))
	var vals []any
	err := r.do(ctx, "get", len(keys), func(ctx context.Context) error {
		var err error
		vals, err = getScript.Run(ctx, r.client, keys).Slice()
		if err == nil && len(vals) != len(keys) {
			err = fmt.Errorf("script returned %d values for %d keys", len(vals), len(keys))
		}
		return err
	})
	if err != nil {
		return r.failedGet(keys, out, err)
	}
	r.n.record(collect(out, vals, decodeReply))
	return out, nil
}

// failedGet is the result of a Get that read nothing: a miss for every key
// but those the fallback holds, unless Redis was slow (see
// RedisOptions.Fallback).
func (r *Redis) failedGet(keys []string, out [][]byte, err error) ([][]byte, error) {
	r.n.misses.Add(uint64(len(keys)))
	if !isSlow(err) && r.fromFallback(keys, out, nil) {
		return out, fmt.Errorf("cache: get: %w: %w", ErrPartial, err)
	}
	return out, fmt.Errorf("cache: get: %w", err)
}

// collect decodes each reply into out, in two passes — classify and size,
// then copy the documents into one allocation — and counts the outcomes.
func collect[T any](out [][]byte, replies []T, decode func(T) (string, result)) tally {
	var (
		t    tally
		size int
	)
	for _, v := range replies {
		if doc, res := decode(v); res == hit {
			size += len(doc)
		}
	}
	buf := make([]byte, 0, size)
	for i, v := range replies {
		doc, res := decode(v)
		if res == hit {
			buf, out[i] = appendDoc(buf, doc)
		}
		t.add(res)
	}
	return t
}

// decodeReply decodes one value of getScript's reply.
func decodeReply(v any) (string, result) {
	switch v := v.(type) {
	case nil:
		return "", miss
	case string:
		return decode(v, true)
	default: // the script's marker of a value that is not a string
		return "", corrupt
	}
}

// setScript stores ARGV's (value, ttl ms, version) triples under KEYS,
// skipping a versioned value where the key holds a document of a higher
// version ('v' and 16 hex digits).
var setScript = redis.NewScript(setScriptSource)

const setScriptSource = `
for i, key in ipairs(KEYS) do
	local value, ttl, version = ARGV[3*i-2], ARGV[3*i-1], tonumber(ARGV[3*i])
	local keep = false
	if version > 0 then
		local cur = redis.pcall('GET', key)
		if type(cur) == 'string' and string.byte(cur, 1) == 118 then
			local v = tonumber(string.sub(cur, 2, 17), 16)
			keep = v ~= nil and v > version
		end
	end
	if not keep then
		redis.call('SET', key, value, 'PX', ttl)
	end
end
return 0
`

// Set stores entries in one round trip, not a transaction: on error some
// entries may have been written. Versioned documents go to a script that
// leaves newer versions in place, and every other entry is a SET key value
// PX ttl after them, in the same pipeline (see set; on a cluster,
// setCluster). Set returns an error, before
// writing anything, if an entry has an empty key, a TTL that is not
// positive or a version out of range.
func (r *Redis) Set(ctx context.Context, entries []Entry) error {
	if err := validate(entries); err != nil {
		return err
	}
	if len(entries) == 0 {
		return nil
	}
	if r.cluster != nil {
		return r.setCluster(ctx, entries)
	}
	err := r.set(ctx, entries)
	r.afterSet(entries, func(int) bool { return err != nil && !isSlow(err) })
	return err
}

// set is Set on one Redis server: one pipeline in which the versioned
// documents go to setScript, together, and every other entry is a plain
// SET after them — a link is written after the document it points to, and
// the script's work is only the version checks. A batch that names a key
// twice runs whole in the script, so that the last entry for the key wins
// as it would in order.
func (r *Redis) set(ctx context.Context, entries []Entry) error {
	var (
		keys []string
		args []any
	)
	all := repeatsKey(entries)
	for i := range entries {
		if e := &entries[i]; all || e.conditional() {
			version := e.Version // what the script compares with
			if !e.conditional() {
				version = 0
			}
			keys = append(keys, e.Key)
			args = append(args, encode(e), roundTTL(e.TTL).Milliseconds(), version)
		}
	}
	send := func(ctx context.Context, evalsha bool) (script *redis.Cmd, err error) {
		_, err = r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			switch {
			case len(keys) == 0:
			case evalsha:
				script = p.EvalSha(ctx, setScript.Hash(), keys, args...)
			default:
				script = p.Eval(ctx, setScriptSource, keys, args...)
			}
			if all {
				return nil
			}
			for i := range entries {
				if e := &entries[i]; !e.conditional() {
					p.Do(ctx, "set", e.Key, encode(e), "px", roundTTL(e.TTL).Milliseconds())
				}
			}
			return nil
		})
		return script, err
	}
	err := r.do(ctx, "set", len(entries), func(ctx context.Context) error {
		script, err := send(ctx, true)
		if script != nil && redis.HasErrorPrefix(script.Err(), "NOSCRIPT") {
			// The server had not loaded the script (it restarted, or was
			// flushed): send its text. The SETs sent again are the same.
			_, err = send(ctx, false)
		}
		if errors.Is(err, redis.Nil) {
			err = nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("cache: set: %w", err)
	}
	return nil
}

// repeatsKey reports whether two of entries have the same key.
func repeatsKey(entries []Entry) bool {
	if len(entries) <= 8 {
		for i := range entries {
			for j := range i {
				if entries[i].Key == entries[j].Key {
					return true
				}
			}
		}
		return false
	}
	seen := make(map[string]struct{}, len(entries))
	for i := range entries {
		if _, ok := seen[entries[i].Key]; ok {
			return true
		}
		seen[entries[i].Key] = struct{}{}
	}
	return false
}

// Delete removes keys, documents or links alike, with one DEL. Deleting a
// document does not delete the links to it; they become dangling, which is a
// miss.
func (r *Redis) Delete(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	r.dropFallback(keys)
	if r.cluster != nil {
		return r.deleteCluster(ctx, keys)
	}
	err := r.do(ctx, "delete", len(keys), func(ctx context.Context) error {
		return r.client.Del(ctx, keys...).Err()
	})
	if err != nil {
		return fmt.Errorf("cache: delete: %w", err)
	}
	return nil
}

// Do runs fn, commands of the caller's own, as one operation of the cache:
// bounded by RedisOptions.Timeout as a whole (fn must use the context it is
// given), counted in Errors and logged when it fails, and not run at all
// while Redis is skipped (ErrSkipped), so that a failing Redis costs fn no
// wait. op names the operation and keys counts its keys, for the log.
// Errors are wrapped like those of Get; fn's redis.Nil is returned as is.
func (r *Redis) Do(ctx context.Context, op string, keys int, fn func(ctx context.Context, c redis.UniversalClient) error) error {
	var nilReply bool
	err := r.do(ctx, op, keys, func(ctx context.Context) error {
		err := fn(ctx, r.client)
		if errors.Is(err, redis.Nil) {
			nilReply = true
			return nil // an answer, not a failure
		}
		return err
	})
	switch {
	case nilReply:
		return redis.Nil
	case err != nil:
		return fmt.Errorf("cache: %s: %w", op, err)
	}
	return nil
}

// Ping checks that Redis answers, for readiness probes, even while the
// cache skips it: on a cluster, every master serving slots, and an error
// wrapping ErrPartial when some do not. Its errors are neither counted nor
// logged.
func (r *Redis) Ping(ctx context.Context) error {
	if r.cluster != nil {
		return r.pingCluster(ctx)
	}
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("cache: ping: %w", err)
	}
	return nil
}

// ErrWrongMode is returned, wrapped, by CheckMode when the server is not
// of the kind the client was made for.
var ErrWrongMode = errors.New("redis mode mismatch")

// CheckMode asks the server whether it is what the cache was built for: a
// Redis Cluster node for a cluster client, a server without cluster mode
// for a single one. A single client on a cluster node would see every key
// of another node's slots refused (MOVED), a miss forever; a cluster client
// on a plain server could not load a slot map. It returns an error
// wrapping ErrWrongMode on a mismatch, another error if it cannot tell.
func (r *Redis) CheckMode(ctx context.Context) error {
	if r.cluster != nil {
		err := r.cluster.ForEachMaster(ctx, func(context.Context, *redis.Client) error { return nil })
		if err != nil && strings.Contains(err.Error(), "cluster support disabled") {
			return fmt.Errorf("cache: %w: REDIS_URL names a Redis server without cluster mode", ErrWrongMode)
		}
		if err != nil {
			return fmt.Errorf("cache: check mode: %w", err)
		}
		return nil
	}
	info, err := r.client.Info(ctx, "cluster").Result()
	if err != nil {
		return fmt.Errorf("cache: check mode: %w", err)
	}
	if strings.Contains(info, "cluster_enabled:1") {
		return fmt.Errorf("cache: %w: REDIS_URL names a Redis Cluster node", ErrWrongMode)
	}
	return nil
}

// Stats returns the cache's counters.
func (r *Redis) Stats() Stats {
	return r.n.stats()
}

// fromFallback fills out[i] from the fallback for each key for which
// unread(i) names the key to look up there (nil: every key, as itself),
// and reports whether it found any.
func (r *Redis) fromFallback(keys []string, out [][]byte, unread func(int) (string, bool)) bool {
	if r.fb == nil || !r.fbUsed.Load() {
		return false
	}
	var idx []int
	var ask []string
	for i, k := range keys {
		if unread != nil {
			var ok bool
			if k, ok = unread(i); !ok {
				continue
			}
		}
		idx, ask = append(idx, i), append(ask, k)
	}
	vals, _ := r.fb.Get(context.Background(), ask)
	found := uint64(0)
	for j, v := range vals {
		if v != nil {
			out[idx[j]] = v
			found++
		}
	}
	if found > 0 {
		r.n.fallback.Add(found)
	}
	return found > 0
}

// afterSet keeps entries in the fallback, for at most its TTL, when
// failed(i) says Redis did not take some of them — all of the batch, as a
// link kept without its document would be a miss — and else drops their
// keys from it.
func (r *Redis) afterSet(entries []Entry, failed func(int) bool) {
	if r.fb == nil {
		return
	}
	some := false
	for i := range entries {
		if failed(i) {
			some = true
			break
		}
	}
	if !some {
		if r.fbUsed.Load() {
			keys := make([]string, len(entries))
			for i := range entries {
				keys[i] = entries[i].Key
			}
			_ = r.fb.Delete(context.Background(), keys)
		}
		return
	}
	keep := make([]Entry, len(entries))
	for i, e := range entries {
		e.TTL = min(e.TTL, r.fbTTL)
		keep[i] = e
	}
	r.fbUsed.Store(true)
	_ = r.fb.Set(context.Background(), keep)
}

// ForgetFallback empties the fallback: for an invalidation made through
// another instance, which could not reach this one's memory otherwise.
func (r *Redis) ForgetFallback() {
	if r.fb != nil && r.fbUsed.Load() {
		r.fb.clear()
	}
}

// dropFallback removes keys from the fallback.
func (r *Redis) dropFallback(keys []string) {
	if r.fb != nil && r.fbUsed.Load() {
		_ = r.fb.Delete(context.Background(), keys)
	}
}

// Close stops the probe, if any, and closes the Redis client.
func (r *Redis) Close() error {
	r.close.Do(func() { close(r.done) })
	if r.fb != nil {
		r.fb.Close()
	}
	if r.pinger != r.client {
		r.pinger.Close()
	}
	return r.client.Close()
}

// fail counts a failed operation and logs it, rate limited, unless the
// caller's context ended: then the failure is the caller's, not Redis's.
func (r *Redis) fail(ctx context.Context, op string, keys int, err error) {
	r.n.errors.Add(1)
	if ctx.Err() != nil {
		return
	}
	r.log.warn(ctx, "cache: redis error",
		slog.String("op", op), slog.Int("keys", keys), slog.Any("error", err))
}
