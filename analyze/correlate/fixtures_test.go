package correlate

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

type truthMapping struct {
	Proto   string   `json:"proto"`
	Kind    string   `json:"kind"`
	LAN     string   `json:"lan"`
	WAN     string   `json:"wan"`
	Remotes []string `json:"remotes"`
}

type truthFile struct {
	ClockOffsetS     float64        `json:"clock_offset_s"`
	MappingBehavior  string         `json:"mapping_behavior"`
	PortPreservation *bool          `json:"port_preservation"`
	UDPTimeoutS      *float64       `json:"udp_timeout_s"`
	Mappings         []truthMapping `json:"mappings"`
}

const fixturesDir = "../../fixtures"

func mappingLines(ms []truthMapping) []string {
	var out []string
	for _, m := range ms {
		r := slices.Clone(m.Remotes)
		slices.Sort(r)
		out = append(out, fmt.Sprintf("%s %s %s→%s %v", m.Proto, m.Kind, m.LAN, m.WAN, r))
	}
	slices.Sort(out)
	return out
}

func gotLines(res *Result, withRemotes bool) []truthMapping {
	var out []truthMapping
	for _, m := range res.Mappings {
		t := truthMapping{Proto: m.Proto, Kind: m.Kind.String(), LAN: m.LAN.String(), WAN: m.WAN.String()}
		if withRemotes {
			for _, r := range m.Remotes {
				t.Remotes = append(t.Remotes, r.String())
			}
		}
		out = append(out, t)
	}
	return out
}

// TestEmulatedFixtures checks every fixture that has a truth.json (the
// emulator's log) against it.
func TestEmulatedFixtures(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(fixturesDir, "*", "truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Skip("no emulated fixtures")
	}
	for _, tf := range dirs {
		dir := filepath.Dir(tf)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			b, err := os.ReadFile(tf)
			if err != nil {
				t.Fatal(err)
			}
			var truth truthFile
			if err := json.Unmarshal(b, &truth); err != nil {
				t.Fatal(err)
			}
			res, err := Correlate(filepath.Join(dir, "lan.pcap"), filepath.Join(dir, "wan.pcap"), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if d := res.Clock.OffsetS - truth.ClockOffsetS; math.Abs(d) > 1e-3 {
				t.Errorf("offset %.6f s, want %.6f (error %.3f ms)", res.Clock.OffsetS, truth.ClockOffsetS, d*1e3)
			}
			got, want := mappingLines(gotLines(res, true)), mappingLines(truth.Mappings)
			if !slices.Equal(got, want) {
				t.Errorf("mappings:\n got  %s\n want %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
			}
			if res.NAT.MappingBehavior != truth.MappingBehavior {
				t.Errorf("behaviour %s (%s), want %s", res.NAT.MappingBehavior, res.NAT.BehaviorReason, truth.MappingBehavior)
			}
			if pp := res.NAT.PortPreservation; pp == nil || truth.PortPreservation == nil || *pp != *truth.PortPreservation {
				t.Errorf("port preservation %v, want %v", fmtBool(pp), fmtBool(truth.PortPreservation))
			}
			checkTimeout(t, res, truth.UDPTimeoutS)
			// The emulator is the router and decrements every TTL once;
			// its captures are its own two interfaces.
			if h := res.Clock.Hops; h == nil || *h != 1 || !res.Clock.AtRouter() {
				t.Errorf("hops %s, captured_at_router %s (%s); want 1, true", fmtInt(h), fmtBool(res.Clock.CapturedAtRouter), res.Clock.HopsReason)
			}
			t.Logf("offset %+.6f s (err %.3f ms) drift %.3f ppm pairs %d latency %+v; timeout [%s, %s]; dropped %d generated %d",
				res.Clock.OffsetS, (res.Clock.OffsetS-truth.ClockOffsetS)*1e3, res.Clock.DriftPPM, res.Clock.MatchedPairs, res.Clock.RouterLatency,
				fmtF(res.NAT.UDPTimeout.Lower), fmtF(res.NAT.UDPTimeout.Upper), res.Dropped, res.Generated)
		})
	}
}

// checkTimeout: whatever bounds are reported must contain the truth.
func checkTimeout(t *testing.T, res *Result, want *float64) {
	t.Helper()
	if want == nil {
		return
	}
	if l := res.NAT.UDPTimeout.Lower; l != nil && *l > *want {
		t.Errorf("udp timeout lower %.3f > truth %.3f", *l, *want)
	}
	if u := res.NAT.UDPTimeout.Upper; u != nil && *u < *want {
		t.Errorf("udp timeout upper %.3f < truth %.3f", *u, *want)
	}
}

func fmtBool(b *bool) string {
	if b == nil {
		return "null"
	}
	return fmt.Sprint(*b)
}

func fmtInt(i *int) string {
	if i == nil {
		return "null"
	}
	return fmt.Sprint(*i)
}

func fmtF(f *float64) string {
	if f == nil {
		return "null"
	}
	return fmt.Sprintf("%.3f", *f)
}

type labCase struct {
	Mapping      []truthMapping `json:"mapping"`
	ClockOffsetS *float64       `json:"clock_offset_s"`
	UDPTimeoutS  *float64       `json:"udp_timeout_s"`
	// Hops and CapturedAtRouter, read off the captures' TTLs.
	Hops             *int  `json:"hops"`
	CapturedAtRouter *bool `json:"captured_at_router"`
}

// TestLabFixtures checks the real recordings against their case.json.
func TestLabFixtures(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(fixturesDir, "lab-*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, "case.json"))
			if errors.Is(err, fs.ErrNotExist) {
				t.Skip("no case.json yet")
			}
			if err != nil {
				t.Fatal(err)
			}
			var c labCase
			if err := json.Unmarshal(b, &c); err != nil {
				t.Fatal(err)
			}
			lan, wan := filepath.Join(dir, "lan.pcap"), filepath.Join(dir, "wan.pcap")
			res, err := Correlate(lan, wan, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if c.ClockOffsetS != nil && math.Abs(res.Clock.OffsetS-*c.ClockOffsetS) > 1e-3 {
				t.Errorf("offset %.6f s, want %.6f", res.Clock.OffsetS, *c.ClockOffsetS)
			}
			got := gotLines(res, false)
			for _, w := range c.Mapping {
				w.Remotes = nil
				if w.Proto == "" {
					w.Proto = "udp"
				}
				if !slices.Contains(mappingLines(got), mappingLines([]truthMapping{w})[0]) {
					t.Errorf("mapping %s %s %s→%s missing; got %v", w.Proto, w.Kind, w.LAN, w.WAN, mappingLines(got))
				}
			}
			checkTimeout(t, res, c.UDPTimeoutS)
			if c.Hops != nil && (res.Clock.Hops == nil || *res.Clock.Hops != *c.Hops) {
				t.Errorf("hops %s (%s), want %d", fmtInt(res.Clock.Hops), res.Clock.HopsReason, *c.Hops)
			}
			if c.CapturedAtRouter != nil && fmtBool(res.Clock.CapturedAtRouter) != fmtBool(c.CapturedAtRouter) {
				t.Errorf("captured_at_router %s (%s), want %v", fmtBool(res.Clock.CapturedAtRouter), res.Clock.HopsReason, *c.CapturedAtRouter)
			}
			t.Logf("offset %+.6f s pairs %d latency %+v; %s (%s); mappings %v; timeout [%s, %s]",
				res.Clock.OffsetS, res.Clock.MatchedPairs, res.Clock.RouterLatency, res.NAT.MappingBehavior, res.NAT.BehaviorReason,
				mappingLines(got), fmtF(res.NAT.UDPTimeout.Lower), fmtF(res.NAT.UDPTimeout.Upper))
		})
	}
}

// TestWANUnreachable: the router's refusals of the expired mapping's
// OPTIONS in lab-timeout-alg (tshark: WAN frames 12, 14, 16, 18, ICMP
// port unreachable from 203.0.113.1 quoting 203.0.113.10:5060 →
// 203.0.113.1:5060) are kept for the rules.
func TestWANUnreachable(t *testing.T) {
	dir := filepath.Join(fixturesDir, "lab-timeout-alg")
	res, err := Correlate(filepath.Join(dir, "lan.pcap"), filepath.Join(dir, "wan.pcap"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range res.WANUnreachable {
		got = append(got, fmt.Sprintf("%d %s %s>%s code %d", u.Frame, u.From, u.Src, u.Dst, u.Code))
	}
	want := []string{
		"12 203.0.113.1 203.0.113.10:5060>203.0.113.1:5060 code 3",
		"14 203.0.113.1 203.0.113.10:5060>203.0.113.1:5060 code 3",
		"16 203.0.113.1 203.0.113.10:5060>203.0.113.1:5060 code 3",
		"18 203.0.113.1 203.0.113.10:5060>203.0.113.1:5060 code 3",
	}
	if !slices.Equal(got, want) {
		t.Errorf("WAN ICMP errors:\n got  %q\n want %q", got, want)
	}
}
