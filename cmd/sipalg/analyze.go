package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"

	"github.com/sipalg/sipalg/analyze"
)

func runAnalyze(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("sipalg analyze", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	lan := fs.String("lan", "", "capture taken on the router's LAN side")
	wan := fs.String("wan", "", "capture taken on the router's WAN side")
	format := fs.String("format", "table", "output format: table, json or html")
	out := fs.StringP("output", "o", "", "write the report to this file instead of stdout")
	annotateOut := fs.String("annotate", "", "also write both captures merged into this pcapng, findings as packet comments")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: sipalg analyze --lan LAN --wan WAN [--format table|json|html] [-o FILE] [--annotate OUT.pcapng]\n\nLines up the two captures of one router: clock offset, NAT mappings and their lifetimes.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			return exitOK
		}
		fmt.Fprintf(stderr, "sipalg analyze: %v\n", err)
		return exitError
	}
	if err := checkAnalyzeArgs(*lan, *wan, *format, fs.Args()); err != nil {
		fmt.Fprintf(stderr, "sipalg analyze: %v\n", err)
		return exitError
	}
	rep, err := analyzePair(*lan, *wan)
	if err != nil {
		fmt.Fprintf(stderr, "sipalg: %v\n", err)
		return exitError
	}
	if *annotateOut != "" {
		if err := writeAnnotated(*annotateOut, rep, *lan, *wan); err != nil {
			fmt.Fprintf(stderr, "sipalg: --annotate: %v\n", err)
			return exitError
		}
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintf(stderr, "sipalg: %v\n", err)
			return exitError
		}
		defer f.Close()
		w = f
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	case "html":
		err = renderHTML(w, rep)
	default:
		err = renderAnalyze(w, rep)
	}
	if err != nil {
		fmt.Fprintf(stderr, "sipalg: %v\n", err)
		return exitError
	}
	return exitOK
}

func checkAnalyzeArgs(lan, wan, format string, rest []string) error {
	switch {
	case len(rest) > 0:
		return fmt.Errorf("unexpected argument %q (captures are given with --lan and --wan)", rest[0])
	case format != "table" && format != "json" && format != "html":
		return fmt.Errorf("--format must be table, json or html, not %q", format)
	case lan == "" || wan == "":
		return errors.New("give both --lan and --wan (single-capture analysis is not built yet)")
	}
	a, errA := os.Stat(lan)
	b, errB := os.Stat(wan)
	if errA == nil && errB == nil && os.SameFile(a, b) {
		return fmt.Errorf("--lan and --wan are the same file (%s): give the captures of the two sides of the router", lan)
	}
	return nil
}

// analyzePair runs the pipeline on one pair of captures.
func analyzePair(lanPath, wanPath string) (*analyze.Report, error) {
	return analyze.Run(lanPath, wanPath, analyze.Options{Version: toolVersion()})
}
