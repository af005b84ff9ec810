package cache

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"customergraph/internal/cache/cachetest"
)

// TestRedisSpans: within a trace, every round trip of the cache is a
// client span naming the command or pipeline and its number of keys,
// never a key; outside a trace there is none.
func TestRedisSpans(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer tp.Shutdown(context.Background())
	client, err := ParseRedisURL("redis://"+cachetest.Redis(t), RedisOptions{Timeout: testTimeout, DialTimeout: testTimeout, TracerProvider: tp})
	if err != nil {
		t.Fatal(err)
	}
	r := NewRedis(client, RedisOptions{Timeout: testTimeout})
	defer r.Close()
	ks := testKeyspace(t)
	email := "jane.doe+trace@example.com"
	keys := []string{ks.Alias("email", email), ks.Customer("CUST-424242"), ks.Customer("CUST-434343")}

	// Outside a trace: nothing recorded.
	if _, err := r.Get(context.Background(), keys); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.Ended()); n != 0 {
		t.Fatalf("%d spans for a Get outside any trace; want none", n)
	}

	ctx, parent := tp.Tracer("test").Start(context.Background(), "request")
	if err := r.Set(ctx, []Entry{{Key: keys[1], Value: []byte("doc"), TTL: time.Minute}, {Key: keys[0], Link: keys[1], TTL: time.Minute}}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get(ctx, keys); err != nil {
		t.Fatal(err)
	}
	if err := r.Delete(ctx, keys); err != nil {
		t.Fatal(err)
	}
	parent.End()

	type want struct {
		op, batch string
		keys      int64
	}
	got := map[string]want{}
	for _, s := range rec.Ended() {
		if s.Name() == "request" {
			continue
		}
		var w want
		for _, kv := range s.Attributes() {
			switch kv.Key {
			case "db.operation.name":
				w.op = kv.Value.AsString()
			case "db.operation.batch.size":
				w.batch = kv.Value.String()
			case "customergraph.cache.keys":
				w.keys = kv.Value.AsInt64()
			case "db.system.name":
				if kv.Value.AsString() != "redis" {
					t.Errorf("span %q: db.system.name %q; want redis", s.Name(), kv.Value.AsString())
				}
			}
			for _, k := range append(keys, email) {
				if strings.Contains(kv.Value.String(), k) || strings.Contains(s.Name(), k) {
					t.Errorf("span %q: attribute %s holds a key", s.Name(), kv.Key)
				}
			}
		}
		if s.Parent().SpanID() != parent.SpanContext().SpanID() && w.op != "hello" {
			t.Errorf("span %q is not the request's child", s.Name())
		}
		if s.SpanKind() != trace.SpanKindClient || s.Name() != w.op {
			t.Errorf("span %q: kind %v, db.operation.name %q; want client, named after the operation", s.Name(), s.SpanKind(), w.op)
		}
		got[w.op] = w
	}
	for _, w := range []want{{"BATCH set", "2", 2}, {"evalsha", "", 3}, {"del", "", 3}} {
		if got[w.op] != w {
			t.Errorf("span %s = %+v; want %+v (all: %v)", w.op, got[w.op], w, got)
		}
	}
}

// TestRedisSpanErrors: a failed round trip records the Redis error prefix,
// never the reply's text.
func TestRedisSpanErrors(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer tp.Shutdown(context.Background())
	client, err := ParseRedisURL("redis://"+cachetest.Redis(t), RedisOptions{Timeout: testTimeout, DialTimeout: testTimeout, TracerProvider: tp})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	key := testKeyspace(t).Customer("+15550001111")
	ctx, parent := tp.Tracer("test").Start(context.Background(), "request")
	defer parent.End()
	// A command Redis rejects with a reply quoting an argument.
	err = client.Do(ctx, "evalsha", "0000000000000000000000000000000000000000", 1, key).Err()
	if err == nil || !strings.HasPrefix(err.Error(), "NOSCRIPT") {
		t.Fatalf("evalsha of an unknown script: %v; want NOSCRIPT", err)
	}
	var s sdktrace.ReadOnlySpan
	for _, e := range rec.Ended() {
		if e.Name() == "evalsha" {
			s = e
		}
	}
	if s == nil {
		t.Fatal("no evalsha span")
	}
	if s.Status().Code != codes.Error || s.Status().Description != "NOSCRIPT" {
		t.Errorf("status %v; want Error NOSCRIPT", s.Status())
	}
	for _, kv := range s.Attributes() {
		if kv.Key == "db.response.status_code" && kv.Value.AsString() != "NOSCRIPT" {
			t.Errorf("db.response.status_code = %q; want NOSCRIPT", kv.Value.AsString())
		}
		if strings.Contains(kv.Value.String(), key) || strings.Contains(kv.Value.String(), "No matching script") {
			t.Errorf("attribute %s = %q holds the key or the reply", kv.Key, kv.Value.String())
		}
	}
}

func TestKeyCount(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		cmd  redis.Cmder
		want int
	}{
		{redis.NewCmd(ctx, "evalsha", "sha", 3, "a", "b", "c", "arg"), 3},
		{redis.NewCmd(ctx, "EVAL", "script", "2", "a", "b"), 2},
		{redis.NewCmd(ctx, "del", "a", "b"), 2},
		{redis.NewCmd(ctx, "mset", "a", "1", "b", "2"), 2},
		{redis.NewCmd(ctx, "set", "a", "1", "px", 10), 1},
		{redis.NewCmd(ctx, "get", "a"), 1},
		{redis.NewCmd(ctx, "ping"), 0},
		{redis.NewCmd(ctx, "hello", 3), 0},
		{redis.NewCmd(ctx, "evalsha"), 0},
	}
	for _, tt := range tests {
		if got := keyCount(tt.cmd); got != tt.want {
			t.Errorf("keyCount(%v) = %d; want %d", tt.cmd.Args(), got, tt.want)
		}
	}
	for msg, want := range map[string]string{
		"NOSCRIPT No matching script":         "NOSCRIPT",
		"WRONGTYPE Operation against a key":   "WRONGTYPE",
		"user@example.com is not a command":   "ERR",
		"":                                    "ERR",
		"ERR wrong number of arguments for x": "ERR",
	} {
		if got := redisErrorPrefix(msg); got != want {
			t.Errorf("redisErrorPrefix(%q) = %q; want %q", msg, got, want)
		}
	}
}
