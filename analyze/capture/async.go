package capture

import (
	"io"
	"sync"
)

// asyncReader reads its source in a goroutine of its own, a few chunks
// ahead of its reader: a gzip'd capture inflates on one core while the
// packets are decoded on another.
//
// Why (2026-11, issue 9): inflating is most of the cost of reading a
// gzip'd capture (Go's inflate runs at about zcat's speed); done in line
// with decoding, reading took inflate plus decode time, about 80% of
// zcat's speed on the benchmark capture, instead of the larger of the two.
type asyncReader struct {
	full chan chunk
	free chan []byte
	done chan struct{}
	wg   sync.WaitGroup
	buf  []byte // the chunk being read
	cur  []byte // its unread part
	err  error  // after cur
}

type chunk struct {
	b   []byte
	err error
}

const (
	asyncChunk  = 1 << 20
	asyncChunks = 4
	// asyncMinInput is the smallest (compressed) input read ahead: below
	// it the goroutine is not worth its start, and small inputs (tests,
	// fuzzing) need no Close.
	asyncMinInput = 1 << 20
)

func newAsyncReader(src io.Reader) *asyncReader {
	a := &asyncReader{full: make(chan chunk, asyncChunks), free: make(chan []byte, asyncChunks), done: make(chan struct{})}
	for i := 0; i < asyncChunks; i++ {
		a.free <- make([]byte, asyncChunk)
	}
	a.wg.Add(1)
	go a.fill(src)
	return a
}

func (a *asyncReader) fill(src io.Reader) {
	defer a.wg.Done()
	for {
		var b []byte
		select {
		case b = <-a.free:
		case <-a.done:
			return
		}
		// Fill the chunk, keeping the source's own error: a gzip stream
		// cut short says io.ErrUnexpectedEOF, which must reach the
		// reader as such (a truncation), not as a clean end.
		n := 0
		var err error
		for n < len(b) && err == nil {
			var k int
			k, err = src.Read(b[n:])
			n += k
		}
		select {
		case a.full <- chunk{b[:n], err}:
		case <-a.done:
			return
		}
		if err != nil {
			return
		}
	}
}

func (a *asyncReader) Read(p []byte) (int, error) {
	for len(a.cur) == 0 {
		if a.buf != nil {
			a.free <- a.buf // never blocks: free holds every buffer there is
			a.buf = nil
		}
		if a.err != nil {
			return 0, a.err
		}
		c := <-a.full
		a.buf, a.cur, a.err = c.b[:cap(c.b)], c.b, c.err
	}
	n := copy(p, a.cur)
	a.cur = a.cur[n:]
	return n, nil
}

// Close stops the goroutine and waits for it.
func (a *asyncReader) Close() {
	close(a.done)
	a.wg.Wait()
}
