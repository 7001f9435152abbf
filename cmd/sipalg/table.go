package main

// This file holds every use of tablewriter: rendering only, no analysis.

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/sipalg/sipalg/analyze/inventory"
)

func renderFlows(w io.Writer, s *inventory.Summary) error {
	format := string(s.Format)
	if s.Compressed {
		format += " (gzip)"
	}
	var lts []string
	for name, n := range s.LinkTypes {
		lts = append(lts, fmt.Sprintf("%s ×%d", name, n))
	}
	sort.Strings(lts)
	fmt.Fprintf(w, "File:        %s\n", s.File)
	fmt.Fprintf(w, "Format:      %s, %d interface(s)\n", format, len(s.Interfaces))
	fmt.Fprintf(w, "Link types:  %s\n", strings.Join(lts, ", "))
	fmt.Fprintf(w, "Packets:     %d (%d bytes)\n", s.Packets, s.Bytes)
	if s.First != 0 {
		fmt.Fprintf(w, "Time span:   %s … %s (%s)\n", time.Unix(0, s.First).UTC().Format("2006-01-02 15:04:05.000000"),
			time.Unix(0, s.Last).UTC().Format("15:04:05.000000"), time.Duration(s.Last-s.First).Round(time.Millisecond))
	}
	fmt.Fprintf(w, "SIP:         %d message(s) (%d UDP, %d TCP) in %d frame(s), %d with parse errors\n",
		s.SIPMessages, s.SIPMessagesUDP, s.SIPMessagesTCP, s.SIPFrames, s.SIPMessagesWithErrors)
	if len(s.Diagnostics) > 0 {
		var ds []string
		for code, n := range s.Diagnostics {
			ds = append(ds, fmt.Sprintf("%s ×%d", code, n))
		}
		sort.Strings(ds)
		fmt.Fprintf(w, "Diagnostics: %s\n", strings.Join(ds, ", "))
	}
	fmt.Fprintln(w)
	// The same compact table as the analyze report.
	rows := make([][]string, 0, len(s.Flows))
	for _, f := range s.Flows {
		rows = append(rows, []string{f.Proto, f.A.String(), f.B.String(), string(f.Kind),
			strconv.Itoa(f.PacketsAB) + "/" + strconv.Itoa(f.PacketsBA),
			strconv.FormatInt(f.BytesAB, 10) + "/" + strconv.FormatInt(f.BytesBA, 10),
			time.Duration(f.Last - f.First).Round(time.Second).String()})
	}
	// No column is cut: an address must stay whole, even past 80
	// columns (IPv6).
	if err := renderTable(w, []string{"Proto", "Source", "Destination", "Kind", "Pkts", "Bytes", "Dur"}, rows, pageWidth); err != nil {
		return err
	}
	fmt.Fprintln(w, "Pkts and Bytes: Source → Destination / Destination → Source.")
	for _, warn := range s.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	return nil
}

// pageWidth is the terminal width every report table fits in.
const pageWidth = 80

// columnGap separates the columns of a compact table.
const columnGap = "  "

// renderTable writes a compact table: a header, a rule under it, columns
// separated by two spaces, no borders, no trailing blanks. Cells of the
// columns in shrink (all, when none is given) are shortened in the middle,
// marked …, until the table fits width; the JSON report has every value
// in full.
func renderTable(w io.Writer, header []string, rows [][]string, width int, shrink ...int) error {
	widths := fitColumns(header, rows, width-len(columnGap)*(len(header)-1), shrink)
	var buf bytes.Buffer
	sym := tw.NewSymbolCustom("sipalg").WithRow("─").WithColumn(columnGap).WithCenter(columnGap).WithMidLeft("").WithMidRight("")
	t := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: sym,
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenColumns: tw.On, BetweenRows: tw.Off, ShowHeader: tw.On},
				Lines:      tw.Lines{ShowHeaderLine: tw.On},
			},
		})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithPadding(tw.Padding{Left: "", Right: "", Overwrite: true}),
		tablewriter.WithTrimSpace(tw.Off),
	)
	h := make([]any, len(header))
	for i, c := range header {
		h[i] = shorten(c, widths[i])
	}
	t.Header(h...)
	for _, r := range rows {
		cells := make([]any, len(r))
		for i, c := range r {
			cells[i] = shorten(c, widths[i])
		}
		if err := t.Append(cells...); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	for _, line := range strings.SplitAfter(buf.String(), "\n") {
		trimmed := strings.TrimRight(line, " \n")
		if line == "" {
			continue
		}
		if _, err := io.WriteString(w, trimmed+"\n"); err != nil {
			return err
		}
	}
	return nil
}
