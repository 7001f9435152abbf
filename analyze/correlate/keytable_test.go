package correlate

import (
	"math/rand/v2"
	"testing"
)

// TestKeyTable checks the table against a map through random inserts,
// updates and deletes, with keys crowded into few home slots to exercise
// probing and backward shifts across the wrap-around.
func TestKeyTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, spread := range []uint64{7, 300, 1 << 40} {
		tab, ref := newKeyTable(), map[uint64]listHT{}
		for i := 0; i < 60000; i++ {
			k := rng.Uint64N(spread)*256 + uint64(rng.IntN(3))*255 // same low bits, and near the wrap
			switch rng.IntN(3) {
			case 0, 1:
				v := listHT{int32(i), int32(-i)}
				tab.set(k, v)
				ref[k] = v
			case 2:
				tab.del(k)
				delete(ref, k)
			}
			if i%1999 == 0 {
				if tab.n != len(ref) {
					t.Fatalf("%d entries, want %d", tab.n, len(ref))
				}
				for k, v := range ref {
					if got, ok := tab.get(k); !ok || got != v {
						t.Fatalf("key %x: %v %v, want %v", k, got, ok, v)
					}
				}
			}
			_, want := ref[k]
			if _, ok := tab.get(k); ok != want {
				t.Fatalf("key %x: present %v, want %v", k, ok, want)
			}
		}
	}
}
