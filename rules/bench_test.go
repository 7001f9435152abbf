package rules_test

import (
	"testing"

	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/rules"
)

// BenchmarkBatch judges the dialogs of one phone of the SIP-heavy
// benchmark pairs (a registration and a call, 13 messages with 25
// rewrites) as the streaming pipeline hands them over: the work of the
// one goroutine that judges a capture's dialogs in order (issue 15),
// each list of findings given back as the JSON report's writer does.
func BenchmarkBatch(b *testing.B) {
	sc, err := loadScenario("testdata/bench-phone.txtar")
	if err != nil {
		b.Fatal(err)
	}
	mr := match.Build(sc.res, match.Limits{})
	var batches []*match.Batch
	for _, d := range mr.Dialogs {
		bt := &match.Batch{Dialog: d, Closed: true}
		for _, i := range d.Messages {
			bt.Messages = append(bt.Messages, mr.Messages[i])
		}
		batches = append(batches, bt)
	}
	e := rules.NewEvaluator(sc.res, rules.DialogLookup{})
	defer e.Close()
	n := 0
	for _, bt := range batches {
		n += len(e.Batch(bt))
	}
	if n < 25 {
		b.Fatalf("%d findings, want one per rewrite at least", n)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, bt := range batches {
			// The JSON report's writer gives each list back once written.
			rules.ReleaseFindings(e.Batch(bt))
		}
	}
}
