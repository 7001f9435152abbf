package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipalg/sipalg/analyze"
	"github.com/sipalg/sipalg/fixtures/benchgen"
)

// sipHeavyPair writes a small SIP-heavy pair of the benchmark's shape
// (fixtures/benchgen: phones placing one-second calls one after the
// other through a correct ALG, registering every 60 s) into a temporary
// directory: 40 phones of 4 calls, 1,000 SIP messages and 160 dialogs a
// side, more than a bounded table has room for.
func sipHeavyPair(t *testing.T) (lan, wan string, c benchgen.Counts) {
	t.Helper()
	cfg := benchgen.Default()
	cfg.Phones, cfg.Call, cfg.Calls, cfg.CallEvery = 40, time.Second, 4, 4*time.Second
	dir := t.TempDir()
	lan, wan = filepath.Join(dir, "lan.pcap"), filepath.Join(dir, "wan.pcap")
	c, err := benchgen.WriteFiles(cfg, lan, wan)
	if err != nil {
		t.Fatal(err)
	}
	return lan, wan, c
}

// TestTableBoundedOnSIPHeavyCapture: the table report of a capture with
// more dialogs than fit stays within maxTableLines, opens with the
// verdict and the timeout bounds, and names every rule that fired with
// its count; --all shows every dialog's ladder.
func TestTableBoundedOnSIPHeavyCapture(t *testing.T) {
	lan, wan, counts := sipHeavyPair(t)
	code, js, stderr := runCLI(t, "analyze", "--lan", lan, "--wan", wan, "--format", "json", "--fail-on", "never")
	if code != 0 {
		t.Fatalf("json: exit %d: %s", code, stderr)
	}
	var rep struct {
		Findings []struct{ Rule, Severity string }
		Messages []struct{ Dialog int }
	}
	if err := json.Unmarshal([]byte(js), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Messages) != counts.SIPMessages {
		t.Fatalf("the JSON report lists %d messages, the pair has %d a side", len(rep.Messages), counts.SIPMessages)
	}
	fired := map[string]int{}
	severity := map[string]string{}
	dialogs := map[int]bool{}
	for _, f := range rep.Findings {
		fired[f.Rule]++
		severity[f.Rule] = f.Severity
	}
	for _, m := range rep.Messages {
		dialogs[m.Dialog] = true
	}

	code, table, stderr := runCLI(t, "analyze", "--lan", lan, "--wan", wan, "--fail-on", "never")
	if code != 0 {
		t.Fatalf("table: exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(table, "\n"), "\n")
	if len(lines) > maxTableLines {
		t.Errorf("the table is %d lines, more than %d", len(lines), maxTableLines)
	}
	if !strings.HasPrefix(lines[0], "VERDICT  ") {
		t.Errorf("the table opens with %q, not the verdict", lines[0])
	}
	timeout := slicesIndexPrefix(lines, "TIMEOUT  ")
	findings := slicesIndexPrefix(lines, "FINDINGS ")
	if timeout < 0 || findings < 0 || timeout > findings {
		t.Errorf("no TIMEOUT line before the findings (at %d, findings at %d)", timeout, findings)
	}
	for rule, n := range fired {
		if want := fmt.Sprintf("%s (%s, %d×)", rule, severity[rule], n); !strings.Contains(table, want) {
			t.Errorf("the table lacks %q", want)
		}
	}
	if len(fired) == 0 {
		t.Error("no rule fired on a capture of a rewriting ALG")
	}
	if !strings.Contains(table, fmt.Sprintf("of %d dialogs (%d SIP messages) have problems", len(dialogs), counts.SIPMessages)) {
		t.Errorf("the DIALOGS section does not count %d dialogs and %d messages:\n%s", len(dialogs), counts.SIPMessages, table)
	}
	if n := strings.Count(table, "\nDialog "); n == 0 || n >= len(dialogs) {
		t.Errorf("%d ladders in the bounded table, want some but fewer than the %d dialogs", n, len(dialogs))
	}

	code, all, stderr := runCLI(t, "analyze", "--lan", lan, "--wan", wan, "--fail-on", "never", "--all")
	if code != 0 {
		t.Fatalf("--all: exit %d: %s", code, stderr)
	}
	if n := strings.Count(all, "\nDialog "); n != len(dialogs) {
		t.Errorf("--all shows %d ladders, want every one of the %d dialogs", n, len(dialogs))
	}
	if n := strings.Count(all, "\n"); n <= maxTableLines {
		t.Errorf("--all is %d lines: the capture is too small to test the bound", n)
	}
}

func slicesIndexPrefix(lines []string, prefix string) int {
	for i, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return i
		}
	}
	return -1
}

// TestTableNeedsOnlyTheDigest: the table renders the same from the
// report's summary and its digest as from the whole report, so it can be
// given the aggregates a streaming pipeline keeps instead of every
// message, finding and dialog.
func TestTableNeedsOnlyTheDigest(t *testing.T) {
	lan, wan, _ := sipHeavyPair(t)
	sipHeavy, err := analyze.Run(lan, wan, analyze.Options{})
	if err != nil {
		t.Fatal(err)
	}
	reps := map[string]*analyze.Report{"sip-heavy": sipHeavy}
	if _, err := os.Stat("../../fixtures/zyxel660"); err == nil {
		t.Chdir("../..")
		_, reps["zyxel660"] = goldenJSON(t, batchCase{Name: "zyxel660", LAN: "fixtures/zyxel660/lan.pcap", WAN: "fixtures/zyxel660/wan.pcap"})
	}
	for name, rep := range reps {
		t.Run(name, func(t *testing.T) {
			for _, lim := range []struct {
				dl    analyze.DigestLimits
				lines int
			}{{analyze.DefaultDigestLimits(), maxTableLines}, {analyze.DigestLimits{}, 0}} {
				var whole, digested bytes.Buffer
				dg := analyze.DigestOf(rep, lim.dl)
				if err := renderTableReport(&whole, rep, dg, false, lim.lines); err != nil {
					t.Fatal(err)
				}
				summary := *rep
				summary.Messages, summary.Findings, summary.Dialogs = nil, nil, nil
				if err := renderTableReport(&digested, &summary, dg, false, lim.lines); err != nil {
					t.Fatal(err)
				}
				if whole.String() != digested.String() {
					t.Errorf("limit %d: the table differs without the messages (line %d: %q)", lim.lines,
						firstDiffLine(whole.Bytes(), digested.Bytes()), lineAt(digested.Bytes(), firstDiffLine(whole.Bytes(), digested.Bytes())))
				}
			}
		})
	}
}
