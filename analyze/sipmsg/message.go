package sipmsg

import (
	"bytes"
	"fmt"
)

// Span is a half-open byte range [Off, End) into [Message.Raw] (or into the
// buffer given to a parse function). The zero Span means "absent": an element
// that is present but empty is an empty span at its own position, which is
// never 0 because the start line comes first.
type Span struct{ Off, End int }

// Len returns the number of bytes in s.
func (s Span) Len() int { return s.End - s.Off }

// IsZero reports whether s is the zero Span, the marker of an absent element.
func (s Span) IsZero() bool { return s.Off == 0 && s.End == 0 }

// Severity grades a [Diag].
type Severity uint8

// Severities. An Error is a violation of RFC 3261 (or RFC 8866 for SDP) that a
// strict element would reject; a Warning is a tolerated oddity or a heuristic.
const (
	Warning Severity = iota + 1
	Error
)

func (s Severity) String() string {
	switch s {
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return fmt.Sprintf("Severity(%d)", uint8(s))
}

// Diag is one defect found while parsing: a stable Code (see the package
// documentation), a severity, the byte offset where it was found and a
// human-readable message quoting the offending bytes.
type Diag struct {
	Code string
	Sev  Severity
	Off  int
	Msg  string
}

func (d Diag) String() string {
	return fmt.Sprintf("%d: %s %s: %s", d.Off, d.Sev, d.Code, d.Msg)
}

// Limits. They bound what one message can cost; exceeding one is a
// diagnostic, never a crash.
const (
	// MaxHeaders bounds the header lines kept per message: RFC 3261 sets no
	// limit; the RFC 4475 torture corpus peaks at 26 (longreq) and real
	// traffic stays under 60, so 256 is 4x headroom over the worst real case.
	MaxHeaders = 256
	// MaxLineBytes bounds one line: the largest UDP payload is
	// 65535-8-20 = 65507 bytes, so a longer line can only come from a TCP
	// stream whose framing went wrong.
	MaxLineBytes = 65507
	// headerCap is the header slice preallocated inside Message: a typical
	// INVITE carries 10-20 headers, so 24 avoids a second allocation.
	headerCap = 24
)

// Header is one header field as written: name, value and the raw lines
// (folded continuation lines included). Nothing is trimmed or canonicalised
// in the stored form; Full is only a lookup key.
type Header struct {
	// Name is the field name as written, without surrounding whitespace. For
	// a line without ':' (NoColon) it covers the line's text.
	Name Span
	// Value runs from the first non-whitespace byte after ':' to the end of
	// the last continuation line, line terminators excluded; trailing
	// whitespace and inner folding are kept.
	Value Span
	// Line is every byte of the header field, line terminators included.
	Line Span
	// Compact is true when the name was written in compact form (RFC 3261
	// §7.3.3).
	Compact bool
	// Folded is true when the value continues on further lines (LWS).
	Folded bool
	// NoColon marks a line that is not a header field at all.
	NoColon bool

	known bool  // a known header: id and kind are valid
	id    uint8 // index in knownHeaders
	kind  uint8
}

// Full returns the canonical full name of a known header ("Via" for "v" or
// "VIA"), "" for an unknown one. Use it for lookup only. (A method, not a
// field, since 2026-12-07: a Header holds no pointer, so the headers
// inline in a [Message] cost the collector nothing; issue 15.)
func (h *Header) Full() string {
	if !h.known {
		return ""
	}
	return knownHeaders[h.id].full
}

// Message is a parsed SIP message. Every element is a [Span] into Raw, and
// the parts Lead, StartLine, StartEOL, each Header.Line, Blank, Body and Extra
// are contiguous and together cover Raw exactly.
type Message struct {
	// Raw is the parsed buffer; it is not copied and the caller owns it.
	Raw []byte
	// NotSIP is set when Raw does not start like a SIP message at all (see
	// [IsSIP]); then Body covers everything after Lead and nothing else is
	// parsed.
	NotSIP bool
	// IsRequest distinguishes a request from a response.
	IsRequest bool
	// Lead holds CRLFs before the start line (RFC 3261 §7.5 keep-alives).
	Lead Span
	// StartLine is the first line without its terminator, StartEOL the
	// terminator.
	StartLine, StartEOL Span
	// Method, RequestURI and Version are the request-line elements; Version
	// is also set for a response.
	Method, RequestURI, Version Span
	// Status and Reason are the status-line elements; StatusCode is the
	// numeric status, 0 if it is not a number.
	Status, Reason Span
	StatusCode     int
	// Headers holds every header line in order.
	Headers []Header
	// Blank is the empty line ending the header section; zero if missing.
	Blank Span
	// Body is the message body: Content-Length bytes when that header is
	// valid and fits, else everything after Blank.
	Body Span
	// Extra is what follows Body when Content-Length is shorter than the
	// datagram (RFC 3261 §18.3: ignored by a receiver).
	Extra Span
	// Diags lists defects in the order found.
	Diags []Diag

	contentLength int // -1 when absent or invalid
	hdrBuf        [headerCap]Header

	// vias, contacts, from and to are the Via, Contact, From and To
	// values as checkHeaders parsed them, kept for the views (issue 15:
	// each view parsed its headers a second time, From and To once per
	// call); params backs their parameters. viewsDone is false only for
	// a Message Parse did not fill, whose views parse on each call.
	vias         []Via
	contacts     []Addr
	from, to     Addr
	fromOK, toOK bool
	viewsDone    bool
	params       []Param
	// first indexes the first header of each known name: its index + 1,
	// 0 when there is none, firstUnindexed past 254 headers.
	first [len(knownHeaders)]uint8
}

// Bytes returns the bytes of s, or nil when s is absent or out of range.
func (m *Message) Bytes(s Span) []byte {
	if s.IsZero() || s.Off < 0 || s.End > len(m.Raw) || s.Off > s.End {
		return nil
	}
	return m.Raw[s.Off:s.End]
}

// HasErrors reports whether any diagnostic has severity Error.
func (m *Message) HasErrors() bool {
	for _, d := range m.Diags {
		if d.Sev == Error {
			return true
		}
	}
	return false
}

// HasDiag reports whether a diagnostic with the given code was recorded.
func (m *Message) HasDiag(code string) bool {
	for _, d := range m.Diags {
		if d.Code == code {
			return true
		}
	}
	return false
}

// ContentLength returns the Content-Length value and whether it was present
// and a valid number.
func (m *Message) ContentLength() (int, bool) {
	return m.contentLength, m.contentLength >= 0
}

// quote formats b with %q, capped at 80 bytes like net/textproto does.
func quote(b []byte) string {
	const max = 80
	if len(b) > max {
		return fmt.Sprintf("%q...", b[:max])
	}
	return fmt.Sprintf("%q", b)
}

// diag appends a diagnostic. A nil list means "views re-parsing": the
// diagnostics were recorded already by Parse.
func addDiag(list *[]Diag, code string, sev Severity, off int, format string, args ...any) {
	if list == nil {
		return
	}
	*list = append(*list, Diag{Code: code, Sev: sev, Off: off, Msg: fmt.Sprintf(format, args...)})
}

// IsSIP reports whether b starts (after optional CRLFs) with something shaped
// like a SIP request line or status line. It is cheap and is what decides
// [Message.NotSIP]: HTTP, STUN, keep-alives and random bytes are not SIP,
// while a SIP message with a damaged start line still is.
func IsSIP(b []byte) bool {
	i := 0
	for i+1 < len(b) && b[i] == '\r' && b[i+1] == '\n' {
		i += 2
	}
	return isSIPAt(b, i)
}

func isSIPAt(b []byte, i int) bool {
	// A start line begins with a token character ("SIP/" or a method):
	// binary payloads (RTP's 0x80) stop here, without a scan for the end
	// of a line they do not have (issue 9: a quarter of analyze's time).
	if i >= len(b) || !isToken(b[i]) {
		return false
	}
	end := i
	for end < len(b) && b[end] != '\r' && b[end] != '\n' {
		end++
	}
	line := b[i:end]
	if len(line) == 0 {
		return false
	}
	if hasPrefixFold(line, "SIP/") {
		return true
	}
	// Request: token SP scheme ":" ... [SP protocol "/" version]
	j := 0
	for j < len(line) && isToken(line[j]) {
		j++
	}
	if j == 0 || j == len(line) || line[j] != ' ' {
		return false
	}
	for j < len(line) && line[j] == ' ' {
		j++
	}
	k := j
	if k < len(line) && line[k] == '<' {
		k++ // "<sip:...>" is a broken SIP request, not another protocol
	}
	s := k
	for k < len(line) && (isAlpha(line[k]) || (k > s && (isDigit(line[k]) || line[k] == '+' || line[k] == '-' || line[k] == '.'))) {
		k++
	}
	if k == s || k >= len(line) || line[k] != ':' {
		return false
	}
	// The last word decides: "SIP/x" is SIP, "HTTP/1.1" or "RTSP/1.0" is not.
	last := bytes.LastIndexByte(line, ' ')
	w := line[last+1:]
	if slash := bytes.IndexByte(w, '/'); slash > 0 && isAllToken(w[:slash]) && !bytes.ContainsAny(w[:slash], ":@") {
		return hasPrefixFold(w, "SIP/")
	}
	scheme := line[s:k]
	return asciiEqualFold(scheme, "sip") || asciiEqualFold(scheme, "sips") || asciiEqualFold(scheme, "tel")
}

// line finds the end of the line starting at i: the end of its text, the
// start of the next line, and records a bad-line-ending diagnostic for a bare
// CR or LF. At the end of input without a terminator, te == next == len(b).
func (m *Message) line(i int) (te, next int) {
	b := m.Raw
	// The end of the text: the first CR or LF. Lines end in CRLF: look
	// for the LF among the next lineWindow bytes, then for a CR before
	// the one that should precede it; with no LF that near, byte by byte
	// (a search to the end for each line of a message of bare CRs would
	// be quadratic).
	//
	// Why (2026-12, issue 15): bytes.IndexByte scans a word at a time; a
	// loop over the bytes of every line was a tenth of Parse.
	j := i
	if k := bytes.IndexByte(b[i:min(len(b), i+lineWindow)], '\n'); k >= 0 {
		j += k
		if k := bytes.IndexByte(b[i:j], '\r'); k >= 0 {
			j = i + k
		}
	} else {
		for j < len(b) && b[j] != '\r' && b[j] != '\n' {
			j++
		}
	}
	if j-i > MaxLineBytes {
		addDiag(&m.Diags, "line-too-long", Error, i, "line of %d bytes exceeds %d", j-i, MaxLineBytes)
	}
	if j >= len(b) {
		return j, j
	}
	if b[j] == '\r' {
		if j+1 < len(b) && b[j+1] == '\n' {
			return j, j + 2
		}
		addDiag(&m.Diags, "bad-line-ending", Error, j, "bare CR ends the line")
		return j, j + 1
	}
	addDiag(&m.Diags, "bad-line-ending", Error, j, "bare LF ends the line")
	return j, j + 1
}

// lineWindow is how far [Message.line] looks for the LF ending a line
// before it walks the bytes: header lines are some 40 bytes, the longest
// common ones (WWW-Authenticate) some 150.
const lineWindow = 256

// Parse parses one SIP message. It never fails and never panics: defects are
// recorded in [Message.Diags] and parsing goes on as far as it can. Header
// values are checked (Via, addresses, CSeq, numbers...) during Parse; the
// typed views ([Message.Vias], [Message.From]...) re-parse lazily.
func Parse(b []byte) *Message {
	m := &Message{}
	parseInto(m, b)
	return m
}

// ParseInto is [Parse] into m, whose previous contents it replaces,
// reusing its memory: for a caller that parses one message after another
// and keeps none (correlate's first pass parses every SIP message of both
// captures for its twin key and the inventory, then drops it; a fresh
// Message each was a tenth of a SIP-heavy run's allocations).
func ParseInto(m *Message, b []byte) {
	m.reset()
	parseInto(m, b)
}

// reset empties m for a message to be parsed into, keeping the memory of
// its lists.
func (m *Message) reset() {
	diags, vias, contacts, params := m.Diags[:0], m.vias[:0], m.contacts[:0], m.params[:0]
	*m = Message{}
	m.Diags, m.vias, m.contacts, m.params = diags, vias, contacts, params
}

// ParseHeadersInto is [ParseInto] without the checks of the headers'
// values and without framing the body: the start line and the header
// lines, for a caller that reads a few headers' values through the
// views (CSeq, CallID, From...), which then parse what they are asked
// for, as they do of a Message built by hand. Diags holds the start
// line's and the header lines' diagnostics only; Body is not set.
//
// Why (2026-12, issue 15): correlate's first pass parsed every SIP
// message in full for its twin key (method or status, CSeq, Call-ID,
// From tag): 10% of a SIP-heavy run's CPU, the checks most of it, and a
// paired analysis keeps none of their diagnostics (matching parses
// every message again, in full).
func ParseHeadersInto(m *Message, b []byte) {
	m.reset()
	parseLines(m, b)
}

func parseInto(m *Message, b []byte) {
	i := parseLines(m, b)
	if m.NotSIP {
		return
	}
	m.checkHeaders()
	m.frameBody(i)
}

// parseLines parses the start line and the header lines and returns
// where they end.
func parseLines(m *Message, b []byte) int {
	m.Raw, m.contentLength = b, -1
	m.Headers = m.hdrBuf[:0]
	i := 0
	for i+1 < len(b) && b[i] == '\r' && b[i+1] == '\n' {
		i += 2
	}
	if i > 0 {
		m.Lead = Span{0, i}
	}
	if !isSIPAt(b, i) {
		m.NotSIP = true
		m.Body = Span{i, len(b)}
		what := b[i:min(len(b), i+16)]
		addDiag(&m.Diags, "not-sip", Error, i, "not a SIP start line: %s", quote(what))
		return len(b)
	}
	te, next := m.line(i)
	m.StartLine = Span{i, te}
	m.StartEOL = Span{te, next}
	m.parseStartLine()
	i = next
	return m.parseHeaders(i)
}

func (m *Message) parseStartLine() {
	b := m.Raw
	s := m.StartLine
	line := b[s.Off:s.End]
	if hasPrefixFold(line, "SIP/") {
		m.parseStatusLine()
		return
	}
	m.IsRequest = true
	// Method SP Request-URI SP SIP-Version, single SPs, nothing else.
	sp1 := bytes.IndexByte(line, ' ')
	m.Method = Span{s.Off, s.Off + sp1}
	if !isAllToken(line[:sp1]) {
		addDiag(&m.Diags, "bad-start-line", Error, s.Off, "method is not a token: %s", quote(line[:sp1]))
	}
	rest := line[sp1+1:]
	if len(rest) > 0 && rest[0] == ' ' {
		addDiag(&m.Diags, "bad-start-line", Error, s.Off+sp1, "more than one SP after the method")
	}
	// The version is the last word; the Request-URI is what lies between.
	k := len(line)
	for k > sp1+1 && line[k-1] == ' ' {
		k--
	}
	if k < len(line) {
		addDiag(&m.Diags, "bad-start-line", Error, s.Off+k, "trailing whitespace at the end of the request line")
	}
	last := bytes.LastIndexByte(line[:k], ' ')
	if last > sp1 && hasPrefixFold(line[last+1:k], "SIP/") {
		m.Version = Span{s.Off + last + 1, s.Off + k}
		m.checkVersion(m.Version)
		m.setRequestURI(s.Off+sp1+1, s.Off+last)
		return
	}
	addDiag(&m.Diags, "bad-start-line", Error, s.Off+k, "request line has no SIP-Version: %s", quote(line))
	m.setRequestURI(s.Off+sp1+1, s.Off+k)
}

func (m *Message) setRequestURI(off, end int) {
	b := m.Raw
	for off < end && b[off] == ' ' {
		off++
	}
	k := end
	for k > off && b[k-1] == ' ' {
		k--
	}
	if k < end {
		addDiag(&m.Diags, "bad-start-line", Error, k, "more than one SP before the SIP-Version")
	}
	end = k
	m.RequestURI = Span{off, end}
	if off == end {
		addDiag(&m.Diags, "bad-start-line", Error, off, "empty Request-URI")
		return
	}
	if b[off] == '<' {
		addDiag(&m.Diags, "bad-request-uri", Error, off, "Request-URI enclosed in '<' '>': %s", quote(b[off:end]))
		return
	}
	if i := indexSpaceTab(b[off:end]); i >= 0 {
		addDiag(&m.Diags, "bad-start-line", Error, off+i, "whitespace inside the Request-URI: %s", quote(b[off:end]))
	}
	p := parser{b: b, diags: &m.Diags}
	var u URI
	p.parseURI(&u, off, end, uriWhole)
	if u.isSIP() && !u.Headers.IsZero() {
		addDiag(&m.Diags, "ruri-headers", Error, u.Headers.Off-1, "Request-URI carries URI headers: %s", quote(b[u.Headers.Off:u.Headers.End]))
	}
}

func (m *Message) checkVersion(v Span) {
	w := m.Raw[v.Off:v.End]
	if !bytes.Equal(w, []byte("SIP/2.0")) {
		sev := Error
		if asciiEqualFold(w, "SIP/2.0") {
			sev = Warning // RFC 3261 §7.1: case-insensitive, but always upper-case
		}
		addDiag(&m.Diags, "bad-version", sev, v.Off, "SIP-Version %s, want SIP/2.0", quote(w))
	}
}

func (m *Message) parseStatusLine() {
	b := m.Raw
	s := m.StartLine
	line := b[s.Off:s.End]
	sp := bytes.IndexByte(line, ' ')
	if sp < 0 {
		m.Version = s
		m.checkVersion(s)
		addDiag(&m.Diags, "bad-start-line", Error, s.End, "status line has no status code")
		return
	}
	m.Version = Span{s.Off, s.Off + sp}
	m.checkVersion(m.Version)
	j := sp + 1
	k := j
	for k < len(line) && line[k] != ' ' {
		k++
	}
	m.Status = Span{s.Off + j, s.Off + k}
	code := line[j:k]
	n, ok, _ := parseUint(code)
	if !ok || len(code) != 3 || n < 100 || n > 699 {
		addDiag(&m.Diags, "bad-status-code", Error, m.Status.Off, "status code %s is not three digits 100-699", quote(code))
	}
	if ok && n <= 999 {
		m.StatusCode = int(n)
	}
	if k == len(line) {
		// RFC 3261 §25.1: Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
		addDiag(&m.Diags, "bad-start-line", Warning, s.End, "status line lacks the SP before the reason phrase")
		m.Reason = Span{s.End, s.End}
		return
	}
	m.Reason = Span{s.Off + k + 1, s.End}
}

// parseHeaders reads header lines from i up to and including the blank line
// and returns the offset after it.
func (m *Message) parseHeaders(i int) int {
	b := m.Raw
	for i < len(b) {
		te, next := m.line(i)
		if te == i {
			m.Blank = Span{i, next}
			return next
		}
		if len(m.Headers) >= MaxHeaders {
			addDiag(&m.Diags, "too-many-headers", Error, i, "more than %d header lines; the rest is kept as body", MaxHeaders)
			m.Blank = Span{i, i}
			return i
		}
		if b[i] == ' ' || b[i] == '\t' {
			// A continuation line with no header to continue.
			addDiag(&m.Diags, "header-no-colon", Error, i, "continuation line without a header: %s", quote(b[i:te]))
		}
		h := Header{Line: Span{i, next}}
		lastTE := te
		for next < len(b) && (b[next] == ' ' || b[next] == '\t') {
			// LWS continuation (RFC 3261 §7.3.1)
			t2, n2 := m.line(next)
			lastTE, next = t2, n2
			h.Folded = true
		}
		h.Line.End = next
		m.parseHeaderLine(&h, i, te, lastTE)
		m.Headers = append(m.Headers, h)
		i = next
	}
	// End of input inside the header section.
	if len(m.Headers) > 0 || i == len(b) {
		addDiag(&m.Diags, "no-blank-line", Error, len(b), "header section not terminated by an empty line")
	}
	return i
}

// parseHeaderLine fills name and value of h: the first line's text is
// [i, te), the last continuation line's text ends at lastTE.
func (m *Message) parseHeaderLine(h *Header, i, te, lastTE int) {
	b := m.Raw
	j := i
	for j < te && isToken(b[j]) {
		j++
	}
	nameEnd := j
	for j < te && (b[j] == ' ' || b[j] == '\t') {
		j++
	}
	if j >= te || b[j] != ':' {
		if bytes.IndexByte(b[i:te], ':') < 0 {
			h.NoColon = true
			h.Name = Span{i, lastTE}
			h.Value = Span{lastTE, lastTE}
			addDiag(&m.Diags, "header-no-colon", Error, i, "header line without ':': %s", quote(b[i:te]))
			return
		}
		c := i + bytes.IndexByte(b[i:te], ':')
		addDiag(&m.Diags, "bad-header-name", Error, i, "header name is not a token: %s", quote(b[i:c]))
		nameEnd = c
		for nameEnd > i && (b[nameEnd-1] == ' ' || b[nameEnd-1] == '\t') {
			nameEnd--
		}
		j = c
	} else if nameEnd == i {
		addDiag(&m.Diags, "bad-header-name", Error, i, "empty header name")
	}
	h.Name = Span{i, nameEnd}
	v := skipLWS(b, j+1, lastTE)
	h.Value = Span{v, lastTE}
	if info, ok := lookupHeader(b[i:nameEnd]); ok {
		h.Compact = nameEnd-i == 1
		h.known, h.id, h.kind = true, info.id, info.kind
	}
}

// frameBody sets Body and Extra from the bytes after the header section.
func (m *Message) frameBody(i int) {
	n := len(m.Raw) - i
	if n == 0 {
		if m.contentLength > 0 {
			addDiag(&m.Diags, "content-length-long", Error, i, "Content-Length %d but the body is empty", m.contentLength)
		}
		if i > 0 {
			m.Body = Span{i, i}
		}
		return
	}
	m.Body = Span{i, len(m.Raw)}
	cl := m.contentLength
	switch {
	case cl < 0:
	case cl > n:
		addDiag(&m.Diags, "content-length-long", Error, i, "Content-Length %d but the body has %d bytes", cl, n)
	case cl < n:
		addDiag(&m.Diags, "content-length-short", Warning, i+cl, "Content-Length %d but %d bytes follow the header section", cl, n)
		m.Body = Span{i, i + cl}
		m.Extra = Span{i + cl, len(m.Raw)}
	}
}
