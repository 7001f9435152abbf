package main

// The table report of `sipalg analyze`: rendering only, no analysis. Each
// section fits an 80-column terminal; tables are drawn by table.go.

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/sipalg/sipalg/analyze"
	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/rules"
)

// maxFindingRows bounds the rows listed per rule; the rest are counted
// (the JSON report lists them all).
const maxFindingRows = 20

// labelWidth is the width of the section labels on the left.
const labelWidth = 9

// reportWriter accumulates the first write error, so the sections can be
// written without checking each line.
type reportWriter struct {
	w   io.Writer
	pal palette
	err error
}

func (r *reportWriter) line(format string, args ...any) {
	if r.err == nil {
		_, r.err = fmt.Fprintf(r.w, format+"\n", args...)
	}
}

// para writes text wrapped to the page, after a label (padded to
// labelWidth) on the first line and indented on the rest.
func (r *reportWriter) para(label, text string) {
	pad := strings.Repeat(" ", labelWidth)
	first := label + strings.Repeat(" ", max(labelWidth-textWidth(label), 1))
	lines := wrap(text, pageWidth, first, pad)
	for i, l := range lines {
		if i == 0 && label != "" {
			l = r.pal.heading(label) + l[len(label):]
		}
		r.line("%s", l)
	}
}

// table writes a table; the columns listed in shrink give way when it is
// too wide for the page (all of them when none is listed).
func (r *reportWriter) table(header []string, rows [][]string, shrink ...int) {
	if r.err == nil {
		r.err = renderTable(r.w, header, rows, pageWidth, shrink...)
	}
}

// renderReport writes the table report: the verdict first, then the
// inputs, clock, NAT and mappings, the findings by rule, the router
// fingerprint, and a ladder of every dialog.
func renderReport(w io.Writer, rep *analyze.Report, color bool) error {
	r := &reportWriter{w: w, pal: palette{on: color}}
	writeVerdict(r, rep)
	r.line("")
	writeNetwork(r, rep)
	writeMedia(r, rep)
	r.line("")
	writeFindings(r, rep)
	r.line("")
	writeFingerprints(r, rep)
	r.line("")
	writeLadder(r, rep)
	for _, warn := range rep.Warnings {
		r.para("warning", warn)
	}
	return r.err
}

func writeVerdict(r *reportWriter, rep *analyze.Report) {
	v := rep.Verdict
	alg := "no SIP ALG detected"
	if v.ALGDetected {
		alg = "SIP ALG detected"
	} else if v.NoneCompared {
		alg = "SIP ALG unknown"
	}
	bad := fmt.Sprintf("%d bad", v.Bad)
	if v.Bad > 0 {
		bad = r.pal.verdict(rules.Bad, bad)
	}
	r.line("%s%s: %s, %d correct, %d warnings.", r.pal.heading(padLabel("VERDICT")), alg, bad, v.Correct, v.Warnings)
	risk := "Incoming calls are not at risk."
	if v.IncomingCallsAtRisk {
		risk = r.pal.verdict(rules.Bad, "Incoming calls are at risk.")
	}
	r.line("%s%s", strings.Repeat(" ", labelWidth), risk)
	if v.Summary != "" {
		r.para("", v.Summary)
	}
}

func padLabel(s string) string { return s + strings.Repeat(" ", max(labelWidth-textWidth(s), 1)) }

func writeNetwork(r *reportWriter, rep *analyze.Report) {
	for _, side := range []string{"lan", "wan"} {
		in := rep.Inputs[side]
		file := in.File
		if in.Interface != "" {
			file += ", interface " + in.Interface
		}
		r.para(strings.ToUpper(side), fmt.Sprintf("%s: %d packets, %d SIP messages", file, in.Packets, in.SIPMessages))
	}
	c := rep.Clock
	r.para("CLOCK", fmt.Sprintf("WAN = LAN %+.6f s, drift %.1f ppm, from %d packet pairs; %s p50 %.3f ms, max %.3f ms",
		c.OffsetS, c.DriftPPM, c.MatchedPairs, latencyLabel(c), c.RouterLatency.P50, c.RouterLatency.Max))
	if s := capturePoints(c); s != "" {
		r.para("CAPTURE", s)
	}
	n := rep.NAT
	pp := "unknown"
	if n.PortPreservation != nil {
		pp = map[bool]string{true: "yes", false: "no"}[*n.PortPreservation]
	}
	behavior := n.MappingBehavior
	if n.BehaviorReason != "" {
		behavior += " (" + n.BehaviorReason + ")"
	}
	r.para("NAT", fmt.Sprintf("public address %s; ports preserved: %s; mapping %s.", natAddresses(n), pp, behavior))
	r.para("TIMEOUT", udpTimeout(n.UDPTimeout.Lower, n.UDPTimeout.Upper))
	if w := rep.Window; w != nil && w.OutsideLAN+w.OutsideWAN > 0 {
		r.para("WINDOW", fmt.Sprintf("%d SIP message(s) and %d other packet(s) lie outside the time both captures ran "+
			"(state \"outside\"): seen on one side only, they show no drop and no generated message.",
			w.OutsideSIP, w.OutsideLAN+w.OutsideWAN-w.OutsideSIP))
	}
	if len(rep.Mappings) == 0 {
		return
	}
	r.line("")
	r.line("%s", r.pal.heading("MAPPINGS"))
	r.mappings(rep.Mappings)
}

// mappings writes the mapping table; an endpoint the report does not know
// (one-sided analysis) is "?".
func (r *reportWriter) mappings(ms []correlate.Mapping) {
	rows := make([][]string, 0, len(ms))
	for _, m := range ms {
		kind := m.Kind.String()
		if m.Proto != "udp" {
			kind = m.Proto + "/" + kind
		}
		life := lifetime(m.Lifetime.Lower, m.Lifetime.Upper)
		if m.Expired {
			life += " expired"
		}
		rows = append(rows, []string{kind, orUnknown(m.LAN), orUnknown(m.WAN),
			fmt.Sprintf("%d/%d", m.PacketsOut, m.PacketsIn), life, strconv.Itoa(m.DroppedInbound)})
	}
	r.table([]string{"Kind", "LAN", "WAN", "Out/In", "Lifetime", "In lost"}, rows, 1, 2, 4)
}

// lifetime prints a mapping's lifetime bounds compactly: "1.2–77.0s",
// "≥1.2s", "≤77.0s" or "unknown".
func lifetime(lo, hi *float64) string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
	switch {
	case lo != nil && hi != nil:
		return f(*lo) + "–" + f(*hi) + "s"
	case lo != nil:
		return "≥" + f(*lo) + "s"
	case hi != nil:
		return "≤" + f(*hi) + "s"
	}
	return "unknown"
}

// udpTimeout says what the captures tell of the router's UDP timeout:
// the longest idle gap a mapping survived, the shortest after which one
// was gone.
func udpTimeout(lo, hi *float64) string {
	const p = "UDP mappings time out "
	switch {
	case lo != nil && hi != nil:
		return fmt.Sprintf(p+"after between %.1f s and %.1f s idle.", *lo, *hi)
	case lo != nil:
		return fmt.Sprintf(p+"after more than %.1f s idle (no mapping was seen to expire).", *lo)
	case hi != nil:
		return fmt.Sprintf(p+"after at most %.1f s idle.", *hi)
	}
	return fmt.Sprintf("UDP timeout unknown: no mapping was seen to survive %.1f s or more idle, none to expire.", correlate.MinIdleBound.Seconds())
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func orNone(s string) string {
	if s == "" {
		return "none seen"
	}
	return s
}

// ruleGroup is the findings of one rule.
type ruleGroup struct {
	rule     string
	verdict  rules.Verdict
	severity rules.Severity
	findings []*rules.Finding
}

// groupFindings groups findings by rule: worst verdict first, then by
// rule ID; findings keep their report order.
func groupFindings(fs []rules.Finding) []*ruleGroup {
	byRule := map[string]*ruleGroup{}
	var groups []*ruleGroup
	for i := range fs {
		f := &fs[i]
		g := byRule[f.Rule]
		if g == nil {
			g = &ruleGroup{rule: f.Rule, verdict: f.Verdict, severity: f.Severity}
			byRule[f.Rule] = g
			groups = append(groups, g)
		}
		g.findings = append(g.findings, f)
	}
	sortGroups(groups)
	return groups
}

func sortGroups(gs []*ruleGroup) {
	for i := 1; i < len(gs); i++ { // insertion sort: few groups, stable
		for j := i; j > 0 && groupLess(gs[j], gs[j-1]); j-- {
			gs[j], gs[j-1] = gs[j-1], gs[j]
		}
	}
}

func groupLess(a, b *ruleGroup) bool {
	if a.verdict.Rank() != b.verdict.Rank() {
		return a.verdict.Rank() > b.verdict.Rank()
	}
	return a.rule < b.rule
}

func writeFindings(r *reportWriter, rep *analyze.Report) {
	if len(rep.Findings) == 0 {
		r.para("FINDINGS", "none: the router changed no SIP field, and no rule fired.")
		return
	}
	groups := groupFindings(rep.Findings)
	r.para("FINDINGS", fmt.Sprintf("%s from %s; frames are those of the LAN and WAN captures.", plural(len(rep.Findings), "finding"), plural(len(groups), "rule")))
	titles := catalogTitles()
	for _, g := range groups {
		r.line("")
		label := strings.ToUpper(string(g.verdict))
		r.line("%s%s (%s, %d×)", r.pal.verdict(g.verdict, padLabel(label)), g.rule, g.severity, len(g.findings))
		about := titles[g.rule]
		if about == "" {
			about = g.findings[0].Explanation
		}
		r.para("", about)
		shown := g.findings[:min(len(g.findings), maxFindingRows)]
		var rows [][]string
		var told []*rules.Finding // findings with no before/after: said in words
		for _, f := range shown {
			if f.Before == "" && f.After == "" {
				told = append(told, f)
				continue
			}
			rows = append(rows, []string{frame(f.LANFrame), frame(f.WANFrame), f.Method, f.Field, f.Before, f.After})
		}
		if len(rows) > 0 {
			r.table([]string{"LAN", "WAN", "Method", "Field", "Before", "After"}, rows, 4, 5, 3)
		}
		for _, f := range told {
			where := "LAN frame " + frame(f.LANFrame) + ", WAN frame " + frame(f.WANFrame)
			if f.Method != "" {
				where += ", " + f.Method
			}
			if f.Field != "" {
				where += ", " + f.Field
			}
			r.para("", where+": "+f.Explanation)
		}
		if n := len(g.findings) - maxFindingRows; n > 0 {
			r.line("… and %d more (sipalg analyze --format json lists them all)", n)
		}
	}
}

// catalogTitles maps rule IDs to their one-line titles.
func catalogTitles() map[string]string {
	m := map[string]string{}
	for _, rule := range rules.Catalog() {
		m[rule.ID] = rule.Title
	}
	return m
}

func frame(p *int) string {
	if p == nil {
		return "-"
	}
	return strconv.Itoa(*p)
}

func writeFingerprints(r *reportWriter, rep *analyze.Report) {
	if len(rep.Fingerprints) == 0 {
		r.para("ROUTER", "no known router profile fits these findings.")
		return
	}
	best := rep.Fingerprints[0]
	if best.Profile == rules.Undetermined {
		// No vendor's advice as if the make were known: the generic
		// advice, then each candidate's own, conditionally.
		var names []string
		for _, fp := range rep.Fingerprints[1:] {
			names = append(names, fp.Profile)
		}
		if len(names) == 0 {
			r.para("ROUTER", "undetermined: no known router profile fits these findings.")
		} else {
			r.para("ROUTER", "undetermined: consistent with "+strings.Join(names, ", ")+"; the captures do not tell them apart.")
		}
		r.para("", "To turn its SIP ALG off: "+best.DisableHint+".")
		for _, fp := range rep.Fingerprints[1:] {
			r.para("", "If it is "+fp.Profile+": "+fp.DisableHint)
		}
		return
	}
	r.para("ROUTER", fmt.Sprintf("%s (score %.2f; evidence: %s)", best.Profile, best.Score, strings.Join(best.Evidence, ", ")))
	if best.DisableHint != "" {
		r.para("", "To turn its SIP ALG off: "+best.DisableHint)
	}
	if len(rep.Fingerprints) > 1 {
		others := make([]string, 0, len(rep.Fingerprints)-1)
		for _, fp := range rep.Fingerprints[1:] {
			others = append(others, fmt.Sprintf("%s (%.2f)", fp.Profile, fp.Score))
		}
		r.para("", "Less likely: "+strings.Join(others, ", ")+".")
	}
}

// Arrows of the ladder: the direction a message crossed the router.
const (
	arrowOut     = "──►"
	arrowIn      = "◄──"
	arrowUnknown = "───"
)

func writeLadder(r *reportWriter, rep *analyze.Report) {
	if len(rep.Messages) == 0 {
		r.para("DIALOGS", "no SIP message seen.")
		return
	}
	r.para("DIALOGS", "every SIP message, by dialog: time since the LAN capture's start, frames on each side, what the router did with it, how many fields it changed.")
	base := ladderBase(rep)
	dialogs := rep.Dialogs
	if len(dialogs) == 0 { // a report read back from JSON has no dialog index
		all := make([]int, len(rep.Messages))
		for i := range all {
			all[i] = i
		}
		dialogs = append(dialogs, match.Dialog{ID: 1, Messages: all})
	}
	for _, d := range dialogs {
		r.line("")
		head := fmt.Sprintf("Dialog %d · %s", d.ID, d.Method)
		lanIDs, wanIDs := strings.Join(d.CallIDsLAN, ", "), strings.Join(d.CallIDsWAN, ", ")
		switch {
		case lanIDs != "":
			head += " · Call-ID " + lanIDs
		case wanIDs != "":
			head += " · Call-ID " + wanIDs + " (WAN side only)"
		}
		r.line("%s", r.pal.heading(shorten(head, pageWidth)))
		if lanIDs != "" && wanIDs != "" && lanIDs != wanIDs {
			r.line("%s", shorten("  on the WAN side: Call-ID "+wanIDs, pageWidth))
		}
		rows := make([][]string, 0, len(d.Messages))
		for _, i := range d.Messages {
			if i < 0 || i >= len(rep.Messages) {
				continue
			}
			m := &rep.Messages[i]
			arrow := arrowUnknown
			switch m.Direction {
			case "outbound":
				arrow = arrowOut
			case "inbound":
				arrow = arrowIn
			}
			what := m.Method
			if m.Status != nil {
				what = strconv.Itoa(*m.Status) + " " + m.Method
			}
			retx := ""
			if m.Retransmission {
				retx = "retx"
			}
			rows = append(rows, []string{fmt.Sprintf("%.3f", float64(m.TS-base)/1e9), frame(m.LANFrame), arrow, frame(m.WANFrame),
				what, stateLabel(rep, m.State), strconv.Itoa(m.ChangedFields), retx})
		}
		r.table([]string{"Time", "LAN", "", "WAN", "Message", "State", "Changed", ""}, rows)
	}
}

// ladderBase is the LAN capture's first timestamp (Wireshark's time
// reference), or the first message's.
func ladderBase(rep *analyze.Report) int64 {
	if t, err := time.Parse(time.RFC3339Nano, rep.Inputs["lan"].FirstTS); err == nil {
		return t.UnixNano()
	}
	base := rep.Messages[0].TS
	for _, m := range rep.Messages {
		base = min(base, m.TS)
	}
	return base
}
