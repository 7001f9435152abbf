package main

import (
	"io"
	"os"
)

// isTerminal reports whether w is a terminal (a character device), as
// opposed to a file, a pipe or a test buffer.
//
// Why not golang.org/x/term (2026-11): it is not a dependency, and the
// mode bit answers the question that matters here, "will a person read
// this as it is written?", on every platform Go supports. /dev/null is a
// character device too; colour codes written there harm no one.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
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
