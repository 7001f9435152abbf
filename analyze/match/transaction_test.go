package match

import (
	"fmt"
	"testing"

	"github.com/sipalg/sipalg/analyze/sipmsg"
)

func msg(direction, raw string) Message {
	p := sipmsg.Parse([]byte(raw))
	m := Message{Direction: direction, State: Matched, LAN: p, WAN: p}
	describe(&m)
	return m
}

// TestRFC2543Transactions checks the fallback for elements without the
// magic cookie: Call-ID, From tag, CSeq and the top Via decide, and a
// repeated request is a retransmission while a new CSeq is not.
func TestRFC2543Transactions(t *testing.T) {
	const inv = "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=1234\r\nFrom: <sip:a@example.com>;tag=a1\r\nTo: <sip:bob@example.com>\r\nCall-ID: c1@10.0.0.1\r\nCSeq: %s INVITE\r\nContent-Length: 0\r\n\r\n"
	msgs := []Message{
		msg("outbound", sprintf(inv, "1")),
		msg("outbound", sprintf(inv, "1")),
		msg("outbound", sprintf(inv, "2")),
		msg("inbound", "SIP/2.0 100 Trying\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=1234\r\nFrom: <sip:a@example.com>;tag=a1\r\nTo: <sip:bob@example.com>\r\nCall-ID: c1@10.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"),
	}
	if n := markTransactions(msgs); n != 1 {
		t.Errorf("%d retransmissions, want 1", n)
	}
	if !msgs[1].Retransmission || msgs[0].Retransmission || msgs[2].Retransmission || msgs[3].Retransmission {
		t.Errorf("retransmission marks: %v %v %v %v", msgs[0].Retransmission, msgs[1].Retransmission, msgs[2].Retransmission, msgs[3].Retransmission)
	}
	if msgs[0].transaction != msgs[1].transaction || msgs[0].transaction != msgs[3].transaction {
		t.Error("the INVITE, its copy and its 100 are not one transaction")
	}
	if msgs[2].transaction == msgs[0].transaction {
		t.Error("a new CSeq joined the old transaction")
	}
}

func sprintf(format, arg string) string { return fmt.Sprintf(format, arg) }
