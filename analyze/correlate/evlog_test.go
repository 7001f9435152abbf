package correlate

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/sipalg/sipalg/analyze/capture"
)

// TestEventLogSameAsCapture: the second pass gives the same result from
// the first pass's event log as from reading the captures again, on every
// fixture pair (UDP and TCP SIP, RTP, ICMP refusals, snap-length cuts,
// captures of two interfaces), keeping SIP and streaming it.
func TestEventLogSameAsCapture(t *testing.T) {
	type pair struct {
		name     string
		lan, wan capture.Source
	}
	var pairs []pair
	lans, err := filepath.Glob(filepath.Join(fixturesDir, "*", "lan.pcap*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lans {
		w := filepath.Join(filepath.Dir(l), "wan"+filepath.Base(l)[3:])
		if _, err := os.Stat(w); err == nil {
			pairs = append(pairs, pair{filepath.Base(filepath.Dir(l)), capture.Source{Path: l}, capture.Source{Path: w}})
		}
	}
	if len(pairs) < 10 {
		t.Fatalf("%d fixture pairs, want at least 10", len(pairs))
	}
	dir := t.TempDir()
	o := scenario{offset: 47 * time.Second, loss: 0.01, rtp: 3000, retrans: 2, seed: 9}.write(t, dir)
	pairs = append(pairs, pair{"synthetic", capture.Source{Path: o.lan}, capture.Source{Path: o.wan}})
	for _, pr := range pairs {
		t.Run(pr.name, func(t *testing.T) {
			run := func(noLog, stream bool) (*Result, []SIPMessage) {
				opt := Options{KeepSIP: true, Inventory: true, noEventLog: noLog, TempDir: dir}
				var msgs []SIPMessage
				if stream {
					opt.SIPSink = func(m SIPMessage) { msgs = append(msgs, m) }
				}
				res, err := CorrelateSources(pr.lan, pr.wan, opt)
				if errors.Is(err, ErrNoTwins) {
					return nil, nil
				}
				if err != nil {
					t.Fatal(err)
				}
				return res, msgs
			}
			for _, stream := range []bool{false, true} {
				fromLog, logMsgs := run(false, stream)
				fromCapture, capMsgs := run(true, stream)
				if !reflect.DeepEqual(fromLog, fromCapture) {
					t.Errorf("stream %v: results differ:\nlog     %+v\ncapture %+v", stream, fromLog, fromCapture)
				}
				if !reflect.DeepEqual(logMsgs, capMsgs) {
					t.Errorf("stream %v: %d SIP messages from the log, %d from the capture, or they differ", stream, len(logMsgs), len(capMsgs))
				}
			}
		})
	}
	left, err := filepath.Glob(filepath.Join(dir, "sipalg-events-*"))
	if err != nil || len(left) > 0 {
		t.Errorf("event logs left behind: %v %v", left, err)
	}
}

// TestEventLogRoundTrip writes events of every kind, numbered and not,
// with SIP messages larger than the buffer, ICMP errors between them and
// time steps of every length, and reads them back.
func TestEventLogRoundTrip(t *testing.T) {
	w, err := newLogWriter(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	a := netip.MustParseAddrPort("192.168.1.10:4000")
	b := netip.MustParseAddrPort("203.0.113.10:20000")
	c := netip.MustParseAddrPort("[2001:db8::1]:5060")
	big := bytes.Repeat([]byte("INVITE sip:x SIP/2.0\r\n"), logBufSize/8)
	type rec struct {
		e    event
		data []byte
		u    *capture.Unreachable
	}
	var want []rec
	ts, frame := int64(1_700_000_000e9), 1
	for i := range 5000 {
		ts += int64(i%7) * 1e6
		switch i % 250 { // time steps that do not fit the 4-byte field, and the edges
		case 17:
			ts += 5e9
		case 18:
			ts += logLongTime - 1
		case 19:
			ts += logLongTime
		case 20:
			ts -= 3e6
		}
		frame += 1 + i%3/2
		e := event{ts: ts, frame: frame, ep: &flowKey{capture.ProtoUDP, a, b}, proto: capture.ProtoUDP, key: uint64(i) * 0x9e3779b97f4a7c15, ttl: uint8(64 - i%2), seq: -1}
		switch i % 5 {
		case 0:
			e.kind, e.ssrc, e.rseq, e.flow = KindRTP, 0xa11ce, uint16(i), 1
		case 1:
			e.kind, e.ssrc, e.flow = KindRTCP, 0xa11ce+uint32(i/20%2), 2
			e.ep = &flowKey{e.proto, b, a}
			if i%20 == 11 {
				e.kind, e.ssrc = KindOther, 0 // on a flow with RTCP, between two of the same SSRC
			}
		case 2:
			e.kind, e.flow, e.cut = KindOther, 0, true // not numbered
			e.ep = &flowKey{e.proto, c, c}
		case 3:
			e.kind, e.flow, e.proto = KindSIP, 3, capture.ProtoTCP
			e.ep = &flowKey{e.proto, c, a}
		case 4:
			e.kind, e.ssrc, e.rseq, e.flow = KindRTP, uint32(i), uint16(i), 4
			switch {
			case i == 9:
				e.flow = 10
			case i > 2500:
				// A flow numbered before flow 10 whose first event comes
				// after its (a TCP connection's first message).
				e.flow, e.ep = 7, &flowKey{e.proto, c, b}
			}
		}
		var data []byte
		if e.kind == KindSIP {
			data = []byte("OPTIONS sip:a SIP/2.0\r\n\r\n")
			if i%1000 == 3 {
				data = big
			}
		}
		w.event(&e, data)
		want = append(want, rec{e: e, data: data})
		if i%997 == 0 {
			u := capture.Unreachable{Frame: frame, TS: ts, From: b.Addr(), Code: 3, Proto: capture.ProtoUDP, Src: b, Dst: a}
			w.unreachable(u, capture.ProtoICMP)
			want = append(want, rec{u: &u})
		}
	}
	l := w.finish()
	if l == nil {
		t.Fatal(w.err)
	}
	defer l.close()
	r, err := newLogReader(l, capture.Source{})
	if err != nil {
		t.Fatal(err)
	}
	for i, wr := range want {
		var e event
		var u capture.Unreachable
		data, isU, err := r.next(&e, &u)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if wr.u != nil {
			if !isU || u != *wr.u || e.proto != capture.ProtoICMP {
				t.Fatalf("record %d: got %v %+v, want %+v", i, isU, u, *wr.u)
			}
			continue
		}
		if isU || !sameEvent(e, wr.e) || !bytes.Equal(data, wr.data) {
			t.Fatalf("record %d: got %+v (%d bytes), want %+v (%d bytes)", i, e, len(data), wr.e, len(wr.data))
		}
	}
	if _, _, err := r.next(new(event), new(capture.Unreachable)); !errors.Is(err, io.EOF) {
		t.Errorf("after the last record: %v, want EOF", err)
	}
}

// sameEvent reports whether a and b are the same event, their flows
// compared by value.
func sameEvent(a, b event) bool {
	if a.ep == nil || b.ep == nil {
		return a == b
	}
	fa, fb := *a.ep, *b.ep
	a.ep, b.ep = nil, nil
	return a == b && fa == fb
}

// TestEventLogUnwritable: with no temporary directory to write the log
// in, the second pass reads the captures and the result is the same.
func TestEventLogUnwritable(t *testing.T) {
	o := scenario{offset: 47 * time.Second, loss: 0.01, rtp: 300, retrans: 1, seed: 3}.write(t, t.TempDir())
	want, err := Correlate(o.lan, o.wan, Options{KeepSIP: true, noEventLog: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Correlate(o.lan, o.wan, Options{KeepSIP: true, TempDir: filepath.Join(t.TempDir(), "missing")})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("without a log: %+v\nwant %+v", got, want)
	}
}

// TestEventLogFastSameAsSlow: the reader's fast path (logReader.fast)
// reads every record, whole or damaged, as reading it field by field
// does: the same events, the same ICMP errors, an error at the same
// record. The log is TestEventLogRoundTrip's kind of mix, then damaged a
// few bytes at a time.
func TestEventLogFastSameAsSlow(t *testing.T) {
	dir := t.TempDir()
	w, err := newLogWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	a := netip.MustParseAddrPort("192.168.1.10:4000")
	b := netip.MustParseAddrPort("203.0.113.10:20000")
	ts, frame := int64(1_700_000_000e9), 1
	for i := range 3000 {
		ts += int64(i%7)*1e6 - int64(i%11)*1e5
		frame += 1 + i%4/3
		e := event{ts: ts, frame: frame, ep: &flowKey{capture.ProtoUDP, a, b}, proto: capture.ProtoUDP, key: uint64(i) * 0x9e3779b97f4a7c15, ttl: uint8(64 - i%3/2), seq: -1, flow: int32(1 + i%6)}
		switch i % 4 {
		case 0, 1:
			e.kind, e.ssrc, e.rseq = KindRTP, uint32(i/50), uint16(i)
		case 2:
			e.kind, e.ssrc = KindRTCP, uint32(i/100)
		case 3:
			e.kind, e.cut = KindOther, i%8 == 3
		}
		if i%97 == 0 {
			e.kind = KindSIP
		}
		var data []byte
		if e.kind == KindSIP {
			data = []byte("OPTIONS sip:a SIP/2.0\r\n\r\n")
		}
		w.event(&e, data)
		if i%499 == 0 {
			w.unreachable(capture.Unreachable{Frame: frame, TS: ts, From: b.Addr(), Code: 3, Proto: capture.ProtoUDP, Src: b, Dst: a}, capture.ProtoICMP)
		}
	}
	l := w.finish()
	if l == nil {
		t.Fatal(w.err)
	}
	whole, err := os.ReadFile(l.f.Name())
	if err != nil {
		// Unlinked: read it through the open file.
		whole = make([]byte, l.size)
		if _, err := l.f.ReadAt(whole, 0); err != nil {
			t.Fatal(err)
		}
	}
	l.close()
	type rec struct {
		e    event
		ep   flowKey
		u    capture.Unreachable
		isU  bool
		data string
	}
	read := func(b []byte, slow bool) ([]rec, error) {
		path := filepath.Join(dir, "log")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		r, err := newLogReader(&eventLog{f: f, size: int64(len(b))}, capture.Source{})
		if err != nil {
			t.Fatal(err)
		}
		r.slow = slow
		var out []rec
		for {
			var x rec
			data, isU, err := r.next(&x.e, &x.u)
			if err != nil {
				if errors.Is(err, io.EOF) {
					err = nil
				}
				return out, err
			}
			if x.e.ep != nil {
				x.ep, x.e.ep = *x.e.ep, nil
			}
			x.isU, x.data = isU, string(data)
			out = append(out, x)
		}
	}
	check := func(name string, b []byte) {
		fast, ferr := read(b, false)
		slow, serr := read(b, true)
		if (ferr == nil) != (serr == nil) || !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%s: fast path %d records (error %v), field by field %d (error %v)", name, len(fast), ferr, len(slow), serr)
		}
	}
	check("whole", whole)
	if n, _ := read(whole, false); len(n) < 3000 {
		t.Fatalf("read %d records of at least 3000", len(n))
	}
	rng := uint64(0x9e3779b97f4a7c15)
	for k := range 300 {
		b := bytes.Clone(whole)
		for range 1 + k%4 {
			rng ^= rng << 13
			rng ^= rng >> 7
			rng ^= rng << 17
			i := int(rng % uint64(len(b)))
			b[i] ^= byte(rng >> 32)
		}
		check("damaged", b)
	}
}
