package correlate

import "unsafe"

// The pairer hands its RTP stream work (streams: which stream a packet
// belongs to, and its counts, delay sketch and losses) to the second
// pass's other goroutine (pairer.serve, which also reads the sides), in
// batches of streamOps, in the order the pairer decides the packets. The
// stream state is touched only there, so the counts are the same as when
// the pairer did the work itself, and the spooled streams come out in the
// same order.
//
// Why (2026-12, issue 15): the second pass on the large RTP pair is bound
// by the one pairing goroutine (0.55 s of its 0.59 s; the two log readers
// need 0.35 s together, so the second core idles a third of the pass),
// and looking up and counting a packet's stream, whose state is cold for
// nearly every packet (hundreds of streams interleaved), is about 0.2 s of
// it.

// streamOp is one packet's stream work: the pair of a packet that
// crossed (l, the LAN twin, and w, the WAN twin), or a packet seen on one
// side only (in the l fields). One cache line: only what the stream work
// reads of the twins.
type streamOp struct {
	lep, wep *flowKey
	// t is when the packet entered the router (LAN clock), or was seen
	// (one side only); frame is the frame of the twin that left, or of
	// the packet seen.
	t            int64
	r            float64 // the delay's residual, ns (crossed)
	frame        int
	lflow, wflow int32
	lssrc, wssrc uint32
	lrseq        uint16
	op           uint8
	dir          direction
	kind         Kind
	// learned: the pairer worked this pair's flows out anew (no memo of
	// its LAN flow held them); kept: it remembers them in that memo.
	learned, kept bool
}

const (
	opCrossed uint8 = iota
	opLost
	opExtra
	opUnobserved
)

// streamMemo is, by LAN flow, the stream the last pair of the flow
// found, as pairMemo held it before the stream work left the pairer: its
// slot in streams.open as of streams.gen gen.
type streamMemo struct {
	slot int32
	gen  uint32
}

// streamOpBatch ops travel together (see batchLen for the size);
// streamOpBatches bound those in flight, 8 MiB: the pairer writes each op
// over one the serving goroutine read a rotation before, and with 4
// batches (1 MiB) that line was often still in the other core's cache,
// which a write must first take from it. While this machine's two vCPUs
// sit far apart (a cross-core round trip of 350 ns instead of 90; see
// cmd/sipalg-bench's crossCore) the second pass took 685-754 ms on the
// large RTP pair, 441-630 ms with 16 (4 MiB; medians of alternated runs in two
// stretches of that state, 6 and 14 rounds; while near, 430-436 ms
// either way). 16 batches of events as well did no better, and 16 of
// events alone did not help. (2026-12, issue 15.)
//
// Then 32 batches of ops (8 MiB) with 8 batches of events a side: apart,
// the second pass took 0.718 s instead of 0.772 s (medians of 8
// alternated rounds, faster in each), 0.98 instead of 1.06 s in a slower
// stretch; near, 0.01-0.02 s longer (0.55 against 0.54 s). Either alone
// was within the noise. Peak RSS 2-8 MiB more (50-58 MiB on the large RTP
// pair).
const (
	streamOpBatch      = 4096
	streamOpBatches    = 32
	firstStreamOpBatch = 256 // as firstBatchLen
)

// streamFeed takes the pairer's stream work. Until start, and after
// stop (and with Options.inlineStreams), it does the work at once, on
// the caller's goroutine.
type streamFeed struct {
	w       *streamWork
	flushed int
	cur     []streamOp
	out     chan []streamOp
	free    chan []streamOp
	done    chan struct{}
}

// streamWork is the state the stream work uses, on a cache line of its
// own: the pairer writes the feed's cur for every op, and a line both
// goroutines used (as the feed's fields at first) went back and forth
// between the cores (0.1 s of the pairer on the large RTP pair).
type streamWork struct {
	ss   *streams
	memo []streamMemo
	_    [64 - 32]byte
}

// start hands the stream work on, until stop, to whoever receives the
// batches on out and calls take with each, then closes done once out is
// closed (pairer.serve).
func (f *streamFeed) start() {
	f.out = make(chan []streamOp, streamOpBatches)
	f.free = make(chan []streamOp, streamOpBatches)
	f.done = make(chan struct{})
	for range streamOpBatches - 1 {
		f.free <- make([]streamOp, 0, firstStreamOpBatch)
	}
	f.cur = make([]streamOp, 0, firstStreamOpBatch)
}

// take applies a batch received from out and hands it back.
func (f *streamFeed) take(b []streamOp) {
	w := f.w
	for i := range b {
		w.apply(&b[i])
	}
	f.free <- b[:0]
}

// stop hands on what is left and waits until every op is applied; the
// streams are then the caller's again.
func (f *streamFeed) stop() {
	if f.out == nil {
		return
	}
	if len(f.cur) > 0 {
		f.out <- f.cur
	}
	close(f.out)
	<-f.done
	f.out, f.free, f.cur = nil, nil, nil
}

// slot returns the next op to fill; send hands it on.
func (f *streamFeed) slot() *streamOp {
	if f.cur == nil { // before start, or after stop: one op at a time
		f.cur = make([]streamOp, 0, 1)
	}
	f.cur = f.cur[:len(f.cur)+1]
	return &f.cur[len(f.cur)-1]
}

func (f *streamFeed) send() {
	if f.out == nil {
		f.w.apply(&f.cur[0])
		f.cur = f.cur[:0]
		return
	}
	if len(f.cur) == cap(f.cur) {
		f.flush()
	}
}

//go:noinline
func (f *streamFeed) flush() {
	f.out <- f.cur
	f.cur = <-f.free
	// A batch back for the second time: the capture is not small.
	if f.flushed++; f.flushed >= streamOpBatches && cap(f.cur) < streamOpBatch {
		f.cur = make([]streamOp, 0, streamOpBatch)
	}
}

// crossed counts a media packet that crossed: l and w its twins at lt
// and wt (LAN clock), r its delay's residual; learned and kept as in
// streamOp.
func (f *streamFeed) crossed(l, w *event, dir direction, lt, wt int64, r float64, learned, kept bool) {
	o := f.slot()
	o.t, o.frame = lt, w.frame
	if dir == dirInbound {
		o.t, o.frame = wt, l.frame
	}
	o.lep, o.wep, o.r, o.lflow, o.wflow = l.ep, w.ep, r, l.flow, w.flow
	o.lssrc, o.wssrc, o.lrseq = l.ssrc, w.ssrc, l.rseq
	o.op, o.dir, o.kind, o.learned, o.kept = opCrossed, dir, l.kind, learned, kept
	f.send()
}

// unpaired counts a media packet e seen on one side only, at t; state is
// its Unpaired.State.
func (f *streamFeed) unpaired(e *event, dir direction, state string, t int64) {
	o := f.slot()
	o.lep, o.wep, o.t, o.r, o.frame = e.ep, nil, t, 0, e.frame
	o.lflow, o.wflow = e.flow, 0
	o.lssrc, o.wssrc, o.lrseq = e.ssrc, 0, e.rseq
	o.dir, o.kind, o.learned, o.kept = dir, e.kind, false, false
	switch state {
	case "outside": // the other capture was not running: neither lost nor extra
		o.op = opUnobserved
	case "dropped":
		o.op = opLost
	default:
		o.op = opExtra
	}
	f.send()
}

// apply does one op's stream work.
func (f *streamWork) apply(o *streamOp) {
	var l, w event
	l.ep, l.frame, l.flow, l.ssrc, l.rseq, l.kind = o.lep, o.frame, o.lflow, o.lssrc, o.lrseq, o.kind
	switch o.op {
	case opUnobserved:
		f.ss.unobserved++
		return
	case opLost:
		f.ss.lost(&l, o.dir, o.t)
		return
	case opExtra:
		f.ss.extra(&l, o.dir, o.t)
		return
	}
	w.ep, w.frame, w.flow, w.ssrc, w.kind = o.wep, o.frame, o.wflow, o.wssrc, o.kind
	enterT := o.t // crossed reads the frame of the twin that left only
	var st *sstate
	if !o.learned && o.lflow > 0 && int(o.lflow) < len(f.memo) {
		// The pairer's memo of the LAN flow held the pair's flows: the
		// stream its learning pair found, if still open (otherwise the
		// pairer would have learnt the pair anew, and kept it).
		m := f.memo[o.lflow]
		st = f.ss.still(m.slot, m.gen, enterT)
	}
	if st == nil {
		st = f.ss.pairStream(&l, &w, o.dir, enterT)
		if (o.kept || !o.learned) && o.lflow > 0 {
			if int(o.lflow) >= len(f.memo) {
				f.memo = growFor(f.memo, o.lflow)
			}
			f.memo[o.lflow] = streamMemo{slot: int32(st.slot), gen: f.ss.gen}
		}
	}
	st.crossed(&l, &w, o.dir, enterT, o.r)
}

// The op is one cache line.
var _ [64 - unsafe.Sizeof(streamOp{})]byte
