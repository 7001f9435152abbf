package rules

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"reflect"
	"testing"
	"time"
)

// TestPlanRecord: a media plan comes back from its spool record as it
// went in; a record cut short, or with bytes after it, is an error.
func TestPlanRecord(t *testing.T) {
	lan, wan := 3, 5
	ep := netip.MustParseAddrPort
	for _, p := range []*mediaPlan{
		{},
		{dialog: 7, phone: []netip.AddrPort{ep("192.168.1.10:4000"), ep("[fe80::1%eth0]:4002")},
			phoneWAN: []netip.AddrPort{ep("198.51.100.7:30000")}, far: []netip.AddrPort{ep("[::ffff:203.0.113.20]:20000")},
			peer: netip.MustParseAddr("203.0.113.10"), start: -1, bye: 1768471203500000000, end: 1 << 62,
			phoneMsg:       &planMsg{ID: 81, Direction: "outbound", Method: "INVITE", LANFrame: &lan, WANFrame: &wan},
			oneWayByDesign: true, established: true},
		{dialog: 8, phoneMsg: &planMsg{ID: 1, WANFrame: &wan}},
	} {
		rec := p.appendRecord(nil)
		got, err := decodePlan(rec)
		if err != nil {
			t.Fatalf("%+v: %v", p, err)
		}
		if !reflect.DeepEqual(got, p) {
			t.Errorf("got %+v, want %+v", got, p)
		}
		for n := range len(rec) {
			if _, err := decodePlan(rec[:n]); !errors.Is(err, errPlanRecord) {
				t.Errorf("%+v cut to %d of %d bytes: got %v, want errPlanRecord", p, n, len(rec), err)
			}
		}
		if _, err := decodePlan(append(rec, 0)); !errors.Is(err, errPlanRecord) {
			t.Errorf("%+v with a byte after it: got %v, want errPlanRecord", p, err)
		}
	}
}

// TestPlanRecordDamagedCount: a record whose endpoint list claims more
// elements than it has bytes is an error at once; it does not drive a
// loop through them (which took minutes for a length of 2^40).
func TestPlanRecordDamagedCount(t *testing.T) {
	rec := binary.AppendUvarint([]byte{0, 14}, 1<<40) // flags, dialog 7, a phone list of 2^40
	done := make(chan error, 1)
	go func() {
		_, err := decodePlan(rec)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, errPlanRecord) {
			t.Errorf("got %v, want errPlanRecord", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("decodePlan still reading a list of 2^40 endpoints after 10 s")
	}
}
