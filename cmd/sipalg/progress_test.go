package main

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for the bar's goroutine and the
// test to share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// ansiCodes are the terminal escapes the bar writes.
var ansiCodes = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)

// lastLine is the last bar drawn in out, without escapes.
func lastLine(out string) string {
	lines := strings.Split(ansiCodes.ReplaceAllString(out, ""), "\r")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.TrimSpace(lines[i]) != "" {
			return lines[i]
		}
	}
	return ""
}

// waitFor waits until w holds s, for at most 5 s.
func waitFor(w *lockedBuffer, s string) {
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(w.String(), s) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}

// TestProgressDrawsAndClears: batch's bar shows cases done / total and
// the case it is on, fits 80 columns, and clears its line at the end.
func TestProgressDrawsAndClears(t *testing.T) {
	var w lockedBuffer
	var done atomic.Int64
	var current atomic.Pointer[string]
	done.Store(50)
	name := "lab-transfer-escaped-alg-with-a-very-long-name"
	current.Store(&name)
	p := newProgress(&w, "batch", "cases", 200, &done, &current, 0, time.Millisecond)

	waitFor(&w, "50/200")
	p.Stop()
	out := w.String()
	last := lastLine(out)
	if !strings.HasPrefix(last, "batch lab-transfer…y-long-name ") || !strings.Contains(last, "25%") || !strings.Contains(last, "(50/200)") {
		t.Errorf("bar not drawn as expected: %q", last)
	}
	if !strings.HasSuffix(out, "\x1b[2K\r") {
		t.Errorf("line not cleared at the end: %q", tail(out, 200))
	}
	// The widest count a batch has, on the longest name: 80 columns.
	var wide lockedBuffer
	done.Store(99998)
	p = newProgress(&wide, "batch", "cases", 99999, &done, &current, 0, time.Millisecond)
	waitFor(&wide, "99998/99999")
	p.Stop()
	for _, l := range strings.Split(out+wide.String(), "\r") {
		if l = ansiCodes.ReplaceAllString(l, ""); textWidth(l) > 79 {
			t.Errorf("bar line wider than 79 columns: %q", l)
			break
		}
	}
}

// TestProgressBytes: the analyze bar counts bytes.
func TestProgressBytes(t *testing.T) {
	var w lockedBuffer
	var done atomic.Int64
	done.Store(3 << 20)
	p := newProgress(&w, "analyze", "bytes", 12<<20, &done, nil, 0, time.Millisecond)
	waitFor(&w, "3.0/12 MiB")
	p.Stop()
	if last := lastLine(w.String()); !strings.HasPrefix(last, "analyze") || !strings.Contains(last, "(3.0/12 MiB, ") {
		t.Errorf("bar not drawn as expected: %q", last)
	}
}

func TestProgressQuietForShortWork(t *testing.T) {
	var w lockedBuffer
	var done atomic.Int64
	p := newProgress(&w, "analyze", "bytes", 1<<20, &done, nil, time.Hour, time.Millisecond)
	p.Stop()
	if w.String() != "" {
		t.Errorf("work that ends before the delay drew %q", w.String())
	}
}

func TestProgressOffForBuffers(t *testing.T) {
	var done atomic.Int64
	if p := startProgress(&bytes.Buffer{}, "x", "bytes", 10, &done, nil); p != nil {
		t.Error("a progress bar was started on a buffer (not a terminal)")
	}
	var p *progress
	p.Stop() // a nil bar is a no-op
}

// TestIsTerminal: files, pipes and /dev/null are not terminals.
func TestIsTerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer pw.Close()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	for name, w := range map[string]*os.File{"file": f, "pipe": pw, "/dev/null": null} {
		if isTerminal(w) {
			t.Errorf("%s: isTerminal true", name)
		}
	}
}
