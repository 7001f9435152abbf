package main

import (
	"strings"
	"unicode/utf8"
)

// textWidth is the columns s takes on a terminal. Everything sipalg
// prints is single-width (ASCII, box drawing, arrows), so runes count.
func textWidth(s string) int { return utf8.RuneCountInString(s) }

// shorten cuts s to at most n columns, keeping its head and tail around
// an ellipsis: for addresses and Call-IDs both ends tell.
func shorten(s string, n int) string {
	if textWidth(s) <= n {
		return s
	}
	if n < 1 {
		return ""
	}
	r := []rune(s)
	head := (n - 1) - (n-1)/2
	tail := (n - 1) / 2
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}

// fitColumns returns the width of each column so that together they fit
// budget: the widest of the shrinkable columns (all, when shrink is
// empty) gives way first, none below minColumn or its header. The
// columns not listed keep their width, so a table can still be wider
// than budget.
func fitColumns(header []string, rows [][]string, budget int, shrink []int) []int {
	const minColumn = 6
	if len(shrink) == 0 {
		for i := range header {
			shrink = append(shrink, i)
		}
	}
	widths := make([]int, len(header))
	floor := make([]int, len(header))
	for i, h := range header {
		widths[i] = textWidth(h)
		floor[i] = max(minColumn, textWidth(h))
	}
	for _, r := range rows {
		for i, c := range r {
			if i < len(widths) {
				widths[i] = max(widths[i], textWidth(c))
			}
		}
	}
	sum := 0
	for _, w := range widths {
		sum += w
	}
	for sum > budget {
		// The widest shrinkable column gives way; on a tie, the one
		// listed first.
		widest := -1
		for _, i := range shrink {
			if i < len(widths) && widths[i] > floor[i] && (widest < 0 || widths[i] > widths[widest]) {
				widest = i
			}
		}
		if widest < 0 {
			break // cannot fit: wider than the page
		}
		widths[widest]--
		sum--
	}
	return widths
}

// wrap breaks text into lines of at most width columns, the first
// prefixed by first and the rest by indent (both count toward width).
func wrap(text string, width int, first, indent string) []string {
	var lines []string
	line := first
	empty := true
	for _, word := range strings.Fields(text) {
		if !empty && textWidth(line)+1+textWidth(word) > width {
			lines = append(lines, line)
			line, empty = indent, true
		}
		if !empty {
			line += " "
		}
		line += word
		empty = false
	}
	if !empty || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}
