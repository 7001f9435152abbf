package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestLimitFlag checks --limit: the list of bounds, a bound lowered until
// it bites (the report says what it left out), and bad values.
func TestLimitFlag(t *testing.T) {
	code, out, _ := runCLI(t, "analyze", "--limit", "help")
	if code != exitOK || !strings.Contains(out, "messages") || !strings.Contains(out, "200000") {
		t.Errorf("--limit help: exit %d\n%s", code, out)
	}
	lan, wan := "../../fixtures/st530/lan.pcap", "../../fixtures/st530/wan.pcap"
	// Paired analysis keeps only the dialogs open at a time: that is the
	// bound that bites, and no message is left out of the report.
	code, out, stderr := runCLI(t, "analyze", "--format", "json", "--fail-on", "never", "--limit", "open-dialogs=1", "--lan", lan, "--wan", wan)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Messages []json.RawMessage `json:"messages"`
		Warnings []string          `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	// st530 has 21 SIP messages (fixtures/st530/truth.json).
	if len(rep.Messages) != 21 || !strings.Contains(strings.Join(rep.Warnings, "\n"), "more than 1 dialogs open at once") {
		t.Errorf("--limit open-dialogs=1: %d messages, warnings %q", len(rep.Messages), rep.Warnings)
	}
	for _, bad := range []string{"messages", "messages=0", "messages=x", "nosuch=4", "sip-bytes=99999999999G"} {
		code, _, stderr := runCLI(t, "analyze", "--limit", bad, "--lan", lan, "--wan", wan)
		if code != exitError || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "--limit") {
			t.Errorf("--limit %s: exit %d, stderr %q", bad, code, stderr)
		}
	}
	if n, err := parseSize("64k"); err != nil || n != 64<<10 {
		t.Errorf("parseSize(64k) = %d, %v", n, err)
	}
}
