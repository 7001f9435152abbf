package rules

import (
	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/match"
)

// Input is what the rules look at.
type Input struct {
	Correlation *correlate.Result
	Match       *match.Result
}

// Evaluate returns the findings, the fingerprints that fit them, and the
// verdict. Until the catalog exists every field difference is an
// UNEXPLAINED-REWRITE warning, so nothing the diff found is lost.
func Evaluate(in *Input) ([]Finding, []Fingerprint, Summary) {
	var fs []Finding
	var sum Summary
	for i := range in.Match.Messages {
		m := &in.Match.Messages[i]
		for _, c := range m.Changes {
			id := m.ID
			fs = append(fs, Finding{
				Rule: "UNEXPLAINED-REWRITE", Verdict: Warning, Severity: Minor,
				Direction: m.Direction, MessageID: &id, LANFrame: m.LANFrame, WANFrame: m.WANFrame,
				Method: m.Method, Field: c.Field, Before: string(c.Before), After: string(c.After),
				Explanation: "The router changed this field and no rule explains the change.",
				Refs:        []string{},
			})
			sum.Warnings++
		}
	}
	sum.ALGDetected = len(fs) > 0
	return fs, nil, sum
}
