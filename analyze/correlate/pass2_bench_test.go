package correlate

import (
	"testing"
	"time"

	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/fixtures/benchgen"
)

// BenchmarkSecondPass is the second pass alone (pairing from the first
// pass's event logs) over a generated pair shaped as the large RTP pair
// of docs/performance.md (400 phones, each in a call with two-way G.711
// RTP and RTCP, and registrations), its calls 8 s long instead of 180 s
// (330,000 packets a side): as many streams interleaved, so that each
// packet's stream and mapping are as far from the cache as there. On the
// large pair the second pass is the part of analyze that its one pairing
// goroutine bounds; ns/pkt is its cost per packet of both sides.
func BenchmarkSecondPass(b *testing.B) {
	cfg := benchgen.Default()
	cfg.Call = 8 * time.Second
	lan, wan, c := writeBenchPair(b, cfg)
	dir := b.TempDir() // the event logs'
	ls, lw := capture.Source{Path: lan}, capture.Source{Path: wan}
	opt := Options{Inventory: true, TempDir: dir, SIPSink: func(SIPMessage) {}, StreamSink: func(k, rec []byte) {}}.withDefaults()
	sl, sw := newSampler(), newSampler()
	first, err := readFirst(ls, lw, opt, sl, sw)
	if err != nil {
		b.Fatal(err)
	}
	defer first.closeLogs()
	if first.logs[0] == nil || first.logs[1] == nil {
		b.Fatal("no event logs")
	}
	clk, _ := estimateClock(sl, sw)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p := newPairer(clk, opt)
		p.keys = first.keys
		p.streams.setSpans(first.spans, clk)
		p.runs(first)
		p.logs = first.logs
		if err := p.run(ls, lw, opt.Limits, false); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(2*c.Packets), "ns/pkt")
}
