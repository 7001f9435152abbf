package correlate

import (
	"maps"
	"math/rand/v2"
	"net/netip"
	"testing"
)

// TestFlowIDs: flows are numbered from 1 in the order they first appear,
// IPv4 and IPv6 alike, each keeping its number and its first and last
// packet time, and past maxFlowIDs new flows get 0.
func TestFlowIDs(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var keys []flowKey
	for i := range maxFlowIDs + 5000 {
		src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 168, byte(i >> 8), byte(i)}), uint16(10000+i%7))
		dst := netip.AddrPortFrom(netip.AddrFrom4([4]byte{203, 0, 113, byte(i % 3)}), 5060)
		if i%5 == 0 {
			src = netip.AddrPortFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 14: byte(i >> 8), 15: byte(i)}), 5060)
		}
		proto := uint8(17)
		if i%11 == 0 {
			proto = 6
		}
		keys = append(keys, flowKey{proto, src, dst})
	}
	// The same endpoints reversed, or under the other protocol, are
	// other flows.
	keys = append(keys, flowKey{17, keys[1].dst, keys[1].src}, flowKey{6, keys[1].src, keys[1].dst})
	var f flowIDs
	want := map[flowKey]int32{}
	times := map[int32][2]int64{}
	var next int32 = 1
	for range 4 {
		for _, i := range rng.Perm(len(keys)) {
			k := keys[i]
			ts := rng.Int64N(1e12) // out of order
			got, first := f.id(k.proto, k.src, k.dst, ts)
			w, seen := want[k]
			if !seen {
				w = 0
				if next <= maxFlowIDs {
					w = next
					next++
				}
				want[k] = w
			}
			if got != w || first != (!seen && w != 0) {
				t.Fatalf("flow %v: number %d (first %v), want %d (seen %v)", k, got, first, w, seen)
			}
			if w != 0 {
				tt, ok := times[w]
				if !ok {
					tt = [2]int64{ts, ts}
				}
				times[w] = [2]int64{min(tt[0], ts), max(tt[1], ts)}
			}
		}
	}
	got := map[int32][2]int64{}
	f.times(func(id int32, first, last int64) { got[id] = [2]int64{first, last} })
	if !maps.Equal(got, times) {
		t.Fatalf("times %v, want %v", got, times)
	}
}
