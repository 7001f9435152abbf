package main

import (
	"bytes"
	"encoding/json"
	"regexp"
	"testing"

	"github.com/sipalg/sipalg/analyze"
	"github.com/sipalg/sipalg/analyze/correlate"
)

// emptyBound matches a bound that says nothing written as if it said
// something: "≥0.0s", "more than 0.0 s idle", "at least 0.0 s",
// "between 0.0 s and", "survived 0.0 s", and a bound printed as "?".
var emptyBound = regexp.MustCompile(`(≥|at least |more than |between |survived )0\.0 ?s|between \? and|and \?`)

// TestNoEmptyBounds renders every fixture as table, JSON and HTML and
// checks that no timeout or lifetime bound is an empty one: a lower bound
// is at least correlate.MinIdleBound or unknown, and no text prints a
// zero (or missing) bound as a bound.
func TestNoEmptyBounds(t *testing.T) {
	t.Chdir("../..")
	for _, c := range fixtureBatchCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			rep, err := analyzeCase(c, analyze.Options{Version: goldenVersion})
			if err != nil {
				t.Fatal(err)
			}
			low := func(what string, b correlate.Bounds) {
				if b.Lower != nil && *b.Lower < correlate.MinIdleBound.Seconds() {
					t.Errorf("%s: lower bound %g s, below %v: that is no bound", what, *b.Lower, correlate.MinIdleBound)
				}
			}
			low("nat.udp_timeout_s", rep.NAT.UDPTimeout)
			for _, m := range rep.Mappings {
				low("mapping "+m.LAN.String()+" lifetime_s", m.Lifetime)
			}
			for _, format := range []string{"table", "json", "html"} {
				var b bytes.Buffer
				if err := writeReport(rep, nil, format, "", false, &b); err != nil {
					t.Fatal(err)
				}
				out := b.String()
				if format == "json" {
					var v any // the JSON is checked through rep above; here only that it parses
					if err := json.Unmarshal(b.Bytes(), &v); err != nil {
						t.Fatal(err)
					}
				}
				if m := emptyBound.FindString(out); m != "" {
					i := emptyBound.FindStringIndex(out)[0]
					t.Errorf("%s output shows an empty bound %q: …%s…", format, m, out[max(0, i-80):min(len(out), i+40)])
				}
			}
		})
	}
}
