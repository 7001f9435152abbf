package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/spf13/pflag"

	"github.com/sipalg/sipalg/analyze"
	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/rules"
)

const batchUsage = `Usage:
  sipalg batch [flags] PATH...

Analyses many cases in parallel and prints one summary row per case.
PATH is a case directory (lan.* and wan.* captures, or one capture.*
whose interfaces are named lan and wan), a directory of case
directories, or a CSV manifest of name,lan,wan lines (paths relative to
the manifest). A case with one side only (a lan.* or a wan.* alone, or
an empty field in the manifest) gets single-capture analysis: inferred,
marked as such in the summary. A case that fails is reported, and the
others go on.

Exit code: the worst case's (0 clean, 1 findings at or above --fail-on,
2 a case could not be analysed, or a usage error).

Flags:
`

func runBatch(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("sipalg batch", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	jobs := fs.IntP("jobs", "j", runtime.NumCPU(), "cases analysed at once")
	format := fs.String("format", "table", "summary format: table or json")
	outDir := fs.StringP("output", "o", "", "write one JSON report per case into this directory, as CASE.json")
	failOnFlag := fs.String("fail-on", "bad", "a case fails (exit 1) when a finding is at least this bad: bad, warning or never")
	shardFlag := fs.String("shard", "", "take only the cases of shard K of N (K/N, K from 0), by a hash of the case name")
	limitSpecs := addLimitFlag(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, batchUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			return exitOK
		}
		fmt.Fprintf(stderr, "sipalg batch: %v\n", err)
		return exitError
	}
	if limitSpecs.help {
		printLimits(stdout)
		return exitOK
	}
	fo, err := parseFailOn(*failOnFlag)
	var sh shard
	switch {
	case err != nil:
	case *format != "table" && *format != "json":
		err = fmt.Errorf("--format must be table or json, not %q", *format)
	case *jobs < 1:
		err = fmt.Errorf("--jobs must be at least 1, not %d", *jobs)
	case fs.NArg() == 0:
		err = fmt.Errorf("give at least one PATH: a case directory, a directory of cases, or a CSV manifest")
	case *shardFlag != "":
		sh, err = parseShard(*shardFlag)
	}
	if err != nil {
		fmt.Fprintf(stderr, "sipalg batch: %v\n", err)
		return exitError
	}
	// Each case's report is JSON or only summarised: stream it.
	opt := analyze.Options{Version: toolVersion(), Limits: limitSpecs.limits, Stream: true}
	cases, notes, err := findCases(fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "sipalg batch: %s\n", oneLine(err))
		return exitError
	}
	for _, n := range notes {
		fmt.Fprintf(stderr, "sipalg batch: note: %s\n", n)
	}
	mine := cases[:0:0]
	oneSided := false
	for _, c := range cases {
		if sh.owns(c.Name) {
			mine = append(mine, c)
			_, _, one := c.single()
			oneSided = oneSided || one
		}
	}
	if oneSided {
		oneSidedMemory(opt.Limits.MaxSIPBytes) // for the whole process: the cases share its heap
	}
	if *outDir != "" {
		if err := os.MkdirAll(*outDir, 0o755); err != nil {
			fmt.Fprintf(stderr, "sipalg batch: %v\n", err)
			return exitError
		}
	}
	var done atomic.Int64
	var current atomic.Pointer[string] // the case started last
	bar := startProgress(stderr, "batch", "cases", int64(len(mine)), &done, &current)
	results := runCases(mine, *jobs, func(c batchCase) caseSummary {
		current.Store(&c.Name)
		defer done.Add(1)
		return runCase(c, fo, opt, *outDir)
	})
	bar.Stop()
	sum := batchSummary{
		SchemaVersion: analyze.SchemaVersion,
		Tool:          analyze.Tool{Name: "sipalg", Version: toolVersion()},
		FailOn:        fo.name, Shard: sh.String(), Cases: results,
	}
	for _, r := range results {
		sum.ExitCode = max(sum.ExitCode, r.ExitCode)
		if r.Error != "" {
			fmt.Fprintf(stderr, "sipalg batch: case %s: %s\n", r.Case, r.Error)
		}
	}
	if *format == "json" {
		err = writeJSON(stdout, sum)
	} else {
		err = renderBatchSummary(stdout, &sum)
	}
	if err != nil {
		fmt.Fprintf(stderr, "sipalg batch: %v\n", err)
		return exitError
	}
	return sum.ExitCode
}

// runCases runs do on every case, jobs at a time, and returns the results
// in case order. Every worker has returned when it returns.
func runCases(cases []batchCase, jobs int, do func(batchCase) caseSummary) []caseSummary {
	results := make([]caseSummary, len(cases))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(jobs, len(cases)) {
		wg.Go(func() {
			for i := range next {
				results[i] = do(cases[i])
			}
		})
	}
	for i := range cases {
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

// runCase analyses one case; whatever goes wrong is the case's error.
func runCase(c batchCase, fo failOn, opt analyze.Options, outDir string) (s caseSummary) {
	s = caseSummary{Case: c.Name, LAN: c.LAN, WAN: c.WAN, Verdict: "error", ExitCode: exitError}
	if c.Capture != "" {
		s.LAN, s.WAN, s.LANIface, s.WANIface = c.Capture, c.Capture, "lan", "wan"
	}
	defer func() {
		// One case must not take the batch down: a crash in the
		// analysis is that case's error, with the stack for a bug report.
		if p := recover(); p != nil {
			s.Error = fmt.Sprintf("internal error, please report it: %v\n%s", p, debug.Stack())
		}
	}()
	rep, err := analyzeCase(c, opt)
	if err != nil {
		s.Error = oneLine(err)
		return s
	}
	if outDir != "" {
		path := filepath.Join(outDir, c.Name+".json")
		if err := writeJSONFile(path, rep); err != nil {
			s.Error = oneLine(err)
			return s
		}
		s.Report = path
	}
	s.fill(rep, fo)
	return s
}

// analyzeCase runs the analysis a case calls for: paired, or
// single-capture when it has one side only.
func analyzeCase(c batchCase, opt analyze.Options) (*analyze.Report, error) {
	if path, side, ok := c.single(); ok {
		return analyze.RunSingle(path, side, opt)
	}
	lan, wan, err := caseSources(c)
	if err != nil {
		return nil, err
	}
	return analyze.RunSources(lan, wan, opt)
}

func caseSources(c batchCase) (lan, wan capture.Source, err error) {
	switch {
	case c.Err != nil:
		return lan, wan, c.Err
	case c.Capture != "":
		return sideFlags{capture: c.Capture, lanIface: "lan", wanIface: "wan"}.sources()
	}
	return sideFlags{lan: c.LAN, wan: c.WAN}.sources()
}

func writeJSONFile(path string, v any) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := writeJSON(f, v); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// batchSummary is the JSON form of the batch summary.
type batchSummary struct {
	SchemaVersion int           `json:"schema_version"`
	Tool          analyze.Tool  `json:"tool"`
	FailOn        string        `json:"fail_on"`
	Shard         string        `json:"shard,omitempty"`
	Cases         []caseSummary `json:"cases"`
	// ExitCode is the batch's exit code: the worst case's.
	ExitCode int `json:"exit_code"`
}

// caseSummary is one case of the batch summary.
type caseSummary struct {
	Case string `json:"case"`
	// Mode is the report's: paired, or single-lan / single-wan for a
	// case with one side only (inferred); empty when the case failed.
	Mode     string `json:"mode,omitempty"`
	LAN      string `json:"lan"`
	WAN      string `json:"wan"`
	LANIface string `json:"lan_if,omitempty"`
	WANIface string `json:"wan_if,omitempty"`
	// Verdict is the worst finding's verdict when it is bad or warning,
	// "ok" otherwise, "error" when the case could not be analysed.
	Verdict             string           `json:"verdict"`
	ExitCode            int              `json:"exit_code"`
	ALGDetected         bool             `json:"alg_detected"`
	Bad                 int              `json:"bad"`
	Correct             int              `json:"correct"`
	Warnings            int              `json:"warnings"`
	IncomingCallsAtRisk bool             `json:"incoming_calls_at_risk"`
	UDPTimeout          correlate.Bounds `json:"udp_timeout_s"`
	// Fingerprint is the best-fitting router profile, "undetermined" when
	// the evidence names none, empty when there is none.
	Fingerprint string `json:"fingerprint"`
	// Report is the path of the case's JSON report (with -o).
	Report string `json:"report,omitempty"`
	Error  string `json:"error,omitempty"`
}

func (s *caseSummary) fill(rep *analyze.Report, fo failOn) {
	v := rep.Verdict
	s.Mode = rep.Mode
	s.ALGDetected, s.Bad, s.Correct, s.Warnings, s.IncomingCallsAtRisk = v.ALGDetected, v.Bad, v.Correct, v.Warnings, v.IncomingCallsAtRisk
	s.UDPTimeout = rep.NAT.UDPTimeout
	s.Verdict = "ok"
	if w := worst(rep); w.Rank() >= rules.Warning.Rank() {
		s.Verdict = string(w)
	}
	if len(rep.Fingerprints) > 0 {
		s.Fingerprint = rep.Fingerprints[0].Profile // ranked: "undetermined" when none is named
	}
	s.ExitCode = fo.exitCode(rep)
}
