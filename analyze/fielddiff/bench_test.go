package fielddiff

import (
	"strings"
	"testing"

	"github.com/sipalg/sipalg/analyze/sdp"
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

// BenchmarkDiffSessions is BenchmarkDiffRewritten as matching runs it:
// both SDP bodies parsed already.
func BenchmarkDiffSessions(b *testing.B) {
	lan := crlf(baseInvite)
	wan := []byte(strings.ReplaceAll(string(lan), "192.168.1.10", "203.0.113.5"))
	ma, mb := sipmsg.Parse(lan), sipmsg.Parse(wan)
	sa, sb := sessionOf(b, ma), sessionOf(b, mb)
	b.ReportAllocs()
	for b.Loop() {
		if len(DiffSessions(ma, mb, sa, sb)) == 0 {
			b.Fatal("no changes")
		}
	}
}

// BenchmarkDiffRegister diffs the commonest message of a SIP-heavy
// capture: a REGISTER whose Via and Contact a correct ALG rewrote.
func BenchmarkDiffRegister(b *testing.B) {
	lan := crlf(`REGISTER sip:203.0.113.10 SIP/2.0
Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK7b8ea43ed83b;rport
Max-Forwards: 70
From: <sip:ext1000@203.0.113.10>;tag=d5db029a
To: <sip:ext1000@203.0.113.10>
Call-ID: 825328eda9bbd5ec@reg
CSeq: 1 REGISTER
Contact: <sip:ext1000@192.168.1.10:5060>;expires=180
Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, OPTIONS
User-Agent: Yealink SIP-T46U 108.86.0.45
Content-Length: 0

`)
	wan := []byte(strings.ReplaceAll(string(lan), "192.168.1.10:5060", "198.51.100.7:10000"))
	ma, mb := sipmsg.Parse(lan), sipmsg.Parse(wan)
	b.ReportAllocs()
	for b.Loop() {
		if len(Diff(ma, mb)) != 3 {
			b.Fatal("want 3 changes")
		}
	}
}

func sessionOf(b *testing.B, m *sipmsg.Message) *sdp.Session {
	body, ok := m.SDPBody()
	if !ok {
		b.Fatal("no SDP")
	}
	return sdp.Parse(m.Raw, body)
}
