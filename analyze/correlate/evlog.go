package correlate

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"os"
	"sync/atomic"

	"github.com/sipalg/sipalg/analyze/capture"
)

// The event log is what the first pass writes, per side, for the second
// to read instead of the capture: every event the second pass would make
// of the capture's packets (packetEvents), and every ICMP destination-
// unreachable error, in capture order, a few bytes each. The second pass
// then neither reads the capture again nor decodes its frames, numbers
// its flows or hashes its twin keys.
//
// Why (2026-12, issue 15): on the large RTP pair (1.66 GB and 7.2 million
// packets a side) the second pass's two reader goroutines cost about 2 s
// of CPU doing again what the first pass had done: read(2) of every
// byte, the frame decode, the flow lookup, the twin key. The log is about
// 20 bytes a packet (150 MB a side there), written to the temporary
// directory and unlinked at once; it never reaches the disk when the
// page cache holds it. When it cannot be written (no room, no temporary
// directory), or when a snap length cut either capture (the second pass
// then keys SIP by what the cut left, which the first pass did not
// compute), the second pass reads the capture as before: both ways give
// the same events (TestEventLogSameAsCapture).
//
// A record is its body's length (uvarint) and the body. An event's body:
//
//	header byte: kind (bits 0-1), cut (2), a flow definition follows (3),
//	    the TTL differs from the flow's last (4), the SSRC differs from the
//	    flow's last (5, RTP and RTCP), the frame is not the last plus one (6)
//	flow number (2 bytes; 0: not numbered, a definition follows)
//	[flow definition: protocol byte, source and destination endpoints]
//	time minus the last record's (4 bytes, ns; logLongTime: 8 bytes follow)
//	[frame minus the last record's (varint)]
//	[TTL byte]
//	twin key (8 bytes)
//	[SSRC (4 bytes)]
//	[RTP sequence number (2 bytes), RTP only]
//	[SIP only: the message]
//
// Multi-byte numbers are little-endian. The flow number and the time
// are fixed-width, not varints: reading the 14.5 million records of the
// large RTP pair, decoding the two varints was a third of the log
// reader's time (2026-12, issue 15). A time step that fits 32 bits
// (under 4.3 s, not backwards) takes 4 bytes, any other 12.
//
// An ICMP error's body is the header byte logUnreachable (| 1 for
// ICMPv6), the frame and time (varints, both always), the sender's
// address, the code, and the quoted packet's protocol and endpoints. An
// endpoint is its address's binary form (netip) after its length, then
// the port.

const (
	logKindMask    = 0x03
	logCut         = 0x04
	logFlowDef     = 0x08
	logTTL         = 0x10
	logSSRC        = 0x20
	logFrame       = 0x40
	logUnreachable = 0x80
)

// logLongTime in a record's 4-byte time field: the time step, an int64,
// follows in 8 bytes.
const logLongTime = math.MaxUint32

// appendLogTime appends the time step dt.
func appendLogTime(b []byte, dt int64) []byte {
	if dt >= 0 && dt < logLongTime {
		return binary.LittleEndian.AppendUint32(b, uint32(dt))
	}
	b = binary.LittleEndian.AppendUint32(b, logLongTime)
	return binary.LittleEndian.AppendUint64(b, uint64(dt))
}

// logBufSize is the write and read buffer of a side's log: small enough
// to stay in the processor's cache with the tables the passes use per
// packet (see capture's readBufferSize; 1 MiB before, 2026-12).
const logBufSize = 128 << 10

// flowLast is what a log record leaves out when it is its flow's last,
// and whether the flow was defined in the log: a flow is numbered at its
// first packet, and its first event can come after later flows' (a TCP
// connection's first message).
type flowLast struct {
	ttl     uint8
	defined bool
	proto   uint8 // the flow's, once defined: the reader's fast path need not touch the flow
	ssrc    uint32
}

// maxFastBody bounds the body of an event record without a flow
// definition or a message: header, flow, time, frame, TTL, key, SSRC,
// sequence number.
const maxFastBody = 1 + 2 + 4 + 8 + binary.MaxVarintLen64 + 1 + 8 + 4 + 2

// logWriter writes one side's event log in the first pass.
type logWriter struct {
	l     *eventLog
	buf   []byte
	body  []byte
	err   error // the first write error; the log is then abandoned
	size  int64
	last  []flowLast // by flow number
	ts    int64
	frame int
}

// newLogWriter creates a side's log in dir (the system's temporary
// directory when empty), unlinked at once where the system allows.
func newLogWriter(dir string) (*logWriter, error) {
	f, err := os.CreateTemp(dir, "sipalg-events-*")
	if err != nil {
		return nil, err
	}
	// Unix keeps an unlinked file's data until it is closed; where the
	// system refuses, close removes it.
	l := &eventLog{f: f, removed: os.Remove(f.Name()) == nil}
	return &logWriter{l: l, buf: make([]byte, 0, logBufSize)}, nil
}

func appendEndpoint(b []byte, ap netip.AddrPort) []byte {
	a, _ := ap.Addr().MarshalBinary() // cannot fail
	b = append(b, byte(len(a)))
	b = append(b, a...)
	return binary.LittleEndian.AppendUint16(b, ap.Port())
}

// event logs e (from packetEvents, its flow numbered as the second pass
// would) and, for SIP, the message.
func (w *logWriter) event(e *event, data []byte) {
	if w.err != nil {
		return
	}
	if e.flow <= 0 || int(e.flow) >= len(w.last) || !w.last[e.flow].defined || e.kind == KindSIP {
		w.eventSlow(e, data)
		return
	}
	// The common record, written in place: its body is shorter than
	// 128 bytes, so its length is one byte, set once the body is.
	if len(w.buf)+1+maxFastBody > cap(w.buf) {
		w.flush()
		if w.err != nil {
			return
		}
	}
	last := &w.last[e.flow]
	start := len(w.buf)
	b := append(w.buf, 0, 0)
	h := byte(e.kind) & logKindMask
	if e.cut {
		h |= logCut
	}
	b = binary.LittleEndian.AppendUint16(b, uint16(e.flow))
	b = appendLogTime(b, e.ts-w.ts)
	if e.frame != w.frame+1 {
		h |= logFrame
		b = binary.AppendVarint(b, int64(e.frame-w.frame))
	}
	if last.ttl != e.ttl {
		h |= logTTL
		b = append(b, e.ttl)
		last.ttl = e.ttl
	}
	b = binary.LittleEndian.AppendUint64(b, e.key)
	switch e.kind {
	case KindRTP:
		if last.ssrc != e.ssrc {
			h |= logSSRC
			b = binary.LittleEndian.AppendUint32(b, e.ssrc)
			last.ssrc = e.ssrc
		}
		b = binary.LittleEndian.AppendUint16(b, e.rseq)
	case KindRTCP:
		if last.ssrc != e.ssrc {
			h |= logSSRC
			b = binary.LittleEndian.AppendUint32(b, e.ssrc)
			last.ssrc = e.ssrc
		}
	}
	b[start] = byte(len(b) - start - 1)
	b[start+1] = h
	w.buf = b
	w.ts, w.frame = e.ts, e.frame
}

// eventSlow is event for a record with a flow definition or a message.
func (w *logWriter) eventSlow(e *event, data []byte) {
	b := w.body[:0]
	h := byte(e.kind) & logKindMask
	if e.cut {
		h |= logCut
	}
	var last *flowLast
	def := e.flow <= 0
	if e.flow > 0 {
		if int(e.flow) >= len(w.last) {
			w.last = growFor(w.last, e.flow)
		}
		last = &w.last[e.flow]
		def = !last.defined
	}
	if def {
		h |= logFlowDef
	}
	if def || last.ttl != e.ttl {
		h |= logTTL
	}
	media := e.kind == KindRTP || e.kind == KindRTCP
	if media && (def || last.ssrc != e.ssrc) {
		h |= logSSRC
	}
	if e.frame != w.frame+1 {
		h |= logFrame
	}
	b = append(b, h)
	b = binary.LittleEndian.AppendUint16(b, uint16(max(e.flow, 0)))
	if def {
		b = append(b, e.proto)
		b = appendEndpoint(b, e.ep.src)
		b = appendEndpoint(b, e.ep.dst)
	}
	b = appendLogTime(b, e.ts-w.ts)
	if h&logFrame != 0 {
		b = binary.AppendVarint(b, int64(e.frame-w.frame))
	}
	if h&logTTL != 0 {
		b = append(b, e.ttl)
	}
	b = binary.LittleEndian.AppendUint64(b, e.key)
	if h&logSSRC != 0 {
		b = binary.LittleEndian.AppendUint32(b, e.ssrc)
	}
	if e.kind == KindRTP {
		b = binary.LittleEndian.AppendUint16(b, e.rseq)
	}
	if e.kind == KindSIP {
		b = append(b, data...)
	}
	if last != nil {
		last.defined = true
		last.ttl = e.ttl
		if media {
			last.ssrc = e.ssrc
		}
	}
	w.ts, w.frame = e.ts, e.frame
	w.record(b)
}

// unreachable logs an ICMP destination-unreachable error (proto is the
// ICMP packet's protocol).
func (w *logWriter) unreachable(u capture.Unreachable, proto uint8) {
	if w.err != nil {
		return
	}
	h := byte(logUnreachable)
	if proto == capture.ProtoICMPv6 {
		h |= 1
	}
	b := append(w.body[:0], h)
	b = binary.AppendVarint(b, u.TS-w.ts)
	b = binary.AppendVarint(b, int64(u.Frame-w.frame))
	a, _ := u.From.MarshalBinary()
	b = append(b, byte(len(a)))
	b = append(b, a...)
	b = append(b, u.Code, u.Proto)
	b = appendEndpoint(b, u.Src)
	b = appendEndpoint(b, u.Dst)
	w.ts, w.frame = u.TS, u.Frame
	w.record(b)
}

func (w *logWriter) record(body []byte) {
	w.body = body
	if len(w.buf)+binary.MaxVarintLen64+len(body) > cap(w.buf) {
		w.flush()
		if w.err != nil {
			return
		}
	}
	w.buf = binary.AppendUvarint(w.buf, uint64(len(body)))
	if len(body) > cap(w.buf)-len(w.buf) {
		w.flush()
		w.write(body) // a message larger than the buffer
		return
	}
	w.buf = append(w.buf, body...)
}

func (w *logWriter) flush() {
	w.write(w.buf)
	w.buf = w.buf[:0]
}

func (w *logWriter) write(b []byte) {
	if w.err != nil || len(b) == 0 {
		return
	}
	n, err := w.l.f.Write(b)
	w.size += int64(n)
	if err != nil {
		w.err = err
	}
}

// finish flushes the log and hands it over for reading, or closes it and
// returns nil when writing failed.
func (w *logWriter) finish() *eventLog {
	w.flush()
	w.buf, w.body = nil, nil
	if w.err != nil {
		w.l.close()
		return nil
	}
	w.l.size = w.size
	return w.l
}

// abandon closes the log unread.
func (w *logWriter) abandon() {
	w.l.close()
	w.buf, w.body = nil, nil
}

// eventLog is a side's log file.
type eventLog struct {
	f       *os.File
	size    int64
	removed bool // unlinked while open
}

// close closes and removes the log; nil is no log.
func (l *eventLog) close() {
	if l == nil {
		return
	}
	l.f.Close()
	if !l.removed {
		os.Remove(l.f.Name())
	}
}

// logReader reads a side's event log back in the second pass.
type logReader struct {
	l        *eventLog
	buf      []byte
	pos, end int
	read     int64 // bytes of the log read
	eof      bool
	flows    flowStore  // by number, for the events to point to
	last     []flowLast // with defined: flows has the flow
	ts       int64
	frame    int
	slow     bool // never fast (tests)
	// progress, when set, advances by the capture's size as the log is
	// read, as if the capture were read again (capture.Source.Progress).
	progress *atomic.Int64
	capSize  int64
	told     int64
}

func newLogReader(l *eventLog, src capture.Source) (*logReader, error) {
	if _, err := l.f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	r := &logReader{l: l, buf: make([]byte, logBufSize), progress: src.Progress}
	if r.progress != nil {
		if st, err := os.Stat(src.Path); err == nil {
			r.capSize = st.Size()
		}
	}
	return r, nil
}

// fill makes at least n bytes available from pos, unless the log ends
// first.
func (r *logReader) fill(n int) error {
	if r.end-r.pos >= n {
		return nil
	}
	copy(r.buf, r.buf[r.pos:r.end])
	r.end -= r.pos
	r.pos = 0
	if n > len(r.buf) {
		r.buf = append(r.buf, make([]byte, n-len(r.buf))...)
	}
	for r.end < n && !r.eof {
		k, err := r.l.f.Read(r.buf[r.end:])
		r.end += k
		r.read += int64(k)
		if errors.Is(err, io.EOF) {
			r.eof = true
		} else if err != nil {
			return err
		}
	}
	if r.progress != nil && r.capSize > 0 && r.l.size > 0 {
		now := r.capSize * r.read / r.l.size
		r.progress.Add(now - r.told)
		r.told = now
	}
	if r.end < n {
		if r.end == 0 && n <= binary.MaxVarintLen64 {
			return io.EOF
		}
		return io.ErrUnexpectedEOF
	}
	return nil
}

var errLogCorrupt = errors.New("correlate: event log corrupt")

// next reads the next record: an event into e (and, for SIP, the message,
// valid until the next call) or an ICMP error into u, isU set. It returns
// io.EOF after the last.
func (r *logReader) next(e *event, u *capture.Unreachable) (data []byte, isU bool, err error) {
	if r.tryFast(e) {
		return nil, false, nil
	}
	return r.record(e, u)
}

// tryFast reads the next record with fast when the buffer holds more
// than maxFastBody bytes of it (and tests did not ask for field by
// field), and reports whether it did.
func (r *logReader) tryFast(e *event) bool {
	return !r.slow && r.end-r.pos > maxFastBody && r.fast(e)
}

// record is next field by field, every record, for what fast leaves.
func (r *logReader) record(e *event, u *capture.Unreachable) (data []byte, isU bool, err error) {
	if err := r.fill(min(binary.MaxVarintLen64, len(r.buf))); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, false, err
	}
	if r.pos == r.end {
		return nil, false, io.EOF
	}
	n, w := binary.Uvarint(r.buf[r.pos:r.end])
	if w <= 0 || n > 1<<30 {
		return nil, false, errLogCorrupt
	}
	r.pos += w
	if err := r.fill(int(n)); err != nil {
		return nil, false, fmt.Errorf("%w: %w", errLogCorrupt, err)
	}
	b := r.buf[r.pos : r.pos+int(n)]
	r.pos += int(n)
	d := logDecoder{b: b}
	h := d.byte()
	if h&logUnreachable != 0 {
		*u = capture.Unreachable{}
		u.TS = r.ts + d.varint()
		u.Frame = r.frame + int(d.varint())
		u.From = d.addr()
		u.Code = d.byte()
		u.Proto = d.byte()
		u.Src = d.endpoint()
		u.Dst = d.endpoint()
		if d.bad {
			return nil, false, errLogCorrupt
		}
		r.ts, r.frame = u.TS, u.Frame
		e.proto = capture.ProtoICMP
		if h&1 != 0 {
			e.proto = capture.ProtoICMPv6
		}
		return nil, true, nil
	}
	kind := Kind(h & logKindMask)
	id := uint64(d.uint16())
	if id > maxFlowIDs {
		return nil, false, errLogCorrupt
	}
	var k *flowKey
	var last *flowLast
	if h&logFlowDef != 0 {
		var def flowKey
		def.proto = d.byte()
		def.src = d.endpoint()
		def.dst = d.endpoint()
		if id == 0 {
			k = &def // not numbered: a flow of its own
		} else {
			r.last = growFor(r.last, int32(id))
			if last = &r.last[id]; last.defined {
				return nil, false, errLogCorrupt // the writer defines a flow once
			}
			last.defined, last.proto = true, def.proto
			k = r.flows.put(int32(id), def)
		}
	} else {
		if id == 0 || int(id) >= len(r.last) || !r.last[id].defined {
			return nil, false, errLogCorrupt
		}
		k, last = r.flows.at(int32(id)), &r.last[id]
	}
	ts := r.ts + d.time()
	frame := r.frame + 1
	if h&logFrame != 0 {
		frame = r.frame + int(d.varint())
	}
	var ttl uint8
	if h&logTTL != 0 {
		ttl = d.byte()
	} else if last != nil {
		ttl = last.ttl
	}
	key := d.uint64()
	var ssrc uint32
	var rseq uint16
	if kind == KindRTP || kind == KindRTCP {
		if h&logSSRC != 0 {
			ssrc = d.uint32()
		} else if last != nil {
			ssrc = last.ssrc
		}
		if kind == KindRTP {
			rseq = d.uint16()
		}
	}
	if d.bad {
		return nil, false, errLogCorrupt
	}
	if last != nil {
		last.ttl = ttl
		if kind == KindRTP || kind == KindRTCP {
			last.ssrc = ssrc
		}
	}
	r.ts, r.frame = ts, frame
	e.fromLog(ts, frame, k, k.proto, key, int32(id), kind, ttl, h&logCut != 0, ssrc, rseq)
	if kind == KindSIP {
		data = d.b[d.i:]
	}
	return data, false, nil
}

// fast reads the next record into e when it is the common one
// (logWriter.event's: an event of a flow already defined, not SIP) and
// lies whole in the buffer, which holds more than maxFastBody bytes from
// pos; otherwise it reads nothing and reports false, for next to read the
// record field by field (and to report what is wrong with it).
//
// Why (2026-12, issue 15): the second pass's two readers decode 14.5
// million such records on the large RTP pair; field by field, each field
// checked and the decoder's state carried along, they cost about 25 ns a
// record.
func (r *logReader) fast(e *event) bool {
	b := r.buf[r.pos:r.end]
	n := int(b[0])
	if n == 0 || n > maxFastBody {
		return false // also a length of more than one byte
	}
	h := b[1]
	kind := Kind(h & logKindMask)
	if h&(logUnreachable|logFlowDef) != 0 || kind == KindSIP {
		return false
	}
	body := b[1 : 1+n]
	if n < 7 {
		return false
	}
	id := int(binary.LittleEndian.Uint16(body[1:]))
	if id == 0 || id >= len(r.last) || !r.last[id].defined {
		return false
	}
	dt := int64(binary.LittleEndian.Uint32(body[3:]))
	i := 7
	if dt == logLongTime {
		if i+8 > n {
			return false
		}
		dt = int64(binary.LittleEndian.Uint64(body[i:]))
		i += 8
	}
	frame := r.frame + 1
	if h&logFrame != 0 {
		df, k := binary.Varint(body[i:])
		if k <= 0 {
			return false
		}
		i += k
		frame = r.frame + int(df)
	}
	last := &r.last[id]
	ttl := last.ttl
	if h&logTTL != 0 {
		if i >= n {
			return false
		}
		ttl = body[i]
		i++
	}
	if i+8 > n {
		return false
	}
	key := binary.LittleEndian.Uint64(body[i:])
	i += 8
	var ssrc uint32
	var rseq uint16
	if kind == KindRTP || kind == KindRTCP {
		ssrc = last.ssrc
		if h&logSSRC != 0 {
			if i+4 > n {
				return false
			}
			ssrc = binary.LittleEndian.Uint32(body[i:])
			i += 4
		}
		if kind == KindRTP {
			if i+2 > n {
				return false
			}
			rseq = binary.LittleEndian.Uint16(body[i:])
		}
		last.ssrc = ssrc
	}
	last.ttl = ttl
	k0 := r.flows.stored(int32(id))
	ts := r.ts + dt
	r.ts, r.frame = ts, frame
	r.pos += 1 + n
	e.fromLog(ts, frame, k0, last.proto, key, int32(id), kind, ttl, h&logCut != 0, ssrc, rseq)
	return true
}

// fromLog sets e to an event read from the log (not kept: seq -1, rec
// nil).
//
// Field by field, not *e = event{...}, as packetEvents does: the compiler
// builds the literal on the stack with narrow stores and copies it with
// 16-byte loads, which wait for those stores. (2026-12, issue 15: the
// copy was 0.39 s of BenchmarkSecondPass's 1.42 s in logReader.next.)
func (e *event) fromLog(ts int64, frame int, ep *flowKey, proto uint8, key uint64, flow int32, kind Kind, ttl uint8, cut bool, ssrc uint32, rseq uint16) {
	e.ts, e.frame, e.ep, e.key, e.flow = ts, frame, ep, key, flow
	e.proto, e.kind, e.ttl, e.cut, e.seq, e.rec = proto, kind, ttl, cut, -1, nil
	e.ssrc, e.rseq = ssrc, rseq
}

// logDecoder reads the fields of one record's body; a field past its end
// sets bad.
type logDecoder struct {
	b   []byte
	i   int
	bad bool
}

func (d *logDecoder) take(n int) []byte {
	if d.bad || n > len(d.b)-d.i {
		d.bad = true
		return nil
	}
	s := d.b[d.i : d.i+n]
	d.i += n
	return s
}

func (d *logDecoder) byte() byte {
	if s := d.take(1); s != nil {
		return s[0]
	}
	return 0
}

func (d *logDecoder) uint16() uint16 {
	if s := d.take(2); s != nil {
		return binary.LittleEndian.Uint16(s)
	}
	return 0
}

func (d *logDecoder) uint32() uint32 {
	if s := d.take(4); s != nil {
		return binary.LittleEndian.Uint32(s)
	}
	return 0
}

func (d *logDecoder) uint64() uint64 {
	if s := d.take(8); s != nil {
		return binary.LittleEndian.Uint64(s)
	}
	return 0
}

// time reads a time step (see logLongTime).
func (d *logDecoder) time() int64 {
	if dt := d.uint32(); dt != logLongTime {
		return int64(dt)
	}
	return int64(d.uint64())
}

func (d *logDecoder) varint() int64 {
	if d.bad {
		return 0
	}
	v, k := binary.Varint(d.b[d.i:])
	if k <= 0 {
		d.bad = true
		return 0
	}
	d.i += k
	return v
}

func (d *logDecoder) addr() netip.Addr {
	n := int(d.byte())
	s := d.take(n)
	var a netip.Addr
	if s != nil && a.UnmarshalBinary(s) != nil {
		d.bad = true
	}
	return a
}

func (d *logDecoder) endpoint() netip.AddrPort {
	a := d.addr()
	return netip.AddrPortFrom(a, d.uint16())
}
