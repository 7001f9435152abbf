package correlate

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestWaitingModel holds the waiting table (its arrival ring popped at
// take time, and due's check before expire, as handle calls them) to a
// plain model: a list of every arrival, taken ones marked, popped from the
// head while taken; take gives the oldest waiting packet of a key; expire
// forgets, oldest first, what arrived before the bound, and past the
// bounds on packets waiting and on the list's length, the oldest anyway.
func TestWaitingModel(t *testing.T) {
	type arrival struct {
		key   uint64
		t     int64
		taken bool
	}
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 7))
		max := 4 + rng.IntN(40)
		keys := 1 + rng.IntN(30)
		w := newWaiting(max)
		var ring []*arrival
		live, evicted := 0, 0
		pop := func() {
			for len(ring) > 0 && ring[0].taken {
				ring = ring[1:]
			}
		}
		var now int64
		for op := range 3000 {
			now += int64(rng.IntN(50))
			before := now - 400
			// expire, as handle does it
			var got, want []int64
			if w.due(before) {
				w.expire(before, false, func(p *pend) { got = append(got, p.t, int64(p.ev.key)) })
			}
			for pop(); len(ring) > 0; pop() {
				a := ring[0]
				if a.t >= before {
					if live < max && len(ring) < 4*max {
						break
					}
					evicted++
				}
				want = append(want, a.t, int64(a.key))
				a.taken = true
				live--
			}
			if !slices.Equal(got, want) {
				t.Fatalf("seed %d op %d: expired %v, want %v", seed, op, got, want)
			}
			k := uint64(rng.IntN(keys))
			if rng.IntN(2) == 0 {
				p := w.take(k)
				var a *arrival
				for _, x := range ring {
					if !x.taken && x.key == k {
						a = x
						break
					}
				}
				switch {
				case (p == nil) != (a == nil):
					t.Fatalf("seed %d op %d: take(%d) = %v, model %v", seed, op, k, p, a)
				case p != nil && p.t != a.t:
					t.Fatalf("seed %d op %d: take(%d) gave the packet of %d, model %d", seed, op, k, p.t, a.t)
				case p != nil:
					a.taken = true
					live--
					pop()
				}
				continue
			}
			e := event{key: k}
			w.add(&e, now)
			ring = append(ring, &arrival{key: k, t: now})
			live++
			if w.live != live || w.flen != len(ring) || w.evicted != evicted {
				t.Fatalf("seed %d op %d: waiting %d, ring %d, evicted %d; model %d, %d, %d", seed, op, w.live, w.flen, w.evicted, live, len(ring), evicted)
			}
		}
		var got, want []int64
		w.expire(0, true, func(p *pend) { got = append(got, p.t) })
		for _, a := range ring {
			if !a.taken {
				want = append(want, a.t)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("seed %d: the last expiry gave %v, want %v", seed, got, want)
		}
	}
}
