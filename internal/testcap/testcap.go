// Package testcap builds frames and capture files for tests: hostile
// captures are generated, not committed, and these are their parts.
// Frames are made with gopacket's serializers; files are written by hand
// so that tests can get every byte wrong on purpose.
package testcap

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Rec is one record of a capture file.
type Rec struct {
	TS    int64 // Unix ns
	Data  []byte
	Orig  int // original length; len(Data) when 0
	Iface int // pcapng interface
}

var (
	macA = net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
	macB = net.HardwareAddr{0x02, 0, 0, 0, 0, 2}
)

func serialize(ls ...gopacket.SerializableLayer) []byte {
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		panic("testcap: " + err.Error()) // only for impossible layer combinations: a bug in the test
	}
	return bytes.Clone(buf.Bytes())
}

func ipLayer(src, dst netip.Addr, proto layers.IPProtocol) (gopacket.SerializableLayer, gopacket.NetworkLayer, layers.EthernetType) {
	if src.Is4() {
		s, d := src.As4(), dst.As4()
		ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto, SrcIP: net.IP(s[:]), DstIP: net.IP(d[:])}
		return ip, ip, layers.EthernetTypeIPv4
	}
	s, d := src.As16(), dst.As16()
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: proto, SrcIP: net.IP(s[:]), DstIP: net.IP(d[:])}
	return ip, ip, layers.EthernetTypeIPv6
}

// UDP is an Ethernet frame carrying payload from src to dst over UDP
// (IPv4 or IPv6 after the addresses).
func UDP(src, dst string, payload []byte) []byte {
	s, d := netip.MustParseAddrPort(src), netip.MustParseAddrPort(dst)
	ip, nl, et := ipLayer(s.Addr(), d.Addr(), layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: layers.UDPPort(s.Port()), DstPort: layers.UDPPort(d.Port())}
	if err := u.SetNetworkLayerForChecksum(nl); err != nil {
		panic("testcap: " + err.Error())
	}
	return serialize(&layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: et}, ip, u, gopacket.Payload(payload))
}

// TCPFlags select the TCP control bits of [TCP].
type TCPFlags uint8

// TCP control bits.
const (
	SYN TCPFlags = 1 << iota
	FIN
	RST
)

// TCP is an Ethernet frame carrying one TCP segment.
func TCP(src, dst string, seq uint32, flags TCPFlags, payload []byte) []byte {
	s, d := netip.MustParseAddrPort(src), netip.MustParseAddrPort(dst)
	ip, nl, et := ipLayer(s.Addr(), d.Addr(), layers.IPProtocolTCP)
	tc := &layers.TCP{SrcPort: layers.TCPPort(s.Port()), DstPort: layers.TCPPort(d.Port()), Seq: seq,
		SYN: flags&SYN != 0, FIN: flags&FIN != 0, RST: flags&RST != 0, ACK: flags&SYN == 0, Window: 65535}
	if err := tc.SetNetworkLayerForChecksum(nl); err != nil {
		panic("testcap: " + err.Error())
	}
	return serialize(&layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: et}, ip, tc, gopacket.Payload(payload))
}

// Fragment4 is an Ethernet frame with one IPv4 fragment: data at byte
// offset off (a multiple of 8 except for lies) of datagram id.
func Fragment4(src, dst string, id uint16, off int, more bool, proto layers.IPProtocol, data []byte) []byte {
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: id, Protocol: proto, FragOffset: uint16(off / 8), SrcIP: net.IP(s[:]), DstIP: net.IP(d[:])}
	if more {
		ip.Flags = layers.IPv4MoreFragments
	}
	return serialize(&layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeIPv4}, ip, gopacket.Payload(data))
}

// Fragment6 is an Ethernet frame with one IPv6 fragment.
func Fragment6(src, dst string, id uint32, off int, more bool, proto layers.IPProtocol, data []byte) []byte {
	s, d := netip.MustParseAddr(src).As16(), netip.MustParseAddr(dst).As16()
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolIPv6Fragment, SrcIP: net.IP(s[:]), DstIP: net.IP(d[:])}
	fh := make([]byte, 8)
	fh[0] = byte(proto)
	v := uint16(off/8) << 3
	if more {
		v |= 1
	}
	binary.BigEndian.PutUint16(fh[2:], v)
	binary.BigEndian.PutUint32(fh[4:], id)
	return serialize(&layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeIPv6}, ip, gopacket.Payload(append(fh, data...)))
}

// ByteOrder is binary.LittleEndian or binary.BigEndian.
type ByteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// File is a capture file under construction.
type File struct {
	Order   ByteOrder // default little-endian
	Nanos   bool      // pcap: nanosecond timestamps
	Snaplen uint32    // default 65535
	bytes.Buffer
}

// Pcap writes a classic pcap file of link type lt.
func Pcap(lt layers.LinkType, recs ...Rec) []byte {
	f := &File{}
	f.PcapHeader(lt)
	for _, r := range recs {
		f.PcapRecord(r)
	}
	return f.Bytes()
}

func (f *File) order() ByteOrder {
	if f.Order == nil {
		return binary.LittleEndian
	}
	return f.Order
}

// PcapHeader writes the 24-byte pcap file header.
func (f *File) PcapHeader(lt layers.LinkType) {
	o := f.order()
	h := make([]byte, 24)
	magic := uint32(0xa1b2c3d4)
	if f.Nanos {
		magic = 0xa1b23c4d
	}
	snap := f.Snaplen
	if snap == 0 {
		snap = 65535
	}
	o.PutUint32(h[0:], magic)
	o.PutUint16(h[4:], 2)
	o.PutUint16(h[6:], 4)
	o.PutUint32(h[16:], snap)
	o.PutUint32(h[20:], uint32(lt))
	f.Write(h)
}

// PcapRecord writes one pcap record.
func (f *File) PcapRecord(r Rec) {
	o := f.order()
	h := make([]byte, 16)
	frac := r.TS % 1e9 / 1e3
	if f.Nanos {
		frac = r.TS % 1e9
	}
	orig := r.Orig
	if orig == 0 {
		orig = len(r.Data)
	}
	o.PutUint32(h[0:], uint32(r.TS/1e9))
	o.PutUint32(h[4:], uint32(frac))
	o.PutUint32(h[8:], uint32(len(r.Data)))
	o.PutUint32(h[12:], uint32(orig))
	f.Write(h)
	f.Write(r.Data)
}

// Block writes one pcapng block with its two length fields; body is padded
// to 4 bytes.
func (f *File) Block(typ uint32, body []byte) {
	o := f.order()
	pad := (4 - len(body)%4) % 4
	n := uint32(12 + len(body) + pad)
	b := o.AppendUint32(nil, typ)
	b = o.AppendUint32(b, n)
	b = append(b, body...)
	b = append(b, make([]byte, pad)...)
	b = o.AppendUint32(b, n)
	f.Write(b)
}

// SHB writes a pcapng Section Header Block.
func (f *File) SHB() {
	o := f.order()
	b := o.AppendUint32(nil, 0x1a2b3c4d)
	b = o.AppendUint16(b, 1)
	b = o.AppendUint16(b, 0)
	b = o.AppendUint64(b, ^uint64(0))
	f.Block(0x0a0d0d0a, b)
}

// IDB writes an Interface Description Block with if_name when name is set
// (microsecond timestamps).
func (f *File) IDB(lt layers.LinkType, name string) {
	o := f.order()
	b := o.AppendUint16(nil, uint16(lt))
	b = o.AppendUint16(b, 0)
	b = o.AppendUint32(b, 65535)
	if name != "" {
		b = o.AppendUint16(b, 2)
		b = o.AppendUint16(b, uint16(len(name)))
		b = append(b, name...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		b = o.AppendUint32(b, 0)
	}
	f.Block(1, b)
}

// EPB writes an Enhanced Packet Block (microsecond timestamps).
func (f *File) EPB(r Rec) {
	o := f.order()
	us := uint64(r.TS / 1e3)
	orig := r.Orig
	if orig == 0 {
		orig = len(r.Data)
	}
	b := o.AppendUint32(nil, uint32(r.Iface))
	b = o.AppendUint32(b, uint32(us>>32))
	b = o.AppendUint32(b, uint32(us))
	b = o.AppendUint32(b, uint32(len(r.Data)))
	b = o.AppendUint32(b, uint32(orig))
	f.Block(6, append(b, r.Data...))
}

// PcapNG writes a one-section pcapng file with one interface of link type lt.
func PcapNG(order ByteOrder, lt layers.LinkType, recs ...Rec) []byte {
	f := &File{Order: order}
	f.SHB()
	f.IDB(lt, "eth0")
	for _, r := range recs {
		f.EPB(r)
	}
	return f.Bytes()
}

// Records reads the records of a little- or big-endian classic pcap
// file made by [Pcap] or any tool (microsecond or nanosecond), for tests
// that rebuild a fixture in another shape. It returns the link type.
func Records(file []byte) ([]Rec, layers.LinkType, bool) {
	if len(file) < 24 {
		return nil, 0, false
	}
	var o binary.ByteOrder = binary.LittleEndian
	magic := o.Uint32(file)
	if magic != 0xa1b2c3d4 && magic != 0xa1b23c4d {
		o = binary.BigEndian
		magic = o.Uint32(file)
	}
	nanos := magic == 0xa1b23c4d
	if magic != 0xa1b2c3d4 && !nanos {
		return nil, 0, false
	}
	lt := layers.LinkType(o.Uint32(file[20:]) & 0xffff)
	var recs []Rec
	for b := file[24:]; len(b) >= 16; {
		n := int(o.Uint32(b[8:]))
		if 16+n > len(b) {
			return recs, lt, false
		}
		ts := int64(o.Uint32(b[0:]))*1e9 + int64(o.Uint32(b[4:]))*1e3
		if nanos {
			ts = int64(o.Uint32(b[0:]))*1e9 + int64(o.Uint32(b[4:]))
		}
		recs = append(recs, Rec{TS: ts, Data: b[16 : 16+n], Orig: int(o.Uint32(b[12:]))})
		b = b[16+n:]
	}
	return recs, lt, true
}
