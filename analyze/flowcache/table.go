package flowcache

import "iter"

// Table maps keys to values like a map, with open addressing and linear
// probing on a hash the caller computes (with [Seed] and [AddrPort]): a
// flow's key is hashed in two or three multiplies instead of the
// runtime's hash over its 40 to 72 bytes. Entries are never deleted. It
// grows at half full, up to max entries; past that Put refuses.
//
// Why (2026-12, issue 15): it replaces a direct-mapped cache of 4,096
// slots in front of a map, which missed for about a quarter of the
// inventory's lookups on the 400-call benchmark (its 1,200 flows
// colliding in the slots), each miss paying the map's hash.
type Table[K comparable, V any] struct {
	slots []tslot[K, V]
	mask  uint64
	n     int
	max   int
}

type tslot[K comparable, V any] struct {
	h    uint64
	key  K
	val  V
	used bool
}

// NewTable returns a table of 64 slots that holds at most max entries.
func NewTable[K comparable, V any](max int) *Table[K, V] {
	return &Table[K, V]{slots: make([]tslot[K, V], 64), mask: 63, max: max}
}

// Len is the number of entries.
func (t *Table[K, V]) Len() int { return t.n }

// Get returns the value of k, whose hash is h.
func (t *Table[K, V]) Get(h uint64, k K) (V, bool) {
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if !s.used {
			var zero V
			return zero, false
		}
		if s.h == h && s.key == k {
			return s.val, true
		}
	}
}

// Put sets the value of k, whose hash is h. It reports false, changing
// nothing, when k is new and the table holds max entries.
func (t *Table[K, V]) Put(h uint64, k K, v V) bool {
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if !s.used {
			if t.n >= t.max {
				return false
			}
			*s = tslot[K, V]{h: h, key: k, val: v, used: true}
			t.n++
			if 2*t.n > len(t.slots) {
				t.grow()
			}
			return true
		}
		if s.h == h && s.key == k {
			s.val = v
			return true
		}
	}
}

func (t *Table[K, V]) grow() {
	old := t.slots
	t.slots = make([]tslot[K, V], 2*len(old))
	t.mask = uint64(len(t.slots) - 1)
	for _, s := range old {
		if !s.used {
			continue
		}
		i := s.h & t.mask
		for t.slots[i].used {
			i = (i + 1) & t.mask
		}
		t.slots[i] = s
	}
}

// All iterates over the entries, in no particular order.
func (t *Table[K, V]) All() iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		for i := range t.slots {
			if s := &t.slots[i]; s.used && !yield(s.key, s.val) {
				return
			}
		}
	}
}
