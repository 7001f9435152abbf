package correlate

// keyTable maps twin keys to the list of packets waiting with that key:
// open addressing with linear probing, indexed by the key's low bits (the
// keys are already well-mixed hashes, see finish).
//
// Why (2026-11, issue 9): the pairing goroutine inserts and deletes a key
// for nearly every packet, and is the one part of the second pass that
// runs on a single core; a Go map cost about 1.1 s of the large
// benchmark's 2.9 s there.
type keyTable struct {
	slots []keySlot
	n     int
	mask  uint64
}

type keySlot struct {
	key  uint64
	ht   listHT
	used bool
}

func newKeyTable() *keyTable {
	return &keyTable{slots: make([]keySlot, 256), mask: 255}
}

// find returns the slot of k, or of the empty slot where k would go.
func (t *keyTable) find(k uint64) *keySlot {
	for i := k & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if !s.used || s.key == k {
			return s
		}
	}
}

func (t *keyTable) get(k uint64) (listHT, bool) {
	s := t.find(k)
	return s.ht, s.used
}

// set stores ht for k.
func (t *keyTable) set(k uint64, ht listHT) {
	s := t.find(k)
	if s.used {
		s.ht = ht
		return
	}
	*s = keySlot{key: k, ht: ht, used: true}
	t.n++
	if 2*t.n > len(t.slots) {
		t.grow()
	}
}

func (t *keyTable) grow() {
	old := t.slots
	t.slots = make([]keySlot, 2*len(old))
	t.mask = uint64(len(t.slots) - 1)
	for _, s := range old {
		if s.used {
			*t.find(s.key) = s
		}
	}
}

// del removes k, shifting back the entries after it that probed past its
// slot, so that no tombstones accumulate.
func (t *keyTable) del(k uint64) {
	i := k & t.mask
	for {
		s := &t.slots[i]
		if !s.used {
			return
		}
		if s.key == k {
			break
		}
		i = (i + 1) & t.mask
	}
	t.n--
	for {
		t.slots[i] = keySlot{}
		j := i
		for {
			j = (j + 1) & t.mask
			s := t.slots[j]
			if !s.used {
				return
			}
			// s may move to i if its home slot is not in (i, j].
			home := s.key & t.mask
			if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
				t.slots[i] = s
				i = j
				break
			}
		}
	}
}
