package spool

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestOrder adds records with a budget that forces many runs, equal keys
// among them, and reads them back in key order, equal keys in the order
// added; the run file is gone afterwards. The keys come shuffled, in
// order (the SIP spool's: read back in one pass, no merge), in order but
// for one late key (past maxRuns runs: the spool must then merge, and
// compact first), and in reverse. Every value Each hands out must stay
// valid after f returns (analyze's workers hold them); EachTransient's
// need not.
func TestOrder(t *testing.T) {
	const n = 5000
	keys := map[string]func(r *rand.Rand, i int) int{
		"shuffled": func(r *rand.Rand, _ int) int { return r.IntN(n / 3) }, // many equal keys
		"ordered":  func(_ *rand.Rand, i int) int { return i / 3 },
		"late": func(_ *rand.Rand, i int) int {
			if i == n-10 {
				return 7
			}
			return i / 3
		},
		"reversed": func(_ *rand.Rand, i int) int { return n - i/2 },
	}
	for name, key := range keys {
		for _, budget := range []int{1 << 20, 2000, 100} {
			for _, transient := range []bool{false, true} {
				t.Run(fmt.Sprint(name, budget, transient), func(t *testing.T) {
					dir := t.TempDir()
					s := New(dir, budget)
					r := rand.New(rand.NewPCG(1, 2))
					type kv struct{ k, v int }
					var want []kv
					for i := 0; i < n; i++ {
						k := key(r, i)
						want = append(want, kv{k, i})
						var key [8]byte
						binary.BigEndian.PutUint64(key[:], uint64(k))
						if err := s.Add(key[:], []byte(fmt.Sprint(i))); err != nil {
							t.Fatal(err)
						}
					}
					slices.SortStableFunc(want, func(a, b kv) int { return a.k - b.k })
					var got []kv
					var vals [][]byte
					each := s.Each
					if transient {
						each = s.EachTransient
					}
					err := each(func(key, val []byte) error {
						var v int
						if _, err := fmt.Sscan(string(val), &v); err != nil {
							return err
						}
						got = append(got, kv{int(binary.BigEndian.Uint64(key)), v})
						if !transient {
							vals = append(vals, val)
						}
						return nil
					})
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(got, want) {
						t.Fatalf("%d records back, out of order or lost (want %d)", len(got), len(want))
					}
					for i, v := range vals {
						if string(v) != fmt.Sprint(got[i].v) {
							t.Fatalf("record %d's value changed after it was handed out: %q, was %d", i, v, got[i].v)
						}
					}
					left, _ := filepath.Glob(filepath.Join(dir, "*"))
					if len(left) > 0 {
						t.Errorf("files left behind: %v", left)
					}
				})
			}
		}
	}
}

// TestUnwritableDir: a spool that must spill to a directory it cannot
// write says so instead of losing records.
func TestUnwritableDir(t *testing.T) {
	s := New(filepath.Join(t.TempDir(), "missing"), 10)
	// The run is written in the background: its error comes back from a
	// later Add, or from Each.
	err := s.Add([]byte("k"), []byte("a value longer than the budget"))
	if err == nil {
		err = s.Add([]byte("k2"), []byte("another value longer than the budget"))
	}
	if err == nil {
		t.Fatal("no error from Add spilling to a missing directory")
	}
	if err := s.Each(func(_, _ []byte) error { return nil }); err == nil {
		t.Fatal("no error from Each after a failed spill")
	}
	if !os.IsNotExist(unwrapAll(err)) {
		t.Logf("error: %v", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

// TestEachFreesArenas: once every record is in the file, a spool read by
// merging holds no arena while its records are handed out.
func TestEachFreesArenas(t *testing.T) {
	s := New(t.TempDir(), 4096)
	for i := range 1000 {
		var key [8]byte
		binary.BigEndian.PutUint64(key[:], uint64(i*7919%1000))
		if err := s.Add(key[:], make([]byte, 100)); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	err := s.Each(func(_, _ []byte) error {
		if n++; n == 1 && (s.arena != nil || s.mem != nil || s.spare.arena != nil || s.spare.mem != nil) {
			t.Errorf("arenas held while merging: %d and %d bytes", cap(s.arena), cap(s.spare.arena))
		}
		return nil
	})
	if err != nil || n != 1000 {
		t.Fatalf("%d records, %v", n, err)
	}
}
