// Package querycache is the cache of parsed GraphQL documents: a
// least-recently-used cache bounded by the number of documents and by the
// total size of their texts, so that a stream of large distinct documents
// (a query of a hundred aliased lookups, each with other customers) holds
// a bounded amount of memory however many there are. It implements
// gqlgen's graphql.Cache.
package querycache

import (
	"container/list"
	"context"
	"sync"
)

// Cache is a size-bounded LRU of values keyed by a document's text. It is
// safe for concurrent use.
type Cache[T any] struct {
	maxEntries, maxBytes, maxItem int

	mu    sync.Mutex
	bytes int
	order *list.List // front: most recently used
	items map[string]*list.Element
}

type entry[T any] struct {
	key   string
	value T
}

// New returns a cache of at most maxEntries documents whose texts add up
// to at most maxBytes. A document larger than an eighth of maxBytes is not
// kept: it would push out many others. The parsed form of a document takes
// several times the size of its text.
func New[T any](maxEntries, maxBytes int) *Cache[T] {
	return &Cache[T]{
		maxEntries: max(maxEntries, 1),
		maxBytes:   max(maxBytes, 1),
		maxItem:    max(maxBytes/8, 1),
		order:      list.New(),
		items:      make(map[string]*list.Element),
	}
}

// Get returns the value kept for key, if any, and marks it used.
func (c *Cache[T]) Get(_ context.Context, key string) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*entry[T]).value, true
	}
	var zero T
	return zero, false
}

// Add keeps value under key, dropping the least recently used documents
// beyond the bounds; a key too large to keep is ignored.
func (c *Cache[T]) Add(_ context.Context, key string, value T) {
	if len(key) > c.maxItem {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		e.Value.(*entry[T]).value = value
		c.order.MoveToFront(e)
		return
	}
	c.items[key] = c.order.PushFront(&entry[T]{key: key, value: value})
	c.bytes += len(key)
	for c.order.Len() > c.maxEntries || c.bytes > c.maxBytes {
		oldest := c.order.Back()
		e := oldest.Value.(*entry[T])
		c.order.Remove(oldest)
		delete(c.items, e.key)
		c.bytes -= len(e.key)
	}
}

// Len returns how many documents are kept, and the size of their texts.
func (c *Cache[T]) Len() (entries, bytes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len(), c.bytes
}
