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
	"github.com/sipalg/sipalg/analyze/match"
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
	for i, l := range lines {
		if textWidth(l) > pageWidth {
			t.Errorf("line %d is %d columns wide: %q", i+1, textWidth(l), l)
		}
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
				dl    analyze.TableLimits
				lines int
			}{{analyze.DefaultTableLimits(), maxTableLines}, {analyze.TableLimits{}, 0}} {
				var whole, digested bytes.Buffer
				dg := analyze.TableDigestOf(rep, lim.dl)
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

// TestTableLaddersWhenAllDoNotFit: a digest that kept every dialog (few,
// but long) whose ladders do not fit shows only those with problems.
func TestTableLaddersWhenAllDoNotFit(t *testing.T) {
	rep := dialogsReport("REGISTER", 10, 60, func(id, k int) bool { return id == 4 && k == 30 })
	dg := analyze.TableDigestOf(rep, analyze.DefaultTableLimits())
	if !dg.AllKept {
		t.Fatal("the digest did not keep all 10 dialogs")
	}
	var b bytes.Buffer
	if err := renderTableReport(&b, rep, dg, false, 120); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if n := strings.Count(out, "\n"); n > 120 {
		t.Errorf("%d lines, more than 120:\n%s", n, out)
	}
	if strings.Count(out, "\nDialog ") != 1 || !strings.Contains(out, "\nDialog 4 · REGISTER") || !strings.Contains(out, "1 of 10 dialogs (600 SIP messages) has a problem") {
		t.Errorf("want only dialog 4's ladder (its dropped message):\n%s", out)
	}
	if !strings.Contains(out, "  1 dropped\n") || !strings.Contains(out, " dropped  ") || !strings.Contains(out, " 18 messages") {
		t.Errorf("dialog 4's ladder lacks why it is shown, its dropped message or the cut:\n%s", out)
	}
}

// TestTableLineBoundSweep: whatever the bound, the table stays within it
// once the sections that are always shown fit (here 16 lines), with
// ladders cut and the closing "… and N more" line counted.
func TestTableLineBoundSweep(t *testing.T) {
	rep := dialogsReport("INVITE", 30, 7, func(id, k int) bool { return id%3 == 0 && k == 2 })
	for limit := 40; limit <= 200; limit++ {
		var b bytes.Buffer
		if err := renderTableReport(&b, rep, analyze.TableDigestOf(rep, analyze.DefaultTableLimits()), false, limit); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if n := strings.Count(out, "\n"); n > limit {
			t.Errorf("bound %d: %d lines", limit, n)
		}
		if !strings.Contains(out, "10 of 30 dialogs (210 SIP messages) have problems") {
			t.Fatalf("bound %d: no DIALOGS count:\n%s", limit, out)
		}
		if shown := strings.Count(out, "\nDialog "); shown < 10 && !strings.Contains(out, fmt.Sprintf("… and %d more dialog", 10-shown)) {
			t.Errorf("bound %d: %d ladders and no count of the rest", limit, shown)
		}
	}
}

// dialogsReport is a report of n dialogs of per matched messages each,
// message k of dialog id dropped where dropped says so.
func dialogsReport(method string, n, per int, dropped func(id, k int) bool) *analyze.Report {
	rep := &analyze.Report{Inputs: map[string]analyze.Input{}}
	for id := 1; id <= n; id++ {
		d := match.Dialog{ID: id, Method: method}
		for k := 0; k < per; k++ {
			st := match.Matched
			if dropped(id, k) {
				st = match.Dropped
			}
			rep.Messages = append(rep.Messages, match.Message{ID: len(rep.Messages) + 1, Dialog: id, Method: method, State: st, TS: int64(id*1e9 + k)})
			d.Messages = append(d.Messages, len(rep.Messages)-1)
		}
		rep.Dialogs = append(rep.Dialogs, d)
	}
	return rep
}
