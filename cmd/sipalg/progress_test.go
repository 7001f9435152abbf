package main

import (
	"bytes"
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

func TestProgressDrawsAndClears(t *testing.T) {
	var w lockedBuffer
	var done atomic.Int64
	done.Store(50)
	p := newProgress(&w, "analyze", "cases", 200, &done, 0, time.Millisecond)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(w.String(), "50/200 cases") && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	p.Stop()
	out := w.String()
	if !strings.Contains(out, "\ranalyze [=======>") || !strings.Contains(out, " 25% 50/200 cases") {
		t.Errorf("bar not drawn as expected: %q", out)
	}
	if !strings.HasSuffix(out, "\r\x1b[K") {
		t.Errorf("line not cleared at the end: %q", out)
	}
	for _, l := range strings.Split(out, "\r") {
		if len(l) > 79 {
			t.Errorf("bar line wider than 79 columns: %q", l)
		}
	}
}

func TestProgressQuietForShortWork(t *testing.T) {
	var w lockedBuffer
	var done atomic.Int64
	p := newProgress(&w, "analyze", "bytes", 1<<20, &done, time.Hour, time.Millisecond)
	p.Stop()
	if w.String() != "" {
		t.Errorf("work that ends before the delay drew %q", w.String())
	}
}

func TestProgressOffForBuffers(t *testing.T) {
	var done atomic.Int64
	if p := startProgress(&bytes.Buffer{}, "x", "bytes", 10, &done); p != nil {
		t.Error("a progress bar was started on a buffer (not a terminal)")
	}
	var p *progress
	p.Stop() // a nil bar is a no-op
}
