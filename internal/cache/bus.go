package cache

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/redis/go-redis/v9"
)

// Bus carries short messages between the instances sharing a Redis, over
// one pub/sub channel: an invalidation made through one instance reaches
// what the others hold in process memory.
//
// Pub/sub delivers to the instances connected when a message is
// published; an instance that was disconnected learns of it only as a
// resubscription. Listen's resync is called then, so that a receiver can
// drop whatever it may have missed an invalidation of.
type Bus struct {
	client  redis.UniversalClient
	channel string
	log     *slog.Logger
	once    sync.Once
	done    chan struct{}
}

// NewBus returns a Bus on channel over client, which it takes ownership
// of (Close closes it). The client must not have a read timeout shorter
// than the time between messages: use one of its own, as from
// ParseRedisURL with a generous Timeout.
func NewBus(client redis.UniversalClient, channel string, log *slog.Logger) *Bus {
	if log == nil {
		log = slog.Default()
	}
	return &Bus{client: client, channel: channel, log: log, done: make(chan struct{})}
}

// Publish sends msg to every instance listening, this one included.
func (b *Bus) Publish(ctx context.Context, msg string) error {
	if err := b.client.Publish(ctx, b.channel, msg).Err(); err != nil {
		return fmt.Errorf("cache: publish: %w", err)
	}
	return nil
}

// Listen calls handle with every message published on the channel, and
// resync each time the subscription is made, first and after every
// reconnection, until Close. It returns at once; handle and resync run
// on one goroutine, one call at a time.
func (b *Bus) Listen(handle func(msg string), resync func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ps := b.client.Subscribe(ctx, b.channel)
	go func() {
		<-b.done
		cancel()
		ps.Close()
	}()
	go func() {
		ch := ps.ChannelWithSubscriptions(redis.WithChannelSize(256))
		for m := range ch {
			switch m := m.(type) {
			case *redis.Subscription:
				if m.Kind == "subscribe" {
					b.log.Debug("cache bus subscribed")
					resync()
				}
			case *redis.Message:
				handle(m.Payload)
			}
		}
	}()
}

// Close stops listening and closes the client.
func (b *Bus) Close() error {
	b.once.Do(func() { close(b.done) })
	return b.client.Close()
}
