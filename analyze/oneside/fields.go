package oneside

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/sipalg/sipalg/analyze/sdp"
	"github.com/sipalg/sipalg/analyze/sipmsg"
)

// FieldAddr is an IP address a sender wrote about itself in one field of a
// message.
type FieldAddr struct {
	// Field is the field path, as in DESIGN.md: "Via[0].sent-by",
	// "Contact[0].uri.host", "Call-ID", "sdp.c", "sdp.m[0].a[candidate]"...
	Field string
	// Text is the field's value as written, capped at 80 bytes.
	Text string
	Addr netip.Addr
	// Port is the port written next to the address; -1 when none or not a
	// valid port.
	Port int
}

// Endpoint returns "addr:port", or the address alone when no port.
func (f FieldAddr) Endpoint() string {
	if f.Port < 0 {
		return f.Addr.String()
	}
	return netip.AddrPortFrom(f.Addr, uint16(f.Port)).String()
}

// identityHeaders are headers in which a sender names itself, scanned for
// address literals.
var identityHeaders = []string{"User-Agent", "Server", "Referred-By", "P-Preferred-Identity", "P-Asserted-Identity"}

// OwnAddresses returns the IP address literals the sender of p wrote about
// itself: the top Via of a request, Contact (but in a response to
// REGISTER), From of a request, Call-ID
// when the sender created the dialog (ownCallID), the identity headers,
// and in SDP o=, c=, a=candidate and a=rtcp. It is where an ALG that
// rewrites some fields and not others leaves the private address.
func OwnAddresses(p *sipmsg.Message, ownCallID bool) []FieldAddr {
	if p == nil || p.NotSIP {
		return nil
	}
	var out []FieldAddr
	add := func(field string, text []byte, host []byte, port int) {
		if a, ok := ParseHost(string(host)); ok {
			out = append(out, FieldAddr{Field: field, Text: capText(text), Addr: a, Port: port})
		}
	}
	literals := func(field string, text []byte) {
		for _, a := range AddrLiterals(string(text)) {
			out = append(out, FieldAddr{Field: field, Text: capText(text), Addr: a, Port: -1})
		}
	}
	if p.IsRequest {
		if vias := p.Vias(); len(vias) > 0 {
			v := vias[0]
			add("Via[0].sent-by", p.Bytes(v.Span), p.Bytes(v.Host), v.PortNum)
		}
		if f, ok := p.From(); ok {
			add("From.uri.host", p.Bytes(f.URI.Span), p.Bytes(f.URI.Host), f.URI.PortNum)
		}
		if ownCallID {
			if id, ok := p.CallID(); ok {
				literals("Call-ID", p.Bytes(id))
			}
		}
	}
	// A response to REGISTER echoes the registered bindings: the
	// registrar's Contacts are the phone's, not its own.
	if cs, ok := p.CSeq(); p.IsRequest || !ok || string(p.Bytes(cs.Method)) != "REGISTER" {
		for i, c := range p.Contacts() {
			add(fmt.Sprintf("Contact[%d].uri.host", i), p.Bytes(c.URI.Span), p.Bytes(c.URI.Host), c.URI.PortNum)
		}
	}
	for _, name := range identityHeaders {
		for _, h := range p.HeaderAll(name) {
			literals(name, p.Bytes(h.Value))
		}
	}
	s := SDPOf(p)
	if s == nil {
		return out
	}
	if s.HasOrigin {
		add("sdp.o", s.Bytes(s.Origin.Span), s.Bytes(s.Origin.Addr), -1)
	}
	if s.HasConn {
		add("sdp.c", s.Bytes(s.Conn.Span), s.Bytes(s.Conn.Addr), -1)
	}
	for i := range s.Media {
		md := &s.Media[i]
		for _, c := range md.Conns {
			add(fmt.Sprintf("sdp.m[%d].c", i), s.Bytes(c.Span), s.Bytes(c.Addr), -1)
		}
		for _, a := range md.Attrs {
			switch strings.ToLower(string(s.Bytes(a.Name))) {
			case "candidate":
				if c, ok := sdp.ParseCandidate(s.Raw, a); ok {
					add(fmt.Sprintf("sdp.m[%d].a[candidate]", i), s.Bytes(a.Span), s.Bytes(c.Addr), c.PortNum)
				}
			case "rtcp":
				if r, ok := sdp.ParseRTCP(s.Raw, a); ok && !r.Addr.IsZero() {
					add(fmt.Sprintf("sdp.m[%d].a[rtcp]", i), s.Bytes(a.Span), s.Bytes(r.Addr), r.PortNum)
				}
			}
		}
	}
	return out
}

// SDPOf parses the SDP body of p, or returns nil.
func SDPOf(p *sipmsg.Message) *sdp.Session {
	if p == nil {
		return nil
	}
	body, ok := p.SDPBody()
	if !ok {
		return nil
	}
	return sdp.Parse(p.Raw, body)
}

// ParseHost parses a host that is an IP literal ("[v6]" allowed).
func ParseHost(host string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// IsPrivate reports whether a cannot be reached from the Internet: RFC
// 1918, RFC 6598 shared space, link-local, ULA, loopback.
func IsPrivate(a netip.Addr) bool {
	return a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || cgnat.Contains(a)
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// AddrLiterals returns the IPv4 literals and bracketed IPv6 literals in s,
// in order; a dotted quad glued to letters or digits on either side is not
// one.
func AddrLiterals(s string) []netip.Addr {
	var out []netip.Addr
	for i := 0; i < len(s); {
		switch {
		case s[i] == '[':
			if j := strings.IndexByte(s[i:], ']'); j > 0 {
				if a, err := netip.ParseAddr(s[i+1 : i+j]); err == nil && a.Is6() {
					out = append(out, a)
					i += j + 1
					continue
				}
			}
			i++
		case isDigit(s[i]) && (i == 0 || !isWord(s[i-1])):
			j := i
			for j < len(s) && (isDigit(s[j]) || s[j] == '.') {
				j++
			}
			lit := strings.TrimRight(s[i:j], ".")
			if a, err := netip.ParseAddr(lit); err == nil && a.Is4() && (j == len(s) || !isWord(s[j])) {
				out = append(out, a)
			}
			i = j
		default:
			i++
		}
	}
	return out
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isWord(c byte) bool { return isDigit(c) || 'a' <= c|0x20 && c|0x20 <= 'z' }

func capText(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "…"
	}
	return string(b)
}
