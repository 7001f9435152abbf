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

// TestFingerprints checks that each fixture of a known router ranks that
// router first: the seed's routers their own profile, the kernel's ALG
// the nf_nat_sip profile, no ALG the no-alg profile.
func TestFingerprints(t *testing.T) {
	want := map[string]string{
		"st530": "st530", "zyxel660": "zyxel660", "wgr614": "wgr614", "wrv200": "wrv200",
		"none": "no-alg", "lab-call-noalg": "no-alg",
		"lab-call-alg": "linux-nf_nat_sip", "lab-tcp-alg": "linux-nf_nat_sip", "lab-transfer-alg": "linux-nf_nat_sip",
		"lab-transfer-escaped-alg": "linux-nf_nat_sip", "lab-timeout-alg": "linux-nf_nat_sip",
	}
	for name, profile := range want {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("..", "fixtures", name)
			rep, err := analyze.Run(filepath.Join(dir, "lan.pcap"), filepath.Join(dir, "wan.pcap"), analyze.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Fingerprints) == 0 || rep.Fingerprints[0].Profile != profile {
				t.Fatalf("fingerprints %+v, want %s first", rep.Fingerprints, profile)
			}
			if rep.Fingerprints[0].DisableHint == "" {
				t.Error("no advice on turning the ALG off")
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
