package analyze

import (
	"bufio"
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/sipalg/sipalg/fixtures/testcap"
)

// bigEnv turns on the hostile tests too heavy for `make test`: `make
// hostile-big` sets it.
const bigEnv = "SIPALG_HOSTILE_BIG"

// maxRSSMillionFlows bounds the peak resident memory of the process that
// analyses the 1M-flow pair (issue 9).
const maxRSSMillionFlows = 256 << 20

// TestHostileMillionFlows analyses a pair in which every packet is a flow
// of its own: a million distinct UDP flows per side, each crossing a NAT
// (raw-IP captures, 56 MB each). Every table must stay bounded and say
// what it left out; the process must stay under 256 MiB. Run it alone
// (make hostile-big) so that the peak RSS is this test's.
func TestHostileMillionFlows(t *testing.T) {
	if os.Getenv(bigEnv) == "" {
		t.Skipf("set %s=1 (make hostile-big) to run", bigEnv)
	}
	const n = 1_000_000
	defer func(d time.Duration) { hostileDeadline = d }(hostileDeadline)
	hostileDeadline = 10 * time.Minute
	dir := t.TempDir()
	lan, wan := filepath.Join(dir, "lan.pcap"), filepath.Join(dir, "wan.pcap")
	writeFlows(t, lan, n, false)
	writeFlows(t, wan, n, true)
	o := analyzeFiles(t, lan, wan)
	if o.err != nil {
		t.Fatal(o.err)
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	rss := ru.Maxrss << 10 // KiB on Linux
	t.Logf("1M flows: peak RSS %d MiB, peak heap %d MiB; %d mappings listed; warnings %q",
		rss>>20, o.peakHeap>>20, len(o.rep.Mappings), o.allWarnings())
	if rss > maxRSSMillionFlows {
		t.Errorf("peak RSS %d MiB, bound %d MiB", rss>>20, maxRSSMillionFlows>>20)
	}
	if o.rep.Inputs["lan"].Packets != n || o.rep.Clock.MatchedPairs != n {
		t.Errorf("%d packets, %d pairs; want %d each", o.rep.Inputs["lan"].Packets, o.rep.Clock.MatchedPairs, n)
	}
	for _, w := range []string{"flow table", "mapping"} {
		if !o.warned(w) {
			t.Errorf("no warning about the %s bound: %s", w, o.allWarnings())
		}
	}
}

// writeFlows writes n packets, each from a LAN endpoint of its own
// (10.a.b.c:port) to one server, 1 ms apart; the WAN side sees each from
// the router's public address with a port of its own.
func writeFlows(t *testing.T, path string, n int, wan bool) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	out := &testcap.File{}
	out.PcapHeader(layers.LinkTypeRaw)
	w.Write(out.Bytes())
	server := netip.MustParseAddrPort("203.0.113.10:9000")
	public := netip.MustParseAddr("198.51.100.7")
	pkt := make([]byte, 20+8+8)
	for i := 0; i < n; i++ {
		src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), uint16(1024+i%60000))
		if wan {
			src = netip.AddrPortFrom(public, uint16(1024+i%64000))
		}
		ip := pkt[:20]
		ip[0], ip[8], ip[9] = 0x45, 64, 17
		binary.BigEndian.PutUint16(ip[2:], uint16(len(pkt)))
		s4, d4 := src.Addr().As4(), server.Addr().As4()
		copy(ip[12:], s4[:])
		copy(ip[16:], d4[:])
		binary.BigEndian.PutUint16(pkt[20:], src.Port())
		binary.BigEndian.PutUint16(pkt[22:], server.Port())
		binary.BigEndian.PutUint16(pkt[24:], 16)
		binary.BigEndian.PutUint64(pkt[28:], uint64(i)*0x9e3779b97f4a7c15) // a payload of its own
		ts := hostileStart + int64(i)*1e6
		if wan {
			ts += 200e3
		}
		out.Reset()
		out.PcapRecord(testcap.Rec{TS: ts, Data: pkt})
		if _, err := w.Write(out.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
