package capture

import (
	"encoding/binary"
	"net/netip"
	"sync"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// The fast path decodes the frames that make up nearly all of a VoIP
// capture, unfragmented UDP over IPv4 (RTP, RTCP, SIP), without gopacket:
// Ethernet with at most one 802.1Q tag, or raw IPv4, then an IPv4 header
// without options and a UDP header whose lengths agree with the frame.
// Everything else, and every frame whose headers disagree in any way, goes
// through the DecodingLayerParser, so the fast path is an optimisation and
// never a second opinion: it fills the Packet exactly as the parser path
// does (FuzzDecodeFrame checks both on every input).
//
// Why (2026-11, issue 9): on the 7-million-packet benchmark the parser
// path cost about 110 ns a frame of the 150 the whole read+decode loop
// took; analyze reads each capture twice, and the target is 2.5 times the
// bare gopacket loop.

// fastFrame decodes rec into pkt when the frame is plain UDP over IPv4; it
// reports false, touching nothing, when the parser path must decide.
func (d *Decoder) fastFrame(rec *Record, pkt *Packet) bool {
	b := rec.Data
	switch rec.LinkType {
	case layers.LinkTypeEthernet:
		if len(b) < 14+20+8 {
			return false
		}
		et := binary.BigEndian.Uint16(b[12:])
		b = b[14:]
		if et == uint16(layers.EthernetTypeDot1Q) {
			if len(b) < 4+20+8 {
				return false
			}
			et = binary.BigEndian.Uint16(b[2:])
			b = b[4:]
		}
		if et != uint16(layers.EthernetTypeIPv4) {
			return false
		}
	case layers.LinkTypeRaw, layers.LinkTypeIPv4, 12, 14:
	default:
		return false
	}
	// IPv4, version 4, no options, not a fragment, carrying UDP, its total
	// length within the frame (Ethernet padding after it is allowed).
	if len(b) < 20+8 || b[0] != 0x45 || b[9] != ProtoUDP || binary.BigEndian.Uint16(b[6:])&0x3fff != 0 {
		return false
	}
	total := int(binary.BigEndian.Uint16(b[2:]))
	if total < 20+8 || total > len(b) {
		return false
	}
	u := b[20:total]
	ulen := int(binary.BigEndian.Uint16(u[4:]))
	if ulen < 8 || ulen > len(u) {
		return false
	}
	sport, dport := binary.BigEndian.Uint16(u[0:]), binary.BigEndian.Uint16(u[2:])
	if d.tunnel[sport] || d.tunnel[dport] {
		return false // the parser goes on into the tunnel
	}
	*pkt = Packet{
		Frame: rec.Frame, FirstFrame: rec.Frame, Fragments: 1, TS: rec.TS, Iface: rec.Iface, WireLen: rec.OrigLen,
		Proto:   ProtoUDP,
		TTL:     b[8],
		Src:     netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[12:16])), sport),
		Dst:     netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[16:20])), dport),
		Payload: u[8:ulen],
	}
	return true
}

// tunnelPorts marks the UDP ports after which the parser path decodes
// further layers (GTP-U carries IP inside): those frames are not for the
// fast path. Computed once from gopacket's own port table.
var tunnelPorts = sync.OnceValue(func() *[65536]bool {
	var decodes = map[gopacket.LayerType]bool{}
	d := &Decoder{}
	for _, l := range []gopacket.DecodingLayer{&d.eth, &d.dot1q, &d.sll, &d.sll2, &d.loop, &d.ip4, &d.ip6, &d.ip6ext, &d.ip6frag, &d.udp, &d.tcp, &d.gre, &d.gtp, &d.pppoe, &d.ppp} {
		for _, t := range l.CanDecode().LayerTypes() {
			decodes[t] = true
		}
	}
	var t [65536]bool
	for p := range t {
		lt := layers.UDPPort(p).LayerType()
		t[p] = decodes[lt] || lt == layers.LayerTypeAGUEVar0 || lt == layers.LayerTypeAGUEVar1
	}
	return &t
})
