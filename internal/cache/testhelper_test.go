package cache

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"customergraph/internal/cache/cachetest"
)

// testTimeout is the Redis command timeout of functional tests: generous,
// so that a loaded machine running -race does not turn hits into misses.
// Tests of the defaults use DialRedis without it.
const testTimeout = 2 * time.Second

// testRedis returns a Redis cache on the test Redis (see cachetest.Redis),
// with hooks added to its client, closed when t ends, and a raw client to
// write and inspect values.
func testRedis(t testing.TB, hooks ...redis.Hook) (*Redis, redis.UniversalClient) {
	t.Helper()
	addr := cachetest.Redis(t)
	client, err := ParseRedisURL("redis://"+addr, RedisOptions{Timeout: testTimeout, DialTimeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hooks {
		client.AddHook(h)
	}
	r := NewRedis(client, RedisOptions{Timeout: testTimeout})
	t.Cleanup(func() { _ = r.Close() })
	return r, cachetest.Client(t)
}

// testCluster returns a Redis cache on the test process's Redis Cluster
// (see cachetest.SharedCluster), closed when t ends, and a raw cluster
// client to write and inspect values.
func testCluster(t testing.TB) (*Redis, redis.UniversalClient) {
	t.Helper()
	c := cachetest.SharedCluster(t)
	client, err := ParseRedisURL(c.URL(), RedisOptions{Timeout: testTimeout, DialTimeout: testTimeout, Cluster: true})
	if err != nil {
		t.Fatal(err)
	}
	r := NewRedis(client, RedisOptions{Timeout: testTimeout})
	t.Cleanup(func() { _ = r.Close() })
	return r, c.Client(t)
}

// testKeyspace returns a Keyspace unique to this call.
func testKeyspace(t testing.TB) Keyspace {
	return NewKeyspace(cachetest.Namespace(t))
}

// callCounter is a go-redis hook counting the commands and pipelines sent,
// that is the round trips, and remembering the last command's name and the
// last pipeline's command names, in order.
type callCounter struct {
	process, pipelines, pipelinedCmds atomic.Int64
	lastCmd                           atomic.Value // string
	lastPipeline                      atomic.Value // []string
}

func (c *callCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *callCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.process.Add(1)
		c.lastCmd.Store(cmd.Name())
		return next(ctx, cmd)
	}
}

func (c *callCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.pipelines.Add(1)
		c.pipelinedCmds.Add(int64(len(cmds)))
		names := make([]string, len(cmds))
		for i, cmd := range cmds {
			names[i] = cmd.Name()
		}
		c.lastPipeline.Store(names)
		return next(ctx, cmds)
	}
}

func (c *callCounter) reset() {
	c.process.Store(0)
	c.pipelines.Store(0)
	c.pipelinedCmds.Store(0)
}

// setRaw stores raw as is under key, bypassing the encoding of Set, as
// another program writing garbage would.
func (m *Memory) setRaw(key string, raw []byte, ttl time.Duration) {
	m.put(key, raw, m.now(), int64(ttl), 0)
}
