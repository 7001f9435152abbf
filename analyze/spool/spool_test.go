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

// TestOrder adds shuffled records with a budget that forces many runs,
// equal keys among them, and reads them back in key order, equal keys in
// the order added; the run file is gone afterwards.
func TestOrder(t *testing.T) {
	for _, budget := range []int{1 << 20, 2000, 100} {
		t.Run(fmt.Sprint(budget), func(t *testing.T) {
			dir := t.TempDir()
			s := New(dir, budget)
			r := rand.New(rand.NewPCG(1, 2))
			const n = 5000
			type kv struct{ k, v int }
			var want []kv
			for i := 0; i < n; i++ {
				k := r.IntN(n / 3) // many equal keys
				want = append(want, kv{k, i})
				var key [8]byte
				binary.BigEndian.PutUint64(key[:], uint64(k))
				if err := s.Add(key[:], []byte(fmt.Sprint(i))); err != nil {
					t.Fatal(err)
				}
			}
			slices.SortStableFunc(want, func(a, b kv) int { return a.k - b.k })
			var got []kv
			err := s.Each(func(key, val []byte) error {
				var v int
				if _, err := fmt.Sscan(string(val), &v); err != nil {
					return err
				}
				got = append(got, kv{int(binary.BigEndian.Uint64(key)), v})
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%d records back, out of order or lost (want %d)", len(got), len(want))
			}
			left, _ := filepath.Glob(filepath.Join(dir, "*"))
			if len(left) > 0 {
				t.Errorf("files left behind: %v", left)
			}
		})
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
