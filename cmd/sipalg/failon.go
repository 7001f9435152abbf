package main

import (
	"fmt"

	"github.com/sipalg/sipalg/analyze"
	"github.com/sipalg/sipalg/rules"
)

// failOn is the --fail-on threshold: the verdict rank at or above which a
// finding makes the exit code 1; 0 means never.
type failOn struct {
	name string
	rank int
}

func parseFailOn(s string) (failOn, error) {
	switch s {
	case "bad":
		return failOn{s, rules.Bad.Rank()}, nil
	case "warning":
		return failOn{s, rules.Warning.Rank()}, nil
	case "never":
		return failOn{s, 0}, nil
	}
	return failOn{}, fmt.Errorf("--fail-on must be bad, warning or never, not %q", s)
}

// worst is the highest-ranked verdict among the report's findings, or ""
// when there are none. A streamed report holds no findings: its verdict's
// counts tell bad and warning, the only thresholds of --fail-on and of
// batch's summary, and below them it answers "".
func worst(rep *analyze.Report) rules.Verdict {
	if rep.Streamed() {
		switch {
		case rep.Verdict.Bad > 0:
			return rules.Bad
		case rep.Verdict.Warnings > 0:
			return rules.Warning
		}
		return ""
	}
	var w rules.Verdict
	for _, f := range rep.Findings {
		if w == "" || f.Verdict.Rank() > w.Rank() {
			w = f.Verdict
		}
	}
	return w
}

// exitCode is the exit code of a successful analysis: 1 when a finding
// reaches the threshold.
func (f failOn) exitCode(rep *analyze.Report) int {
	if f.rank > 0 && worst(rep).Rank() >= f.rank {
		return exitFindings
	}
	return exitOK
}
