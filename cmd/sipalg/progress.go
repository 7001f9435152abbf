package main

import (
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"
)

// Progress bar timing: nothing is drawn for work that ends within
// progressDelay, so short runs print nothing; then a redraw every
// progressTick.
const (
	progressDelay = 400 * time.Millisecond
	progressTick  = 100 * time.Millisecond
	progressWidth = 30 // characters of bar
)

// progress draws a one-line progress bar on stderr while work runs. The
// work reports by adding to done; nothing in the analysis waits for the
// bar. A nil *progress does nothing, so callers need not check.
type progress struct {
	w        io.Writer
	label    string
	unit     string // "bytes" or a noun counted ("cases")
	total    int64
	done     *atomic.Int64
	stop     chan struct{}
	finished chan struct{}
}

// startProgress starts a bar on w when w is a terminal outside CI, and
// returns nil otherwise.
func startProgress(w io.Writer, label, unit string, total int64, done *atomic.Int64) *progress {
	if !wantProgress(w) || total <= 0 {
		return nil
	}
	return newProgress(w, label, unit, total, done, progressDelay, progressTick)
}

func newProgress(w io.Writer, label, unit string, total int64, done *atomic.Int64, delay, tick time.Duration) *progress {
	p := &progress{w: w, label: label, unit: unit, total: total, done: done, stop: make(chan struct{}), finished: make(chan struct{})}
	go p.run(delay, tick)
	return p
}

func (p *progress) run(delay, tick time.Duration) {
	defer close(p.finished)
	drawn := false
	defer func() {
		if drawn {
			fmt.Fprint(p.w, "\r\x1b[K") // clear the line for what follows
		}
	}()
	wait := time.NewTimer(delay)
	defer wait.Stop()
	select {
	case <-p.stop:
		return
	case <-wait.C:
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		fmt.Fprint(p.w, "\r"+p.line())
		drawn = true
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
	}
}

// line is the bar as drawn, without the carriage return.
func (p *progress) line() string {
	n := min(p.done.Load(), p.total)
	frac := float64(n) / float64(p.total)
	fill := int(frac * progressWidth)
	bar := strings.Repeat("=", fill)
	if fill < progressWidth {
		bar += ">" + strings.Repeat(" ", progressWidth-fill-1)
	}
	var count string
	if p.unit == "bytes" {
		count = fmt.Sprintf("%.1f/%.1f MiB", float64(n)/(1<<20), float64(p.total)/(1<<20))
	} else {
		count = fmt.Sprintf("%d/%d %s", n, p.total, p.unit)
	}
	return fmt.Sprintf("%s [%s] %3.0f%% %s", p.label, bar, frac*100, count)
}

// Stop ends the bar, clears its line, and returns once it is gone.
func (p *progress) Stop() {
	if p == nil {
		return
	}
	close(p.stop)
	<-p.finished
}
