package main

// The MEDIA section of the table report: rendering only.

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/sipalg/sipalg/analyze"
	"github.com/sipalg/sipalg/rules"
)

// maxMediaRows bounds the streams listed in the table; the worst come
// first and the rest are counted (the JSON report lists them all).
const maxMediaRows = analyze.TableMediaRows

// writeMedia writes one line per RTP stream: its call, direction, the
// packets that entered and left the router, what it lost, the delay and
// jitter it added.
func writeMedia(r *reportWriter, rep *analyze.Report, dg *analyze.TableDigest) {
	n, ms := len(rep.Media), rep.Media
	if n == 0 && dg != nil {
		// A streamed analysis: the digest counted the rows and kept the
		// worst.
		n, ms = dg.MediaStreams, dg.MediaWorst
	} else {
		ms = worstFirst(ms)
	}
	if n == 0 {
		return
	}
	r.line("")
	r.para("MEDIA", fmt.Sprintf("%s; per stream the RTP packets that entered the router and left it, those it lost "+
		"(longest run), the delay it added (p99) and the jitter it added.", plural(n, "RTP stream")))
	rows := make([][]string, 0, min(len(ms), maxMediaRows))
	for _, m := range ms[:min(len(ms), maxMediaRows)] {
		call := "-"
		if m.Dialog != nil {
			call = strconv.Itoa(*m.Dialog)
		}
		dir := arrowOut
		if m.Direction == "inbound" {
			dir = arrowIn
		}
		lost := "0"
		if m.LostAtRouter > 0 {
			lost = fmt.Sprintf("%d %.1f%% (%d)", m.LostAtRouter, m.LossPct, m.MaxLossBurst)
		}
		switch {
		case m.OneWay && m.Left == 0:
			lost += " blocked"
		case m.OneWay:
			lost += " one-way"
		case m.StoppedCrossing >= 10:
			lost += " stopped"
		}
		delay, jitter := "-", "-"
		if m.RouterDelay != nil {
			delay = fmt.Sprintf("%.3f", m.RouterDelay.P99)
			jitter = fmt.Sprintf("%.3f", m.JitterAddedMS)
		}
		rows = append(rows, []string{call, m.SSRC, dir, fmt.Sprintf("%d/%d", m.Entered, m.Left), lost, delay, jitter})
	}
	r.table([]string{"Call", "SSRC", "", "In/Out", "Lost (run)", "p99 ms", "Jitter ms"}, rows, 4)
	if n := n - maxMediaRows; n > 0 {
		r.line("… and %d more: see --format json", n)
	}
}

// worstFirst orders streams by harm: one-way first, then by loss, then
// as the report lists them.
func worstFirst(ms []rules.MediaStream) []rules.MediaStream {
	out := slices.Clone(ms)
	slices.SortStableFunc(out, func(x, y rules.MediaStream) int { return analyze.CompareMediaHarm(&x, &y) })
	return out
}
