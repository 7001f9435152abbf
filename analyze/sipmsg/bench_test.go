package sipmsg

import (
	"os"
	"strings"
	"testing"
)

func benchParse(b *testing.B, file string) {
	msg, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	if m := Parse(msg); m.HasErrors() {
		b.Fatalf("%s: %v", file, m.Diags)
	}
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		Parse(msg)
	}
}

func BenchmarkParseInvite(b *testing.B) { benchParse(b, "testdata/invite.sip") }
func BenchmarkParse200OK(b *testing.B)  { benchParse(b, "testdata/ok200.sip") }

// BenchmarkViews measures the lazy typed views on top of Parse.
func BenchmarkViews(b *testing.B) {
	msg, err := os.ReadFile("testdata/invite.sip")
	if err != nil {
		b.Fatal(err)
	}
	m := Parse(msg)
	b.ReportAllocs()
	for b.Loop() {
		m.Vias()
		m.Contacts()
		m.From()
		m.SDPBody()
	}
}

// BenchmarkParseViews is what matching asks of each message: a parse, then
// the Via, From, To and Contact views once each.
func BenchmarkParseViews(b *testing.B) {
	msg, err := os.ReadFile("testdata/invite.sip")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		m := Parse(msg)
		m.Vias()
		m.From()
		m.To()
		m.Contacts()
	}
}

// BenchmarkParseInto parses the messages of one phone of the SIP-heavy
// benchmark pairs (fixtures/benchgen: a registration, a call), one after
// another into one Message, as correlate's first pass and matching do:
// the per-message cost of issue 15, without the allocation of a Message.
func BenchmarkParseInto(b *testing.B) {
	var msgs [][]byte
	n := 0
	for _, s := range benchPhone {
		msg := []byte(strings.ReplaceAll(s, "\n", "\r\n"))
		msgs = append(msgs, msg)
		n += len(msg)
	}
	var m Message
	for _, msg := range msgs {
		if ParseInto(&m, msg); m.HasErrors() {
			b.Fatalf("%s: %v", msg, m.Diags)
		}
	}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		for _, msg := range msgs {
			ParseInto(&m, msg)
		}
	}
}

// benchPhone is what one phone of the SIP-heavy benchmark pairs sends and
// receives on the WAN side (the LAN side differs in the addresses).
var benchPhone = []string{`REGISTER sip:203.0.113.10 SIP/2.0
Via: SIP/2.0/UDP 198.51.100.7:10000;branch=z9hG4bK7b8ea43ed83b;rport
Max-Forwards: 70
From: <sip:ext1000@203.0.113.10>;tag=d5db029a
To: <sip:ext1000@203.0.113.10>
Call-ID: 825328eda9bbd5ec@reg
CSeq: 1 REGISTER
Contact: <sip:ext1000@198.51.100.7:10000>;expires=180
Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, OPTIONS
User-Agent: Yealink SIP-T46U 108.86.0.45
Content-Length: 0

`, `SIP/2.0 401 Unauthorized
Via: SIP/2.0/UDP 198.51.100.7:10000;branch=z9hG4bK7b8ea43ed83b;rport
From: <sip:ext1000@203.0.113.10>;tag=d5db029a
To: <sip:ext1000@203.0.113.10>;tag=4391dd7b42
Call-ID: 825328eda9bbd5ec@reg
CSeq: 1 REGISTER
WWW-Authenticate: Digest realm="203.0.113.10", nonce="d66e9a0c948cb878b7e04c8501edd338", algorithm=MD5, qop="auth"
Server: example-pbx/2.4
Content-Length: 0

`, `SIP/2.0 200 OK
Via: SIP/2.0/UDP 198.51.100.7:10000;branch=z9hG4bK55a215dcfb05;rport
From: <sip:ext1000@203.0.113.10>;tag=d5db029a
To: <sip:ext1000@203.0.113.10>;tag=51c74093b8
Call-ID: 825328eda9bbd5ec@reg
CSeq: 2 REGISTER
Contact: <sip:ext1000@198.51.100.7:10000>;expires=180
Server: example-pbx/2.4
Content-Length: 0

`, `INVITE sip:5550000@203.0.113.10 SIP/2.0
Via: SIP/2.0/UDP 198.51.100.7:10000;branch=z9hG4bK11e729b2521d;rport
Max-Forwards: 70
From: <sip:ext1000@203.0.113.10>;tag=65a800e4
To: <sip:5550000@203.0.113.10>
Call-ID: 7555cc3eb30f9a3d254d@pbx.example
CSeq: 1 INVITE
Contact: <sip:ext1000@198.51.100.7:10000>
Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, OPTIONS
Supported: replaces, timer
User-Agent: Yealink SIP-T46U 108.86.0.45
Content-Type: application/sdp
Content-Length: 220

v=0
o=ext1000 2060010364 2060010364 IN IP4 198.51.100.7
s=-
c=IN IP4 198.51.100.7
t=0 0
m=audio 30000 RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
a=sendrecv
`, `SIP/2.0 100 Trying
Via: SIP/2.0/UDP 198.51.100.7:10000;branch=z9hG4bK11e729b2521d;rport
From: <sip:ext1000@203.0.113.10>;tag=65a800e4
To: <sip:5550000@203.0.113.10>
Call-ID: 7555cc3eb30f9a3d254d@pbx.example
CSeq: 1 INVITE
Content-Length: 0

`, `SIP/2.0 180 Ringing
Via: SIP/2.0/UDP 198.51.100.7:10000;branch=z9hG4bK11e729b2521d;rport
From: <sip:ext1000@203.0.113.10>;tag=65a800e4
To: <sip:5550000@203.0.113.10>;tag=20d2f4b0f5
Call-ID: 7555cc3eb30f9a3d254d@pbx.example
CSeq: 1 INVITE
Contact: <sip:5550000@203.0.113.10:5060>
Content-Length: 0

`}

// BenchmarkCSeqCallID is what correlate's twin key and matching's
// transaction keys ask of each parsed message, several times over.
func BenchmarkCSeqCallID(b *testing.B) {
	msg, err := os.ReadFile("testdata/invite.sip")
	if err != nil {
		b.Fatal(err)
	}
	m := Parse(msg)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := m.CSeq(); !ok {
			b.Fatal("no CSeq")
		}
		if _, ok := m.CallID(); !ok {
			b.Fatal("no Call-ID")
		}
	}
}
