package analyze

import (
	"net/netip"
	"slices"

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
	in := &rules.Input{Correlation: res, Match: m}
	rep.Findings, rep.Fingerprints, rep.Verdict = rules.Evaluate(in)
	applyDoubleNAT(rep, rules.DoubleNATOf(in))
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

// applyDoubleNAT writes a second NAT beyond the router into the nat
// section (which address is the router's WAN, which the upstream NAT's)
// and gives each mapping the ALG revealed its intermediate endpoint: the
// mapping table stays LAN ↔ what the far end saw.
func applyDoubleNAT(rep *Report, ev []rules.DoubleNATEvidence) {
	addAddr := func(list *[]netip.Addr, a netip.Addr) {
		if a.IsValid() && !slices.Contains(*list, a) {
			*list = append(*list, a)
		}
	}
	for _, e := range ev {
		addAddr(&rep.NAT.RouterWAN, e.Intermediate.Addr())
		addAddr(&rep.NAT.UpstreamNAT, e.FarEnd.Addr())
		for i := range rep.Mappings {
			mp := &rep.Mappings[i]
			switch {
			case mp.LAN != e.LAN:
			case mp.WAN == e.Intermediate && e.FarEnd.IsValid() && mp.FarEnd == nil:
				far := e.FarEnd // captured on the router's own WAN
				mp.FarEnd = &far
			case mp.WAN != e.Intermediate && (!e.FarEnd.IsValid() || mp.WAN == e.FarEnd) && mp.Intermediate == nil:
				inter := e.Intermediate // captured beyond the second NAT
				mp.Intermediate = &inter
			}
		}
	}
	slices.SortFunc(rep.NAT.RouterWAN, netip.Addr.Compare)
	slices.SortFunc(rep.NAT.UpstreamNAT, netip.Addr.Compare)
}
