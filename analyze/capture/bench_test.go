package capture

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// benchCapture is a pcap of n G.711 RTP packets (20 ms, 160-byte payload)
// in two directions with a SIP message every 500 packets.
func benchCapture(b *testing.B, n int) []byte {
	rtp := make([]byte, 172)
	rtp[0] = 0x80
	fwd := udp4Frame(b, "192.168.1.10", 4000, "203.0.113.10", 20000, rtp)
	rev := udp4Frame(b, "203.0.113.10", 20000, "192.168.1.10", 4000, rtp)
	sip := udp4Frame(b, "192.168.1.10", 5060, "203.0.113.10", 5060, []byte(sipMsg("OPTIONS", 1, "")))
	recs := make([]testRec, 0, n)
	for i := 0; i < n; i++ {
		f := fwd
		switch {
		case i%500 == 0:
			f = sip
		case i%2 == 1:
			f = rev
		}
		recs = append(recs, testRec{ts: 1_700_000_000e9 + int64(i)*10e6, data: f})
	}
	return pcapFile(binary.LittleEndian, false, layers.LinkTypeEthernet, recs...)
}

// BenchmarkScan measures the read+decode loop: packets/s, MB/s and
// allocations per packet (the hot loop must not allocate).
func BenchmarkScan(b *testing.B) {
	const n = 100_000
	file := benchCapture(b, n)
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := NewReader(bytes.NewReader(file), "bench")
		if err != nil {
			b.Fatal(err)
		}
		sc := NewScanner(r, DefaultLimits())
		got := 0
		for p := sc.Next(); p != nil; p = sc.Next() {
			got++
		}
		if got != n || sc.Err() != nil {
			b.Fatalf("%d packets, err %v", got, sc.Err())
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
}
