package capture

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Test helpers that synthesise frames and capture files.

var (
	macA = net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
	macB = net.HardwareAddr{0x02, 0, 0, 0, 0, 2}
)

func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return bytes.Clone(buf.Bytes())
}

func ip4(src, dst string, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto, SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
}

func ip6(src, dst string, next layers.IPProtocol) *layers.IPv6 {
	return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: next, SrcIP: net.ParseIP(src), DstIP: net.ParseIP(dst)}
}

func eth(typ layers.EthernetType) *layers.Ethernet {
	return &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: typ}
}

// udp4Frame is an Ethernet/IPv4/UDP frame.
func udp4Frame(t testing.TB, src string, sport uint16, dst string, dport uint16, payload []byte) []byte {
	ip := ip4(src, dst, layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	u.SetNetworkLayerForChecksum(ip)
	return serialize(t, eth(layers.EthernetTypeIPv4), ip, u, gopacket.Payload(payload))
}

// tcp4Frame is an Ethernet/IPv4/TCP frame.
func tcp4Frame(t testing.TB, src string, sport uint16, dst string, dport uint16, seq uint32, syn, fin bool, payload []byte) []byte {
	ip := ip4(src, dst, layers.IPProtocolTCP)
	tc := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: seq, SYN: syn, FIN: fin, ACK: !syn, Window: 65535}
	tc.SetNetworkLayerForChecksum(ip)
	return serialize(t, eth(layers.EthernetTypeIPv4), ip, tc, gopacket.Payload(payload))
}

type testRec struct {
	ts    int64 // ns
	data  []byte
	orig  int
	iface int
}

// pcapFile writes a classic pcap file.
func pcapFile(order binary.ByteOrder, nanos bool, lt layers.LinkType, recs ...testRec) []byte {
	var b bytes.Buffer
	h := make([]byte, 24)
	magic := uint32(pcapMagicMicro)
	if nanos {
		magic = pcapMagicNano
	}
	order.PutUint32(h[0:], magic)
	order.PutUint16(h[4:], 2)
	order.PutUint16(h[6:], 4)
	order.PutUint32(h[16:], 65535)
	order.PutUint32(h[20:], uint32(lt))
	b.Write(h)
	for _, r := range recs {
		rh := make([]byte, 16)
		order.PutUint32(rh[0:], uint32(r.ts/1e9))
		if nanos {
			order.PutUint32(rh[4:], uint32(r.ts%1e9))
		} else {
			order.PutUint32(rh[4:], uint32(r.ts%1e9/1e3))
		}
		order.PutUint32(rh[8:], uint32(len(r.data)))
		orig := r.orig
		if orig == 0 {
			orig = len(r.data)
		}
		order.PutUint32(rh[12:], uint32(orig))
		b.Write(rh)
		b.Write(r.data)
	}
	return b.Bytes()
}

// ngBuilder writes pcapng files block by block.
type ngBuilder struct {
	order binary.ByteOrder
	b     bytes.Buffer
}

func (n *ngBuilder) block(typ uint32, body []byte) {
	pad := (4 - len(body)%4) % 4
	total := uint32(12 + len(body) + pad)
	w := make([]byte, 8)
	n.order.PutUint32(w[0:], typ)
	n.order.PutUint32(w[4:], total)
	n.b.Write(w)
	n.b.Write(body)
	n.b.Write(make([]byte, pad))
	tl := make([]byte, 4)
	n.order.PutUint32(tl, total)
	n.b.Write(tl)
}

func (n *ngBuilder) shb() {
	body := make([]byte, 16)
	n.order.PutUint32(body[0:], pcapngByteOrder)
	n.order.PutUint16(body[4:], 1)
	n.order.PutUint16(body[6:], 0)
	binary.LittleEndian.PutUint64(body[8:], ^uint64(0))
	n.block(pcapngBlockSHB, body)
}

func (n *ngBuilder) option(code uint16, v []byte) []byte {
	o := make([]byte, 4, 4+len(v)+3)
	n.order.PutUint16(o[0:], code)
	n.order.PutUint16(o[2:], uint16(len(v)))
	o = append(o, v...)
	for len(o)%4 != 0 {
		o = append(o, 0)
	}
	return o
}

func (n *ngBuilder) idb(lt layers.LinkType, name string, tsresol byte) {
	body := make([]byte, 8)
	n.order.PutUint16(body[0:], uint16(lt))
	n.order.PutUint32(body[4:], 262144)
	if name != "" {
		body = append(body, n.option(ngOptIfName, []byte(name))...)
	}
	if tsresol != 0 {
		body = append(body, n.option(ngOptIfTsresol, []byte{tsresol})...)
	}
	if len(body) > 8 {
		body = append(body, 0, 0, 0, 0) // opt_endofopt
	}
	n.block(ngBlockIDB, body)
}

func (n *ngBuilder) epb(iface int, units uint64, data []byte) {
	body := make([]byte, 20, 20+len(data))
	n.order.PutUint32(body[0:], uint32(iface))
	n.order.PutUint32(body[4:], uint32(units>>32))
	n.order.PutUint32(body[8:], uint32(units))
	n.order.PutUint32(body[12:], uint32(len(data)))
	n.order.PutUint32(body[16:], uint32(len(data)))
	body = append(body, data...)
	n.block(ngBlockEPB, body)
}
