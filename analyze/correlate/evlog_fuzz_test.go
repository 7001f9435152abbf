package correlate

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/sipalg/sipalg/fixtures/testcap"
)

// FuzzEventLog: the second pass gives the same result from the event log
// as from the captures, on fixture pairs with a frame of each side
// replaced by fuzzed bytes (mode 0) or with a TCP connection carrying
// fuzzed bytes, split in two segments, slipped in among the frames
// (mode 1: a flow numbered at its SYN whose first message, if any, comes
// after other flows' packets).
func FuzzEventLog(f *testing.F) {
	type side struct {
		recs []testcap.Rec
	}
	load := func(path string) []testcap.Rec {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Skip(err)
		}
		recs, lt, ok := testcap.Records(b)
		if !ok || lt != layers.LinkTypeEthernet {
			f.Fatalf("%s: not an Ethernet pcap", path)
		}
		return recs
	}
	const dir = fixturesDir + "/lab-tcp-alg"
	lan, wan := load(filepath.Join(dir, "lan.pcap")), load(filepath.Join(dir, "wan.pcap"))
	sip := []byte("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP 192.168.1.10:40000;branch=z9hG4bKx\r\nCall-ID: 1@x\r\nCSeq: 1 OPTIONS\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nContent-Length: 0\r\n\r\n")
	for k := range 8 {
		f.Add(uint8(k), uint8(0), lan[k].Data[:len(lan[k].Data)/2], wan[k].Data)
		f.Add(uint8(k*3), uint8(1), sip, sip)
	}
	tmp := f.TempDir()
	lanPath, wanPath := filepath.Join(tmp, "lan.pcap"), filepath.Join(tmp, "wan.pcap")
	f.Fuzz(func(t *testing.T, idx, mode uint8, l, w []byte) {
		build := func(base []testcap.Rec, data []byte, src, dst string) []byte {
			recs := append([]testcap.Rec(nil), base...)
			k := int(idx) % len(recs)
			switch mode % 2 {
			case 0:
				recs[k].Data = data
			case 1:
				cut := len(data) / 2
				ts := recs[k].TS
				tcp := []testcap.Rec{
					{TS: ts, Data: testcap.TCP(src, dst, 0, testcap.SYN, nil)},
					{TS: ts, Data: testcap.TCP(src, dst, 1, 0, data[:cut])},
				}
				recs = append(recs[:k+1], append(tcp, recs[k+1:]...)...)
				// The rest of the message a few frames later.
				j := min(k+5, len(recs))
				rest := testcap.Rec{TS: recs[j-1].TS, Data: testcap.TCP(src, dst, 1+uint32(cut), 0, data[cut:])}
				recs = append(recs[:j], append([]testcap.Rec{rest}, recs[j:]...)...)
			}
			return testcap.Pcap(layers.LinkTypeEthernet, recs...)
		}
		if err := os.WriteFile(lanPath, build(lan, l, "192.168.1.10:40000", "203.0.113.10:5060"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(wanPath, build(wan, w, "203.0.113.1:40000", "203.0.113.10:5060"), 0o644); err != nil {
			t.Fatal(err)
		}
		run := func(noLog bool) (*Result, error) {
			return Correlate(lanPath, wanPath, Options{KeepSIP: true, Inventory: true, noEventLog: noLog, TempDir: tmp})
		}
		fromLog, errLog := run(false)
		fromCapture, errCapture := run(true)
		if (errLog == nil) != (errCapture == nil) || (errLog != nil && !errors.Is(errLog, ErrNoTwins) && errLog.Error() != errCapture.Error()) {
			t.Fatalf("errors differ: log %v, capture %v", errLog, errCapture)
		}
		if !reflect.DeepEqual(fromLog, fromCapture) {
			t.Fatalf("results differ:\nlog     %+v\ncapture %+v", fromLog, fromCapture)
		}
	})
}
