package rules

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/sipmsg"
)

// This file judges rewritten addresses against what the NAT really did:
// the public address and port a message left the router from, and the
// mapping each media port got.

// viaSentBy returns the host and port (default filled in) of Via[idx] in p.
func viaSentBy(p *sipmsg.Message, idx int) (string, int, bool) {
	if p == nil {
		return "", 0, false
	}
	vias := p.Vias()
	if idx < 0 || idx >= len(vias) {
		return "", 0, false
	}
	v := vias[idx]
	port := v.PortNum
	if v.Port.IsZero() {
		port = defaultPort(string(p.Bytes(v.Transport)))
	} else if port < 0 {
		port = atoiPort(string(p.Bytes(v.Port)))
	}
	return string(p.Bytes(v.Host)), port, true
}

// uriHostPort returns the host and port (default filled in) of a URI.
func uriHostPort(p *sipmsg.Message, u sipmsg.URI) (string, int) {
	port := u.PortNum
	if u.Port.IsZero() {
		port = 5060
		if strings.EqualFold(string(p.Bytes(u.Scheme)), "sips") {
			port = 5061
		}
	} else if port < 0 {
		port = atoiPort(string(p.Bytes(u.Port)))
	}
	return string(p.Bytes(u.Host)), port
}

// addrHeader returns the idx-th value of an address header (Contact,
// Route, Record-Route; From, To and Refer-To have one value).
func addrHeader(p *sipmsg.Message, name string, idx int) (sipmsg.Addr, bool) {
	if p == nil {
		return sipmsg.Addr{}, false
	}
	var list []sipmsg.Addr
	switch name {
	case "From":
		a, ok := p.From()
		return a, ok && idx <= 0
	case "To":
		a, ok := p.To()
		return a, ok && idx <= 0
	case "Refer-To":
		a, ok := p.ReferTo()
		return a, ok && idx <= 0
	case "Contact":
		list = p.Contacts()
	case "Route":
		list = p.Routes()
	case "Record-Route":
		list = p.RecordRoutes()
	default:
		list = p.Addrs(name)
	}
	if idx < 0 {
		idx = 0
	}
	if idx >= len(list) {
		return sipmsg.Addr{}, false
	}
	return list[idx], true
}

// sameEndpoint reports whether host:port names ap.
func sameEndpoint(host string, port int, ap netip.AddrPort) bool {
	a, ok := parseAddr(host)
	return ok && a == ap.Addr() && port == int(ap.Port())
}

// outboundSource is the public endpoint an outbound message left from.
func outboundSource(m *match.Message) (netip.AddrPort, bool) {
	return m.WANSrc, m.Direction == "outbound" && m.WANSrc.IsValid()
}

// rewrittenSIPAddress judges an outbound change of a Via sent-by or an
// address header's host or port: it returns the address as it left, and
// whether it is the public endpoint the message really left from.
func rewrittenSIPAddress(m *match.Message, ch *fielddiff.Change) (got string, mapped, applicable bool) {
	src, ok := outboundSource(m)
	if !ok || ch.Kind != fielddiff.Changed && ch.Kind != fielddiff.Added {
		return "", false, false
	}
	head, idx, rest := fieldPath(ch.Field)
	var host string
	var port int
	switch {
	case head == "Via" && rest == "sent-by":
		h, p, ok := viaSentBy(m.WAN, idx)
		if !ok {
			return "", false, false
		}
		host, port = h, p
	case rest == "uri.host" || rest == "uri.port":
		a, ok := addrHeader(m.WAN, head, idx)
		if !ok {
			return "", false, false
		}
		host, port := uriHostPort(m.WAN, a.URI)
		got = fmtEndpoint(host, port)
		h, _ := parseAddr(host)
		hostOK, portOK := h == src.Addr(), port == int(src.Port())
		if rest == "uri.port" {
			// The port is judged alone; a wrong host is the host's
			// change to answer for.
			return got, portOK, true
		}
		// A right host with a wrong port the router did not touch: the
		// host change is the whole rewrite, and it is not the mapping.
		portChanged := false
		for _, o := range m.Changes {
			portChanged = portChanged || isPath(o.Field, head, idx, ".uri.port") || idx < 0 && isPath(o.Field, head, -2, ".uri.port")
		}
		return got, hostOK && (portOK || portChanged), true
	default:
		return "", false, false
	}
	return fmtEndpoint(host, port), sameEndpoint(host, port, src), true
}

// isPath reports whether f is head+"["+idx+"]"+rest (head+rest when idx
// is -2), without building it: rewrittenSIPAddress asks once per change
// of the message for each change it judges (issue 15).
func isPath(f, head string, idx int, rest string) bool {
	if !strings.HasPrefix(f, head) {
		return false
	}
	f = f[len(head):]
	if idx != -2 {
		var buf [24]byte
		n := strconv.AppendInt(append(buf[:0], '['), int64(idx), 10)
		n = append(n, ']')
		if !strings.HasPrefix(f, string(n)) {
			return false
		}
		f = f[len(n):]
	}
	return f == rest
}

// mediaMapping returns the public endpoint the NAT gave the LAN endpoint
// lan (an RTP or RTCP source), if any packet of it crossed the router.
func (c *Context) mediaMapping(lan netip.AddrPort, remote netip.Addr) (netip.AddrPort, bool) {
	ms := c.MappingOf("udp", lan)
	for _, mp := range ms {
		for _, r := range mp.Remotes {
			if r.Addr() == remote {
				return mp.WAN, true
			}
		}
	}
	if len(ms) > 0 {
		return ms[0].WAN, true
	}
	return netip.AddrPort{}, false
}

// sdpMediaLAN returns the LAN endpoint media section i of m's LAN SDP
// announces, when the WAN SDP has that section too.
func (c *Context) sdpMediaLAN(m *match.Message, i int) (netip.AddrPort, bool) {
	ws := c.SDP(m, true)
	if ws == nil || i < 0 || i >= len(ws.Media) {
		return netip.AddrPort{}, false
	}
	return mediaEndpoint(c.SDP(m, false), i)
}

// remoteOf is the far end of an outbound message.
func remoteOf(m *match.Message) netip.Addr { return m.WANDst.Addr() }

// mediaIndex parses "m[2]..." from an sdp field's rest.
func mediaIndex(rest string) int {
	if !strings.HasPrefix(rest, "m[") {
		return -1
	}
	j := strings.IndexByte(rest, ']')
	if j < 0 {
		return -1
	}
	n, err := strconv.Atoi(rest[2:j])
	if err != nil {
		return -1
	}
	return n
}
