// Package spool holds records that arrive in one order and are read in
// another, in bounded memory: a record is a sort key and a value; records
// are kept in memory up to a budget, then written out in sorted runs to a
// temporary file, and read back by merging the runs (an external merge
// sort). sipalg's report lists messages and findings by ID while dialogs
// are judged in the order they end (issue 15).
package spool

import (
	"bufio"
	"bytes"
	"cmp"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// DefaultBudget is the memory a Spool fills before it writes a run: 2 MiB
// of keys and values, some 5,000 messages of the report. A report of a
// million messages then merges a few hundred runs, each read through a
// 16 KiB buffer.
const DefaultBudget = 2 << 20

// runBuffer is the read buffer of each run while merging.
const runBuffer = 16 << 10

// maxRuns bounds the runs merged at once: past it the runs written so far
// are merged into one, so that the read buffers of a merge (maxRuns ×
// runBuffer, 1 MiB) do not grow with the records (a report of 1.7 million
// findings wrote 350 runs). Each record is then written about
// log(runs)/log(maxRuns) times more.
const maxRuns = 64

// Spool collects records and returns them in key order. The zero value
// is not usable; see [New].
type Spool struct {
	budget  int
	dir     string
	mem     []rec
	memSize int
	n       int
	file    *os.File
	w       *bufio.Writer
	runs    []run // byte ranges of the file, each sorted
	off     int64
	err     error
}

type rec struct {
	key, val []byte
	seq      int // arrival order: equal keys keep it
}

type run struct{ off, end int64 }

// New returns a Spool that keeps budget bytes in memory (DefaultBudget
// when zero or less) and writes its runs to a temporary file in dir (the
// system's when empty).
func New(dir string, budget int) *Spool {
	if budget <= 0 {
		budget = DefaultBudget
	}
	return &Spool{budget: budget, dir: dir}
}

// Len returns the number of records added.
func (s *Spool) Len() int { return s.n }

// Add adds a record; key and val are copied. Equal keys come back in the
// order they were added.
func (s *Spool) Add(key, val []byte) error {
	if s.err != nil {
		return s.err
	}
	s.mem = append(s.mem, rec{key: bytes.Clone(key), val: bytes.Clone(val), seq: s.n})
	s.n++
	s.memSize += len(key) + len(val) + 64
	if s.memSize >= s.budget {
		s.err = s.spill()
	}
	return s.err
}

func (s *Spool) sortMem() {
	slices.SortFunc(s.mem, func(a, b rec) int {
		if c := bytes.Compare(a.key, b.key); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
}

// spill writes the records in memory as one sorted run.
func (s *Spool) spill() error {
	if len(s.mem) == 0 {
		return nil
	}
	if s.file == nil {
		f, err := os.CreateTemp(s.dir, "sipalg-spool-*")
		if err != nil {
			return fmt.Errorf("spool: %w", err)
		}
		s.file, s.w = f, bufio.NewWriterSize(f, 256<<10)
	}
	s.sortMem()
	start := s.off
	for _, r := range s.mem {
		if err := s.write(r.key, r.val, uint64(r.seq)); err != nil {
			return err
		}
	}
	s.runs = append(s.runs, run{start, s.off})
	clear(s.mem)
	s.mem, s.memSize = s.mem[:0], 0
	if len(s.runs) >= maxRuns {
		return s.compact()
	}
	return nil
}

// write appends one record to the run being written: the lengths of key
// and val and its arrival order as uvarints, then key and val.
func (s *Spool) write(key, val []byte, seq uint64) error {
	var hdr [3 * binary.MaxVarintLen64]byte
	n := binary.PutUvarint(hdr[:], uint64(len(key)))
	n += binary.PutUvarint(hdr[n:], uint64(len(val)))
	n += binary.PutUvarint(hdr[n:], seq)
	for _, b := range [][]byte{hdr[:n], key, val} {
		if _, err := s.w.Write(b); err != nil {
			return fmt.Errorf("spool: %w", err)
		}
		s.off += int64(len(b))
	}
	return nil
}

// compact merges every run so far into one, written after them.
func (s *Spool) compact() error {
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	start := s.off
	if err := s.merge(s.write); err != nil {
		return err
	}
	s.runs = []run{{start, s.off}}
	return nil
}

// Each calls f with every record in key order, then frees the spool's
// memory and file; a Spool is read once. It stops at f's first error and
// returns it.
func (s *Spool) Each(f func(key, val []byte) error) error {
	defer s.Close()
	if s.err != nil {
		return s.err
	}
	if len(s.runs) == 0 {
		s.sortMem()
		for _, r := range s.mem {
			if err := f(r.key, r.val); err != nil {
				return err
			}
		}
		return nil
	}
	if err := s.spill(); err != nil {
		return err
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return s.merge(func(key, val []byte, _ uint64) error { return f(key, val) })
}

// merge calls f with the records of every run in key order (equal keys
// in the order they were added).
func (s *Spool) merge(f func(key, val []byte, seq uint64) error) error {
	h := make(mergeHeap, 0, len(s.runs))
	for _, r := range s.runs {
		rr := &runReader{r: bufio.NewReaderSize(io.NewSectionReader(s.file, r.off, r.end-r.off), runBuffer)}
		ok, err := rr.next()
		if err != nil {
			return err
		}
		if ok {
			h = append(h, rr)
		}
	}
	heap.Init(&h)
	for len(h) > 0 {
		rr := h[0]
		if err := f(rr.key, rr.val, rr.seq); err != nil {
			return err
		}
		ok, err := rr.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	return nil
}

// Close frees the spool's memory and removes its file.
func (s *Spool) Close() error {
	s.mem = nil
	if s.file == nil {
		return nil
	}
	name := s.file.Name()
	err := errors.Join(s.file.Close(), os.Remove(name))
	s.file, s.w = nil, nil
	return err
}

type runReader struct {
	r        *bufio.Reader
	key, val []byte
	seq      uint64
}

// next reads the run's next record; false at its end.
func (rr *runReader) next() (bool, error) {
	kl, err := binary.ReadUvarint(rr.r)
	if err == io.EOF {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("spool: reading a run: %w", err)
	}
	vl, err := binary.ReadUvarint(rr.r)
	if err != nil {
		return false, fmt.Errorf("spool: reading a run: %w", err)
	}
	if rr.seq, err = binary.ReadUvarint(rr.r); err != nil {
		return false, fmt.Errorf("spool: reading a run: %w", err)
	}
	buf := make([]byte, kl+vl)
	if _, err := io.ReadFull(rr.r, buf); err != nil {
		return false, fmt.Errorf("spool: reading a run: %w", err)
	}
	rr.key, rr.val = buf[:kl], buf[kl:]
	return true, nil
}

type mergeHeap []*runReader

func (h mergeHeap) Len() int { return len(h) }
func (h mergeHeap) Less(i, j int) bool {
	if c := bytes.Compare(h[i].key, h[j].key); c != 0 {
		return c < 0
	}
	return h[i].seq < h[j].seq
}
func (h mergeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)   { *h = append(*h, x.(*runReader)) }
func (h *mergeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
