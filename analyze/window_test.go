package analyze

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sipalg/sipalg/analyze/match"
)

// cutPcap writes the records of the classic pcap src whose time lies at
// or after the first record's time + from and before + to (to 0: no end)
// into a new file in dir, and returns its path. Frames are renumbered, as
// they are when a capture really starts later or stops earlier.
func cutPcap(t *testing.T, src, dir string, from, to time.Duration) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var bo binary.ByteOrder = binary.LittleEndian
	nano := false
	switch string(b[:4]) {
	case "\xd4\xc3\xb2\xa1":
	case "\x4d\x3c\xb2\xa1":
		nano = true
	case "\xa1\xb2\xc3\xd4":
		bo = binary.BigEndian
	case "\xa1\xb2\x3c\x4d":
		bo, nano = binary.BigEndian, true
	default:
		t.Fatalf("%s: not a classic pcap", src)
	}
	out := slices.Clone(b[:24])
	var first int64
	kept := 0
	for off := 24; off+16 <= len(b); {
		sec, frac := int64(bo.Uint32(b[off:])), int64(bo.Uint32(b[off+4:]))
		n := int(bo.Uint32(b[off+8:]))
		ts := sec*1e9 + frac*1000
		if nano {
			ts = sec*1e9 + frac
		}
		if off == 24 {
			first = ts
		}
		end := off + 16 + n
		if ts >= first+int64(from) && (to == 0 || ts < first+int64(to)) {
			out = append(out, b[off:end]...)
			kept++
		}
		off = end
	}
	if kept == 0 {
		t.Fatalf("%s: the cut keeps no record", src)
	}
	path := filepath.Join(dir, filepath.Base(filepath.Dir(src))+"-"+filepath.Base(src))
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCaptureWindow cuts one capture of a fixture so that it starts later
// (or ends earlier) than the other, as real captures do, and checks that
// only the overlap shows drops or generated messages: what lies outside
// it has the state "outside", no finding blames the router for it, the
// report says what lies outside, and the conclusions that rest on the
// one side seen (NAT-HIDDEN, BINDING-SHORTER-THAN-REFRESH) are not lost.
func TestCaptureWindow(t *testing.T) {
	// Rules that judge a message's absence from one side: none may fire
	// for a message outside the overlap.
	blame := []string{"ALG-DROPPED", "INBOUND-DROPPED", "ALG-AS-PROXY", "MEDIA-ONE-WAY", "MEDIA-PINHOLE-CLOSED", "MEDIA-LOSS-AT-ROUTER"}
	cases := []struct {
		name, fixture string
		lanFrom       time.Duration // the LAN capture starts this much later
		wanTo         time.Duration // the WAN capture stops this long after its start (0: full)
		outsideSIP    int           // SIP messages outside, read off the capture with tshark
		dropped       []int         // WAN frames the router really dropped (case.json)
		must          []string
	}{
		// correct: REGISTER, 401, REGISTER, 200, OPTIONS, 200 (LAN frames
		// 1-6, 0.000-0.502 s) happen before a LAN capture started at 1.5 s;
		// the INVITE (frame 7, 2.002 s) is its first packet.
		{name: "lan-starts-later", fixture: "correct", lanFrom: 1500 * time.Millisecond, outsideSIP: 6,
			must: []string{"NAT-HIDDEN", "VIA-MAPPED", "CONTACT-MAPPED", "SDP-CONNECTION-MAPPED"}},
		// lab-timeout-alg: the REGISTER exchange (frames 3-6, 0.000-0.002 s)
		// before a LAN capture started at 0.5 s; the OPTIONS the router
		// refused with ICMP at 13.9 s stays a drop: the router pins it.
		{name: "lan-starts-later-timeout", fixture: "lab-timeout-alg", lanFrom: 500 * time.Millisecond, outsideSIP: 4,
			dropped: []int{11, 13, 15, 17},
			must:    []string{"NAT-HIDDEN", "BINDING-SHORTER-THAN-REFRESH", "INBOUND-DROPPED"}},
		// correct: the WAN capture stops at 4.0 s, in the middle of the
		// call's RTP (2.0-5.4 s); the REFER, NOTIFY, BYE and their answers
		// (LAN frames 227-230, 319-321... 5.5 s on) are seen on the LAN only.
		{name: "wan-ends-earlier", fixture: "correct", wanTo: 4 * time.Second, outsideSIP: 6,
			must: []string{"VIA-MAPPED", "CONTACT-MAPPED", "NAT-HIDDEN"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			lan, wan := fixture(tc.fixture, "lan"), fixture(tc.fixture, "wan")
			if tc.lanFrom > 0 {
				lan = cutPcap(t, lan, dir, tc.lanFrom, 0)
			}
			if tc.wanTo > 0 {
				wan = cutPcap(t, wan, dir, 0, tc.wanTo)
			}
			rep, err := Run(lan, wan, Options{})
			if err != nil {
				t.Fatal(err)
			}
			outside := map[int]bool{}
			for _, m := range rep.Messages {
				switch {
				case m.State == match.Dropped && m.WANFrame != nil && slices.Contains(tc.dropped, *m.WANFrame):
				case m.State == match.Dropped || m.State == match.Generated:
					t.Errorf("message %d (%s, LAN frame %v, WAN frame %v) %s: the fixture has no drop or generated message", m.ID, m.Method, deref(m.LANFrame), deref(m.WANFrame), m.State)
				case m.State == match.Outside:
					outside[m.ID] = true
				}
			}
			if len(outside) != tc.outsideSIP {
				t.Errorf("%d SIP messages outside, want %d", len(outside), tc.outsideSIP)
			}
			if rep.Window == nil || rep.Window.OutsideSIP != tc.outsideSIP {
				t.Errorf("capture_window %+v, want %d SIP messages outside", rep.Window, tc.outsideSIP)
			}
			said := false
			for _, w := range rep.Warnings {
				said = said || strings.Contains(w, "capture window") && strings.Contains(w, "outside")
			}
			if !said {
				t.Errorf("no warning says what lies outside the overlap: %q", rep.Warnings)
			}
			if !strings.Contains(rep.Verdict.Summary, "outside the time both captures ran") {
				t.Errorf("the verdict does not say what lies outside: %s", rep.Verdict.Summary)
			}
			fired := map[string]bool{}
			for _, f := range rep.Findings {
				fired[f.Rule] = true
				if slices.Contains(blame, f.Rule) && (f.MessageID == nil || outside[*f.MessageID]) {
					t.Errorf("%s fired (message %v): %s", f.Rule, f.MessageID, f.Explanation)
				}
				if f.MessageID != nil && outside[*f.MessageID] && f.Rule == "NAT-HIDDEN" && !strings.Contains(f.Explanation, "outside the LAN capture") {
					t.Errorf("NAT-HIDDEN on a message outside the LAN capture does not say so: %s", f.Explanation)
				}
			}
			for _, id := range tc.must {
				if !fired[id] {
					t.Errorf("%s lost", id)
				}
			}
		})
	}
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
