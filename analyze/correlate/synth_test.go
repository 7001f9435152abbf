package correlate

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// pcapWriter writes UDP/IPv4 Ethernet frames built with gopacket to a
// nanosecond pcap file, with pcapgo.
type pcapWriter struct {
	f   *os.File
	bw  *bufio.Writer
	pw  *pcapgo.Writer
	buf gopacket.SerializeBuffer
	n   int
}

func newPcapWriter(t testing.TB, path string) *pcapWriter {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	pw := pcapgo.NewWriterNanos(bw)
	if err := pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	return &pcapWriter{f: f, bw: bw, pw: pw, buf: gopacket.NewSerializeBuffer()}
}

func (p *pcapWriter) udp(t testing.TB, ts time.Time, src, dst netip.AddrPort, payload []byte) {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice()}
	udp := &layers.UDP{SrcPort: layers.UDPPort(src.Port()), DstPort: layers.UDPPort(dst.Port())}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(p.buf, opts, eth, ip, udp, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	b := p.buf.Bytes()
	if err := p.pw.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(b), Length: len(b)}, b); err != nil {
		t.Fatal(err)
	}
	p.n++
}

func (p *pcapWriter) close(t testing.TB) {
	t.Helper()
	if err := p.bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := p.f.Close(); err != nil {
		t.Fatal(err)
	}
}

// scenario drives a synthetic router: a phone behind a NAT with a fixed
// mapping, a server outside, a WAN clock offset, a loss rate on packets
// the router drops (seen on the LAN side only, outbound), and SIP
// retransmissions.
type scenario struct {
	offset  time.Duration // WAN clock minus LAN clock
	loss    float64       // fraction of outbound RTP the router drops
	rtp     int           // RTP packets per direction
	retrans int           // copies of the INVITE (1 = no retransmission)
	drift   float64       // WAN clock gain, ppm
	seed    uint64
}

type synthOut struct {
	lan, wan  string
	dropped   int
	sipOnBoth int
	packets   int
}

var (
	phone     = netip.MustParseAddrPort("192.168.1.10:5060")
	phoneRTP  = netip.MustParseAddrPort("192.168.1.10:4000")
	server    = netip.MustParseAddrPort("203.0.113.10:5060")
	serverRTP = netip.MustParseAddrPort("203.0.113.10:20000")
	pubSIP    = netip.MustParseAddrPort("203.0.113.1:40000")
	pubRTP    = netip.MustParseAddrPort("203.0.113.1:40001")
)

func sipMsg(startLine, cseq, callID, via, contact string) []byte {
	return fmt.Appendf(nil, "%s\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK%s;rport\r\nFrom: <sip:alice@example.com>;tag=%s-77\r\nTo: <sip:bob@example.com>\r\nCall-ID: %s\r\nCSeq: %s\r\nContact: <sip:alice@%s>\r\nContent-Length: 0\r\n\r\n",
		startLine, via, cseq[:1]+"abc", strings.Split(via, ":")[0], callID, cseq, contact)
}

func (s scenario) write(t testing.TB, dir string) synthOut {
	t.Helper()
	rng := rand.New(rand.NewPCG(s.seed, 42))
	out := synthOut{lan: filepath.Join(dir, "lan.pcap"), wan: filepath.Join(dir, "wan.pcap")}
	lw, ww := newPcapWriter(t, out.lan), newPcapWriter(t, out.wan)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	latency := func() time.Duration { return 200*time.Microsecond + time.Duration(rng.IntN(600))*time.Microsecond }
	// sipOut: phone → server; the ALG rewrites the private address.
	sipOut := func(at time.Duration, line, cseq string) {
		lan := sipMsg(line, cseq, "c1@192.168.1.10", "192.168.1.10:5060", "192.168.1.10:5060")
		wan := sipMsg(line, cseq, "c1@203.0.113.1", "203.0.113.1:40000", "203.0.113.1:40000")
		lw.udp(t, t0.Add(at), phone, server, lan)
		ww.udp(t, s.wan(t0, at+latency()), pubSIP, server, wan)
		out.sipOnBoth++
	}
	sipIn := func(at time.Duration, line, cseq string) {
		wan := sipMsg(line, cseq, "c1@203.0.113.1", "203.0.113.1:40000", "203.0.113.10:5060")
		lan := sipMsg(line, cseq, "c1@192.168.1.10", "192.168.1.10:5060", "203.0.113.10:5060")
		ww.udp(t, s.wan(t0, at), server, pubSIP, wan)
		lw.udp(t, t0.Add(at+latency()), server, phone, lan)
		out.sipOnBoth++
	}
	at := time.Duration(0)
	sipOut(at, "REGISTER sip:example.com SIP/2.0", "1 REGISTER")
	sipIn(at+30*time.Millisecond, "SIP/2.0 200 OK", "1 REGISTER")
	at = time.Second
	for i := 0; i < max(s.retrans, 1); i++ {
		sipOut(at+time.Duration(i)*500*time.Millisecond, "INVITE sip:bob@example.com SIP/2.0", "2 INVITE")
	}
	at += time.Duration(max(s.retrans, 1)) * 500 * time.Millisecond
	sipIn(at, "SIP/2.0 200 OK", "2 INVITE")
	at += 100 * time.Millisecond
	rtp := make([]byte, 172)
	rtp[0] = 0x80
	for i := 0; i < s.rtp; i++ {
		tt := at + time.Duration(i)*20*time.Millisecond
		// outbound
		rtp[1], rtp[2], rtp[3] = 0, byte(i>>8), byte(i)
		putU32(rtp[4:], uint32(i*160))
		putU32(rtp[8:], 0x11111111)
		lw.udp(t, t0.Add(tt), phoneRTP, serverRTP, rtp)
		if rng.Float64() < s.loss {
			out.dropped++
		} else {
			ww.udp(t, s.wan(t0, tt+latency()), pubRTP, serverRTP, rtp)
		}
		// inbound, 7 ms later
		ti := tt + 7*time.Millisecond
		putU32(rtp[8:], 0x22222222)
		ww.udp(t, s.wan(t0, ti), serverRTP, pubRTP, rtp)
		lw.udp(t, t0.Add(ti+latency()), serverRTP, phoneRTP, rtp)
	}
	at += time.Duration(s.rtp) * 20 * time.Millisecond
	sipOut(at+time.Second, "BYE sip:bob@example.com SIP/2.0", "3 BYE")
	sipIn(at+time.Second+40*time.Millisecond, "SIP/2.0 200 OK", "3 BYE")
	out.packets = lw.n + ww.n
	lw.close(t)
	ww.close(t)
	return out
}

// wan is the WAN capture's clock reading at LAN time t0+at.
func (s scenario) wan(t0 time.Time, at time.Duration) time.Time {
	return t0.Add(at + s.offset + time.Duration(s.drift*1e-6*float64(at)))
}

func putU32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}

func TestSynthetic(t *testing.T) {
	cases := []struct {
		name string
		s    scenario
	}{
		{"offset-3h", scenario{offset: -3 * time.Hour, rtp: 500, retrans: 1, seed: 1}},
		{"offset-0", scenario{offset: 0, rtp: 500, retrans: 1, seed: 2}},
		{"offset+47s", scenario{offset: 47 * time.Second, rtp: 500, retrans: 1, seed: 3}},
		{"loss-1pct", scenario{offset: 47 * time.Second, loss: 0.01, rtp: 3000, retrans: 1, seed: 4}},
		{"drift+30ppm", scenario{offset: 47 * time.Second, drift: 30, rtp: 9000, retrans: 1, seed: 6}},
		{"sip-retransmitted", scenario{offset: -3 * time.Hour, rtp: 200, retrans: 4, seed: 5}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := c.s.write(t, t.TempDir())
			res, err := Correlate(o.lan, o.wan, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if d := res.Clock.OffsetS - c.s.offset.Seconds(); math.Abs(d) > 1e-3 {
				t.Errorf("offset %.6f, want %.6f", res.Clock.OffsetS, c.s.offset.Seconds())
			}
			if c.s.drift != 0 && math.Abs(res.Clock.DriftPPM-c.s.drift) > 2 {
				t.Errorf("drift %.3f ppm, want %.3f", res.Clock.DriftPPM, c.s.drift)
			}
			want := []string{
				fmt.Sprintf("udp rtp %s→%s [%s]", phoneRTP, pubRTP, serverRTP),
				fmt.Sprintf("udp sip %s→%s [%s]", phone, pubSIP, server),
			}
			got := mappingLines(gotLines(res, true))
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("mappings %v, want %v", got, want)
			}
			if res.Dropped != o.dropped || res.Generated != 0 {
				t.Errorf("dropped %d generated %d, want %d and 0", res.Dropped, res.Generated, o.dropped)
			}
			if n := len(res.SIPPairs); n != o.sipOnBoth {
				t.Errorf("%d SIP pairs, want %d", n, o.sipOnBoth)
			}
			for _, p := range res.SIPPairs {
				if p.State != "matched" || p.LANFrame == 0 || p.WANFrame == 0 {
					t.Errorf("SIP pair %+v", p)
				}
			}
			if pp := res.NAT.PortPreservation; pp == nil || *pp {
				t.Errorf("port preservation %s, want false", fmtBool(pp))
			}
			if res.NAT.MappingBehavior != BehaviorUnknown {
				t.Errorf("behaviour %s, want unknown (one remote per endpoint)", res.NAT.MappingBehavior)
			}
			if len(res.NAT.PublicAddresses) != 1 || res.NAT.PublicAddresses[0] != pubSIP.Addr() {
				t.Errorf("public addresses %v", res.NAT.PublicAddresses)
			}
		})
	}
}
