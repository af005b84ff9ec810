package cache

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/redis/go-redis/v9"
)

// redactHook takes the Redis servers' addresses out of the errors of every
// dial and command of a client: REDIS_URL is configuration kept out of the
// logs, and go-redis's errors name the address ("dial tcp 10.0.0.7:6379:
// connect: connection refused"). The errors still match what they wrap.
type redactHook struct{ addrs []string }

func (h redactHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		return c, h.redact(err)
	}
}

func (h redactHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if err != nil {
			err = h.redact(err)
			cmd.SetErr(err)
		}
		return err
	}
}

func (h redactHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		for _, cmd := range cmds {
			if cerr := cmd.Err(); cerr != nil {
				cmd.SetErr(h.redact(cerr))
			}
		}
		return h.redact(err)
	}
}

// redact returns err with the addresses replaced by "redis", or err itself
// when it names none of them. redis.Nil (a miss) is never wrapped.
func (h redactHook) redact(err error) error {
	if err == nil || err == redis.Nil {
		return err
	}
	msg := err.Error()
	for _, a := range h.addrs {
		if a != "" {
			msg = strings.ReplaceAll(msg, a, "redis")
		}
	}
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

// redactedError is an error whose text no longer names the server.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// Timeout reports whether the error is a timeout, as net.Error does.
func (e *redactedError) Timeout() bool {
	var ne net.Error
	return errors.As(e.err, &ne) && ne.Timeout()
}

// Temporary is net.Error's; it reports false.
func (e *redactedError) Temporary() bool { return false }
