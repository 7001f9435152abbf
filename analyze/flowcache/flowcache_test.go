package flowcache

import (
	"net/netip"
	"testing"
)

func TestCache(t *testing.T) {
	c := New[netip.AddrPort, int](12)
	a, b := netip.MustParseAddrPort("10.0.0.1:5060"), netip.MustParseAddrPort("[fd00::1]:5060")
	ha, hb := AddrPort(Seed(1), a), AddrPort(Seed(1), b)
	if _, ok := c.Get(ha, a); ok {
		t.Fatal("found in an empty cache")
	}
	c.Put(ha, a, 1)
	if v, ok := c.Get(ha, a); !ok || v != 1 {
		t.Fatalf("got %v %v", v, ok)
	}
	// Another key in the same slot is not taken for a.
	if _, ok := c.Get(ha, b); ok {
		t.Fatal("found b in a's slot")
	}
	c.Put(hb, b, 2)
	if v, ok := c.Get(hb, b); !ok || v != 2 {
		t.Fatalf("got %v %v", v, ok)
	}
	c.Fit(1000) // 64 slots grow fourfold until twice 1000, capped at 4096
	if len(c.slots) != 4096 {
		t.Errorf("%d slots, want 4096", len(c.slots))
	}
	if _, ok := c.Get(hb, b); ok {
		t.Error("a grown cache kept its entries")
	}
	if ha == hb || AddrPort(Seed(1), netip.MustParseAddrPort("10.0.0.1:5061")) == ha {
		t.Error("hash ignores the address or the port")
	}
}
