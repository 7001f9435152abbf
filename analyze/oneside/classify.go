package oneside

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/sipmsg"
)

// maxEvidence bounds the NAT evidence listed per host.
const maxEvidence = 4

// Msg returns the parsed message of m on whichever side it was captured,
// with its frame and endpoints.
func Msg(m *match.Message) (p *sipmsg.Message, frame int, src, dst netip.AddrPort) {
	if m.LAN != nil {
		return m.LAN, deref(m.LANFrame), m.LANSrc, m.LANDst
	}
	return m.WAN, deref(m.WANFrame), m.WANSrc, m.WANDst
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// DialogCreators returns, per dialog ID, the address that sent the first
// request of the dialog: the one whose Call-ID it is.
func DialogCreators(msgs []match.Message) map[int]netip.Addr {
	out := map[int]netip.Addr{}
	for i := range msgs {
		m := &msgs[i]
		p, _, src, _ := Msg(m)
		if p == nil || !p.IsRequest {
			continue
		}
		if _, ok := out[m.Dialog]; !ok {
			out[m.Dialog] = src.Addr()
		}
	}
	return out
}

// classify gives every host that exchanged SIP a role and sets the
// direction of every message.
func (r *Result) classify(sc *scanned) {
	msgs := r.Match.Messages
	hosts := map[netip.Addr]*Host{}
	get := func(a netip.Addr) *Host {
		h := hosts[a]
		if h == nil {
			h = &Host{Addr: a, NAT: []string{}, Private: []netip.Addr{}}
			hosts[a] = h
		}
		return h
	}
	said := map[string]bool{}
	evidence := func(h *Host, frame int, format string, args ...any) {
		text := h.Addr.String() + " " + fmt.Sprintf(format, args...)
		if len(h.NAT) < maxEvidence && !said[text] {
			said[text] = true
			h.NAT = append(h.NAT, fmt.Sprintf(format, args...)+fmt.Sprintf(" (frame %d)", frame))
		}
		if h.firstEvidenceFrame == 0 {
			h.firstEvidenceFrame = frame
		}
	}
	creators := DialogCreators(msgs)
	talksPublic := map[netip.Addr]bool{}
	callIDs := map[string]bool{}
	for i := range msgs {
		callIDs[msgs[i].CallIDLAN] = true
		callIDs[msgs[i].CallIDWAN] = true
	}
	for i := range msgs {
		m := &msgs[i]
		p, frame, src, dst := Msg(m)
		if p == nil || p.NotSIP {
			continue
		}
		hs, hd := get(src.Addr()), get(dst.Addr())
		if !IsPrivate(dst.Addr()) {
			talksPublic[src.Addr()] = true
		}
		if p.IsRequest {
			hs.requests++
			if m.Method == "REGISTER" {
				hs.sentRegister, hd.gotRegister = true, true
			}
			if vias := p.Vias(); len(vias) > 0 {
				v := vias[0]
				host, ok := ParseHost(string(p.Bytes(v.Host)))
				port := ViaPort(p, v)
				if ok && host == src.Addr() && port == int(src.Port()) {
					hs.viaMatchesSource++
				}
				if ok && host == src.Addr() && port != int(src.Port()) && m.Proto == "udp" && port > 0 {
					evidence(hs, frame, "its Via says port %d but its SIP leaves from port %d", port, src.Port())
				}
			}
		} else if vias := p.Vias(); len(vias) > 0 {
			// The server's view of the requester, echoed in the top Via.
			v := vias[0]
			if rc, ok := v.Received(p.Raw); ok {
				got, okR := ParseHost(string(p.Bytes(rc.Value)))
				wrote, okW := ParseHost(string(p.Bytes(v.Host)))
				if okR && okW && got != wrote && !IsPrivate(got) {
					evidence(hd, frame, "the server saw it at %s (received= in a response's Via), not at the %s it wrote", got, wrote)
				}
			}
		}
		if IsPrivate(src.Addr()) {
			continue
		}
		// A public sender writing a private address about itself.
		own := OwnAddresses(p, creators[m.Dialog] == src.Addr())
		for _, fa := range own {
			if IsPrivate(fa.Addr) && fa.Addr != src.Addr() {
				if !slices.Contains(hs.Private, fa.Addr) {
					hs.Private = append(hs.Private, fa.Addr)
					evidence(hs, frame, "private %s in its %s", fa.Addr, fa.Field)
				}
			}
		}
		// A Replaces that names a dialog of this capture by its Call-ID
		// with a private address where the Call-ID has the sender's
		// public one: the sender wrote that Call-ID with its private
		// address, and something on the way replaced it (an ALG that
		// missed the %-escaped copy): it is behind NAT at that address.
		if a, id, ok := replacedPrivate(p, src.Addr(), callIDs); ok && !slices.Contains(hs.Private, a) {
			hs.Private = append(hs.Private, a)
			evidence(hs, frame, "private %s in its Refer-To's Replaces, naming the dialog whose Call-ID here is %s", a, id)
		}
	}
	for a, h := range hosts {
		switch {
		case r.Side == LAN && IsPrivate(a) && talksPublic[a]:
			h.Role, h.Why = RoleUA, "a private address exchanging SIP with public hosts"
		case h.sentRegister && !h.gotRegister:
			h.Role, h.Why = RoleUA, "it registers"
		case !IsPrivate(a) && len(h.NAT) > 0 && !h.gotRegister:
			h.Role, h.Why = RoleUA, "its SIP crossed a NAT"
		default:
			h.Role, h.Why = RoleRemote, "no sign of being behind the router"
		}
	}
	// A host that received the requests of a host behind the router and
	// answered them with received=/rport=... is remote; one that got
	// responses with its Via stamped by the server is a client.
	for i := range msgs {
		m := &msgs[i]
		p, _, src, dst := Msg(m)
		if p == nil || p.IsRequest || p.NotSIP {
			continue
		}
		hd := hosts[dst.Addr()]
		if hd.Role == RoleUA || hd.gotRegister || hosts[src.Addr()].Role == RoleUA {
			continue
		}
		if vias := p.Vias(); len(vias) > 0 {
			if _, ok := vias[0].Received(p.Raw); ok {
				hd.Role, hd.Why = RoleUA, "servers stamp its Via with received="
			}
		}
	}
	for _, h := range hosts {
		r.Hosts = append(r.Hosts, h)
	}
	slices.SortFunc(r.Hosts, func(a, b *Host) int { return a.Addr.Compare(b.Addr) })
	for i := range msgs {
		m := &msgs[i]
		_, _, src, dst := Msg(m)
		su, du := r.IsUA(src.Addr()), r.IsUA(dst.Addr())
		switch {
		case su && !du:
			m.Direction = "outbound"
		case du && !su:
			m.Direction = "inbound"
		default:
			m.Direction = "unknown"
		}
	}
	r.sideWarnings()
}

// sideWarnings warns when the capture looks like the other side's.
func (r *Result) sideWarnings() {
	for _, h := range r.Hosts {
		if h.Role != RoleUA {
			continue
		}
		switch {
		case r.Side == WAN && IsPrivate(h.Addr) && len(h.NAT) > 0:
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s sends from its private address and servers saw it elsewhere (%s): this looks like a LAN-side capture; analyse it with --lan", h.Addr, h.NAT[0]))
			return
		case r.Side == LAN && !IsPrivate(h.Addr) && len(h.Private) > 0:
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s sends from a public address while writing the private %s into its messages: this looks like a WAN-side capture; analyse it with --wan", h.Addr, h.Private[0]))
			return
		}
	}
}

// ViaPort is the sent-by port of v, the transport's default when absent,
// -1 when not a number (it may exceed 65535: evidence, not an error).
func ViaPort(p *sipmsg.Message, v sipmsg.Via) int {
	if v.Port.IsZero() {
		if strings.EqualFold(string(p.Bytes(v.Transport)), "tls") {
			return 5061
		}
		return 5060
	}
	if v.PortNum >= 0 {
		return v.PortNum
	}
	n := 0
	for _, c := range p.Bytes(v.Port) {
		if !isDigit(c) || n > 1<<20 {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// replacedPrivate looks in p's Refer-To Replaces (decoded) for a private
// address whose replacement by pub gives a Call-ID of the capture: that
// address and that Call-ID.
func replacedPrivate(p *sipmsg.Message, pub netip.Addr, callIDs map[string]bool) (netip.Addr, string, bool) {
	if !p.IsRequest {
		return netip.Addr{}, "", false
	}
	id, ok := p.ReplacesCallID()
	if !ok || callIDs[id] {
		return netip.Addr{}, "", false
	}
	for _, a := range AddrLiterals(id) {
		if swapped := strings.ReplaceAll(id, a.String(), pub.String()); IsPrivate(a) && callIDs[swapped] {
			return a, swapped, true
		}
	}
	return netip.Addr{}, "", false
}
