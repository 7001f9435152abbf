// Package flowcache is a direct-mapped cache in front of a map keyed by
// flow: the packets of a capture belong to a few thousand live flows, and
// a slot found by the flow's hash answers most lookups without the map's
// hashing of a 40- to 72-byte key (issue 9: those hashes were a tenth of
// analyze's time).
package flowcache

import (
	"encoding/binary"
	"net/netip"
)

// Cache maps keys to values in a power-of-two number of slots; a key
// whose slot another key took is simply not found, and the caller asks its
// map. It starts small and grows with Fit, so that a small capture does
// not pay for a large table.
type Cache[K comparable, V any] struct {
	slots []slot[K, V]
	mask  uint64
	max   int
}

type slot[K comparable, V any] struct {
	key  K
	val  V
	used bool
}

// New returns a cache of 64 slots (fewer if maxBits says so) that Fit
// grows up to 2^maxBits.
func New[K comparable, V any](maxBits uint) *Cache[K, V] {
	n := min(64, 1<<maxBits)
	return &Cache[K, V]{slots: make([]slot[K, V], n), mask: uint64(n - 1), max: 1 << maxBits}
}

// Fit grows the cache, emptied, to at least twice n slots (up to its
// maximum): n is the size of the map it stands in front of.
func (c *Cache[K, V]) Fit(n int) {
	if 2*n <= len(c.slots) || len(c.slots) >= c.max {
		return
	}
	size := len(c.slots)
	for size < 2*n && size < c.max {
		size *= 4
	}
	size = min(size, c.max)
	c.slots = make([]slot[K, V], size)
	c.mask = uint64(size - 1)
}

// Get returns the value cached for k, whose hash is h.
func (c *Cache[K, V]) Get(h uint64, k K) (V, bool) {
	s := &c.slots[h&c.mask]
	if s.used && s.key == k {
		return s.val, true
	}
	var zero V
	return zero, false
}

// Put caches v for k, whose hash is h, in place of what the slot held.
func (c *Cache[K, V]) Put(h uint64, k K, v V) {
	c.slots[h&c.mask] = slot[K, V]{key: k, val: v, used: true}
}

const (
	seed  = 0x9e3779b97f4a7c15
	prime = 0xbf58476d1ce4e5b9
)

// Seed starts a hash.
func Seed(v uint64) uint64 { return (v + seed) * prime }

// AddrPort adds an endpoint to hash h.
func AddrPort(h uint64, ap netip.AddrPort) uint64 {
	a := ap.Addr()
	if a.Is4() {
		// One multiply for the common case: 32 address bits and 16 port
		// bits fit one word.
		b := a.As4()
		h = (h ^ uint64(binary.BigEndian.Uint32(b[:]))<<16 ^ uint64(ap.Port())) * prime
		return h ^ h>>29
	}
	b := a.As16()
	h = (h ^ binary.LittleEndian.Uint64(b[:8])) * prime
	h = (h ^ binary.LittleEndian.Uint64(b[8:])) * prime
	h = (h ^ uint64(ap.Port()) ^ 6<<56) * prime
	return h ^ h>>29
}

// Pair combines the hashes of two endpoints in order.
func Pair(a, b uint64) uint64 {
	h := (a ^ b*prime) * seed
	return h ^ h>>31
}
