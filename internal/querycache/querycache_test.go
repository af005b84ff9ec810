package querycache

import (
	"context"
	"strings"
	"testing"
)

func TestBounds(t *testing.T) {
	ctx := context.Background()
	c := New[int](3, 800)
	doc := func(name string, size int) string { return name + strings.Repeat(" ", size-len(name)) }
	a, b, d, e := doc("a", 100), doc("b", 100), doc("d", 100), doc("e", 100)
	c.Add(ctx, a, 1)
	c.Add(ctx, b, 2)
	c.Add(ctx, d, 3)
	if _, ok := c.Get(ctx, a); !ok { // a is now the most recently used
		t.Fatal("a missing")
	}
	c.Add(ctx, e, 4) // past 3 entries: b, the least recently used, goes
	if _, ok := c.Get(ctx, b); ok {
		t.Error("b kept past the entry bound; want it evicted")
	}
	for _, k := range []string{a, d, e} {
		if _, ok := c.Get(ctx, k); !ok {
			t.Errorf("%.1s evicted; want kept", k)
		}
	}
	if n, size := c.Len(); n != 3 || size != 300 {
		t.Errorf("Len = %d, %d; want 3, 300", n, size)
	}

	// Bytes: 800 in all, at most 100 a document.
	big := doc("big", 101)
	c.Add(ctx, big, 5)
	if _, ok := c.Get(ctx, big); ok {
		t.Error("a document over an eighth of the bytes was kept")
	}
	c = New[int](100, 800)
	for i := range 9 {
		c.Add(ctx, doc(string(rune('a'+i)), 100), i)
	}
	if n, size := c.Len(); n != 8 || size != 800 {
		t.Errorf("after 9 documents of 100 bytes: Len = %d, %d; want 8, 800", n, size)
	}
	if _, ok := c.Get(ctx, doc("a", 100)); ok {
		t.Error("the oldest document kept past the byte bound")
	}
	// Replacing a value keeps one entry.
	c.Add(ctx, doc("i", 100), 42)
	if v, _ := c.Get(ctx, doc("i", 100)); v != 42 {
		t.Errorf("replaced value = %d; want 42", v)
	}
	if n, _ := c.Len(); n != 8 {
		t.Errorf("after a replacement: %d entries; want 8", n)
	}
}
