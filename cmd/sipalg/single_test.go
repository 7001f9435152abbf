package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestAnalyzeOneSide: --wan or --lan alone runs single-capture analysis,
// whose table says first that it is single-sided and inferred, and whose
// JSON says so in mode, limits and single.
func TestAnalyzeOneSide(t *testing.T) {
	code, out, stderr := runCLI(t, "analyze", "--wan", "../../fixtures/st530/wan.pcap")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	if !strings.HasPrefix(out, "ONE SIDE single-sided analysis of the WAN capture alone. Everything below is\n         inferred") ||
		!strings.Contains(out, "CALLID-REWRITE-SUSPECTED") || !strings.Contains(out, "What one capture cannot prove:") {
		t.Errorf("table output:\n%s", out)
	}
	code, out, stderr = runCLI(t, "analyze", "--lan", "../../fixtures/lab-call-alg/lan.pcap", "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	var rep struct {
		Mode   string            `json:"mode"`
		Limits []string          `json:"limits"`
		Inputs map[string]any    `json:"inputs"`
		Single map[string]any    `json:"single"`
		Find   []json.RawMessage `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Mode != "single-lan" || len(rep.Limits) == 0 || rep.Single == nil || rep.Inputs["lan"] == nil || rep.Inputs["wan"] != nil {
		t.Errorf("mode %q, %d limits, single %v, inputs %v", rep.Mode, len(rep.Limits), rep.Single, rep.Inputs)
	}
}

func TestAnalyzeOneSideUsage(t *testing.T) {
	for _, args := range [][]string{
		{"analyze"},
		{"analyze", "--wan", "../../fixtures/st530/wan.pcap", "--format", "html"},
		{"analyze", "--lan", "../../fixtures/st530/lan.pcap", "--annotate", "x.pcapng"},
	} {
		if code, _, stderr := runCLI(t, args...); code != exitError || stderr == "" {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr)
		}
	}
}
