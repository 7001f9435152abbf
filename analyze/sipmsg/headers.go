package sipmsg

import (
	"bytes"
	"strings"
)

// Header kinds with special handling. kindOther is a known header checked
// only for duplicates.
const (
	kindOther uint8 = iota
	kindVia
	kindFrom
	kindTo
	kindCallID
	kindCSeq
	kindMaxForwards
	kindContact
	kindContentLength
	kindContentType
	kindRoute
	kindRecordRoute
	kindReferTo
	kindReferredBy
	kindAddr // other name-addr headers: Reply-To, P-Asserted-Identity...
	kindExpires
	kindDate
	kindRetryAfter
)

type headerInfo struct {
	full   string
	kind   uint8
	id     uint8 // index in knownHeaders, for duplicate detection
	single bool  // at most one instance (RFC 3261 §7.3.1)
}

// knownHeaders lists the full names the parser maps; compact is the RFC 3261
// §7.3.3 / IANA compact form, or 0.
var knownHeaders = [...]struct {
	full    string
	compact byte
	kind    uint8
	single  bool
}{
	{"Via", 'v', kindVia, false},
	{"From", 'f', kindFrom, true},
	{"To", 't', kindTo, true},
	{"Call-ID", 'i', kindCallID, true},
	{"CSeq", 0, kindCSeq, true},
	{"Max-Forwards", 0, kindMaxForwards, true},
	{"Contact", 'm', kindContact, false},
	{"Content-Length", 'l', kindContentLength, true},
	{"Content-Type", 'c', kindContentType, true},
	{"Content-Encoding", 'e', kindOther, false},
	{"Route", 0, kindRoute, false},
	{"Record-Route", 0, kindRecordRoute, false},
	{"Refer-To", 'r', kindReferTo, true},
	{"Referred-By", 'b', kindReferredBy, true},
	{"Expires", 0, kindExpires, true},
	{"Min-Expires", 0, kindExpires, true},
	{"Date", 0, kindDate, true},
	{"Retry-After", 0, kindRetryAfter, true},
	{"Subject", 's', kindOther, true},
	{"Supported", 'k', kindOther, false},
	{"Event", 'o', kindOther, true},
	{"Allow-Events", 'u', kindOther, false},
	{"Session-Expires", 'x', kindOther, true},
	{"Identity", 'y', kindOther, true},
	{"Identity-Info", 'n', kindOther, true},
	{"Accept-Contact", 'a', kindOther, false},
	{"Reject-Contact", 'j', kindOther, false},
	{"Request-Disposition", 'd', kindOther, false},
	{"Reply-To", 0, kindAddr, true},
	{"P-Asserted-Identity", 0, kindAddr, false},
	{"P-Preferred-Identity", 0, kindAddr, false},
	{"Path", 0, kindRoute, false},
	{"Service-Route", 0, kindRoute, false},
	{"Authorization", 0, kindOther, false},
	{"Proxy-Authorization", 0, kindOther, false},
	{"WWW-Authenticate", 0, kindOther, false},
	{"Proxy-Authenticate", 0, kindOther, false},
	{"Authentication-Info", 0, kindOther, true},
	{"Accept", 0, kindOther, false},
	{"Accept-Encoding", 0, kindOther, false},
	{"Accept-Language", 0, kindOther, false},
	{"Alert-Info", 0, kindOther, false},
	{"Allow", 0, kindOther, false},
	{"Call-Info", 0, kindOther, false},
	{"Content-Disposition", 0, kindOther, true},
	{"Content-Language", 0, kindOther, false},
	{"Error-Info", 0, kindOther, false},
	{"In-Reply-To", 0, kindOther, false},
	{"MIME-Version", 0, kindOther, true},
	{"Organization", 0, kindOther, true},
	{"Priority", 0, kindOther, true},
	{"Proxy-Require", 0, kindOther, false},
	{"Require", 0, kindOther, false},
	{"Server", 0, kindOther, true},
	{"Timestamp", 0, kindOther, true},
	{"Unsupported", 0, kindOther, false},
	{"User-Agent", 0, kindOther, true},
	{"Warning", 0, kindOther, false},
	{"Replaces", 0, kindOther, true},
	{"Min-SE", 0, kindOther, true},
	{"RSeq", 0, kindOther, true},
	{"RAck", 0, kindOther, true},
	{"Subscription-State", 0, kindOther, true},
	{"Privacy", 0, kindOther, false},
	{"SIP-ETag", 0, kindOther, true},
	{"SIP-If-Match", 0, kindOther, true},
}

// headerTable maps lower-case full and compact names to their info: an
// open-addressing table probed linearly from the names' FNV-1a hash. It is
// built once and only read. (2026-12-07, issue 15: a map lookup per header
// line was a fifth of Parse's time; this is a third of that.)
var headerTable = buildHeaderTable()

// headerSlots is the table's size: a power of two above twice the 66 full
// and 24 compact names, so that probes stay short.
const headerSlots = 256

// maxHeaderName is the longest name the table holds
// ("Request-Disposition", "P-Preferred-Identity"): a longer one is unknown.
const maxHeaderName = 24

type headerSlot struct {
	name string // lower-case; "" for an empty slot
	info headerInfo
}

func buildHeaderTable() *[headerSlots]headerSlot {
	var t [headerSlots]headerSlot
	put := func(name string, info headerInfo) {
		if len(name) > maxHeaderName {
			panic("sipmsg: header name longer than maxHeaderName: " + name)
		}
		for i := nameHash(name) % headerSlots; ; i = (i + 1) % headerSlots {
			if t[i].name == "" {
				t[i] = headerSlot{name, info}
				return
			}
		}
	}
	for i, k := range knownHeaders {
		info := headerInfo{full: k.full, kind: k.kind, id: uint8(i), single: k.single}
		put(strings.ToLower(k.full), info)
		if k.compact != 0 {
			put(string([]byte{k.compact}), info)
		}
	}
	return &t
}

// nameHash is FNV-1a of a lower-case name, as lookupHeader computes it.
func nameHash(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}

// lookupHeader maps a header name as written to its info, case-insensitively
// and without allocating.
func lookupHeader[T string | []byte](name T) (headerInfo, bool) {
	var buf [maxHeaderName]byte
	if len(name) == 0 || len(name) > len(buf) {
		return headerInfo{}, false
	}
	h := uint32(2166136261)
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
		h = (h ^ uint32(c)) * 16777619
	}
	low := buf[:len(name)]
	for i := h % headerSlots; ; i = (i + 1) % headerSlots {
		s := &headerTable[i]
		if s.name == "" {
			return headerInfo{}, false
		}
		if s.name == string(low) {
			return s.info, true
		}
	}
}

// FullName returns the canonical full name of a header name as written ("v"
// → "Via", "call-id" → "Call-ID"), or "" for a name the parser does not know.
func FullName(name []byte) string {
	info, ok := lookupHeader(name)
	if !ok {
		return ""
	}
	return info.full
}

// Header returns the first header with the given name (full, compact or any
// case) and whether there is one.
func (m *Message) Header(name string) (Header, bool) {
	if info, ok := lookupHeader(name); ok && m.viewsDone {
		return m.firstOf(info.id)
	}
	for _, h := range m.HeaderAll(name) {
		return h, true
	}
	return Header{}, false
}

// Indices into knownHeaders of the headers the views ask for by index.
const (
	idCallID uint8 = 3
	idCSeq   uint8 = 4
)

// headerOf is [Message.Header] of the known header id: without the
// lookup of its name (issue 15: CSeq and Call-ID are asked for several
// times per message, and the lookup was most of the cost).
func (m *Message) headerOf(id uint8) (Header, bool) {
	if m.viewsDone {
		return m.firstOf(id)
	}
	return m.Header(knownHeaders[id].full)
}

// firstOf returns the first header of the known header id, from the index
// checkHeaders kept (Call-ID and CSeq are asked for several times per
// message; issue 15).
func (m *Message) firstOf(id uint8) (Header, bool) {
	switch k := m.first[id]; {
	case k == 0:
		return Header{}, false
	case k < firstUnindexed:
		return m.Headers[k-1], true
	}
	for _, h := range m.Headers {
		if h.known && h.id == id {
			return h, true
		}
	}
	return Header{}, false
}

// firstUnindexed marks in Message.first a header whose index does not
// fit a byte (MaxHeaders is 256): it is looked for.
const firstUnindexed = 255

// HeaderAll returns an iterator-friendly list of every header with the given
// name, in order. It allocates only when more than one header matches.
func (m *Message) HeaderAll(name string) []Header {
	info, known := lookupHeader(name)
	var first = -1
	var out []Header
	for i, h := range m.Headers {
		if h.NoColon {
			continue
		}
		match := false
		if known {
			match = h.known && h.id == info.id
		} else {
			match = asciiEqualFold(m.Raw[h.Name.Off:h.Name.End], name)
		}
		if !match {
			continue
		}
		if first < 0 {
			first = i
			continue
		}
		if out == nil {
			out = append(out, m.Headers[first])
		}
		out = append(out, h)
	}
	if out == nil && first >= 0 {
		return m.Headers[first : first+1 : first+1]
	}
	return out
}

// HeaderValue returns the raw value bytes of the first header with the given
// name, or nil.
func (m *Message) HeaderValue(name string) []byte {
	h, ok := m.Header(name)
	if !ok {
		return nil
	}
	return m.Raw[h.Value.Off:h.Value.End]
}

// checkHeaders validates every known header, detects duplicates of
// single-value headers and missing mandatory ones. It keeps the Via and
// Contact values it parses, and the first From and To header's first
// address, for the views.
func (m *Message) checkHeaders() {
	p := parser{b: m.Raw, diags: &m.Diags, arena: &m.params}
	m.viewsDone = true
	for i := range m.Headers {
		h := &m.Headers[i]
		if !h.known {
			continue
		}
		if knownHeaders[h.id].single && m.first[h.id] != 0 {
			addDiag(&m.Diags, "duplicate-header", Error, h.Name.Off, "second %s header in a message", h.Full())
		}
		first := m.first[h.id] == 0
		if first {
			m.first[h.id] = uint8(min(i+1, firstUnindexed))
		}
		v := h.Value
		switch h.kind {
		case kindVia:
			p.viaList(v.Off, v.End, &m.vias)
		case kindFrom, kindTo:
			if !first {
				p.addrList(v.Off, v.End, false, nil)
				break
			}
			// The view is the first address of the first header,
			// parsed past the Contacts so far and copied out.
			n := len(m.contacts)
			p.addrList(v.Off, v.End, false, &m.contacts)
			if len(m.contacts) > n {
				if h.kind == kindFrom {
					m.from, m.fromOK = m.contacts[n], true
				} else {
					m.to, m.toOK = m.contacts[n], true
				}
			}
			clear(m.contacts[n:])
			m.contacts = m.contacts[:n]
		case kindReferTo, kindReferredBy:
			p.addrList(v.Off, v.End, false, nil)
		case kindContact:
			p.addrList(v.Off, v.End, true, &m.contacts)
		case kindRoute, kindRecordRoute, kindAddr:
			p.addrList(v.Off, v.End, true, nil)
		case kindCallID:
			m.checkCallID(v)
		case kindCSeq:
			m.checkCSeq(v)
		case kindMaxForwards:
			m.checkNumber(v, h.Full(), 255)
		case kindContentLength:
			m.checkContentLength(v)
		case kindExpires:
			m.checkNumber(v, h.Full(), maxDeltaSeconds)
		case kindRetryAfter:
			m.checkRetryAfter(v)
		case kindDate:
			m.checkDate(v)
		}
	}
	if m.NotSIP {
		return
	}
	// Indices into knownHeaders: Via, From, To, Call-ID, CSeq.
	for id := range 5 {
		if m.first[id] == 0 {
			addDiag(&m.Diags, "missing-header", Error, m.StartLine.Off, "no %s header", knownHeaders[id].full)
		}
	}
	if m.IsRequest {
		const maxForwardsID = 5
		if m.first[maxForwardsID] == 0 {
			// RFC 3261 §8.1.1.6 makes it mandatory, but RFC 2543 elements
			// (RFC 4475 §3.4.1) omit it: a warning.
			addDiag(&m.Diags, "missing-header", Warning, m.StartLine.Off, "no Max-Forwards header")
		}
	}
}

// maxDeltaSeconds is the largest delta-seconds value: RFC 3261 §27.4 and
// §20.19 treat values above 2**32-1 as that value; anything larger was not
// written by a sane element.
const maxDeltaSeconds = 1<<32 - 1

// maxCSeq: RFC 3261 §8.1.1.5, the sequence number MUST be less than 2**31.
const maxCSeq = 1<<31 - 1

func (m *Message) checkCallID(v Span) {
	b := m.Raw
	if v.Len() == 0 {
		addDiag(&m.Diags, "bad-call-id", Error, v.Off, "empty Call-ID")
		return
	}
	end := trimRightLWS(b, v.Off, v.End)
	if i := indexLWS(b[v.Off:end]); i >= 0 {
		addDiag(&m.Diags, "bad-call-id", Error, v.Off+i, "whitespace inside Call-ID %s", quote(b[v.Off:v.End]))
	}
}

func (m *Message) checkCSeq(v Span) {
	b := m.Raw
	cs, ok := parseCSeq(b, v)
	if !ok {
		addDiag(&m.Diags, "bad-cseq", Error, v.Off, "CSeq is not 'number method': %s", quote(b[v.Off:v.End]))
		return
	}
	if cs.Num > maxCSeq || cs.Overflow {
		addDiag(&m.Diags, "number-out-of-range", Error, cs.Number.Off, "CSeq number %s is not below 2**31", quote(b[cs.Number.Off:cs.Number.End]))
	}
	if m.IsRequest && !m.Method.IsZero() && !bytes.Equal(b[cs.Method.Off:cs.Method.End], b[m.Method.Off:m.Method.End]) {
		addDiag(&m.Diags, "cseq-method-mismatch", Error, cs.Method.Off, "CSeq method %s differs from request method %s",
			quote(b[cs.Method.Off:cs.Method.End]), quote(b[m.Method.Off:m.Method.End]))
	}
}

// checkNumber checks a header whose value is a number, optionally followed
// by parameters (Expires: 3600;foo is not valid, but tolerated as a warning).
func (m *Message) checkNumber(v Span, name string, max uint64) (uint64, bool) {
	b := m.Raw
	end := trimRightLWS(b, v.Off, v.End)
	j := v.Off
	for j < end && isDigit(b[j]) {
		j++
	}
	if j == v.Off || j != end {
		addDiag(&m.Diags, "bad-number", Error, v.Off, "%s is not a number: %s", name, quote(b[v.Off:v.End]))
		return 0, false
	}
	n, _, overflow := parseUint(b[v.Off:j])
	if overflow || n > max {
		addDiag(&m.Diags, "number-out-of-range", Error, v.Off, "%s %s exceeds %d", name, quote(b[v.Off:j]), max)
		return 0, false
	}
	return n, true
}

func (m *Message) checkContentLength(v Span) {
	b := m.Raw
	end := trimRightLWS(b, v.Off, v.End)
	j := v.Off
	for j < end && isDigit(b[j]) {
		j++
	}
	if j == v.Off || j != end {
		addDiag(&m.Diags, "bad-content-length", Error, v.Off, "Content-Length is not a number: %s", quote(b[v.Off:v.End]))
		return
	}
	n, _, overflow := parseUint(b[v.Off:j])
	if overflow || n > uint64(len(b)) {
		addDiag(&m.Diags, "content-length-long", Error, v.Off, "Content-Length %s exceeds the whole message", quote(b[v.Off:j]))
		m.contentLength = -1
		return
	}
	if m.contentLength < 0 {
		m.contentLength = int(n) // the first one wins; duplicates are reported
	}
}

func (m *Message) checkRetryAfter(v Span) {
	b := m.Raw
	j := v.Off
	for j < v.End && isDigit(b[j]) {
		j++
	}
	if j == v.Off {
		addDiag(&m.Diags, "bad-number", Error, v.Off, "Retry-After does not start with delta-seconds: %s", quote(b[v.Off:v.End]))
		return
	}
	n, _, overflow := parseUint(b[v.Off:j])
	if overflow || n > maxDeltaSeconds {
		addDiag(&m.Diags, "number-out-of-range", Error, v.Off, "Retry-After %s exceeds %d", quote(b[v.Off:j]), uint64(maxDeltaSeconds))
	}
}

// checkDate checks the one thing RFC 3261 §20.17 adds to RFC 1123: the zone
// is always "GMT".
func (m *Message) checkDate(v Span) {
	b := m.Raw
	end := trimRightLWS(b, v.Off, v.End)
	if !bytes.HasSuffix(b[v.Off:end], []byte(" GMT")) {
		addDiag(&m.Diags, "bad-date", Error, v.Off, "Date is not an RFC 1123 date in GMT: %s", quote(b[v.Off:v.End]))
	}
}

// CSeq is the parsed CSeq header.
type CSeq struct {
	Span
	Number, Method Span
	Num            uint64 // valid when Overflow is false
	Overflow       bool
}

func parseCSeq(b []byte, v Span) (CSeq, bool) {
	cs := CSeq{Span: v}
	j := v.Off
	for j < v.End && isDigit(b[j]) {
		j++
	}
	if j == v.Off {
		return cs, false
	}
	cs.Number = Span{v.Off, j}
	var ok bool
	cs.Num, ok, cs.Overflow = parseUint(b[v.Off:j])
	if !ok {
		return cs, false
	}
	k := skipLWS(b, j, v.End)
	if k == j {
		return cs, false
	}
	e := k
	for e < v.End && isToken(b[e]) {
		e++
	}
	cs.Method = Span{k, e}
	if e == k || trimRightLWS(b, e, v.End) != e {
		return cs, false
	}
	return cs, true
}

// CSeq returns the first CSeq header parsed, and whether it is present and
// well-formed.
func (m *Message) CSeq() (CSeq, bool) {
	h, ok := m.headerOf(idCSeq)
	if !ok {
		return CSeq{}, false
	}
	return parseCSeq(m.Raw, h.Value)
}

// CallID returns the span of the Call-ID value (trailing whitespace
// excluded), and whether there is one.
func (m *Message) CallID() (Span, bool) {
	h, ok := m.headerOf(idCallID)
	if !ok {
		return Span{}, false
	}
	return Span{h.Value.Off, trimRightLWS(m.Raw, h.Value.Off, h.Value.End)}, true
}

// Lexical helpers.

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { return 'A' <= c&^0x20 && c&^0x20 <= 'Z' }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

// isToken reports whether c is a token character (RFC 3261 §25.1).
func isToken(c byte) bool {
	if isAlnum(c) {
		return true
	}
	switch c {
	case '-', '.', '!', '%', '*', '_', '+', '`', '\'', '~':
		return true
	}
	return false
}

func isAllToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !isToken(c) {
			return false
		}
	}
	return true
}

func isLWS(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// indexLWS returns the index of the first whitespace byte of b, or -1: a
// loop, not bytes.IndexAny, which builds its set on every call (2.7% of
// Parse; issue 15).
func indexLWS(b []byte) int {
	for i, c := range b {
		if isLWS(c) {
			return i
		}
	}
	return -1
}

// indexSpaceTab returns the index of the first space or tab of b, or -1.
func indexSpaceTab(b []byte) int {
	for i, c := range b {
		if c == ' ' || c == '\t' {
			return i
		}
	}
	return -1
}

// skipLWS skips whitespace, folding included, from i up to end.
func skipLWS(b []byte, i, end int) int {
	for i < end && isLWS(b[i]) {
		i++
	}
	return i
}

// trimRightLWS returns the end of [off, end) without trailing whitespace.
func trimRightLWS(b []byte, off, end int) int {
	for end > off && isLWS(b[end-1]) {
		end--
	}
	return end
}

// parseUint parses decimal digits; ok is false unless b is all digits and
// non-empty; overflow is true beyond 2**64-1.
func parseUint(b []byte) (n uint64, ok, overflow bool) {
	if len(b) == 0 {
		return 0, false, false
	}
	for _, c := range b {
		if !isDigit(c) {
			return 0, false, false
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return 0, true, true
		}
		n = n*10 + d
	}
	return n, true, false
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c, d := b[i], s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && asciiEqualFold(b[:len(prefix)], prefix)
}
