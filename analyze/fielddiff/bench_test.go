package fielddiff

import (
	"strings"
	"testing"

	"github.com/sipalg/sipalg/analyze/sipmsg"
)

// BenchmarkDiffRewritten diffs an INVITE against what a correct ALG makes
// of it (every private address replaced): the common case of a SIP-heavy
// capture (issue 15).
func BenchmarkDiffRewritten(b *testing.B) {
	lan := crlf(baseInvite)
	wan := []byte(strings.ReplaceAll(string(lan), "192.168.1.10", "203.0.113.5"))
	ma, mb := sipmsg.Parse(lan), sipmsg.Parse(wan)
	b.ReportAllocs()
	for b.Loop() {
		if len(Diff(ma, mb)) == 0 {
			b.Fatal("no changes")
		}
	}
}
