package analyze

import (
	"errors"
	"sync"

	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/inventory"
	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/rules"
)

// Options tune [Run]. The zero value is valid.
type Options struct {
	// Limits bound the capture decoder; zero means capture.DefaultLimits.
	Limits capture.Limits
	// Version is written into the report's tool section.
	Version string
}

// Passes is how many times [RunSources] reads each source: once for the
// inventory, then correlate's passes. A progress display expects
// Passes times the file sizes in [capture.Source.Progress].
const Passes = 1 + correlate.Passes

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
	if opt.Limits == (capture.Limits{}) {
		opt.Limits = capture.DefaultLimits()
	}
	var wg sync.WaitGroup
	var sums [2]*inventory.Summary
	var errs [2]error
	for i, src := range []capture.Source{lan, wan} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sums[i], errs[i] = inventory.ReadSource(src, opt.Limits)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs[0], errs[1]); err != nil {
		return nil, err
	}
	res, err := correlate.CorrelateSources(lan, wan, correlate.Options{Limits: opt.Limits, KeepSIP: true})
	if err != nil {
		return nil, err
	}
	m := match.Build(res, match.Limits{})
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
