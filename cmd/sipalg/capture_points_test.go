package main

import (
	"strings"
	"testing"
)

// TestCapturePointsWording: the table and the HTML report say where the
// captures were taken when it is not the router, name a second NAT, and
// say nothing of the kind for captures taken on the router.
func TestCapturePointsWording(t *testing.T) {
	cases := []struct {
		fixture   string
		want, not []string
	}{
		{"lab-farend-alg",
			[]string{"path latency p50", "WAN capture taken 2 hops away: latency includes the network path"},
			[]string{"router latency", "DOUBLE-NAT"}},
		{"lab-farend-loss-alg",
			[]string{"path latency p50", "WAN capture taken 2 hops away", "table:INVITE not seen 0 retx", "html:lost on the path or dropped by the router"},
			[]string{"INVITE dropped", "generated", "ALG-DROPPED"}},
		{"lab-cgnat-alg",
			[]string{"WAN capture taken 2 hops away", "public address 203.0.113.1 (behind a second NAT: the router's own WAN address is 100.64.0.2, the far end sees the upstream NAT's 203.0.113.1)",
				"own WAN address is 100.64.0.2, the far end sees the upstream NAT",
				"The router sits behind a second NAT", "turn the ALG off"},
			[]string{"router latency"}},
		{"lab-cgnat-routerwan-alg",
			[]string{"router latency p50", "public address 100.64.0.2 (behind a second NAT: the router's own WAN address is 100.64.0.2, the far end sees the upstream NAT's 203.0.113.1)",
				"The router sits behind a second NAT"},
			[]string{"path latency", "hops away"}},
		{"lab-call-alg",
			[]string{"router latency p50"},
			[]string{"path latency", "hops away", "second NAT", "not seen"}},
	}
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			dir := "../../fixtures/" + tc.fixture
			for _, format := range []string{"table", "html"} {
				code, out, stderr := runCLI(t, "analyze", "--fail-on", "never", "--format", format, "--lan", dir+"/lan.pcap", "--wan", dir+"/wan.pcap")
				if code != 0 {
					t.Fatalf("%s: exit %d: %s", format, code, stderr)
				}
				flat := strings.Join(strings.Fields(out), " ")
				for _, w := range tc.want {
					if f, rest, ok := strings.Cut(w, ":"); ok && (f == "table" || f == "html") {
						if f != format {
							continue
						}
						w = rest
					}
					if format == "html" && (strings.Contains(w, "'") || strings.HasPrefix(w, "public address")) {
						continue // escaped in HTML, or worded by the table alone
					}
					if !strings.Contains(flat, w) {
						t.Errorf("%s: %q missing", format, w)
					}
				}
				for _, n := range tc.not {
					if format == "table" && strings.Contains(flat, n) {
						t.Errorf("%s: %q present", format, n)
					}
				}
			}
		})
	}
}

// TestOneSidedAnnotations: the annotated capture words a message seen on
// one side only by where the captures were taken — "dropped by the
// router" on the router's own interfaces, both readings when the WAN
// side was captured 2 hops away (lab-farend-loss-alg: LAN frame 4, the
// INVITE retransmission, is the copy left without a WAN twin).
func TestOneSidedAnnotations(t *testing.T) {
	ann, _ := fixtureAnnotations(t, "../../fixtures/lab-farend-loss-alg")
	got := strings.Join(ann[frameKey{"lan", 4}], "\n")
	want := "not seen on the far side (lost between the capture points or dropped by the router): outbound INVITE (message 2"
	if !strings.Contains(got, want) || strings.Contains(got, "dropped by the router:") {
		t.Errorf("LAN frame 4: %q; want %q", got, want)
	}
	ann, _ = fixtureAnnotations(t, "../../fixtures/lab-timeout-alg")
	for k, lines := range ann {
		for _, l := range lines {
			if strings.Contains(l, "not seen") {
				t.Errorf("%v: %q on captures taken at the router", k, l)
			}
		}
	}
}
