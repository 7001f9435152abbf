package analyze

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestSingleLimitsKeepAPrefix: a one-sided analysis bounded by its
// message count or its SIP text (--limit messages, sip-pairs, sip-bytes)
// analyses the capture's first messages and none after the first past
// the bound; the warnings count the rest and say from when, and so does
// the verdict's summary, which rests on the first ones only. Unbounded,
// st530's WAN side has 21 SIP messages (tshark: sip).
func TestSingleLimitsKeepAPrefix(t *testing.T) {
	const wan = "../fixtures/st530/wan.pcap"
	full, err := RunSingle(wan, "wan", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Messages) != 21 {
		t.Fatalf("unbounded: %d messages, want 21", len(full.Messages))
	}
	if strings.Contains(full.Verdict.Summary, "rests on") {
		t.Errorf("unbounded summary %q qualifies itself", full.Verdict.Summary)
	}
	for _, tc := range []struct {
		name string
		lim  Limits
		kept int
	}{
		{"messages", Limits{MaxMessages: 3}, 3},
		{"sip-pairs", Limits{MaxSIPPairs: 5}, 5},
		{"sip-bytes", Limits{MaxSIPBytes: 1 << 10}, -1}, // some: st530's messages are 300 to 1,100 bytes
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := RunSingle(wan, "wan", Options{Limits: tc.lim})
			if err != nil {
				t.Fatal(err)
			}
			kept := len(rep.Messages)
			if kept != tc.kept && (tc.kept >= 0 || kept == 0 || kept >= 21) {
				t.Fatalf("%d messages, want %d (-1: some, not all)", kept, tc.kept)
			}
			for i := range rep.Messages {
				if got, want := *rep.Messages[i].WANFrame, *full.Messages[i].WANFrame; got != want {
					t.Errorf("message %d: frame %d, want %d (the unbounded analysis' %d-th)", i+1, got, want, i+1)
				}
			}
			next := time.Unix(0, full.Messages[kept].TS).UTC().Format(time.RFC3339Nano)
			rest := 21 - kept
			warned := false
			for _, w := range rep.Warnings {
				warned = warned || strings.HasPrefix(w, fmt.Sprintf("%d SIP message(s), from %s on, were not analysed", rest, next))
			}
			if !warned {
				t.Errorf("no warning of the %d messages from %s; warnings %q", rest, next, rep.Warnings)
			}
			if want := fmt.Sprintf("This rests on the capture's first %d SIP messages only: the %d from %s on", kept, rest, next); !strings.Contains(rep.Verdict.Summary, want) {
				t.Errorf("summary %q\nwant it to say %q", rep.Verdict.Summary, want)
			}
		})
	}
}
