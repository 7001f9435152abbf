// Package sdp parses SDP session descriptions (RFC 8866) inside SIP
// messages without losing a byte: every line, field and attribute keeps its
// [Span] into the SIP message buffer, and defects are reported as
// diagnostics instead of failures.
//
// Parse takes the whole message buffer and the body span (from
// [sipmsg.Message.SDPBody]), so every offset is an offset into the message,
// the same coordinates as the SIP headers.
//
// # Diagnostics
//
// Codes are stable; rules and reports match on them.
//
//	code                 sev      meaning
//	sdp-bad-line         error    a line is not "<letter>=<value>", or a field list is malformed (o=, t=, m=, v= not 0)
//	sdp-empty-line       warning  an empty line inside the description
//	sdp-bad-line-ending  warning  a line ends in a bare LF or CR, or the last line has no CRLF (RFC 8866 §5 allows LF)
//	sdp-order            error    a line comes after one that must follow it (RFC 8866 §5 order)
//	sdp-duplicate        error    a line that occurs once (v, o, s, session-level c...) repeats
//	sdp-missing-line     error    v=, o=, s= or t= missing, or a media section without c= when the session has none
//	sdp-bad-address      error    an o=, c=, a=rtcp or a=candidate address does not parse for its address type
//	sdp-bad-port         error    an m=, a=rtcp or a=candidate port is not a number or is above 65535
//	sdp-too-many-lines   error    more than [MaxLines] lines: the rest is not parsed
package sdp

import (
	"bytes"
	"fmt"
	"net/netip"

	"github.com/sipalg/sipalg/analyze/sipmsg"
)

// Span and Diag are the sipmsg types: SDP offsets and diagnostics share the
// message's coordinates.
type (
	Span = sipmsg.Span
	Diag = sipmsg.Diag
)

// MaxLines bounds the lines kept per description: a rich WebRTC offer with
// ICE candidates for several streams runs to a few hundred lines; 4096 is
// ten times that and still under the 65507-byte UDP payload at 16 bytes a
// line.
const MaxLines = 4096

// Line is one SDP line.
type Line struct {
	// Span is the line with its terminator, Text without it.
	Span
	Text Span
	// Type is the letter before '=', 0 for a malformed line.
	Type byte
	// Value is what follows "x=".
	Value Span
}

// Origin is the o= line's fields.
type Origin struct {
	Span
	Username, SessID, SessVersion, NetType, AddrType, Addr Span
}

// Conn is a c= line: Addr is the address alone; TTL and Num the optional
// "/ttl/num" suffixes (zero when absent).
type Conn struct {
	Span
	NetType, AddrType, Addr, TTL, Num Span
}

// Attr is an a= line: Name, and Value after ':' (zero for a property
// attribute like a=sendrecv).
type Attr struct {
	Span
	Name, Value Span
}

// Media is one media description: its m= line fields and the lines up to
// the next m=.
type Media struct {
	// Span runs from the m= line to the end of the section's last line.
	Span
	// Line is the m= line.
	Line Line
	// MediaType, Port, NumPorts, Proto and Fmts are the m= fields; PortNum
	// is -1 when the port is invalid.
	MediaType, Port, NumPorts, Proto, Fmts Span
	PortNum                                int
	Conns                                  []Conn
	Bandwidths                             []Span
	Attrs                                  []Attr
}

// Session is a parsed session description.
type Session struct {
	// Raw is the buffer given to Parse; Span the description inside it.
	Raw []byte
	Span
	// Lines holds every line in order; they cover Span exactly.
	Lines []Line
	// Version, Name are the v= and s= values.
	Version, Name Span
	Origin        Origin
	HasOrigin     bool
	// Conn is the session-level c= line, if any.
	Conn    Conn
	HasConn bool
	// Times are the t= values.
	Times      []Span
	Bandwidths []Span
	Attrs      []Attr
	Media      []Media
	Diags      []Diag

	// attrBuf, connBuf and bwBuf back the media sections' lists, each
	// cut at its section's count (issue 15: growing them line by line was
	// half of interpret's time); ParseInto reuses them.
	attrBuf []Attr
	connBuf []Conn
	bwBuf   []Span
}

// HasErrors reports whether any diagnostic has severity Error.
func (s *Session) HasErrors() bool {
	for _, d := range s.Diags {
		if d.Sev == sipmsg.Error {
			return true
		}
	}
	return false
}

// Bytes returns the bytes of sp, or nil when it is absent or out of range.
func (s *Session) Bytes(sp Span) []byte {
	if sp.IsZero() || sp.Off < 0 || sp.End > len(s.Raw) || sp.Off > sp.End {
		return nil
	}
	return s.Raw[sp.Off:sp.End]
}

// Attr returns the first session-level attribute called name.
func (s *Session) Attr(name string) (Attr, bool) { return findAttr(s.Raw, s.Attrs, name) }

// Attr returns the first attribute of the media section called name.
func (m *Media) Attr(b []byte, name string) (Attr, bool) { return findAttr(b, m.Attrs, name) }

func findAttr(b []byte, as []Attr, name string) (Attr, bool) {
	for _, a := range as {
		if bytes.EqualFold(b[a.Name.Off:a.Name.End], []byte(name)) {
			return a, true
		}
	}
	return Attr{}, false
}

// carve returns an empty slice of capacity n from the arena buf (nil when
// n is 0), which grows into a new array when it is short: the slices
// carved before keep the old one.
func carve[T any](buf *[]T, n int) []T {
	if n == 0 {
		return nil
	}
	if cap(*buf)-len(*buf) < n {
		*buf = make([]T, 0, max(2*cap(*buf), n, 8))
	}
	start := len(*buf)
	*buf = (*buf)[:start+n]
	return (*buf)[start : start : start+n]
}

func (s *Session) diag(code string, sev sipmsg.Severity, off int, format string, args ...any) {
	s.Diags = append(s.Diags, Diag{Code: code, Sev: sev, Off: off, Msg: fmt.Sprintf(format, args...)})
}

func quote(b []byte) string {
	if len(b) > 80 {
		return fmt.Sprintf("%q...", b[:80])
	}
	return fmt.Sprintf("%q", b)
}

// rank orders line types (RFC 8866 §5): session part, then media part.
func rank(t byte, inMedia bool) int {
	if inMedia {
		switch t {
		case 'm':
			return 20
		case 'i':
			return 21
		case 'c':
			return 22
		case 'b':
			return 23
		case 'k':
			return 24
		case 'a':
			return 25
		}
		return -1
	}
	switch t {
	case 'v':
		return 0
	case 'o':
		return 1
	case 's':
		return 2
	case 'i':
		return 3
	case 'u':
		return 4
	case 'e':
		return 5
	case 'p':
		return 6
	case 'c':
		return 7
	case 'b':
		return 8
	case 't':
		return 9
	case 'r':
		return 10
	case 'z':
		return 11
	case 'k':
		return 12
	case 'a':
		return 13
	case 'm':
		return 20
	}
	return -1
}

// Parse parses the session description in b[body.Off:body.End]. It never
// fails and never panics; a span out of range gives an empty Session with a
// diagnostic.
func Parse(b []byte, body Span) *Session {
	s := &Session{Raw: b, Span: body}
	parse(s, b, body)
	return s
}

// ParseInto is [Parse] into s, whose previous contents it replaces,
// reusing its lists: for a caller that parses one body after another and
// keeps none (the inventory checks every SDP of a capture).
func ParseInto(s *Session, b []byte, body Span) {
	*s = Session{Raw: b, Span: body, Lines: s.Lines[:0], Times: s.Times[:0], Bandwidths: s.Bandwidths[:0],
		Attrs: s.Attrs[:0], Media: s.Media[:0], Diags: s.Diags[:0],
		attrBuf: s.attrBuf[:0], connBuf: s.connBuf[:0], bwBuf: s.bwBuf[:0]}
	parse(s, b, body)
}

func parse(s *Session, b []byte, body Span) {
	if body.Off < 0 || body.End > len(b) || body.Off > body.End {
		s.Span = Span{}
		s.diag("sdp-bad-line", sipmsg.Error, 0, "body span [%d,%d) outside the %d-byte buffer", body.Off, body.End, len(b))
		return
	}
	if s.Lines == nil {
		s.Lines = make([]Line, 0, 16)
	}
	i := body.Off
	for i < body.End {
		if len(s.Lines) == MaxLines {
			s.diag("sdp-too-many-lines", sipmsg.Error, i, "more than %d lines; the rest is one unparsed line", MaxLines)
			s.Lines = append(s.Lines, Line{Span: Span{Off: i, End: body.End}, Text: Span{Off: i, End: body.End}})
			break
		}
		j := i
		for j < body.End && b[j] != '\r' && b[j] != '\n' {
			j++
		}
		next := j
		switch {
		case j == body.End:
			if j > i {
				s.diag("sdp-bad-line-ending", sipmsg.Warning, j, "last line has no CRLF")
			}
		case b[j] == '\r' && j+1 < body.End && b[j+1] == '\n':
			next = j + 2
		default:
			s.diag("sdp-bad-line-ending", sipmsg.Warning, j, "line ends in a bare %s", map[byte]string{'\r': "CR", '\n': "LF"}[b[j]])
			next = j + 1
		}
		ln := Line{Span: Span{Off: i, End: next}, Text: Span{Off: i, End: j}}
		switch {
		case j == i:
			s.diag("sdp-empty-line", sipmsg.Warning, i, "empty line")
		case j-i >= 2 && 'a' <= b[i] && b[i] <= 'z' && b[i+1] == '=':
			ln.Type = b[i]
			ln.Value = Span{Off: i + 2, End: j}
		default:
			s.diag("sdp-bad-line", sipmsg.Error, i, "not a <type>=<value> line: %s", quote(b[i:j]))
		}
		s.Lines = append(s.Lines, ln)
		i = next
	}
	s.interpret()
}

// interpret walks the lines: order, duplicates, field syntax.
func (s *Session) interpret() {
	b := s.Raw
	prev := -1
	var prevType byte
	var seen [26]bool
	var media *Media
	for k := range s.Lines {
		ln := s.Lines[k]
		t := ln.Type
		if t == 0 {
			continue
		}
		inMedia := media != nil
		if t == 'm' {
			s.Media = append(s.Media, Media{Span: ln.Span, Line: ln, PortNum: -1})
			media = &s.Media[len(s.Media)-1]
			var na, nc, nb int
			for _, l := range s.Lines[k+1:] {
				if l.Type == 'm' {
					break
				}
				switch l.Type {
				case 'a':
					na++
				case 'c':
					nc++
				case 'b':
					nb++
				}
			}
			media.Attrs, media.Conns, media.Bandwidths = carve(&s.attrBuf, na), carve(&s.connBuf, nc), carve(&s.bwBuf, nb)
			s.parseM(media)
			prev, prevType = 20, 'm'
			continue
		}
		if media != nil {
			media.Span.End = ln.Span.End
		}
		r := rank(t, inMedia)
		switch {
		case r < 0:
			// Unknown type letters are ignored (RFC 8866 §5) but noted.
			s.diag("sdp-bad-line", sipmsg.Warning, ln.Off, "unknown line type %q", t)
			continue
		case r < prev && !(t == 't' && prevType == 'r'):
			s.diag("sdp-order", sipmsg.Error, ln.Off, "%c= line after %c= line", t, prevType)
		}
		if !inMedia {
			once := t == 'v' || t == 'o' || t == 's' || t == 'i' || t == 'u' || t == 'c' || t == 'z' || t == 'k'
			if once && seen[t-'a'] {
				s.diag("sdp-duplicate", sipmsg.Error, ln.Off, "second %c= line", t)
			}
			seen[t-'a'] = true
		}
		prev, prevType = r, t
		v := ln.Value
		switch t {
		case 'v':
			s.Version = v
			if string(b[v.Off:v.End]) != "0" {
				s.diag("sdp-bad-line", sipmsg.Error, v.Off, "v=%s, want v=0", b[v.Off:v.End])
			}
		case 'o':
			s.Origin, s.HasOrigin = s.parseO(v), true
		case 's':
			s.Name = v
			if v.Len() == 0 {
				s.diag("sdp-bad-line", sipmsg.Warning, v.Off, "empty s= (RFC 8866 §5.3: use a single space)")
			}
		case 't':
			s.Times = append(s.Times, v)
			f := fields(b, v)
			if f.n != 2 || !digits(b, f.f[0]) || !digits(b, f.f[1]) {
				s.diag("sdp-bad-line", sipmsg.Error, v.Off, "t= is not two numbers: %s", quote(b[v.Off:v.End]))
			}
		case 'c':
			c := s.parseC(v)
			if inMedia {
				media.Conns = append(media.Conns, c)
			} else {
				s.Conn, s.HasConn = c, true
			}
		case 'b':
			if inMedia {
				media.Bandwidths = append(media.Bandwidths, v)
			} else {
				s.Bandwidths = append(s.Bandwidths, v)
			}
		case 'a':
			a := s.parseA(v)
			if inMedia {
				media.Attrs = append(media.Attrs, a)
			} else {
				s.Attrs = append(s.Attrs, a)
			}
		}
	}
	off := s.Off
	for _, t := range []byte("vost") {
		if !seen[t-'a'] {
			s.diag("sdp-missing-line", sipmsg.Error, off, "no %c= line", t)
		}
	}
	if !s.HasConn {
		for _, m := range s.Media {
			if len(m.Conns) == 0 {
				s.diag("sdp-missing-line", sipmsg.Error, m.Off, "media section without c= and no session-level c=")
			}
		}
	}
}

// fieldList holds up to 8 space-separated fields of a line value.
type fieldList struct {
	f     [8]Span
	n     int
	extra bool // more than 8 fields
	rest  int  // offset after the 8th field's separator, if extra
}

// fields splits v at single SPs (RFC 8866 uses exactly one SP).
func fields(b []byte, v Span) fieldList {
	var fl fieldList
	i := v.Off
	for i <= v.End && v.Len() > 0 {
		j := i
		for j < v.End && b[j] != ' ' {
			j++
		}
		if fl.n == len(fl.f) {
			fl.extra = true
			fl.rest = i
			break
		}
		fl.f[fl.n] = Span{Off: i, End: j}
		fl.n++
		i = j + 1
	}
	return fl
}

func digits(b []byte, s Span) bool {
	if s.Len() == 0 {
		return false
	}
	for _, c := range b[s.Off:s.End] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (s *Session) parseO(v Span) Origin {
	b := s.Raw
	o := Origin{Span: v}
	f := fields(b, v)
	if f.n != 6 {
		s.diag("sdp-bad-line", sipmsg.Error, v.Off, "o= has %d fields, want 6: %s", f.n, quote(b[v.Off:v.End]))
		if f.n < 6 {
			return o
		}
	}
	o.Username, o.SessID, o.SessVersion, o.NetType, o.AddrType, o.Addr = f.f[0], f.f[1], f.f[2], f.f[3], f.f[4], f.f[5]
	s.checkAddr(o.AddrType, o.Addr, "o=")
	return o
}

func (s *Session) parseC(v Span) Conn {
	b := s.Raw
	c := Conn{Span: v}
	f := fields(b, v)
	if f.n != 3 {
		s.diag("sdp-bad-line", sipmsg.Error, v.Off, "c= has %d fields, want 3: %s", f.n, quote(b[v.Off:v.End]))
		if f.n < 3 {
			return c
		}
	}
	c.NetType, c.AddrType = f.f[0], f.f[1]
	a := f.f[2]
	// connection-address [ "/" ttl ] [ "/" number ]
	if k := bytes.IndexByte(b[a.Off:a.End], '/'); k >= 0 {
		rest := Span{Off: a.Off + k + 1, End: a.End}
		a.End = a.Off + k
		if k2 := bytes.IndexByte(b[rest.Off:rest.End], '/'); k2 >= 0 {
			c.TTL = Span{Off: rest.Off, End: rest.Off + k2}
			c.Num = Span{Off: rest.Off + k2 + 1, End: rest.End}
		} else {
			c.TTL = rest
		}
		if !digits(b, c.TTL) || (!c.Num.IsZero() && !digits(b, c.Num)) {
			s.diag("sdp-bad-address", sipmsg.Error, c.TTL.Off, "bad ttl/number suffix in c=: %s", quote(b[v.Off:v.End]))
		}
	}
	c.Addr = a
	s.checkAddr(c.AddrType, c.Addr, "c=")
	return c
}

// checkAddr validates an address for its address type: IP4 dotted quad or
// FQDN, IP6 address or FQDN.
func (s *Session) checkAddr(typ, a Span, where string) {
	b := s.Raw
	at := b[typ.Off:typ.End]
	ab := b[a.Off:a.End]
	if !validAddr(at, ab) {
		s.diag("sdp-bad-address", sipmsg.Error, a.Off, "%s address %s is not a valid %s address", where, quote(ab), at)
	}
}

// isIPv4 reports whether a (digits and dots only) is an IPv4 address as
// netip.ParseAddr reads one: four decimal fields of at most 255, none with
// a leading zero. Without the string netip needs: every SDP of a
// SIP-heavy capture is checked (issue 15).
func isIPv4(a []byte) bool {
	fields, val, digits := 0, 0, 0
	for i := 0; i <= len(a); i++ {
		if i == len(a) || a[i] == '.' {
			if digits == 0 {
				return false
			}
			fields++
			val, digits = 0, 0
			continue
		}
		if digits == 1 && val == 0 {
			return false // leading zero
		}
		val = val*10 + int(a[i]-'0')
		digits++
		if val > 255 {
			return false
		}
	}
	return fields == 4
}

func validAddr(typ, a []byte) bool {
	if len(a) == 0 {
		return false
	}
	if bytes.IndexByte(a, ':') >= 0 {
		ip, err := netip.ParseAddr(string(a))
		return err == nil && ip.Is6() && ip.Zone() == "" && !bytes.Equal(typ, []byte("IP4"))
	}
	numeric := true
	for _, c := range a {
		if !(c >= '0' && c <= '9' || c == '.') {
			numeric = false
			break
		}
	}
	if numeric {
		return isIPv4(a) && !bytes.Equal(typ, []byte("IP6"))
	}
	// FQDN
	for _, c := range a {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// checkPort validates a port field and returns its value, -1 when invalid.
func (s *Session) checkPort(p Span, where string) int {
	b := s.Raw
	if !digits(b, p) {
		s.diag("sdp-bad-port", sipmsg.Error, p.Off, "%s port %s is not a number", where, quote(b[p.Off:p.End]))
		return -1
	}
	n := 0
	for _, c := range b[p.Off:p.End] {
		n = n*10 + int(c-'0')
		if n > 65535 {
			s.diag("sdp-bad-port", sipmsg.Error, p.Off, "%s port %s is above 65535", where, quote(b[p.Off:p.End]))
			return -1
		}
	}
	return n
}

func (s *Session) parseM(m *Media) {
	b := s.Raw
	v := m.Line.Value
	f := fields(b, v)
	if f.n < 4 {
		s.diag("sdp-bad-line", sipmsg.Error, v.Off, "m= has %d fields, want at least 4: %s", f.n, quote(b[v.Off:v.End]))
		if f.n < 2 {
			return
		}
	}
	m.MediaType = f.f[0]
	port := f.f[1]
	if k := bytes.IndexByte(b[port.Off:port.End], '/'); k >= 0 {
		m.NumPorts = Span{Off: port.Off + k + 1, End: port.End}
		port.End = port.Off + k
		if !digits(b, m.NumPorts) {
			s.diag("sdp-bad-port", sipmsg.Error, m.NumPorts.Off, "m= number of ports %s is not a number", quote(b[m.NumPorts.Off:m.NumPorts.End]))
		}
	}
	m.Port = port
	m.PortNum = s.checkPort(port, "m=")
	if f.n >= 3 {
		m.Proto = f.f[2]
	}
	if f.n >= 4 {
		m.Fmts = Span{Off: f.f[3].Off, End: v.End}
	}
}

func (s *Session) parseA(v Span) Attr {
	b := s.Raw
	a := Attr{Span: v}
	k := bytes.IndexByte(b[v.Off:v.End], ':')
	if k < 0 {
		a.Name = v
		return a
	}
	a.Name = Span{Off: v.Off, End: v.Off + k}
	a.Value = Span{Off: v.Off + k + 1, End: v.End}
	name := b[a.Name.Off:a.Name.End]
	switch {
	case bytes.Equal(name, []byte("rtcp")):
		s.checkRTCP(a)
	case bytes.Equal(name, []byte("candidate")):
		s.checkCandidate(a)
	}
	return a
}

// RTCP is a parsed a=rtcp attribute (RFC 3605).
type RTCP struct {
	Port                    Span
	PortNum                 int
	NetType, AddrType, Addr Span // zero when absent
}

// ParseRTCP parses the value of an a=rtcp attribute.
func ParseRTCP(b []byte, a Attr) (RTCP, bool) {
	r := RTCP{PortNum: -1}
	f := fields(b, a.Value)
	if f.n != 1 && f.n != 4 {
		return r, false
	}
	r.Port = f.f[0]
	if f.n == 4 {
		r.NetType, r.AddrType, r.Addr = f.f[1], f.f[2], f.f[3]
	}
	if !digits(b, r.Port) || r.Port.Len() > 5 {
		return r, false
	}
	n := 0
	for _, c := range b[r.Port.Off:r.Port.End] {
		n = n*10 + int(c-'0')
	}
	if n > 65535 {
		return r, false
	}
	r.PortNum = n
	return r, true
}

func (s *Session) checkRTCP(a Attr) {
	b := s.Raw
	f := fields(b, a.Value)
	if f.n != 1 && f.n != 4 {
		s.diag("sdp-bad-line", sipmsg.Error, a.Value.Off, "a=rtcp is not 'port [nettype addrtype address]': %s", quote(b[a.Value.Off:a.Value.End]))
		return
	}
	s.checkPort(f.f[0], "a=rtcp")
	if f.n == 4 {
		s.checkAddr(f.f[2], f.f[3], "a=rtcp")
	}
}

// Candidate is a parsed a=candidate attribute (RFC 8839 §5.1).
type Candidate struct {
	Foundation, Component, Transport, Priority, Addr, Port, Type Span
	PortNum                                                      int
	// RelAddr and RelPort are the raddr/rport extension values, zero when
	// absent.
	RelAddr, RelPort Span
}

// ParseCandidate parses the value of an a=candidate attribute.
func ParseCandidate(b []byte, a Attr) (Candidate, bool) {
	c := Candidate{PortNum: -1}
	v := a.Value
	i := v.Off
	var fs [12]Span
	n := 0
	for i < v.End && n < len(fs) {
		j := i
		for j < v.End && b[j] != ' ' {
			j++
		}
		fs[n] = Span{Off: i, End: j}
		n++
		i = j + 1
	}
	if n < 8 || string(b[fs[6].Off:fs[6].End]) != "typ" {
		return c, false
	}
	c.Foundation, c.Component, c.Transport, c.Priority, c.Addr, c.Port, c.Type = fs[0], fs[1], fs[2], fs[3], fs[4], fs[5], fs[7]
	for k := 8; k+1 < n; k += 2 {
		switch string(b[fs[k].Off:fs[k].End]) {
		case "raddr":
			c.RelAddr = fs[k+1]
		case "rport":
			c.RelPort = fs[k+1]
		}
	}
	if digits(b, c.Port) && c.Port.Len() <= 5 {
		n := 0
		for _, ch := range b[c.Port.Off:c.Port.End] {
			n = n*10 + int(ch-'0')
		}
		if n <= 65535 {
			c.PortNum = n
		}
	}
	return c, true
}

func (s *Session) checkCandidate(a Attr) {
	b := s.Raw
	c, ok := ParseCandidate(b, a)
	if !ok {
		s.diag("sdp-bad-line", sipmsg.Error, a.Value.Off, "a=candidate is not 'foundation component transport priority address port typ type ...': %s", quote(b[a.Value.Off:a.Value.End]))
		return
	}
	s.checkPort(c.Port, "a=candidate")
	if !validAddr(nil, b[c.Addr.Off:c.Addr.End]) && !bytes.HasSuffix(b[c.Addr.Off:c.Addr.End], []byte(".local")) {
		s.diag("sdp-bad-address", sipmsg.Error, c.Addr.Off, "a=candidate address %s is not valid", quote(b[c.Addr.Off:c.Addr.End]))
	}
	if !c.RelPort.IsZero() {
		s.checkPort(c.RelPort, "a=candidate rport")
	}
	if !c.RelAddr.IsZero() && !validAddr(nil, b[c.RelAddr.Off:c.RelAddr.End]) {
		s.diag("sdp-bad-address", sipmsg.Error, c.RelAddr.Off, "a=candidate raddr %s is not valid", quote(b[c.RelAddr.Off:c.RelAddr.End]))
	}
}
