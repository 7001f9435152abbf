package rules

import (
	"strings"
	"testing"

	"github.com/sipalg/sipalg/analyze/correlate"
)

// TestAlongPath: a loss rule's bad finding stays bad when the captures are
// the router's own interfaces or their place is unknown, and becomes a
// warning naming both readings when they were taken further apart; other
// rules are never touched.
func TestAlongPath(t *testing.T) {
	one, two := 1, 2
	yes, no := true, false
	cases := []struct {
		name    string
		clock   correlate.Clock
		rule    string
		verdict Verdict
		text    string
	}{
		{"at the router", correlate.Clock{Hops: &one, CapturedAtRouter: &yes}, "ALG-DROPPED", Bad, ""},
		{"unknown", correlate.Clock{}, "INBOUND-DROPPED", Bad, ""},
		{"WAN at the server", correlate.Clock{Hops: &two, CapturedAtRouter: &no, WANFar: true}, "ALG-DROPPED", Warning,
			"lost between the capture points or dropped by the router (the WAN capture was taken 2 hops away from the router"},
		{"two hops apart", correlate.Clock{Hops: &two, CapturedAtRouter: &no}, "MEDIA-PINHOLE-CLOSED", Warning, "the two captures were taken 2 hops apart"},
		{"not a loss rule", correlate.Clock{Hops: &two, CapturedAtRouter: &no}, "MAPPING-MISMATCH", Bad, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &Context{Corr: &correlate.Result{Clock: tc.clock}}
			f := Finding{Rule: tc.rule, Verdict: Bad, Explanation: "The INVITE entered the router and never left it."}
			alongPath(c, &f)
			if f.Verdict != tc.verdict || !strings.Contains(f.Explanation, tc.text) || !strings.HasSuffix(f.Explanation, "never left it.") {
				t.Errorf("%s %s: %q; want %s with %q", f.Rule, f.Verdict, f.Explanation, tc.verdict, tc.text)
			}
		})
	}
}
