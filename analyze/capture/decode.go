package capture

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// IP protocol numbers sipalg looks at.
const (
	ProtoICMP   = 1
	ProtoTCP    = 6
	ProtoUDP    = 17
	ProtoICMPv6 = 58
)

// Packet is one IP packet as sipalg sees it: for UDP the (reassembled)
// datagram, for TCP one segment plus the SIP messages it completed. Byte
// slices are valid until the next call to [Scanner.Next].
type Packet struct {
	Frame      int   // the frame that carried (or completed) it
	FirstFrame int   // first fragment's frame; equals Frame when not fragmented
	Fragments  int   // IP fragments it was reassembled from; 1 when not fragmented
	TS         int64 // Unix ns
	Iface      int
	Proto      uint8
	Src, Dst   netip.AddrPort // ports are 0 for protocols without ports
	Payload    []byte         // transport payload
	WireLen    int            // bytes on the wire of the carrying frame
	// TTL is the IPv4 time to live or IPv6 hop limit of the (innermost)
	// IP header, of the last fragment when reassembled: where the capture
	// was taken, in router hops.
	TTL uint8
	// Cut counts the bytes of a UDP payload the capture's snap length cut
	// off: Payload then holds only the start of the datagram's payload.
	// 0 when whole.
	Cut      int
	TCPFlags TCPFlags
	SIP      []StreamMessage // TCP only: SIP messages this segment completed
}

// Key is the packet's flow direction.
func (p *Packet) Key() FlowKey { return FlowKey{Proto: p.Proto, Src: p.Src, Dst: p.Dst} }

// TCPFlags are the TCP control bits sipalg uses.
type TCPFlags uint8

// TCP control bits.
const (
	TCPSyn TCPFlags = 1 << iota
	TCPFin
	TCPRst
	TCPAck
)

// Stats counts what the decoder saw, refused and evicted.
type Stats struct {
	Frames int
	Bytes  int64
	// LinkTypes counts frames per link type; it is complete once the
	// decoder is flushed (the Scanner flushes at the end of the capture).
	LinkTypes             map[layers.LinkType]int
	UnsupportedLink       map[layers.LinkType]int // frames of link types sipalg cannot decode
	NonIP                 int                     // frames without IP (ARP, LLDP...)
	OtherIPProto          int                     // IP packets that are neither UDP nor TCP
	DecodeErrors          int                     // frames a decoder rejected
	DecodePanics          int                     // decoder panics caught (a gopacket bug on hostile input)
	Truncated             int                     // frames shorter than their headers claim (snaplen)
	Fragments             int
	Reassembled           int
	FragmentsRefused      int
	FragmentOverlaps      int
	FragSetsEvicted       int
	FragSetsTimedOut      int
	FragSetsIncomplete    int
	TCPSegments           int
	TCPRetransmissions    int
	TCPOverlaps           int
	TCPOutOfOrder         int
	TCPGaps               int
	TCPBytesDropped       int
	TCPStreamsEvicted     int
	TCPNonSIPStreams      int
	TCPUnframeable        int
	TCPIncompleteMessages int
	SIPTooLarge           int
	LastDecodeError       string
}

// Decoder turns frames into [Packet]s. It is not safe for concurrent use;
// use one per capture file.
type Decoder struct {
	lim   Limits
	Stats Stats

	eth     layers.Ethernet
	dot1q   layers.Dot1Q
	sll     layers.LinuxSLL
	sll2    layers.LinuxSLL2
	loop    layers.Loopback
	ip4     layers.IPv4
	ip6     layers.IPv6
	ip6ext  layers.IPv6ExtensionSkipper
	ip6frag layers.IPv6Fragment
	udp     layers.UDP
	tcp     layers.TCP
	gre     layers.GRE
	gtp     layers.GTPv1U
	pppoe   pppoeLayer
	ppp     pppLayer

	parsers map[gopacket.LayerType]*gopacket.DecodingLayerParser
	decoded []gopacket.LayerType
	defrag  *defragmenter
	tcpTab  *tcpTable
	lastGC  int64
	// noFast turns the fast path off (tests compare the two paths).
	noFast bool
	tunnel *[65536]bool // tunnelPorts
	// Frames of link type lt not yet added to Stats.LinkTypes: a map
	// update per frame cost 4% of analyze (issue 9).
	lt  layers.LinkType
	ltN int
}

// NewDecoder returns a decoder bounded by lim.
func NewDecoder(lim Limits) *Decoder {
	d := &Decoder{
		lim:     lim,
		parsers: make(map[gopacket.LayerType]*gopacket.DecodingLayerParser, 6),
		decoded: make([]gopacket.LayerType, 0, 12),
	}
	d.Stats.LinkTypes = map[layers.LinkType]int{}
	d.Stats.UnsupportedLink = map[layers.LinkType]int{}
	d.defrag = newDefragmenter(&d.lim, &d.Stats)
	d.tcpTab = newTCPTable(&d.lim, &d.Stats)
	d.tunnel = tunnelPorts()
	return d
}

// firstLayer maps a link type to the layer its frames start with.
func firstLayer(lt layers.LinkType, data []byte) gopacket.LayerType {
	switch lt {
	case layers.LinkTypeEthernet:
		return layers.LayerTypeEthernet
	case layers.LinkTypeLinuxSLL:
		return layers.LayerTypeLinuxSLL
	case layers.LinkTypeLinuxSLL2:
		return layers.LayerTypeLinuxSLL2
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		return layers.LayerTypeLoopback
	case layers.LinkTypeIPv4:
		return layers.LayerTypeIPv4
	case layers.LinkTypeIPv6:
		return layers.LayerTypeIPv6
	case layers.LinkTypeRaw, 12, 14: // DLT_RAW is 12 or 14 on some BSDs
		if len(data) > 0 && data[0]>>4 == 6 {
			return layers.LayerTypeIPv6
		}
		return layers.LayerTypeIPv4
	}
	return gopacket.LayerTypeZero
}

// LinkTypeSupported reports whether sipalg decodes frames of lt.
func LinkTypeSupported(lt layers.LinkType) bool {
	return firstLayer(lt, nil) != gopacket.LayerTypeZero
}

func (d *Decoder) parser(first gopacket.LayerType) *gopacket.DecodingLayerParser {
	p := d.parsers[first]
	if p == nil {
		p = gopacket.NewDecodingLayerParser(first)
		// The extension skipper claims the whole IPv6 extension class;
		// the fragment decoder, added after it, takes fragments back.
		for _, l := range []gopacket.DecodingLayer{&d.eth, &d.dot1q, &d.sll, &d.sll2, &d.loop, &d.ip4, &d.ip6, &d.ip6ext, &d.ip6frag, &d.udp, &d.tcp, &d.gre, &d.gtp, &d.pppoe, &d.ppp} {
			p.AddDecodingLayer(l)
		}
		p.IgnoreUnsupported = true
		d.parsers[first] = p
	}
	return p
}

// Decode decodes one record into pkt. It reports false when the frame
// yields no packet (not IP, a fragment still waiting for the rest, an
// error, which Stats counts).
func (d *Decoder) Decode(rec *Record, pkt *Packet) bool {
	d.Stats.Frames++
	d.Stats.Bytes += int64(rec.OrigLen)
	if rec.LinkType != d.lt {
		d.flushLinkTypes()
		d.lt = rec.LinkType
	}
	d.ltN++
	if rec.TS-d.lastGC > int64(10e9) || rec.TS < d.lastGC {
		d.defrag.expire(rec.TS, false)
		d.tcpTab.expire(rec.TS)
		d.lastGC = rec.TS
	}
	if !d.noFast && d.fastFrame(rec, pkt) {
		return true
	}
	first := firstLayer(rec.LinkType, rec.Data)
	if first == gopacket.LayerTypeZero {
		d.Stats.UnsupportedLink[rec.LinkType]++
		return false
	}
	p := d.parser(first)
	d.decoded = d.decoded[:0]
	err := p.DecodeLayers(rec.Data, &d.decoded)
	if p.Truncated {
		d.Stats.Truncated++
	}
	if err != nil {
		d.decodeError(rec, err)
		// Fall through: the layers decoded before the error may suffice.
	}
	*pkt = Packet{Frame: rec.Frame, FirstFrame: rec.Frame, Fragments: 1, TS: rec.TS, Iface: rec.Iface, WireLen: rec.OrigLen}
	// The innermost network and transport layers decide (tunnels such as
	// IP-in-IP, GRE and GTP-U decode into the same layer structs).
	var netLayer, l4 gopacket.LayerType
	fragV6 := false
	for _, t := range d.decoded {
		switch t {
		case layers.LayerTypeIPv4, layers.LayerTypeIPv6:
			netLayer, l4, fragV6 = t, gopacket.LayerTypeZero, false
		case layers.LayerTypeIPv6Fragment:
			fragV6 = true
		case layers.LayerTypeUDP, layers.LayerTypeTCP:
			l4 = t
		}
	}
	if netLayer == gopacket.LayerTypeZero {
		d.Stats.NonIP++
		return false
	}
	var src, dst netip.Addr
	var proto uint8
	var frag bool
	var key fragKey
	var fragOff int
	var more bool
	var ipPayload []byte
	if netLayer == layers.LayerTypeIPv4 {
		src = addrFrom(d.ip4.SrcIP)
		dst = addrFrom(d.ip4.DstIP)
		proto = uint8(d.ip4.Protocol)
		ipPayload = d.ip4.Payload
		pkt.TTL = d.ip4.TTL
		if d.ip4.Flags&layers.IPv4MoreFragments != 0 || d.ip4.FragOffset != 0 {
			frag, more, fragOff = true, d.ip4.Flags&layers.IPv4MoreFragments != 0, int(d.ip4.FragOffset)*8
			key = fragKey{src: src, dst: dst, id: uint32(d.ip4.Id), proto: proto}
		}
	} else {
		src = addrFrom(d.ip6.SrcIP)
		dst = addrFrom(d.ip6.DstIP)
		proto = uint8(d.ip6.NextHeader)
		ipPayload = d.ip6.Payload
		pkt.TTL = d.ip6.HopLimit
		if fragV6 {
			proto = uint8(d.ip6frag.NextHeader)
			ipPayload = d.ip6frag.Payload
			if d.ip6frag.MoreFragments || d.ip6frag.FragmentOffset != 0 {
				frag, more, fragOff = true, d.ip6frag.MoreFragments, int(d.ip6frag.FragmentOffset)*8
				key = fragKey{src: src, dst: dst, id: d.ip6frag.Identification, proto: proto}
			}
		} else if l4 == layers.LayerTypeUDP {
			proto = ProtoUDP
		} else if l4 == layers.LayerTypeTCP {
			proto = ProtoTCP
		}
	}
	pkt.Proto = proto
	if frag {
		data, firstFrame, n, ok := d.defrag.add(key, rec.TS, rec.Frame, fragOff, more, ipPayload)
		if !ok {
			return false
		}
		pkt.FirstFrame, pkt.Fragments = firstFrame, n
		return d.transport(pkt, src, dst, proto, data)
	}
	switch l4 {
	case layers.LayerTypeUDP:
		pkt.Src = netip.AddrPortFrom(src, uint16(d.udp.SrcPort))
		pkt.Dst = netip.AddrPortFrom(dst, uint16(d.udp.DstPort))
		pkt.Payload = d.udp.Payload
		if n := int(d.udp.Length) - 8 - len(pkt.Payload); n > 0 && rec.CapLen < rec.OrigLen {
			pkt.Cut = n // cut by the snap length, not a lying length field
		}
		return true
	case layers.LayerTypeTCP:
		d.tcpSegment(pkt, src, dst)
		return true
	}
	if proto == ProtoUDP || proto == ProtoTCP {
		// Transport header present but undecodable (cut by snaplen).
		return d.transport(pkt, src, dst, proto, ipPayload)
	}
	d.Stats.OtherIPProto++
	pkt.Src = netip.AddrPortFrom(src, 0)
	pkt.Dst = netip.AddrPortFrom(dst, 0)
	pkt.Payload = ipPayload
	return true
}

// transport decodes a UDP or TCP header from raw bytes (a reassembled
// datagram); a decoder panic is caught and counted.
func (d *Decoder) transport(pkt *Packet, src, dst netip.Addr, proto uint8, data []byte) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			d.Stats.DecodePanics++
			d.Stats.LastDecodeError = fmt.Sprintf("frame %d: decoder panic: %v", pkt.Frame, r)
			ok = false
		}
	}()
	switch proto {
	case ProtoUDP:
		if err := d.udp.DecodeFromBytes(data, gopacket.NilDecodeFeedback); err != nil {
			d.Stats.DecodeErrors++
			d.Stats.LastDecodeError = fmt.Sprintf("frame %d: UDP: %v", pkt.Frame, err)
			return false
		}
		pkt.Src = netip.AddrPortFrom(src, uint16(d.udp.SrcPort))
		pkt.Dst = netip.AddrPortFrom(dst, uint16(d.udp.DstPort))
		pkt.Payload = d.udp.Payload
		return true
	case ProtoTCP:
		if err := d.tcp.DecodeFromBytes(data, gopacket.NilDecodeFeedback); err != nil {
			d.Stats.DecodeErrors++
			d.Stats.LastDecodeError = fmt.Sprintf("frame %d: TCP: %v", pkt.Frame, err)
			return false
		}
		d.tcpSegment(pkt, src, dst)
		return true
	}
	d.Stats.OtherIPProto++
	pkt.Src = netip.AddrPortFrom(src, 0)
	pkt.Dst = netip.AddrPortFrom(dst, 0)
	pkt.Payload = data
	return true
}

func (d *Decoder) tcpSegment(pkt *Packet, src, dst netip.Addr) {
	d.Stats.TCPSegments++
	pkt.Src = netip.AddrPortFrom(src, uint16(d.tcp.SrcPort))
	pkt.Dst = netip.AddrPortFrom(dst, uint16(d.tcp.DstPort))
	pkt.Payload = d.tcp.Payload
	var f TCPFlags
	if d.tcp.SYN {
		f |= TCPSyn
	}
	if d.tcp.FIN {
		f |= TCPFin
	}
	if d.tcp.RST {
		f |= TCPRst
	}
	if d.tcp.ACK {
		f |= TCPAck
	}
	pkt.TCPFlags = f
	pkt.SIP = d.tcpTab.segment(pkt.Key(), pkt.TS, pkt.Frame, d.tcp.Seq, d.tcp.SYN, d.tcp.FIN, d.tcp.RST, d.tcp.Payload)
}

func (d *Decoder) decodeError(rec *Record, err error) {
	var u gopacket.UnsupportedLayerType
	if errors.As(err, &u) {
		return
	}
	if msg := err.Error(); len(msg) > 7 && msg[:7] == "panic: " {
		d.Stats.DecodePanics++
	} else {
		d.Stats.DecodeErrors++
	}
	d.Stats.LastDecodeError = fmt.Sprintf("frame %d: %v", rec.Frame, err)
}

// Flush ends the capture: incomplete fragment sets and TCP messages are
// counted.
func (d *Decoder) Flush() {
	d.defrag.flush()
	d.tcpTab.flush()
	d.flushLinkTypes()
}

func (d *Decoder) flushLinkTypes() {
	if d.ltN > 0 {
		d.Stats.LinkTypes[d.lt] += d.ltN
		d.ltN = 0
	}
}

// addrFrom converts a gopacket address once, at ingest; the result does
// not alias the frame buffer.
func addrFrom(ip []byte) netip.Addr {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return netip.Addr{}
	}
	return a.Unmap()
}
