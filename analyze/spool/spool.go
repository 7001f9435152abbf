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
	"math"
	"os"
	"slices"
)

// DefaultBudget is the memory a Spool holds: 2 MiB of keys and values,
// half filling while the other half is written as a run (some 2,000
// messages of the report each). Runs are merged 32 at a time past 64 (see
// compact), each read through a 16 KiB buffer.
const DefaultBudget = 2 << 20

// runBuffer is the read buffer of each run while merging, and
// seqBuffer the one of an ordered spool's file, read in one pass.
const (
	runBuffer = 16 << 10
	seqBuffer = 256 << 10
)

// maxRuns bounds the runs merged at once: past it the runs written so far
// are merged into one, so that the read buffers of a merge (maxRuns ×
// runBuffer, 1 MiB) do not grow with the records (a report of 1.7 million
// findings wrote 350 runs). Each record is then written about
// log(runs)/log(maxRuns) times more.
const maxRuns = 64

// Spool collects records and returns them in key order. The zero value
// is not usable; see [New].
//
// Records are copied into an arena, and a full arena is sorted and written
// as a run by a goroutine of its own while the next one fills: the caller
// of Add (the pairing pass, the judge of dialogs) does not wait for the
// sort or the disk: each half of the budget fills while the other is
// written.
type Spool struct {
	budget int
	dir    string
	arena  []byte // keys and values, back to back
	mem    []rec
	n      int
	// spilling carries the result of the run being written in the
	// background, when one is; spare is the arena and index it hands back.
	spilling chan error
	spare    buffers
	// file, w, runs and off belong to the spilling goroutine while one
	// runs.
	file *os.File
	w    *bufio.Writer
	runs []run // byte ranges of the file, each sorted
	off  int64
	err  error
	// ordered says every key so far came no lower than the one before
	// (last): the SIP spool, keyed by arrival. Its runs are then written
	// unsorted, never compacted, and read back one after the other with
	// no merge. Once false it stays so: a spool compacted is not ordered.
	ordered bool
	last    []byte
}

// rec is a record of the arena: its key at off, its value right after.
// No pointers: the collector does not scan the index.
type rec struct {
	off, klen, vlen int
	seq             int // arrival order: equal keys keep it
}

// recSize is what a record's index entry costs, counted against the
// budget with its bytes.
const recSize = 32

type buffers struct {
	arena []byte
	mem   []rec
}

type run struct{ off, end int64 }

// New returns a Spool that keeps budget bytes in memory (DefaultBudget
// when zero or less) and writes its runs to a temporary file in dir (the
// system's when empty).
func New(dir string, budget int) *Spool {
	if budget <= 0 {
		budget = DefaultBudget
	}
	return &Spool{budget: budget, dir: dir, ordered: true}
}

// Len returns the number of records added.
func (s *Spool) Len() int { return s.n }

// Add adds a record; key and val are copied. Equal keys come back in the
// order they were added. An error of writing an earlier run may come back
// from a later Add, or from Each.
func (s *Spool) Add(key, val []byte) error {
	if s.err != nil {
		return s.err
	}
	if s.ordered {
		if s.n > 0 && bytes.Compare(key, s.last) < 0 {
			s.ordered = false
		}
		s.last = append(s.last[:0], key...)
	}
	s.mem = append(s.mem, rec{off: len(s.arena), klen: len(key), vlen: len(val), seq: s.n})
	if need := len(s.arena) + len(key) + len(val); need > cap(s.arena) {
		// Doubling, up to the budget: append grows a large slice by a
		// quarter at a time, which cost five budgets of garbage per arena.
		grown := make([]byte, len(s.arena), max(need, min(2*cap(s.arena), s.budget/2), 4096))
		copy(grown, s.arena)
		s.arena = grown
	}
	s.arena = append(s.arena, key...)
	s.arena = append(s.arena, val...)
	s.n++
	// Half the budget fills while the other half is written.
	if len(s.arena)+recSize*len(s.mem) >= s.budget/2 {
		s.spillAsync()
	}
	return s.err
}

// wait waits for the run being written, if any.
func (s *Spool) wait() {
	if s.spilling == nil {
		return
	}
	if err := <-s.spilling; err != nil && s.err == nil {
		s.err = err
	}
	s.spilling = nil
}

// spillAsync writes the records in memory as a run in the background,
// once the previous run is written.
func (s *Spool) spillAsync() {
	s.wait()
	if s.err != nil {
		return
	}
	b := buffers{s.arena, s.mem}
	s.arena, s.mem = s.spare.arena[:0], s.spare.mem[:0]
	s.spare = buffers{}
	done := make(chan error, 1)
	s.spilling = done
	ordered := s.ordered // of b's records, all added before
	go func() {
		err := s.spill(b, ordered)
		clear(b.mem)
		s.spare = buffers{b.arena[:0], b.mem[:0]}
		done <- err
	}()
}

func sortRecs(arena []byte, mem []rec) {
	slices.SortFunc(mem, func(a, b rec) int {
		ka, kb := arena[a.off:a.off+a.klen], arena[b.off:b.off+b.klen]
		if c := bytes.Compare(ka, kb); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
}

// spill writes b's records as one sorted run; ordered says every record
// added so far, b's among them, came in key order.
func (s *Spool) spill(b buffers, ordered bool) error {
	if len(b.mem) == 0 {
		return nil
	}
	if s.file == nil {
		f, err := os.CreateTemp(s.dir, "sipalg-spool-*")
		if err != nil {
			return fmt.Errorf("spool: %w", err)
		}
		s.file, s.w = f, bufio.NewWriterSize(f, 256<<10)
	}
	if !ordered {
		sortRecs(b.arena, b.mem)
	}
	start := s.off
	for _, r := range b.mem {
		k := b.arena[r.off : r.off+r.klen]
		v := b.arena[r.off+r.klen : r.off+r.klen+r.vlen]
		if err := s.write(k, v, uint64(r.seq)); err != nil {
			return err
		}
	}
	s.runs = append(s.runs, run{start, s.off})
	// Ordered runs follow one another in the file and are read so, in
	// one pass with one buffer: no merge to bound.
	for !ordered && len(s.runs) >= maxRuns {
		if err := s.compact(); err != nil {
			return err
		}
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

// compact merges the maxRuns/2 smallest runs into one, written after the
// others. Runs of one spill are all about one budget; merging the
// smallest keeps merges among runs of similar size, so each record is
// rewritten about log(records/budget)/log(maxRuns/2) times (merging every
// run so far each time rewrote everything written before: the 736,000
// messages of a SIP-heavy pair three times over).
func (s *Spool) compact() error {
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	slices.SortStableFunc(s.runs, func(a, b run) int { return cmp.Compare(a.end-a.off, b.end-b.off) })
	n := maxRuns / 2
	small := slices.Clone(s.runs[:n])
	start := s.off
	if err := mergeRuns(s.file, small, false, s.write); err != nil {
		return err
	}
	s.runs = append(s.runs[n:], run{start, s.off})
	return nil
}

// Each calls f with every record in key order, then frees the spool's
// memory and file; a Spool is read once. It stops at f's first error and
// returns it. f may keep key and val.
func (s *Spool) Each(f func(key, val []byte) error) error {
	return s.each(true, f)
}

// EachTransient is [Spool.Each] for an f that keeps neither key nor val
// past its return (the JSON writer): records read back from the disk
// then share one buffer per run instead of an allocation each (the
// report's messages and findings, read once at the end, were some 5% of
// the bytes a SIP-heavy run allocated).
func (s *Spool) EachTransient(f func(key, val []byte) error) error {
	return s.each(false, f)
}

func (s *Spool) each(own bool, f func(key, val []byte) error) error {
	defer s.Close()
	s.wait()
	if s.err != nil {
		return s.err
	}
	if len(s.runs) == 0 {
		sortRecs(s.arena, s.mem)
		for _, r := range s.mem {
			k := s.arena[r.off : r.off+r.klen : r.off+r.klen]
			v := s.arena[r.off+r.klen : r.off+r.klen+r.vlen : r.off+r.klen+r.vlen]
			if err := f(k, v); err != nil {
				return err
			}
		}
		return nil
	}
	if err := s.spill(buffers{s.arena, s.mem}, s.ordered); err != nil {
		return err
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	// All is in the file: the arenas go before the merge, which can
	// take the rest of a run (analyze reads the SIP spool through all of
	// its matching and reporting, and the arenas were a budget of its
	// heap throughout).
	s.arena, s.mem, s.spare = nil, nil, buffers{}
	if s.ordered {
		return readInOrder(s.file, s.off, own, f)
	}
	return mergeRuns(s.file, s.runs, own, func(key, val []byte, _ uint64) error { return f(key, val) })
}

// readInOrder calls f with the records of file's first end bytes, in
// file order: the runs of an ordered spool. own: each record in an
// allocation of its own.
func readInOrder(file *os.File, end int64, own bool, f func(key, val []byte) error) error {
	rr := &runReader{r: bufio.NewReaderSize(io.NewSectionReader(file, 0, end), seqBuffer), own: own}
	for {
		ok, err := rr.next()
		if err != nil || !ok {
			return err
		}
		if err := f(rr.key, rr.val); err != nil {
			return err
		}
	}
}

// mergeRuns calls f with the records of runs of file in key order (equal keys
// in the order they were added), each in an allocation of its own if own
// (else valid until f returns).
func mergeRuns(file *os.File, runs []run, own bool, f func(key, val []byte, seq uint64) error) error {
	h := make(mergeHeap, 0, len(runs))
	for _, r := range runs {
		rr := &runReader{r: bufio.NewReaderSize(io.NewSectionReader(file, r.off, r.end-r.off), runBuffer), own: own}
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
	s.wait()
	s.arena, s.mem, s.spare = nil, nil, buffers{}
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
	// own gives each record an allocation of its own; else buf holds
	// the current one.
	own bool
	buf []byte
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
	if kl > math.MaxInt32 || vl > math.MaxInt32 {
		return false, fmt.Errorf("spool: reading a run: a record of %d bytes", kl+vl)
	}
	buf := rr.alloc(int(kl + vl))
	if _, err := io.ReadFull(rr.r, buf); err != nil {
		return false, fmt.Errorf("spool: reading a run: %w", err)
	}
	rr.key, rr.val = buf[:kl], buf[kl:]
	return true, nil
}

// alloc returns n bytes for the next record.
func (rr *runReader) alloc(n int) []byte {
	if rr.own {
		return make([]byte, n)
	}
	if cap(rr.buf) < n {
		rr.buf = make([]byte, n)
	}
	return rr.buf[:n:n]
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
