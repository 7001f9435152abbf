package correlate

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// TestHostTimesAddFlow: finding a flow's source by its number records
// what looking it up for every packet records, past the bound of sources
// too.
func TestHostTimesAddFlow(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	type fl struct{ src, dst netip.Addr }
	var flows []fl
	for i := range 3 * maxSources {
		a := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		b := netip.AddrFrom4([4]byte{172, 16, byte(i % 7), byte(i % 5)})
		if i%2 == 0 {
			a, b = b, a
		}
		flows = append(flows, fl{a, b})
	}
	byAdd, byFlow := newHostTimes(), newHostTimes()
	var ids flowIDs
	ts := int64(1e18)
	for range 20 * maxSources {
		i := rng.IntN(len(flows))
		ts += int64(rng.IntN(2000)) - 500 // out of order now and then
		f := flows[i]
		byAdd.add(f.src, f.dst, ts)
		id, first := ids.id(17, netip.AddrPortFrom(f.src, 5060), netip.AddrPortFrom(f.dst, 5060), ts)
		if i%10 == 0 {
			id, first = 0, false // not numbered
		}
		byFlow.addFlow(id, first, f.src, f.dst, ts)
	}
	byFlow.finish(&ids)
	if byAdd.src.Len() != maxSources || byAdd.src.Len() != byFlow.src.Len() || byAdd.dst.Len() != byFlow.dst.Len() {
		t.Fatalf("sources %d and %d, destinations %d and %d", byAdd.src.Len(), byFlow.src.Len(), byAdd.dst.Len(), byFlow.dst.Len())
	}
	for a, sp := range byAdd.src.All() {
		got, ok := byFlow.src.Get(hashAddr(a), a)
		if !ok || *got != *sp {
			t.Fatalf("source %v: %v, want %v", a, got, *sp)
		}
	}
	for a := range byAdd.dst.All() {
		if _, ok := byFlow.dst.Get(hashAddr(a), a); !ok {
			t.Fatalf("destination %v missing", a)
		}
	}
}
