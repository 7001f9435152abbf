package rules

import (
	"cmp"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"time"

	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/match"
)

// This file ties the RTP streams correlate counted to their calls, for the
// report's media section and the media rules.

// MediaStream is one entry of the report's media section: an RTP stream
// (SSRC and direction) as it crossed the router, and the call it belongs
// to.
type MediaStream struct {
	// Dialog is the ID of the call the SDP ties the stream to; nil when
	// no SDP of the captures names its endpoints.
	Dialog    *int   `json:"dialog"`
	SSRC      string `json:"ssrc"`
	Direction string `json:"direction"`
	// LAN is the phone's endpoint, WAN the public one the NAT used, Remote
	// the far end; null where no packet showed it (LAN of an inbound
	// stream that never crossed, WAN of an outbound one).
	LAN    *netip.AddrPort `json:"lan"`
	WAN    *netip.AddrPort `json:"wan"`
	Remote netip.AddrPort  `json:"remote"`
	// FirstSeen and LastSeen are the stream's first and last packet on
	// the side it enters the router (LAN clock).
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// Entered and Left count the RTP packets on the side they enter and
	// the side they leave the router.
	Entered      int     `json:"entered"`
	Left         int     `json:"left"`
	LostAtRouter int     `json:"lost_at_router"`
	LossPct      float64 `json:"loss_pct"`
	MaxLossBurst int     `json:"max_loss_burst"`
	Duplicated   int     `json:"duplicated"`
	Reordered    int     `json:"reordered"`
	// StoppedCrossing counts the packets lost after the last that
	// crossed: non-zero when the stream stopped crossing while it went on
	// entering.
	StoppedCrossing int                    `json:"stopped_crossing"`
	RouterDelay     *correlate.StreamDelay `json:"router_delay_ms"`
	JitterAddedMS   float64                `json:"jitter_added_ms"`
	// OneWay is set when the call's audio crossed the router in one
	// direction only: this stream crossed and none came back, or this
	// stream never crossed while the other direction did.
	OneWay      bool `json:"one_way"`
	RTCPEntered int  `json:"rtcp_entered"`
	RTCPLeft    int  `json:"rtcp_left"`

	// Stream is what correlate counted (frames of the gaps and of the
	// tail, for the annotated capture); not part of the JSON contract.
	Stream *correlate.Stream `json:"-"`
}

// mediaPlan is what one call's SDP says about its media: the phone's
// endpoints as its SDP entered the router (LAN side) and as it left (WAN
// side), the far end's as its SDP reached the router (WAN side), the
// signalling peer, and when the call began and ended (LAN clock, ns; end
// 0 while no BYE was seen).
type mediaPlan struct {
	dialog               int
	phone, phoneWAN, far []netip.AddrPort
	peer                 netip.Addr
	start, bye           int64
	end                  int64 // the last message
	// phoneMsg is the first outbound message with SDP, without its
	// parsed forms; nil when none.
	phoneMsg *match.Message
	// oneWayByDesign is set when an SDP of the call asked for media one
	// way or none (a=sendonly, recvonly, inactive: a call on hold).
	oneWayByDesign bool
}

// dialogMedia reads one dialog's messages (indexes into c.Messages) for
// its media plan. It looks at nothing outside the dialog, so that it can
// run as each dialog closes.
func dialogMedia(c *Context, id int, msgs []int) mediaPlan {
	p := mediaPlan{dialog: id}
	for n, i := range msgs {
		m := &c.Messages[i]
		if n == 0 {
			p.start = m.TS
		}
		p.end = max(p.end, m.TS)
		if m.Method == "BYE" && m.Status == nil && p.bye == 0 {
			p.bye = m.TS
		}
		if !p.peer.IsValid() {
			if m.Direction == "outbound" && m.WANDst.IsValid() {
				p.peer = m.WANDst.Addr()
			} else if m.Direction == "inbound" && m.WANSrc.IsValid() {
				p.peer = m.WANSrc.Addr()
			}
		}
		if m.Retransmission {
			continue
		}
		add := func(to *[]netip.AddrPort, wan bool) {
			s := c.SDP(m, wan)
			if s == nil {
				return
			}
			for _, dir := range []string{"sendonly", "recvonly", "inactive"} {
				if _, ok := s.Attr(dir); ok {
					p.oneWayByDesign = true
				}
				for j := range s.Media {
					if _, ok := s.Media[j].Attr(s.Raw, dir); ok {
						p.oneWayByDesign = true
					}
				}
			}
			for j := range s.Media {
				if ep, ok := mediaEndpoint(s, j); ok && ep.Port() != 0 && !slices.Contains(*to, ep) {
					*to = append(*to, ep)
				}
			}
		}
		if m.Direction == "outbound" {
			if p.phoneMsg == nil && (c.SDP(m, false) != nil || c.SDP(m, true) != nil) {
				l := light(m)
				p.phoneMsg = &l
			}
			add(&p.phone, false)
			add(&p.phoneWAN, true)
		} else {
			add(&p.far, true)
		}
	}
	return p
}

// observeMedia takes the media plan of one batch of dialog id (the
// messages of c) into the dialog's, for tying the RTP streams to their
// calls once every dialog is in.
func (a *aggregates) observeMedia(c *Context, id int) {
	idx := make([]int, len(c.Messages))
	for i := range idx {
		idx[i] = i
	}
	p := dialogMedia(c, id, idx)
	if len(p.phone)+len(p.phoneWAN)+len(p.far) == 0 && a.plans[id] == nil {
		return
	}
	q := a.plans[id]
	if q == nil {
		if len(a.plans) >= maxPlans {
			a.plansCut++
			return
		}
		a.plans[id] = &p
		return
	}
	for _, l := range []struct{ to, from *[]netip.AddrPort }{{&q.phone, &p.phone}, {&q.phoneWAN, &p.phoneWAN}, {&q.far, &p.far}} {
		for _, ep := range *l.from {
			if !slices.Contains(*l.to, ep) {
				*l.to = append(*l.to, ep)
			}
		}
	}
	if len(c.Messages) > 0 {
		q.start = min(q.start, p.start)
		q.end = max(q.end, p.end)
	}
	if q.bye == 0 {
		q.bye = p.bye
	}
	if !q.peer.IsValid() {
		q.peer = p.peer
	}
	if q.phoneMsg == nil {
		q.phoneMsg = p.phoneMsg
	}
	q.oneWayByDesign = q.oneWayByDesign || p.oneWayByDesign
}

// tie scores how well stream s fits plan p: the phone's SDP endpoint
// counts most, then the public one its SDP left with, then the far end's.
func (p *mediaPlan) tie(s *correlate.Stream) int {
	score := 0
	if s.LAN.IsValid() && slices.Contains(p.phone, s.LAN) {
		score += 4
	}
	if s.WAN.IsValid() && slices.Contains(p.phoneWAN, s.WAN) {
		score += 2
	}
	if slices.Contains(p.far, s.Remote) {
		score++
	}
	return score
}

// mediaState is the media section and the plans of the calls, computed
// once per Context.
type mediaState struct {
	rows  []MediaStream
	plans map[int]*mediaPlan
	// causes lists the cause of each MEDIA-ONE-WAY finding, for the
	// verdict's summary.
	causes []string
}

func (c *Context) mediaInfo() *mediaState {
	if c.mediaCache != nil {
		return c.mediaCache
	}
	ms := &mediaState{plans: map[int]*mediaPlan{}}
	c.mediaCache = ms
	plans := make([]*mediaPlan, 0, len(c.agg.plans))
	for _, p := range c.agg.plans {
		plans = append(plans, p)
	}
	slices.SortFunc(plans, func(a, b *mediaPlan) int { return cmp.Compare(a.dialog, b.dialog) })
	ms.plans = c.agg.plans
	// The plans naming each endpoint: a stream is tied only to a plan
	// that names one of its endpoints, and scoring every plan for every
	// stream was quadratic (issue 15: a second on 8,192 streams).
	byEP := map[netip.AddrPort][]*mediaPlan{}
	for _, p := range plans {
		for _, l := range [][]netip.AddrPort{p.phone, p.phoneWAN, p.far} {
			for _, ep := range l {
				if n := len(byEP[ep]); n == 0 || byEP[ep][n-1] != p {
					byEP[ep] = append(byEP[ep], p)
				}
			}
		}
	}
	for i := range c.Corr.Streams {
		s := &c.Corr.Streams[i]
		row := MediaStream{
			SSRC: fmt.Sprintf("0x%08x", s.SSRC), Direction: s.Direction, Remote: s.Remote,
			FirstSeen: s.First, LastSeen: s.Last, Entered: s.Entered, Left: s.Left, LostAtRouter: s.Lost,
			MaxLossBurst: s.MaxLossBurst, Duplicated: s.Duplicated, Reordered: s.Reordered,
			StoppedCrossing: s.TailLost, RouterDelay: s.Delay, JitterAddedMS: s.JitterMS,
			RTCPEntered: s.RTCPEntered, RTCPLeft: s.RTCPLeft, Stream: s,
		}
		if s.LAN.IsValid() {
			row.LAN = &s.LAN
		}
		if s.WAN.IsValid() {
			row.WAN = &s.WAN
		}
		if s.Entered > 0 {
			row.LossPct = math.Round(float64(s.Lost)*1e4/float64(s.Entered)) / 100
		}
		if p := bestPlan(plansNaming(byEP, s), s); p != nil {
			row.Dialog = intp(p.dialog)
		}
		ms.rows = append(ms.rows, row)
	}
	// One-way audio: within a call (or, for streams no SDP ties, between
	// streams with the same far end), one direction crossed and the
	// other did not. A stream with no call and no stream the other way
	// at all is left alone: nothing says media was expected back.
	// The rows of each call and of each far end, for sameCall without
	// comparing every pair of rows.
	byDialog := map[int][]int{}
	byAddr, byAddrNoDialog := map[netip.Addr][]int{}, map[netip.Addr][]int{}
	for i := range ms.rows {
		r := &ms.rows[i]
		a := r.Remote.Addr()
		byAddr[a] = append(byAddr[a], i)
		if r.Dialog != nil {
			byDialog[*r.Dialog] = append(byDialog[*r.Dialog], i)
		} else {
			byAddrNoDialog[a] = append(byAddrNoDialog[a], i)
		}
	}
	for i := range ms.rows {
		r := &ms.rows[i]
		back, reverse := false, false
		others := byAddr[r.Remote.Addr()]
		if r.Dialog != nil {
			others = append(slices.Clone(byDialog[*r.Dialog]), byAddrNoDialog[r.Remote.Addr()]...)
		}
		for _, j := range others {
			o := &ms.rows[j]
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
		if r.OneWay && r.Dialog != nil && ms.plans[*r.Dialog] != nil && ms.plans[*r.Dialog].oneWayByDesign {
			r.OneWay = false
		}
	}
	return ms
}

// crossed reports whether some of r's packets crossed the router.
func crossed(r *MediaStream) bool { return r.Left > r.Duplicated }

// sameCall reports whether two streams belong to one call: the same
// dialog, or, untied, the same far end host.
func sameCall(a, b *MediaStream) bool {
	if a.Dialog != nil && b.Dialog != nil {
		return *a.Dialog == *b.Dialog
	}
	return a.Remote.Addr() == b.Remote.Addr()
}

// bestPlan returns the call whose SDP fits s best: first a call under
// way when the stream began (from its first message to its BYE, or its
// last message when it has none), then the SDP score, then the latest
// call to start before the stream (a phone reuses its media port call
// after call).
// plansNaming returns the plans naming one of s's endpoints, in dialog
// order (the order bestPlan breaks ties in).
func plansNaming(byEP map[netip.AddrPort][]*mediaPlan, s *correlate.Stream) []*mediaPlan {
	var out []*mediaPlan
	for _, ep := range []netip.AddrPort{s.LAN, s.WAN, s.Remote} {
		if ep.IsValid() {
			out = append(out, byEP[ep]...)
		}
	}
	slices.SortFunc(out, func(a, b *mediaPlan) int { return cmp.Compare(a.dialog, b.dialog) })
	return slices.Compact(out)
}

func bestPlan(plans []*mediaPlan, s *correlate.Stream) *mediaPlan {
	t := s.First.UnixNano()
	rank := func(p *mediaPlan) (int, int64) {
		sc := p.tie(s)
		if sc == 0 {
			return 0, 0
		}
		end := p.end
		if p.bye != 0 {
			end = p.bye
		}
		if p.start <= t && t <= end {
			sc += 100
		}
		if p.start <= t {
			return sc, p.start
		}
		return sc, -p.start
	}
	var best *mediaPlan
	bestScore, bestStart := 0, int64(0)
	for _, p := range plans {
		sc, st := rank(p)
		if sc > bestScore || sc == bestScore && sc > 0 && st > bestStart {
			best, bestScore, bestStart = p, sc, st
		}
	}
	return best
}

func (c *Context) media() []MediaStream {
	rows := c.mediaInfo().rows
	if rows == nil {
		return []MediaStream{}
	}
	return rows
}
