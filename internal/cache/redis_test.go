package cache

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"customergraph/internal/cache/cachetest"
)

// TestRedisDo: Do runs the caller's commands on the cache's client; a
// redis.Nil reply is an answer, returned as is; a failure is wrapped and
// counted, and a slow command ends at the cache's timeout.
func TestRedisDo(t *testing.T) {
	addr := cachetest.Redis(t)
	r, err := DialRedis("redis://"+addr, RedisOptions{Timeout: 200 * time.Millisecond, Cooldown: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	key := testKeyspace(t).Limit("do")
	ctx := t.Context()
	if err := r.Do(ctx, "set", 1, func(ctx context.Context, c redis.UniversalClient) error {
		return c.Set(ctx, key, "v", time.Minute).Err()
	}); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := r.Do(ctx, "get", 1, func(ctx context.Context, c redis.UniversalClient) (err error) {
		got, err = c.Get(ctx, key).Result()
		return err
	}); err != nil || got != "v" {
		t.Fatalf("Do get = %q, %v; want v", got, err)
	}
	if err := r.Do(ctx, "get", 1, func(ctx context.Context, c redis.UniversalClient) error {
		return c.Get(ctx, key+":none").Err()
	}); err != redis.Nil {
		t.Errorf("Do of a missing key: %v; want redis.Nil", err)
	}
	if s := r.Stats(); s.Errors != 0 {
		t.Errorf("answers counted %d errors", s.Errors)
	}
	began := time.Now()
	err = r.Do(ctx, "slow", 1, func(ctx context.Context, c redis.UniversalClient) error {
		return c.Do(ctx, "blpop", key+":list", 5).Err()
	})
	if err == nil || !strings.HasPrefix(err.Error(), "cache: slow: ") || time.Since(began) > 2*time.Second {
		t.Errorf("Do of a blocking command: %v after %v; want a wrapped timeout after 200ms", err, time.Since(began))
	}
	if s := r.Stats(); s.Errors != 1 {
		t.Errorf("a failed Do counted %d errors; want 1", s.Errors)
	}
}

func TestRedisRoundTrips(t *testing.T) {
	var calls callCounter
	r, _ := testRedis(t, &calls)
	ks := testKeyspace(t)
	ctx := t.Context()

	const n = 1000
	entries := make([]Entry, 0, 2*n)
	keys := make([]string, 0, 2*n)
	for i := range n {
		id := strconv.Itoa(i)
		entries = append(entries,
			Entry{Key: ks.Customer(id), Value: []byte(`{"id":` + id + `}`), TTL: time.Minute},
			Entry{Key: ks.Alias("email", id+"@example.com"), Link: ks.Customer(id), TTL: time.Minute})
		keys = append(keys, ks.Alias("email", id+"@example.com"), ks.Customer(id))
	}

	// Warm up: a new connection costs a handshake (HELLO), and the first
	// Get may load the script (EVALSHA, NOSCRIPT, EVAL). After that, a Set
	// is one pipeline and a Get one EVALSHA.
	if err := r.Set(ctx, entries[:1]); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get(ctx, keys[:1]); err != nil {
		t.Fatal(err)
	}

	calls.reset()
	if err := r.Set(ctx, entries); err != nil {
		t.Fatal(err)
	}
	if p, pl, cmds := calls.process.Load(), calls.pipelines.Load(), calls.pipelinedCmds.Load(); p != 0 || pl != 1 || cmds != 2*n {
		t.Errorf("Set of %d entries: %d commands and %d pipelines of %d commands, want one pipeline of %d", 2*n, p, pl, cmds, 2*n)
	}

	// Versioned documents with their links: still one pipeline, one script
	// for every document and a SET for every link.
	for i := 0; i < len(entries); i += 2 {
		entries[i].Version = 7
	}
	calls.reset()
	if err := r.Set(ctx, entries); err != nil {
		t.Fatal(err)
	}
	if p, pl, cmds := calls.process.Load(), calls.pipelines.Load(), calls.pipelinedCmds.Load(); p != 0 || pl != 1 || cmds != n+1 {
		t.Errorf("Set of %d versioned documents and their links: %d commands and %d pipelines of %d commands, want one pipeline of %d", n, p, pl, cmds, n+1)
	}
	// The script, for the documents, comes first: no link is written
	// before the document it points to.
	if names, _ := calls.lastPipeline.Load().([]string); len(names) != n+1 || names[0] != "evalsha" || slices.ContainsFunc(names[1:], func(c string) bool { return c != "set" }) {
		t.Errorf("Set of versioned documents and their links sent %d commands, first %q; want evalsha, then %d set", len(names), names[:min(len(names), 1)], n)
	}

	calls.reset()
	got, err := r.Get(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	if p, pl := calls.process.Load(), calls.pipelines.Load(); p != 1 || pl != 0 {
		t.Errorf("Get of %d keys: %d commands and %d pipelines, want 1 command", len(keys), p, pl)
	}
	if name := calls.lastCmd.Load(); name != "evalsha" {
		t.Errorf("Get sent %v, want evalsha", name)
	}
	for i, v := range got {
		if v == nil {
			t.Fatalf("value %d is a miss", i)
		}
	}

	calls.reset()
	if err := r.Delete(ctx, keys); err != nil {
		t.Fatal(err)
	}
	if p, pl := calls.process.Load(), calls.pipelines.Load(); p != 1 || pl != 0 {
		t.Errorf("Delete of %d keys: %d commands and %d pipelines, want 1 command", len(keys), p, pl)
	}

}

// TestRedisNoScript checks that a server without the script (new, restarted
// or flushed) costs one more round trip, not an error. It uses a server of
// its own, as flushing the shared one would disturb other tests.
func TestRedisNoScript(t *testing.T) {
	t.Parallel()
	srv := cachetest.StartServer(t, 0)
	var calls callCounter
	client, err := ParseRedisURL("redis://"+srv.Addr, RedisOptions{Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	client.AddHook(&calls)
	r := NewRedis(client, RedisOptions{Timeout: testTimeout})
	defer r.Close()
	ks := testKeyspace(t)
	if err := r.Ping(t.Context()); err != nil { // connect: HELLO, PING
		t.Fatal(err)
	}

	for i, want := range []int64{2, 1} { // EVALSHA, EVAL; then EVALSHA
		calls.reset()
		got, err := r.Get(t.Context(), []string{ks.Customer("1")})
		if err != nil {
			t.Fatalf("Get %d: %v", i, err)
		}
		checkValues(t, got, []string{wantMiss})
		if p := calls.process.Load(); p != want {
			t.Errorf("Get %d: %d commands, want %d", i, p, want)
		}
	}

	// A versioned write after the scripts were flushed: the pipeline is
	// sent again with the script's text, and everything is written.
	if err := client.ScriptFlush(t.Context()).Err(); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int64{2, 1} { // EVALSHA+SET, EVAL+SET; then EVALSHA+SET
		calls.reset()
		v := strconv.Itoa(i)
		if err := r.Set(t.Context(), []Entry{
			{Key: ks.Customer("1"), Value: []byte("doc" + v), TTL: time.Minute, Version: int64(i + 1)},
			{Key: ks.Alias("email", "a@b.co"), Link: ks.Customer("1"), TTL: time.Minute},
		}); err != nil {
			t.Fatalf("Set %d: %v", i, err)
		}
		if pl := calls.pipelines.Load(); pl != want {
			t.Errorf("Set %d: %d pipelines, want %d", i, pl, want)
		}
		got, err := r.Get(t.Context(), []string{ks.Alias("email", "a@b.co")})
		if err != nil {
			t.Fatal(err)
		}
		checkValues(t, got, []string{"doc" + v})
	}
}

func TestRedisWrongType(t *testing.T) {
	r, raw := testRedis(t)
	ks := testKeyspace(t)
	ctx := t.Context()

	hash := ks.Customer("hash")
	if err := raw.HSet(ctx, hash, "field", "value").Err(); err != nil {
		t.Fatal(err)
	}
	raw.Expire(ctx, hash, time.Minute)
	err := r.Set(ctx, []Entry{
		{Key: ks.Alias("email", "x"), Link: hash, TTL: time.Minute},
		{Key: ks.Customer("1"), Value: []byte("one"), TTL: time.Minute},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Get(ctx, []string{hash, ks.Alias("email", "x"), ks.Customer("1")})
	if err != nil {
		t.Fatalf("Get = %v, want keys of another type to be misses", err)
	}
	checkValues(t, got, []string{wantMiss, wantMiss, "one"})
	if want := (Stats{Hits: 1, Misses: 2, Corrupt: 2}); r.Stats() != want {
		t.Errorf("Stats = %+v, want %+v", r.Stats(), want)
	}
}

// TestRedisDown checks that an unreachable Redis makes every key a quick
// miss with an error, and that the cache recovers when Redis comes back.
func TestRedisDown(t *testing.T) {
	t.Run("closed port", func(t *testing.T) {
		t.Parallel()
		port := cachetest.FreePort(t) // nothing listens on it
		// Never skipped: every attempt reaches the client.
		r, err := DialRedis("redis://127.0.0.1:"+strconv.Itoa(port), RedisOptions{Cooldown: -1})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		ks := testKeyspace(t)
		keys := []string{ks.Customer("1"), ks.Alias("email", "a@example.com")}

		// Every attempt fails, including those after the pool gave up
		// dialing and returns its last dial error.
		const attempts = 50
		for i := range attempts {
			start := time.Now()
			got, err := r.Get(t.Context(), keys)
			elapsed := time.Since(start)
			if err == nil || !strings.HasPrefix(err.Error(), "cache: get: ") {
				t.Fatalf("Get %d: error %v, want a cache: get: error", i, err)
			}
			if len(got) != len(keys) || got[0] != nil || got[1] != nil {
				t.Fatalf("Get %d = %q, want %d nil values", i, got, len(keys))
			}
			if elapsed > 300*time.Millisecond {
				t.Errorf("Get %d took %v, want well under a second", i, elapsed)
			}
		}
		if err := r.Set(t.Context(), []Entry{{Key: keys[0], Value: []byte("x"), TTL: time.Second}}); err == nil {
			t.Error("Set succeeded with Redis down")
		}
		if err := r.Delete(t.Context(), keys); err == nil {
			t.Error("Delete succeeded with Redis down")
		}
		if err := r.Ping(t.Context()); err == nil {
			t.Error("Ping succeeded with Redis down")
		}
		want := Stats{Misses: attempts * uint64(len(keys)), Errors: attempts + 2}
		if got := r.Stats(); got != want {
			t.Errorf("Stats = %+v, want %+v", got, want)
		}
	})

	t.Run("restart", func(t *testing.T) {
		t.Parallel()
		port := cachetest.FreePort(t)
		srv := cachetest.StartServer(t, port)
		r, err := DialRedis("redis://"+srv.Addr, RedisOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		ks := testKeyspace(t)
		entry := Entry{Key: ks.Customer("1"), Value: []byte("one"), TTL: time.Minute}
		keys := []string{entry.Key}

		if err := r.Set(t.Context(), []Entry{entry}); err != nil {
			t.Fatal(err)
		}
		checkValues(t, mustGetRedis(t, r, keys), []string{"one"})

		srv.Stop()
		for i := range 3 {
			start := time.Now()
			got, err := r.Get(t.Context(), keys)
			if err == nil || got[0] != nil {
				t.Fatalf("Get %d with Redis killed = %q, %v; want a miss and an error", i, got, err)
			}
			if elapsed := time.Since(start); elapsed > 300*time.Millisecond {
				t.Errorf("Get %d with Redis killed took %v, want well under a second", i, elapsed)
			}
		}

		// A new, empty server on the same port: the cache recovers (go-redis
		// probes a failing address once a second), and the data is gone.
		cachetest.StartServer(t, port)
		deadline := time.Now().Add(10 * time.Second)
		for {
			got, err := r.Get(t.Context(), keys)
			if err == nil {
				checkValues(t, got, []string{wantMiss})
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("Get still fails 10s after Redis restarted: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err := r.Set(t.Context(), []Entry{entry}); err != nil {
			t.Fatalf("Set after restart: %v", err)
		}
		checkValues(t, mustGetRedis(t, r, keys), []string{"one"})
		if err := r.Ping(t.Context()); err != nil {
			t.Errorf("Ping after restart: %v", err)
		}
	})
}

// TestRedisTimeout checks that a Redis that accepts connections but never
// answers costs a miss within the configured timeouts.
func TestRedisTimeout(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // read nothing, answer nothing
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})

	r, err := DialRedis("redis://"+l.Addr().String(), RedisOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	start := time.Now()
	got, err := r.Get(t.Context(), []string{"k"})
	if elapsed := time.Since(start); elapsed > 500*time.Millisecond {
		t.Errorf("Get from a silent server took %v, want about %v", elapsed, DefaultTimeout)
	}
	if err == nil || got[0] != nil {
		t.Fatalf("Get from a silent server = %q, %v; want a miss and an error", got, err)
	}
	if s := r.Stats(); s.Errors != 1 || s.Misses != 1 {
		t.Errorf("Stats = %+v, want 1 error, 1 miss", s)
	}
}

// TestRedisLogs checks that errors are logged at Warn, at most once a second,
// without keys or values, and not when the caller gave up.
func TestRedisLogs(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	port := cachetest.FreePort(t)
	r, err := DialRedis("redis://127.0.0.1:"+strconv.Itoa(port), RedisOptions{Logger: logger, Cooldown: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	const secret = "very-secret-document"
	key := NewKeyspace("ns").Alias("email", "private@example.com")
	start := time.Now()
	for range 20 {
		_, _ = r.Get(t.Context(), []string{key})
		_ = r.Set(t.Context(), []Entry{{Key: key, Value: []byte(secret), TTL: time.Second}})
	}
	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	_, _ = r.Get(canceled, []string{key})
	elapsed := time.Since(start)

	out := buf.String()
	lines := strings.Count(out, "\n")
	if maxLines := 1 + int(elapsed/logInterval); lines < 1 || lines > maxLines {
		t.Errorf("%d log lines in %v, want 1 to %d:\n%s", lines, elapsed, maxLines, out)
	}
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "op=get") {
		t.Errorf("log lacks level=WARN or op=get:\n%s", out)
	}
	if strings.Contains(out, "private") || strings.Contains(out, secret) {
		t.Errorf("log contains a key or a value:\n%s", out)
	}
	if s := r.Stats(); s.Errors != 40 || s.Abandoned != 1 {
		t.Errorf("Errors = %d, Abandoned = %d; want 40 and 1 (the cancelled Get)", s.Errors, s.Abandoned)
	}
}

func TestLimiterReportsSuppressed(t *testing.T) {
	var buf syncBuffer
	l := limiter{logger: slog.New(slog.NewTextHandler(&buf, nil))}
	l.warn(t.Context(), "first")
	l.warn(t.Context(), "dropped")
	l.warn(t.Context(), "dropped")
	l.last.Add(-int64(logInterval)) // as if a second had passed
	l.warn(t.Context(), "second")
	out := buf.String()
	if strings.Contains(out, "dropped") || !strings.Contains(out, "msg=first suppressed=0") || !strings.Contains(out, "msg=second suppressed=2") {
		t.Errorf("log:\n%s", out)
	}
}

func TestParseRedisURL(t *testing.T) {
	client, err := ParseRedisURL("redis://user:pass@127.0.0.1:6390/3", RedisOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	o := client.(*redis.Client).Options()
	want := map[string][2]any{
		"Addr":                  {o.Addr, "127.0.0.1:6390"},
		"DB":                    {o.DB, 3},
		"Username":              {o.Username, "user"},
		"ReadTimeout":           {o.ReadTimeout, DefaultTimeout},
		"WriteTimeout":          {o.WriteTimeout, DefaultTimeout},
		"PoolTimeout":           {o.PoolTimeout, DefaultTimeout},
		"DialTimeout":           {o.DialTimeout, DefaultDialTimeout},
		"PoolSize":              {o.PoolSize, max(64, 10*runtime.GOMAXPROCS(0))},
		"MaxRetries":            {o.MaxRetries, 0}, // normalised from -1
		"DialerRetries":         {o.DialerRetries, 1},
		"ContextTimeoutEnabled": {o.ContextTimeoutEnabled, true},
		"ReadBufferSize":        {o.ReadBufferSize, DefaultBufferSize},
		"WriteBufferSize":       {o.WriteBufferSize, DefaultBufferSize},
		"PipelineReadBuffer":    {o.PipelineReadBufferSize, DefaultPipelineBufferSize},
		"PipelineWriteBuffer":   {o.PipelineWriteBufferSize, DefaultPipelineBufferSize},
	}
	for name, v := range want {
		if v[0] != v[1] {
			t.Errorf("%s = %v, want %v", name, v[0], v[1])
		}
	}

	client, err = ParseRedisURL("redis://h", RedisOptions{Timeout: time.Second, DialTimeout: 2 * time.Second, PoolSize: 3, BufferSize: 4096, PipelineBufferSize: 8192})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	o = client.(*redis.Client).Options()
	if o.ReadTimeout != time.Second || o.PoolTimeout != time.Second || o.DialTimeout != 2*time.Second || o.PoolSize != 3 {
		t.Errorf("options not applied: read %v pool %v dial %v size %d", o.ReadTimeout, o.PoolTimeout, o.DialTimeout, o.PoolSize)
	}
	if o.ReadBufferSize != 4096 || o.WriteBufferSize != 4096 || o.PipelineReadBufferSize != 8192 || o.PipelineWriteBufferSize != 8192 {
		t.Errorf("buffers not applied: read %d write %d pipeline %d/%d", o.ReadBufferSize, o.WriteBufferSize, o.PipelineReadBufferSize, o.PipelineWriteBufferSize)
	}

	// go-redis reads the pipeline buffers from a URL, which wins; on a
	// cluster, the buffers are set on every node's options.
	for _, tc := range []struct {
		url     string
		cluster bool
	}{{"redis://h?pipeline_read_buffer_size=65536&pipeline_write_buffer_size=65536", false}, {"redis://h1:7000?addr=h2:7001&pipeline_read_buffer_size=65536&pipeline_write_buffer_size=65536", true}} {
		client, err := ParseRedisURL(tc.url, RedisOptions{Cluster: tc.cluster})
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		var got [4]int
		if tc.cluster {
			o := client.(*redis.ClusterClient).Options()
			got = [4]int{o.ReadBufferSize, o.WriteBufferSize, o.PipelineReadBufferSize, o.PipelineWriteBufferSize}
		} else {
			o := client.(*redis.Client).Options()
			got = [4]int{o.ReadBufferSize, o.WriteBufferSize, o.PipelineReadBufferSize, o.PipelineWriteBufferSize}
		}
		if want := [4]int{DefaultBufferSize, DefaultBufferSize, 65536, 65536}; got != want {
			t.Errorf("%s: buffers (read, write, pipeline read, pipeline write) %v; want %v", tc.url, got, want)
		}
	}

	for _, bad := range []string{
		"redis://user:s3cr3t-pw@[::1", // url.Parse error, which quotes the URL
		"http://user:s3cr3t-pw@host:6379",
		"redis://user:s3cr3t-pw@host:6379/notadb",
	} {
		_, err := ParseRedisURL(bad, RedisOptions{})
		if err == nil {
			t.Errorf("ParseRedisURL(%q) succeeded", bad)
			continue
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("ParseRedisURL error reveals the password: %v", err)
		}
		if _, err := DialRedis(bad, RedisOptions{}); err == nil {
			t.Errorf("DialRedis(%q) succeeded", bad)
		}
	}
}

func TestRedisGetError(t *testing.T) {
	// A failed Get wraps the Redis error.
	r, err := DialRedis("redis://127.0.0.1:"+strconv.Itoa(cachetest.FreePort(t)), RedisOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, err = r.Get(t.Context(), []string{"k"})
	if _, ok := errors.AsType[*net.OpError](err); !ok {
		t.Errorf("Get error %v (%T) does not wrap the dial error", err, err)
	}
}

func mustGetRedis(t *testing.T, r *Redis, keys []string) [][]byte {
	t.Helper()
	got, err := r.Get(t.Context(), keys)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return got
}

// syncBuffer is a bytes.Buffer safe for concurrent loggers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestFallback: what could not be written to a Redis that is down is read
// back, by this instance, for keys Redis cannot answer, for FallbackTTL at
// most; once Redis answers, Redis decides; without a fallback, a miss.
func TestFallback(t *testing.T) {
	srv := cachetest.StartServer(t, 0)
	newCache := func(fallback int) *Redis {
		r, err := DialRedis("redis://"+srv.Addr, RedisOptions{Timeout: testTimeout, Cooldown: -1, Fallback: fallback, FallbackTTL: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		return r
	}
	r, none := newCache(0), newCache(-1)
	ks := testKeyspace(t)
	doc, alias, stored := ks.Customer("1"), ks.Alias("email", "a@example.com"), ks.Customer("2")
	if err := r.Set(t.Context(), []Entry{{Key: stored, Value: []byte("in redis"), TTL: time.Minute}}); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	entries := []Entry{{Key: doc, Value: []byte("doc"), TTL: time.Minute, Version: 3}, {Key: alias, Link: doc, TTL: time.Minute}}
	for _, c := range []*Redis{r, none} {
		if err := c.Set(t.Context(), entries); err == nil {
			t.Fatal("Set with Redis down: no error")
		}
	}
	got, err := r.Get(t.Context(), []string{alias, doc, stored})
	if !errors.Is(err, ErrPartial) || string(got[0]) != "doc" || string(got[1]) != "doc" || got[2] != nil {
		t.Errorf("Get with Redis down = %q, %v; want doc, doc, a miss and ErrPartial", got, err)
	}
	if st := r.Stats(); st.Fallback != 2 || st.Misses != 3 {
		t.Errorf("Stats = %+v; want 2 fallback hits among 3 misses", st)
	}
	if got, err := none.Get(t.Context(), []string{alias, doc}); got[0] != nil || got[1] != nil || errors.Is(err, ErrPartial) {
		t.Errorf("Get without a fallback = %q, %v; want misses", got, err)
	}
	// Deleted: gone from the fallback too.
	r.Delete(t.Context(), []string{alias})
	if got, _ := r.Get(t.Context(), []string{alias}); got[0] != nil {
		t.Errorf("Get of a deleted key = %q; want a miss", got[0])
	}
	// Forgotten, as on an invalidation announced by another instance.
	r.Set(t.Context(), entries)
	r.ForgetFallback()
	if got, _ := r.Get(t.Context(), []string{doc}); got[0] != nil {
		t.Errorf("Get after ForgetFallback = %q; want a miss", got[0])
	}
	r.Set(t.Context(), entries)
	time.Sleep(400 * time.Millisecond)
	if got, _ := r.Get(t.Context(), []string{doc}); got[0] != nil {
		t.Errorf("Get past FallbackTTL = %q; want a miss", got[0])
	}

	// Redis back: it decides, whatever the fallback holds.
	r.Set(t.Context(), entries)
	cachetest.StartServer(t, srv.Port)
	if got, err := r.Get(t.Context(), []string{doc}); err != nil || got[0] != nil {
		t.Errorf("Get with Redis back = %q, %v; want Redis's miss", got[0], err)
	}
}
