package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// singleMark follows the verdict of a case analysed from one side only.
const singleMark = "*"

// renderBatchSummary writes the summary table of a batch, one row per
// case in name order, then the totals.
func renderBatchSummary(w io.Writer, s *batchSummary) error {
	rows := make([][]string, 0, len(s.Cases))
	count := map[string]int{}
	failed, single := false, 0
	for _, c := range s.Cases {
		failed = failed || c.Error != ""
		if strings.HasPrefix(c.Mode, "single-") {
			single++
		}
	}
	for _, c := range s.Cases {
		count[c.Verdict]++
		fp := c.Fingerprint
		if fp == "" && c.Error == "" {
			fp = "-"
		}
		timeout := lifetime(c.UDPTimeout.Lower, c.UDPTimeout.Upper)
		if c.Error != "" {
			timeout = "-"
		}
		verdict := c.Verdict
		if strings.HasPrefix(c.Mode, "single-") {
			verdict += singleMark // an inference: see the legend
		}
		row := []string{c.Case, verdict, strconv.Itoa(c.Bad), strconv.Itoa(c.Correct), strconv.Itoa(c.Warnings), timeout, fp}
		if failed {
			row = append(row, c.Error)
		}
		rows = append(rows, row)
	}
	header := []string{"Case", "Verdict", "Bad", "Correct", "Warn", "Timeout", "Router"}
	if failed {
		// The error column is there only when a case failed; stderr has
		// each error in full. Errors and router names give way when the
		// table is too wide; case names do not.
		header = append(header, "Error")
	}
	if len(rows) > 0 {
		if err := renderTable(w, header, rows, pageWidth, 7, 6); err != nil {
			return err
		}
	}
	if single > 0 {
		if _, err := fmt.Fprintf(w, "%s one side only: single-capture analysis, inferred, not proven\n", singleMark); err != nil {
			return err
		}
	}
	var parts []string
	for _, v := range []string{"bad", "warning", "ok", "error"} {
		if count[v] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", count[v], v))
		}
	}
	line := fmt.Sprintf("%d cases", len(s.Cases))
	if len(parts) > 0 {
		line += ": " + strings.Join(parts, ", ")
	}
	if single > 0 {
		line += fmt.Sprintf(" (%d one-sided%s)", single, singleMark)
	}
	if s.Shard != "" {
		line += " (shard " + s.Shard + ")"
	}
	_, err := fmt.Fprintf(w, "%s; exit code %d (--fail-on %s)\n", line, s.ExitCode, s.FailOn)
	return err
}
