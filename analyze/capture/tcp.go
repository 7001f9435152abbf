package capture

import (
	"bytes"
	"net/netip"
)

// FlowKey names one direction of a transport flow; it is comparable and
// serves as a map key.
type FlowKey struct {
	Proto    uint8
	Src, Dst netip.AddrPort
}

// Reverse is the other direction of the flow.
func (k FlowKey) Reverse() FlowKey { return FlowKey{Proto: k.Proto, Src: k.Dst, Dst: k.Src} }

// StreamMessage is one SIP message framed from a TCP stream.
type StreamMessage struct {
	Data       []byte // the message bytes; valid until the next Scanner.Next
	FirstFrame int    // frame of its first byte
	Frame      int    // frame that completed it
}

type streamState uint8

const (
	streamUnknown streamState = iota // nothing framed yet
	streamSIP                        // framing SIP messages
	streamOther                      // not SIP (HTTP, TLS, ...): bytes are counted, not kept
)

type oooSeg struct {
	seq   uint32
	frame int
	data  []byte
}

type tcpStream struct {
	state      streamState
	synced     bool
	next       uint32 // next expected sequence number
	buf        []byte // in-order bytes not yet framed
	bufFrame   int    // frame of buf[0]
	ooo        []oooSeg
	oooBytes   int
	lastTS     int64
	keepalives int
	wasSIP     bool // framed SIP before: after a gap, resynchronise rather than give up
	skipLine   bool // resynchronising inside a line that starts no message: drop to its end
}

// maxOOOSegments bounds the out-of-order segments held per direction; a
// SIP message rarely spans more than a few segments.
const maxOOOSegments = 32

type tcpTable struct {
	lim      *Limits
	streams  map[FlowKey]*tcpStream
	buffered int // bytes held by all streams
	arena    []byte
	msgs     []StreamMessage
	stats    *Stats
}

func newTCPTable(lim *Limits, st *Stats) *tcpTable {
	return &tcpTable{lim: lim, streams: make(map[FlowKey]*tcpStream), stats: st}
}

// seqDiff is a-b in sequence space (RFC 793 modular arithmetic).
func seqDiff(a, b uint32) int32 { return int32(a - b) }

// segment feeds one TCP segment and returns the SIP messages it completed.
// The returned slice and its data are valid until the next call.
func (t *tcpTable) segment(k FlowKey, ts int64, frame int, seq uint32, syn, fin, rst bool, payload []byte) []StreamMessage {
	t.msgs = t.msgs[:0]
	t.arena = t.arena[:0]
	s := t.streams[k]
	if s == nil {
		if len(payload) == 0 && !syn {
			return nil
		}
		if len(t.streams) >= t.lim.MaxTCPStreams {
			t.evict(ts)
		}
		s = &tcpStream{}
		t.streams[k] = s
	}
	s.lastTS = ts
	if syn {
		t.release(s)
		s.state = streamUnknown
		s.synced = true
		s.next = seq + 1
		seq++
	}
	if len(payload) > 0 && s.state != streamOther {
		t.data(s, frame, seq, payload)
	}
	if fin || rst {
		t.release(s)
		delete(t.streams, k)
	}
	return t.msgs
}

func (t *tcpTable) data(s *tcpStream, frame int, seq uint32, payload []byte) {
	if !s.synced { // capture started mid-stream
		s.synced = true
		s.next = seq
	}
	d := seqDiff(seq, s.next)
	switch {
	case d > 0:
		t.holdOutOfOrder(s, frame, seq, payload)
		return
	case d < 0:
		if int(-d) >= len(payload) {
			t.stats.TCPRetransmissions++
			return
		}
		t.stats.TCPOverlaps++
		payload = payload[-d:]
	}
	t.appendInOrder(s, frame, payload)
	t.drain(s)
}

// drain appends held out-of-order segments that now fit.
func (t *tcpTable) drain(s *tcpStream) {
	for progressed := true; progressed && len(s.ooo) > 0; {
		progressed = false
		for i := 0; i < len(s.ooo); i++ {
			o := s.ooo[i]
			od := seqDiff(o.seq, s.next)
			if od > 0 {
				continue
			}
			s.ooo = append(s.ooo[:i], s.ooo[i+1:]...)
			s.oooBytes -= len(o.data)
			t.buffered -= len(o.data)
			i--
			if int(-od) < len(o.data) {
				t.appendInOrder(s, o.frame, o.data[-od:])
			} else {
				t.stats.TCPRetransmissions++
			}
			progressed = true
		}
	}
}

func (t *tcpTable) holdOutOfOrder(s *tcpStream, frame int, seq uint32, payload []byte) {
	if len(s.ooo) >= maxOOOSegments || s.oooBytes+len(payload) > t.lim.MaxStreamBuffer || t.buffered+len(payload) > t.lim.MaxTCPBuffered {
		// A gap that will not fill (the capture lost those bytes): drop
		// the message it cut, continue at the first byte held after the
		// gap, and let framing resynchronise on the next start line.
		t.stats.TCPGaps++
		t.stats.TCPBytesDropped += len(s.buf)
		t.buffered -= len(s.buf)
		s.buf = s.buf[:0]
		s.state = streamUnknown
		lowest := seq
		for _, o := range s.ooo {
			if seqDiff(o.seq, lowest) < 0 {
				lowest = o.seq
			}
		}
		s.next = lowest
		t.drain(s)
		if seqDiff(seq, s.next) > 0 {
			// Still a hole before this segment: start over from it.
			t.release(s)
			s.next = seq
		}
		t.data(s, frame, seq, payload)
		return
	}
	s.ooo = append(s.ooo, oooSeg{seq: seq, frame: frame, data: append([]byte(nil), payload...)})
	s.oooBytes += len(payload)
	t.buffered += len(payload)
	t.stats.TCPOutOfOrder++
}

func (t *tcpTable) appendInOrder(s *tcpStream, frame int, payload []byte) {
	s.next += uint32(len(payload))
	if s.state == streamOther {
		return
	}
	if len(s.buf) == 0 {
		s.bufFrame = frame
	}
	if len(s.buf)+len(payload) > t.lim.MaxStreamBuffer || t.buffered+len(payload) > t.lim.MaxTCPBuffered {
		t.stats.TCPBytesDropped += len(s.buf) + len(payload)
		t.buffered -= len(s.buf)
		s.buf = s.buf[:0]
		s.state = streamUnknown
		return
	}
	s.buf = append(s.buf, payload...)
	t.buffered += len(payload)
	t.frame(s, frame)
}

// frame cuts complete SIP messages off the front of s.buf.
func (t *tcpTable) frame(s *tcpStream, frame int) {
	consumed := 0
	for {
		b := s.buf[consumed:]
		if s.skipLine {
			nl := bytes.IndexByte(b, '\n')
			if nl < 0 {
				t.stats.TCPBytesDropped += len(b)
				consumed += len(b)
				break
			}
			t.stats.TCPBytesDropped += nl + 1
			consumed += nl + 1
			s.skipLine = false
			continue
		}
		// CRLF keepalives (RFC 5626 §3.5.1) between messages.
		n := 0
		for n < len(b) && (b[n] == '\r' || b[n] == '\n') {
			n++
		}
		if n > 0 {
			s.keepalives++
			consumed += n
			b = b[n:]
		}
		if len(b) == 0 {
			break
		}
		if s.state == streamUnknown {
			switch looksLikeSIPStart(b) {
			case startNo:
				if s.wasSIP {
					// Lost bytes (a capture gap) left us inside a message:
					// skip to the next line that starts one.
					skip := resyncPoint(b)
					if skip == 0 {
						// b is one unfinished line that starts no message
						// (a 1 MB header line, say): drop it, and the rest
						// of it as it arrives. Without this, framing went
						// round forever on the same bytes (issue 9).
						t.stats.TCPBytesDropped += len(b)
						consumed += len(b)
						s.skipLine = true
						continue
					}
					t.stats.TCPBytesDropped += skip
					consumed += skip
					continue
				}
				s.state = streamOther
				t.stats.TCPNonSIPStreams++
				consumed = len(s.buf)
				goto done
			case startMaybe:
				goto done
			}
			s.state = streamSIP
			s.wasSIP = true
		}
		hdrEnd, bodyOff := headerEnd(b)
		if hdrEnd < 0 {
			if len(b) > t.lim.MaxSIPMessage {
				t.stats.TCPBytesDropped += len(b)
				t.stats.SIPTooLarge++
				consumed = len(s.buf)
				s.state = streamUnknown
			}
			break
		}
		cl, ok := contentLength(b[:hdrEnd])
		if !ok || bodyOff+cl > t.lim.MaxSIPMessage {
			// Without a usable Content-Length the stream cannot be framed:
			// take what we have as one message and resynchronise.
			t.stats.TCPUnframeable++
			if !ok {
				cl = 0
			} else {
				cl = min(cl, len(b)-bodyOff)
			}
		}
		if bodyOff+cl > len(b) {
			break // the body is still coming
		}
		msgStart := len(t.arena)
		t.arena = append(t.arena, b[:bodyOff+cl]...)
		first := s.bufFrame
		t.msgs = append(t.msgs, StreamMessage{FirstFrame: first, Frame: frame, Data: t.arena[msgStart:len(t.arena):len(t.arena)]})
		consumed += bodyOff + cl
		s.bufFrame = frame
		if looksLikeSIPStart(s.buf[consumed:]) == startNo {
			s.state = streamUnknown
		}
	}
done:
	if consumed > 0 {
		rest := copy(s.buf, s.buf[consumed:])
		t.buffered -= consumed
		s.buf = s.buf[:rest]
		if rest == 0 && cap(s.buf) > 64<<10 {
			s.buf = nil // do not keep a large buffer for an idle stream
		}
	}
	// Message data lives in the arena: when append moves it, earlier
	// messages keep pointing at the old array, which still holds their bytes.
}

func (t *tcpTable) release(s *tcpStream) {
	s.skipLine = false
	t.buffered -= len(s.buf) + s.oooBytes
	s.buf = s.buf[:0]
	s.ooo = nil
	s.oooBytes = 0
}

// evict makes room in the stream table: idle streams first, then an
// eighth of the table in map order.
func (t *tcpTable) evict(now int64) {
	t.expire(now)
	if len(t.streams) < t.lim.MaxTCPStreams {
		return
	}
	target := t.lim.MaxTCPStreams - max(t.lim.MaxTCPStreams/8, 1)
	for k, s := range t.streams {
		if len(t.streams) <= target {
			break
		}
		t.release(s)
		delete(t.streams, k)
		t.stats.TCPStreamsEvicted++
	}
}

// expire forgets streams idle longer than TCPIdleTimeout.
func (t *tcpTable) expire(now int64) {
	for k, s := range t.streams {
		if now-s.lastTS > int64(t.lim.TCPIdleTimeout) {
			if len(s.buf) > 0 {
				t.stats.TCPBytesDropped += len(s.buf)
			}
			t.release(s)
			delete(t.streams, k)
		}
	}
}

// flush counts bytes left unframed at the end of the capture.
func (t *tcpTable) flush() {
	for k, s := range t.streams {
		if s.state == streamSIP && len(s.buf) > 0 {
			t.stats.TCPIncompleteMessages++
		}
		t.release(s)
		delete(t.streams, k)
	}
}

type startVerdict uint8

const (
	startYes startVerdict = iota
	startNo
	startMaybe // not enough bytes to tell
)

// looksLikeSIPStart says whether b starts with a SIP request or status
// line: "SIP/2.0 NNN" or "METHOD SP Request-URI SP SIP/2.0".
func looksLikeSIPStart(b []byte) startVerdict {
	if len(b) == 0 {
		return startMaybe
	}
	line := b
	eol := bytes.IndexByte(b, '\n')
	if eol >= 0 {
		line = b[:eol]
	} else if len(b) > 1024 {
		return startNo
	}
	const ver = "SIP/2.0"
	if bytes.HasPrefix(line, []byte(ver+" ")) || (eol < 0 && len(line) < len(ver)+1 && bytes.HasPrefix([]byte(ver+" "), line)) {
		return startYes
	}
	// Method token.
	i := 0
	for i < len(line) && isTokenChar(line[i]) {
		i++
	}
	if i == 0 || (i < len(line) && line[i] != ' ') {
		return startNo
	}
	if eol < 0 {
		return startMaybe
	}
	line = bytes.TrimRight(line, "\r")
	if bytes.HasSuffix(line, []byte(" "+ver)) && len(line) > i+len(ver)+2 {
		return startYes
	}
	return startNo
}

// resyncPoint is the offset of the first line of b (after the first) that
// starts a SIP message, or, when none does yet, how much of b can be
// dropped while keeping a possibly incomplete last line.
func resyncPoint(b []byte) int {
	for i := 0; i < len(b); {
		nl := bytes.IndexByte(b[i:], '\n')
		if nl < 0 {
			return i
		}
		i += nl + 1
		if v := looksLikeSIPStart(b[i:]); v == startYes || (v == startMaybe && i < len(b)) {
			return i
		}
	}
	return len(b)
}

// isTokenChar is RFC 3261 token (alphanum / "-" / "." / "!" / "%" / "*" /
// "_" / "+" / "`" / "'" / "~").
func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	switch c {
	case '-', '.', '!', '%', '*', '_', '+', '`', '\'', '~':
		return true
	}
	return false
}

// headerEnd finds the blank line ending the header section. It returns the
// offset of the blank line and the offset of the body, or -1.
func headerEnd(b []byte) (int, int) {
	for i := 0; i < len(b); i++ {
		if b[i] != '\n' {
			continue
		}
		// "\n\r\n" or "\n\n"
		if i+1 < len(b) && b[i+1] == '\n' {
			return i + 1, i + 2
		}
		if i+2 < len(b) && b[i+1] == '\r' && b[i+2] == '\n' {
			return i + 1, i + 3
		}
	}
	return -1, -1
}

// contentLength finds Content-Length (or its compact form "l") in a header
// section. It reports false when the header is absent or unreadable.
func contentLength(hdr []byte) (int, bool) {
	for len(hdr) > 0 {
		eol := bytes.IndexByte(hdr, '\n')
		line := hdr
		if eol >= 0 {
			line, hdr = hdr[:eol], hdr[eol+1:]
		} else {
			hdr = nil
		}
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			continue
		}
		name := bytes.TrimRight(line[:colon], " \t")
		if !bytes.EqualFold(name, []byte("content-length")) && !bytes.EqualFold(name, []byte("l")) {
			continue
		}
		v := bytes.TrimSpace(line[colon+1:])
		if len(v) == 0 || len(v) > 9 {
			return 0, false
		}
		n := 0
		for _, c := range v {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	return 0, false
}
