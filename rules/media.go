package rules

import (
	"net/netip"

	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/sdp"
)

// This file reads media sections for the SDP rules.

// mediaConn returns the address media section i of s is sent to: its own
// c= or the session's.
func mediaConn(s *sdp.Session, i int) (netip.Addr, bool) {
	if s == nil || i < 0 || i >= len(s.Media) {
		return netip.Addr{}, false
	}
	md := &s.Media[i]
	if len(md.Conns) > 0 {
		return parseAddr(string(s.Bytes(md.Conns[0].Addr)))
	}
	if s.HasConn {
		return parseAddr(string(s.Bytes(s.Conn.Addr)))
	}
	return netip.Addr{}, false
}

// mediaEndpoint returns the address and port media section i announces.
func mediaEndpoint(s *sdp.Session, i int) (netip.AddrPort, bool) {
	a, ok := mediaConn(s, i)
	if !ok || s.Media[i].PortNum < 0 {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(a, uint16(s.Media[i].PortNum)), true
}

// eachOutbound calls f for every outbound message that crossed the
// router, once per transaction message (retransmissions skipped).
func (c *Context) eachOutbound(f func(m *match.Message)) {
	for i := range c.Messages {
		m := &c.Messages[i]
		if m.State == match.Matched && m.Direction == "outbound" && !m.Retransmission {
			f(m)
		}
	}
}

// eachOutboundSDP calls f for every outbound message that crossed the
// router with an SDP body of the same shape on both sides.
func (c *Context) eachOutboundSDP(f func(m *match.Message, lan, wan *sdp.Session)) {
	c.eachOutbound(func(m *match.Message) {
		ls, ws := c.SDP(m, false), c.SDP(m, true)
		if ls != nil && ws != nil && len(ls.Media) == len(ws.Media) {
			f(m, ls, ws)
		}
	})
}
