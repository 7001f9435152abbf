package main

import (
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/spf13/pflag"

	"github.com/sipalg/sipalg/analyze"
	"github.com/sipalg/sipalg/analyze/capture"
)

const analyzeUsage = `Usage:
  sipalg analyze --lan LAN --wan WAN [flags]
  sipalg analyze --capture BOTH --lan-if NAME|ID --wan-if NAME|ID [flags]
  ... [--format table|json|html] [-o FILE] [--all] [--annotate OUT.pcapng] [--fail-on bad|warning|never]
  sipalg analyze --wan WAN | --lan LAN [--format table|json] [-o FILE] [--fail-on ...]

Lines up the captures of a router's two sides and reports what its SIP ALG
rewrote: NAT mappings and their lifetimes, every SIP message matched across
the router, every rewritten field with a verdict. With one side alone (or
--capture with one of --lan-if and --wan-if) it infers what that capture
suggests, and says what one side cannot prove.

Exit codes: 0 no finding at or above --fail-on, 1 findings at or above it,
2 usage error or unreadable input.

Flags:
`

func runAnalyze(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("sipalg analyze", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf sideFlags
	fs.StringVar(&sf.lan, "lan", "", "capture taken on the router's LAN side")
	fs.StringVar(&sf.wan, "wan", "", "capture taken on the router's WAN side")
	fs.StringVar(&sf.capture, "capture", "", "one capture (pcapng, or a `tcpdump -i any` SLL2 capture) holding both router interfaces")
	fs.StringVar(&sf.lanIface, "lan-if", "", "with --capture: the LAN interface, by pcapng name or index (in an SLL2 capture: the Linux interface index)")
	fs.StringVar(&sf.wanIface, "wan-if", "", "with --capture: the WAN interface, by pcapng name or index (in an SLL2 capture: the Linux interface index)")
	format := fs.String("format", "table", "output format: table, json or html")
	out := fs.StringP("output", "o", "", "write the report to this file instead of stdout")
	all := fs.Bool("all", false, "table: every mapping, finding and dialog ladder (by default about 400 lines: summaries, examples and the dialogs with problems)")
	annotateOut := fs.String("annotate", "", "also write both captures merged into this pcapng, findings as packet comments")
	failOnFlag := fs.String("fail-on", "bad", "exit 1 when a finding is at least this bad: bad, warning or never")
	limitSpecs := addLimitFlag(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, analyzeUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			return exitOK
		}
		fmt.Fprintf(stderr, "sipalg analyze: %v\n", err)
		return exitError
	}
	if limitSpecs.help {
		printLimits(stdout)
		return exitOK
	}
	opt := analyze.Options{Version: toolVersion(), Limits: limitSpecs.limits}
	fo, err := parseFailOn(*failOnFlag)
	switch {
	case fs.NArg() > 0:
		err = fmt.Errorf("unexpected argument %q (captures are given with --lan and --wan, or --capture)", fs.Arg(0))
	case *format != "table" && *format != "json" && *format != "html":
		err = fmt.Errorf("--format must be table, json or html, not %q", *format)
	}
	if err != nil {
		fmt.Fprintf(stderr, "sipalg analyze: %v\n", err)
		return exitError
	}
	if src, side, ok, err := sf.single(); ok {
		if err != nil {
			fmt.Fprintf(stderr, "sipalg analyze: %s\n", oneLine(err))
			return exitError
		}
		return runSingle(src, side, *format, *out, *annotateOut, fo, opt, stdout, stderr)
	}
	lan, wan, err := sf.sources()
	if err != nil {
		fmt.Fprintf(stderr, "sipalg analyze: %s\n", oneLine(err))
		return exitError
	}
	// Every report is written from what the dialogs left as they were
	// judged (memory flat in the SIP messages): JSON lists every message
	// and finding from spools, the table is drawn from a digest, the HTML
	// page from spools of its own (analyze.Options.Sink), the annotated
	// capture from the notes it spools (analyze.Options.Tap).
	opt.Stream = true
	var n *notes
	if *annotateOut != "" {
		n = newNotes(opt.TempDir, opt.SpoolBudget)
		defer n.close()
		opt.Tap = n
	}
	switch {
	case *format == "table":
		dg := analyze.NewStreamedTableDigest(tableLimits(*all), "", 0)
		defer dg.Close()
		opt.Sink = dg
	case *format == "html":
		hs := newHTMLSink("", 0)
		defer hs.close()
		opt.Sink = hs
	}
	rep, err := analyzeWithProgress(lan, wan, opt, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "sipalg: %s\n", oneLine(err))
		return exitError
	}
	if *annotateOut != "" {
		if err := writeAnnotatedSources(*annotateOut, rep, n, lan, wan); err != nil {
			fmt.Fprintf(stderr, "sipalg: --annotate: %s\n", oneLine(err))
			return exitError
		}
	}
	if err := writeReport(rep, opt.Sink, *format, *out, *all, stdout); err != nil {
		fmt.Fprintf(stderr, "sipalg: %v\n", err)
		return exitError
	}
	return fo.exitCode(rep)
}

// analyzeWithProgress runs the pipeline, with a progress bar on stderr
// when stderr is a terminal.
func analyzeWithProgress(lan, wan capture.Source, opt analyze.Options, stderr io.Writer) (*analyze.Report, error) {
	var read atomic.Int64
	if wantProgress(stderr) {
		lan.Progress, wan.Progress = &read, &read
	}
	bar := startProgress(stderr, "analyze", "bytes", analyze.Passes*(fileSize(lan.Path)+fileSize(wan.Path)), &read, nil)
	defer bar.Stop()
	return analyze.RunSources(lan, wan, opt)
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// writeReport writes the report to the file out, or to stdout; colour
// only for a table on a terminal. all lifts the table's bounds. sink is
// what a streamed analysis fed for the format (analyze.Options.Sink: the
// table's digest, with the limits all calls for, or the HTML page's
// spools); nil when the report holds its messages.
func writeReport(rep *analyze.Report, sink analyze.Sink, format, out string, all bool, stdout io.Writer) error {
	dg, _ := sink.(*analyze.TableDigest)
	render := func(w io.Writer, color bool) error {
		switch format {
		case "json":
			return writeJSON(w, rep)
		case "html":
			if hs, ok := sink.(*htmlSink); ok {
				return hs.render(w, rep)
			}
			return renderHTML(w, rep)
		}
		switch {
		case rep.Single != nil:
			return renderSingle(w, rep, color)
		case dg != nil && all:
			return renderTableReport(w, rep, dg, color, 0)
		case dg != nil:
			return renderTableReport(w, rep, dg, color, maxTableLines)
		case all:
			return renderReportAll(w, rep, color)
		}
		return renderReport(w, rep, color)
	}
	if out == "" {
		return render(stdout, wantColor(stdout))
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := render(f, false); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
