package rules_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/sipalg/sipalg/analyze"
	"github.com/sipalg/sipalg/rules"
)

// singleCase is case.json of a single-capture fixture.
type singleCase struct {
	Side    string   `json:"side"`
	Capture string   `json:"capture"`
	Must    []string `json:"must"`
	MustNot []string `json:"must_not"`
}

// singleDirs lists the single-capture fixtures (fixtures/single-*).
func singleDirs(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("..", "fixtures", "single-*", "case.json"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no single-capture fixtures: %v", err)
	}
	for i := range dirs {
		dirs[i] = filepath.Dir(dirs[i])
	}
	return dirs
}

func readSingleCase(t *testing.T, dir string) singleCase {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "case.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cs singleCase
	if err := json.Unmarshal(raw, &cs); err != nil {
		t.Fatal(err)
	}
	if cs.Side != "lan" && cs.Side != "wan" || cs.Capture == "" {
		t.Fatalf("case.json: side %q, capture %q", cs.Side, cs.Capture)
	}
	return cs
}

// TestSingleFixtures runs single-capture analysis on every fixtures/single-*
// case: every must rule fires, no must-not rule does, every finding is a
// single-capture rule's with a warning or info verdict and evidence
// frames, and two runs give the same report. (cmd/sipalg's TestGolden
// compares the reports with the cases' expected.json, as batch finds the
// cases.)
func TestSingleFixtures(t *testing.T) {
	dirs := singleDirs(t)
	t.Chdir("..") // report paths relative to the repository root, as batch writes them
	for _, dir := range dirs {
		dir, err := filepath.Rel("..", dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			cs := readSingleCase(t, dir)
			rep := mustRunSingle(t, filepath.Join(dir, cs.Capture), cs.Side)
			checkSingle(t, rep, cs.Must, cs.MustNot)
			b, again := reportJSON(t, rep), reportJSON(t, mustRunSingle(t, filepath.Join(dir, cs.Capture), cs.Side))
			if !bytes.Equal(b.Bytes(), again.Bytes()) {
				t.Fatal("two runs on the same capture gave different reports: the output is not deterministic")
			}
		})
	}
}

func mustRunSingle(t *testing.T, path, side string) *analyze.Report {
	t.Helper()
	rep, err := analyze.RunSingle(path, side, analyze.Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func reportJSON(t *testing.T, rep *analyze.Report) *bytes.Buffer {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		t.Fatal(err)
	}
	return &b
}

// checkSingle checks a single-capture report's findings.
func checkSingle(t *testing.T, rep *analyze.Report, must, mustNot []string) {
	t.Helper()
	if !strings.HasPrefix(rep.Mode, "single-") || len(rep.Limits) == 0 || rep.Single == nil {
		t.Errorf("mode %q, %d limits, single %v: the report does not say it is single-sided", rep.Mode, len(rep.Limits), rep.Single)
	}
	fired := map[string]int{}
	for _, f := range rep.Findings {
		fired[f.Rule]++
		r, ok := rules.Lookup(f.Rule)
		switch {
		case !ok || r.CheckSingle == nil:
			t.Errorf("finding of %q, not a single-capture rule", f.Rule)
		case f.Verdict != rules.Warning && f.Verdict != rules.Info:
			t.Errorf("%s: verdict %s", f.Rule, f.Verdict)
		case len(f.Frames) == 0 || f.Frames[0] <= 0:
			t.Errorf("%s: no evidence frames: %s", f.Rule, f.Explanation)
		}
	}
	for _, id := range must {
		if fired[id] == 0 {
			t.Errorf("%s did not fire", id)
		}
	}
	for _, id := range mustNot {
		if fired[id] > 0 {
			for _, f := range rep.Findings {
				if f.Rule == id {
					t.Errorf("%s fired: frames %v %s: %s", id, f.Frames, f.Field, f.Explanation)
					break
				}
			}
		}
	}
	var ids []string
	for id, n := range fired {
		ids = append(ids, fmt.Sprintf("%s×%d", id, n))
	}
	sort.Strings(ids)
	t.Logf("fired: %s; %s", strings.Join(ids, " "), rep.Verdict.Summary)
}

// cleanCases are the fixtures whose router does nothing harmful (a correct
// ALG, real or emulated, or no ALG): single-capture analysis of either of
// their sides must raise no warning.
var cleanCases = []string{"correct", "none", "lab-call-alg", "lab-call-noalg", "lab-register-alg",
	"lab-tcp-alg", "lab-transfer-alg", "lab-transfer-escaped-alg"}

// TestSingleQuietOnCleanSides analyses each side of the clean fixtures
// alone: information at most, and the information a VoIP engineer would
// give (an ALG's footprint where there is an ALG, none where there is not).
func TestSingleQuietOnCleanSides(t *testing.T) {
	for _, name := range cleanCases {
		for _, side := range []string{"lan", "wan"} {
			t.Run(name+"/"+side, func(t *testing.T) {
				rep, err := analyze.RunSingle(filepath.Join("..", "fixtures", name, side+".pcap"), side, analyze.Options{})
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range rep.Findings {
					if f.Verdict != rules.Info {
						t.Errorf("%s (%s) on a clean capture: frames %v: %s", f.Rule, f.Verdict, f.Frames, f.Explanation)
					}
				}
				noALG := name == "none" || name == "lab-call-noalg"
				fired := map[string]bool{}
				for _, f := range rep.Findings {
					fired[f.Rule] = true
				}
				if noALG && fired[rules.ALGRewriteSuspected.ID] {
					t.Errorf("ALG-REWRITE-SUSPECTED without an ALG")
				}
				if !noALG && fired[rules.ALGAbsentSuspected.ID] {
					t.Errorf("ALG-ABSENT-SUSPECTED with an ALG")
				}
				if side == "wan" && noALG && !fired[rules.ALGAbsentSuspected.ID] {
					t.Errorf("no ALG-ABSENT-SUSPECTED on the WAN side of a router without ALG")
				}
				if side == "wan" && !noALG && !fired[rules.ALGRewriteSuspected.ID] {
					t.Errorf("no ALG-REWRITE-SUSPECTED on the WAN side of an ALG that left the Call-ID private")
				}
				if fired[rules.NATAbsentSuspected.ID] {
					t.Errorf("NAT-ABSENT-SUSPECTED behind a NAT")
				}
			})
		}
	}
}

// TestSingleCatalog checks that every single-capture rule can be explained
// to a user, infers (warning or info), is kept out of the paired catalog,
// and has a fixture where it fires and one where it must stay silent.
func TestSingleCatalog(t *testing.T) {
	fires, silent := map[string]bool{}, map[string]bool{}
	for _, dir := range singleDirs(t) {
		cs := readSingleCase(t, dir)
		for _, id := range cs.Must {
			fires[id] = true
		}
		for _, id := range cs.MustNot {
			silent[id] = true
		}
	}
	seen := map[string]bool{}
	for _, r := range rules.SingleCatalog() {
		t.Run(r.ID, func(t *testing.T) {
			switch {
			case seen[r.ID]:
				t.Error("listed twice")
			case r.Title == "" || r.Text == "" || r.Fix == "" || len(r.Refs) == 0 || r.Since == "":
				t.Error("Title, Text, Fix, Refs or Since empty")
			case r.CheckSingle == nil || r.Check != nil || r.Claim != nil:
				t.Error("a single-capture rule has CheckSingle and nothing else")
			case r.Verdict != rules.Warning && r.Verdict != rules.Info:
				t.Errorf("verdict %s: one side can only suspect", r.Verdict)
			case !strings.HasSuffix(r.ID, "-SUSPECTED"):
				t.Error("single-capture rule IDs end in -SUSPECTED")
			case slices.Contains(rules.Catalog(), r):
				t.Error("in the paired catalog")
			case !fires[r.ID]:
				t.Error("no fixtures/single-* case where it must fire")
			case !silent[r.ID]:
				t.Error("no fixtures/single-* case where it must stay silent")
			}
			seen[r.ID] = true
			if got, ok := rules.Lookup(r.ID); !ok || got != r {
				t.Error("Lookup does not find it")
			}
		})
	}
}
