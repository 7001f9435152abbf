package main

import (
	"bytes"
	"testing"

	"github.com/sipalg/sipalg/analyze"
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
