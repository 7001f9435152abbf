package match

import (
	"strings"
	"testing"

	"github.com/sipalg/sipalg/analyze/correlate"
)

// BenchmarkPrepareRelease prepares an INVITE with SDP whose addresses a
// correct ALG rewrote, and releases it as the JSON report's writer does:
// per-message work of a SIP-heavy capture's workers (issue 15).
func BenchmarkPrepareRelease(b *testing.B) {
	lan := strings.ReplaceAll(`INVITE sip:5550000@203.0.113.10 SIP/2.0
Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK11e729b2521d;rport
Max-Forwards: 70
From: <sip:ext1000@203.0.113.10>;tag=65a800e4
To: <sip:5550000@203.0.113.10>
Call-ID: 7555cc3eb30f9a3d254d@pbx.example
CSeq: 1 INVITE
Contact: <sip:ext1000@192.168.1.10:5060>
Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, OPTIONS
Content-Type: application/sdp
Content-Length: 214

v=0
o=ext1000 2060010364 2060010364 IN IP4 192.168.1.10
s=-
c=IN IP4 192.168.1.10
t=0 0
m=audio 4000 RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
a=sendrecv
`, "\n", "\r\n")
	wan := strings.NewReplacer("192.168.1.10:5060", "198.51.100.7:10000", "192.168.1.10", "198.51.100.7",
		"audio 4000", "audio 30000", "Content-Length: 214", "Content-Length: 214").Replace(lan)
	sm := correlate.SIPMessage{
		SIPPair: correlate.SIPPair{Direction: "outbound", State: Matched, LANFrame: 1, WANFrame: 1},
		LAN:     &correlate.SIPRecord{Frame: 1, Data: []byte(lan)},
		WAN:     &correlate.SIPRecord{Frame: 1, Data: []byte(wan)},
	}
	if m := Prepare(sm); m.LANSDP == nil || len(m.Changes) == 0 {
		b.Fatalf("no SDP or no changes: %+v", m)
	}
	b.ReportAllocs()
	for b.Loop() {
		m := Prepare(sm)
		Release(&m)
	}
}
