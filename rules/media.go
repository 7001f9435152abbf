package rules

import (
	"net/netip"

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
