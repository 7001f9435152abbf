package analyze

import (
	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/inventory"
	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/rules"
)

// Options tune [Run]. The zero value is valid.
type Options struct {
	// Limits bound every table of the pipeline; a zero field means its
	// default (DefaultLimits).
	Limits Limits
	// Version is written into the report's tool section.
	Version string
}

// Passes is how many times [RunSources] reads each source: correlate's
// passes, the first of which also takes the inventory. A progress display
// expects Passes times the file sizes in [capture.Source.Progress].
const Passes = correlate.Passes

// Run analyses the LAN and WAN captures of one router. Errors are I/O and
// capture-format errors (a *capture.InputError names file, record and
// offset) and correlate.ErrNoTwins; damaged but readable input gives a
// report with warnings.
func Run(lanPath, wanPath string, opt Options) (*Report, error) {
	return RunSources(capture.Source{Path: lanPath}, capture.Source{Path: wanPath}, opt)
}

// RunSources is [Run] on two sources: two files, or two interfaces of one
// file (frame numbers in the report are then the file's).
func RunSources(lan, wan capture.Source, opt Options) (*Report, error) {
	lim := opt.Limits.withDefaults()
	res, err := correlate.CorrelateSources(lan, wan, correlate.Options{
		Limits: lim.Capture, KeepSIP: true, Inventory: true, MaxFlows: lim.MaxFlows,
		MaxPending: lim.MaxPending, MaxMappings: lim.MaxMappings, MaxSIPBytes: lim.MaxSIPBytes, MaxSIPPairs: lim.MaxSIPPairs,
	})
	if err != nil {
		return nil, err
	}
	if why, ok := sidesSwapped(res); ok {
		return nil, &SidesSwappedError{LAN: lan, WAN: wan, Evidence: why}
	}
	sums := [2]*inventory.Summary{res.LANInventory, res.WANInventory}
	m := match.Build(res, match.Limits{MaxMessages: lim.MaxMessages})
	rep := &Report{
		SchemaVersion: SchemaVersion,
		Tool:          Tool{Name: "sipalg", Version: opt.Version},
		Mode:          ModePaired,
		Inputs:        map[string]Input{"lan": inputOf(sums[0]), "wan": inputOf(sums[1])},
		Clock:         res.Clock,
		NAT:           res.NAT,
		Mappings:      res.Mappings,
		Messages:      m.Messages,
		Dialogs:       m.Dialogs,
		Unpaired:      res.Unpaired,
		Warnings:      append(res.Warnings, m.Warnings...),
	}
	var warn string
	rep.Window, warn = captureWindow(res, m.Messages)
	if warn != "" {
		rep.Warnings = append(rep.Warnings, warn)
	}
	rep.Findings, rep.Fingerprints, rep.Verdict = rules.Evaluate(&rules.Input{Correlation: res, Match: m})
	if rep.Mappings == nil {
		rep.Mappings = []correlate.Mapping{}
	}
	if rep.Messages == nil {
		rep.Messages = []match.Message{}
	}
	if rep.Findings == nil {
		rep.Findings = []rules.Finding{}
	}
	if rep.Fingerprints == nil {
		rep.Fingerprints = []rules.Fingerprint{}
	}
	if rep.Warnings == nil {
		rep.Warnings = []string{}
	}
	return rep, nil
}
