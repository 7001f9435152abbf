package correlate

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func rtpPacket(ssrc uint32, seq uint16) []byte {
	b := make([]byte, 172)
	b[0], b[1] = 0x80, 0
	binary.BigEndian.PutUint16(b[2:], seq)
	binary.BigEndian.PutUint32(b[4:], uint32(seq)*160)
	binary.BigEndian.PutUint32(b[8:], ssrc)
	return b
}

// TestStreams pairs two RTP streams through a synthetic NAT whose router
// loses, duplicates, reorders and finally stops forwarding, and checks
// each count against what was written.
func TestStreams(t *testing.T) {
	dir := t.TempDir()
	lanPath, wanPath := filepath.Join(dir, "lan.pcap"), filepath.Join(dir, "wan.pcap")
	lan, wan := newPcapWriter(t, lanPath), newPcapWriter(t, wanPath)
	phone := netip.MustParseAddrPort("192.168.1.10:6000")
	public := netip.MustParseAddrPort("203.0.113.1:46000")
	far := netip.MustParseAddrPort("198.51.100.7:7000")
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const n = 500
	// Outbound 0x0a11ce01: seq 100, 101, 102 lost (a burst of 3), 200
	// lost, 300 left twice, 401 left before 400; delay 100 µs, 300 µs on
	// every tenth packet. Inbound 0x0b0b0b02: crosses for its first 300
	// packets, then keeps arriving and is no longer forwarded.
	lost := map[int]bool{100: true, 101: true, 102: true, 200: true}
	for i := 0; i < n; i++ {
		at := t0.Add(time.Duration(i) * 20 * time.Millisecond)
		s := uint16(i)
		out := rtpPacket(0x0a11ce01, s)
		lan.udp(t, at, phone, far, out)
		delay := 100 * time.Microsecond
		if i%10 == 0 {
			delay = 300 * time.Microsecond
		}
		switch {
		case lost[i]:
		case i == 400:
			// written after 401
		case i == 401:
			wan.udp(t, at.Add(delay), public, far, out)
			wan.udp(t, at.Add(delay+time.Microsecond), public, far, rtpPacket(0x0a11ce01, 400))
		case i == 300:
			wan.udp(t, at.Add(delay), public, far, out)
			wan.udp(t, at.Add(delay+time.Microsecond), public, far, out)
		default:
			wan.udp(t, at.Add(delay), public, far, out)
		}
		inAt := at.Add(10 * time.Millisecond)
		in := rtpPacket(0x0b0b0b02, uint16(i))
		wan.udp(t, inAt, far, public, in)
		if i < 300 {
			lan.udp(t, inAt.Add(50*time.Microsecond), far, phone, in)
		}
	}
	// One RTCP sender report from the phone's RTCP port, counted with its
	// RTP stream.
	sr := make([]byte, 28)
	sr[0], sr[1], sr[3] = 0x80, 200, 6
	binary.BigEndian.PutUint32(sr[4:], 0x0a11ce01)
	rtcpAt := t0.Add(5*time.Second + 5*time.Millisecond)
	lan.udp(t, rtcpAt, netip.MustParseAddrPort("192.168.1.10:6001"), netip.MustParseAddrPort("198.51.100.7:7001"), sr)
	wan.udp(t, rtcpAt.Add(100*time.Microsecond), netip.MustParseAddrPort("203.0.113.1:46007"), netip.MustParseAddrPort("198.51.100.7:7001"), sr)
	// Both captures run a little past the last RTP: nothing is lost for
	// a capture that stopped.
	end := t0.Add(n*20*time.Millisecond + time.Second)
	lan.udp(t, end, phone, netip.MustParseAddrPort("192.168.1.1:53"), []byte("end"))
	wan.udp(t, end, public, netip.MustParseAddrPort("198.51.100.53:53"), []byte("end"))
	lan.close(t)
	wan.close(t)
	res, err := Correlate(lanPath, wanPath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Streams) != 2 {
		t.Fatalf("%d streams, want 2: %+v", len(res.Streams), res.Streams)
	}
	out, in := res.Streams[0], res.Streams[1]
	if out.Direction != "outbound" || in.Direction != "inbound" {
		t.Fatalf("directions %s, %s", out.Direction, in.Direction)
	}
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"out entered", out.Entered, n},
		{"out left", out.Left, n - 4 + 1},
		{"out lost", out.Lost, 4},
		{"out duplicated", out.Duplicated, 1},
		{"out reordered", out.Reordered, 1},
		{"out burst", out.MaxLossBurst, 3},
		{"out gaps", out.Gaps, 2},
		{"out tail", out.TailLost, 0},
		{"in entered", in.Entered, n},
		{"in left", in.Left, 300},
		{"in lost", in.Lost, n - 300},
		{"in burst", in.MaxLossBurst, n - 300},
		{"in tail", in.TailLost, n - 300},
		{"in duplicated", in.Duplicated, 0},
		{"out RTCP entered", out.RTCPEntered, 1},
		{"out RTCP left", out.RTCPLeft, 1},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	if out.LAN != phone || out.WAN != public || out.Remote != far || in.LAN != phone || in.WAN != public || in.Remote != far {
		t.Errorf("endpoints out %s %s %s, in %s %s %s", out.LAN, out.WAN, out.Remote, in.LAN, in.WAN, in.Remote)
	}
	if len(out.GapFrames) != 2 || out.GapFrames[0] != 2*100+1 {
		// LAN frames alternate: outbound i is frame 2i+1 while inbound
		// still crosses.
		t.Errorf("gap frames %v, want [201 ...]", out.GapFrames)
	}
	// The clock refinement takes the middle of the delays: the delay
	// reported is relative to it, so check spreads, which do not depend
	// on it.
	if out.Delay == nil || in.Delay == nil {
		t.Fatal("no delay")
	}
	// One packet in ten is 200 µs slower; seq 400 left 20 ms late.
	if spread := out.Delay.P99 - out.Delay.P50; math.Abs(spread-0.2) > 0.02 {
		t.Errorf("outbound p99 - p50 = %.3f ms, want 0.2", spread)
	}
	if spread := out.Delay.Max - out.Delay.P50; math.Abs(spread-20.001) > 0.002 {
		t.Errorf("outbound max - p50 = %.3f ms, want 20.001", spread)
	}
	if spread := in.Delay.Max - in.Delay.P50; math.Abs(spread) > 0.005 {
		t.Errorf("inbound delay spread %.3f ms, want 0 (constant delay)", spread)
	}
	if in.JitterMS > 0.001 || out.JitterMS < 0.01 {
		t.Errorf("jitter added: inbound %.3f ms (constant delay), outbound %.3f ms (varying)", in.JitterMS, out.JitterMS)
	}
	// In the LAN clock: the WAN time less the estimated offset.
	if want := t0.Add(300*20*time.Millisecond + 10*time.Millisecond); in.TailStart.Sub(want).Abs() > time.Millisecond {
		t.Errorf("tail starts %s, want %s", in.TailStart, want)
	}
}

// TestStreamsCaptureEdge checks that packets entering while the capture
// of the side they leave by had stopped (or not begun) are neither lost
// nor counted, and are warned about.
func TestStreamsCaptureEdge(t *testing.T) {
	dir := t.TempDir()
	lanPath, wanPath := filepath.Join(dir, "lan.pcap"), filepath.Join(dir, "wan.pcap")
	lan, wan := newPcapWriter(t, lanPath), newPcapWriter(t, wanPath)
	phone := netip.MustParseAddrPort("192.168.1.10:6000")
	public := netip.MustParseAddrPort("203.0.113.1:46000")
	far := netip.MustParseAddrPort("198.51.100.7:7000")
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	// The WAN capture starts at packet 10 and stops after packet 59 of
	// 100: the router forwarded all of them.
	for i := 0; i < 100; i++ {
		at := t0.Add(time.Duration(i) * 20 * time.Millisecond)
		p := rtpPacket(0x0a11ce01, uint16(i))
		lan.udp(t, at, phone, far, p)
		if i >= 10 && i < 60 {
			wan.udp(t, at.Add(100*time.Microsecond), public, far, p)
		}
	}
	lan.close(t)
	wan.close(t)
	res, err := Correlate(lanPath, wanPath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Streams) != 1 {
		t.Fatalf("%d streams, want 1", len(res.Streams))
	}
	s := res.Streams[0]
	if s.Entered != 50 || s.Left != 50 || s.Lost != 0 || s.TailLost != 0 {
		t.Errorf("entered %d, left %d, lost %d, tail %d; want 50, 50, 0, 0", s.Entered, s.Left, s.Lost, s.TailLost)
	}
	found := false
	for _, w := range res.Warnings {
		found = found || strings.HasPrefix(w, "media: 50 RTP/RTCP packet(s) seen on one side while the other capture was not running")
	}
	if !found {
		t.Errorf("no warning about the 50 unobserved packets: %q", res.Warnings)
	}
}

// TestStreamsBound checks that Options.MaxStreams bounds the streams open
// at once, not the streams counted: five streams whose packets interleave
// through a table of three are all counted, every packet of them, the
// ones pushed out early in parts, and the early finishes are warned
// about.
func TestStreamsBound(t *testing.T) {
	dir := t.TempDir()
	lanPath, wanPath := filepath.Join(dir, "lan.pcap"), filepath.Join(dir, "wan.pcap")
	lan, wan := newPcapWriter(t, lanPath), newPcapWriter(t, wanPath)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	far := netip.MustParseAddrPort("198.51.100.7:7000")
	for s := 0; s < 20; s++ {
		for i := 0; i < 5; i++ {
			phone := netip.AddrPortFrom(netip.MustParseAddr("192.168.1.10"), uint16(6000+2*i))
			public := netip.AddrPortFrom(netip.MustParseAddr("203.0.113.1"), uint16(6000+2*i))
			at := t0.Add(time.Duration(s*5+i) * time.Millisecond)
			p := rtpPacket(uint32(i+1), uint16(s))
			lan.udp(t, at, phone, far, p)
			wan.udp(t, at.Add(100*time.Microsecond), public, far, p)
		}
	}
	lan.close(t)
	wan.close(t)
	res, err := Correlate(lanPath, wanPath, Options{MaxStreams: 3})
	if err != nil {
		t.Fatal(err)
	}
	ssrcs := map[uint32]int{}
	for _, s := range res.Streams {
		ssrcs[s.SSRC] += s.Entered
		if s.Left != s.Entered || s.Lost != 0 {
			t.Errorf("stream %#x: entered %d, left %d, lost %d: a part must count what crossed, no loss", s.SSRC, s.Entered, s.Left, s.Lost)
		}
	}
	if len(ssrcs) != 5 || len(res.Streams) <= 5 {
		t.Errorf("%d streams of %d SSRCs, want the 5 SSRCs in more than 5 parts", len(res.Streams), len(ssrcs))
	}
	for ssrc, n := range ssrcs {
		if n != 20 {
			t.Errorf("SSRC %d: %d packets counted, want all 20", ssrc, n)
		}
	}
	found := false
	for _, w := range res.Warnings {
		found = found || strings.Contains(w, "RTP stream(s) finished early: more than 3 were open at once")
	}
	if !found {
		t.Errorf("no warning about the streams finished early: %q", res.Warnings)
	}
}

// TestStreamsIdle: streams one after the other, each silent for longer
// than StreamIdle before the next begins, are finished as they fall
// silent, so a table of two open streams counts five of them whole, with
// no warning; and a stream that resumes after StreamIdle of silence (one
// SSRC on the same ports) comes out as two streams, what came before and
// after the silence, each counted whole, both with their delay. Through
// the sink they come out the same, in the same order.
func TestStreamsIdle(t *testing.T) {
	dir := t.TempDir()
	lanPath, wanPath := filepath.Join(dir, "lan.pcap"), filepath.Join(dir, "wan.pcap")
	lan, wan := newPcapWriter(t, lanPath), newPcapWriter(t, wanPath)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	far := netip.MustParseAddrPort("198.51.100.7:7000")
	phone := netip.MustParseAddrPort("192.168.1.10:6000")
	public := netip.MustParseAddrPort("203.0.113.1:6000")
	gap := StreamIdle + 10*time.Second
	at := t0
	for i := 0; i < 5; i++ {
		for s := 0; s < 50; s++ {
			p := rtpPacket(uint32(i+1), uint16(s))
			lan.udp(t, at, phone, far, p)
			wan.udp(t, at.Add(100*time.Microsecond), public, far, p)
			at = at.Add(20 * time.Millisecond)
		}
		at = at.Add(gap)
	}
	// SSRC 9 sends 30 packets, falls silent past StreamIdle, sends 40
	// more (the sequence numbers go on), of which the last 5 are lost.
	for s := 0; s < 70; s++ {
		if s == 30 {
			at = at.Add(gap)
		}
		p := rtpPacket(9, uint16(s))
		lan.udp(t, at, phone, far, p)
		if s < 65 {
			wan.udp(t, at.Add(100*time.Microsecond), public, far, p)
		}
		at = at.Add(20 * time.Millisecond)
	}
	end := at.Add(time.Second)
	lan.udp(t, end, phone, netip.MustParseAddrPort("192.168.1.1:53"), []byte("end"))
	wan.udp(t, end, public, netip.MustParseAddrPort("198.51.100.53:53"), []byte("end"))
	lan.close(t)
	wan.close(t)
	var keys, recs [][]byte
	for _, sink := range []bool{false, true} {
		opt := Options{MaxStreams: 2}
		if sink {
			opt.StreamSink = func(key, rec []byte) {
				keys, recs = append(keys, bytes.Clone(key)), append(recs, bytes.Clone(rec))
			}
		}
		res, err := Correlate(lanPath, wanPath, opt)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range res.Warnings {
			if strings.Contains(w, "finished early") {
				t.Errorf("sink %v: warning %q: streams silent past StreamIdle must make room", sink, w)
			}
		}
		got := res.Streams
		if sink {
			if len(got) != 0 {
				t.Fatalf("sink: %d streams in Result.Streams, want none", len(got))
			}
			idx := make([]int, len(keys))
			for i := range idx {
				idx[i] = i
			}
			slices.SortFunc(idx, func(a, b int) int { return bytes.Compare(keys[a], keys[b]) })
			for _, i := range idx {
				s, err := res.DecodeStream(recs[i])
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, s)
			}
		}
		want := []struct {
			ssrc          uint32
			entered, lost int
		}{{1, 50, 0}, {2, 50, 0}, {3, 50, 0}, {4, 50, 0}, {5, 50, 0}, {9, 30, 0}, {9, 40, 5}}
		if len(got) != len(want) {
			t.Fatalf("sink %v: %d streams, want %d: %+v", sink, len(got), len(want), got)
		}
		for i, w := range want {
			s := got[i]
			if s.SSRC != w.ssrc || s.Entered != w.entered || s.Lost != w.lost || s.Delay == nil {
				t.Errorf("sink %v: stream %d: SSRC %d, entered %d, lost %d, delay %v; want SSRC %d, %d, %d, a delay", sink, i, s.SSRC, s.Entered, s.Lost, s.Delay, w.ssrc, w.entered, w.lost)
			}
		}
		if a, b := got[5], got[6]; !b.First.After(a.Last.Add(StreamIdle)) || b.TailLost != 5 || a.TailLost != 0 {
			t.Errorf("sink %v: the resumed stream: %v–%v then %v–%v, tails %d and %d; want the second after StreamIdle of silence, its tail 5", sink, a.First, a.Last, b.First, b.Last, a.TailLost, b.TailLost)
		}
	}
}

// TestDecodeStreamDamaged: a record cut or padded is an error, never a
// panic or a wrong stream.
func TestDecodeStreamDamaged(t *testing.T) {
	f := finished{s: Stream{SSRC: 7, Direction: "outbound", LAN: netip.MustParseAddrPort("192.168.1.10:6000"),
		First: time.Unix(1, 0).UTC(), Last: time.Unix(2, 0).UTC(), Entered: 3, Left: 2, Lost: 1, Gaps: 1, GapFrames: []int{4}}, crossed: true, q50: 1e5}
	rec := f.append(nil)
	var r Result
	if _, err := r.DecodeStream(rec); err != nil {
		t.Fatalf("whole record: %v", err)
	}
	for n := range len(rec) {
		if _, err := r.DecodeStream(rec[:n]); !errors.Is(err, errStreamRecord) {
			t.Errorf("cut at %d of %d: err %v, want errStreamRecord", n, len(rec), err)
		}
	}
	if _, err := r.DecodeStream(append(rec, 0)); !errors.Is(err, errStreamRecord) {
		t.Errorf("one byte more: err %v, want errStreamRecord", err)
	}
}

func TestSketch(t *testing.T) {
	var s sketch
	for i := 1; i <= 1000; i++ {
		s.add(float64(i) * 1e3) // 1..1000 µs
	}
	for _, c := range []struct{ q, want float64 }{{0.5, 500e3}, {0.99, 990e3}, {0.01, 10e3}} {
		if got := s.quantile(c.q); math.Abs(got-c.want)/c.want > 0.07 {
			t.Errorf("quantile(%v) = %.0f, want %.0f within 7%%", c.q, got, c.want)
		}
	}
}
