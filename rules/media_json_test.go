package rules

import (
	"encoding/json"
	"net/netip"
	"testing"
	"time"

	"github.com/sipalg/sipalg/analyze/correlate"
)

// BenchmarkMediaAppendJSON writes a media row of the SIP-heavy bench
// pairs as a streamed report spools it, and as encoding/json did.
func BenchmarkMediaAppendJSON(b *testing.B) {
	dialog := 81
	lan, wan := netip.MustParseAddrPort("192.168.1.10:4000"), netip.MustParseAddrPort("198.51.100.7:30000")
	r := &MediaStream{Dialog: &dialog, SSRC: "0x577545bf", Direction: "outbound", LAN: &lan, WAN: &wan,
		Remote: netip.MustParseAddrPort("203.0.113.20:20000"), FirstSeen: time.Unix(1768471203, 5e8).UTC(),
		LastSeen: time.Unix(1768471204, 5e8).UTC(), Entered: 51, Left: 51,
		RouterDelay: &correlate.StreamDelay{P50: 0.191, P99: 0.236, Max: 0.236}, JitterAddedMS: 0.037}
	b.Run("AppendJSON", func(b *testing.B) {
		var buf []byte
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if buf, err = r.AppendJSON(buf[:0], "    "); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.MarshalIndent(r, "    ", "  "); err != nil {
				b.Fatal(err)
			}
		}
	})
}
