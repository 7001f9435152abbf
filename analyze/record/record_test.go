package record

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"testing"
)

// TestRoundTripAndTruncation: what the Append functions write reads back
// whole, and every truncation of it fails without panicking.
func TestRoundTripAndTruncation(t *testing.T) {
	b := binary.AppendUvarint(nil, 300)
	b = binary.AppendVarint(b, -7)
	b = append(b, 9)
	b = AppendString(b, "sip")
	b = AppendBytes(b, []byte{1, 2, 3})
	read := func(b []byte) (Reader, uint64, int64, byte, string, []byte) {
		r := NewReader(b)
		u, v, c := r.Uvarint(), r.Varint(), r.Byte()
		s, bs := string(r.Bytes()), r.Bytes()
		return r, u, v, c, s, bs
	}
	r, u, v, c, s, bs := read(b)
	if !r.Done() || u != 300 || v != -7 || c != 9 || s != "sip" || len(bs) != 3 || cap(bs) != 3 {
		t.Fatalf("read back %d %d %d %q %v, done %v", u, v, c, s, bs, r.Done())
	}
	for n := range len(b) {
		if r, _, _, _, _, _ := read(b[:n]); r.Done() || !r.Failed() {
			t.Errorf("a record cut to %d of %d bytes read as whole", n, len(b))
		}
	}
	r = NewReader([]byte{5})
	if r.Next(2) != nil || !r.Failed() || r.Byte() != 0 {
		t.Error("a short Next does not fail the reader")
	}
}

// TestAddrRoundTrip: addresses read back as written (IPv4, IPv6 with a
// zone, the zero value), every truncation fails, and a length that is no
// address's fails.
func TestAddrRoundTrip(t *testing.T) {
	aps := []netip.AddrPort{
		netip.MustParseAddrPort("192.168.1.10:5060"),
		netip.MustParseAddrPort("[fe80::1%eth0]:40000"),
		{},
	}
	a := netip.MustParseAddr("2001:db8::7")
	var b []byte
	for _, ap := range aps {
		b = AppendAddrPort(b, ap)
	}
	b = AppendAddr(b, a)
	read := func(b []byte) (Reader, []netip.AddrPort, netip.Addr) {
		r := NewReader(b)
		var got []netip.AddrPort
		for range aps {
			got = append(got, r.AddrPort())
		}
		return r, got, r.Addr()
	}
	r, got, ga := read(b)
	if !r.Done() || !slices.Equal(got, aps) || ga != a {
		t.Fatalf("read back %v %v, done %v; want %v %v", got, ga, r.Done(), aps, a)
	}
	for n := range len(b) {
		if r, _, _ := read(b[:n]); r.Done() {
			t.Errorf("a record cut to %d of %d bytes read as whole", n, len(b))
		}
	}
	r = NewReader([]byte{3, 1, 2, 3})
	if r.AddrPort(); !r.Failed() {
		t.Error("3 bytes read as an address and port")
	}
}

// TestCountBounded: a list's length past the bytes left fails the record
// and counts nothing, so that a damaged length never drives a loop (a
// media plan's endpoint lists were read so); a length that fits is read
// as written.
func TestCountBounded(t *testing.T) {
	r := NewReader(binary.AppendUvarint(nil, 1<<40))
	if n := r.Count(); n != 0 || !r.Failed() {
		t.Errorf("a length of 2^40 with no bytes left: Count %d, failed %v", n, r.Failed())
	}
	r = NewReader(append(binary.AppendUvarint(nil, 2), 7, 8))
	if n := r.Count(); n != 2 || r.Failed() || r.Byte() != 7 || r.Byte() != 8 || !r.Done() {
		t.Errorf("a length of 2 with 2 bytes after it: Count %d, failed %v", n, r.Failed())
	}
}
