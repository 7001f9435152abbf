package correlate

import (
	"cmp"
	"math"
	"net/netip"
	"slices"
	"sort"
)

// clockSampleMax bounds the packets per side the first pass keeps: enough
// twins for a median and a drift fit to the 0.1 ms, whatever the capture
// length (the sample is uniform over the whole capture, see sampler).
const clockSampleMax = 4096

// clockOutlierNs drops twin deltas this far from their median: wrong
// twins (hash collisions, a retransmission paired with its sibling), not
// latency, which is sub-millisecond to tens of ms.
const clockOutlierNs = 1e9

// driftMinSpanNs: below this capture span drift is not estimated; 20 ppm
// over two minutes moves the offset by 2.4 ms, within latency noise.
const driftMinSpanNs = 120e9

type sample struct {
	ts       int64
	src, dst netip.AddrPort
	dup      bool
}

// sampler keeps the packets whose key is below a threshold, halving the
// threshold when it holds more than clockSampleMax. Both sides sample by
// the same rule, so the twins of kept packets are kept on the other side
// (below the lower of the two thresholds), spread over the whole capture.
//
// A sampler takes every packet of its side, on its side's goroutine: it
// fills two cache lines of its own, so that the two sides' samplers,
// allocated together, never share one (both goroutines writing one line
// made every packet wait for the other core).
type sampler struct {
	thr         uint64
	m           map[uint64]sample
	first, last int64
	n           int
	_           [128 - 40]byte
}

func newSampler() *sampler {
	return &sampler{thr: math.MaxUint64, m: make(map[uint64]sample)}
}

func (s *sampler) add(e *event) {
	if s.n == 0 {
		s.first = e.ts
	}
	s.n++
	s.last = e.ts
	if e.key >= s.thr {
		return
	}
	if v, ok := s.m[e.key]; ok {
		v.dup = true
		s.m[e.key] = v
		return
	}
	s.m[e.key] = sample{ts: e.ts, src: e.ep.src, dst: e.ep.dst}
	for len(s.m) > clockSampleMax {
		s.thr /= 2
		for k := range s.m {
			if k >= s.thr {
				delete(s.m, k)
			}
		}
	}
}

type direction int8

const (
	dirUnknown direction = iota
	dirOutbound
	dirInbound
)

func (d direction) String() string {
	switch d {
	case dirOutbound:
		return "outbound"
	case dirInbound:
		return "inbound"
	}
	return "unknown"
}

// twinDirection tells from the addresses of a LAN packet and its WAN twin
// which way it crossed: the remote end is the same on both sides.
func twinDirection(lanSrc, lanDst, wanSrc, wanDst netip.AddrPort) direction {
	sameDst, sameSrc := lanDst == wanDst, lanSrc == wanSrc
	switch {
	case sameDst && !sameSrc:
		return dirOutbound
	case sameSrc && !sameDst:
		return dirInbound
	}
	return dirUnknown
}

// clockModel maps LAN time to WAN time: wan = lan + offset + drift*(lan-t0).
type clockModel struct {
	t0     int64
	offset float64 // ns
	drift  float64 // ns per ns
	ok     bool
}

func (c clockModel) at(lanTS int64) float64 {
	return c.offset + c.drift*float64(lanTS-c.t0)
}

// toLAN converts a WAN timestamp to the LAN clock.
func (c clockModel) toLAN(wanTS int64) int64 {
	// wan = lan + off + d*(lan-t0)  =>  lan = (wan - off + d*t0)/(1+d)
	lan := float64(wanTS-c.t0) - c.offset
	lan /= 1 + c.drift
	return c.t0 + int64(math.Round(lan))
}

type twinDelta struct {
	t     int64 // LAN ts
	delta float64
	dir   direction
}

// estimateClock derives the clock model from the two samplers.
func estimateClock(l, w *sampler) (clockModel, int) {
	thr := min(l.thr, w.thr)
	var ds []twinDelta
	for k, ls := range l.m {
		if k >= thr || ls.dup {
			continue
		}
		ws, ok := w.m[k]
		if !ok || ws.dup {
			continue
		}
		d := twinDirection(ls.src, ls.dst, ws.src, ws.dst)
		if d == dirUnknown && !(ls.src == ws.src && ls.dst == ws.dst) {
			continue // neither end in common: not a twin
		}
		ds = append(ds, twinDelta{t: ls.ts, delta: float64(ws.ts - ls.ts), dir: d})
	}
	if len(ds) == 0 {
		return clockModel{t0: l.first}, 0
	}
	slices.SortFunc(ds, func(a, b twinDelta) int {
		if a.t != b.t {
			return cmp.Compare(a.t, b.t)
		}
		return cmp.Compare(a.delta, b.delta)
	})
	all := make([]float64, len(ds))
	for i, d := range ds {
		all[i] = d.delta
	}
	med := quantile(all, 0.5)
	kept := ds[:0]
	for _, d := range ds {
		if math.Abs(d.delta-med) <= clockOutlierNs {
			if d.dir == dirUnknown {
				d.dir = dirOutbound
				if d.delta < med {
					d.dir = dirInbound
				}
			}
			kept = append(kept, d)
		}
	}
	ds = kept
	c := clockModel{t0: l.first, ok: true}
	c.drift = fitDrift(ds, c.t0)
	var out, in []float64
	for _, d := range ds {
		r := d.delta - c.drift*float64(d.t-c.t0)
		if d.dir == dirOutbound {
			out = append(out, r)
		} else {
			in = append(in, r)
		}
	}
	c.offset = combine(out, in)
	return c, len(ds)
}

// combine estimates the offset from outbound deltas (offset + latency) and
// inbound ones (offset - latency): the middle of the fastest of each.
func combine(out, in []float64) float64 {
	const q = 0.05
	switch {
	case len(out) > 0 && len(in) > 0:
		return (quantile(out, q) + quantile(in, 1-q)) / 2
	case len(out) > 0:
		return quantile(out, q)
	case len(in) > 0:
		return quantile(in, 1-q)
	}
	return 0
}

// fitDrift fits a line to the deltas, each direction about its own median,
// and keeps the slope only when the span is long and the slope significant.
func fitDrift(ds []twinDelta, t0 int64) float64 {
	if len(ds) < 10 || float64(ds[len(ds)-1].t-ds[0].t) < driftMinSpanNs {
		return 0
	}
	var out, in []float64
	for _, d := range ds {
		if d.dir == dirOutbound {
			out = append(out, d.delta)
		} else {
			in = append(in, d.delta)
		}
	}
	mo, mi := quantile(out, 0.5), quantile(in, 0.5)
	var sx, sy, sxx, sxy float64
	n := float64(len(ds))
	for _, d := range ds {
		x := float64(d.t-t0) / 1e9
		y := d.delta - mo
		if d.dir == dirInbound {
			y = d.delta - mi
		}
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	den := n*sxx - sx*sx
	if den <= 0 {
		return 0
	}
	b := (n*sxy - sx*sy) / den // ns per s
	a := (sy - b*sx) / n
	var sse float64
	for _, d := range ds {
		x := float64(d.t-t0) / 1e9
		y := d.delta - mo
		if d.dir == dirInbound {
			y = d.delta - mi
		}
		e := y - a - b*x
		sse += e * e
	}
	se := math.Sqrt(sse/(n-2)) / math.Sqrt(sxx-sx*sx/n)
	if math.Abs(b) < 3*se || math.Abs(b) < 1000 { // < 1 ppm: noise
		return 0
	}
	return b / 1e9
}

// quantile returns the q-quantile of v (sorted in place); NaN when empty.
func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	sort.Float64s(v)
	i := int(math.Round(q * float64(len(v)-1)))
	return v[i]
}
