package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(nil, &out, &errb); code != 2 {
		t.Errorf("no arguments: exit %d, want 2", code)
	}
	if code := run([]string{"-profile", "nope", "-lan", "x", "-o", "y"}, &out, &errb); code != 2 {
		t.Errorf("unknown profile: exit %d, want 2", code)
	}
}

func TestRunSynthThenEmulate(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.pcap")
	var out, errb bytes.Buffer
	if code := run([]string{"-synth", "-profile", "short-timeout", "-o", src}, &out, &errb); code != 0 {
		t.Fatalf("-synth: exit %d: %s", code, errb.String())
	}
	caseDir := filepath.Join(dir, "case")
	if code := run([]string{"-profile", "short-timeout", "-lan", src, "-o", caseDir}, &out, &errb); code != 0 {
		t.Fatalf("emulate: exit %d: %s", code, errb.String())
	}
	got, err := os.ReadFile(filepath.Join(caseDir, "wan.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "short-timeout", "wan.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("two-step CLI output differs from the committed short-timeout case")
	}
	if code := run([]string{"-list"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "wrv200") {
		t.Errorf("-list: exit %d, output %q", code, out.String())
	}
}
