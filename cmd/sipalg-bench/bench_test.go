package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestCountReport: the messages of each side are counted by their frame
// on that side (a dropped message has none on one side), the other
// members are skipped whatever their shape, and the warnings are read.
func TestCountReport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	report := `{"schema_version": 1, "mappings": [{"lan": "a", "nested": {"x": [1, 2]}}],
	"messages": [
		{"id": 1, "lan_frame": 1, "wan_frame": 2, "method": "INVITE"},
		{"id": 2, "lan_frame": null, "wan_frame": 3},
		{"id": 3, "lan_frame": 4, "wan_frame": null}
	],
	"findings": [], "warnings": ["a limit was reached", "another"]}`
	if err := os.WriteFile(path, []byte(report), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := countReport(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.lan != 2 || c.wan != 2 || !slices.Equal(c.warnings, []string{"a limit was reached", "another"}) {
		t.Errorf("counted %d LAN, %d WAN, warnings %q; want 2, 2 and both warnings", c.lan, c.wan, c.warnings)
	}
	if err := os.WriteFile(path, []byte(`{"messages": [{"id": 1,`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := countReport(path); err == nil {
		t.Error("a cut report: no error")
	}
}
