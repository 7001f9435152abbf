package main

import (
	"io"
	"os"

	"golang.org/x/term"
)

// isTerminal reports whether w is a terminal (golang.org/x/term), as
// opposed to a file, a pipe, /dev/null or a test buffer.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// wantColor reports whether output to w gets ANSI colours: only on a
// terminal, never when NO_COLOR is set (https://no-color.org) or TERM is
// dumb.
func wantColor(w io.Writer) bool {
	return isTerminal(w) && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
}

// wantProgress reports whether a progress bar goes to w: only on a
// terminal, and not under CI (CI=true is set by GitHub Actions, GitLab,
// CircleCI, Travis, Buildkite...), whose logs keep every redraw.
func wantProgress(w io.Writer) bool {
	return isTerminal(w) && os.Getenv("CI") == "" && os.Getenv("TERM") != "dumb"
}
