package correlate

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"net/netip"
	"slices"
	"time"
)

// DefaultMaxStreams bounds the RTP streams counted: 8,192 streams (about
// 1.6 KiB each with the delay sketch, 13 MiB) are 4,096 two-way calls in
// one capture pair. Packets of streams beyond it are paired and counted
// in the mappings as before, not per stream.
const DefaultMaxStreams = 1 << 13

// maxGapFrames bounds the loss gaps listed per stream (Stream.GapFrames);
// Stream.Gaps counts them all.
const maxGapFrames = 32

// Stream is one RTP stream (SSRC and direction) as it crossed the router:
// what entered on one side, what left on the other, and what the router
// did in between, counted from the packet pairs. Its memory is a handful
// of counters and a fixed-size delay sketch, never a list of packets.
type Stream struct {
	SSRC uint32
	// Direction is outbound (LAN to WAN) or inbound.
	Direction string
	// LAN, WAN and Remote are the stream's phone-side endpoint, the
	// public endpoint the NAT used for it and the far end, from the first
	// packet that showed each; LAN (inbound) or WAN (outbound) is zero
	// when no packet crossed.
	LAN, WAN, Remote netip.AddrPort
	// First and Last are the first and last packet entering the router,
	// in the LAN capture's clock.
	First, Last time.Time
	// Entered counts the RTP packets seen on the side they enter the
	// router, Left those seen on the side they leave it; Lost those that
	// entered and never left, Duplicated those that left without entering
	// (a packet the router sent twice), Reordered those that left in
	// another order than they entered.
	Entered, Left, Lost, Duplicated, Reordered int
	// MaxLossBurst is the longest run of consecutive RTP sequence numbers
	// lost at the router.
	MaxLossBurst int
	// Gaps counts the loss bursts; GapFrames lists the entering-side
	// frame of the first packet lost in each of the first maxGapFrames.
	Gaps      int
	GapFrames []int
	// TailLost counts the packets lost after the last one that crossed:
	// the stream stopped crossing while it went on entering. TailStart
	// and TailEnd are the first and last of them (LAN clock), TailFrame
	// the entering-side frame of the first.
	TailLost           int
	TailStart, TailEnd time.Time
	TailFrame          int
	// FirstLeftFrame is the leaving-side frame of the first packet that
	// crossed, 0 when none did.
	FirstLeftFrame int
	// Delay is the router's forwarding delay, ms; nil when no packet
	// crossed. JitterMS is the RFC 3550 interarrival jitter of that delay
	// (the jitter the router added), ms.
	Delay    *StreamDelay
	JitterMS float64
	// RTCPEntered and RTCPLeft count the RTCP packets with the stream's
	// SSRC as sender, on the same two sides.
	RTCPEntered, RTCPLeft int
}

// StreamDelay is a stream's router delay in milliseconds.
type StreamDelay struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// streamKey names a stream by where it enters (or, with leave set, where
// it leaves) the router: the SSRC, the direction, the router-side host
// (the phone's LAN address, or the public one) and the far end's
// endpoint, with the phone's port where that side shows it. Ports are
// halved: RTP on an even port and its RTCP on the next (RFC 3550 §11), or
// both on one port (RFC 5761), share a stream. The public port is left
// out: a NAT need not keep RTP and RTCP on a pair.
type streamKey struct {
	ssrc                  uint32
	dir                   direction
	leave                 bool
	local, remote         netip.Addr
	localPair, remotePair uint16
}

// newStreamKey makes a key; local is the router-side endpoint, phone
// whether it is the phone's own (LAN side).
func newStreamKey(ssrc uint32, dir direction, leave bool, local, remote netip.AddrPort, phone bool) streamKey {
	k := streamKey{ssrc: ssrc, dir: dir, leave: leave, local: local.Addr(), remote: remote.Addr(), remotePair: remote.Port() >> 1}
	if phone {
		k.localPair = local.Port() >> 1
	}
	return k
}

// Delay sketch: residuals relative to the stream's first one, bucketed
// log-linearly with 8 sub-buckets an octave (relative error under 6 %,
// exact below 8 µs), in microseconds up to 2^23 µs (8 s, beyond the
// pairing window). A sign half per side of the first residual.
const (
	sketchSub     = 8
	sketchOctaves = 21
	sketchHalf    = sketchSub * (sketchOctaves + 1)
)

type sketch struct {
	base   float64 // the first residual, ns
	n      uint32
	counts [2 * sketchHalf]uint32
}

func sketchIndex(us uint64) int {
	if us < sketchSub {
		return int(us)
	}
	e := bits.Len64(us) - 4 // us>>e in [8, 16)
	i := sketchSub*(e+1) + int(us>>e) - sketchSub
	return min(i, sketchHalf-1)
}

// sketchValue is the middle of bucket i, µs.
func sketchValue(i int) float64 {
	if i < sketchSub {
		return float64(i)
	}
	e := i/sketchSub - 1
	lo := float64(uint64(i%sketchSub+sketchSub) << e)
	return lo + float64(uint64(1)<<e)/2
}

func (s *sketch) add(r float64) {
	if s.n == 0 {
		s.base = r
	}
	s.n++
	d := (r - s.base) / 1e3
	if d < 0 {
		s.counts[sketchHalf+sketchIndex(uint64(-d))]++
		return
	}
	s.counts[sketchIndex(uint64(d))]++
}

// quantile returns the q-quantile of the residuals, ns.
func (s *sketch) quantile(q float64) float64 {
	rank := uint32(math.Ceil(q * float64(s.n)))
	rank = max(rank, 1)
	var seen uint32
	// From the most negative (the top of the negative half) up.
	for i := sketchHalf - 1; i >= 0; i-- {
		if seen += s.counts[sketchHalf+i]; seen >= rank {
			return s.base - sketchValue(i)*1e3
		}
	}
	for i := 0; i < sketchHalf; i++ {
		if seen += s.counts[i]; seen >= rank {
			return s.base + sketchValue(i)*1e3
		}
	}
	return s.base
}

// sstate is a stream being counted.
//
// The fields every packet that crosses updates come first, with the
// sketch's counts after them, so that a packet touches few cache lines:
// with hundreds of streams interleaved, each packet's stream is cold.
// (2026-12, issue 15: with the Stream first, a crossing packet touched
// nine lines; the sketch and the first field read cost 0.45 s of the
// pairing goroutine on the large RTP pair.)
type sstate struct {
	// first and last entering times, LAN clock ns; the latest entering
	// time of a packet that crossed.
	first, last, lastCrossed int64
	rmin, rmax               float64 // residuals, ns
	prevR                    float64
	jitter                   float64 // ns
	pairs                    int
	sk                       sketch
	s                        Stream
	lastLost                 uint16 // RTP seq of the last packet lost
	run                      int    // the current loss run
	tailStart, tailEnd       int64
}

// rtpFields reads the SSRC and sequence number of an RTP packet, and the
// sender's SSRC of an RTCP one.
func rtpFields(k Kind, b []byte) (ssrc uint32, seq uint16) {
	switch k {
	case KindRTP:
		return binary.BigEndian.Uint32(b[8:12]), binary.BigEndian.Uint16(b[2:4])
	case KindRTCP:
		return binary.BigEndian.Uint32(b[4:8]), 0
	}
	return 0, 0
}

// enterKey and leaveKey are the keys of the stream of a packet of
// direction dir: where it entered, and where it left.
func enterKey(e *event, dir direction) streamKey {
	if dir == dirOutbound {
		return newStreamKey(e.ssrc, dir, false, e.src, e.dst, true)
	}
	return newStreamKey(e.ssrc, dir, false, e.dst, e.src, false)
}

func leaveKey(e *event, dir direction) streamKey {
	if dir == dirOutbound {
		return newStreamKey(e.ssrc, dir, true, e.src, e.dst, false)
	}
	return newStreamKey(e.ssrc, dir, true, e.dst, e.src, true)
}

// streams counts the RTP streams of the second pass.
type streams struct {
	byKey map[streamKey]int32
	list  []*sstate
	// gen changes whenever a stream that get or pairStream returned may no
	// longer be the one they would return (none is ever dropped today):
	// the pairer's memos of streams hold only while it stays.
	gen     uint32
	max     int
	refused int // packets of streams beyond max
	// lan and wan are the captures' spans in the LAN clock: a packet seen
	// on one side only while the other capture was not running is no
	// evidence of loss or duplication; unobserved counts those.
	lan, wan   span
	unobserved int
}

// edgeMargin is how close to the end of the capture of the side it
// leaves by a packet must enter to be taken as unobserved there rather
// than lost: the time a router takes to forward it (well under 10 ms).
const edgeMargin = int64(10 * time.Millisecond)

func (ss *streams) setSpans(sp [2]span, clk clockModel) {
	ss.lan = sp[0]
	if sp[1].first != 0 {
		ss.wan = span{clk.toLAN(sp[1].first), clk.toLAN(sp[1].last)}
	}
}

// observed reports whether the capture of the side a packet of direction
// dir entered by (enter) or leaves by (!enter) was running at t.
func (ss *streams) observed(dir direction, enter bool, t int64) bool {
	sp := ss.wan
	if (dir == dirOutbound) == enter {
		sp = ss.lan
	}
	if sp.first == 0 && sp.last == 0 {
		return true // no span known (tests that build a pairer by hand)
	}
	return t >= sp.first && t <= sp.last-edgeMargin
}

func newStreams(max int) *streams {
	return &streams{byKey: map[streamKey]int32{}, max: max}
}

// get returns the stream with entering key k, creating it (nil past the
// bound).
func (ss *streams) get(k streamKey, t int64) *sstate {
	if id, ok := ss.byKey[k]; ok {
		return ss.list[id]
	}
	if len(ss.list) >= ss.max {
		ss.refused++
		return nil
	}
	st := &sstate{first: t, last: t, lastCrossed: math.MinInt64}
	st.s.SSRC, st.s.Direction = k.ssrc, k.dir.String()
	ss.byKey[k] = int32(len(ss.list))
	ss.list = append(ss.list, st)
	return st
}

// pairStream returns the stream of a packet that crossed (l and w its LAN
// and WAN twins, entering the router at enterT), creating it, and makes
// its leaving key name it too; nil past the bound. What it returns
// depends on the two twins' flows and SSRC alone: the pairer remembers it
// per flow (pairMemo) as long as gen does not change.
func (ss *streams) pairStream(l, w *event, dir direction, enterT int64) *sstate {
	in, out := w, l
	if dir == dirOutbound {
		in, out = l, w
	}
	st := ss.get(enterKey(in, dir), enterT)
	if st == nil {
		return nil
	}
	if _, ok := ss.byKey[leaveKey(out, dir)]; !ok {
		ss.byKey[leaveKey(out, dir)] = ss.byKey[enterKey(in, dir)]
	}
	return st
}

// crossed counts a packet of st that crossed: l and w its LAN and WAN
// twins, entering the router at enterT (LAN clock), r the residual of its
// delay, ns.
func (st *sstate) crossed(l, w *event, dir direction, enterT int64, r float64) {
	out := l
	if dir == dirOutbound {
		out = w
	}
	st.enter(enterT)
	if l.kind == KindRTCP {
		st.s.RTCPEntered++
		st.s.RTCPLeft++
		return
	}
	s := &st.s
	s.Entered++
	s.Left++
	if dir == dirOutbound {
		s.LAN, s.WAN, s.Remote = l.src, w.src, w.dst
	} else {
		s.LAN, s.WAN, s.Remote = l.dst, w.dst, w.src
	}
	if st.pairs == 0 { // no RTP packet crossed before this one
		s.FirstLeftFrame = out.frame
	}
	if enterT < st.lastCrossed {
		s.Reordered++
	}
	st.lastCrossed = max(st.lastCrossed, enterT)
	// Losses are told a window after they entered, so none told yet
	// entered after this packet: no tail so far.
	st.s.TailLost = 0
	st.sk.add(r)
	if st.pairs == 0 {
		st.rmin, st.rmax = r, r
	} else {
		st.rmin, st.rmax = min(st.rmin, r), max(st.rmax, r)
		st.jitter += (math.Abs(r-st.prevR) - st.jitter) / 16 // RFC 3550 §6.4.1
	}
	st.prevR = r
	st.pairs++
}

func (st *sstate) enter(t int64) {
	st.first, st.last = min(st.first, t), max(st.last, t)
}

// lost counts a packet that entered and never left; losses come in the
// order the packets entered.
func (ss *streams) lost(e *event, dir direction, t int64) {
	if !ss.observed(dir, false, t) {
		ss.unobserved++
		return
	}
	st := ss.get(enterKey(e, dir), t)
	if st == nil {
		return
	}
	st.enter(t)
	if e.kind == KindRTCP {
		st.s.RTCPEntered++
		return
	}
	s := &st.s
	s.Entered++
	s.Lost++
	if s.Entered == 1 {
		if dir == dirOutbound {
			s.LAN, s.Remote = e.src, e.dst
		} else {
			s.WAN, s.Remote = e.dst, e.src
		}
	}
	if st.run > 0 && e.rseq == st.lastLost+1 {
		st.run++
	} else {
		st.run = 1
		s.Gaps++
		if len(s.GapFrames) < maxGapFrames {
			s.GapFrames = append(s.GapFrames, e.frame)
		}
	}
	st.lastLost = e.rseq
	s.MaxLossBurst = max(s.MaxLossBurst, st.run)
	if t > st.lastCrossed {
		if s.TailLost == 0 {
			st.tailStart, s.TailFrame = t, e.frame
		}
		s.TailLost++
		st.tailEnd = t
	}
}

// extra counts a packet that left without entering: the router sent it
// twice (or it entered before the capture began).
func (ss *streams) extra(e *event, dir direction, t int64) {
	if !ss.observed(dir, true, t) {
		ss.unobserved++
		return
	}
	id, ok := ss.byKey[leaveKey(e, dir)]
	if !ok {
		return
	}
	st := ss.list[id]
	if e.kind == KindRTCP {
		st.s.RTCPLeft++
		return
	}
	st.s.Left++
	st.s.Duplicated++
}

// result returns the streams that carried RTP, in order of their first
// packet; adj is the clock refinement (ns) finishClock found.
func (ss *streams) result(adj float64) []Stream {
	out := make([]Stream, 0, len(ss.list))
	for _, st := range ss.list {
		s := st.s
		if s.Entered == 0 && s.Left == 0 {
			continue // RTCP only
		}
		s.First, s.Last = time.Unix(0, st.first).UTC(), time.Unix(0, st.last).UTC()
		if st.pairs == 0 {
			s.TailLost = 0 // never crossed: no tail to speak of
		}
		if s.TailLost > 0 {
			s.TailStart, s.TailEnd = time.Unix(0, st.tailStart).UTC(), time.Unix(0, st.tailEnd).UTC()
		}
		if st.pairs > 0 {
			// Delay is residual - adj outbound, adj - residual inbound.
			d := StreamDelay{P50: st.sk.quantile(0.5) - adj, P99: st.sk.quantile(0.99) - adj, Max: st.rmax - adj}
			if s.Direction == dirInbound.String() {
				d = StreamDelay{P50: adj - st.sk.quantile(0.5), P99: adj - st.sk.quantile(0.01), Max: adj - st.rmin}
			}
			// The sketch's bucket middle can pass the exact extremes.
			d.P50, d.P99 = min(d.P50, d.Max), min(d.P99, d.Max)
			s.Delay = &StreamDelay{P50: round(d.P50/1e6, 3), P99: round(d.P99/1e6, 3), Max: round(d.Max/1e6, 3)}
			s.JitterMS = round(st.jitter/1e6, 3)
		}
		out = append(out, s)
	}
	slices.SortStableFunc(out, func(a, b Stream) int {
		return cmp.Or(a.First.Compare(b.First), cmp.Compare(a.Direction, b.Direction), cmp.Compare(a.SSRC, b.SSRC))
	})
	return out
}

func (ss *streams) warnings() []string {
	var w []string
	if ss.refused > 0 {
		w = append(w, fmt.Sprintf("%d RTP/RTCP packet(s) of streams beyond the first %d were paired but not counted per stream", ss.refused, ss.max))
	}
	if ss.unobserved > 0 {
		w = append(w, fmt.Sprintf("media: %d RTP/RTCP packet(s) seen on one side while the other capture was not running: not counted in the streams (neither lost nor duplicated)", ss.unobserved))
	}
	return w
}
