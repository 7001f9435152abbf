package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/sipalg/sipalg/rules"
)

// TestRulesDocInSync keeps docs/rules.md what `sipalg rules --format
// markdown` prints.
func TestRulesDocInSync(t *testing.T) {
	code, out, stderr := runCLI(t, "rules", "--format", "markdown")
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	want, err := os.ReadFile("../../docs/rules.md")
	if err != nil || string(want) != out {
		t.Fatalf("docs/rules.md is not what `sipalg rules --format markdown` prints (%v); regenerate it with:\n  make docs\nor\n  go run ./cmd/sipalg rules --format markdown > docs/rules.md", err)
	}
}

func TestRulesListsTheCatalog(t *testing.T) {
	cat := allRules()
	code, out, _ := runCLI(t, "rules")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, r := range cat {
		if !strings.Contains(out, r.ID+" ") {
			t.Errorf("table lacks %s", r.ID)
		}
	}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if textWidth(l) > pageWidth {
			t.Errorf("line wider than %d columns: %q", pageWidth, l)
		}
	}
	code, out, _ = runCLI(t, "rules", "--format", "json")
	var got []struct {
		ID       string   `json:"id"`
		Verdict  string   `json:"verdict"`
		Severity string   `json:"severity"`
		Title    string   `json:"title"`
		Refs     []string `json:"refs"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != exitOK {
		t.Fatalf("exit %d, JSON %v", code, err)
	}
	if len(got) != len(cat) {
		t.Fatalf("%d rules in JSON, catalog has %d", len(got), len(cat))
	}
	for i, r := range got {
		if r.ID != cat[i].ID || r.Verdict != string(cat[i].Verdict) || r.Title == "" || r.Refs == nil {
			t.Errorf("rule %d: %+v", i, r)
		}
	}
}

// TestCatalogShape holds the catalog to what the reports and --fail-on
// rely on: unique IDs, known verdicts and severities, one-line titles.
func TestCatalogShape(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range allRules() {
		if seen[r.ID] {
			t.Errorf("duplicate rule ID %s", r.ID)
		}
		seen[r.ID] = true
		if r.Verdict.Rank() == 0 && r.Verdict != rules.Correct {
			t.Errorf("%s: unknown verdict %q", r.ID, r.Verdict)
		}
		switch r.Severity {
		case rules.Critical, rules.Major, rules.Minor, rules.SevInfo:
		default:
			t.Errorf("%s: unknown severity %q", r.ID, r.Severity)
		}
		if r.Title == "" || strings.Contains(r.Title, "\n") {
			t.Errorf("%s: title %q is not one line", r.ID, r.Title)
		}
	}
	for _, id := range []string{"UNEXPLAINED-REWRITE", "CALLID-REWRITTEN", "ALG-ABSENT"} {
		if !seen[id] {
			t.Errorf("catalog lacks %s (DESIGN.md)", id)
		}
	}
}
