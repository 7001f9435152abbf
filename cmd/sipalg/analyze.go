package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"

	"github.com/spf13/pflag"

	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/inventory"
)

// Report is the JSON report of `sipalg analyze` (DESIGN.md, schema_version
// 1). Sections not built yet (messages, findings, fingerprints, verdict)
// are absent rather than empty, so no script mistakes "not analysed" for
// "nothing found".
type Report struct {
	SchemaVersion int                  `json:"schema_version"`
	Tool          ToolJSON             `json:"tool"`
	Inputs        map[string]InputJSON `json:"inputs"`
	Clock         correlate.Clock      `json:"clock"`
	NAT           correlate.NAT        `json:"nat"`
	Mappings      []correlate.Mapping  `json:"mappings"`
	Warnings      []string             `json:"warnings"`
}

// ToolJSON names the tool that wrote a report.
type ToolJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// InputJSON describes one input capture.
type InputJSON struct {
	File        string   `json:"file"`
	Format      string   `json:"format"`
	LinkTypes   []string `json:"link_types"`
	Packets     int      `json:"packets"`
	Bytes       int64    `json:"bytes"`
	FirstTS     string   `json:"first_ts"`
	LastTS      string   `json:"last_ts"`
	SIPMessages int      `json:"sip_messages"`
	Warnings    []string `json:"warnings"`
}

func inputJSON(s *inventory.Summary) InputJSON {
	in := InputJSON{
		File: s.File, Format: string(s.Format), Packets: s.Packets, Bytes: s.Bytes,
		FirstTS: rfc3339(s.First), LastTS: rfc3339(s.Last), SIPMessages: s.SIPMessages,
		Warnings: s.Warnings, LinkTypes: []string{},
	}
	if s.Compressed {
		in.Format += "+gzip"
	}
	for name := range s.LinkTypes {
		in.LinkTypes = append(in.LinkTypes, name)
	}
	sort.Strings(in.LinkTypes)
	if in.Warnings == nil {
		in.Warnings = []string{}
	}
	return in
}

func runAnalyze(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("sipalg analyze", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	lan := fs.String("lan", "", "capture taken on the router's LAN side")
	wan := fs.String("wan", "", "capture taken on the router's WAN side")
	format := fs.String("format", "table", "output format: table or json")
	out := fs.StringP("output", "o", "", "write the report to this file instead of stdout")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: sipalg analyze --lan LAN --wan WAN [--format table|json] [-o FILE]\n\nLines up the two captures of one router: clock offset, NAT mappings and their lifetimes.")
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
	rep, err := analyze(*lan, *wan)
	if err != nil {
		fmt.Fprintf(stderr, "sipalg: %v\n", err)
		return exitError
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
	if *format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
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
	case format != "table" && format != "json":
		return fmt.Errorf("--format must be table or json, not %q", format)
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

// analyze runs the pipeline built so far.
func analyze(lanPath, wanPath string) (*Report, error) {
	var wg sync.WaitGroup
	var sums [2]*inventory.Summary
	var errs [2]error
	for i, p := range []string{lanPath, wanPath} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sums[i], errs[i] = inventory.Read(p, capture.DefaultLimits())
		}()
	}
	wg.Wait()
	if err := errors.Join(errs[0], errs[1]); err != nil {
		return nil, err
	}
	res, err := correlate.Correlate(lanPath, wanPath, correlate.Options{})
	if err != nil {
		return nil, err
	}
	rep := &Report{
		SchemaVersion: 1,
		Tool:          ToolJSON{Name: "sipalg", Version: toolVersion()},
		Inputs:        map[string]InputJSON{"lan": inputJSON(sums[0]), "wan": inputJSON(sums[1])},
		Clock:         res.Clock,
		NAT:           res.NAT,
		Mappings:      res.Mappings,
		Warnings:      res.Warnings,
	}
	if rep.Mappings == nil {
		rep.Mappings = []correlate.Mapping{}
	}
	if rep.Warnings == nil {
		rep.Warnings = []string{}
	}
	return rep, nil
}
