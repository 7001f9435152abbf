package capture

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// sll2Frame wraps the IPv4 packet of an Ethernet frame in a Linux cooked
// v2 header carrying ifindex.
func sll2Frame(eth []byte, ifindex uint32) []byte {
	h := make([]byte, sll2HeaderLen, sll2HeaderLen+len(eth)-14)
	binary.BigEndian.PutUint16(h[0:], uint16(layers.EthernetTypeIPv4))
	binary.BigEndian.PutUint32(h[4:], ifindex)
	binary.BigEndian.PutUint16(h[8:], 1) // ARPHRD_ETHER
	h[11] = 6
	return append(h, eth[14:]...)
}

func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// frames reads the source and returns the frame numbers it yields.
func frames(t *testing.T, src Source) []int {
	t.Helper()
	r, err := OpenSource(src)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []int
	for _, rec := range readAll(t, r) {
		out = append(out, rec.Frame)
	}
	return out
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestInterfaceFilterPcapNG(t *testing.T) {
	lan := udp4Frame(t, "192.168.1.10", 5060, "203.0.113.10", 5060, []byte("lan"))
	wan := udp4Frame(t, "203.0.113.1", 40000, "203.0.113.10", 5060, []byte("wan"))
	n := &ngBuilder{order: binary.LittleEndian}
	n.shb()
	n.idb(layers.LinkTypeEthernet, "lan", 9)
	n.idb(layers.LinkTypeEthernet, "wan", 9)
	n.epb(0, 1e18, lan) // frame 1
	n.epb(1, 1e18+1, wan)
	n.epb(1, 1e18+2, wan)
	n.epb(0, 1e18+3, lan) // frame 4
	path := writeTemp(t, "both.pcapng", n.b.Bytes())

	l, err := ListInterfaces(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Declared) != 2 || l.Declared[0].Packets != 2 || l.Declared[1].Name != "wan" || len(l.SLL2) != 0 {
		t.Fatalf("interfaces %+v", l)
	}
	for _, tc := range []struct {
		spec string
		want []int
	}{
		{"lan", []int{1, 4}},
		{"wan", []int{2, 3}},
		{"0", []int{1, 4}},
		{"1", []int{2, 3}},
	} {
		f, err := l.Select(tc.spec)
		if err != nil {
			t.Errorf("Select(%q): %v", tc.spec, err)
			continue
		}
		if got := frames(t, Source{Path: path, Iface: f}); !equalInts(got, tc.want) {
			t.Errorf("%q: frames %v, want %v (numbered as in the whole file)", tc.spec, got, tc.want)
		}
	}
	for _, spec := range []string{"eth0", "2", "-1", "01", ""} {
		_, err := l.Select(spec)
		if !errors.Is(err, ErrNoInterface) {
			t.Errorf("Select(%q): %v, want ErrNoInterface", spec, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, `0 "lan" (Ethernet, 2 packets), 1 "wan" (Ethernet, 2 packets)`) {
			t.Errorf("Select(%q): error does not list the interfaces: %s", spec, msg)
		}
	}
}

func TestInterfaceFilterSLL2(t *testing.T) {
	lan := udp4Frame(t, "192.168.1.10", 5060, "203.0.113.10", 5060, []byte("lan"))
	wan := udp4Frame(t, "203.0.113.1", 40000, "203.0.113.10", 5060, []byte("wan"))
	file := pcapFile(binary.LittleEndian, false, layers.LinkTypeLinuxSLL2,
		testRec{ts: 1e9, data: sll2Frame(lan, 3)},
		testRec{ts: 1e9 + 1e3, data: sll2Frame(wan, 2)},
		testRec{ts: 2e9, data: sll2Frame(lan, 3)},
	)
	path := writeTemp(t, "any.pcap", file)
	l, err := ListInterfaces(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := l.Select("3")
	if err != nil {
		t.Fatal(err)
	}
	if f != (IfaceFilter{By: BySLL2, Index: 3}) {
		t.Errorf("Select(3) = %+v, want the SLL2 ifindex 3", f)
	}
	if got := frames(t, Source{Path: path, Iface: f}); !equalInts(got, []int{1, 3}) {
		t.Errorf("frames %v, want [1 3]", got)
	}
	// The packets decode as usual behind the filter.
	r, err := OpenSource(Source{Path: path, Iface: IfaceFilter{By: BySLL2, Index: 2}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	sc := NewScanner(r, DefaultLimits())
	p := sc.Next()
	if p == nil || p.Frame != 2 || p.Src.String() != "203.0.113.1:40000" || sc.Next() != nil {
		t.Fatalf("packet %+v, want frame 2 from 203.0.113.1:40000 only", p)
	}
	_, err = l.Select("eth0")
	if !errors.Is(err, ErrNoInterface) || !strings.Contains(err.Error(), `Linux "any" capture (SLL2)`) || !strings.Contains(err.Error(), "2 (SLL2, 1 packets), 3 (SLL2, 2 packets)") {
		t.Errorf("Select(eth0): %v", err)
	}
}

func TestInterfaceSelectOneInterface(t *testing.T) {
	frame := udp4Frame(t, "192.168.1.10", 5060, "203.0.113.10", 5060, []byte("x"))
	path := writeTemp(t, "one.pcap", pcapFile(binary.LittleEndian, false, layers.LinkTypeEthernet, testRec{ts: 1e9, data: frame}))
	l, err := ListInterfaces(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.Select("0")
	if !errors.Is(err, ErrNoInterface) || !strings.Contains(err.Error(), "one interface only") {
		t.Errorf("Select on a one-interface pcap: %v", err)
	}
}

func TestSourceProgress(t *testing.T) {
	frame := udp4Frame(t, "192.168.1.10", 5060, "203.0.113.10", 5060, []byte("x"))
	file := pcapFile(binary.LittleEndian, false, layers.LinkTypeEthernet, testRec{ts: 1e9, data: frame}, testRec{ts: 2e9, data: frame})
	path := writeTemp(t, "p.pcap", file)
	var n atomic.Int64
	if got := frames(t, Source{Path: path, Progress: &n}); len(got) != 2 {
		t.Fatalf("frames %v", got)
	}
	if n.Load() != int64(len(file)) {
		t.Errorf("progress %d bytes, want the file size %d", n.Load(), len(file))
	}
}

func TestInterfaceOverlap(t *testing.T) {
	ng := &Interfaces{Declared: []IfaceInfo{
		{Filter: IfaceFilter{By: ByIndex, Index: 0}, Name: "lan", LinkType: layers.LinkTypeEthernet},
		{Filter: IfaceFilter{By: ByIndex, Index: 1}, Name: "wan", LinkType: layers.LinkTypeEthernet},
	}}
	any := &Interfaces{
		Declared: []IfaceInfo{{Filter: IfaceFilter{By: ByIndex, Index: 0}, Name: "any", LinkType: layers.LinkTypeLinuxSLL2}},
		SLL2:     []IfaceInfo{{Filter: IfaceFilter{By: BySLL2, Index: 2}}, {Filter: IfaceFilter{By: BySLL2, Index: 3}}},
	}
	name := func(s string) IfaceFilter { return IfaceFilter{By: ByName, Name: s} }
	index := func(i int) IfaceFilter { return IfaceFilter{By: ByIndex, Index: i} }
	sll2 := func(i int) IfaceFilter { return IfaceFilter{By: BySLL2, Index: i} }
	for _, tc := range []struct {
		l    *Interfaces
		a, b IfaceFilter
		want bool
	}{
		{ng, name("lan"), index(0), true},
		{ng, name("lan"), index(1), false},
		{ng, name("lan"), name("wan"), false},
		{any, sll2(3), sll2(3), true},
		{any, sll2(3), sll2(2), false},
		{any, name("any"), sll2(2), true},
		{ng, index(0), sll2(2), false},
	} {
		if got := tc.l.Overlap(tc.a, tc.b); got != tc.want {
			t.Errorf("Overlap(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
