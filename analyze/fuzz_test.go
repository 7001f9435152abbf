package analyze

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/fixtures/testcap"
)

// fuzzDeadline is how long one analysis of a fuzzed pair (a few dozen
// packets) may take before it counts as a hang.
const fuzzDeadline = 10 * time.Second

// fuzzFrame is one frame of a fixture side, with its UDP endpoints and
// payload when it carries UDP.
type fuzzFrame struct {
	rec      testcap.Rec
	src, dst string
	payload  []byte // nil when not UDP
}

// loadFuzzSide reads every frame of a fixture capture.
func loadFuzzSide(tb testing.TB, path string) []fuzzFrame {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Skip(err)
	}
	recs, lt, ok := testcap.Records(b)
	if !ok || lt != layers.LinkTypeEthernet {
		tb.Fatalf("%s: not an Ethernet pcap", path)
	}
	d := capture.NewDecoder(capture.DefaultLimits())
	out := make([]fuzzFrame, len(recs))
	for i, r := range recs {
		out[i].rec = r
		var p capture.Packet
		rec := capture.Record{Frame: i + 1, TS: r.TS, CapLen: len(r.Data), OrigLen: len(r.Data), LinkType: lt, Data: r.Data}
		if d.Decode(&rec, &p) && p.Proto == capture.ProtoUDP && p.Fragments == 1 {
			out[i].src, out[i].dst = p.Src.String(), p.Dst.String()
			out[i].payload = append([]byte(nil), p.Payload...)
		}
	}
	return out
}

func udpIndexes(fs []fuzzFrame) []int {
	var idx []int
	for i, f := range fs {
		if f.payload != nil {
			idx = append(idx, i)
		}
	}
	return idx
}

// FuzzAnalyzePair runs the whole pipeline on a pair of captures made from
// a fixture pair with fuzzed SIP: the payloads of the idx-th UDP packet of
// each side are replaced by lan and wan (mode 0), its whole frames are
// (mode 1), or lan and wan are sent over a TCP connection on each side
// after the fixture's packets, split into two segments (mode 2).
// Invariant: an error (no twins, or an input error naming a file) or a
// report that marshals to JSON; never a panic.
func FuzzAnalyzePair(f *testing.F) {
	const dir = "../fixtures/lab-register-alg"
	lanF := loadFuzzSide(f, filepath.Join(dir, "lan.pcap"))
	wanF := loadFuzzSide(f, filepath.Join(dir, "wan.pcap"))
	li, wi := udpIndexes(lanF), udpIndexes(wanF)
	for k := 0; k < min(len(li), len(wi)); k++ {
		f.Add(uint8(k), uint8(0), lanF[li[k]].payload, wanF[wi[k]].payload)
		f.Add(uint8(k), uint8(2), lanF[li[k]].payload, wanF[wi[k]].payload)
	}
	// SIP of other cases, put in this case's packets.
	for _, c := range []string{"st530", "semicolon", "lab-transfer-alg"} {
		l := loadFuzzSide(f, filepath.Join("../fixtures", c, "lan.pcap"))
		w := loadFuzzSide(f, filepath.Join("../fixtures", c, "wan.pcap"))
		cl, cw := udpIndexes(l), udpIndexes(w)
		for k := 0; k < min(len(cl), len(cw), 6); k++ {
			f.Add(uint8(k), uint8(0), l[cl[k]].payload, w[cw[k]].payload)
		}
	}
	f.Add(uint8(0), uint8(1), lanF[0].rec.Data, wanF[0].rec.Data)
	tmp := f.TempDir()
	lanPath, wanPath := filepath.Join(tmp, "lan.pcap"), filepath.Join(tmp, "wan.pcap")
	f.Fuzz(func(t *testing.T, idx, mode uint8, lan, wan []byte) {
		build := func(fs []fuzzFrame, udp []int, data []byte, tcpSrc string) []byte {
			recs := make([]testcap.Rec, len(fs))
			for i := range fs {
				recs[i] = fs[i].rec
			}
			switch mode % 3 {
			case 0:
				if len(udp) > 0 {
					k := udp[int(idx)%len(udp)]
					recs[k].Data = testcap.UDP(fs[k].src, fs[k].dst, data)
				}
			case 1:
				recs[int(idx)%len(recs)].Data = data
			case 2:
				ts := recs[len(recs)-1].TS + 1e6
				cut := 0
				if len(data) > 0 {
					cut = int(idx) % len(data)
				}
				recs = append(recs,
					testcap.Rec{TS: ts, Data: testcap.TCP(tcpSrc, "203.0.113.10:5060", 0, testcap.SYN, nil)},
					testcap.Rec{TS: ts + 1e3, Data: testcap.TCP(tcpSrc, "203.0.113.10:5060", 1, 0, data[:cut])},
					testcap.Rec{TS: ts + 2e3, Data: testcap.TCP(tcpSrc, "203.0.113.10:5060", 1+uint32(cut), 0, data[cut:])})
			}
			return testcap.Pcap(layers.LinkTypeEthernet, recs...)
		}
		if err := os.WriteFile(lanPath, build(lanF, li, lan, "192.168.1.10:40000"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(wanPath, build(wanF, wi, wan, "198.51.100.1:40000"), 0o644); err != nil {
			t.Fatal(err)
		}
		var rep *Report
		var err error
		finished := make(chan struct{})
		go func() {
			defer close(finished)
			rep, err = Run(lanPath, wanPath, Options{Version: "fuzz"})
		}()
		select {
		case <-finished:
		case <-time.After(fuzzDeadline):
			buf := make([]byte, 1<<20)
			t.Fatalf("analysis still running after %v:\n%s", fuzzDeadline, buf[:runtime.Stack(buf, true)])
		}
		if err != nil {
			var ie *capture.InputError
			if !errors.Is(err, correlate.ErrNoTwins) && !errors.As(err, &ie) {
				t.Fatalf("error neither no-twins nor an input error: %v", err)
			}
			return
		}
		if _, err := json.Marshal(rep); err != nil {
			t.Fatalf("report does not marshal: %v", err)
		}
	})
}
