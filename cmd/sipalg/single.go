package main

// sipalg analyze with one side of the router: --lan FILE or --wan FILE
// alone, or --capture FILE with one of --lan-if and --wan-if.

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/sipalg/sipalg/analyze"
	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/oneside"
	"github.com/sipalg/sipalg/rules"
)

// single reports whether the side flags name one side of the router only:
// --lan or --wan alone, or --capture with one of --lan-if and --wan-if. It
// returns that side's source; err is set (with ok) when the interface
// cannot be found.
func (f sideFlags) single() (src capture.Source, side string, ok bool, err error) {
	switch {
	case f.capture == "" && f.lanIface == "" && f.wanIface == "" && (f.lan == "") != (f.wan == ""):
		if f.lan != "" {
			return capture.Source{Path: f.lan}, "lan", true, nil
		}
		return capture.Source{Path: f.wan}, "wan", true, nil
	case f.capture != "" && f.lan == "" && f.wan == "" && (f.lanIface == "") != (f.wanIface == ""):
		name, side, flag := f.lanIface, "lan", "--lan-if"
		if name == "" {
			name, side, flag = f.wanIface, "wan", "--wan-if"
		}
		list, err := capture.ListInterfaces(f.capture)
		if err != nil {
			return src, side, true, err
		}
		fi, err := list.Select(name)
		if err != nil {
			return src, side, true, fmt.Errorf("%s: %w", flag, err)
		}
		return capture.Source{Path: f.capture, Iface: fi}, side, true, nil
	}
	return src, "", false, nil
}

// runSingle analyses the one side given and writes the report.
func runSingle(src capture.Source, side, format, out, annotate string, fo failOn, opt analyze.Options, stdout, stderr io.Writer) int {
	if err := checkSingleArgs(format, annotate); err != nil {
		fmt.Fprintf(stderr, "sipalg analyze: %v\n", err)
		return exitError
	}
	var read atomic.Int64
	if wantProgress(stderr) {
		src.Progress = &read
	}
	bar := startProgress(stderr, "analyze", "bytes", analyze.SinglePasses*fileSize(src.Path), &read, nil)
	oneSidedMemory(opt.Limits.MaxSIPBytes)
	rep, err := analyze.RunSingleSource(src, side, opt)
	bar.Stop()
	if err != nil {
		fmt.Fprintf(stderr, "sipalg: %s\n", oneLine(err))
		return exitError
	}
	if err := writeReport(rep, nil, format, out, false, stdout); err != nil {
		fmt.Fprintf(stderr, "sipalg: %v\n", err)
		return exitError
	}
	return fo.exitCode(rep)
}

func checkSingleArgs(format, annotate string) error {
	switch {
	case format == "html":
		return errors.New("--format html needs both sides (its ladders pair each message across the router); a single-capture report comes as table or json")
	case annotate != "":
		return errors.New("--annotate needs both sides; a single-capture report comes as table or json")
	}
	return nil
}

// renderSingle writes a single-capture report as text. Its first lines
// say that it is single-sided and inferred.
func renderSingle(w io.Writer, rep *analyze.Report, color bool) error {
	r := &reportWriter{w: w, pal: palette{on: color}}
	side := strings.ToUpper(rep.Single.Side)
	r.para("ONE SIDE", fmt.Sprintf("single-sided analysis of the %s capture alone. Everything below is inferred "+
		"from one side of the router, not proven by comparing the two: findings are warnings or information, "+
		"never verdicts of correct or bad.", side))
	v := rep.Verdict
	risk := "Incoming calls: nothing here says they are at risk."
	if v.IncomingCallsAtRisk {
		risk = r.pal.verdict(rules.Bad, "Incoming calls are at risk.")
	}
	r.line("%s%s. %s", r.pal.heading(padLabel("VERDICT")), plural(v.Warnings, "warning"), risk)
	r.para("", v.Summary)
	r.line("")
	in := rep.Inputs[rep.Single.Side]
	file := in.File
	if in.Interface != "" {
		file += ", interface " + in.Interface
	}
	r.para(side, fmt.Sprintf("%s: %d packets, %d SIP messages", file, in.Packets, in.SIPMessages))
	for i, h := range rep.Single.Hosts {
		label := ""
		if i == 0 {
			label = "HOSTS"
		}
		role := "remote"
		if h.Role == oneside.RoleUA {
			role = "behind the router"
		}
		text := fmt.Sprintf("%s: %s (%s)", h.Addr, role, h.Why)
		if len(h.NAT) > 0 {
			text += "; NAT seen: " + h.NAT[0]
		}
		r.para(label, text)
	}
	n := rep.NAT
	pubs := make([]string, len(n.PublicAddresses))
	for i, a := range n.PublicAddresses {
		pubs[i] = a.String()
	}
	pp := "unknown"
	if n.PortPreservation != nil {
		pp = map[bool]string{true: "yes", false: "no"}[*n.PortPreservation]
	}
	r.para("NAT", fmt.Sprintf("public address %s; ports preserved: %s; mapping %s (%s).", orNone(strings.Join(pubs, ", ")), pp, n.MappingBehavior, n.BehaviorReason))
	r.para("TIMEOUT", udpTimeout(n.UDPTimeout.Lower, n.UDPTimeout.Upper))
	if e := rep.Single.UDPTimeout.Lower; e != "" {
		r.para("", "Lower bound: "+e+".")
	}
	if e := rep.Single.UDPTimeout.Upper; e != "" {
		r.para("", "Upper bound: "+e+".")
	}
	if len(rep.Mappings) > 0 {
		r.line("")
		r.line("%s", r.pal.heading("MAPPINGS")+" (the other side only where the capture names it)")
		r.mappings(rep.Mappings)
	}
	r.line("")
	writeSingleFindings(r, rep)
	r.line("")
	r.para("LIMITS", "What one capture cannot prove:")
	for _, l := range rep.Limits {
		r.para("", "- "+l)
	}
	for _, warn := range rep.Warnings {
		r.para("warning", warn)
	}
	return r.err
}

func orUnknown(a netip.AddrPort) string {
	if !a.IsValid() {
		return "?"
	}
	return a.String()
}

// maxSingleExamples bounds the findings listed per rule; the rest are
// counted (the JSON report lists them all).
const maxSingleExamples = 20

// writeSingleFindings writes the findings grouped by rule, each with its
// evidence frames and explanation.
func writeSingleFindings(r *reportWriter, rep *analyze.Report) {
	side := strings.ToUpper(rep.Single.Side)
	if len(rep.Findings) == 0 {
		r.para("FINDINGS", "none. One capture shows less than two: see the limits below.")
		return
	}
	dg := analyze.NewTableDigest(analyze.TableLimits{Examples: maxSingleExamples})
	dg.AddFindings(rep.Findings)
	groups := dg.Rules
	sortRules(groups)
	r.para("FINDINGS", fmt.Sprintf("%s from %s; frames are those of the %s capture.", plural(len(rep.Findings), "finding"), plural(len(groups), "rule"), side))
	titles := map[string]string{}
	for _, rule := range rules.SingleCatalog() {
		titles[rule.ID] = rule.Title
	}
	for _, g := range groups {
		r.line("")
		r.line("%s%s (%s, %d×)", r.pal.verdict(g.Verdict, padLabel(strings.ToUpper(string(g.Verdict)))), g.Rule, g.Severity, g.Count)
		r.para("", titles[g.Rule])
		for _, f := range g.Examples {
			what := strings.TrimSpace(f.Method + " " + f.Field)
			if what == "" {
				what = "capture"
			}
			r.para("", fmt.Sprintf("%s (%s): %s", what, frameWords(f.Frames), f.Explanation))
		}
		if n := g.Count - len(g.Examples); n > 0 {
			r.line("… and %d more (sipalg analyze --format json lists them all)", n)
		}
	}
}

// frameWords writes "frame 3" or "frames 3, 5, 9".
func frameWords(fs []int) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = strconv.Itoa(f)
	}
	switch len(fs) {
	case 0:
		return "no frame"
	case 1:
		return "frame " + s[0]
	}
	return "frames " + strings.Join(s, ", ")
}
