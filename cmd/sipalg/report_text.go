package main

// The table report of `sipalg analyze`: rendering only, no analysis. Each
// section fits an 80-column terminal; tables are drawn by table.go.

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/sipalg/sipalg/analyze"
	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/rules"
)

// labelWidth is the width of the section labels on the left.
const labelWidth = 9

// reportWriter accumulates the first write error, so the sections can be
// written without checking each line.
type reportWriter struct {
	w     io.Writer
	pal   palette
	err   error
	lines int           // lines written so far
	buf   *bytes.Buffer // the buffer of a sub-writer (sub)
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

// maxTableLines is about as long as the table report gets by default,
// however large the capture: the verdict, the network and every rule that
// fired always; examples of findings, mappings and ladders as many as fit.
// sipalg analyze --all shows everything.
const maxTableLines = 400

// maxMappingRows is the largest mapping table shown whole by default;
// beyond it the mappings are summarised.
const maxMappingRows = 24

// renderReport writes the table report, bounded (about maxTableLines
// lines): the verdict first, then the inputs, clock, NAT and mappings, the
// findings by rule, the router fingerprint, and the ladders of the
// dialogs, only those with problems when not all fit.
//
// The report holds its messages, findings and dialogs; sipalg analyze
// gives renderTableReport the digest the pipeline built instead.
func renderReport(w io.Writer, rep *analyze.Report, color bool) error {
	return renderTableReport(w, rep, analyze.TableDigestOf(rep, tableLimits(false)), color, maxTableLines)
}

// renderReportAll writes the table report with everything in it (--all):
// every mapping, every finding, the ladder of every dialog.
func renderReportAll(w io.Writer, rep *analyze.Report, color bool) error {
	return renderTableReport(w, rep, analyze.TableDigestOf(rep, tableLimits(true)), color, 0)
}

// tableLimits are the digest's limits for the table report, bounded or
// with --all (renderTableReport's limit 0): no limit then but on the
// addresses remembered to pick out mappings, which --all lists whole.
func tableLimits(all bool) analyze.TableLimits {
	if all {
		return analyze.TableLimits{Endpoints: analyze.DefaultTableLimits().Endpoints}
	}
	return analyze.DefaultTableLimits()
}

// renderTableReport writes the table report from the report's summary (verdict,
// inputs, clock, NAT, mappings, fingerprints, warnings) and the digest of
// its findings and dialogs: it reads nothing else of rep (not its
// messages, findings or dialogs), so that it can be given a digest built
// dialog by dialog. limit bounds the lines (0: no bound).
func renderTableReport(w io.Writer, rep *analyze.Report, dg *analyze.TableDigest, color bool, limit int) error {
	r := &reportWriter{w: w, pal: palette{on: color}}
	r.w = &lineCounter{w: w, n: &r.lines}
	writeVerdict(r, rep)
	r.line("")
	writeNetwork(r, rep, dg, limit > 0)
	writeMedia(r, rep, dg)
	r.line("")
	if limit <= 0 {
		// Everything, written as it is read: the findings and ladders of
		// a digest the pipeline built come from its spools.
		writeFindings(r, dg, 0)
		r.line("")
		writeFingerprints(r, rep)
		r.line("")
		writeLadders(r, rep, dg, 0, true)
		for _, warn := range rep.Warnings {
			r.para("warning", warn)
		}
		return r.err
	}
	// The sections after the findings, to know the room left.
	fp := r.sub()
	writeFingerprints(fp, rep)
	fp.line("")
	warns := r.sub()
	for _, warn := range rep.Warnings {
		warns.para("warning", warn)
	}
	room := limit - r.lines - fp.lines - warns.lines - 1 // the blank line after the findings
	findings, ladders := r.fitFindingsAndLadders(rep, dg, limit, room)
	r.copy(findings)
	r.line("")
	r.copy(fp)
	r.copy(ladders)
	r.copy(warns)
	return r.err
}

// exampleSteps are the numbers of examples per rule tried, most first:
// up to 20 (the digest's default) when every dialog's ladder fits too, up
// to 5 when only the problem dialogs are shown (the ladders need the room
// more).
var exampleSteps = []int{20, 10, 5, 3, 2, 1}

const maxExamplesBounded = 5

// fitFindingsAndLadders renders the findings and the ladders in room
// lines: as many examples per rule as let every ladder fit when the
// digest holds every dialog, else as many as fit in two thirds of the
// room, the problem ladders taking the rest.
func (r *reportWriter) fitFindingsAndLadders(rep *analyze.Report, dg *analyze.TableDigest, limit, room int) (findings, ladders *reportWriter) {
	render := func(k int) *reportWriter {
		f := r.sub()
		writeFindings(f, dg, k)
		return f
	}
	if dg.AllKept {
		all := r.sub()
		writeLadders(all, rep, dg, 0, true)
		for _, k := range exampleSteps {
			if f := render(k); f.lines+all.lines <= room {
				return f, all
			}
		}
	}
	var f *reportWriter
	for _, k := range exampleSteps {
		if k > maxExamplesBounded {
			continue
		}
		if f = render(k); f.lines <= room*2/3 {
			break
		}
	}
	ladders = r.sub()
	writeLadders(ladders, rep, dg, room-f.lines, false)
	return f, ladders
}

// lineCounter counts the lines written through it.
type lineCounter struct {
	w io.Writer
	n *int
}

func (c *lineCounter) Write(p []byte) (int, error) {
	*c.n += bytes.Count(p, []byte{'\n'})
	return c.w.Write(p)
}

// sub returns a writer into a buffer of its own, with r's palette: a
// section rendered to learn its length before it is written.
func (r *reportWriter) sub() *reportWriter {
	s := &reportWriter{pal: r.pal, buf: &bytes.Buffer{}}
	s.w = &lineCounter{w: s.buf, n: &s.lines}
	return s
}

// copy writes what s holds.
func (r *reportWriter) copy(s *reportWriter) {
	if r.err == nil && s.buf.Len() > 0 {
		_, r.err = r.w.Write(s.buf.Bytes())
	}
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

func writeNetwork(r *reportWriter, rep *analyze.Report, dg *analyze.TableDigest, bounded bool) {
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
	if !bounded || len(rep.Mappings) <= maxMappingRows {
		r.mappings(rep.Mappings)
		return
	}
	r.mappingSummary(rep.Mappings, dg)
}

// Bounds of the mapping summary.
const (
	maxNotableMappings = 20 // expired, losing packets, or named by a finding
	firstMappings      = 5  // shown when none is notable
)

// mappingSummary writes, for more mappings than maxMappingRows, their
// count by kind, then the mappings worth a look (expired, inbound packets
// lost, an endpoint named by a bad or warning finding), then how many
// more there are.
func (r *reportWriter) mappingSummary(ms []correlate.Mapping, dg *analyze.TableDigest) {
	var kinds []string
	count := map[string]int{}
	expired, lost := 0, 0
	var notable []correlate.Mapping
	for _, m := range ms {
		k := mappingKind(m)
		if count[k] == 0 {
			kinds = append(kinds, k)
		}
		count[k]++
		if m.Expired {
			expired++
		}
		if m.DroppedInbound > 0 {
			lost++
		}
		if m.Expired || m.DroppedInbound > 0 || dg.NamedByFinding(m.LAN) || dg.NamedByFinding(m.WAN) {
			notable = append(notable, m)
		}
	}
	byKind := make([]string, len(kinds))
	for i, k := range kinds {
		byKind[i] = fmt.Sprintf("%d %s", count[k], k)
	}
	r.para("", fmt.Sprintf("%d mappings: %s; %d expired, %d lost inbound packets.", len(ms), strings.Join(byKind, ", "), expired, lost))
	shown := notable
	switch {
	case len(notable) == 0:
		shown = ms[:firstMappings]
		r.para("", fmt.Sprintf("None expired, lost inbound packets or is named by a bad or warning finding; the first %d:", firstMappings))
	case len(notable) > maxNotableMappings:
		shown = notable[:maxNotableMappings]
		r.para("", fmt.Sprintf("Expired, lost inbound packets or named by a bad or warning finding: %d; the first %d:", len(notable), maxNotableMappings))
	default:
		r.para("", "Expired, lost inbound packets or named by a bad or warning finding:")
	}
	r.mappings(shown)
	r.line("%d more: sipalg analyze --all, or --format json, lists every mapping", len(ms)-len(shown))
}

func mappingKind(m correlate.Mapping) string {
	if m.Proto != "udp" {
		return m.Proto + "/" + m.Kind.String()
	}
	return m.Kind.String()
}

// mappings writes the mapping table; an endpoint the report does not know
// (one-sided analysis) is "?".
func (r *reportWriter) mappings(ms []correlate.Mapping) {
	rows := make([][]string, 0, len(ms))
	for _, m := range ms {
		kind := mappingKind(m)
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

// sortRules orders rules worst verdict first, then by rule ID; the sort
// is stable, and each rule's findings keep their report order.
func sortRules(gs []analyze.TableRule) { analyze.SortTableRules(gs) }

// findingRowsPart bounds the findings written as one table with --all: a
// rule of a million findings is written as tables of this many rows, not
// held whole.
const findingRowsPart = 1000

// writeFindings writes every rule that fired, worst first, with its count
// and its first examples findings; with examples 0, every finding
// ([analyze.TableDigest.EachFinding]).
func writeFindings(r *reportWriter, dg *analyze.TableDigest, examples int) {
	if dg.Findings == 0 {
		r.para("FINDINGS", "none: the router changed no SIP field, and no rule fired.")
		return
	}
	groups := dg.SortedRules()
	r.para("FINDINGS", fmt.Sprintf("%s from %s; frames are those of the LAN and WAN captures.", plural(dg.Findings, "finding"), plural(len(groups), "rule")))
	titles := catalogTitles()
	head := func(g analyze.TableRule) {
		r.line("")
		label := strings.ToUpper(string(g.Verdict))
		r.line("%s%s (%s, %d×)", r.pal.verdict(g.Verdict, padLabel(label)), g.Rule, g.Severity, g.Count)
		about := titles[g.Rule]
		if about == "" {
			about = g.First.Explanation
		}
		r.para("", about)
	}
	if examples > 0 {
		for _, g := range groups {
			head(g)
			shown := g.Examples[:min(len(g.Examples), examples)]
			r.findingRows(shown)
			if n := g.Count - len(shown); n > 0 {
				r.line("… and %d more (sipalg analyze --format json lists them all)", n)
			}
		}
		return
	}
	next := 0 // the next group to head
	var part []rules.Finding
	err := dg.EachFinding(func(rule string, f *rules.Finding) error {
		if next == 0 || groups[next-1].Rule != rule {
			r.findingRows(part)
			part = part[:0]
			for next < len(groups) && groups[next].Rule != rule {
				head(groups[next])
				next++
			}
			if next == len(groups) {
				return fmt.Errorf("table: a finding of %s, a rule the digest did not count", rule)
			}
			head(groups[next])
			next++
		}
		part = append(part, *f)
		if len(part) == findingRowsPart {
			r.findingRows(part)
			part = part[:0]
		}
		return nil
	})
	r.findingRows(part)
	for ; next < len(groups); next++ {
		head(groups[next])
	}
	if err != nil && r.err == nil {
		r.err = err
	}
}

// findingRows writes findings as table rows, and those with no
// before/after in words.
func (r *reportWriter) findingRows(fs []rules.Finding) {
	var rows [][]string
	var told []*rules.Finding
	for i := range fs {
		f := &fs[i]
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

// writeLadders writes the ladders the digest kept: with every set (the
// digest kept every dialog), all of them; else the dialogs with problems,
// as many as fit in room lines (0: no bound).
func writeLadders(r *reportWriter, rep *analyze.Report, dg *analyze.TableDigest, room int, every bool) {
	if dg.Messages == 0 {
		r.para("DIALOGS", "no SIP message seen.")
		return
	}
	base := ladderBase(rep, dg)
	if every {
		r.para("DIALOGS", "every SIP message, by dialog: time since the LAN capture's start, frames on each side, what the router did with it, how many fields it changed.")
		err := dg.EachDialog(func(d analyze.TableDialog) error {
			r.ladder(rep, d, base, false)
			return r.err
		})
		if err != nil && r.err == nil {
			r.err = err
		}
		return
	}
	if dg.Problems == 0 {
		r.para("DIALOGS", fmt.Sprintf("none of the %s (%s) has a problem: no message dropped or generated by the router, no bad or warning finding. sipalg analyze --all shows every ladder; --format json lists every message.",
			plural(dg.Dialogs, "dialog"), plural(dg.Messages, "SIP message")))
		return
	}
	head := r.sub()
	have := "have problems"
	if dg.Problems == 1 {
		have = "has a problem"
	}
	head.para("DIALOGS", fmt.Sprintf("%d of %s (%s) %s: a message dropped or generated by the router, or a bad or warning finding. Ladders follow, as many as fit: time since the LAN capture's start, frames on each side, what the router did, fields changed. sipalg analyze --all shows every ladder; --format json lists every message.",
		dg.Problems, plural(dg.Dialogs, "dialog"), plural(dg.Messages, "SIP message"), have))
	used := head.lines + 2 // and the closing lines: a blank one, "… and N more"
	r.copy(head)
	shown := 0
	for _, d := range dg.Kept {
		if d.Problem == "" { // kept while every dialog fitted the digest
			continue
		}
		l := r.sub()
		l.ladder(rep, d, base, true)
		if room > 0 && used+l.lines > room {
			break
		}
		used += l.lines
		r.copy(l)
		shown++
	}
	if n := dg.Problems - shown; n > 0 {
		r.line("")
		r.line("… and %d more %s with problems (sipalg analyze --all shows them)", n, map[bool]string{true: "dialog", false: "dialogs"}[n == 1])
	}
}

// ladder writes one dialog's ladder; problem adds why it is shown. Of
// rep it reads only the summary (the clock, for stateLabel). A later part
// of a long ladder (--all) continues the table without the heading.
func (r *reportWriter) ladder(rep *analyze.Report, d analyze.TableDialog, base int64, problem bool) {
	next := 0 // the next position in the dialog
	if d.Continued && len(d.Rows) > 0 {
		next = d.Rows[0].Pos
	} else {
		r.ladderHeading(d, problem)
	}
	rows := make([][]string, 0, len(d.Rows)+2)
	gap := func(to int) {
		if to > next {
			rows = append(rows, []string{"…", "", "", "", plural(to-next, "message"), "", "", ""})
		}
	}
	for _, m := range d.Rows {
		gap(m.Pos)
		next = m.Pos + 1
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
	gap(d.Messages)
	r.table([]string{"Time", "LAN", "", "WAN", "Message", "State", "Changed", ""}, rows)
}

// ladderHeading writes the lines above a ladder: the dialog, its
// Call-IDs, and (problem) why it is shown.
func (r *reportWriter) ladderHeading(d analyze.TableDialog, problem bool) {
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
	if problem && d.Problem != "" {
		r.line("%s", shorten("  "+d.Problem, pageWidth))
	}
}

// ladderBase is the LAN capture's first timestamp (Wireshark's time
// reference), or the first message's.
func ladderBase(rep *analyze.Report, dg *analyze.TableDigest) int64 {
	if t, err := time.Parse(time.RFC3339Nano, rep.Inputs["lan"].FirstTS); err == nil {
		return t.UnixNano()
	}
	return dg.FirstTS
}
