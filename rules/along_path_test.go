package rules

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/match"
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
			c := &Context{Corr: &correlate.Result{Clock: tc.clock}, Messages: []match.Message{{ID: 1, Direction: "inbound"}}}
			f := Finding{Rule: tc.rule, Verdict: Bad, MessageID: intp(1), Explanation: "The INVITE entered the router and never left it."}
			alongPath(c, &f)
			if f.Verdict != tc.verdict || !strings.Contains(f.Explanation, tc.text) || !strings.HasSuffix(f.Explanation, "never left it.") {
				t.Errorf("%s %s: %q; want %s with %q", f.Rule, f.Verdict, f.Explanation, tc.verdict, tc.text)
			}
		})
	}
}

// TestAlongPathRefused: far from the router, an inbound request the router
// answered with an ICMP error from its public address stays bad: the
// error pins the loss on the router. An error from another host, or
// quoting another packet, does not.
func TestAlongPathRefused(t *testing.T) {
	two, no := 2, false
	server, public := netip.MustParseAddrPort("198.51.100.10:5060"), netip.MustParseAddrPort("203.0.113.1:5060")
	msg := match.Message{ID: 1, Direction: "inbound", WANSrc: server, WANDst: public}
	cases := []struct {
		name    string
		icmp    capture.Unreachable
		verdict Verdict
	}{
		{"router refused it", capture.Unreachable{From: public.Addr(), Src: server, Dst: public}, Bad},
		{"another host", capture.Unreachable{From: netip.MustParseAddr("198.51.100.1"), Src: server, Dst: public}, Warning},
		{"another packet", capture.Unreachable{From: public.Addr(), Src: server, Dst: netip.MustParseAddrPort("203.0.113.1:6000")}, Warning},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &Context{
				Corr:     &correlate.Result{Clock: correlate.Clock{Hops: &two, CapturedAtRouter: &no, WANFar: true}, WANUnreachable: []capture.Unreachable{tc.icmp}},
				Messages: []match.Message{msg},
			}
			f := Finding{Rule: "INBOUND-DROPPED", Verdict: Bad, MessageID: intp(1), Explanation: "The OPTIONS never reached the LAN."}
			alongPath(c, &f)
			if f.Verdict != tc.verdict || tc.verdict == Bad && !strings.Contains(f.Explanation, "The router refused it") {
				t.Errorf("%s: %q; want %s", f.Verdict, f.Explanation, tc.verdict)
			}
		})
	}
}
