package correlate

import (
	"errors"
	"fmt"
	"iter"
	"math"
	"net/netip"
	"sync"
	"time"

	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/flowcache"
)

// pend is a packet waiting for its twin.
type pend struct {
	ev   event
	t    int64 // common (LAN) clock
	next int32
	gen  uint32 // bumped each time the slot is freed: stale fifo entries differ
	// For WAN packets to a known mapping: its index and idle gaps (ns)
	// at arrival, since its last packet and since its last outbound one.
	mapID          int32
	gapAny, gapOut int64
}

type listHT struct{ head, tail int32 }

// fifoEnt is a slab slot as it was when a packet arrived.
type fifoEnt struct {
	i   int32
	gen uint32
}

// waiting holds one side's packets not yet paired, by key and in arrival
// order. A packet's slot is freed as soon as its twin takes it, so the
// slab holds only packets still waiting (a few per router latency, not
// the whole window); the arrival ring keeps one 8-byte entry per packet of
// the window. Nothing is allocated per packet once grown.
type waiting struct {
	slab  []pend
	free  []int32
	heads *keyTable
	fifo  []fifoEnt // ring of slots in arrival order, a power of two long; stale once taken
	fhead int
	flen  int
	live  int // packets waiting
	// max bounds live and, fourfold, the ring; what the bound pushes out
	// before its window ends is counted in evicted.
	max     int
	evicted int
}

func newWaiting(max int) *waiting {
	return &waiting{heads: newKeyTable(), fifo: make([]fifoEnt, 1024), max: max}
}

// add makes e (at t, common clock) wait and returns its entry, with
// mapID -1, valid until the next add.
func (w *waiting) add(e *event, t int64) *pend {
	var i int32
	if n := len(w.free); n > 0 {
		i = w.free[n-1]
		w.free = w.free[:n-1]
	} else {
		w.slab = append(w.slab, pend{})
		i = int32(len(w.slab) - 1)
	}
	p := &w.slab[i]
	p.ev, p.t, p.next, p.mapID, p.gapAny, p.gapOut = *e, t, -1, -1, 0, 0
	if s := w.heads.find(e.key); s.used {
		w.slab[s.ht.tail].next = i
		s.ht.tail = i
	} else {
		w.heads.set(e.key, listHT{i, i})
	}
	if w.flen == len(w.fifo) {
		n := make([]fifoEnt, 2*len(w.fifo))
		for k := 0; k < w.flen; k++ {
			n[k] = w.fifo[(w.fhead+k)&(len(w.fifo)-1)]
		}
		w.fifo, w.fhead = n, 0
	}
	w.fifo[(w.fhead+w.flen)&(len(w.fifo)-1)] = fifoEnt{i, p.gen}
	w.flen++
	w.live++
	return p
}

// release frees slot i: its fifo entry goes stale.
func (w *waiting) release(i int32) {
	w.slab[i].gen++
	w.free = append(w.free, i)
	w.live--
}

// take removes the oldest waiting packet with key k and returns it, or
// nil. The packet stays valid until the next add.
func (w *waiting) take(k uint64) *pend {
	s := w.heads.find(k)
	if !s.used {
		return nil
	}
	i := s.ht.head
	p := &w.slab[i]
	if p.next < 0 {
		w.heads.del(k)
	} else {
		s.ht.head = p.next
	}
	w.release(i)
	if w.fifo[w.fhead].i == i {
		w.popStale()
	}
	return p
}

// popStale pops the stale entries at the head of the arrival ring: the
// head is then a packet still waiting, or the ring is empty, which due
// relies on.
func (w *waiting) popStale() {
	for w.flen > 0 {
		e := w.fifo[w.fhead]
		if w.slab[e.i].gen == e.gen {
			return
		}
		w.fhead = (w.fhead + 1) & (len(w.fifo) - 1)
		w.flen--
	}
}

// due reports whether expire(before, false, ...) has a packet to forget.
func (w *waiting) due(before int64) bool {
	return w.flen > 0 && (w.slab[w.fifo[w.fhead].i].t < before || w.live >= w.max || w.flen >= 4*w.max)
}

// expire calls f for every packet still waiting that arrived before
// before (all if force), oldest first, and forgets them; past the bound it
// also forgets younger ones, counting them.
func (w *waiting) expire(before int64, force bool, f func(*pend)) {
	for w.flen > 0 {
		e := w.fifo[w.fhead]
		p := &w.slab[e.i]
		stale := p.gen != e.gen
		if !stale && !force && p.t >= before {
			if w.live < w.max && w.flen < 4*w.max {
				return
			}
			w.evicted++
		}
		w.fhead = (w.fhead + 1) & (len(w.fifo) - 1)
		w.flen--
		if stale {
			continue
		}
		// Arrival order is time order, so p heads its key's list.
		if s := w.heads.find(p.ev.key); s.used && s.ht.head == e.i {
			if p.next < 0 {
				w.heads.del(p.ev.key)
			} else {
				s.ht.head = p.next
			}
		}
		f(p)
		w.release(e.i)
	}
}

type mkey struct {
	proto    uint8
	lan, wan netip.AddrPort
}

type epKey struct {
	proto uint8
	ep    netip.AddrPort
}

// mstate is a mapping being counted. The fields every pair updates come
// first, m (which result completes) last: a pair touches one cache line
// of a mapping, not three. out and in are m.PacketsOut and m.PacketsIn
// while the pass runs.
type mstate struct {
	first, last      int64
	lastOut, lastIn  int64
	suspectT         int64 // a drop awaiting confirmation, 0 if none
	out, in          int
	kinds            [4]int
	maxIdle          int64
	survived         bool
	expiryUpper      int64 // ns, 0 if none
	suspectGap       int64
	remotesTruncated bool
	m                Mapping
}

// reservoir keeps a uniform sample of at most latencySamples values with a
// fixed-seed generator, so results are reproducible.
type reservoir struct {
	v   []float64
	n   int
	rng uint64
	min float64
	max float64
}

func (r *reservoir) add(x float64) {
	if r.n == 0 || x < r.min {
		r.min = x
	}
	if r.n == 0 || x > r.max {
		r.max = x
	}
	r.n++
	if len(r.v) < latencySamples {
		r.v = append(r.v, x)
		return
	}
	r.rng ^= r.rng << 13
	r.rng ^= r.rng >> 7
	r.rng ^= r.rng << 17
	if j := r.rng % uint64(r.n); j < latencySamples {
		r.v[j] = x
	}
}

type pairer struct {
	clk      clockModel
	window   int64
	lan, wan *waiting
	maps     []*mstate
	byKey    *flowcache.Table[mkey, int32]
	byWAN    *flowcache.Table[epKey, *int32] // latest mapping of a WAN endpoint
	byLAN    map[epKey][]int32               // mappings of a LAN endpoint
	// memo is, by LAN flow, what pairing its packets decided (see
	// pairMemo), scratch the memo of a pair not remembered; wanMemo is,
	// by WAN flow, the mapping of its destination (see mappingByWAN).
	memo     []pairMemo
	scratch  pairMemo
	wanMemo  []wanMemo
	lanHosts map[netip.Addr]bool
	public   map[netip.Addr]bool
	out, in  reservoir
	hops     hopCounter
	// cut is set when a capture's snap length cut packets: SIP is keyed
	// by shortSIPKey, and what stays unpaired apart from RTP and RTCP
	// (keyed by their headers) is StateUnpaired, not dropped or generated.
	cut      bool
	res      Result
	warnings []string
	// sameAddr counts pairs whose twins have the same addresses and
	// ports on both sides, sameTime those of them also stamped alike.
	sameAddr, sameTime int
	opt                Options      // bounds, defaults filled in
	keys               [2]*sipKeys  // the first pass's SIP keys, or nil
	logs               [2]*eventLog // the first pass's event logs, or nil
	// Counts of what the bounds refused: pairs of mappings beyond
	// MaxMappings, SIP pairs beyond MaxSIPPairs, remotes beyond
	// maxRemotesTotal.
	unmappedPairs, sipPairsRefused, remotesRefused int
	remotes                                        int
	streams                                        *streams
	// feed does the stream work: on serve's goroutine while run runs,
	// the streams then its.
	feed streamFeed
	adj  float64 // finishClock's refinement of the offset, ns
	// span is each capture's first and last packet on the LAN clock
	// (indexes SideLANi, SideWANi).
	span [2][2]int64
	// ran is when each capture is known to have run (see runs); wanOnly
	// the WAN addresses the LAN capture never names.
	ran     [2][2]int64
	wanOnly map[netip.Addr]bool
	// refused maps a packet's flow (as an ICMP error quoted it) to when
	// the host it was sent to refused it, for a pairing window.
	refused map[refKey]int64
}

type refKey struct {
	proto    uint8
	src, dst netip.AddrPort
}

func newPairer(clk clockModel, opt Options) *pairer {
	p := &pairer{
		clk: clk, window: int64(opt.Window), opt: opt,
		lan: newWaiting(opt.MaxPending), wan: newWaiting(opt.MaxPending),
		byKey: flowcache.NewTable[mkey, int32](opt.MaxMappings), byWAN: flowcache.NewTable[epKey, *int32](opt.MaxMappings),
		byLAN:    make(map[epKey][]int32),
		lanHosts: make(map[netip.Addr]bool), public: make(map[netip.Addr]bool),
		out: reservoir{rng: 0x9e3779b97f4a7c15}, in: reservoir{rng: 0x2545f4914f6cdd1d},
		streams: newStreams(opt.MaxStreams, opt.Window, opt.StreamSink),
	}
	p.feed.w = &streamWork{ss: p.streams}
	return p
}

// serve is the second pass's other goroutine: it reads both sides'
// batches (each side's reader runs as a coroutine, iter.Pull) and does
// the stream work the pairer hands on, whichever is wanted, until both
// sides are read and the feed is stopped, or done.
//
// Why (2026-12, issue 15): a goroutine per reader and one for the
// stream work made four goroutines waking each other on two cores. Two,
// each with about a core's worth of work, wait for each other only when
// one runs dry. Large RTP pair, second pass, medians of alternated runs:
// 433-438 -> 427-432 ms while this machine's two vCPUs sit near each
// other; while the host puts them apart (a cross-core round trip of 350
// ns instead of 90) about 750 -> 724 ms, where the pass on two cores does
// about the work of one whatever its shape (docs/performance.md).
func (p *pairer) serve(lr, wr *sideReader, done <-chan struct{}) {
	type side struct {
		r    *sideReader
		next func() (*batch, bool)
		free chan *batch
	}
	var sides [2]side
	for i, r := range []*sideReader{lr, wr} {
		next, stop := iter.Pull(r.batches)
		defer stop()
		sides[i] = side{r, next, r.free}
	}
	ops := p.feed.out // nil: the pairer does the stream work itself
	fill := func(s *side, b *batch) {
		s.r.next = b
		out, ok := s.next()
		if !ok {
			close(s.r.out)
			s.free = nil
			return
		}
		s.r.out <- out // never blocks: out holds every batch
	}
	for sides[0].free != nil || sides[1].free != nil || ops != nil {
		select {
		case b := <-sides[0].free:
			fill(&sides[0], b)
		case b := <-sides[1].free:
			fill(&sides[1], b)
		case b, ok := <-ops:
			if !ok {
				ops = nil
				close(p.feed.done)
				continue
			}
			p.feed.take(b)
		case <-done:
			return
		}
	}
}

// run is the second pass: both files read in parallel, merged in the
// common clock, each packet paired or expired.
func (p *pairer) run(lan, wan capture.Source, lim capture.Limits, keepSIP bool) error {
	// On the way out, done stops the readers and run waits for them: an
	// error on one side ends the pass at once, and no reader outlives it.
	var wg sync.WaitGroup
	defer wg.Wait()
	done := make(chan struct{})
	defer close(done)
	lr, wr := newSideReader(lan, lim), newSideReader(wan, lim)
	lr.keepSIP, wr.keepSIP = keepSIP, keepSIP
	if p.opt.SIPSink != nil {
		lr.keepSIP, wr.keepSIP = false, false
		lr.streamSIP, wr.streamSIP = true, true
	}
	lr.maxSIP, wr.maxSIP = p.opt.MaxSIPBytes, p.opt.MaxSIPBytes
	lr.log, wr.log = p.logs[0], p.logs[1]
	lr.keys, wr.keys = &sipKeys{replay: true}, &sipKeys{replay: true}
	if p.keys[0] != nil && p.keys[1] != nil {
		lr.keys.rec, wr.keys.rec = p.keys[0].rec, p.keys[1].rec
	}
	if p.cut {
		lr.keys, wr.keys = &sipKeys{short: true}, &sipKeys{short: true}
	}
	if !p.opt.inlineStreams {
		p.feed.start()
		defer p.feed.stop()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		p.serve(lr, wr, done)
	}()
	var errs []error
	next := func(r *sideReader, cur **batch, i *int) bool {
		for *cur == nil || *i >= len((*cur).ev) {
			if *cur != nil {
				if (*cur).err != nil {
					errs = append(errs, (*cur).err)
					return false
				}
				r.free <- *cur
				*cur = nil
			}
			b, ok := <-r.out
			if !ok {
				return false
			}
			*cur, *i = b, 0
		}
		return true
	}
	var lb, wb *batch
	var li, wi int
	lok, wok := next(lr, &lb, &li), next(wr, &wb, &wi)
	var tw int64 // the current WAN event's time in the LAN clock
	if wok {
		tw = p.clk.toLAN(wb.ev[wi].ts)
	}
	for (lok || wok) && len(errs) == 0 {
		var e *event
		var lanSide bool
		var t int64
		if lok {
			e, lanSide, t = &lb.ev[li], true, lb.ev[li].ts
		}
		if wok && (!lok || tw < t) {
			e, lanSide, t = &wb.ev[wi], false, tw
		}
		p.handle(e, lanSide, t)
		if lanSide {
			li++
			lok = next(lr, &lb, &li)
		} else {
			wi++
			if wok = next(wr, &wb, &wi); wok {
				tw = p.clk.toLAN(wb.ev[wi].ts)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	p.lan.expire(0, true, p.unpairedLAN)
	p.wan.expire(0, true, p.unpairedWAN)
	for _, r := range []*sideReader{lr, wr} {
		if r.sipRefused > 0 {
			p.warnings = append(p.warnings, fmt.Sprintf("%s: %d SIP messages beyond the first %d MiB were paired but not kept for matching", r.src, r.sipRefused, r.maxSIP>>20))
		}
	}
	p.res.LANSIP, p.res.WANSIP = lr.sip, wr.sip
	p.res.WANUnreachable = wr.unreach
	return nil
}

func (p *pairer) handle(e *event, lanSide bool, t int64) {
	if e.proto == capture.ProtoICMP || e.proto == capture.ProtoICMPv6 {
		if !lanSide {
			p.noteRefusal(e, t)
		}
		return
	}
	before := t - p.window
	if p.lan.due(before) {
		p.lan.expire(before, false, p.unpairedLAN)
	}
	if p.wan.due(before) {
		p.wan.expire(before, false, p.unpairedWAN)
	}
	if e.cut && e.kind == KindOther {
		// What the snap length left of it cannot be told from its whole
		// twin's: unpaired, and no claim about the router.
		side := SideWAN
		if lanSide {
			side = SideLAN
		}
		p.addUnpaired(Unpaired{Side: side, Frame: e.frame, Direction: dirUnknown.String(), Kind: e.kind, State: StateUnpaired, Src: e.ep.src, Dst: e.ep.dst, seq: int(e.seq)})
		return
	}
	if lanSide {
		if w := p.wan.take(e.key); w != nil {
			p.pair(e, t, &w.ev, w.t, w)
			return
		}
		p.lan.add(e, t)
		return
	}
	if l := p.lan.take(e.key); l != nil {
		p.pair(&l.ev, l.t, e, t, nil)
		return
	}
	np := p.wan.add(e, t)
	if id, ok := p.mappingByWAN(e); ok {
		ms := p.maps[id]
		np.mapID, np.gapAny, np.gapOut = id, t-ms.last, t-ms.lastOut
	}
}

// pairMemo is what pairing a LAN flow's packet with a WAN flow's twin
// decided that depends on the two flows (and the SSRC) alone: the
// direction, the mapping, whether the remote is listed. The pairer keeps
// one per LAN flow (pairer.memo, by event.flow), so that the packets
// after a flow's first find these without hashing a key; the stream
// feed keeps the RTP stream of the same pairs (streamMemo).
//
// Why (2026-12, issue 15): the pairing goroutine, the one part of the
// second pass on a single core, looked up each RTP packet's stream twice
// (a Go map keyed by 64 bytes) and its mapping through a cache of
// hashed endpoints: about 1.3 s of the 2.2 s it took on the large RTP
// pair.
type pairMemo struct {
	wan  int32 // the WAN flow; 0: empty
	ssrc uint32
	dir  direction
	// same: the twins have the same addresses and ports on both sides;
	// remote: the mapping lists the remote end; stream: the memo was made
	// by an RTP or RTCP packet (its stream is in the feed's memo).
	same, remote, stream bool
	mapID                int32
}

// memoFor returns the memo of l's flow when it holds the pair of l and w,
// nil otherwise.
func (p *pairer) memoFor(l, w *event, media bool) *pairMemo {
	if l.flow <= 0 || w.flow <= 0 || int(l.flow) >= len(p.memo) {
		return nil
	}
	m := &p.memo[l.flow]
	if m.wan != w.flow {
		return nil
	}
	if media && (!m.stream || m.ssrc != l.ssrc) {
		return nil
	}
	return m
}

// pair records a LAN packet and its WAN twin (times in the common clock).
// wp is the WAN packet's waiting entry when it arrived first.
func (p *pairer) pair(l *event, lt int64, w *event, wt int64, wp *pend) {
	p.res.Paired++
	media := l.kind == KindRTP || l.kind == KindRTCP
	m := p.memoFor(l, w, media)
	learned := m == nil
	if learned {
		m = p.learnPair(l, w, lt, wt, media)
	}
	dir := m.dir
	if m.same {
		p.sameAddr++
		if l.ts == w.ts {
			p.sameTime++
		}
	}
	r := float64(w.ts-l.ts) - p.clk.at(l.ts)
	p.hops.add(dir, l.ttl, w.ttl)
	if dir == dirOutbound {
		p.out.add(r)
	} else {
		p.in.add(r)
	}
	if media {
		p.feed.crossed(l, w, dir, lt, wt, r, learned, m != &p.scratch)
	}
	if l.kind == KindSIP {
		p.addSIPPair(SIPPair{LANFrame: l.frame, WANFrame: w.frame, Direction: dir.String(), State: "matched", LANSeq: int(l.seq), WANSeq: int(w.seq)}, l.rec, w.rec)
	}
	if m.mapID < 0 {
		p.unmappedPairs++
		return
	}
	ms := p.maps[m.mapID]
	if dir == dirOutbound {
		if ms.suspectT != 0 && lt > ms.suspectT {
			p.confirmExpiry(ms)
		}
		ms.out++
		ms.lastOut = lt
	} else {
		gap := wt - ms.last
		if wp != nil && wp.mapID == m.mapID {
			gap = wp.gapAny
		}
		if ms.out+ms.in > 0 && gap > ms.maxIdle {
			ms.maxIdle = gap
		}
		if ms.out+ms.in > 0 {
			ms.survived = true
		}
		if ms.suspectT != 0 && wt > ms.suspectT {
			if ms.lastOut < ms.suspectT {
				ms.suspectT = 0 // alive without a refresh: that drop was a loss
			} else {
				p.confirmExpiry(ms)
			}
		}
		ms.in++
		ms.lastIn = wt
	}
	ms.kinds[l.kind]++
	ms.last = max(ms.last, lt, wt)
	if !m.remote {
		m.remote = p.addRemote(ms, m.remoteEnd(w))
	}
}

// remoteEnd is the far end of a pair whose WAN twin is w.
func (m *pairMemo) remoteEnd(w *event) netip.AddrPort {
	if m.dir == dirOutbound {
		return w.ep.dst
	}
	return w.ep.src
}

// learnPair works out what pairing l with w decides for their flows (the
// mapping, created when new) and returns it, remembered in the memo of
// l's flow when both flows are numbered, the direction known and the
// mapping found; otherwise in a scratch memo used for this pair only.
func (p *pairer) learnPair(l, w *event, lt, wt int64, media bool) *pairMemo {
	m := pairMemo{wan: w.flow, ssrc: l.ssrc, same: l.ep.src == w.ep.src && l.ep.dst == w.ep.dst, mapID: -1, stream: media}
	m.dir = twinDirection(l.ep.src, l.ep.dst, w.ep.src, w.ep.dst)
	keep := m.dir != dirUnknown
	if !keep {
		m.dir = dirOutbound
		if wt < lt {
			m.dir = dirInbound
		}
	}
	mk, remote := mkey{l.proto, l.ep.dst, w.ep.dst}, w.ep.src
	if m.dir == dirOutbound {
		mk, remote = mkey{l.proto, l.ep.src, w.ep.src}, w.ep.dst
	}
	if id, ok := p.mapping(mk); ok {
		m.mapID = id
	} else if len(p.maps) < p.opt.MaxMappings {
		m.mapID = p.newMapping(mk, remote, lt)
	} else {
		keep = false
	}
	if m.mapID >= 0 {
		m.remote = p.maps[m.mapID].hasRemote(remote)
	}
	if !keep || l.flow <= 0 || w.flow <= 0 {
		p.scratch = m
		return &p.scratch
	}
	if int(l.flow) >= len(p.memo) {
		p.memo = growFor(p.memo, l.flow)
	}
	p.memo[l.flow] = m
	return &p.memo[l.flow]
}

// mapping looks a mapping up by key.
func (p *pairer) mapping(k mkey) (int32, bool) {
	return p.byKey.Get(hashMapping(k), k)
}

func hashMapping(k mkey) uint64 {
	return flowcache.AddrPort(flowcache.AddrPort(flowcache.Seed(uint64(k.proto)), k.lan), k.wan)
}

func hashEP(k epKey) uint64 { return flowcache.AddrPort(flowcache.Seed(uint64(k.proto)), k.ep) }

// mappingByWAN looks up the latest mapping of the destination of e, a
// WAN packet, through the memo of its flow.
func (p *pairer) mappingByWAN(e *event) (int32, bool) {
	var wm *wanMemo
	if e.flow > 0 {
		if int(e.flow) >= len(p.wanMemo) {
			p.wanMemo = growFor(p.wanMemo, e.flow)
		}
		wm = &p.wanMemo[e.flow]
		if wm.cell != nil {
			return *wm.cell, true
		}
		if wm.known && wm.n == p.byWAN.Len() {
			return 0, false // no mapping, and none has been made for a new endpoint since
		}
	}
	k := epKey{e.proto, e.ep.dst}
	c, ok := p.byWAN.Get(hashEP(k), k)
	if wm != nil {
		*wm = wanMemo{cell: c, n: p.byWAN.Len(), known: true}
	}
	if !ok {
		return 0, false
	}
	return *c, true
}

// wanMemo is what a WAN flow's destination maps to: the cell holding its
// latest mapping, or (cell nil, known) none as of the n-th WAN endpoint
// mapped.
type wanMemo struct {
	cell  *int32
	n     int
	known bool
}

// addRemote lists r among the mapping's remotes; it reports whether r is
// listed.
func (p *pairer) addRemote(ms *mstate, r netip.AddrPort) bool {
	if ms.hasRemote(r) {
		return true
	}
	if len(ms.m.Remotes) >= maxRemotes {
		ms.remotesTruncated = true
		return false
	}
	if p.remotes >= maxRemotesTotal {
		p.remotesRefused++
		return false
	}
	p.remotes++
	ms.m.Remotes = append(ms.m.Remotes, r)
	return true
}

// addSIPPair lists a SIP message pair, up to MaxSIPPairs.
func (p *pairer) addSIPPair(sp SIPPair, lan, wan *SIPRecord) {
	if p.opt.SIPSink != nil {
		sp.LANSeq, sp.WANSeq = -1, -1
		p.opt.SIPSink(SIPMessage{SIPPair: sp, LAN: lan, WAN: wan})
		return
	}
	if len(p.res.SIPPairs) >= p.opt.MaxSIPPairs {
		p.sipPairsRefused++
		return
	}
	p.res.SIPPairs = append(p.res.SIPPairs, sp)
}

func (ms *mstate) hasRemote(r netip.AddrPort) bool {
	for _, x := range ms.m.Remotes {
		if x == r {
			return true
		}
	}
	return false
}

func (p *pairer) confirmExpiry(ms *mstate) {
	ms.m.Expired = true
	if ms.expiryUpper == 0 || ms.suspectGap < ms.expiryUpper {
		ms.expiryUpper = ms.suspectGap
	}
	ms.suspectT = 0
}

func (p *pairer) newMapping(mk mkey, remote netip.AddrPort, t int64) int32 {
	proto := "udp"
	if mk.proto == capture.ProtoTCP {
		proto = "tcp"
	} else if mk.proto != capture.ProtoUDP {
		proto = fmt.Sprint(mk.proto)
	}
	id := int32(len(p.maps))
	ms := &mstate{m: Mapping{Proto: proto, LAN: mk.lan, WAN: mk.wan}, first: t, last: t, lastOut: t}
	lk := epKey{mk.proto, mk.lan}
	// A new public port for a remote an earlier mapping of this LAN
	// endpoint served, after an idle gap: the earlier one expired.
	for _, pid := range p.byLAN[lk] {
		prev := p.maps[pid]
		if prev.hasRemote(remote) && time.Duration(t-prev.lastOut) >= minExpiryGap {
			prev.suspectGap = t - prev.lastOut
			p.confirmExpiry(prev)
		}
	}
	p.maps = append(p.maps, ms)
	p.byKey.Put(hashMapping(mk), mk, id)
	wk := epKey{mk.proto, mk.wan}
	hw := hashEP(wk)
	if c, ok := p.byWAN.Get(hw, wk); ok {
		*c = id
	} else {
		c := new(int32)
		*c = id
		p.byWAN.Put(hw, wk, c)
	}
	p.byLAN[lk] = append(p.byLAN[lk], id)
	p.lanHosts[mk.lan.Addr()] = true
	if mk.wan.Addr() != mk.lan.Addr() {
		p.public[mk.wan.Addr()] = true
	}
	return id
}

// StateUnpaired is the state of a packet or message seen on one side
// whose twin could not be looked for (the other capture's snap length cut
// what pairing needs): neither dropped nor generated by the router.
const StateUnpaired = "unpaired"

// unpairable reports whether a packet of kind k seen on one side only
// says nothing of the router: its twin may be one the snap length cut.
func (p *pairer) unpairable(k Kind) bool { return p.cut && k != KindRTP && k != KindRTCP }

func (p *pairer) addUnpaired(u Unpaired) {
	rec := u.rec
	u.rec = nil // listed without the message: the list outlives the pass
	switch {
	case u.State == "outside" && u.Side == SideLAN:
		p.res.Outside[SideLANi]++
	case u.State == "outside":
		p.res.Outside[SideWANi]++
	case u.State == "dropped":
		p.res.Dropped++
	case u.State == StateUnpaired:
		p.res.NotPaired++
	default:
		p.res.Generated++
	}
	if len(p.res.Unpaired) < maxUnpairedListed {
		p.res.Unpaired = append(p.res.Unpaired, u)
	}
	if u.Kind == KindSIP {
		if u.State == "outside" {
			p.res.OutsideSIP++
		}
		sp := SIPPair{Direction: u.Direction, State: u.State, LANSeq: -1, WANSeq: -1}
		var lrec, wrec *SIPRecord
		if u.Side == SideLAN {
			sp.LANFrame, sp.LANSeq, lrec = u.Frame, u.seq, rec
		} else {
			sp.WANFrame, sp.WANSeq, wrec = u.Frame, u.seq, rec
		}
		p.addSIPPair(sp, lrec, wrec)
	}
}

// covered reports whether the capture of side (SideLANi or SideWANi) ran
// around time t (LAN clock) by windowEdge on both sides, so that a twin
// at t would be in it.
func (p *pairer) covered(side int, t int64) bool {
	r := p.ran[side]
	return r[0]+windowEdge <= t && t+windowEdge <= r[1]
}

// runs sets p.ran: when each capture is known to have run, on the LAN
// clock. A capture file records no start or stop: its first and last
// packet are all it has. A side silent at its start or end may have been
// running while the router let nothing through (a mapping that expired,
// an ALG that drops) — silence proves nothing — so a capture is taken to
// have started at its first packet only when the other capture shows,
// before it, traffic that crossed this side, and likewise at its end;
// otherwise it is taken to have run all along. Traffic that crossed the
// LAN side: WAN packets from an address the LAN capture never names (the
// router's own public address: they came from the LAN). Traffic that
// crossed the WAN side: LAN packets from a public address (they came in
// through the WAN). Decided from the first pass alone, before any
// pairing, so that the first packets are judged like the rest.
// (2026-12, issue 16.)
func (p *pairer) runs(fp *firstPass) {
	onLAN := fp.hosts[0].names
	public := func(a netip.Addr) bool {
		return !a.IsPrivate() && !a.IsLinkLocalUnicast() && !a.IsLoopback() && !a.IsUnspecified() && !(a.Is4() && a.As4()[0] == 100 && a.As4()[1]&0xc0 == 64)
	}
	for side := range 2 {
		s := p.span[side]
		r := [2]int64{math.MinInt64 / 2, math.MaxInt64 / 2}
		other := 1 - side
		for a, sp := range fp.hosts[other].src.All() {
			f := *sp
			if side == SideLANi {
				if onLAN(a) {
					continue
				}
				f = [2]int64{p.clk.toLAN(f[0]), p.clk.toLAN(f[1])}
			} else if !public(a) {
				continue
			}
			if f[0] < s[0]-windowEdge {
				r[0] = s[0]
			}
			if f[1] > s[1]+windowEdge {
				r[1] = s[1]
			}
		}
		p.ran[side] = r
	}
	// WAN addresses the LAN capture never names are the router's own:
	// the direction of a WAN packet seen before any pair taught the
	// pairer its public address.
	p.wanOnly = map[netip.Addr]bool{}
	for a := range fp.hosts[1].src.All() {
		if !onLAN(a) {
			p.wanOnly[a] = true
		}
	}
}

// noteRefusal remembers a WAN-side ICMP refusal of the packet e quotes.
func (p *pairer) noteRefusal(e *event, t int64) {
	if p.refused == nil {
		p.refused = map[refKey]int64{}
	}
	if len(p.refused) >= maxRefusals {
		for k, rt := range p.refused {
			if rt < t-p.window {
				delete(p.refused, k)
			}
		}
		if len(p.refused) >= maxRefusals {
			return // a flood of refusals: the rest pin nothing
		}
	}
	p.refused[refKey{uint8(e.key), e.ep.src, e.ep.dst}] = t
}

// refusedAt reports whether the router refused the WAN packet e (at t)
// with an ICMP error within a pairing window: the router itself shows
// the drop, whether or not the LAN capture was running.
func (p *pairer) refusedAt(e *event, t int64) bool {
	rt, ok := p.refused[refKey{e.proto, e.ep.src, e.ep.dst}]
	return ok && rt >= t && rt-t <= p.window
}

func (p *pairer) unpairedLAN(w *pend) {
	e := &w.ev
	dir := dirInbound
	switch {
	case p.lanHosts[e.ep.src.Addr()]:
		dir = dirOutbound
	case p.lanHosts[e.ep.dst.Addr()]:
	case e.ep.src.Addr().IsPrivate():
		dir = dirOutbound
	}
	state := "generated"
	if dir == dirOutbound {
		state = "dropped"
	}
	if !p.covered(SideWANi, w.t) {
		state = "outside"
	} else if p.unpairable(e.kind) {
		state = StateUnpaired
	}
	p.addUnpaired(Unpaired{Side: SideLAN, Frame: e.frame, Direction: dir.String(), Kind: e.kind, State: state, Src: e.ep.src, Dst: e.ep.dst, seq: int(e.seq), rec: e.rec})
	p.streamUnpaired(e, dir, state, w.t)
}

// streamUnpaired counts an RTP or RTCP packet seen on one side only in
// its stream: lost when it was seen where it entered, extra otherwise.
func (p *pairer) streamUnpaired(e *event, dir direction, state string, t int64) {
	if e.kind != KindRTP && e.kind != KindRTCP || dir == dirUnknown {
		return
	}
	p.feed.unpaired(e, dir, state, t)
}

func (p *pairer) unpairedWAN(w *pend) {
	e := &w.ev
	dir := dirUnknown
	switch {
	case p.public[e.ep.dst.Addr()] || w.mapID >= 0:
		dir = dirInbound
	case p.public[e.ep.src.Addr()]:
		dir = dirOutbound
	case len(p.public) > 0:
	case p.wanOnly[e.ep.dst.Addr()]:
		dir = dirInbound // no pair yet: the router's address is the one the LAN never names
	case p.wanOnly[e.ep.src.Addr()]:
		dir = dirOutbound
	}
	state := "dropped"
	if dir == dirOutbound {
		state = "generated"
	}
	if !p.covered(SideLANi, w.t) && !(dir == dirInbound && p.refusedAt(e, w.t)) {
		state = "outside"
	} else if p.unpairable(e.kind) {
		state = StateUnpaired
	}
	p.addUnpaired(Unpaired{Side: SideWAN, Frame: e.frame, Direction: dir.String(), Kind: e.kind, State: state, Src: e.ep.src, Dst: e.ep.dst, seq: int(e.seq), rec: e.rec})
	p.streamUnpaired(e, dir, state, w.t)
	if w.mapID < 0 || state == "outside" || state == StateUnpaired {
		return // outside or unpaired: nothing says whether the router forwarded it
	}
	ms := p.maps[w.mapID]
	ms.m.DroppedInbound++
	if !ms.hasRemote(e.ep.src) || time.Duration(w.gapAny) < minExpiryGap {
		return
	}
	if ms.lastIn > w.t && ms.lastOut < w.t {
		return // a later inbound packet got through unrefreshed: a loss
	}
	if ms.suspectT == 0 || w.gapOut < ms.suspectGap {
		ms.suspectT, ms.suspectGap = w.t, w.gapOut
	}
	if ms.lastOut > w.t {
		p.confirmExpiry(ms)
	}
}
