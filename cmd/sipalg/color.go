package main

import "github.com/sipalg/sipalg/rules"

// palette colours words of the table report; the zero value (no colour)
// is what files, pipes and NO_COLOR get.
type palette struct{ on bool }

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[1;31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

func (p palette) paint(code, s string) string {
	if !p.on || s == "" {
		return s
	}
	return code + s + ansiReset
}

// heading is a section title.
func (p palette) heading(s string) string { return p.paint(ansiBold, s) }

// verdict colours s by the verdict it stands for.
func (p palette) verdict(v rules.Verdict, s string) string {
	switch v {
	case rules.Bad:
		return p.paint(ansiRed, s)
	case rules.Warning:
		return p.paint(ansiYellow, s)
	case rules.Correct:
		return p.paint(ansiGreen, s)
	case rules.Info:
		return p.paint(ansiCyan, s)
	}
	return s
}
