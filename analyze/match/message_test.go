package match

import (
	"errors"
	"testing"
)

// TestAppendRecordJSONDamaged: a message record cut short, or with bytes
// after its end, is an error (a damaged spool), not a message.
func TestAppendRecordJSONDamaged(t *testing.T) {
	lan, status := 4, 200
	m := Message{ID: 3, Direction: "outbound", LANFrame: &lan, Method: "INVITE", Status: &status,
		CSeq: "1 INVITE", CallIDLAN: "a@b", State: "dropped", Dialog: 2, Transaction: 3, Proto: "udp", Cut: "lan"}
	rec := m.AppendRecord(nil)
	for n := range len(rec) {
		if _, err := AppendRecordJSON(nil, rec[:n], ""); !errors.Is(err, errRecord) {
			t.Errorf("record cut to %d of %d bytes: got %v, want errRecord", n, len(rec), err)
		}
	}
	if _, err := AppendRecordJSON(nil, append(rec, 0), ""); !errors.Is(err, errRecord) {
		t.Errorf("record with a byte after it: got %v, want errRecord", err)
	}
}
