package capture

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

func decodeOne(t *testing.T, d *Decoder, lt layers.LinkType, frame int, data []byte) (*Packet, bool) {
	t.Helper()
	var p Packet
	ok := d.Decode(&Record{Frame: frame, TS: int64(frame) * 1e6, LinkType: lt, Data: data, CapLen: len(data), OrigLen: len(data)}, &p)
	return &p, ok
}

func TestLinkTypes(t *testing.T) {
	payload := []byte("OPTIONS sip:x SIP/2.0\r\n\r\n")
	ip := ip4("192.168.1.10", "203.0.113.10", layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: 5060, DstPort: 5062}
	u.SetNetworkLayerForChecksum(ip)
	ipv4 := serialize(t, ip, u, gopacket.Payload(payload))
	ip6h := ip6("fd00::10", "2001:db8::1", layers.IPProtocolUDP)
	u6 := &layers.UDP{SrcPort: 5060, DstPort: 5062}
	u6.SetNetworkLayerForChecksum(ip6h)
	ipv6 := serialize(t, ip6h, u6, gopacket.Payload(payload))

	vlan := serialize(t, eth(layers.EthernetTypeDot1Q), &layers.Dot1Q{VLANIdentifier: 100, Type: layers.EthernetTypeIPv4}, ip, u, gopacket.Payload(payload))
	qinq := serialize(t, eth(layers.EthernetTypeQinQ), &layers.Dot1Q{VLANIdentifier: 10, Type: layers.EthernetTypeDot1Q}, &layers.Dot1Q{VLANIdentifier: 20, Type: layers.EthernetTypeIPv4}, ip, u, gopacket.Payload(payload))
	// SLL: packet type, ARPHRD, address length, 8 address bytes, protocol.
	sll := append([]byte{0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00}, ipv4...)
	sll2 := append([]byte{0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0}, ipv4...)
	nullLE := append([]byte{2, 0, 0, 0}, ipv4...)
	nullV6 := append([]byte{30, 0, 0, 0}, ipv6...) // AF_INET6 on macOS
	loopBE := append([]byte{0, 0, 0, 2}, ipv4...)

	want4 := netip.MustParseAddrPort("192.168.1.10:5060")
	want6 := netip.MustParseAddrPort("[fd00::10]:5060")
	for _, tc := range []struct {
		name string
		lt   layers.LinkType
		data []byte
		src  netip.AddrPort
	}{
		{"ethernet", layers.LinkTypeEthernet, serialize(t, eth(layers.EthernetTypeIPv4), ip, u, gopacket.Payload(payload)), want4},
		{"802.1Q", layers.LinkTypeEthernet, vlan, want4},
		{"QinQ", layers.LinkTypeEthernet, qinq, want4},
		{"SLL", layers.LinkTypeLinuxSLL, sll, want4},
		{"SLL2", layers.LinkTypeLinuxSLL2, sll2, want4},
		{"raw-v4", layers.LinkTypeRaw, ipv4, want4},
		{"raw-v6", layers.LinkTypeRaw, ipv6, want6},
		{"ipv4", layers.LinkTypeIPv4, ipv4, want4},
		{"ipv6", layers.LinkTypeIPv6, ipv6, want6},
		{"null", layers.LinkTypeNull, nullLE, want4},
		{"null-v6", layers.LinkTypeNull, nullV6, want6},
		{"loop", layers.LinkTypeLoop, loopBE, want4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(DefaultLimits())
			p, ok := decodeOne(t, d, tc.lt, 1, tc.data)
			if !ok {
				t.Fatalf("no packet; stats %+v", d.Stats)
			}
			if p.Proto != ProtoUDP || p.Src != tc.src || p.Dst.Port() != 5062 || !bytes.Equal(p.Payload, payload) {
				t.Errorf("got proto %d %v -> %v payload %q", p.Proto, p.Src, p.Dst, p.Payload)
			}
		})
	}
	t.Run("unsupported", func(t *testing.T) {
		d := NewDecoder(DefaultLimits())
		if _, ok := decodeOne(t, d, layers.LinkTypeIEEE802_11, 1, []byte{1, 2, 3}); ok {
			t.Fatal("decoded an unsupported link type")
		}
		if d.Stats.UnsupportedLink[layers.LinkTypeIEEE802_11] != 1 {
			t.Errorf("not counted: %+v", d.Stats.UnsupportedLink)
		}
	})
}

// TestDecoderReuse decodes two different frames through one Decoder: the
// second must not see anything of the first (the reset contract).
func TestDecoderReuse(t *testing.T) {
	d := NewDecoder(DefaultLimits())
	a := udp4Frame(t, "192.168.1.10", 5060, "203.0.113.10", 5060, []byte("first payload, long"))
	b := tcp4Frame(t, "10.1.1.1", 40000, "10.2.2.2", 80, 1, false, false, []byte("GET"))
	p, _ := decodeOne(t, d, layers.LinkTypeEthernet, 1, a)
	if p.Proto != ProtoUDP {
		t.Fatal("first frame")
	}
	p, ok := decodeOne(t, d, layers.LinkTypeEthernet, 2, b)
	if !ok || p.Proto != ProtoTCP || p.Src != netip.MustParseAddrPort("10.1.1.1:40000") || string(p.Payload) != "GET" || p.Frame != 2 || p.Fragments != 1 {
		t.Fatalf("second frame decoded as %+v", p)
	}
}

func fragments4(t *testing.T, id uint16, payload []byte, size int) [][]byte {
	t.Helper()
	// Build the full UDP datagram, then cut the IP payload.
	ip := ip4("192.168.1.10", "203.0.113.10", layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: 5060, DstPort: 5060}
	u.SetNetworkLayerForChecksum(ip)
	full := serialize(t, ip, u, gopacket.Payload(payload))[20:]
	var out [][]byte
	for off := 0; off < len(full); off += size {
		end := min(off+size, len(full))
		h := ip4("192.168.1.10", "203.0.113.10", layers.IPProtocolUDP)
		h.Id = id
		h.FragOffset = uint16(off / 8)
		if end < len(full) {
			h.Flags = layers.IPv4MoreFragments
		}
		out = append(out, serialize(t, eth(layers.EthernetTypeIPv4), h, gopacket.Payload(full[off:end])))
	}
	return out
}

func TestIPv4Reassembly(t *testing.T) {
	payload := []byte("INVITE sip:bob@example.com SIP/2.0\r\n" + strings.Repeat("a=x-padding:0123456789\r\n", 200))
	frags := fragments4(t, 77, payload, 1480)
	if len(frags) < 3 {
		t.Fatalf("%d fragments", len(frags))
	}
	for _, order := range []string{"in-order", "reversed"} {
		t.Run(order, func(t *testing.T) {
			d := NewDecoder(DefaultLimits())
			seq := append([][]byte(nil), frags...)
			if order == "reversed" {
				for i, j := 0, len(seq)-1; i < j; i, j = i+1, j-1 {
					seq[i], seq[j] = seq[j], seq[i]
				}
			}
			var got *Packet
			for i, f := range seq {
				p, ok := decodeOne(t, d, layers.LinkTypeEthernet, i+1, f)
				if ok {
					if i != len(seq)-1 {
						t.Fatalf("datagram complete after fragment %d of %d", i+1, len(seq))
					}
					got = p
				}
			}
			if got == nil {
				t.Fatalf("never reassembled: %+v", d.Stats)
			}
			if !bytes.Equal(got.Payload, payload) || got.Fragments != len(frags) || got.FirstFrame != 1 || got.Frame != len(frags) {
				t.Errorf("reassembled %d bytes from %d fragments, frames %d..%d", len(got.Payload), got.Fragments, got.FirstFrame, got.Frame)
			}
		})
	}
	t.Run("never-completed", func(t *testing.T) {
		lim := DefaultLimits()
		lim.MaxFragSets = 64
		d := NewDecoder(lim)
		for i := 0; i < 10000; i++ {
			f := fragments4(t, uint16(i), payload, 1480)[0]
			if _, ok := decodeOne(t, d, layers.LinkTypeEthernet, i+1, f); ok {
				t.Fatal("completed from one fragment")
			}
		}
		d.Flush()
		if len(d.defrag.sets) > lim.MaxFragSets {
			t.Errorf("%d sets held, limit %d", len(d.defrag.sets), lim.MaxFragSets)
		}
		st := d.Stats
		if st.FragSetsEvicted+st.FragSetsIncomplete+st.FragSetsTimedOut != 10000 {
			t.Errorf("evicted %d + incomplete %d + timed out %d, want 10000", st.FragSetsEvicted, st.FragSetsIncomplete, st.FragSetsTimedOut)
		}
	})
}

func TestIPv6Reassembly(t *testing.T) {
	payload := []byte("SIP/2.0 200 OK\r\n" + strings.Repeat("X-Pad: 0123456789abcdef\r\n", 120))
	ip := ip6("fd00::10", "2001:db8::1", layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: 5060, DstPort: 5060}
	u.SetNetworkLayerForChecksum(ip)
	full := serialize(t, ip, u, gopacket.Payload(payload))[40:]
	d := NewDecoder(DefaultLimits())
	var got *Packet
	frame := 0
	for off := 0; off < len(full); off += 1232 {
		end := min(off+1232, len(full))
		fh := make([]byte, 8)
		fh[0] = byte(layers.IPProtocolUDP)
		fo := uint16(off/8) << 3
		if end < len(full) {
			fo |= 1
		}
		binary.BigEndian.PutUint16(fh[2:], fo)
		binary.BigEndian.PutUint32(fh[4:], 0xabcd)
		h := ip6("fd00::10", "2001:db8::1", layers.IPProtocolIPv6Fragment)
		frame++
		p, ok := decodeOne(t, d, layers.LinkTypeEthernet, frame, serialize(t, eth(layers.EthernetTypeIPv6), h, gopacket.Payload(append(fh, full[off:end]...))))
		if ok {
			got = p
		}
	}
	if got == nil || !bytes.Equal(got.Payload, payload) || got.Fragments != frame {
		t.Fatalf("IPv6 reassembly failed: %+v stats %+v", got, d.Stats)
	}
}

func sipMsg(method string, cseq int, body string) string {
	return fmt.Sprintf("%s sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP 192.168.1.10;branch=z9hG4bK%d\r\nCSeq: %d %s\r\nContent-Length: %d\r\n\r\n%s", method, cseq, cseq, method, len(body), body)
}

type seg struct {
	seq  uint32
	data string
	syn  bool
	fin  bool
}

func runTCP(t *testing.T, segs []seg) []string {
	t.Helper()
	d := NewDecoder(DefaultLimits())
	var msgs []string
	for i, s := range segs {
		f := tcp4Frame(t, "192.168.1.10", 40000, "203.0.113.10", 5060, s.seq, s.syn, s.fin, []byte(s.data))
		p, ok := decodeOne(t, d, layers.LinkTypeEthernet, i+1, f)
		if !ok {
			t.Fatalf("segment %d not decoded", i)
		}
		for _, m := range p.SIP {
			msgs = append(msgs, string(m.Data))
		}
	}
	return msgs
}

func TestTCPFraming(t *testing.T) {
	m1 := sipMsg("INVITE", 1, "v=0\r\no=- 1 1 IN IP4 192.168.1.10\r\n")
	m2 := sipMsg("ACK", 1, "")
	m3 := sipMsg("BYE", 2, "")
	const isn = 1000
	for _, tc := range []struct {
		name string
		segs []seg
		want []string
	}{
		{"several-per-segment", []seg{{isn, "", true, false}, {isn + 1, m1 + m2 + m3, false, false}}, []string{m1, m2, m3}},
		{"one-over-several", []seg{{isn, "", true, false}, {isn + 1, m1[:10], false, false}, {isn + 11, m1[10:50], false, false}, {isn + 51, m1[50:] + m2, false, false}}, []string{m1, m2}},
		{"retransmitted", []seg{{isn, "", true, false}, {isn + 1, m1, false, false}, {isn + 1, m1, false, false}, {isn + 1 + uint32(len(m1)), m2, false, false}}, []string{m1, m2}},
		{"out-of-order", []seg{{isn, "", true, false}, {isn + 1 + 20, m1[20:] + m2, false, false}, {isn + 1, m1[:20], false, false}}, []string{m1, m2}},
		{"overlapping-retransmission", []seg{{isn, "", true, false}, {isn + 1, m1[:30], false, false}, {isn + 11, m1[10:], false, false}}, []string{m1}},
		{"mid-stream-start", []seg{{5000, m2, false, false}, {5000 + uint32(len(m2)), m3, false, true}}, []string{m2, m3}},
		{"crlf-keepalives", []seg{{isn, "", true, false}, {isn + 1, "\r\n\r\n", false, false}, {isn + 5, m2, false, false}}, []string{m2}},
		{"sequence-wrap", []seg{{0xffffffff - 5, m2[:10], false, false}, {4, m2[10:], false, false}}, []string{m2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := runTCP(t, tc.segs)
			if len(got) != len(tc.want) {
				t.Fatalf("%d messages, want %d: %q", len(got), len(tc.want), got)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("message %d:\n got %q\nwant %q", i, got[i], tc.want[i])
				}
			}
		})
	}
	t.Run("not-sip", func(t *testing.T) {
		got := runTCP(t, []seg{{isn, "", true, false}, {isn + 1, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", false, false}})
		if len(got) != 0 {
			t.Fatalf("HTTP framed as SIP: %q", got)
		}
	})
}

func TestTCPBounds(t *testing.T) {
	lim := DefaultLimits()
	lim.MaxStreamBuffer = 4096
	lim.MaxSIPMessage = 2048
	d := NewDecoder(lim)
	// A header section that never ends.
	hdr := "INVITE sip:x SIP/2.0\r\n"
	seq := uint32(1)
	for i := 0; i < 200; i++ {
		data := hdr
		if i > 0 {
			data = "X-Long: " + strings.Repeat("a", 100) + "\r\n"
		}
		f := tcp4Frame(t, "10.0.0.1", 1234, "10.0.0.2", 5060, seq, false, false, []byte(data))
		decodeOne(t, d, layers.LinkTypeEthernet, i+1, f)
		seq += uint32(len(data))
	}
	if d.tcpTab.buffered > lim.MaxStreamBuffer {
		t.Errorf("buffered %d bytes, limit %d", d.tcpTab.buffered, lim.MaxStreamBuffer)
	}
	if d.Stats.SIPTooLarge == 0 && d.Stats.TCPBytesDropped == 0 {
		t.Errorf("nothing counted as dropped: %+v", d.Stats)
	}
	// Many streams.
	lim = DefaultLimits()
	lim.MaxTCPStreams = 100
	d = NewDecoder(lim)
	for i := 0; i < 5000; i++ {
		f := tcp4Frame(t, "10.0.0.1", uint16(1024+i), "10.0.0.2", 5060, 1, false, false, []byte("INVITE sip:x SIP/2.0\r\n"))
		decodeOne(t, d, layers.LinkTypeEthernet, i+1, f)
	}
	if len(d.tcpTab.streams) > lim.MaxTCPStreams || d.Stats.TCPStreamsEvicted == 0 {
		t.Errorf("%d streams held, %d evicted", len(d.tcpTab.streams), d.Stats.TCPStreamsEvicted)
	}
}

func TestTruncatedFrame(t *testing.T) {
	d := NewDecoder(DefaultLimits())
	f := udp4Frame(t, "10.0.0.1", 1, "10.0.0.2", 5060, []byte(strings.Repeat("x", 500)))
	p, ok := decodeOne(t, d, layers.LinkTypeEthernet, 1, f[:100])
	if !ok || p.Proto != ProtoUDP {
		t.Fatalf("snaplen-cut frame not decoded: %+v %+v", p, d.Stats)
	}
	if d.Stats.Truncated != 1 {
		t.Errorf("truncated count %d", d.Stats.Truncated)
	}
}

type ltFrame struct {
	name string
	lt   layers.LinkType
	data []byte
}

// fastPathFrames are frames at and around the edges of the fast path:
// plain UDP over IPv4 as Ethernet (with and without a VLAN tag and
// padding) and raw IP, and the same with each header field the fast path
// checks made wrong.
func fastPathFrames(t testing.TB) []ltFrame {
	payload := []byte("OPTIONS sip:x SIP/2.0\r\n\r\n")
	ip := ip4("192.168.1.10", "203.0.113.10", layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: 5060, DstPort: 5062}
	u.SetNetworkLayerForChecksum(ip)
	ipv4 := serialize(t, ip, u, gopacket.Payload(payload))
	plain := serialize(t, eth(layers.EthernetTypeIPv4), ip, u, gopacket.Payload(payload))
	vlan := serialize(t, eth(layers.EthernetTypeDot1Q), &layers.Dot1Q{VLANIdentifier: 100, Type: layers.EthernetTypeIPv4}, ip, u, gopacket.Payload(payload))
	mod := func(name string, b []byte, f func(b []byte)) ltFrame {
		b = bytes.Clone(b)
		f(b)
		return ltFrame{name, layers.LinkTypeEthernet, b}
	}
	gtp := &layers.UDP{SrcPort: 2152, DstPort: 2152}
	gtp.SetNetworkLayerForChecksum(ip)
	return []ltFrame{
		{"ethernet", layers.LinkTypeEthernet, plain},
		{"vlan", layers.LinkTypeEthernet, vlan},
		{"padded", layers.LinkTypeEthernet, append(bytes.Clone(plain), make([]byte, 20)...)},
		{"raw", layers.LinkTypeRaw, ipv4},
		{"ipv4", layers.LinkTypeIPv4, ipv4},
		{"gtp-port", layers.LinkTypeEthernet, serialize(t, eth(layers.EthernetTypeIPv4), ip, gtp, gopacket.Payload(payload))},
		mod("version-5", plain, func(b []byte) { b[14] = 0x55 }),
		mod("options", plain, func(b []byte) { b[14] = 0x46 }),
		mod("fragment", plain, func(b []byte) { b[20] = 0x20 }),
		mod("frag-offset", plain, func(b []byte) { b[21] = 1 }),
		mod("dont-fragment", plain, func(b []byte) { b[20] = 0x40 }),
		mod("tcp-proto", plain, func(b []byte) { b[23] = 6 }),
		mod("total-too-long", plain, func(b []byte) { binary.BigEndian.PutUint16(b[16:], uint16(len(b))) }),
		mod("total-zero", plain, func(b []byte) { binary.BigEndian.PutUint16(b[16:], 0) }),
		mod("total-short", plain, func(b []byte) { binary.BigEndian.PutUint16(b[16:], 27) }),
		mod("udp-len-long", plain, func(b []byte) { binary.BigEndian.PutUint16(b[38:], 1000) }),
		mod("udp-len-zero", plain, func(b []byte) { binary.BigEndian.PutUint16(b[38:], 0) }),
		mod("udp-len-short", plain, func(b []byte) { binary.BigEndian.PutUint16(b[38:], 9) }),
		mod("udp-len-7", plain, func(b []byte) { binary.BigEndian.PutUint16(b[38:], 7) }),
		mod("llc", plain, func(b []byte) { binary.BigEndian.PutUint16(b[12:], 100) }),
		{"cut", layers.LinkTypeEthernet, plain[:14+20+7]},
	}
}

// TestFastPathMatchesParser: every frame at the edges of the fast path
// decodes exactly as the parser path decodes it.
func TestFastPathMatchesParser(t *testing.T) {
	for _, fr := range fastPathFrames(t) {
		t.Run(fr.name, func(t *testing.T) {
			fast, slow := NewDecoder(DefaultLimits()), NewDecoder(DefaultLimits())
			slow.noFast = true
			p, ok := decodeOne(t, fast, fr.lt, 1, fr.data)
			q, okSlow := decodeOne(t, slow, fr.lt, 1, fr.data)
			if ok != okSlow || ok && !samePacket(p, q) {
				t.Errorf("fast path %v %+v, parser path %v %+v", ok, p, okSlow, q)
			}
			if !reflect.DeepEqual(fast.Stats, slow.Stats) {
				t.Errorf("stats: fast path %+v, parser path %+v", fast.Stats, slow.Stats)
			}
		})
	}
}
