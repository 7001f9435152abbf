package correlate

import (
	"encoding/binary"
	"net/netip"

	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/flowcache"
)

// flowKey is a flow in one direction.
type flowKey struct {
	proto    uint8
	src, dst netip.AddrPort
}

// maxFlowIDs bounds the flows numbered per side: 32,768 directions are
// some 8,000 two-way calls with their RTCP. The packets of flows past it
// are not numbered (0), and the users of the numbers look them up the
// slow way.
const maxFlowIDs = 1 << 15

// flowIDs numbers one side's flows from 1, in the order they first
// appear, and keeps each numbered flow's first and last packet time (for
// hostTimes). IPv4 flows, nearly all of a VoIP capture, are found in a
// table of 32-byte slots holding the flow packed in two words, its number
// and its times; the others in a flowcache.Table, their times by number.
//
// Why (2026-12, issue 15): both passes number every packet's flow, and a
// flowcache.Table of netip endpoints (88-byte slots, 700 KB for the 2,400
// flows of a side of the large RTP pair) missed the processor's caches at
// nearly every packet: 35 ns a lookup in the first pass's profile. Then
// slots of 16 bytes (128 KB there) still missed at most packets, and so
// did hostTimes' own record of the flow's times, by flow number: now the
// slot holds the times, one miss instead of two. First pass alone on the
// large pair: 1.484 s -> 1.458 s CPU (median of 15 alternated runs; a
// table of 4-byte slots, a hash tag and the number, with the flow and its
// times in a record by number, did no better).
type flowIDs struct {
	v4    []v4Slot
	v4n   int // slots used
	other *flowcache.Table[flowKey, int32]
	// otherTimes are the other flows' first and last packet times, by
	// number.
	otherTimes [][2]int64
	n          int32 // flows numbered
}

// v4Slot is an IPv4 flow: the source and destination addresses in a, the
// ports, the protocol and the flow's number in b (number 0: empty); its
// first and last packet time.
type v4Slot struct {
	a, b        uint64
	first, last int64
}

// id returns the number of the flow, 0 past maxFlowIDs, and whether the
// packet is the flow's first; ts is the packet's time.
func (f *flowIDs) id(proto uint8, src, dst netip.AddrPort, ts int64) (int32, bool) {
	sa, da := src.Addr(), dst.Addr()
	if !sa.Is4() || !da.Is4() {
		return f.otherID(proto, src, dst, ts)
	}
	s4, d4 := sa.As4(), da.As4()
	a := uint64(binary.BigEndian.Uint32(s4[:]))<<32 | uint64(binary.BigEndian.Uint32(d4[:]))
	b := uint64(src.Port())<<48 | uint64(dst.Port())<<32 | uint64(proto)<<24
	if f.v4 == nil {
		f.v4 = make([]v4Slot, 64)
	}
	mask := uint64(len(f.v4) - 1)
	for i := v4Hash(a, b) & mask; ; i = (i + 1) & mask {
		s := &f.v4[i]
		if s.b == 0 {
			if f.n >= maxFlowIDs {
				return 0, false
			}
			f.n++
			*s = v4Slot{a, b | uint64(f.n), ts, ts}
			f.v4n++
			if 2*f.v4n > len(f.v4) {
				f.growV4()
			}
			return f.n, true
		}
		if s.a == a && s.b>>24 == b>>24 {
			s.first, s.last = min(s.first, ts), max(s.last, ts)
			return int32(s.b & 0xffffff), false
		}
	}
}

// v4Hash hashes a slot's flow (its number, in b's low 24 bits, left out).
func v4Hash(a, b uint64) uint64 {
	h := (a ^ (b>>24)*0x9e3779b97f4a7c15) * 0xbf58476d1ce4e5b9
	return h ^ h>>32
}

func (f *flowIDs) growV4() {
	old := f.v4
	f.v4 = make([]v4Slot, 2*len(old))
	mask := uint64(len(f.v4) - 1)
	for _, s := range old {
		if s.b == 0 {
			continue
		}
		i := v4Hash(s.a, s.b) & mask
		for f.v4[i].b != 0 {
			i = (i + 1) & mask
		}
		f.v4[i] = s
	}
}

func (f *flowIDs) otherID(proto uint8, src, dst netip.AddrPort, ts int64) (int32, bool) {
	if f.other == nil {
		f.other = flowcache.NewTable[flowKey, int32](maxFlowIDs)
	}
	k := flowKey{proto, src, dst}
	h := flowcache.AddrPort(flowcache.AddrPort(flowcache.Seed(uint64(proto)), src), dst)
	if id, ok := f.other.Get(h, k); ok {
		t := &f.otherTimes[id]
		t[0], t[1] = min(t[0], ts), max(t[1], ts)
		return id, false
	}
	if f.n >= maxFlowIDs || !f.other.Put(h, k, f.n+1) {
		return 0, false
	}
	f.n++
	f.otherTimes = growFor(f.otherTimes, f.n)
	f.otherTimes[f.n] = [2]int64{ts, ts}
	return f.n, true
}

// times calls fn with each numbered flow's number and its first and last
// packet time.
func (f *flowIDs) times(fn func(id int32, first, last int64)) {
	for _, s := range f.v4 {
		if s.b != 0 {
			fn(int32(s.b&0xffffff), s.first, s.last)
		}
	}
	if f.other == nil {
		return
	}
	for _, id := range f.other.All() {
		fn(id, f.otherTimes[id][0], f.otherTimes[id][1])
	}
}

// growFor returns s long enough to index flow number n, its capacity
// doubled when it must grow: append grows a large slice by a quarter at a
// time, which for tables indexed by flow number (up to maxFlowIDs
// entries) cost about five times the final table in garbage.
func growFor[T any](s []T, n int32) []T {
	if int(n) < len(s) {
		return s
	}
	if int(n) < cap(s) {
		return s[:n+1]
	}
	g := make([]T, n+1, max(2*cap(s), int(n)+1, 64))
	copy(g, s)
	return g
}

// flowStore holds one side's flows by number, for the events of the
// second pass to point to (event.ep), in chunks that never move: a
// pointer the reader hands to the pairing goroutine stays valid while
// the store grows, and a flow, once stored, is never changed.
type flowStore struct {
	chunks []*[flowChunk]storedFlow
}

type storedFlow struct {
	k   flowKey
	set bool
}

// flowChunk is the flows of one chunk of a flowStore (18 KiB).
const flowChunk = 256

// at returns flow number id, nil when it was never put.
func (s *flowStore) at(id int32) *flowKey {
	if id <= 0 || int(id/flowChunk) >= len(s.chunks) {
		return nil
	}
	f := &s.chunks[id/flowChunk][id%flowChunk]
	if !f.set {
		return nil
	}
	return &f.k
}

// stored returns flow number id, which must have been put, without
// reading it (the log reader's fast path: the flow's record is cold for
// nearly every packet, and only the pairer's first pair of a flow reads
// it).
func (s *flowStore) stored(id int32) *flowKey {
	return &s.chunks[id/flowChunk][id%flowChunk].k
}

// put stores k as flow number id (> 0) unless one is stored, and returns
// the stored flow.
func (s *flowStore) put(id int32, k flowKey) *flowKey {
	for int(id/flowChunk) >= len(s.chunks) {
		s.chunks = append(s.chunks, new([flowChunk]storedFlow))
	}
	f := &s.chunks[id/flowChunk][id%flowChunk]
	if !f.set {
		f.k, f.set = k, true
	}
	return &f.k
}

// flow returns the flow of packet p, flow number id: the stored one, or
// (id 0: not numbered) a flow of its own.
func (s *flowStore) flow(id int32, p *capture.Packet) *flowKey {
	if id <= 0 {
		return &flowKey{p.Proto, p.Src, p.Dst}
	}
	if f := s.at(id); f != nil {
		return f
	}
	return s.put(id, flowKey{p.Proto, p.Src, p.Dst})
}
