package rules

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sipalg/sipalg/analyze/correlate"
)

// refMedia is the media section as it was built before it streamed
// (main at 650cfd0, rules/media_streams.go): every stream against every
// plan of the capture, and the streams SDP ties to no call taken with
// every stream of the same far host. Within the merge's horizons (all
// streams and calls within 30 s here) the merge must give the same.
func refMedia(c *Context, plans []*mediaPlan, streams []correlate.Stream) ([]MediaStream, []Finding) {
	slices.SortFunc(plans, func(a, b *mediaPlan) int { return cmp.Compare(a.dialog, b.dialog) })
	byEP := map[netip.AddrPort][]*mediaPlan{}
	byID := map[int]*mediaPlan{}
	for _, p := range plans {
		byID[p.dialog] = p
		for _, l := range [][]netip.AddrPort{p.phone, p.phoneWAN, p.far} {
			for _, ep := range l {
				if n := len(byEP[ep]); n == 0 || byEP[ep][n-1] != p {
					byEP[ep] = append(byEP[ep], p)
				}
			}
		}
	}
	var rows []MediaStream
	for i := range streams {
		s := &streams[i]
		r := MediaStream{SSRC: fmt.Sprintf("0x%08x", s.SSRC), Direction: s.Direction, Remote: s.Remote,
			FirstSeen: s.First, LastSeen: s.Last, Entered: s.Entered, Left: s.Left, LostAtRouter: s.Lost,
			MaxLossBurst: s.MaxLossBurst, Duplicated: s.Duplicated, Reordered: s.Reordered,
			StoppedCrossing: s.TailLost, RouterDelay: s.Delay, JitterAddedMS: s.JitterMS,
			RTCPEntered: s.RTCPEntered, RTCPLeft: s.RTCPLeft, Stream: s, index: i}
		if s.LAN.IsValid() {
			r.LAN = &s.LAN
		}
		if s.WAN.IsValid() {
			r.WAN = &s.WAN
		}
		if s.Entered > 0 {
			r.LossPct = math.Round(float64(s.Lost)*1e4/float64(s.Entered)) / 100
		}
		if p := bestPlan(plansNaming(byEP, s), s); p != nil {
			r.Dialog = intp(p.dialog)
		}
		rows = append(rows, r)
	}
	sameCall := func(a, b *MediaStream) bool {
		if a.Dialog != nil && b.Dialog != nil {
			return *a.Dialog == *b.Dialog
		}
		return a.Remote.Addr() == b.Remote.Addr()
	}
	for i := range rows {
		r := &rows[i]
		back, reverse := false, false
		for j := range rows {
			o := &rows[j]
			if j != i && o.Direction != r.Direction && sameCall(r, o) {
				reverse = true
				back = back || crossed(o)
			}
		}
		switch {
		case crossed(r):
			r.OneWay = !back && (r.Dialog != nil || reverse)
		case r.Entered > 0:
			r.OneWay = back
		}
		if r.OneWay && r.Dialog != nil && byID[*r.Dialog].oneWayByDesign {
			r.OneWay = false
		}
	}
	var fs []Finding
	done := map[string]bool{}
	for i := range rows {
		r := &rows[i]
		var plan *mediaPlan
		if r.Dialog != nil {
			plan = byID[*r.Dialog]
		}
		// MEDIA-LOSS-AT-ROUTER and MEDIA-PINHOLE-CLOSED judge a stream
		// alone, with its call's plan.
		uc := *c
		uc.mediaCache = &mediaState{rows: []MediaStream{*r}, plan: plan}
		for _, rule := range []*Rule{MediaPinholeClosed, MediaLossAtRouter} {
			for _, f := range rule.Check(&uc) {
				fill(&f, rule)
				fs = append(fs, f)
			}
		}
		if !r.OneWay {
			continue
		}
		call := "remote " + r.Remote.Addr().String()
		if r.Dialog != nil {
			call = fmt.Sprint("dialog ", *r.Dialog)
		}
		if done[call] {
			continue
		}
		done[call] = true
		var ok, blocked *MediaStream
		for j := range rows {
			o := &rows[j]
			if !sameCall(o, r) {
				continue
			}
			if crossed(o) && ok == nil {
				ok = o
			}
			if !crossed(o) && o.Entered > 0 && blocked == nil {
				blocked = o
			}
		}
		if f, _, found := oneWayFinding(c, r, ok, blocked, plan); found {
			fill(&f, MediaOneWay)
			f.order = uint64(r.index) + 1
			fs = append(fs, f)
		}
	}
	slices.SortStableFunc(fs, CompareFindings)
	return rows, fs
}

// TestMediaMergeIsWhole: the streaming merge gives the media section and
// the media findings of evaluating every stream against every call at
// once, on random captures whose calls and streams lie within the
// merge's horizons (30 s): a few phones and far ends, so that endpoints
// are shared between calls, streams cross, are blocked or neither, and
// some are tied to no call.
func TestMediaMergeIsWhole(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).UnixNano()
	ep := func(rng *rand.Rand, host string, n int) netip.AddrPort {
		return netip.AddrPortFrom(netip.MustParseAddr(fmt.Sprintf(host, rng.IntN(n))), uint16(6000+2*rng.IntN(3)))
	}
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 7))
		var plans []*mediaPlan
		for d := range rng.IntN(6) {
			p := &mediaPlan{dialog: 10 + 3*d, start: t0 + rng.Int64N(20e9)}
			p.end = p.start + rng.Int64N(10e9)
			if rng.IntN(2) == 0 {
				p.bye = p.start + (p.end-p.start)/2
			}
			for range 1 + rng.IntN(2) {
				p.phone = append(p.phone, ep(rng, "192.168.1.%d", 3))
				p.phoneWAN = append(p.phoneWAN, ep(rng, "203.0.113.%d", 2))
				p.far = append(p.far, ep(rng, "198.51.100.%d", 3))
			}
			p.oneWayByDesign = rng.IntN(8) == 0
			if rng.IntN(2) == 0 {
				p.phoneMsg = &planMsg{ID: 100 + d, Direction: "outbound", Method: "INVITE", LANFrame: intp(d + 1)}
			}
			p.peer = p.far[0].Addr()
			plans = append(plans, p)
		}
		var streams []correlate.Stream
		for i := range 1 + rng.IntN(12) {
			s := correlate.Stream{SSRC: uint32(i + 1), Direction: "outbound", Remote: ep(rng, "198.51.100.%d", 3)}
			if rng.IntN(2) == 0 {
				s.Direction = "inbound"
			}
			first := t0 + rng.Int64N(25e9)
			s.First, s.Last = time.Unix(0, first).UTC(), time.Unix(0, first+rng.Int64N(5e9)).UTC()
			s.Entered = 50
			switch rng.IntN(4) {
			case 0: // crossed whole
				s.Left = 50
			case 1: // blocked
				s.Lost, s.Gaps, s.GapFrames = 50, 1, []int{i + 1}
			case 2: // lossy, with a tail
				s.Left, s.Lost, s.Gaps, s.GapFrames = 30, 20, 2, []int{i + 1, i + 2}
				s.TailLost, s.TailFrame = 15, i+2
				s.TailStart, s.TailEnd = s.Last.Add(-time.Second), s.Last
			default: // nothing entered: duplicates only
				s.Entered, s.Left, s.Duplicated = 0, 3, 3
			}
			if s.Left > s.Duplicated {
				s.Delay = &correlate.StreamDelay{P50: 0.1, P99: 0.2, Max: 0.3}
			}
			if s.Direction == "outbound" || s.Left > s.Duplicated {
				s.LAN = ep(rng, "192.168.1.%d", 3)
			}
			if s.Direction == "inbound" || s.Left > s.Duplicated {
				s.WAN = ep(rng, "203.0.113.%d", 2)
			}
			streams = append(streams, s)
		}
		slices.SortStableFunc(streams, func(a, b correlate.Stream) int { return a.First.Compare(b.First) })

		corr := &correlate.Result{Streams: streams}
		e := NewEvaluator(corr, DialogLookup{})
		for _, p := range plans {
			q := *p
			e.agg.plans[p.dialog] = &q
			e.agg.spoolPlan(p.dialog)
		}
		got, err := e.Finish()
		if err != nil {
			t.Fatal(err)
		}
		wantRows, wantFs := refMedia(newContext(corr), plans, streams)
		var gotFs []Finding
		for _, f := range got.Findings {
			if strings.HasPrefix(f.Rule, "MEDIA-") {
				gotFs = append(gotFs, f)
			}
		}
		if g, w := jsonOf(t, got.Media), jsonOf(t, wantRows); g != w {
			t.Fatalf("seed %d: media section\n got %s\nwant %s", seed, g, w)
		}
		if g, w := jsonOf(t, gotFs), jsonOf(t, wantFs); g != w {
			t.Fatalf("seed %d: media findings\n got %s\nwant %s", seed, g, w)
		}
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestMediaMergeHorizons: a stream is tied to a call only from planLead
// before the call's first message to 64·T1 after its last, or, for an
// answered call whose BYE the captures lack, an hour after it; untied
// streams to one far host are one call only when they began within
// mediaSlack of each other, so a one-way episode long after another is
// named again; past the bound on streams held, every stream is still
// listed, in order, and a warning counts those judged early.
func TestMediaMergeHorizons(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	phone := netip.MustParseAddrPort("192.168.1.10:6000")
	far := netip.MustParseAddrPort("198.51.100.7:7000")
	other := netip.MustParseAddrPort("198.51.100.99:7000")
	bye := &mediaPlan{dialog: 10, phone: []netip.AddrPort{phone}, start: t0.UnixNano(), bye: at(4 * time.Second).UnixNano(), end: at(5 * time.Second).UnixNano(), established: true}
	noBye := &mediaPlan{dialog: 20, phone: []netip.AddrPort{phone}, start: at(10 * time.Minute).UnixNano(), end: at(10*time.Minute + time.Second).UnixNano(), established: true}
	stream := func(ssrc uint32, first time.Duration, remote netip.AddrPort, dir string, crossed bool) correlate.Stream {
		s := correlate.Stream{SSRC: ssrc, Direction: dir, LAN: phone, Remote: remote, First: at(first), Last: at(first + time.Second), Entered: 50, Left: 50}
		if !crossed {
			s.LAN, s.Left, s.Lost, s.Gaps, s.GapFrames = netip.AddrPort{}, 0, 50, 1, []int{int(ssrc)}
		}
		return s
	}
	streams := []correlate.Stream{
		stream(1, -40*time.Second, far, "outbound", true),               // before planLead: no call
		stream(2, -10*time.Second, far, "outbound", true),               // within planLead: call 10
		stream(3, 2*time.Second, far, "outbound", true),                 // during the call
		stream(4, 30*time.Second, far, "outbound", true),                // 25 s after its last message
		stream(5, 45*time.Second, far, "outbound", true),                // 40 s after: no call
		stream(6, 10*time.Minute+40*time.Minute, far, "outbound", true), // 40 min after an answered call without BYE
		stream(7, 2*time.Hour, other, "outbound", true),                 // untied one-way, with 8
		stream(8, 2*time.Hour+10*time.Second, other, "inbound", false),
		stream(9, 3*time.Hour, other, "outbound", true), // untied one-way again, an hour later
		stream(10, 3*time.Hour+time.Second, other, "inbound", false),
	}
	want := []any{nil, 10, 10, 10, nil, 20, nil, nil, nil, nil}
	for _, held := range []int{0, 2} {
		corr := &correlate.Result{Streams: streams}
		e := NewEvaluator(corr, DialogLookup{})
		e.SetMedia(MediaOptions{maxHeld: held})
		for _, p := range []*mediaPlan{bye, noBye} {
			q := *p
			e.agg.plans[q.dialog] = &q
			e.agg.spoolPlan(q.dialog)
		}
		res, err := e.Finish()
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Media) != len(streams) {
			t.Fatalf("held %d: %d streams listed, want %d", held, len(res.Media), len(streams))
		}
		for i, r := range res.Media {
			if r.SSRC != fmt.Sprintf("0x%08x", i+1) {
				t.Errorf("held %d: entry %d is %s, want the streams in order", held, i, r.SSRC)
			}
			if held > 0 {
				continue
			}
			got := any(nil)
			if r.Dialog != nil {
				got = *r.Dialog
			}
			if got != want[i] {
				t.Errorf("stream %d tied to call %v, want %v", i+1, got, want[i])
			}
		}
		if held > 0 {
			found := false
			for _, w := range res.Warnings {
				found = found || strings.Contains(w, "judged before every stream of their call was known: more than 2 waiting at once")
			}
			if !found {
				t.Errorf("held %d: no warning about the streams judged early: %q", held, res.Warnings)
			}
			continue
		}
		var oneWay []string
		for _, f := range res.Findings {
			if f.Rule == MediaOneWay.ID && strings.Contains(f.Explanation, "198.51.100.99") {
				oneWay = append(oneWay, f.Explanation)
			}
		}
		if len(oneWay) != 2 {
			t.Errorf("one-way findings %q, want two: the untied streams to 198.51.100.99 an hour apart", oneWay)
		}
		if len(res.Warnings) > 0 {
			t.Errorf("warnings %q, want none", res.Warnings)
		}
	}
}
