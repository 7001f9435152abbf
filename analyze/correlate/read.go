package correlate

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/inventory"
)

// event is what pairing needs of one packet (or of one SIP message framed
// from a TCP stream).
type event struct {
	ts    int64 // own clock, Unix ns
	frame int
	// ep is the packet's flow: its protocol and endpoints. The reader
	// that made the event keeps one per numbered flow for the whole pass
	// (flowStore), never changed once an event points to it, so that an
	// event is 64 bytes, not 120 with the two endpoints inline.
	//
	// Why (2026-12, issue 15): the second pass's events are written by
	// the log readers and read, 14.5 million of them on the large RTP
	// pair, by the one pairing goroutine, which copies each waiting one
	// into its table; the endpoints, which pairing reads only for a
	// flow's first pair, were more than half of those bytes.
	ep  *flowKey
	key uint64
	// flow numbers the packet's flow (protocol, source, destination) on
	// its side from 1, in the order flows first appear, for the pairer's
	// per-flow caches; 0 when not numbered (see flowIDs). The side's
	// reader looks it up, so that the pairer does not hash addresses.
	flow  int32
	proto uint8
	kind  Kind
	ttl   uint8 // IP TTL / hop limit, 0 when unknown
	cut   bool  // the snap length cut the payload
	seq   int32 // index in the side's SIPRecords, -1 when not kept
	// rec is the SIP message itself when the pass streams SIP to
	// Options.SIPSink; nil otherwise.
	rec *SIPRecord
	// ssrc and rseq are an RTP packet's SSRC and sequence number, or an
	// RTCP packet's sender SSRC.
	ssrc uint32
	rseq uint16
}

// batchLen events travel together between the reading goroutine
// (pairer.serve) and the pairer; batchCount batches per side bound what
// is in flight (2 MiB a side; 4 batches, 1 MiB, until 2026-12: see
// streamOpBatches for why 8). A batch handed on may wake a goroutine
// that waits for it: when a goroutine read each side and another did the
// stream work (streamFeed), batches of 1,024 events and ops woke the
// second pass's four goroutines so often that it took 473 ms on the
// large RTP pair, 416 ms with 4,096 of both (medians of 12 alternated
// runs; 4,096 events with 1,024 ops: 596 ms, 8,192 of both: 420 ms;
// 2026-12, issue 15). A side's first batches hold firstBatchLen events:
// a small capture never allocates the rest.
const (
	batchLen      = 4096
	batchCount    = 8
	firstBatchLen = 256
)

type batch struct {
	ev  []event
	err error // set on the last batch of a side when reading failed
}

// sideReader reads one capture (or its event log) as batches of events:
// batches, pulled as an iterator by pairer.serve, which sends them to the
// pairer on out and takes them back on free.
type sideReader struct {
	src  capture.Source
	lim  capture.Limits
	out  chan *batch
	free chan *batch
	gets int // batches taken from free
	// yield hands each full batch to the goroutine that pulls the
	// batches; that goroutine sets next to the free batch to fill before
	// it resumes the reader.
	yield func(*batch) bool
	next  *batch

	// keepSIP asks scan to keep every SIP message in sip, up to
	// maxSIP bytes of payload; sipRefused counts those past the bound. Read
	// by the consumer only after out is closed.
	keepSIP bool
	// streamSIP attaches each SIP message to its event (event.rec) for
	// Options.SIPSink instead of keeping it.
	streamSIP  bool
	maxSIP     int      // bytes
	keys       *sipKeys // the first pass's SIP keys, replayed
	sip        []SIPRecord
	sipBytes   int
	sipRefused int
	// unreach holds the ICMP destination-unreachable errors the side
	// saw, at most maxUnreachable; read like sip.
	unreach []capture.Unreachable
	flows   flowIDs
	store   flowStore // the events' flows, by flows' numbers
	// log is the first pass's event log of the side, read instead of the
	// capture when set (see logWriter).
	log *eventLog
}

// maxUnreachable bounds the ICMP errors kept per side (48 bytes each): a
// router refusing every packet of a flood sends far more, but the rules
// ask only whether it refused the requests they judge.
const maxUnreachable = 4096

// keep copies one SIP message and returns its index, or -1.
func (s *sideReader) keep(r SIPRecord) int32 {
	if !s.keepSIP {
		return -1
	}
	if s.sipBytes+len(r.Data) > s.maxSIP || len(s.sip) >= math.MaxInt32 {
		s.sipRefused++
		return -1
	}
	r.Data = bytes.Clone(r.Data) // the payload outlives the packet
	s.sipBytes += len(r.Data)
	s.sip = append(s.sip, r)
	return int32(len(s.sip) - 1)
}

func newSideReader(src capture.Source, lim capture.Limits) *sideReader {
	s := &sideReader{src: src, lim: lim, out: make(chan *batch, batchCount), free: make(chan *batch, batchCount)}
	for i := 0; i < batchCount; i++ {
		s.free <- &batch{ev: make([]event, 0, firstBatchLen)}
	}
	return s
}

// batches is run as an iterator (iter.Pull): the batches of the side,
// the last with the reading's error.
func (s *sideReader) batches(yield func(*batch) bool) {
	s.yield = yield
	b := s.get()
	if b == nil {
		return
	}
	err := s.scan(&b)
	if b == nil {
		return
	}
	b.err = err
	yield(b)
}

// get returns the free batch the puller gave, its events slice at full
// length for scan to fill (see scan), or nil once the pass is over.
func (s *sideReader) get() *batch {
	b := s.next
	s.next = nil
	if b == nil {
		return nil
	}
	// A batch back for the second time: the capture is not small.
	if s.gets++; s.gets > batchCount && cap(b.ev) < batchLen {
		b.ev = make([]event, batchLen)
	}
	b.ev = b.ev[:cap(b.ev)]
	b.err = nil
	return b
}

// filler makes events in place in a side's batches: slot takes the next
// one, commit hands the batch on once full, drop takes the last slot back.
// The count is n, set in the batch only when it is handed on: the batch
// headers of both sides, allocated together, may share a cache line, and
// a write to it per event by each side's goroutine (each side was read
// by a goroutine of its own then) made the two cores take it from each
// other (2026-12, issue 15); the padding keeps a filler on a line of its
// own, away from what the pairer reads. Methods, not closures: the log
// reader's loop calls them for every event.
type filler struct {
	s *sideReader
	b *batch
	n int
	_ [64 - 24]byte
}

func (f *filler) slot() *event {
	f.n++
	return &f.b.ev[f.n-1] // commit hands a full batch on
}

func (f *filler) drop() { f.n-- }

func (f *filler) commit() bool {
	if f.n < len(f.b.ev) {
		return true
	}
	return f.handOn()
}

// handOn hands the full batch to the puller and takes the free one it
// gives back. Not inlined, so that commit is.
//
//go:noinline
func (f *filler) handOn() bool {
	if !f.s.yield(f.b) {
		f.b = nil
		return false
	}
	f.b, f.n = f.s.get(), 0
	return f.b != nil
}

func (s *sideReader) scan(bp **batch) error {
	f := &filler{s: s, b: *bp}
	defer func() {
		if *bp = f.b; f.b != nil {
			f.b.ev = f.b.ev[:f.n]
		}
	}()
	// sip attaches a SIP event's message.
	sip := func(e *event, data []byte) {
		r := SIPRecord{Frame: e.frame, TS: e.ts, Src: e.ep.src, Dst: e.ep.dst, Proto: e.proto, Data: data, Cut: e.cut}
		if s.streamSIP {
			r.Data = bytes.Clone(data) // the payload outlives the packet
			e.rec = &r
		} else {
			e.seq = s.keep(r)
		}
	}
	// unreachable keeps an ICMP error and hands on a refusal (proto is the
	// ICMP packet's protocol).
	unreachable := func(u *capture.Unreachable, proto uint8) bool {
		if len(s.unreach) < maxUnreachable {
			s.unreach = append(s.unreach, *u) // for the rules (correlate.Result.WANUnreachable)
		}
		// A refusal: the host a packet was sent to answered it with
		// ICMP unreachable (the router, for a mapping that is gone).
		// The pairer keeps these to pin a drop on the router where
		// the other capture cannot show it (see pairer.covered).
		if u.From != u.Dst.Addr() {
			return true
		}
		// proto marks the event as a refusal; key holds the quoted
		// packet's protocol.
		*f.slot() = event{ts: u.TS, frame: u.Frame, ep: &flowKey{u.Proto, u.Src, u.Dst}, proto: proto, key: uint64(u.Proto), seq: -1}
		return f.commit()
	}
	if s.log != nil {
		return s.scanLog(f, sip, unreachable)
	}
	r, err := capture.OpenSource(s.src)
	if err != nil {
		return err
	}
	defer r.Close()
	sc := capture.NewScanner(r, s.lim)
	packet := func(e *event, data []byte) bool {
		d := f.slot()
		*d = *e
		if d.kind == KindSIP {
			sip(d, data)
		}
		return f.commit()
	}
	var e event
	for p := sc.Next(); p != nil; p = sc.Next() {
		if p.Proto == capture.ProtoICMP || p.Proto == capture.ProtoICMPv6 {
			if u, ok := capture.ParseUnreachable(p); ok && !unreachable(&u, p.Proto) {
				return nil
			}
			continue
		}
		var flow int32
		if p.Proto == capture.ProtoUDP || p.Proto == capture.ProtoTCP {
			flow, _ = s.flows.id(p.Proto, p.Src, p.Dst, p.TS)
		}
		if !packetEvents(p, inventory.UDPSIP(p), s.keys, flow, s.store.flow(flow, p), &e, packet) {
			return nil
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("correlate: %s: %w", s.src, err)
	}
	// The first pass warned about a file cut short.
	return nil
}

// scanLog is scan from the first pass's event log.
func (s *sideReader) scanLog(f *filler, sip func(*event, []byte), unreachable func(*capture.Unreachable, uint8) bool) error {
	r, err := newLogReader(s.log, s.src)
	if err != nil {
		return fmt.Errorf("correlate: %s: the first pass's event log: %w", s.src, err)
	}
	var u capture.Unreachable
	for {
		e := f.slot()
		// The common record, without next's frame around fast; the rest
		// field by field, fast not tried again.
		if r.tryFast(e) {
			if !f.commit() {
				return nil
			}
			continue
		}
		data, isU, err := r.record(e, &u)
		switch {
		case err == nil && !isU:
			if e.kind == KindSIP {
				sip(e, data)
			}
		case errors.Is(err, io.EOF):
			f.drop()
			return nil
		case err != nil:
			f.drop()
			return fmt.Errorf("correlate: %s: the first pass's event log: %w", s.src, err)
		case isU:
			proto := e.proto
			f.drop()
			if !unreachable(&u, proto) {
				return nil
			}
			continue
		}
		if !f.commit() {
			return nil
		}
	}
}

// packetEvents calls f with the event of a UDP packet, or of each SIP
// message a TCP segment completed, and the payload it stands for; it
// stops and reports false when f does; sip is inventory.UDPSIP(p), flow is the
// packet's flow number (see flowIDs) and ep its flow, for the event to
// point to. The event is
// made in e, the caller's: f may read it, not keep it, nor change it.
func packetEvents(p *capture.Packet, sip bool, keys *sipKeys, flow int32, ep *flowKey, e *event, f func(e *event, data []byte) bool) bool {
	// Field by field, not *e = event{...}: the compiler builds a
	// composite literal on the stack with 1- to 8-byte stores, then
	// copies it with 16-byte loads, which the processor cannot forward
	// from those stores and waits for.
	//
	// Why (2026-12, issue 15): the literal's copy was 0.23 s of the first
	// pass's 7.2 s CPU over 5 runs of the large RTP pair (both sides).
	e.ts, e.frame, e.ep, e.key, e.flow = p.TS, p.Frame, ep, 0, flow
	e.proto, e.kind, e.ttl, e.cut, e.seq, e.rec = p.Proto, KindOther, p.TTL, p.Cut > 0, -1, nil
	e.ssrc, e.rseq = 0, 0
	switch p.Proto {
	case capture.ProtoUDP:
		e.kind, e.key = udpKey(p.Payload, len(p.Payload)+p.Cut, sip, keys.key)
		e.ssrc, e.rseq = rtpFields(e.kind, p.Payload)
		return f(e, p.Payload)
	case capture.ProtoTCP:
		for _, m := range p.SIP {
			k, ok := keys.key(m.Data)
			if !ok {
				continue
			}
			e.kind, e.key, e.frame = KindSIP, k, m.Frame
			if !f(e, m.Data) {
				return false
			}
		}
	}
	return true
}
