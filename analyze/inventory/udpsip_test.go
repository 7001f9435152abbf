package inventory

import (
	"testing"

	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/sipmsg"
)

// TestUDPSIPBinary: UDPSIP does not ask sipmsg.IsSIP about a payload whose
// first byte has its top bit set; IsSIP must say no to every such payload,
// whatever follows, and UDPSIP must agree with it on the rest.
func TestUDPSIPBinary(t *testing.T) {
	msgs := []string{
		"INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK1\r\n\r\n",
		"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK1\r\n\r\n",
		"\r\nOPTIONS sip:example.com SIP/2.0\r\n\r\n",
	}
	for _, m := range msgs {
		p := &capture.Packet{Proto: capture.ProtoUDP, Payload: []byte(m)}
		if got, want := UDPSIP(p), sipmsg.IsSIP(p.Payload); got != want || !got {
			t.Errorf("UDPSIP(%q) = %v, IsSIP %v; want both true", m, got, want)
		}
		p.Proto = capture.ProtoTCP
		if UDPSIP(p) {
			t.Errorf("UDPSIP(%q) over TCP = true", m)
		}
		for c := 0x80; c <= 0xff; c++ {
			b := append([]byte{byte(c)}, m...)
			if sipmsg.IsSIP(b) {
				t.Errorf("IsSIP(%q) = true: UDPSIP would miss it", b)
			}
		}
	}
}
