package match

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestReorderHeap: each pop is the least key (time, frame, feed order)
// of what the heap holds, pushes and pops interleaved as the Streamer
// interleaves them, against a sorted slice; each with its own message.
func TestReorderHeap(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 50; round++ {
		var h reorderHeap[Message]
		var ref []sortKey
		pop := func() {
			got, msg := h.pop()
			if msg.ID != got.seq {
				t.Fatalf("round %d: key %+v came with message %d", round, got, msg.ID)
			}
			slices.SortFunc(ref, func(a, b sortKey) int { return a.cmp(b) })
			if got != ref[0] {
				t.Fatalf("round %d: popped %+v, the least was %+v", round, got, ref[0])
			}
			ref = ref[1:]
		}
		for i := 0; i < 300; i++ {
			k := sortKey{ts: int64(r.IntN(40)), frame: r.IntN(3), seq: i}
			h.push(k, Message{ID: i})
			ref = append(ref, k)
			if r.IntN(3) == 0 {
				pop()
			}
		}
		for h.len() > 0 {
			pop()
		}
		if len(ref) != 0 {
			t.Fatalf("round %d: %d keys never popped", round, len(ref))
		}
	}
}
