package capture

import (
	"encoding/binary"
	"net/netip"
)

// Unreachable is an ICMP destination-unreachable error and the packet it
// quotes.
type Unreachable struct {
	Frame int
	TS    int64
	// From is the host that sent the error (the router, for a mapping that
	// is gone).
	From netip.Addr
	// Code is the ICMP code (3: port unreachable for ICMPv4, 4 for ICMPv6).
	Code uint8
	// Proto, Src and Dst are the quoted packet's.
	Proto    uint8
	Src, Dst netip.AddrPort
}

// ParseUnreachable reads an ICMPv4 type 3 or ICMPv6 type 1 error and the
// IP and transport header it quotes.
func ParseUnreachable(p *Packet) (Unreachable, bool) {
	b := p.Payload
	u := Unreachable{Frame: p.Frame, TS: p.TS, From: p.Src.Addr()}
	if len(b) < 8 {
		return u, false
	}
	u.Code = b[1]
	q := b[8:]
	var l4 []byte
	switch {
	case p.Proto == ProtoICMP && b[0] == 3:
		if len(q) < 20 || q[0]>>4 != 4 {
			return u, false
		}
		ihl := int(q[0]&0x0f) * 4
		if ihl < 20 || len(q) < ihl+4 {
			return u, false
		}
		u.Proto = q[9]
		src, _ := netip.AddrFromSlice(q[12:16])
		dst, _ := netip.AddrFromSlice(q[16:20])
		u.Src, u.Dst = netip.AddrPortFrom(src, 0), netip.AddrPortFrom(dst, 0)
		l4 = q[ihl:]
	case p.Proto == ProtoICMPv6 && b[0] == 1:
		if len(q) < 44 || q[0]>>4 != 6 {
			return u, false
		}
		u.Proto = q[6]
		src, _ := netip.AddrFromSlice(q[8:24])
		dst, _ := netip.AddrFromSlice(q[24:40])
		u.Src, u.Dst = netip.AddrPortFrom(src.Unmap(), 0), netip.AddrPortFrom(dst.Unmap(), 0)
		l4 = q[40:]
	default:
		return u, false
	}
	if u.Proto == ProtoUDP || u.Proto == ProtoTCP {
		u.Src = netip.AddrPortFrom(u.Src.Addr(), binary.BigEndian.Uint16(l4[0:2]))
		u.Dst = netip.AddrPortFrom(u.Dst.Addr(), binary.BigEndian.Uint16(l4[2:4]))
	}
	return u, true
}
