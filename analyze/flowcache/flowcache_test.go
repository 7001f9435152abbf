package flowcache

import (
	"net/netip"
	"testing"
)

func TestAddrPort(t *testing.T) {
	a, b := netip.MustParseAddrPort("10.0.0.1:5060"), netip.MustParseAddrPort("[fd00::1]:5060")
	ha := AddrPort(Seed(1), a)
	if ha == AddrPort(Seed(1), b) || ha == AddrPort(Seed(1), netip.MustParseAddrPort("10.0.0.1:5061")) || ha == AddrPort(Seed(6), a) {
		t.Error("hash ignores the address, the port or the seed")
	}
}

func TestTable(t *testing.T) {
	tab := NewTable[netip.AddrPort, int](3000)
	key := func(i int) netip.AddrPort {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 5060)
	}
	// Every key put is found, through growth and through keys sharing a
	// hash (every third key is given its neighbour's).
	hash := func(i int) uint64 { return AddrPort(Seed(17), key(i-i%3)) }
	for i := range 3000 {
		if !tab.Put(hash(i), key(i), i) {
			t.Fatalf("Put %d refused", i)
		}
	}
	if tab.Len() != 3000 {
		t.Fatalf("Len %d, want 3000", tab.Len())
	}
	for i := range 3000 {
		if v, ok := tab.Get(hash(i), key(i)); !ok || v != i {
			t.Fatalf("Get %d: %d %v", i, v, ok)
		}
	}
	if _, ok := tab.Get(hash(3001), key(3001)); ok {
		t.Error("found a key never put")
	}
	// Past max a new key is refused; an old one is updated.
	if tab.Put(hash(3001), key(3001), 1) {
		t.Error("Put past max accepted")
	}
	if !tab.Put(hash(7), key(7), -7) {
		t.Error("update refused")
	}
	if v, _ := tab.Get(hash(7), key(7)); v != -7 {
		t.Errorf("updated value %d, want -7", v)
	}
	n, sum := 0, 0
	for _, v := range tab.All() {
		n++
		sum += v
	}
	if want := 3000*2999/2 - 14; n != 3000 || sum != want {
		t.Errorf("All: %d entries summing to %d, want 3000, %d", n, sum, want)
	}
}
