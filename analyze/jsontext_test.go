package analyze

import (
	"bytes"
	"encoding/json"
	"math"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/sipalg/sipalg/analyze/correlate"

	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/rules"
)

// TestAppendJSONIsEncodingJSON: the streamed report writes messages and
// findings from their records with hand-written JSON writers
// (match.AppendRecordJSON, rules.AppendRecordJSON), and media rows with
// rules.MediaStream.AppendJSON;
// every message and finding of every paired fixture, and crafted ones
// with every optional field and every escape, must come out as
// json.MarshalIndent writes them.
func TestAppendJSONIsEncodingJSON(t *testing.T) {
	check := func(t *testing.T, what string, v any, got func(prefix string) []byte) {
		t.Helper()
		for _, prefix := range []string{"", "    "} {
			want, err := json.MarshalIndent(v, prefix, "  ")
			if err != nil {
				t.Fatal(err)
			}
			if g := got(prefix); !bytes.Equal(g, want) {
				t.Fatalf("%s, prefix %q:\n got %s\nwant %s", what, prefix, g, want)
			}
		}
	}
	seven, zero := 7, 0
	odd := "a<b>&\"q\"\\ \t\n\x01 \u2028 \xff é"
	msgs := []match.Message{
		{},
		{ID: 3, Direction: "inbound", LANFrame: &seven, WANFrame: &zero, Method: odd, Status: &seven,
			CSeq: "1 INVITE", CallIDLAN: odd, CallIDWAN: "x@y", State: "matched", Dialog: 2,
			Retransmission: true, Transaction: 3, ChangedFields: 4, Proto: "udp", Cut: "wan"},
	}
	finds := []rules.Finding{
		{},
		{Rule: "R", Verdict: rules.Bad, Severity: rules.Major, Direction: "outbound", MessageID: &seven,
			LANFrame: &zero, Method: odd, Field: "h.via[0]", Before: odd, After: "", Explanation: odd,
			Refs: []string{}, Frames: []int{1, 2}},
		{Refs: []string{"RFC 3261 §18.2.1", odd}},
		{MessageID: &zero, WANFrame: &seven, Frames: []int{-1, 1 << 40}, Refs: []string{""}},
	}
	lan, wan := netip.MustParseAddrPort("192.168.1.10:4000"), netip.MustParseAddrPort("[fe80::1%eth<0>]:30000")
	media := []rules.MediaStream{
		{},
		{Dialog: &seven, SSRC: "0x577545bf", Direction: odd, LAN: &lan, WAN: &wan, Remote: lan,
			FirstSeen: time.Unix(1768471203, 500000000).UTC(), LastSeen: time.Unix(1768471204, 123456789).In(time.FixedZone("x", -5*3600-30*60)),
			Entered: 51, Left: 50, LostAtRouter: 1, LossPct: 1.0 / 51 * 100, MaxLossBurst: 1, Duplicated: 2, Reordered: 3, StoppedCrossing: 4,
			RouterDelay: &correlate.StreamDelay{P50: 0.191, P99: 1e-7, Max: 1e21}, JitterAddedMS: 0.037, OneWay: true, RTCPEntered: 5, RTCPLeft: 6},
		{RouterDelay: &correlate.StreamDelay{}, LossPct: -0.5},
	}
	n := 0
	for _, dir := range pairedFixtures(t) {
		rep, err := Run(filepath.Join(dir, "lan.pcap"), filepath.Join(dir, "wan.pcap"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, rep.Messages...)
		media = append(media, rep.Media...)
		finds = append(finds, rep.Findings...)
		n += len(rep.Findings)
	}
	if n == 0 {
		t.Fatal("no findings in the fixtures")
	}
	if len(media) == 3 {
		t.Fatal("no media rows in the fixtures")
	}
	for i := range msgs {
		m := &msgs[i]
		// As the streamed report writes it: from the message's record.
		check(t, "message record", m, func(p string) []byte {
			b, err := match.AppendRecordJSON(nil, m.AppendRecord(nil), p)
			if err != nil {
				t.Fatal(err)
			}
			return b
		})
	}
	for i := range media {
		r := &media[i]
		check(t, "media row", r, func(p string) []byte {
			b, err := r.AppendJSON(nil, p)
			if err != nil {
				t.Fatal(err)
			}
			return b
		})
	}
	for i := range finds {
		f := &finds[i]
		// As the streamed report writes it: from the finding's record.
		check(t, "finding record", f, func(p string) []byte {
			b, err := rules.AppendRecordJSON(nil, f.AppendRecord(nil), p)
			if err != nil {
				t.Fatal(err)
			}
			return b
		})
	}
}

// TestMediaAppendJSONRefused: a media row encoding/json refuses (a loss
// that is not a number, a year past 9999) gives encoding/json's error.
func TestMediaAppendJSONRefused(t *testing.T) {
	for _, r := range []rules.MediaStream{
		{LossPct: math.NaN()},
		{RouterDelay: &correlate.StreamDelay{Max: math.Inf(1)}},
		{FirstSeen: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		_, want := json.MarshalIndent(&r, "", "  ")
		_, err := r.AppendJSON([]byte("x"), "")
		if want == nil || err == nil || err.Error() != want.Error() {
			t.Errorf("%+v: got error %v, want %v", r, err, want)
		}
	}
}
