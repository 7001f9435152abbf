package main

// End-to-end tests: the sipalg binary, built once, run on the fixtures
// the way a user and a CI job run it. They check exit codes, what goes to
// stdout and what to stderr, and that the JSON is the golden report and
// valid against docs/report.schema.json.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sipalgBinary is the binary TestMain builds, with tool.version "test";
// repoRoot is where it runs.
var sipalgBinary, repoRoot string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "sipalg-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if repoRoot, err = filepath.Abs("../.."); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	sipalgBinary = filepath.Join(dir, "sipalg")
	build := exec.Command("go", "build", "-o", sipalgBinary, "-ldflags", "-X main.version="+goldenVersion, ".")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building sipalg for the end-to-end tests: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// runBinary runs the built sipalg in the repository root, with a clean
// environment: no terminal, no NO_COLOR, no CI.
func runBinary(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(sipalgBinary, args...)
	cmd.Dir = repoRoot
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

// caseArgs are the analyze flags of a fixture case.
func caseArgs(c batchCase) []string {
	if c.Capture != "" {
		return []string{"--capture", c.Capture, "--lan-if", "lan", "--wan-if", "wan"}
	}
	return []string{"--lan", c.LAN, "--wan", c.WAN}
}

// TestE2EAnalyzeJSON: on every fixture, `analyze --format json` prints
// the golden report on stdout and nothing on stderr, valid against the
// schema, and exits as --fail-on says.
func TestE2EAnalyzeJSON(t *testing.T) {
	schema := loadSchema(t)
	t.Chdir("../..")
	for _, c := range fixtureBatchCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			code, stdout, stderr := runBinary(t, append([]string{"analyze", "--format", "json", "--fail-on", "warning"}, caseArgs(c)...)...)
			if stderr != "" {
				t.Errorf("stderr not empty: %q", stderr)
			}
			golden, err := os.ReadFile(filepath.Join(c.dir(), "expected.json"))
			if err != nil {
				t.Fatal(err)
			}
			if stdout != string(golden) {
				t.Errorf("stdout is not %s/expected.json (line %d: %s)", c.dir(), firstDiffLine([]byte(stdout), golden), lineAt([]byte(stdout), firstDiffLine([]byte(stdout), golden)))
			}
			if errs := validateJSON(schema, []byte(stdout)); len(errs) > 0 {
				t.Errorf("does not validate against docs/report.schema.json:\n%s", strings.Join(errs, "\n"))
			}
			inst, err := decodeJSON([]byte(stdout))
			if err != nil {
				t.Fatal(err)
			}
			want := exitOK
			for _, f := range inst.(map[string]any)["findings"].([]any) {
				if v := f.(map[string]any)["verdict"]; v == "bad" || v == "warning" {
					want = exitFindings
				}
			}
			if code != want {
				t.Errorf("--fail-on warning: exit %d, want %d", code, want)
			}
		})
	}
}

// TestE2ETableAndFile: the table goes to stdout without colour when
// stdout is not a terminal; with -o it goes to the file and stdout stays
// empty; errors go to stderr only.
func TestE2ETableAndFile(t *testing.T) {
	args := []string{"analyze", "--lan", "fixtures/st530/lan.pcap", "--wan", "fixtures/st530/wan.pcap", "--fail-on", "never"}
	code, stdout, stderr := runBinary(t, args...)
	if code != exitOK || stderr != "" || !strings.HasPrefix(stdout, "VERDICT  ") || strings.Contains(stdout, "\x1b[") {
		t.Errorf("table: exit %d, stderr %q, stdout starts %q", code, stderr, stdout[:min(len(stdout), 40)])
	}
	out := filepath.Join(t.TempDir(), "report.json")
	code, stdout, stderr = runBinary(t, append(args, "--format", "json", "-o", out)...)
	if code != exitOK || stdout != "" || stderr != "" {
		t.Errorf("-o: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../fixtures/st530/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("-o file is not the golden report")
	}
}

// TestE2EErrors: every bad invocation exits 2 with one line on stderr and
// nothing on stdout.
func TestE2EErrors(t *testing.T) {
	for _, args := range [][]string{
		{"analyze", "--lan", "fixtures/st530/lan.pcap", "--format", "html"}, // one side: table or json only
		{"analyze", "--lan", "fixtures/st530/lan.pcap", "--wan", "fixtures/st530/lan.pcap"},
		{"analyze", "--lan", "fixtures/st530/lan.pcap", "--wan", "fixtures/st530/missing.pcap"},
		{"analyze", "--lan", "fixtures/st530/lan.pcap", "--wan", "fixtures/st530/README.md"},
		{"analyze", "--lan", "fixtures/st530/lan.pcap", "--wan", "fixtures/st530/wan.pcap", "--format", "html5"},
		{"analyze", "--lan", "fixtures/st530/lan.pcap", "--wan", "fixtures/st530/wan.pcap", "--fail-on", "always"},
		{"analyze", "--capture", "fixtures/st530-pcapng/capture.pcapng", "--lan-if", "eth0", "--wan-if", "wan"},
		{"batch", "fixtures/algsim"},
		{"batch", "--shard", "2/2", "fixtures"},
		{"rules", "--format", "pdf"},
		{"frobnicate"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, stdout, stderr := runBinary(t, args...)
			if code != exitError || stdout != "" {
				t.Errorf("exit %d, stdout %q; want 2 and nothing", code, stdout)
			}
			if args[0] != "frobnicate" && (stderr == "" || strings.Count(strings.TrimSuffix(stderr, "\n"), "\n") > 0) {
				t.Errorf("stderr is not one line: %q", stderr)
			}
		})
	}
}

// TestE2EBatch: the JSON summary on stdout, notes on stderr, the exit
// code of the worst case.
func TestE2EBatch(t *testing.T) {
	code, stdout, stderr := runBinary(t, "batch", "--format", "json", "--fail-on", "warning", "fixtures")
	inst, err := decodeJSON([]byte(stdout))
	if err != nil {
		t.Fatalf("stdout is not JSON: %v", err)
	}
	sum := inst.(map[string]any)
	if fmt.Sprint(sum["exit_code"]) != fmt.Sprint(code) {
		t.Errorf("exit %d, summary says %v", code, sum["exit_code"])
	}
	if got := len(sum["cases"].([]any)); got < 18 {
		t.Errorf("%d cases", got)
	}
	if !strings.HasPrefix(stderr, "sipalg batch: note: ") || strings.Contains(stderr, "\x1b[") || strings.Contains(stderr, "\r") {
		t.Errorf("stderr %q: want notes only, no progress bar outside a terminal", stderr)
	}
}

func TestE2EVersionAndRules(t *testing.T) {
	code, stdout, _ := runBinary(t, "version")
	if code != exitOK || stdout != "sipalg "+goldenVersion+"\n" {
		t.Errorf("version: exit %d, %q", code, stdout)
	}
	code, stdout, _ = runBinary(t, "rules", "--format", "markdown")
	want, err := os.ReadFile("../../docs/rules.md")
	if err != nil {
		t.Fatal(err)
	}
	if code != exitOK || stdout != string(want) {
		t.Error("rules --format markdown is not docs/rules.md (make docs)")
	}
}
