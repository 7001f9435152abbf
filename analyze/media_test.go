package analyze

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/fixtures/benchgen"
	"github.com/sipalg/sipalg/fixtures/testcap"
	"github.com/sipalg/sipalg/rules"
)

// mediaRows returns the report's media section, kept or streamed.
func mediaRows(t *testing.T, rep *Report) []rules.MediaStream {
	t.Helper()
	each, _, ok := rep.StreamJSONField("media")
	if !ok {
		return rep.Media
	}
	var rows []rules.MediaStream
	err := each(func(b []byte) error {
		var r rules.MediaStream
		if err := json.Unmarshal(b, &r); err != nil {
			return err
		}
		rows = append(rows, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestMediaBeyondBounds: the bounds on RTP streams (--limit streams) and
// on the calls' media plans bound what is open at once, not what the
// media section lists. A pair of 3 phones placing 8 one-second calls
// each, 150 s apart, has 48 streams and 24 calls; at most 12 streams (a
// call's 6, and the RTCP the phones send with the next call's SSRC a few
// seconds after) and 3 calls are live at a time. Through a table of 16
// open streams and a window of 4 plans, every stream is listed, each
// tied to its own call (one stream each way per call, inside the call's
// signalling), with no warning, kept or streamed.
func TestMediaBeyondBounds(t *testing.T) {
	const phones, calls = 3, 8
	cfg := benchgen.Default()
	cfg.Phones, cfg.Call, cfg.Calls, cfg.CallEvery = phones, time.Second, calls, 150*time.Second
	dir := t.TempDir()
	lan, wan := filepath.Join(dir, "lan.pcap"), filepath.Join(dir, "wan.pcap")
	if _, err := benchgen.WriteFiles(cfg, lan, wan); err != nil {
		t.Fatal(err)
	}
	for _, stream := range []bool{false, true} {
		opt := Options{Stream: stream, TempDir: dir, SpoolBudget: 2 << 10}
		opt.Limits.MaxStreams, opt.Limits.MaxPlans = 16, 4
		rep, err := Run(lan, wan, opt)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Warnings) > 0 {
			t.Errorf("stream %v: warnings %q, want none", stream, rep.Warnings)
		}
		rows := mediaRows(t, rep)
		if len(rows) != 2*phones*calls {
			t.Fatalf("stream %v: %d streams listed, want %d", stream, len(rows), 2*phones*calls)
		}
		ways := map[int]map[string]int{}
		for i, r := range rows {
			if r.Dialog == nil {
				t.Errorf("stream %v: stream %d (%s %s, %s) tied to no call", stream, i, r.SSRC, r.Direction, r.FirstSeen.Format(time.TimeOnly))
				continue
			}
			if ways[*r.Dialog] == nil {
				ways[*r.Dialog] = map[string]int{}
			}
			ways[*r.Dialog][r.Direction]++
			if r.Entered == 0 || r.Left != r.Entered || r.OneWay {
				t.Errorf("stream %v: stream %d: entered %d, left %d, one-way %v; want all of it crossed", stream, i, r.Entered, r.Left, r.OneWay)
			}
		}
		if len(ways) != phones*calls {
			t.Errorf("stream %v: streams tied to %d calls, want %d", stream, len(ways), phones*calls)
		}
		for d, w := range ways {
			if w["outbound"] != 1 || w["inbound"] != 1 {
				t.Errorf("stream %v: call %d has %v, want one stream each way", stream, d, w)
			}
		}
		if !stream {
			// Each stream lies inside its call's signalling.
			first := map[int]time.Time{}
			for _, m := range rep.Messages {
				if _, ok := first[m.Dialog]; !ok {
					first[m.Dialog] = time.Unix(0, m.TS).UTC()
				}
			}
			for _, r := range rows {
				if r.Dialog != nil && (r.FirstSeen.Before(first[*r.Dialog]) || r.FirstSeen.After(first[*r.Dialog].Add(5*time.Second))) {
					t.Errorf("stream %s began at %s, its call %d at %s", r.SSRC, r.FirstSeen.Format(time.TimeOnly), *r.Dialog, first[*r.Dialog].Format(time.TimeOnly))
				}
			}
		}
	}
}

// TestMediaResumesAfterIdle: a call whose RTP falls silent both ways for
// longer than correlate.StreamIdle (a hold with neither RTP nor RTCP)
// and then resumes on the same SSRCs and ports is listed in four
// entries, each direction before and after the silence, each counted
// whole and tied to the call, none one-way and no media finding: a
// resumed stream comes out visibly split, never as loss or as another
// call.
func TestMediaResumesAfterIdle(t *testing.T) {
	const (
		phone, public = "192.168.1.10", "203.0.113.1"
		server, media = "198.51.100.10:5060", "198.51.100.7:7000"
		n             = 100 // packets each way before and after the silence
	)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).UnixNano()
	var lan, wan []testcap.Rec
	// cross sends payload from the LAN endpoint lanEP (its public twin
	// wanEP) to far, or from far to it, at t (ns after t0).
	cross := func(t int64, out bool, lanEP, wanEP, far string, payload []byte) {
		if out {
			lan = append(lan, testcap.Rec{TS: t0 + t, Data: testcap.UDP(lanEP, far, payload)})
			wan = append(wan, testcap.Rec{TS: t0 + t + 100e3, Data: testcap.UDP(wanEP, far, payload)})
			return
		}
		wan = append(wan, testcap.Rec{TS: t0 + t, Data: testcap.UDP(far, wanEP, payload)})
		lan = append(lan, testcap.Rec{TS: t0 + t + 100e3, Data: testcap.UDP(far, lanEP, payload)})
	}
	sip := func(t int64, out bool, start, cseq, body string) {
		via := "SIP/2.0/UDP " + phone + ":5060;branch=z9hG4bK-" + strings.Fields(cseq)[0] + ";rport"
		msg := start + "\r\nVia: " + via + "\r\nFrom: <sip:alice@example.com>;tag=a1\r\nTo: <sip:bob@example.com>;tag=b1\r\n" +
			"Call-ID: hold@example.com\r\nCSeq: " + cseq + "\r\nContact: <sip:alice@" + phone + ":5060>\r\n"
		if body != "" {
			msg += "Content-Type: application/sdp\r\n"
		}
		msg += fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body)
		cross(t, out, phone+":5060", public+":5060", server, []byte(msg))
	}
	sdp := func(addr string, port int) string {
		return fmt.Sprintf("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %d RTP/AVP 0\r\na=sendrecv\r\n", addr, addr, port)
	}
	rtp := func(ssrc uint32, seq int) []byte {
		b := make([]byte, 172)
		b[0] = 0x80
		binary.BigEndian.PutUint16(b[2:], uint16(seq))
		binary.BigEndian.PutUint32(b[4:], uint32(seq)*160)
		binary.BigEndian.PutUint32(b[8:], ssrc)
		return b
	}
	sip(0, true, "INVITE sip:bob@example.com SIP/2.0", "1 INVITE", sdp(phone, 6000))
	sip(100e6, false, "SIP/2.0 200 OK", "1 INVITE", sdp("198.51.100.7", 7000))
	sip(200e6, true, "ACK sip:bob@example.com SIP/2.0", "1 ACK", "")
	silence := int64(correlate.StreamIdle + 30*time.Second)
	for part := range int64(2) {
		for i := range int64(n) {
			at := 300e6 + part*(n*20e6+silence) + i*20e6
			seq := int(part*n + i)
			cross(at, true, phone+":6000", public+":6000", media, rtp(0xa1, seq))
			cross(at+5e6, false, phone+":6000", public+":6000", media, rtp(0xb2, seq))
		}
	}
	bye := 300e6 + 2*n*20e6 + silence + 1e9
	sip(bye, true, "BYE sip:bob@example.com SIP/2.0", "2 BYE", "")
	sip(bye+100e6, false, "SIP/2.0 200 OK", "2 BYE", "")
	byTime := func(rs []testcap.Rec) []testcap.Rec {
		slices.SortStableFunc(rs, func(a, b testcap.Rec) int { return cmp.Compare(a.TS, b.TS) })
		return rs
	}
	dir := t.TempDir()
	lanPath, wanPath := filepath.Join(dir, "lan.pcap"), filepath.Join(dir, "wan.pcap")
	if err := os.WriteFile(lanPath, testcap.Pcap(layers.LinkTypeEthernet, byTime(lan)...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wanPath, testcap.Pcap(layers.LinkTypeEthernet, byTime(wan)...), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, stream := range []bool{false, true} {
		rep, err := Run(lanPath, wanPath, Options{Stream: stream, TempDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		rows := mediaRows(t, rep)
		if len(rows) != 4 {
			t.Fatalf("stream %v: %d media entries, want 4 (each direction before and after the silence): %+v", stream, len(rows), rows)
		}
		call := -1
		for i, r := range rows {
			if r.Dialog == nil || call >= 0 && *r.Dialog != call {
				t.Errorf("stream %v: entry %d (%s %s) tied to call %v, want the one call", stream, i, r.SSRC, r.Direction, r.Dialog)
			} else {
				call = *r.Dialog
			}
			if r.Entered != n || r.Left != n || r.LostAtRouter != 0 || r.StoppedCrossing != 0 || r.OneWay || r.RouterDelay == nil {
				t.Errorf("stream %v: entry %d (%s %s): entered %d, left %d, lost %d, stopped %d, one-way %v, delay %v; want %d crossed whole",
					stream, i, r.SSRC, r.Direction, r.Entered, r.Left, r.LostAtRouter, r.StoppedCrossing, r.OneWay, r.RouterDelay, n)
			}
		}
		if !rows[2].FirstSeen.After(rows[0].LastSeen.Add(correlate.StreamIdle)) || rows[0].SSRC != rows[2].SSRC || rows[1].SSRC != rows[3].SSRC {
			t.Errorf("stream %v: entries %s %s–%s, %s %s–%s: want the same SSRCs again after the silence", stream,
				rows[0].SSRC, rows[0].FirstSeen.Format(time.TimeOnly), rows[0].LastSeen.Format(time.TimeOnly),
				rows[2].SSRC, rows[2].FirstSeen.Format(time.TimeOnly), rows[2].LastSeen.Format(time.TimeOnly))
		}
		if rep.Verdict.Bad+rep.Verdict.Warnings > 0 {
			t.Errorf("stream %v: %d bad, %d warning findings, want none: %s", stream, rep.Verdict.Bad, rep.Verdict.Warnings, rep.Verdict.Summary)
		}
	}
}
