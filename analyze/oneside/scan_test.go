package oneside

import (
	"net/netip"
	"testing"

	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/correlate"
)

// TestParseUnreachableV6 reads an ICMPv6 port unreachable quoting a UDP
// packet; truncated or other ICMP messages are refused.
func TestParseUnreachableV6(t *testing.T) {
	inner := make([]byte, 48)
	inner[0] = 0x60
	inner[6] = capture.ProtoUDP
	src, dst := netip.MustParseAddr("2001:db8::10"), netip.MustParseAddr("2001:db8::1")
	s16, d16 := src.As16(), dst.As16()
	copy(inner[8:], s16[:])
	copy(inner[24:], d16[:])
	inner[40], inner[41] = 0x13, 0xc4 // 5060
	inner[42], inner[43] = 0x13, 0xc5 // 5061
	payload := append([]byte{1, 4, 0, 0, 0, 0, 0, 0}, inner...)
	p := &capture.Packet{Frame: 9, Proto: capture.ProtoICMPv6, Src: netip.AddrPortFrom(dst, 0), Payload: payload}
	u, ok := capture.ParseUnreachable(p)
	if !ok || u.Code != 4 || u.Src.String() != "[2001:db8::10]:5060" || u.Dst.String() != "[2001:db8::1]:5061" || u.Proto != capture.ProtoUDP {
		t.Fatalf("parseUnreachable = %+v, %v", u, ok)
	}
	for _, bad := range [][]byte{payload[:20], append([]byte{128, 0, 0, 0, 0, 0, 0, 0}, inner...)} {
		if _, ok := capture.ParseUnreachable(&capture.Packet{Proto: capture.ProtoICMPv6, Payload: bad}); ok {
			t.Errorf("parseUnreachable accepted %x", bad[:8])
		}
	}
}

// TestKeepStopsAtTheFirstRefused: past a limit, no later message is
// kept, even one that would fit: what is analysed is the capture up to a
// time (Result.NotAnalysedFrom).
func TestKeepStopsAtTheFirstRefused(t *testing.T) {
	s := &scanned{lim: Limits{MaxSIPBytes: 100, MaxMessages: 10}}
	for i, n := range []int{60, 50, 10, 5} {
		s.keep(correlate.SIPRecord{Frame: i + 1, TS: int64(i+1) * 1e9, Data: make([]byte, n)})
	}
	if len(s.sip) != 1 || s.refused != 3 || s.refusedTS != 2e9 {
		t.Errorf("kept %d, refused %d from %d ns; want 1, 3 from 2e9", len(s.sip), s.refused, s.refusedTS)
	}
	s = &scanned{lim: Limits{MaxSIPBytes: 100, MaxMessages: 2}}
	for i := range 4 {
		s.keep(correlate.SIPRecord{Frame: i + 1, TS: int64(i+1) * 1e9, Data: make([]byte, 1)})
	}
	if len(s.sip) != 2 || s.refused != 2 || s.refusedTS != 3e9 {
		t.Errorf("kept %d, refused %d from %d ns; want 2, 2 from 3e9", len(s.sip), s.refused, s.refusedTS)
	}
}
