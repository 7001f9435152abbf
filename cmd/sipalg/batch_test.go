package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// batchJSON runs `sipalg batch --format json` and decodes the summary.
func batchJSON(t *testing.T, args ...string) (int, batchSummary, string) {
	t.Helper()
	code, out, stderr := runCLI(t, append([]string{"batch", "--format", "json"}, args...)...)
	var s batchSummary
	if code != exitError || out != "" {
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Fatalf("exit %d, stdout is not a JSON summary: %v\n%s\nstderr: %s", code, err, out, stderr)
		}
	}
	return code, s, stderr
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBatchFixtures runs the batch over fixtures/ with one and two jobs:
// the summaries are identical, one row per case in name order, each with
// what `sipalg analyze` says of that case.
func TestBatchFixtures(t *testing.T) {
	t.Chdir("../..")
	cases := fixtureBatchCases(t)
	code1, table1, stderr := runCLI(t, "batch", "--jobs", "1", "fixtures")
	code2, table2, _ := runCLI(t, "batch", "--jobs", "2", "fixtures")
	if table1 != table2 || code1 != code2 {
		t.Errorf("--jobs 1 and --jobs 2 differ:\n%s\n---\n%s", table1, table2)
	}
	if !strings.Contains(stderr, "fixtures: 5 subdirectories hold no case: algsim, benchgen, lab, singlesim, testcap") {
		t.Errorf("stderr does not note the skipped directories: %q", stderr)
	}
	_, sum, _ := batchJSON(t, "--jobs", "2", "fixtures")
	if len(sum.Cases) != len(cases) {
		t.Fatalf("%d cases in the summary, %d case directories", len(sum.Cases), len(cases))
	}
	lines := strings.Split(strings.TrimSuffix(table1, "\n"), "\n")
	if len(lines) != len(cases)+4 { // header, rule, rows, legend of singleMark, totals
		t.Fatalf("%d table lines for %d cases:\n%s", len(lines), len(cases), table1)
	}
	worstCode := 0
	for i, c := range cases {
		_, rep := goldenJSON(t, c)
		s := sum.Cases[i]
		wantVerdict := "ok"
		if w := worst(rep); w == "bad" || w == "warning" {
			wantVerdict = string(w)
		}
		if s.Case != c.Name || s.Verdict != wantVerdict || s.Bad != rep.Verdict.Bad || s.Correct != rep.Verdict.Correct ||
			s.Warnings != rep.Verdict.Warnings || s.ALGDetected != rep.Verdict.ALGDetected || s.Error != "" ||
			jsonString(t, s.UDPTimeout) != jsonString(t, rep.NAT.UDPTimeout) {
			t.Errorf("summary row %+v does not say what analyze says of %s: verdict %s, %+v", s, c.Name, wantVerdict, rep.Verdict)
		}
		if _, _, single := c.single(); single {
			if s.Mode != rep.Mode || !strings.HasPrefix(s.Mode, "single-") {
				t.Errorf("%s: mode %q in the summary, %q in the report", c.Name, s.Mode, rep.Mode)
			}
			wantVerdict += singleMark // the table marks a one-sided case's inference
		}
		f := strings.Fields(lines[i+2])
		if len(f) < 5 || f[0] != c.Name || f[1] != wantVerdict || f[2] != itoa(rep.Verdict.Bad) || f[3] != itoa(rep.Verdict.Correct) || f[4] != itoa(rep.Verdict.Warnings) {
			t.Errorf("table row %q, want %s %s %d %d %d", lines[i+2], c.Name, wantVerdict, rep.Verdict.Bad, rep.Verdict.Correct, rep.Verdict.Warnings)
		}
		worstCode = max(worstCode, s.ExitCode)
	}
	if code1 != worstCode || sum.ExitCode != worstCode {
		t.Errorf("exit %d, summary exit_code %d; the worst case's is %d", code1, sum.ExitCode, worstCode)
	}
	for _, l := range lines {
		if textWidth(l) > pageWidth {
			t.Errorf("summary line wider than %d columns: %q", pageWidth, l)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestBatchFailOnWarning: with --fail-on warning the exit code is the
// worst case's, computed from each case's findings.
func TestBatchFailOnWarning(t *testing.T) {
	t.Chdir("../..")
	code, sum, _ := batchJSON(t, "--fail-on", "warning", "fixtures/none", "fixtures/st530", "fixtures/lab-call-noalg")
	want := 0
	for _, c := range sum.Cases {
		wantCase := 0
		if c.Verdict == "bad" || c.Verdict == "warning" {
			wantCase = 1
		}
		if c.ExitCode != wantCase {
			t.Errorf("%s: exit_code %d with verdict %s, want %d", c.Case, c.ExitCode, c.Verdict, wantCase)
		}
		want = max(want, wantCase)
	}
	if code != want || sum.FailOn != "warning" {
		t.Errorf("exit %d (fail_on %q), want %d", code, sum.FailOn, want)
	}
}

// TestBatchReports: -o DIR holds one report per case, the report analyze
// prints.
func TestBatchReports(t *testing.T) {
	t.Chdir("../..")
	dir := t.TempDir()
	code, sum, stderr := batchJSON(t, "-o", dir, "fixtures/st530", "fixtures/st530-pcapng")
	if code == exitError {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, c := range sum.Cases {
		want := filepath.Join(dir, c.Case+".json")
		if c.Report != want {
			t.Errorf("%s: report %q, want %q", c.Case, c.Report, want)
		}
		got, err := os.ReadFile(want)
		if err != nil {
			t.Fatal(err)
		}
		golden, err := os.ReadFile(filepath.Join("fixtures", c.Case, "expected.json"))
		if err != nil {
			t.Fatal(err)
		}
		got = bytes.Replace(got, []byte(`"version": "`+toolVersion()+`"`), []byte(`"version": "`+goldenVersion+`"`), 1)
		if !bytes.Equal(got, golden) {
			t.Errorf("%s: the batch report differs from the golden analyze report", c.Case)
		}
	}
	if sum.Cases[1].LANIface != "lan" || sum.Cases[1].WANIface != "wan" || !strings.HasSuffix(sum.Cases[1].LAN, "capture.pcapng") {
		t.Errorf("one-capture case: %+v", sum.Cases[1])
	}
}

// TestBatchCaseFailuresGoOn: broken cases are reported, each for itself,
// and the good ones are still analysed (a case with one side only, alone);
// the exit code is 2.
func TestBatchCaseFailuresGoOn(t *testing.T) {
	root := t.TempDir()
	fx := "../../fixtures/none/"
	copyFile(t, fx+"lan.pcap", filepath.Join(root, "good", "lan.pcap"))
	copyFile(t, fx+"wan.pcap", filepath.Join(root, "good", "wan.pcap"))
	copyFile(t, fx+"lan.pcap", filepath.Join(root, "oneside", "lan.pcap"))
	copyFile(t, fx+"wan.pcap", filepath.Join(root, "garbage", "wan.pcapng"))
	if err := os.WriteFile(filepath.Join(root, "garbage", "lan.pcap"), []byte("<html>404</html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	copyFile(t, fx+"lan.pcap", filepath.Join(root, "onefile", "capture.pcap"))
	copyFile(t, "../../README.md", filepath.Join(root, "docs", "README.md"))
	code, sum, stderr := batchJSON(t, "--jobs", "2", root)
	if code != exitError || sum.ExitCode != exitError {
		t.Errorf("exit %d, summary %d; want 2", code, sum.ExitCode)
	}
	got := map[string]caseSummary{}
	var names []string
	for _, c := range sum.Cases {
		got[c.Case] = c
		names = append(names, c.Case)
	}
	if !slices.Equal(names, []string{"garbage", "good", "onefile", "oneside"}) {
		t.Fatalf("cases %v", names)
	}
	if g := got["good"]; g.Verdict != "ok" || g.ExitCode != 0 || g.Error != "" || g.Mode != "paired" {
		t.Errorf("good case: %+v", g)
	}
	if o := got["oneside"]; o.Mode != "single-lan" || o.Error != "" || o.ExitCode != 0 || o.WAN != "" {
		t.Errorf("one-sided case: %+v, want a single-capture analysis of its LAN side", o)
	}
	for name, mention := range map[string]string{
		"garbage": "HTML",
		"onefile": "holds one interface only",
	} {
		c := got[name]
		if c.Verdict != "error" || c.ExitCode != exitError || !strings.Contains(c.Error, mention) {
			t.Errorf("%s: %+v, want an error mentioning %q", name, c, mention)
		}
		if !strings.Contains(stderr, "sipalg batch: case "+name+": ") {
			t.Errorf("stderr does not report case %s: %q", name, stderr)
		}
	}
	if !strings.Contains(stderr, "1 subdirectories hold no case: docs") {
		t.Errorf("stderr does not note docs/: %q", stderr)
	}
}

// TestBatchManifest reads a CSV manifest with a header, a comment, a
// relative and an absolute path, a missing file, and a line with one
// side only (single-capture analysis).
func TestBatchManifest(t *testing.T) {
	root := t.TempDir()
	copyFile(t, "../../fixtures/none/lan.pcap", filepath.Join(root, "caps", "none-lan.pcap"))
	copyFile(t, "../../fixtures/none/wan.pcap", filepath.Join(root, "caps", "none-wan.pcap"))
	abs, err := filepath.Abs("../../fixtures/st530")
	if err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(root, "cases.csv")
	csv := "name,lan,wan\n# a comment\nnone,caps/none-lan.pcap,caps/none-wan.pcap\n" +
		"st530," + abs + "/lan.pcap," + abs + "/wan.pcap\nlost,caps/lost-lan.pcap,caps/none-wan.pcap\n" +
		"wanonly,,caps/none-wan.pcap\n"
	if err := os.WriteFile(manifest, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	code, sum, _ := batchJSON(t, manifest)
	if code != exitError || len(sum.Cases) != 4 {
		t.Fatalf("exit %d, %d cases", code, len(sum.Cases))
	}
	if c := sum.Cases[1]; c.Case != "none" || c.Error != "" || c.LAN != filepath.Join(root, "caps", "none-lan.pcap") {
		t.Errorf("relative paths not relative to the manifest: %+v", c)
	}
	if c := sum.Cases[2]; c.Case != "st530" || c.Error != "" {
		t.Errorf("absolute paths: %+v", c)
	}
	if c := sum.Cases[0]; c.Case != "lost" || !strings.Contains(c.Error, "lost-lan.pcap") {
		t.Errorf("missing file: %+v", c)
	}
	if c := sum.Cases[3]; c.Case != "wanonly" || c.Error != "" || c.Mode != "single-wan" || c.LAN != "" {
		t.Errorf("a line with one side: %+v, want its single-capture analysis", c)
	}
	for _, tc := range []struct{ csv, mention string }{
		{"a,x.pcap\n", "cases.csv:1: want 3 fields (name,lan,wan), got 2"},
		{"name,lan,wan\n../up,x,y\n", `case name "../up" is not usable`},
		{"# nothing\n", "lists no case"},
	} {
		if err := os.WriteFile(manifest, []byte(tc.csv), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, stderr := runCLI(t, "batch", manifest)
		if code != exitError || out != "" || !strings.Contains(stderr, tc.mention) {
			t.Errorf("manifest %q: exit %d, stderr %q; want 2 and %q", tc.csv, code, stderr, tc.mention)
		}
	}
}

// TestBatchShards: the shards of N split the cases with no overlap and
// nothing left out, the same way on every run.
func TestBatchShards(t *testing.T) {
	t.Chdir("../..")
	var all []string
	for _, c := range fixtureBatchCases(t) {
		all = append(all, c.Name)
	}
	const n = 3
	var union []string
	for k := range n {
		_, sum, _ := batchJSON(t, "--shard", itoa(k)+"/"+itoa(n), "fixtures")
		if sum.Shard != itoa(k)+"/"+itoa(n) {
			t.Errorf("summary shard %q", sum.Shard)
		}
		for _, c := range sum.Cases {
			if !(shard{uint32(k), n}).owns(c.Case) {
				t.Errorf("shard %d/%d ran %s", k, n, c.Case)
			}
			union = append(union, c.Case)
		}
	}
	slices.Sort(union)
	if !slices.Equal(union, all) {
		t.Errorf("shards ran %v, want each of %v once", union, all)
	}
	// FNV-1a is fixed: these values are what every machine computes.
	for name, want := range map[string]uint32{"st530": 0xde3d8806 % 4, "": 0x811c9dc5 % 4} {
		got := uint32(4)
		for k := range uint32(4) {
			if (shard{k, 4}).owns(name) {
				got = k
			}
		}
		if got != want {
			t.Errorf("case %q in shard %d of 4, want %d", name, got, want)
		}
	}
}

// TestBatchNoGoroutineLeak: when batch returns, every goroutine it (and
// the analyses) started has ended.
func TestBatchNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	code, _, stderr := runCLI(t, "batch", "--jobs", "2", "../../fixtures/st530", "../../fixtures/none", "../../fixtures/lab-tcp-alg", "../../fixtures/st530-pcapng")
	if code == exitError {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines before, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

func TestBatchBadInvocations(t *testing.T) {
	empty := t.TempDir()
	if err := os.WriteFile(filepath.Join(empty, "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	dup := filepath.Join(t.TempDir(), "st530")
	copyFile(t, "../../fixtures/st530/lan.pcap", filepath.Join(dup, "lan.pcap"))
	copyFile(t, "../../fixtures/st530/wan.pcap", filepath.Join(dup, "wan.pcap"))
	fx := "../../fixtures"
	for _, tc := range []struct {
		name    string
		args    []string
		mention string
	}{
		{"no-path", []string{"batch"}, "give at least one PATH"},
		{"missing-path", []string{"batch", "/nonexistent/cases"}, "/nonexistent/cases"},
		{"not-a-case", []string{"batch", empty}, "is not a case directory"},
		{"plain-file", []string{"batch", fx + "/none/lan.pcap"}, "is a file, not a case directory nor a manifest"},
		{"duplicate-names", []string{"batch", fx + "/st530", dup}, `two cases are named "st530"`},
		{"bad-format", []string{"batch", "--format", "csv", fx}, "--format must be table or json"},
		{"bad-fail-on", []string{"batch", "--fail-on", "sometimes", fx}, "--fail-on must be"},
		{"bad-jobs", []string{"batch", "--jobs", "0", fx}, "--jobs must be at least 1"},
		{"shard-one-based", []string{"batch", "--shard", "4/4", fx}, "K counting from 0"},
		{"shard-no-slash", []string{"batch", "--shard", "2", fx}, "--shard must be K/N"},
		{"shard-zero", []string{"batch", "--shard", "0/0", fx}, "--shard must be K/N"},
		{"shard-negative", []string{"batch", "--shard", "-1/2", fx}, "--shard must be K/N"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := runCLI(t, tc.args...)
			if code != exitError || out != "" || !strings.Contains(stderr, tc.mention) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and a mention of %q", code, out, stderr, tc.mention)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("error is not one line: %q", stderr)
			}
		})
	}
}
