package capture

import (
	"net/netip"
	"sort"
)

// fragKey identifies one IP datagram under reassembly (RFC 791: source,
// destination, protocol, identification; RFC 8200 adds no protocol, but the
// next header of the fragment header is the same for all fragments).
type fragKey struct {
	src, dst netip.Addr
	id       uint32
	proto    uint8
}

type fragment struct {
	off  int
	data []byte // a copy: the frame buffer is reused
}

type fragSet struct {
	first      int64 // capture time of the first fragment
	firstFrame int
	frags      []fragment
	total      int // length of the datagram once the last fragment is seen; -1 before
	bytes      int
}

// defragmenter reassembles IPv4 and IPv6 datagrams within [Limits].
type defragmenter struct {
	lim   *Limits
	sets  map[fragKey]*fragSet
	out   []byte // the last reassembled datagram; valid until the next call
	stats *Stats
}

func newDefragmenter(lim *Limits, st *Stats) *defragmenter {
	return &defragmenter{lim: lim, sets: make(map[fragKey]*fragSet), stats: st}
}

// maxDatagram is the largest IP payload a fragment set may describe.
const maxDatagram = 65535

// add records one fragment. It returns the reassembled transport payload
// and the frame of the first fragment when this fragment completes the
// datagram.
func (d *defragmenter) add(k fragKey, ts int64, frame, off int, more bool, data []byte) ([]byte, int, int, bool) {
	d.stats.Fragments++
	if off+len(data) > maxDatagram {
		d.stats.FragmentsRefused++
		return nil, 0, 0, false
	}
	s := d.sets[k]
	if s == nil {
		if len(d.sets) >= d.lim.MaxFragSets {
			d.expire(ts, true)
		}
		s = &fragSet{first: ts, firstFrame: frame, total: -1}
		d.sets[k] = s
	}
	if len(s.frags) >= d.lim.MaxFragsPerSet {
		d.stats.FragmentsRefused++
		delete(d.sets, k)
		d.stats.FragSetsEvicted++
		return nil, 0, 0, false
	}
	if !more {
		if s.total >= 0 && s.total != off+len(data) {
			d.stats.FragmentOverlaps++ // two different "last" fragments
		}
		s.total = off + len(data)
	}
	s.frags = append(s.frags, fragment{off: off, data: append([]byte(nil), data...)})
	s.bytes += len(data)
	if s.total < 0 || s.bytes < s.total {
		return nil, 0, 0, false
	}
	// Possibly complete: sort and check coverage.
	sort.Slice(s.frags, func(i, j int) bool { return s.frags[i].off < s.frags[j].off })
	if cap(d.out) < s.total {
		d.out = make([]byte, s.total)
	}
	out := d.out[:s.total]
	covered := 0
	for _, f := range s.frags {
		if f.off > covered {
			return nil, 0, 0, false // a hole: wait for more
		}
		if f.off < covered {
			d.stats.FragmentOverlaps++
		}
		end := min(f.off+len(f.data), s.total)
		if end > covered {
			copy(out[covered:end], f.data[covered-f.off:end-f.off])
			covered = end
		}
	}
	if covered < s.total {
		return nil, 0, 0, false
	}
	n := len(s.frags)
	first := s.firstFrame
	delete(d.sets, k)
	d.stats.Reassembled++
	return out, first, n, true
}

// expire drops sets older than FragTimeout at capture time now. With
// force, and the table still full, it evicts an eighth of the sets (in map
// order) so that a flood of never-completed fragments costs amortised O(1)
// per fragment.
func (d *defragmenter) expire(now int64, force bool) {
	for k, s := range d.sets {
		if now-s.first > int64(d.lim.FragTimeout) {
			delete(d.sets, k)
			d.stats.FragSetsTimedOut++
		}
	}
	if !force || len(d.sets) < d.lim.MaxFragSets {
		return
	}
	target := d.lim.MaxFragSets - max(d.lim.MaxFragSets/8, 1)
	for k := range d.sets {
		if len(d.sets) <= target {
			break
		}
		delete(d.sets, k)
		d.stats.FragSetsEvicted++
	}
}

// flush counts what is still incomplete at the end of the capture.
func (d *defragmenter) flush() {
	d.stats.FragSetsIncomplete += len(d.sets)
	clear(d.sets)
}
