package main

import (
	"io"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Progress bar timing: nothing is drawn for work that ends within
// progressDelay, so short runs print nothing; then a redraw every
// progressTick.
const (
	progressDelay = 400 * time.Millisecond
	progressTick  = 100 * time.Millisecond
	progressWidth = 25 // characters of bar
	// progressCaseWidth bounds the current case's name on batch's bar, so
	// that the line fits 80 columns.
	progressCaseWidth = 24
)

// progress draws a one-line progress bar (schollz/progressbar) on stderr
// while work runs. The work reports by adding to done, and batch names the
// case it is on in current; nothing in the analysis waits for the bar. A
// nil *progress does nothing, so callers need not check.
type progress struct {
	w        io.Writer
	label    string
	unit     string // "bytes" or a noun counted ("cases")
	total    int64
	done     *atomic.Int64
	current  *atomic.Pointer[string] // may be nil
	stop     chan struct{}
	finished chan struct{}
}

// startProgress starts a bar on w when w is a terminal outside CI, and
// returns nil otherwise. current, when not nil, names what is being worked
// on, shown after the label.
func startProgress(w io.Writer, label, unit string, total int64, done *atomic.Int64, current *atomic.Pointer[string]) *progress {
	if !wantProgress(w) || total <= 0 {
		return nil
	}
	return newProgress(w, label, unit, total, done, current, progressDelay, progressTick)
}

func newProgress(w io.Writer, label, unit string, total int64, done *atomic.Int64, current *atomic.Pointer[string], delay, tick time.Duration) *progress {
	p := &progress{w: w, label: label, unit: unit, total: total, done: done, current: current,
		stop: make(chan struct{}), finished: make(chan struct{})}
	go p.run(delay, tick)
	return p
}

func (p *progress) run(delay, tick time.Duration) {
	defer close(p.finished)
	wait := time.NewTimer(delay)
	defer wait.Stop()
	select {
	case <-p.stop:
		return
	case <-wait.C:
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetWidth(progressWidth),
		progressbar.OptionUseANSICodes(true), // clears with ESC[2K, on a terminal only
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionSetElapsedTime(false),
		progressbar.OptionUseIECUnits(true),
	}
	if p.unit == "bytes" {
		opts = append(opts, progressbar.OptionShowCount(), progressbar.OptionShowBytes(true))
	} else {
		opts = append(opts, progressbar.OptionShowCount())
	}
	bar := progressbar.NewOptions64(p.total, opts...)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		bar.Describe(p.description())
		bar.Set64(min(p.done.Load(), p.total))
		select {
		case <-p.stop:
			bar.Clear() // the line is free for what follows
			return
		case <-t.C:
		}
	}
}

// description is the label, and the current item when there is one (the
// bar's count, "(done/total)", counts p.unit).
func (p *progress) description() string {
	if p.current == nil {
		return p.label
	}
	c := p.current.Load()
	if c == nil || *c == "" {
		return p.label
	}
	return p.label + " " + shorten(*c, progressCaseWidth)
}

// Stop ends the bar, clears its line, and returns once it is gone.
func (p *progress) Stop() {
	if p == nil {
		return
	}
	close(p.stop)
	<-p.finished
}
