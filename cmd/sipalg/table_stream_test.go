package main

import (
	"bytes"
	"testing"

	"github.com/sipalg/sipalg/analyze"
)

// TestTableStreamedEqualsKept: sipalg analyze's table comes from a digest
// built dialog by dialog as the streamed pipeline judges them (dialogs in
// the order they end, some in several batches); it must be the table of
// the report kept whole, bounded and with --all, on every paired fixture.
func TestTableStreamedEqualsKept(t *testing.T) {
	t.Chdir("../..")
	for _, c := range fixtureBatchCases(t) {
		if _, _, single := c.single(); single {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			for _, all := range []bool{false, true} {
				lim := analyze.DefaultTableLimits()
				if all {
					lim = analyze.TableLimits{}
				}
				streamed, err := analyzeCase(c, analyze.Options{Version: "test", Stream: true, Table: &lim, SpoolBudget: 4096})
				if err != nil {
					t.Fatal(err)
				}
				kept, err := analyzeCase(c, analyze.Options{Version: "test"})
				if err != nil {
					t.Fatal(err)
				}
				if streamed.Table == nil {
					t.Fatal("no table digest from the streamed analysis")
				}
				var a, b bytes.Buffer
				render := renderReport
				if all {
					render = renderReportAll
				}
				if err := render(&a, streamed, false); err != nil {
					t.Fatal(err)
				}
				if err := render(&b, kept, false); err != nil {
					t.Fatal(err)
				}
				if a.String() != b.String() {
					t.Errorf("--all=%v: the streamed table differs from the kept report's:\n--- streamed\n%s\n--- kept\n%s", all, a.String(), b.String())
				}
			}
		})
	}
}
