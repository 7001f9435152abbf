package match

import (
	"fmt"
	"slices"
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

// TestBatchCarriesOutChanges: a dialog handed over in several batches
// (here every message alone) passes the outbound rewrites of its earlier
// batches to the later ones, with their values, for recognising an
// inbound restoration; and a retransmission is still known as one.
func TestBatchCarriesOutChanges(t *testing.T) {
	const invite = "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP %s:5060;branch=z9hG4bK1\r\nFrom: <sip:a@example.com>;tag=a1\r\nTo: <sip:bob@example.com>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
	const ok = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP %s:5060;branch=z9hG4bK1\r\nFrom: <sip:a@example.com>;tag=a1\r\nTo: <sip:bob@example.com>;tag=b1\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
	var batches []*Batch
	s := NewStreamer(correlate.Clock{}, StreamOptions{FlushAfter: 1}, func(b *Batch) { batches = append(batches, b) })
	add := func(i int, dir, lan, wan string) {
		l := &correlate.SIPRecord{Frame: i, TS: int64(i) * 100e6, Data: []byte(lan)}
		w := &correlate.SIPRecord{Frame: i, TS: int64(i) * 100e6, Data: []byte(wan)}
		s.Add(correlate.SIPMessage{SIPPair: correlate.SIPPair{LANFrame: i, WANFrame: i, Direction: dir, State: Matched}, LAN: l, WAN: w})
	}
	add(1, "outbound", fmt.Sprintf(invite, "192.168.1.10"), fmt.Sprintf(invite, "203.0.113.1"))
	add(2, "outbound", fmt.Sprintf(invite, "192.168.1.10"), fmt.Sprintf(invite, "203.0.113.1"))
	add(3, "inbound", fmt.Sprintf(ok, "192.168.1.10"), fmt.Sprintf(ok, "203.0.113.1"))
	s.Close()
	if len(batches) != 3 {
		t.Fatalf("%d batches, want one a message", len(batches))
	}
	last := batches[2]
	if len(last.Messages) != 1 || last.Messages[0].Direction != "inbound" {
		t.Fatalf("last batch: %+v", last.Messages)
	}
	found := false
	for _, c := range last.OutChanges {
		if c.Field == "Via[0].sent-by" && string(c.Before) == "192.168.1.10:5060" && string(c.After) == "203.0.113.1:5060" {
			found = true
		}
	}
	if !found {
		t.Errorf("the 200's batch does not carry the INVITE's Via rewrite: %+v", last.OutChanges)
	}
	if !batches[1].Messages[0].Retransmission || batches[1].Messages[0].Transaction != 1 {
		t.Errorf("the INVITE's copy, alone in its batch: retransmission %v, transaction %d", batches[1].Messages[0].Retransmission, batches[1].Messages[0].Transaction)
	}
	if last.Messages[0].Transaction != 1 || last.Dialog.ID != 1 {
		t.Errorf("the 200: transaction %d, dialog %d", last.Messages[0].Transaction, last.Dialog.ID)
	}
}

// TestQuietDialogsHandedOver: a dialog silent for FlushAfter hands its
// messages over when the next message comes, whichever dialog that is,
// the longest silent first; a dialog still talking keeps its own.
func TestQuietDialogsHandedOver(t *testing.T) {
	const options = "OPTIONS sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK%s\r\nFrom: <sip:a@example.com>;tag=a1\r\nTo: <sip:bob@example.com>\r\nCall-ID: %s\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	var got []string
	s := NewStreamer(correlate.Clock{}, StreamOptions{}, func(b *Batch) {
		got = append(got, fmt.Sprintf("%s:%d", b.Dialog.CallIDsLAN[0], len(b.Messages)))
	})
	frame := 0
	add := func(ms int64, callID string) {
		frame++
		data := []byte(fmt.Sprintf(options, fmt.Sprint(frame), callID))
		r := &correlate.SIPRecord{Frame: frame, TS: ms * 1e6, Data: data}
		sm := correlate.SIPMessage{SIPPair: correlate.SIPPair{LANFrame: frame, WANFrame: frame, Direction: "outbound", State: Matched}, LAN: r, WAN: r}
		s.AddOrdered(Ordered{SIP: sm, key: sortKey{ts: r.TS, frame: frame, seq: frame}}, Prepare(sm))
	}
	add(0, "a")
	add(100, "b")
	add(200, "a")
	add(650, "c") // a silent 450 ms, b 550 ms: b goes
	if want := []string{"b:1"}; !slices.Equal(got, want) {
		t.Fatalf("after 650 ms: batches %v, want %v", got, want)
	}
	add(1300, "c") // a silent 1.1 s, then c 650 ms: both go, a first; the new c waits
	if want := []string{"b:1", "a:2", "c:1"}; !slices.Equal(got, want) {
		t.Fatalf("after 1.3 s: batches %v, want %v", got, want)
	}
}
