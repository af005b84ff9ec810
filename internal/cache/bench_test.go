package cache

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkGet50 measures a Get of 50 keys: 25 documents by ID and 25 by
// alias, with documents of about 1 KiB.
func BenchmarkGet50(b *testing.B) {
	impls := map[string]func(b *testing.B) store{
		"Memory": func(b *testing.B) store {
			m := NewMemory(MemoryOptions{})
			b.Cleanup(func() { _ = m.Close() })
			return m
		},
		"Redis": func(b *testing.B) store {
			r, _ := testRedis(b)
			return r
		},
	}
	for _, name := range []string{"Memory", "Redis"} {
		b.Run(name, func(b *testing.B) {
			c := impls[name](b)
			ks := testKeyspace(b)
			var entries []Entry
			var keys []string
			for i := range 50 {
				id := strconv.Itoa(i)
				doc := fmt.Sprintf(`{"id":%q,"notes":%q}`, id, strings.Repeat("n", 1000))
				entries = append(entries,
					Entry{Key: ks.Customer(id), Value: []byte(doc), TTL: time.Minute},
					Entry{Key: ks.Alias("email", id+"@example.com"), Link: ks.Customer(id), TTL: time.Minute})
				if i%2 == 0 {
					keys = append(keys, ks.Customer(id))
				} else {
					keys = append(keys, ks.Alias("email", id+"@example.com"))
				}
			}
			ctx := context.Background()
			if err := c.Set(ctx, entries); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				got, err := c.Get(ctx, keys)
				if err != nil || got[49] == nil {
					b.Fatalf("Get: %v", err)
				}
			}
		})
	}
}
