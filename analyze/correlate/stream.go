package correlate

import (
	"github.com/sipalg/sipalg/analyze/record"

	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"net/netip"
	"slices"
	"time"
)

// DefaultMaxStreams bounds the RTP streams open at once (counted, not yet
// finished): 8,192 streams (about 1.6 KiB each with the delay sketch,
// 13 MiB) are 4,096 two-way calls at the same time. Past it the streams
// least recently active are finished early, counted in a warning; a
// stream that goes on is then listed in parts.
const DefaultMaxStreams = 1 << 13

// StreamIdle is how long a stream may go without a packet entering the
// router before it is finished: its counts are final, it leaves memory,
// and a packet after it starts a new stream of the same SSRC, direction
// and endpoints (a second entry in the media section). Two minutes is
// RFC 4787's shortest UDP mapping timeout a NAT may use (REQ-5): after a
// longer silence a compliant router may have forgotten the flow, and the
// packets that resume it cross by a mapping made anew. It is far longer
// than anything the counts wait for (a loss is told a pairing window,
// 2 s, after the packet entered) and than the gaps of a live call: RTP
// every 20 ms, RTCP every few seconds even while a call is on hold
// (RFC 3264 §5.1). (2026-12, issue 15: the media section streams.)
const StreamIdle = 2 * time.Minute

// sweepEvery is how often, in capture time, open streams are checked for
// StreamIdle; it changes when memory is freed, never the counts.
const sweepEvery = int64(StreamIdle / 8)

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
	// entered, left and tailLost are s.Entered, s.Left and s.TailLost,
	// kept here while the stream is open (finished sets them in s), and
	// epL, epW the LAN and WAN flows of the packet whose endpoints s
	// holds (0: none, or a flow not numbered): a crossing packet of the
	// same two flows has the same endpoints, so it writes none of s.
	// (2026-12, issue 15: every crossing packet wrote Entered, Left,
	// TailLost and the three endpoints, 96 bytes, into s, two or three
	// cache lines of a cold stream beyond the ones above.)
	entered, left, tailLost int
	epL, epW                int32
	sk                      sketch
	s                       Stream
	lastLost                uint16 // RTP seq of the last packet lost
	run                     int    // the current loss run
	tailStart, tailEnd      int64
	// key is the stream's entering key and leave the leaving keys that
	// name it in streams.byKey; seq numbers the streams in the order they
	// began (equal report keys keep it); slot is its index in
	// streams.open.
	key   streamKey
	leave []streamKey
	seq   int64
	slot  int
}

// maxLeaveKeys bounds the leaving keys a stream is found by (one, or two
// when the NAT moved it to another public address): a duplicate that
// left by yet another is not counted.
const maxLeaveKeys = 4

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
		return newStreamKey(e.ssrc, dir, false, e.ep.src, e.ep.dst, true)
	}
	return newStreamKey(e.ssrc, dir, false, e.ep.dst, e.ep.src, false)
}

func leaveKey(e *event, dir direction) streamKey {
	if dir == dirOutbound {
		return newStreamKey(e.ssrc, dir, true, e.ep.src, e.ep.dst, false)
	}
	return newStreamKey(e.ssrc, dir, true, e.ep.dst, e.ep.src, true)
}

// streams counts the RTP streams of the second pass. A stream is open
// while packets enter the router for it; once silent for StreamIdle (or
// pushed out by the bound on open streams) it is finished: its counts go
// to the sink (or to done) and its memory is freed. Memory follows the
// streams open at once, not the streams of the capture (issue 15).
type streams struct {
	byKey map[streamKey]*sstate
	open  []*sstate
	// gen changes whenever a stream is finished: a stream's slot in open,
	// and whether get would return it, hold only while gen stays (the
	// pairer's memos of streams, see still).
	gen uint32
	max int
	// window is the pairing window, ns: a packet is decided at most about
	// a window after it entered, so a stream silent for StreamIdle plus
	// two windows gets no more packets (see sweep).
	window int64
	seq    int64
	// now is the latest entering time seen, nextSweep when open streams
	// are next checked for StreamIdle.
	now, nextSweep int64
	// early counts the streams finished early because max were open.
	early int
	// sink receives each finished stream (Options.StreamSink); without
	// one they are kept in done.
	sink     func(key, rec []byte)
	done     []finished
	key, rec []byte
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

func newStreams(max int, window time.Duration, sink func(key, rec []byte)) *streams {
	return &streams{byKey: map[streamKey]*sstate{}, max: max, window: int64(window), sink: sink}
}

// get returns the open stream with entering key k for a packet that
// entered at t, creating it. A stream silent for more than StreamIdle
// before t is finished first: t begins a new one.
func (ss *streams) get(k streamKey, t int64) *sstate {
	ss.now = max(ss.now, t)
	if st, ok := ss.byKey[k]; ok {
		if t-st.last <= int64(StreamIdle) {
			return st
		}
		ss.finish(st)
	}
	if ss.now >= ss.nextSweep || len(ss.open) >= ss.max {
		ss.sweep()
	}
	if len(ss.open) >= ss.max {
		ss.finishOldest()
	}
	st := &sstate{first: t, last: t, lastCrossed: math.MinInt64, key: k, seq: ss.seq, slot: len(ss.open)}
	ss.seq++
	st.s.SSRC, st.s.Direction = k.ssrc, k.dir.String()
	ss.byKey[k] = st
	ss.open = append(ss.open, st)
	return st
}

// sweep finishes the streams silent for StreamIdle and two pairing
// windows: every packet still to be decided entered at most about a
// window before now, so any packet of theirs still to come would begin a
// new stream in get anyway. Sweeping changes when a stream leaves memory,
// never what it counts.
func (ss *streams) sweep() {
	ss.nextSweep = ss.now + sweepEvery
	before := ss.now - int64(StreamIdle) - 2*ss.window
	for i := 0; i < len(ss.open); {
		if st := ss.open[i]; st.last < before {
			ss.finish(st) // moves the last open stream to i
			continue
		}
		i++
	}
}

// finishOldest makes room when max streams are open: the eighth of them
// silent longest are finished early (a stream that goes on is then listed
// in parts), and counted.
func (ss *streams) finishOldest() {
	old := slices.Clone(ss.open)
	slices.SortFunc(old, func(a, b *sstate) int { return cmp.Or(cmp.Compare(a.last, b.last), cmp.Compare(a.seq, b.seq)) })
	n := max(len(old)/8, 1)
	for _, st := range old[:n] {
		ss.finish(st)
	}
	ss.early += n
}

// finish closes st: it leaves the open streams and its keys, and, unless
// it carried RTCP only, goes to the sink or to done.
func (ss *streams) finish(st *sstate) {
	ss.gen++
	if ss.byKey[st.key] == st {
		delete(ss.byKey, st.key)
	}
	for _, k := range st.leave {
		if ss.byKey[k] == st {
			delete(ss.byKey, k)
		}
	}
	last := ss.open[len(ss.open)-1]
	ss.open[st.slot], last.slot = last, st.slot
	ss.open[len(ss.open)-1] = nil
	ss.open = ss.open[:len(ss.open)-1]
	if st.entered == 0 && st.left == 0 {
		return // RTCP only
	}
	f := st.finished()
	if ss.sink == nil {
		ss.done = append(ss.done, f)
		return
	}
	ss.key, ss.rec = f.appendKey(ss.key[:0]), f.append(ss.rec[:0])
	ss.sink(ss.key, ss.rec)
}

// pairStream returns the stream of a packet that crossed (l and w its LAN
// and WAN twins, entering the router at enterT), from get, and makes its
// leaving key name it too: pair's lookups. While gen stays, a later
// packet of the same two flows and SSRC would get the same stream, its
// leaving key already named, unless the stream fell idle: the pairer
// remembers its slot per flow (pairMemo) and asks still.
func (ss *streams) pairStream(l, w *event, dir direction, enterT int64) *sstate {
	in, out := w, l
	if dir == dirOutbound {
		in, out = l, w
	}
	st := ss.get(enterKey(in, dir), enterT)
	if lk := leaveKey(out, dir); len(st.leave) < maxLeaveKeys {
		if _, ok := ss.byKey[lk]; !ok {
			ss.byKey[lk] = st
			st.leave = append(st.leave, lk)
		}
	}
	return st
}

// still returns the open stream at slot, which pairStream returned when
// gen was g, for a packet entering at t, as pairStream would: nil when a
// stream was finished since (gen moved: slots and leaving keys may have
// changed) or when this one fell idle before t (get would finish it).
func (ss *streams) still(slot int32, g uint32, t int64) *sstate {
	if g != ss.gen {
		return nil
	}
	st := ss.open[slot]
	if t-st.last > int64(StreamIdle) {
		return nil
	}
	ss.now = max(ss.now, t)
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
	st.entered++
	st.left++
	if l.flow <= 0 || w.flow <= 0 || l.flow != st.epL || w.flow != st.epW {
		s := &st.s
		if dir == dirOutbound {
			s.LAN, s.WAN, s.Remote = l.ep.src, w.ep.src, w.ep.dst
		} else {
			s.LAN, s.WAN, s.Remote = l.ep.dst, w.ep.dst, w.ep.src
		}
		st.epL, st.epW = max(l.flow, 0), max(w.flow, 0)
	}
	if st.pairs == 0 { // no RTP packet crossed before this one
		st.s.FirstLeftFrame = out.frame
	}
	if enterT < st.lastCrossed {
		st.s.Reordered++
	}
	st.lastCrossed = max(st.lastCrossed, enterT)
	// Losses are told a window after they entered, so none told yet
	// entered after this packet: no tail so far.
	st.tailLost = 0
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
	st.enter(t)
	if e.kind == KindRTCP {
		st.s.RTCPEntered++
		return
	}
	s := &st.s
	st.entered++
	s.Lost++
	if st.entered == 1 { // no packet crossed before: it wrote no endpoints
		if dir == dirOutbound {
			s.LAN, s.Remote = e.ep.src, e.ep.dst
		} else {
			s.WAN, s.Remote = e.ep.dst, e.ep.src
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
		if st.tailLost == 0 {
			st.tailStart, s.TailFrame = t, e.frame
		}
		st.tailLost++
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
	st, ok := ss.byKey[leaveKey(e, dir)]
	if !ok {
		return
	}
	if e.kind == KindRTCP {
		st.s.RTCPLeft++
		return
	}
	st.left++
	st.s.Duplicated++
}

// finished is a stream whose counts are final, before the clock's last
// refinement (finishClock's adj, known only when the pass ends): its
// delay is kept as quantiles of the residuals, which stream turns into
// the router's delay.
type finished struct {
	s   Stream
	seq int64
	// crossed is set when any packet crossed; then q01, q50 and q99 are
	// the residuals' quantiles (ns, from the sketch), rmin and rmax their
	// extremes.
	crossed                   bool
	q01, q50, q99, rmin, rmax float64
}

// finished returns st's final counts.
func (st *sstate) finished() finished {
	s := st.s
	s.Entered, s.Left, s.TailLost = st.entered, st.left, st.tailLost
	s.First, s.Last = time.Unix(0, st.first).UTC(), time.Unix(0, st.last).UTC()
	if st.pairs == 0 {
		s.TailLost = 0 // never crossed: no tail to speak of
	}
	if s.TailLost > 0 {
		s.TailStart, s.TailEnd = time.Unix(0, st.tailStart).UTC(), time.Unix(0, st.tailEnd).UTC()
	}
	f := finished{s: s, seq: st.seq}
	if st.pairs > 0 {
		f.crossed = true
		f.q01, f.q50, f.q99 = st.sk.quantile(0.01), st.sk.quantile(0.5), st.sk.quantile(0.99)
		f.rmin, f.rmax = st.rmin, st.rmax
		f.s.JitterMS = round(st.jitter/1e6, 3)
	}
	return f
}

// stream is f as the report lists it; adj is the clock refinement (ns)
// finishClock found.
func (f *finished) stream(adj float64) Stream {
	s := f.s
	if f.crossed {
		// Delay is residual - adj outbound, adj - residual inbound.
		d := StreamDelay{P50: f.q50 - adj, P99: f.q99 - adj, Max: f.rmax - adj}
		if s.Direction == dirInbound.String() {
			d = StreamDelay{P50: adj - f.q50, P99: adj - f.q01, Max: adj - f.rmin}
		}
		// The sketch's bucket middle can pass the exact extremes.
		d.P50, d.P99 = min(d.P50, d.Max), min(d.P99, d.Max)
		s.Delay = &StreamDelay{P50: round(d.P50/1e6, 3), P99: round(d.P99/1e6, 3), Max: round(d.Max/1e6, 3)}
	}
	return s
}

// compare orders streams as Result.Streams lists them: by first packet,
// direction and SSRC, then in the order they began.
func (f *finished) compare(g *finished) int {
	return cmp.Or(f.s.First.Compare(g.s.First), cmp.Compare(f.s.Direction, g.s.Direction), cmp.Compare(f.s.SSRC, g.s.SSRC), cmp.Compare(f.seq, g.seq))
}

// appendKey appends the key that sorts f's records as compare does.
func (f *finished) appendKey(b []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(f.s.First.UnixNano())^1<<63)
	dir := byte(0) // "inbound" < "outbound"
	if f.s.Direction == dirOutbound.String() {
		dir = 1
	}
	b = append(b, dir)
	b = binary.BigEndian.AppendUint32(b, f.s.SSRC)
	return binary.BigEndian.AppendUint64(b, uint64(f.seq))
}

// append appends f's record (Options.StreamSink, Result.DecodeStream).
func (f *finished) append(b []byte) []byte {
	s := &f.s
	b = binary.BigEndian.AppendUint32(b, s.SSRC)
	dir := byte(0)
	if s.Direction == dirOutbound.String() {
		dir = 1
	}
	b = append(b, dir)
	for _, ep := range []netip.AddrPort{s.LAN, s.WAN, s.Remote} {
		n := len(b)
		b = append(b, 0)
		b, _ = ep.AppendBinary(b) // never fails
		b[n] = byte(len(b) - n - 1)
	}
	for _, v := range []int64{s.First.UnixNano(), s.Last.UnixNano(), f.seq} {
		b = binary.AppendVarint(b, v)
	}
	for _, v := range []int{s.Entered, s.Left, s.Lost, s.Duplicated, s.Reordered, s.MaxLossBurst, s.Gaps,
		s.TailLost, s.TailFrame, s.FirstLeftFrame, s.RTCPEntered, s.RTCPLeft, len(s.GapFrames)} {
		b = binary.AppendUvarint(b, uint64(v))
	}
	for _, fr := range s.GapFrames {
		b = binary.AppendUvarint(b, uint64(fr))
	}
	if s.TailLost > 0 {
		b = binary.AppendVarint(b, s.TailStart.UnixNano())
		b = binary.AppendVarint(b, s.TailEnd.UnixNano())
	}
	if !f.crossed {
		return append(b, 0)
	}
	b = append(b, 1)
	for _, v := range []float64{s.JitterMS, f.q01, f.q50, f.q99, f.rmin, f.rmax} {
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b
}

// errStreamRecord is returned (wrapped) for a stream record that does not
// decode: a spool read back wrong.
var errStreamRecord = errors.New("correlate: bad stream record")

// recReader reads a record written by finished.append.
type recReader struct{ record.Reader }

// count reads a uvarint that must fit an int32.
func (r *recReader) count() int {
	v := r.Uvarint()
	if v > math.MaxInt32 {
		r.Fail()
		return 0
	}
	return int(v)
}

func (r *recReader) float() float64 {
	v := r.Next(8)
	if v == nil {
		return 0
	}
	return math.Float64frombits(binary.BigEndian.Uint64(v))
}

// decodeFinished reads a record written by finished.append.
func decodeFinished(b []byte) (finished, error) {
	r := &recReader{record.NewReader(b)}
	var f finished
	s := &f.s
	if v := r.Next(4); v != nil {
		s.SSRC = binary.BigEndian.Uint32(v)
	}
	s.Direction = dirInbound.String()
	if r.Byte() == 1 {
		s.Direction = dirOutbound.String()
	}
	for _, ep := range []*netip.AddrPort{&s.LAN, &s.WAN, &s.Remote} {
		if err := ep.UnmarshalBinary(r.Next(int(r.Byte()))); err != nil {
			r.Fail()
		}
	}
	s.First, s.Last = time.Unix(0, r.Varint()).UTC(), time.Unix(0, r.Varint()).UTC()
	f.seq = r.Varint()
	for _, v := range []*int{&s.Entered, &s.Left, &s.Lost, &s.Duplicated, &s.Reordered, &s.MaxLossBurst, &s.Gaps,
		&s.TailLost, &s.TailFrame, &s.FirstLeftFrame, &s.RTCPEntered, &s.RTCPLeft} {
		*v = r.count()
	}
	n := r.count()
	if n > maxGapFrames {
		r.Fail()
		n = 0
	}
	for range n {
		s.GapFrames = append(s.GapFrames, r.count())
	}
	if s.TailLost > 0 {
		s.TailStart, s.TailEnd = time.Unix(0, r.Varint()).UTC(), time.Unix(0, r.Varint()).UTC()
	}
	if r.Byte() == 1 {
		f.crossed = true
		s.JitterMS = r.float()
		f.q01, f.q50, f.q99, f.rmin, f.rmax = r.float(), r.float(), r.float(), r.float(), r.float()
	}
	if !r.Done() {
		return finished{}, fmt.Errorf("%w (%d bytes)", errStreamRecord, len(b))
	}
	return f, nil
}

// DecodeStream returns the stream of a record Options.StreamSink received,
// as Result.Streams would list it.
func (r *Result) DecodeStream(rec []byte) (Stream, error) {
	f, err := decodeFinished(rec)
	if err != nil {
		return Stream{}, err
	}
	return f.stream(r.streamAdj), nil
}

// result finishes every stream still open and returns the streams that
// carried RTP, in order of their first packet (none with a sink: it had
// them all); adj is the clock refinement (ns) finishClock found.
func (ss *streams) result(adj float64) []Stream {
	open := slices.Clone(ss.open)
	slices.SortFunc(open, func(a, b *sstate) int { return cmp.Compare(a.seq, b.seq) })
	for _, st := range open {
		ss.finish(st)
	}
	slices.SortFunc(ss.done, func(a, b finished) int { return a.compare(&b) })
	out := make([]Stream, 0, len(ss.done))
	for i := range ss.done {
		out = append(out, ss.done[i].stream(adj))
	}
	ss.done = nil
	return out
}

func (ss *streams) warnings() []string {
	var w []string
	if ss.early > 0 {
		w = append(w, fmt.Sprintf("media: %d RTP stream(s) finished early: more than %d were open at once (--limit streams); "+
			"a stream that went on is listed in parts", ss.early, ss.max))
	}
	if ss.unobserved > 0 {
		w = append(w, fmt.Sprintf("media: %d RTP/RTCP packet(s) seen on one side while the other capture was not running: not counted in the streams (neither lost nor duplicated)", ss.unobserved))
	}
	return w
}
