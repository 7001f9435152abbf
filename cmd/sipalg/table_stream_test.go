package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/sipalg/sipalg/analyze"
	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/rules"
)

// TestTableStreamedEqualsKept: sipalg analyze draws the table from a
// digest built as the dialogs are judged (analyze.Options.Table), its
// spools here spilling after every 512 bytes; the table, bounded and with
// --all, must be the one drawn from the report kept whole, on every
// paired fixture and on a SIP-heavy pair (more dialogs than fit, and
// registrations that NAT-HIDDEN, a capture-wide rule, names after they
// closed).
func TestTableStreamedEqualsKept(t *testing.T) {
	lan, wan, _ := sipHeavyPair(t)
	cases := []batchCase{{Name: "sip-heavy", LAN: lan, WAN: wan}}
	t.Chdir("../..")
	for _, c := range fixtureBatchCases(t) {
		if _, _, single := c.single(); !single {
			cases = append(cases, c)
		}
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			kept, err := analyzeCase(c, analyze.Options{Version: "test"})
			if err != nil {
				t.Fatal(err)
			}
			for _, all := range []bool{false, true} {
				dg := analyze.NewStreamedTableDigest(tableLimits(all), "", 512)
				streamed, err := analyzeCase(c, analyze.Options{Version: "test", Stream: true, Sink: dg, SpoolBudget: 512})
				if err != nil {
					t.Fatal(err)
				}
				if streamed.Messages != nil || streamed.Findings != nil || streamed.Dialogs != nil {
					t.Fatal("the streamed analysis kept messages, findings or dialogs")
				}
				var a, b bytes.Buffer
				if err := writeReport(streamed, dg, "table", "", all, &a); err != nil {
					t.Fatal(err)
				}
				if err := writeReport(kept, nil, "table", "", all, &b); err != nil {
					t.Fatal(err)
				}
				if a.String() != b.String() {
					n := firstDiffLine(a.Bytes(), b.Bytes())
					t.Errorf("--all=%v: the streamed table differs from the kept report's at line %d:\nstreamed: %s\nkept:     %s", all, n, lineAt(a.Bytes(), n), lineAt(b.Bytes(), n))
				}
				if err := dg.Close(); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// TestTableAllInParts: with --all, a rule's findings and a dialog's
// ladder longer than 1,000 rows are written as several tables, every row
// once, the dialog's heading once and no row counted as left out.
func TestTableAllInParts(t *testing.T) {
	const n = 2500
	dg := analyze.NewStreamedTableDigest(tableLimits(true), t.TempDir(), 4096)
	defer dg.Close()
	b := &match.Batch{Dialog: match.Dialog{ID: 1, Method: "REGISTER", CallIDsLAN: []string{"reg-1"}}, Closed: true}
	var fs []rules.Finding
	for i := 1; i <= n; i++ {
		id, frame := i, i
		b.Messages = append(b.Messages, match.Message{ID: id, Dialog: 1, Method: "REGISTER", Direction: "outbound",
			State: match.Matched, LANFrame: &frame, WANFrame: &frame, TS: int64(i) * 1e9})
		fs = append(fs, rules.Finding{Rule: rules.ViaMapped.ID, Verdict: rules.Correct, Severity: rules.SevInfo, MessageID: &id,
			LANFrame: &frame, WANFrame: &frame, Method: "REGISTER", Field: "Via[0].sent-by", Before: "192.168.1.10:5060", After: "203.0.113.1:5060"})
	}
	if err := dg.Batch(b, fs); err != nil {
		t.Fatal(err)
	}
	if err := dg.Finish(nil); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	rep := &analyze.Report{Inputs: map[string]analyze.Input{}}
	if err := renderTableReport(&out, rep, dg, false, 0); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	want := n/1000 + 1
	for what, got := range map[string]int{
		"finding tables":    len(regexp.MustCompile(`\nLAN +WAN +Method +Field`).FindAllString(s, -1)),
		"ladder tables":     strings.Count(s, "\nTime  "),
		"dialog headings":   strings.Count(s, "\nDialog 1 · REGISTER"),
		"finding rows":      strings.Count(s, "Via[0].sent-by"),
		"ladder rows":       strings.Count(s, " matched "),
		"rows left out (…)": strings.Count(s, "\n…"),
	} {
		exp := map[string]int{"finding tables": want, "ladder tables": want, "dialog headings": 1,
			"finding rows": n, "ladder rows": n, "rows left out (…)": 0}[what]
		if got != exp {
			t.Errorf("%s: %d, want %d", what, got, exp)
		}
	}
}
