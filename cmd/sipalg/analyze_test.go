package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAnalyzeJSON(t *testing.T) {
	dir := "../../fixtures/correct"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("fixture correct not present")
	}
	out := filepath.Join(t.TempDir(), "r.json")
	code, stdout, stderr := runCLI(t, "analyze", "--lan", dir+"/lan.pcap", "--wan", dir+"/wan.pcap", "--format", "json", "-o", out)
	if code != exitOK || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		SchemaVersion int `json:"schema_version"`
		Inputs        map[string]struct {
			Packets int `json:"packets"`
		} `json:"inputs"`
		Clock struct {
			OffsetS      float64 `json:"offset_s"`
			MatchedPairs int     `json:"matched_pairs"`
		} `json:"clock"`
		NAT struct {
			PublicAddresses []string `json:"public_addresses"`
			MappingBehavior string   `json:"mapping_behavior"`
		} `json:"nat"`
		Mappings []struct {
			Kind string `json:"kind"`
			LAN  string `json:"lan"`
			WAN  string `json:"wan"`
		} `json:"mappings"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	// Facts read off fixtures/correct (README, truth.json): WAN clock is
	// 47.25 s ahead; the phone's SIP 192.168.1.10:5060 leaves as
	// 203.0.113.1:40000 on an endpoint-independent NAT.
	if r.SchemaVersion != 1 || r.Inputs["lan"].Packets == 0 || r.Inputs["wan"].Packets == 0 {
		t.Errorf("header: %+v", r)
	}
	if math.Abs(r.Clock.OffsetS-47.25) > 0.001 || r.Clock.MatchedPairs == 0 {
		t.Errorf("clock %+v, want offset 47.25 s", r.Clock)
	}
	if len(r.NAT.PublicAddresses) != 1 || r.NAT.PublicAddresses[0] != "203.0.113.1" || r.NAT.MappingBehavior != "endpoint-independent" {
		t.Errorf("nat %+v", r.NAT)
	}
	found := false
	for _, m := range r.Mappings {
		if m.Kind == "sip" && m.LAN == "192.168.1.10:5060" && m.WAN == "203.0.113.1:40000" {
			found = true
		}
	}
	if !found {
		t.Errorf("SIP mapping 192.168.1.10:5060 -> 203.0.113.1:40000 missing: %+v", r.Mappings)
	}
}

func TestAnalyzeTable(t *testing.T) {
	dir := "../../fixtures/lab-timeout-alg"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("fixture lab-timeout-alg not present")
	}
	code, out, stderr := runCLI(t, "analyze", "--lan", dir+"/lan.pcap", "--wan", dir+"/wan.pcap")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// The router's timeout was 10 s (README): the bounds must say so.
	for _, want := range []string{"Clock:", "203.0.113.1:5060", "expired", "UDP timeout: ["} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestAnalyzeBadInvocations(t *testing.T) {
	lan := "../../fixtures/correct/lan.pcap"
	notCapture := filepath.Join(t.TempDir(), "x.pcap")
	os.WriteFile(notCapture, []byte("PK\x03\x04zipzipzip"), 0o644)
	for _, tc := range []struct {
		name    string
		args    []string
		mention string
	}{
		{"one-side", []string{"analyze", "--lan", lan}, "both --lan and --wan"},
		{"same-file", []string{"analyze", "--lan", lan, "--wan", lan}, "same file"},
		{"missing-file", []string{"analyze", "--lan", lan, "--wan", "/nonexistent/wan.pcap"}, "/nonexistent/wan.pcap"},
		{"not-a-capture", []string{"analyze", "--lan", lan, "--wan", notCapture}, "zip"},
		{"stray-arg", []string{"analyze", "--lan", lan, "--wan", lan, "extra"}, "unexpected argument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := runCLI(t, tc.args...)
			if code != exitError || out != "" || !strings.Contains(stderr, tc.mention) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and a mention of %q", code, out, stderr, tc.mention)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("error is not one line: %q", stderr)
			}
		})
	}
}
