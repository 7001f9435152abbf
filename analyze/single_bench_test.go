package analyze

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sipalg/sipalg/fixtures/benchgen"
)

// BenchmarkRunSingleScaling is the one-sided analysis of the WAN side of
// SIP-heavy pairs (100 phones registering every 60 s and placing one-
// second calls one after the other) whose calls double from one
// sub-benchmark to the next: ns/msg, the time per SIP message, stays
// about flat while the analysis is linear in the messages. Lookups that
// scanned the whole capture for each message (issue 15) made it double
// with them.
func BenchmarkRunSingleScaling(b *testing.B) {
	for _, calls := range []int{4, 8, 16, 32} {
		b.Run(fmt.Sprintf("calls=%d", calls), func(b *testing.B) {
			cfg := benchgen.Default()
			cfg.Phones, cfg.Call, cfg.Calls, cfg.CallEvery, cfg.RTCP = 100, time.Second, calls, 90*time.Second, 5*time.Second
			dir := b.TempDir()
			lan, wan := filepath.Join(dir, "lan.pcap"), filepath.Join(dir, "wan.pcap")
			c, err := benchgen.WriteFiles(cfg, lan, wan)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				rep, err := RunSingle(wan, "wan", Options{})
				if err != nil {
					b.Fatal(err)
				}
				if len(rep.Messages) != c.SIPMessages {
					b.Fatalf("%d messages in the report, want %d", len(rep.Messages), c.SIPMessages)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(c.SIPMessages), "ns/msg")
		})
	}
}
