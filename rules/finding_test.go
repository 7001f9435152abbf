package rules

import (
	"errors"
	"testing"
)

// TestAppendRecordJSONDamaged: a finding record cut short, or with bytes
// after its end, is an error (a damaged spool), not a finding.
func TestAppendRecordJSONDamaged(t *testing.T) {
	id := 3
	f := Finding{Rule: "VIA-MAPPED", Verdict: Correct, MessageID: &id, Refs: []string{"RFC 3261"}, Frames: []int{1}}
	rec := f.AppendRecord(nil)
	for n := range len(rec) {
		if _, err := AppendRecordJSON(nil, rec[:n], ""); !errors.Is(err, errRecord) {
			t.Errorf("record cut to %d of %d bytes: got %v, want errRecord", n, len(rec), err)
		}
	}
	if _, err := AppendRecordJSON(nil, append(rec, 0), ""); !errors.Is(err, errRecord) {
		t.Errorf("record with a byte after it: got %v, want errRecord", err)
	}
}

// BenchmarkFindingRecord spools a finding as a streamed report does,
// its record (AppendRecord), and writes its JSON from it when the report
// is written (AppendRecordJSON); record-B/op is what the spool holds of
// it, json-B/op what it held before (issue 15).
func BenchmarkFindingRecord(b *testing.B) {
	id, lan, wan := 1841, 3690, 3702
	f := Finding{Rule: "CONTACT-MAPPED", Verdict: Correct, Severity: SevInfo, Direction: "outbound",
		MessageID: &id, LANFrame: &lan, WANFrame: &wan, Method: "REGISTER", Field: "Contact[0].uri.host",
		Before: "192.168.1.10", After: "198.51.100.7",
		Explanation: "Contact[0] host 192.168.1.10 became 198.51.100.7, the public address this message left the router from.",
		Refs:        []string{"RFC 3261 §8.1.1.8", "RFC 3665 §3.5"}}
	var rec, out []byte
	b.ReportAllocs()
	for b.Loop() {
		rec = f.AppendRecord(rec[:0])
		var err error
		if out, err = AppendRecordJSON(out[:0], rec, "    "); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(rec)), "record-B/op")
	b.ReportMetric(float64(len(out)), "json-B/op")
}
