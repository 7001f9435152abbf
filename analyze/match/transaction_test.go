package match

import (
	"fmt"
	"testing"

	"github.com/sipalg/sipalg/analyze/correlate"
)

// stream runs raws (direction, message) through a Streamer as matched
// messages 10 ms apart and returns them in ID order.
func stream(t *testing.T, raws [][2]string) []Message {
	t.Helper()
	c := NewCollector()
	s := NewStreamer(correlate.Clock{}, StreamOptions{}, c.Add)
	for i, r := range raws {
		rec := &correlate.SIPRecord{Frame: i + 1, TS: int64(i) * 10e6, Data: []byte(r[1])}
		s.Add(correlate.SIPMessage{SIPPair: correlate.SIPPair{LANFrame: i + 1, WANFrame: i + 1, Direction: r[0], State: Matched}, LAN: rec, WAN: rec})
	}
	s.Close()
	msgs, _ := c.Result()
	if len(msgs) != len(raws) {
		t.Fatalf("%d messages out, %d in", len(msgs), len(raws))
	}
	return msgs
}

// TestRFC2543Transactions checks the fallback for elements without the
// magic cookie: Call-ID, From tag, CSeq and the top Via decide, and a
// repeated request is a retransmission while a new CSeq is not.
func TestRFC2543Transactions(t *testing.T) {
	const inv = "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=1234\r\nFrom: <sip:a@example.com>;tag=a1\r\nTo: <sip:bob@example.com>\r\nCall-ID: c1@10.0.0.1\r\nCSeq: %s INVITE\r\nContent-Length: 0\r\n\r\n"
	msgs := stream(t, [][2]string{
		{"outbound", sprintf(inv, "1")},
		{"outbound", sprintf(inv, "1")},
		{"outbound", sprintf(inv, "2")},
		{"inbound", "SIP/2.0 100 Trying\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=1234\r\nFrom: <sip:a@example.com>;tag=a1\r\nTo: <sip:bob@example.com>\r\nCall-ID: c1@10.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"},
	})
	if !msgs[1].Retransmission || msgs[0].Retransmission || msgs[2].Retransmission || msgs[3].Retransmission {
		t.Errorf("retransmission marks: %v %v %v %v", msgs[0].Retransmission, msgs[1].Retransmission, msgs[2].Retransmission, msgs[3].Retransmission)
	}
	if msgs[0].Transaction != msgs[1].Transaction || msgs[0].Transaction != msgs[3].Transaction {
		t.Error("the INVITE, its copy and its 100 are not one transaction")
	}
	if msgs[2].Transaction == msgs[0].Transaction {
		t.Error("a new CSeq joined the old transaction")
	}
}

func sprintf(format, arg string) string { return fmt.Sprintf(format, arg) }
