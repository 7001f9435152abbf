package rules_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/sipalg/sipalg/analyze"
	"github.com/sipalg/sipalg/fixtures/algsim"
	"github.com/sipalg/sipalg/rules"
)

// caseFile is the hand-written intent of a fixture: the rules a person
// reading the capture decided must and must not fire.
type caseFile struct {
	Must    []string `json:"must"`
	MustNot []string `json:"must_not"`
}

// allowed lists, per reason the emulator logged, the verdicts a rewrite
// may get.
var allowed = map[string][]string{
	"mapped":           {"VIA-MAPPED", "CONTACT-MAPPED", "SDP-CONNECTION-MAPPED", "SDP-ORIGIN-MAPPED", "SDP-MEDIA-MAPPED", "SDP-RTCP-MAPPED"},
	"restored":         {"INBOUND-RESTORED"},
	"wrong-port":       {"MAPPING-MISMATCH"},
	"blind-replace":    {"CALLID-REWRITTEN", "BLIND-REPLACE", "MAPPING-MISMATCH", "VIA-MAPPED", "CONTACT-MAPPED", "SDP-CONNECTION-MAPPED", "SDP-ORIGIN-MAPPED", "INBOUND-RESTORED"},
	"content-length":   {"CONTENT-LENGTH-UPDATED"},
	"separator-lost":   {"PARAM-SEPARATOR-LOST"},
	"port-overflow":    {"PORT-OUT-OF-RANGE"},
	"refer-to-replace": {"REFER-TO-MISMATCH"},
}

func fixtureDirs(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("..", "fixtures", "*", "case.json"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for i := range dirs {
		dirs[i] = filepath.Dir(dirs[i])
	}
	return dirs
}

// TestFixtures runs the whole pipeline on every fixture and checks the
// findings against case.json: every must rule fires, no must-not rule
// does, no rewrite stays unexplained; on the emulated fixtures each logged
// rewrite gets a verdict its reason allows.
func TestFixtures(t *testing.T) {
	for _, dir := range fixtureDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			lan, wan := filepath.Join(dir, "lan.pcap"), filepath.Join(dir, "wan.pcap")
			for _, side := range []string{lan, wan} {
				if _, err := os.Stat(side); err != nil {
					t.Skipf("not a lan.pcap/wan.pcap pair (single-capture cases are in single_fixtures_test.go): %v", err)
				}
			}
			raw, err := os.ReadFile(filepath.Join(dir, "case.json"))
			if err != nil {
				t.Fatal(err)
			}
			var cs caseFile
			if err := json.Unmarshal(raw, &cs); err != nil {
				t.Fatal(err)
			}
			rep, err := analyze.Run(lan, wan, analyze.Options{})
			if err != nil {
				t.Fatal(err)
			}
			fired := map[string]int{}
			for _, f := range rep.Findings {
				fired[f.Rule]++
			}
			for _, id := range cs.Must {
				if fired[id] == 0 {
					t.Errorf("%s did not fire", id)
				}
			}
			for _, id := range cs.MustNot {
				if fired[id] > 0 {
					for _, f := range rep.Findings {
						if f.Rule == id {
							t.Errorf("%s fired: %s %s lan %s wan %s %s %q → %q: %s", id, f.Direction, f.Method, fr(f.LANFrame), fr(f.WANFrame), f.Field, f.Before, f.After, f.Explanation)
							break
						}
					}
				}
			}
			for _, f := range rep.Findings {
				if f.Rule == rules.UnexplainedRewrite.ID {
					t.Errorf("unexplained: %s %s lan %s wan %s %s %q → %q", f.Direction, f.Method, fr(f.LANFrame), fr(f.WANFrame), f.Field, f.Before, f.After)
				}
				if _, ok := rules.Lookup(f.Rule); !ok {
					t.Errorf("finding with unknown rule %q", f.Rule)
				}
			}
			checkTruth(t, dir, rep)
			var ids []string
			for id := range fired {
				ids = append(ids, fmt.Sprintf("%s×%d", id, fired[id]))
			}
			sort.Strings(ids)
			t.Logf("fired: %s", strings.Join(ids, " "))
		})
	}
}

func checkTruth(t *testing.T, dir string, rep *analyze.Report) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "truth.json"))
	if err != nil {
		return // a recording: no generator log
	}
	var tr algsim.Truth
	if err := json.Unmarshal(raw, &tr); err != nil {
		t.Fatal(err)
	}
	verdicts := map[string][]string{}
	for _, f := range rep.Findings {
		if r, ok := rules.Lookup(f.Rule); !ok || r.Claim == nil {
			continue // a finding about the message, not a verdict on a field
		}
		k := fr(f.LANFrame) + "/" + fr(f.WANFrame) + " " + f.Field
		verdicts[k] = append(verdicts[k], f.Rule)
	}
	for _, m := range tr.Messages {
		if m.LANFrame == nil || m.WANFrame == nil {
			continue // dropped: the rewrite never reached the wire
		}
		for _, r := range m.Rewrites {
			k := fr(m.LANFrame) + "/" + fr(m.WANFrame) + " " + r.Field
			got := verdicts[k]
			if len(got) != 1 {
				t.Errorf("%s (%s): %d verdicts %v, want exactly one", k, r.Why, len(got), got)
				continue
			}
			if ok := allowed[r.Why]; !slices.Contains(ok, got[0]) {
				t.Errorf("%s (%s): verdict %s, want one of %v", k, r.Why, got[0], ok)
			}
		}
	}
}

func fr(p *int) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprint(*p)
}

// fingerprintFacts are the profiles each paired fixture may rank first,
// read from how it was made: the seed's routers their own profile, the
// emulated generic ALGs (algsim) "undetermined", no ALG the no-alg
// profile. The lab recordings carry theirs in case.json ("fingerprint").
var fingerprintFacts = map[string][]string{
	"st530": {"st530"}, "zyxel660": {"zyxel660"}, "wgr614": {"wgr614"}, "wrv200": {"wrv200"}, "none": {"no-alg"},
	"correct": {rules.Undetermined}, "ice": {rules.Undetermined}, "port-overflow": {rules.Undetermined},
	"semicolon": {rules.Undetermined}, "stale-length": {rules.Undetermined}, "short-timeout": {rules.Undetermined},
}

// TestFingerprints checks every paired fixture, every lab recording
// included: its true profile ranks first (or undetermined where the case
// allows it), the verdict names no other router, undetermined gives no
// vendor's advice as if it were known, and a profile known by name only
// never ranks above one whose behaviour was seen.
func TestFingerprints(t *testing.T) {
	for _, dir := range fixtureDirs(t) {
		name := filepath.Base(dir)
		lan, wan := filepath.Join(dir, "lan.pcap"), filepath.Join(dir, "wan.pcap")
		if _, err := os.Stat(lan); err != nil {
			continue // one-file case (its golden checks the same traffic as st530's)
		}
		if _, err := os.Stat(wan); err != nil {
			continue // single-capture case: no fingerprints
		}
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, "case.json"))
			if err != nil {
				t.Fatal(err)
			}
			var cs struct {
				Fingerprint []string `json:"fingerprint"`
			}
			if err := json.Unmarshal(raw, &cs); err != nil {
				t.Fatal(err)
			}
			want := cs.Fingerprint
			if want == nil {
				want = fingerprintFacts[name]
			}
			if len(want) == 0 {
				t.Fatalf("no fingerprint fact for %s: add \"fingerprint\" to its case.json", name)
			}
			rep, err := analyze.Run(lan, wan, analyze.Options{})
			if err != nil {
				t.Fatal(err)
			}
			fps := rep.Fingerprints
			if len(fps) == 0 || !slices.Contains(want, fps[0].Profile) {
				t.Fatalf("fingerprints %+v, want one of %v first", fps, want)
			}
			if fps[0].DisableHint == "" {
				t.Error("no advice on turning the ALG off")
			}
			first := fps[0].Profile
			for _, p := range rules.ProfileIDs() {
				if p != first && strings.Contains(rep.Verdict.Summary, "looks like "+rules.ProfileTitle(p)) {
					t.Errorf("verdict names %s: %s", p, rep.Verdict.Summary)
				}
			}
			if first == rules.Undetermined {
				if strings.Contains(rep.Verdict.Summary, "looks like") {
					t.Errorf("undetermined, yet the verdict names a router: %s", rep.Verdict.Summary)
				}
				if !strings.Contains(rep.Verdict.Summary, "not enough to tell them apart") {
					t.Errorf("undetermined, and the verdict does not say so: %s", rep.Verdict.Summary)
				}
				for _, fp := range fps[1:] {
					if fp.DisableHint == fps[0].DisableHint {
						t.Errorf("undetermined advice is %s's", fp.Profile)
					}
					if fp.Profile == "no-alg" && rep.Verdict.ALGDetected {
						t.Error("no-alg listed as possible on a capture with rewrites")
					}
				}
			}
			peplink := slices.IndexFunc(fps, func(f rules.Fingerprint) bool { return f.Profile == "peplink" })
			for i, fp := range fps {
				if peplink >= 0 && i > peplink && fp.Profile != rules.Undetermined && fp.Score >= fps[peplink].Score {
					t.Errorf("peplink (hearsay) ranked above %s: %+v", fp.Profile, fps)
				}
			}
		})
	}
}

// TestREADMEListsTheCatalog keeps the README's rule table true: every rule
// of paired analysis is named there.
func TestREADMEListsTheCatalog(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules.Catalog() {
		if !strings.Contains(string(raw), r.ID) {
			t.Errorf("README.md does not name %s", r.ID)
		}
	}
}
