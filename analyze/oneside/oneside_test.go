package oneside_test

import (
	"math"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sipalg/sipalg/analyze"
	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/oneside"
)

func fixture(name, side string) string {
	return filepath.Join("..", "..", "fixtures", name, side+".pcap")
}

func read(t *testing.T, path string, side oneside.Side) *oneside.Result {
	t.Helper()
	r, err := oneside.Read(path, side, oneside.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestAddrLiterals(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"1-sipalg@192.168.1.10", []string{"192.168.1.10"}},
		{"a84b4c76e66710%40203.0.113.1%3Bto-tag", nil}, // glued to "40" and "3B": not an address as written
		{"sip:[2001:db8::1]:5060 and 10.0.0.1", []string{"2001:db8::1", "10.0.0.1"}},
		{"v1.2.3.4 1.2.3.4.5 256.1.1.1", nil},
		{"C5570127C1A6A1ABF7ED9DB9AD608CE00xc0a8000a", nil},
	} {
		var got []string
		for _, a := range oneside.AddrLiterals(tc.in) {
			got = append(got, a.String())
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("AddrLiterals(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestTimeoutFromICMP: the lab-timeout-alg WAN side alone bounds the UDP
// timeout as the paired analysis does: the OPTIONS answered after 0.9 s,
// the one refused with ICMP port unreachable after 13 s.
func TestTimeoutFromICMP(t *testing.T) {
	r := read(t, fixture("lab-timeout-alg", "wan"), oneside.WAN)
	if len(r.Unreachables) != 4 {
		t.Fatalf("%d ICMP errors, want 4 (frames 12, 14, 16, 18)", len(r.Unreachables))
	}
	u := r.Unreachables[0]
	if u.Frame != 12 || u.From != netip.MustParseAddr("203.0.113.1") || u.Src.String() != "203.0.113.10:5060" || u.Dst.String() != "203.0.113.1:5060" || u.Proto != capture.ProtoUDP {
		t.Errorf("first ICMP error = %+v", u)
	}
	var outcomes []string
	for _, p := range r.Probes {
		outcomes = append(outcomes, p.Method+" "+string(p.Outcome))
	}
	if want := []string{"OPTIONS answered", "OPTIONS refused"}; !slices.Equal(outcomes, want) {
		t.Fatalf("probes %q, want %q", outcomes, want)
	}
	if p := r.Probes[1]; !slices.Equal(p.Frames, []int{11, 13, 15, 17}) || !slices.Equal(p.ICMPFrames, []int{12, 14, 16, 18}) {
		t.Errorf("refused probe frames %v, ICMP %v", p.Frames, p.ICMPFrames)
	}
	paired, err := analyze.Run(fixture("lab-timeout-alg", "lan"), fixture("lab-timeout-alg", "wan"), analyze.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, want := r.NAT.UDPTimeout, paired.NAT.UDPTimeout
	if got.Lower == nil || got.Upper == nil || want.Lower == nil || want.Upper == nil {
		t.Fatalf("bounds: single %v, paired %v", got, want)
	}
	if math.Abs(*got.Lower-*want.Lower) > 0.01 || math.Abs(*got.Upper-*want.Upper) > 0.01 {
		t.Errorf("single-sided bounds [%.3f, %.3f], paired [%.3f, %.3f]", *got.Lower, *got.Upper, *want.Lower, *want.Upper)
	}
	if !strings.Contains(r.Timeout.Upper, "ICMP") || !strings.Contains(r.Timeout.Lower, "answered") {
		t.Errorf("timeout evidence %+v", r.Timeout)
	}
}

// TestUnansweredInvite: st530 from the WAN side: the INVITE after 77 s of
// silence and its retransmissions go unanswered; the host behind the
// router is the public address, with the port translation as evidence.
func TestUnansweredInvite(t *testing.T) {
	r := read(t, fixture("st530", "wan"), oneside.WAN)
	ua := r.Host(netip.MustParseAddr("203.0.113.1"))
	if ua == nil || ua.Role != oneside.RoleUA || len(ua.NAT) == 0 {
		t.Fatalf("203.0.113.1: %+v", ua)
	}
	for _, a := range []string{"198.51.100.10", "198.51.100.20"} {
		if h := r.Host(netip.MustParseAddr(a)); h == nil || h.Role != oneside.RoleRemote {
			t.Errorf("%s: %+v", a, h)
		}
	}
	for _, m := range r.Match.Messages {
		if m.Direction != "inbound" && m.Direction != "outbound" {
			t.Errorf("message %d (%s) has no direction", m.ID, m.Method)
		}
	}
	last := r.Probes[len(r.Probes)-1]
	if last.Method != "INVITE" || last.Outcome != oneside.Unanswered || !slices.Equal(last.Frames, []int{322, 323, 324, 325}) || last.IdleOut < 75 {
		t.Errorf("last probe %+v", last)
	}
	if u := r.NAT.UDPTimeout.Upper; u == nil || *u < 75 || *u > 80 {
		t.Errorf("upper bound %v, want the 77 s of silence", u)
	}
	if r.NAT.MappingBehavior != "address-and-port-dependent" {
		t.Errorf("mapping behaviour %q (%s): the same phone socket left from two public ports for two servers", r.NAT.MappingBehavior, r.NAT.BehaviorReason)
	}
}

// TestOtherSideWarning: a capture given as the wrong side says so.
func TestOtherSideWarning(t *testing.T) {
	for _, tc := range []struct {
		path string
		side oneside.Side
		want string
	}{
		{fixture("lab-call-noalg", "lan"), oneside.WAN, "--lan"},
		{fixture("lab-call-noalg", "wan"), oneside.LAN, "--wan"},
	} {
		r := read(t, tc.path, tc.side)
		if !slices.ContainsFunc(r.Warnings, func(w string) bool { return strings.Contains(w, tc.want) }) {
			t.Errorf("%s read as %s: warnings %q, want one advising %s", tc.path, tc.side, r.Warnings, tc.want)
		}
	}
	for _, side := range []oneside.Side{oneside.LAN, oneside.WAN} {
		if r := read(t, fixture("lab-call-noalg", string(side)), side); len(r.Warnings) > 0 {
			t.Errorf("lab-call-noalg %s read as itself: warnings %q", side, r.Warnings)
		}
	}
}

// TestLANMapping: on the LAN side the public end of the phone's SIP
// mapping is what the server reported in received/rport.
func TestLANMapping(t *testing.T) {
	r := read(t, fixture("lab-call-noalg", "lan"), oneside.LAN)
	var sip []string
	for _, m := range r.Mappings {
		if m.Kind.String() == "sip" {
			sip = append(sip, m.LAN.String()+" "+m.WAN.String())
		}
	}
	if want := []string{"192.168.1.10:5060 203.0.113.1:5060"}; !slices.Equal(sip, want) {
		t.Errorf("SIP mappings %q, want %q", sip, want)
	}
	if pp := r.NAT.PortPreservation; pp == nil || !*pp {
		t.Errorf("port preservation %v, want true", pp)
	}
	if !slices.Equal(r.NAT.PublicAddresses, []netip.Addr{netip.MustParseAddr("203.0.113.1")}) {
		t.Errorf("public addresses %v", r.NAT.PublicAddresses)
	}
}

// TestEscapedReplacesShowsNAT: an ST530-style ALG replaced 192.168.1.10
// everywhere but in the %-escaped Replaces of the REFER (frame 8). That
// copy, naming the REFER's own dialog, is what proves the phone at
// 203.0.113.1 is behind NAT at 192.168.1.10: nothing else in the capture
// does (ports preserved, Via equal to the source).
func TestEscapedReplacesShowsNAT(t *testing.T) {
	r := read(t, fixture("single-st530-escaped-wan", "wan"), oneside.WAN)
	h := r.Host(netip.MustParseAddr("203.0.113.1"))
	if h == nil || h.Role != oneside.RoleUA {
		t.Fatalf("203.0.113.1: %+v, want the phone behind the router", h)
	}
	if !slices.Contains(h.Private, netip.MustParseAddr("192.168.1.10")) || len(h.NAT) == 0 || !strings.Contains(h.NAT[0], "Replaces") || !strings.Contains(h.NAT[0], "frame 8") {
		t.Errorf("private %v, NAT evidence %q: want 192.168.1.10 from the Replaces of frame 8", h.Private, h.NAT)
	}
	// The same recording before the replacement: the Replaces names the
	// Call-ID as it is, so it is no evidence.
	plain := read(t, fixture("lab-transfer-escaped-alg", "wan"), oneside.WAN)
	if h := plain.Host(netip.MustParseAddr("203.0.113.1")); h != nil {
		for _, e := range h.NAT {
			if strings.Contains(e, "Replaces") {
				t.Errorf("lab-transfer-escaped-alg: Replaces taken as evidence: %q", e)
			}
		}
	}
}
