package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// fixturePcap is a committed capture every clone has.
func fixturePcap(t *testing.T) string {
	t.Helper()
	matches, _ := filepath.Glob("../../fixtures/*/lan.pcap")
	if len(matches) == 0 {
		t.Skip("no fixture captures committed yet")
	}
	return matches[0]
}

func TestFlowsJSON(t *testing.T) {
	code, out, stderr := runCLI(t, "flows", "--format", "json", fixturePcap(t))
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"packets", "bytes", "sip_messages", "link_types", "flows", "warnings", "sip_messages_with_errors", "diagnostics"} {
		if _, ok := r[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	flows, _ := r["flows"].([]any)
	if len(flows) == 0 {
		t.Fatal("no flows")
	}
	for _, k := range []string{"proto", "src", "dst", "packets", "kind"} {
		if _, ok := flows[0].(map[string]any)[k]; !ok {
			t.Errorf("flow lacks %q", k)
		}
	}
	if r["sip_messages"].(float64) == 0 {
		t.Error("no SIP messages in a fixture")
	}
}

func TestFlowsTable(t *testing.T) {
	code, out, _ := runCLI(t, "flows", fixturePcap(t))
	if code != exitOK || !strings.Contains(out, "SIP:") || !strings.Contains(out, "sip") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}

func TestBadInvocations(t *testing.T) {
	dir := t.TempDir()
	notCapture := filepath.Join(dir, "page.pcap")
	os.WriteFile(notCapture, []byte("<html><body>404</body></html>"), 0o644)
	empty := filepath.Join(dir, "empty.pcap")
	os.WriteFile(empty, nil, 0o644)
	for _, tc := range []struct {
		name    string
		args    []string
		mention string
	}{
		{"no-command", nil, "Usage"},
		{"unknown-command", []string{"frobnicate"}, "unknown command"},
		{"missing-file", []string{"flows", filepath.Join(dir, "nope.pcap")}, "nope.pcap"},
		{"no-file", []string{"flows"}, "exactly one"},
		{"not-a-capture", []string{"flows", notCapture}, "HTML"},
		{"empty", []string{"flows", empty}, "empty"},
		{"directory", []string{"flows", dir}, "directory"},
		{"bad-format", []string{"flows", "--format", "xml", notCapture}, "--format"},
		{"bad-flag", []string{"flows", "--frobnicate"}, "unknown flag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := runCLI(t, tc.args...)
			if code != exitError {
				t.Errorf("exit %d, want 2", code)
			}
			if out != "" {
				t.Errorf("stdout not empty: %q", out)
			}
			if !strings.Contains(stderr, tc.mention) {
				t.Errorf("stderr %q should mention %q", stderr, tc.mention)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, "version")
	if code != exitOK || !strings.HasPrefix(out, "sipalg ") {
		t.Fatalf("exit %d out %q", code, out)
	}
}

// TestOneSidedMemory: a one-sided analysis raises the soft memory limit
// to oneSidedMemoryLimit (in proportion to the SIP text it keeps, past
// the default 64 MiB) and paces the collector at oneSidedGCPercent, unless GOMEMLIMIT (then
// nothing changes) or GOGC (then the pacing stays) was given.
func TestOneSidedMemory(t *testing.T) {
	limit, pct := debug.SetMemoryLimit(-1), debug.SetGCPercent(-1)
	debug.SetGCPercent(pct)
	defer func() {
		debug.SetMemoryLimit(limit)
		debug.SetGCPercent(pct)
	}()
	for _, tc := range []struct {
		memlimit, gogc string
		sipBytes       int
		wantLimit      int64
		wantPct        int
	}{
		{"", "", 0, oneSidedMemoryLimit, oneSidedGCPercent},
		{"", "", 64 << 20, oneSidedMemoryLimit, oneSidedGCPercent},
		{"", "", 256 << 20, 4 * oneSidedMemoryLimit, oneSidedGCPercent}, // --limit sip-bytes=256M
		{"", "200", 0, oneSidedMemoryLimit, 100},
		{"300MiB", "", 0, softMemoryLimit, 100},
	} {
		t.Setenv("GOMEMLIMIT", tc.memlimit)
		t.Setenv("GOGC", tc.gogc)
		debug.SetMemoryLimit(softMemoryLimit)
		debug.SetGCPercent(100)
		oneSidedMemory(tc.sipBytes)
		if got := debug.SetMemoryLimit(-1); got != tc.wantLimit {
			t.Errorf("GOMEMLIMIT=%q GOGC=%q: memory limit %d, want %d", tc.memlimit, tc.gogc, got, tc.wantLimit)
		}
		got := debug.SetGCPercent(100)
		if got != tc.wantPct {
			t.Errorf("GOMEMLIMIT=%q GOGC=%q: GC percent %d, want %d", tc.memlimit, tc.gogc, got, tc.wantPct)
		}
	}
}
