package cache

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"customergraph/internal/telemetry"
)

// attrKeys is how many keys a round trip names. The keys themselves are
// never recorded: they hold emails and phones.
const attrKeys = attribute.Key("customergraph.cache.keys")

// tracingHook records a client span for every Redis round trip made on
// behalf of a traced request: one command (db.operation.name is its name,
// e.g. "evalsha", "del") or one pipeline ("BATCH set" and
// db.operation.batch.size), with the number of keys it names. Never a key,
// an argument or a reply. Round trips outside a trace (readiness pings, the
// probe of a skipped Redis) record nothing, rather than a trace of their
// own each.
type tracingHook struct{ tracer trace.Tracer }

func (h tracingHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h tracingHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !trace.SpanContextFromContext(ctx).IsValid() {
			return next(ctx, cmd)
		}
		name := cmd.Name()
		ctx, span := h.start(ctx, name, keyCount(cmd))
		err := next(ctx, cmd)
		end(span, err)
		return err
	}
}

func (h tracingHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if !trace.SpanContextFromContext(ctx).IsValid() || len(cmds) == 0 {
			return next(ctx, cmds)
		}
		keys := 0
		name := cmds[0].Name()
		for _, c := range cmds {
			keys += keyCount(c)
			if c.Name() != name {
				name = ""
			}
		}
		op := "BATCH"
		if name != "" {
			op += " " + name
		}
		ctx, span := h.start(ctx, op, keys, semconv.DBOperationBatchSize(len(cmds)))
		err := next(ctx, cmds)
		if err == nil {
			// A pipeline's error is its first command's: look at all.
			for _, c := range cmds {
				if e := c.Err(); e != nil && !errors.Is(e, redis.Nil) {
					err = e
					break
				}
			}
		}
		end(span, err)
		return err
	}
}

func (h tracingHook) start(ctx context.Context, op string, keys int, extra ...attribute.KeyValue) (context.Context, trace.Span) {
	attrs := append([]attribute.KeyValue{
		semconv.DBSystemNameRedis,
		semconv.DBOperationName(op),
		attrKeys.Int(keys),
	}, extra...)
	return h.tracer.Start(ctx, op, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
}

// end ends span, recording a failure by its kind: the Redis error prefix
// (db.response.status_code, e.g. "NOSCRIPT"), "timeout", or another word.
// A nil reply is no failure.
func end(span trace.Span, err error) {
	if err != nil && !errors.Is(err, redis.Nil) {
		var rerr redis.Error
		var nerr net.Error
		switch {
		case errors.As(err, &rerr):
			prefix := redisErrorPrefix(rerr.Error())
			span.SetAttributes(semconv.DBResponseStatusCode(prefix))
			telemetry.Fail(span, prefix)
		case errors.Is(err, context.DeadlineExceeded), errors.As(err, &nerr) && nerr.Timeout():
			telemetry.Fail(span, "timeout")
		case errors.Is(err, context.Canceled):
			telemetry.Fail(span, "canceled")
		case errors.Is(err, redis.ErrPoolTimeout):
			telemetry.Fail(span, "pool_timeout")
		case errors.Is(err, redis.ErrClosed):
			telemetry.Fail(span, "closed")
		default:
			telemetry.Fail(span, "_OTHER")
		}
	}
	span.End()
}

// redisErrorPrefix returns the error prefix of a Redis error reply (its
// first word when it is in capitals, e.g. "WRONGTYPE"), or "ERR". The rest
// of the reply may quote a key.
func redisErrorPrefix(msg string) string {
	word, _, _ := strings.Cut(msg, " ")
	if word == "" || len(word) > 32 {
		return "ERR"
	}
	for _, r := range word {
		if r < 'A' || r > 'Z' {
			return "ERR"
		}
	}
	return word
}

// keyCount returns how many keys cmd names, from its arguments' count
// and, for scripts, the key count it sends; never from the keys.
func keyCount(cmd redis.Cmder) int {
	args := cmd.Args()
	switch cmd.Name() {
	case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro":
		if len(args) < 3 {
			return 0
		}
		switch n := args[2].(type) {
		case int:
			return n
		case int64:
			return int(n)
		case string:
			k, _ := strconv.Atoi(n)
			return k
		}
		return 0
	case "del", "unlink", "exists", "touch", "mget", "watch":
		return len(args) - 1
	case "mset", "msetnx":
		return (len(args) - 1) / 2
	case "ping", "echo", "hello", "info", "client", "select", "auth", "script", "time", "multi", "exec", "discard":
		return 0
	}
	if len(args) > 1 {
		return 1
	}
	return 0
}
