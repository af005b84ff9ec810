package simkit

import (
	"math"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

// Generate builds a data set of n items deterministically and in
// parallel: item seq (1-based) is build(seq, r), where r draws from its own
// PCG stream seeded with (seed, seq^stream). The result does not depend on
// the number of workers. A different stream gives a different data set for
// the same seed.
func Generate[T any](n int, seed int64, stream uint64, build func(seq int, r *rand.Rand) T) []T {
	out := make([]T, n)
	workers := min(runtime.GOMAXPROCS(0), max(n/5000, 1))
	chunk := (n + workers - 1) / max(workers, 1)
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Go(func() {
			pcg := rand.NewPCG(0, 0)
			r := rand.New(pcg)
			for i := lo; i < hi; i++ {
				pcg.Seed(uint64(seed), uint64(i+1)^stream)
				out[i] = build(i+1, r)
			}
		})
	}
	wg.Wait()
	return out
}

// Mix64 is the SplitMix64 finaliser, a bijection on uint64.
func Mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// Mix32 is a bijection on uint32 that scatters consecutive inputs.
func Mix32(x uint32) uint32 {
	x ^= x >> 16
	x *= 0x7feb352d
	x ^= x >> 15
	x *= 0x846ca68b
	x ^= x >> 16
	return x
}

// UUID returns a version 4 UUID, lower-case and hyphenated, whose first 32
// bits are Mix32(n^key): distinct n below 2^32 give distinct UUIDs for one
// key. The other bits are drawn from the mix of key and n.
func UUID(key uint64, n uint32) string {
	var b [16]byte
	head := Mix32(n ^ uint32(key))
	rest1, rest2 := Mix64(key^uint64(n)<<1), Mix64(^key^uint64(n))
	for i := range 4 {
		b[i] = byte(head >> (24 - 8*i))
	}
	for i := 4; i < 10; i++ {
		b[i] = byte(rest1 >> (8 * (i - 4)))
	}
	for i := 10; i < 16; i++ {
		b[i] = byte(rest2 >> (8 * (i - 10)))
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return FormatUUID(b)
}

// FormatUUID writes b as 8-4-4-4-12 lower-case hex.
func FormatUUID(b [16]byte) string {
	const hex = "0123456789abcdef"
	var out [36]byte
	j := 0
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hex[c>>4], hex[c&15]
		j += 2
	}
	return string(out[:])
}

// ParseUUID reads a hyphenated UUID (8-4-4-4-12 hex digits, any case) and
// returns it lower-cased.
func ParseUUID(s string) (string, bool) {
	if len(s) != 36 {
		return "", false
	}
	b := []byte(s)
	for i, c := range b {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return "", false
			}
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f':
		case 'A' <= c && c <= 'F':
			b[i] = c + ('a' - 'A')
		default:
			return "", false
		}
	}
	return string(b), true
}

// Pick returns a member of list drawn by r.
func Pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

// Chance draws true with the given percent probability.
func Chance(r *rand.Rand, percent int) bool { return r.IntN(100) < percent }

// RoundCents rounds v to two decimals.
func RoundCents(v float64) float64 { return math.Round(v*100) / 100 }

// Pad writes v in decimal with leading zeros to width digits.
func Pad(v int64, width int) string {
	s := strconv.FormatInt(v, 10)
	if len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	return s
}

// Ptr returns a pointer to a copy of v.
func Ptr[T any](v T) *T { return &v }
