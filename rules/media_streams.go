package rules

import (
	"cmp"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"maps"
	"math"
	"net/netip"
	"slices"
	"time"

	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/record"
)

// This file ties the RTP streams correlate counted to their calls, for the
// report's media section and the media rules, in memory that follows the
// calls and streams active at once (issue 15): each call's media plan is
// spooled when its dialog closes; at Finish the streams, in the order of
// their first packet, are merged with the plans, in the order their calls
// began, through a window of the plans that may still claim a stream; a
// call is judged (MEDIA-*) once its plan has left the window and each of
// its streams has met the streams it is compared with, and its streams
// and findings are handed on.

// Horizons of the merge, in capture time (docs/decisions.md, 2026-12).
const (
	// planLead is how long before its call's first message with SDP a
	// stream may begin and still be tied to it: a capture's clock
	// estimate and an early packet are off by milliseconds; 64·T1 is the
	// longest a SIP transaction lasts (RFC 3261 §17).
	planLead = match.Quiet
	// mediaSlack is how close in time two streams with the same far host
	// must begin to be taken for one call when SDP ties one of them to no
	// call: a call's two directions start within a round trip of each
	// other; 64·T1 again.
	mediaSlack = match.Quiet
	// DefaultMaxPlans bounds the calls' plans in the merge's window at
	// once (MediaOptions.MaxPlans); past it the plan that would leave
	// first leaves early, and is counted. 16,384 plans, a few hundred
	// bytes each, hold an hour (match.DefaultIdleClose) of answered calls
	// whose BYE the captures lack at 270 a minute, or calls that end (a
	// plan stays about a minute past its call) at 10,000 a minute.
	DefaultMaxPlans = 1 << 14
	// maxHeldRows bounds the streams the merge holds at once, those that
	// began within mediaSlack of the cursor and those of calls not yet
	// judged (under a kilobyte each): past it the oldest are judged early,
	// with the streams they have met so far, and counted. 32,768 is four
	// times the streams correlate keeps open by default; a capture comes
	// near it only with thousands of streams beginning a second (an SSRC
	// flood) or long calls by the ten thousand.
	maxHeldRows = 1 << 15
)

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
	// index is the row's place in the media section.
	index int
}

// MediaOptions say where an [Evaluator] reads the RTP streams and puts the
// media section. The zero value reads the correlation's Streams and keeps
// the section, and the media rules' findings, in [Result].
type MediaOptions struct {
	// Streams calls yield with every stream correlate counted, in the
	// order correlate.Result.Streams lists them, once, during Finish; nil
	// means the correlation's Streams. Any says whether there are streams
	// (the calls' media plans are collected only then).
	Streams func(yield func(*correlate.Stream) error) error
	Any     bool
	// Row receives each entry of the media section, with its place in
	// the section, once it is final; entries come in no particular order.
	// Finding receives each finding of the media rules as it is made. Nil
	// keeps them in Result.Media and Result.Findings.
	Row     func(i int, r *MediaStream) error
	Finding func(f *Finding) error
	// TempDir and SpoolBudget say where the calls' plans spill and how
	// much of them is kept in memory first (spool.New); a zero budget
	// keeps them all in memory.
	TempDir     string
	SpoolBudget int
	// MaxPlans bounds the calls' plans that may claim a stream at once;
	// zero means DefaultMaxPlans.
	MaxPlans int
	// maxHeld replaces maxHeldRows when positive (tests).
	maxHeld int
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
	// phoneMsg is the first outbound message with SDP, as far as a
	// finding names it; nil when none.
	phoneMsg *planMsg
	// oneWayByDesign is set when an SDP of the call asked for media one
	// way or none (a=sendonly, recvonly, inactive: a call on hold).
	oneWayByDesign bool
	// established is set when an INVITE of the call was answered 2xx.
	established bool

	// retired is set when it has left the merge's window: no stream is
	// tied to it any more.
	retired bool
}

// planMsg is what a finding names of a message (messageFinding).
type planMsg struct {
	ID                 int
	Direction, Method  string
	LANFrame, WANFrame *int
}

func (m *planMsg) message() *match.Message {
	return &match.Message{ID: m.ID, Direction: m.Direction, Method: m.Method, LANFrame: m.LANFrame, WANFrame: m.WANFrame}
}

// retireAt is when p stops claiming streams: 64·T1 after its last
// message, as a dialog that ended is kept (match.Quiet); an established
// call whose BYE the captures do not show is still up as far as they
// tell, and is kept as long as the dialog is, match.DefaultIdleClose.
func (p *mediaPlan) retireAt() int64 {
	if p.established && p.bye == 0 {
		return p.end + match.DefaultIdleClose
	}
	return p.end + match.Quiet
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
		if m.Method == "INVITE" && m.Status != nil && *m.Status >= 200 && *m.Status < 300 {
			p.established = true
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
				p.phoneMsg = &planMsg{ID: m.ID, Direction: m.Direction, Method: m.Method, LANFrame: m.LANFrame, WANFrame: m.WANFrame}
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
// messages of c) into the dialog's; the dialog's last batch (closed)
// spools the plan, final, for the merge.
func (a *aggregates) observeMedia(c *Context, id int, closed bool) {
	idx := make([]int, len(c.Messages))
	for i := range idx {
		idx[i] = i
	}
	p := dialogMedia(c, id, idx)
	q := a.plans[id]
	switch {
	case q == nil && len(p.phone)+len(p.phoneWAN)+len(p.far) == 0:
	case q == nil:
		a.plans[id] = &p
	default:
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
		q.established = q.established || p.established
	}
	if closed {
		a.spoolPlan(id)
	}
}

// spoolPlan hands dialog id's plan, final, to the plans' spool, in the
// order the calls began.
func (a *aggregates) spoolPlan(id int) {
	p := a.plans[id]
	if p == nil {
		return
	}
	delete(a.plans, id)
	if a.planErr != nil {
		return
	}
	a.planBuf = p.appendRecord(a.planBuf[:0])
	a.planErr = a.planSpool.Add(planKey(p.start, p.dialog), a.planBuf)
}

func planKey(start int64, dialog int) []byte {
	k := binary.BigEndian.AppendUint64(nil, uint64(start)^1<<63)
	return binary.BigEndian.AppendUint64(k, uint64(dialog))
}

// appendRecord appends p as spooled to b: its fields in binary
// (analyze/record), read back by decodePlan.
//
// Why (2026-12, issue 15): the plans were spooled as encoding/json wrote
// them and read back with json.Unmarshal, 1.9% of the 73k SIP-heavy
// pair's CPU for its 7,360 calls.
func (p *mediaPlan) appendRecord(b []byte) []byte {
	var flags byte
	if p.oneWayByDesign {
		flags |= planOneWay
	}
	if p.established {
		flags |= planEstablished
	}
	m := p.phoneMsg
	if m != nil {
		flags |= planHasMsg
		if m.LANFrame != nil {
			flags |= planLANFrame
		}
		if m.WANFrame != nil {
			flags |= planWANFrame
		}
	}
	b = append(b, flags)
	b = binary.AppendVarint(b, int64(p.dialog))
	for _, eps := range [3][]netip.AddrPort{p.phone, p.phoneWAN, p.far} {
		b = binary.AppendUvarint(b, uint64(len(eps)))
		for _, ep := range eps {
			b = record.AppendAddrPort(b, ep)
		}
	}
	b = record.AppendAddr(b, p.peer)
	for _, t := range [3]int64{p.start, p.bye, p.end} {
		b = binary.AppendVarint(b, t)
	}
	if m != nil {
		b = binary.AppendVarint(b, int64(m.ID))
		b = record.AppendString(b, m.Direction)
		b = record.AppendString(b, m.Method)
		for _, f := range [2]*int{m.LANFrame, m.WANFrame} {
			if f != nil {
				b = binary.AppendVarint(b, int64(*f))
			}
		}
	}
	return b
}

// The flags of a plan's record.
const (
	planOneWay = 1 << iota
	planEstablished
	planHasMsg
	planLANFrame
	planWANFrame
)

// errPlanRecord is a plan record that does not decode: the spool was
// damaged.
var errPlanRecord = errors.New("damaged record")

// decodePlan decodes what appendRecord wrote.
func decodePlan(rec []byte) (*mediaPlan, error) {
	r := record.NewReader(rec)
	flags := r.Byte()
	p := &mediaPlan{dialog: int(r.Varint()), oneWayByDesign: flags&planOneWay != 0, established: flags&planEstablished != 0}
	for _, eps := range [3]*[]netip.AddrPort{&p.phone, &p.phoneWAN, &p.far} {
		for range r.Count() {
			*eps = append(*eps, r.AddrPort())
		}
	}
	p.peer = r.Addr()
	p.start, p.bye, p.end = r.Varint(), r.Varint(), r.Varint()
	if flags&planHasMsg != 0 {
		m := &planMsg{ID: int(r.Varint())}
		m.Direction, m.Method = string(r.Bytes()), string(r.Bytes())
		for i, f := range [2]**int{&m.LANFrame, &m.WANFrame} {
			if flags&(planLANFrame<<i) != 0 {
				n := int(r.Varint())
				*f = &n
			}
		}
		p.phoneMsg = m
	}
	if !r.Done() {
		return nil, errPlanRecord
	}
	return p, nil
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

// bestPlan returns the call whose SDP fits s best: first a call under
// way when the stream began (from its first message to its BYE, or its
// last message when it has none), then the SDP score, then the latest
// call to start before the stream (a phone reuses its media port call
// after call).
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

// mediaState is what the media rules see of one call (or of one stream
// SDP ties to no call): its streams and plan, and the stream its
// MEDIA-ONE-WAY finding is about with the first of the streams compared
// with it that crossed and that were blocked.
type mediaState struct {
	rows             []MediaStream
	plan             *mediaPlan
	oneWay           *MediaStream
	crossed, blocked *MediaStream
	// cause is the cause MEDIA-ONE-WAY named, for the verdict's summary.
	cause string
}

// mediaInfo is the call the media rules judge; empty outside the merge.
func (c *Context) mediaInfo() *mediaState {
	if c.mediaCache == nil {
		return &mediaState{}
	}
	return c.mediaCache
}

// media returns the streams of the call the media rules judge.
func (c *Context) media() []MediaStream { return c.mediaInfo().rows }

// planOf returns the plan of r's call, nil when none.
func (c *Context) planOf(r *MediaStream) *mediaPlan {
	if p := c.mediaInfo().plan; p != nil && r.Dialog != nil && *r.Dialog == p.dialog {
		return p
	}
	return nil
}

// crossed reports whether some of r's packets crossed the router.
func crossed(r *MediaStream) bool { return r.Left > r.Duplicated }

// Stream classes in the merge's indexes.
const (
	classCrossed = iota
	classBlocked // entered, none crossed
	classOther
	nClasses
)

// mrow is a stream in the merge.
type mrow struct {
	MediaStream
	plan        *mediaPlan
	first, last int64 // ns
	out         int   // 1 outbound, 0 inbound
	cat         int   // index of the host's queue it is in
	// What the streams with the same far host that began within
	// mediaSlack of it show, those that SDP ties to no call (and, for a
	// stream tied to none, those tied to one): a stream the other way,
	// one the other way that crossed, the first that crossed, the first
	// that was blocked.
	rev, back        bool
	crossed, blocked *mrow
}

func (r *mrow) class() int {
	switch {
	case crossed(&r.MediaStream):
		return classCrossed
	case r.Entered > 0:
		return classBlocked
	}
	return classOther
}

// firstOf returns whichever of a and b comes first in the media section.
func firstOf(a, b *mrow) *mrow {
	if a == nil || b != nil && b.index < a.index {
		return b
	}
	return a
}

// hostRows are the streams with one far host that began within
// mediaSlack of the merge's cursor, by tied (0 untied, 1 tied),
// direction and class, each in media-section order.
type hostRows struct {
	q [2 * 2 * nClasses][]*mrow
	// oneWay is the first packet of the last stream SDP ties to no call
	// that was one-way: MEDIA-ONE-WAY names such streams once while they
	// keep beginning within mediaSlack of each other.
	oneWay    int64
	hasOneWay bool
}

func (h *hostRows) empty() bool {
	for _, q := range h.q {
		if len(q) > 0 {
			return false
		}
	}
	return true
}

// note sets on r what the streams of h show (see mrow), skipping r
// itself: the streams that began before it when it arrives, those after
// it when it leaves.
func (h *hostRows) note(r *mrow) {
	for tied := range 2 {
		if r.plan != nil && tied == 1 {
			break // tied to a call: its call's streams count, through the group
		}
		for out := range 2 {
			for k := range nClasses {
				q := h.q[(tied*2+out)*nClasses+k]
				if len(q) > 0 && q[0] == r {
					q = q[1:]
				}
				if len(q) == 0 {
					continue
				}
				if out != r.out {
					r.rev = true
					r.back = r.back || k == classCrossed
				}
				switch k {
				case classCrossed:
					r.crossed = firstOf(r.crossed, q[0])
				case classBlocked:
					r.blocked = firstOf(r.blocked, q[0])
				}
			}
		}
	}
}

// callGroup is the streams SDP ties to one call.
type callGroup struct {
	plan *mediaPlan
	rows []*mrow
	// deadline is when every stream of it is known and has met its
	// neighbours: streams are tied to the plan until it retires, and meet
	// those that begin within mediaSlack of them.
	deadline int64
	// Over its streams: a stream each way, one each way that crossed, the
	// first that crossed, the first that was blocked.
	dirs, crossedDirs [2]bool
	crossed, blocked  *mrow
}

// mediaMerge ties the streams, in the order of their first packet, to
// the calls' plans, in the order the calls began, and judges each call
// once its streams are final.
type mediaMerge struct {
	e   *Evaluator
	c   *Context
	opt MediaOptions
	// The plans: next is the next plan not yet in the window (nil at the
	// end), pull reads the one after it.
	next   *mediaPlan
	pull   func() ([]byte, bool)
	byEP   map[netip.AddrPort][]*mediaPlan
	window planHeap
	early  int
	// The streams: fifo holds those that began within mediaSlack of the
	// cursor, in order; hosts indexes them by far host; groups holds the
	// calls with streams, by dialog, until judged (ready orders them by
	// deadline).
	fifo   []*mrow
	hosts  map[netip.Addr]*hostRows
	groups map[int]*callGroup
	ready  groupHeap
	// held counts the streams of the calls in groups; early the streams
	// judged early because maxHeldRows were held.
	held, heldEarly int
	n               int
	rows            []MediaStream // kept when opt.Row is nil
	err             error
}

// errStopPull ends the plans' spool read early.
var errStopPull = errors.New("rules: stop")

// runMedia builds the media section and runs the media rules on it.
func (e *Evaluator) runMedia(c *Context) ([]MediaStream, error) {
	a := e.agg
	for _, id := range slices.Sorted(maps.Keys(a.plans)) {
		a.spoolPlan(id) // dialogs the caller never closed
	}
	if a.planErr != nil {
		return nil, a.planErr
	}
	var pullErr error
	recs := func(yield func([]byte) bool) {
		err := a.planSpool.Each(func(_, v []byte) error {
			if !yield(v) {
				return errStopPull
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStopPull) {
			pullErr = err
		}
	}
	pull, stop := iter.Pull(recs)
	defer stop()
	m := &mediaMerge{e: e, c: c, opt: e.mediaOpt, pull: pull, byEP: map[netip.AddrPort][]*mediaPlan{},
		hosts: map[netip.Addr]*hostRows{}, groups: map[int]*callGroup{}}
	m.advancePlan()
	streams := e.mediaOpt.Streams
	if streams == nil {
		streams = func(yield func(*correlate.Stream) error) error {
			for i := range c.Corr.Streams {
				if err := yield(&c.Corr.Streams[i]); err != nil {
					return err
				}
			}
			return nil
		}
	}
	err := streams(func(s *correlate.Stream) error {
		m.add(s)
		return m.err
	})
	if err == nil {
		m.flush(math.MaxInt64)
		err = m.err
	}
	stop()
	if err == nil {
		err = pullErr
	}
	a.plansEarly += m.early
	a.rowsEarly += m.heldEarly
	slices.SortFunc(m.rows, func(a, b MediaStream) int { return cmp.Compare(a.index, b.index) })
	return m.rows, err
}

// advancePlan reads the next plan from the spool into m.next.
func (m *mediaMerge) advancePlan() {
	m.next = nil
	v, ok := m.pull()
	if !ok {
		return
	}
	p, err := decodePlan(v)
	if err != nil {
		m.err = fmt.Errorf("rules: reading a media plan: %w", err)
		return
	}
	m.next = p
}

// add takes the next stream: the plans and streams it leaves behind are
// retired and judged, and it is tied to its call.
func (m *mediaMerge) add(s *correlate.Stream) {
	t := s.First.UnixNano()
	m.retireBefore(t)
	for m.next != nil && m.next.start-planLead <= t && m.err == nil {
		m.admit(m.next)
		m.advancePlan()
	}
	m.flush(t)
	r := &mrow{MediaStream: MediaStream{
		SSRC: fmt.Sprintf("0x%08x", s.SSRC), Direction: s.Direction, Remote: s.Remote,
		FirstSeen: s.First, LastSeen: s.Last, Entered: s.Entered, Left: s.Left, LostAtRouter: s.Lost,
		MaxLossBurst: s.MaxLossBurst, Duplicated: s.Duplicated, Reordered: s.Reordered,
		StoppedCrossing: s.TailLost, RouterDelay: s.Delay, JitterAddedMS: s.JitterMS,
		RTCPEntered: s.RTCPEntered, RTCPLeft: s.RTCPLeft, Stream: s, index: m.n,
	}, first: t, last: s.Last.UnixNano()}
	m.n++
	if s.LAN.IsValid() {
		r.LAN = &s.LAN
	}
	if s.WAN.IsValid() {
		r.WAN = &s.WAN
	}
	if s.Entered > 0 {
		r.LossPct = math.Round(float64(s.Lost)*1e4/float64(s.Entered)) / 100
	}
	if s.Direction == "outbound" {
		r.out = 1
	}
	if p := bestPlan(plansNaming(m.byEP, s), s); p != nil {
		r.Dialog, r.plan = intp(p.dialog), p
	}
	// Its neighbours by far host.
	host := r.Remote.Addr()
	h := m.hosts[host]
	if h == nil {
		h = &hostRows{}
		m.hosts[host] = h
	}
	h.note(r)
	tied := 0
	if r.plan != nil {
		tied = 1
	}
	r.cat = (tied*2+r.out)*nClasses + r.class()
	h.q[r.cat] = append(h.q[r.cat], r)
	m.fifo = append(m.fifo, r)
	for len(m.fifo) > m.opt.maxHeld && m.err == nil {
		m.heldEarly++
		m.expire()
	}
	if r.plan == nil {
		return
	}
	for m.held >= m.opt.maxHeld && m.err == nil {
		g := heap.Pop(&m.ready).(*callGroup)
		m.heldEarly += len(g.rows)
		delete(m.groups, g.plan.dialog)
		m.judgeCall(g)
	}
	g := m.groups[r.plan.dialog]
	if g == nil {
		g = &callGroup{plan: r.plan, deadline: r.plan.retireAt() + mediaSlack}
		m.groups[r.plan.dialog] = g
		heap.Push(&m.ready, g)
	}
	g.rows = append(g.rows, r)
	m.held++
	g.dirs[r.out] = true
	if crossed(&r.MediaStream) {
		g.crossedDirs[r.out] = true
		g.crossed = firstOf(g.crossed, r)
	} else if r.Entered > 0 {
		g.blocked = firstOf(g.blocked, r)
	}
}

// admit puts p in the window of plans that may claim a stream.
func (m *mediaMerge) admit(p *mediaPlan) {
	heap.Push(&m.window, p)
	for _, l := range [][]netip.AddrPort{p.phone, p.phoneWAN, p.far} {
		for _, ep := range l {
			if n := len(m.byEP[ep]); n == 0 || m.byEP[ep][n-1] != p {
				m.byEP[ep] = append(m.byEP[ep], p)
			}
		}
	}
	for len(m.window) > m.opt.MaxPlans {
		m.retire(heap.Pop(&m.window).(*mediaPlan))
		m.early++
	}
}

// retireBefore takes out of the window the plans that stopped claiming
// streams before t.
func (m *mediaMerge) retireBefore(t int64) {
	for len(m.window) > 0 && m.window[0].retireAt() < t {
		m.retire(heap.Pop(&m.window).(*mediaPlan))
	}
}

// retire takes p out of the window: no stream is tied to it any more.
func (m *mediaMerge) retire(p *mediaPlan) {
	p.retired = true
	for _, l := range [][]netip.AddrPort{p.phone, p.phoneWAN, p.far} {
		for _, ep := range l {
			ps := slices.DeleteFunc(m.byEP[ep], func(q *mediaPlan) bool { return q == p })
			if len(ps) == 0 {
				delete(m.byEP, ep)
			} else {
				m.byEP[ep] = ps
			}
		}
	}
}

// flush does what the cursor reaching t allows: plans that stopped
// claiming streams before t leave the window; streams that began more
// than mediaSlack before t have met every neighbour (one SDP ties to no
// call is judged then); calls whose deadline passed are judged.
func (m *mediaMerge) flush(t int64) {
	m.retireBefore(t)
	for len(m.fifo) > 0 && (t == math.MaxInt64 || m.fifo[0].first+mediaSlack < t) && m.err == nil {
		m.expire()
	}
	for len(m.ready) > 0 && (t == math.MaxInt64 || m.ready[0].deadline < t) && m.err == nil {
		g := heap.Pop(&m.ready).(*callGroup)
		delete(m.groups, g.plan.dialog)
		m.judgeCall(g)
	}
}

// expire takes the first stream out of the neighbourhood of the cursor:
// it has met the streams that began within mediaSlack after it; one SDP
// ties to no call is judged.
func (m *mediaMerge) expire() {
	r := m.fifo[0]
	m.fifo[0] = nil
	m.fifo = m.fifo[1:]
	host := r.Remote.Addr()
	h := m.hosts[host]
	h.note(r)
	h.q[r.cat][0] = nil
	h.q[r.cat] = h.q[r.cat][1:]
	if r.plan == nil {
		m.judgeUntied(h, r)
	}
	if h.empty() {
		delete(m.hosts, host)
	}
}

// oneWay sets r.OneWay from what its call (or its neighbours) show:
// reverse, a stream the other way; back, one the other way that crossed.
func oneWay(r *mrow, reverse, back bool) {
	switch {
	case crossed(&r.MediaStream):
		r.OneWay = !back && (r.plan != nil || reverse)
	case r.Entered > 0:
		r.OneWay = back
	}
	if r.OneWay && r.plan != nil && r.plan.oneWayByDesign {
		r.OneWay = false
	}
}

// judgeCall judges the streams of one call.
func (m *mediaMerge) judgeCall(g *callGroup) {
	m.held -= len(g.rows)
	st := &mediaState{plan: g.plan, rows: make([]MediaStream, len(g.rows))}
	for i, r := range g.rows {
		oneWay(r, g.dirs[1-r.out] || r.rev, g.crossedDirs[1-r.out] || r.back)
		st.rows[i] = r.MediaStream
		if r.OneWay && st.oneWay == nil {
			st.oneWay = &st.rows[i]
			st.crossed, st.blocked = rowOf(firstOf(g.crossed, r.crossed)), rowOf(firstOf(g.blocked, r.blocked))
		}
	}
	m.judge(st)
}

// judgeUntied judges a stream SDP ties to no call, with its neighbours
// by far host.
func (m *mediaMerge) judgeUntied(h *hostRows, r *mrow) {
	oneWay(r, r.rev, r.back)
	st := &mediaState{rows: []MediaStream{r.MediaStream}}
	if r.OneWay {
		if !h.hasOneWay || h.oneWay < r.first-mediaSlack {
			st.oneWay = &st.rows[0]
			st.crossed = rowOf(firstOf(selfIf(r, classCrossed), r.crossed))
			st.blocked = rowOf(firstOf(selfIf(r, classBlocked), r.blocked))
		}
		h.oneWay, h.hasOneWay = r.first, true
	}
	m.judge(st)
}

func selfIf(r *mrow, class int) *mrow {
	if r.class() == class {
		return r
	}
	return nil
}

func rowOf(r *mrow) *MediaStream {
	if r == nil {
		return nil
	}
	return &r.MediaStream
}

// judge runs the media rules on one call's streams and hands the streams
// and findings on.
func (m *mediaMerge) judge(st *mediaState) {
	e := m.e
	mc := *m.c
	mc.mediaCache = st
	fs := e.check(&mc, e.media, nil)
	sum := &e.agg.mediaSum
	if st.cause != "" && len(fs) > 0 {
		for _, f := range fs {
			if f.Rule == MediaOneWay.ID {
				sum.cause(st.cause, f.order)
			}
		}
	}
	for i := range st.rows {
		r := &st.rows[i]
		if n := scatteredLoss(&mc, r); n > 0 && crossed(r) {
			sum.lost += n
			sum.streams++
			sum.worst = max(sum.worst, float64(n)*100/float64(r.Entered))
		}
	}
	for i := range fs {
		if m.opt.Finding == nil {
			e.mediaFindings = append(e.mediaFindings, fs[i])
		} else if err := m.opt.Finding(&fs[i]); err != nil {
			m.err = err
			return
		}
	}
	for i := range st.rows {
		if m.opt.Row == nil {
			m.rows = append(m.rows, st.rows[i])
		} else if err := m.opt.Row(st.rows[i].index, &st.rows[i]); err != nil {
			m.err = err
			return
		}
	}
}

// mediaTotals is what the verdict says of the media: the RTP the router
// lost outside a closed pinhole (packets, streams, the worst share of a
// stream), and the causes of one-way audio.
type mediaTotals struct {
	lost, streams int
	worst         float64
	// causes are the causes MEDIA-ONE-WAY named, each with the first
	// finding (in report order) that named it.
	causes map[string]uint64
}

func (s *mediaTotals) cause(c string, order uint64) {
	if s.causes == nil {
		s.causes = map[string]uint64{}
	}
	if o, ok := s.causes[c]; !ok || order < o {
		s.causes[c] = order
	}
}

// causeList lists the causes in the order of their first finding.
func (s *mediaTotals) causeList() []string {
	out := slices.Collect(maps.Keys(s.causes))
	slices.SortFunc(out, func(a, b string) int { return cmp.Compare(s.causes[a], s.causes[b]) })
	return out
}

// planHeap orders the window's plans by when they stop claiming streams.
type planHeap []*mediaPlan

func (h planHeap) Len() int { return len(h) }
func (h planHeap) Less(i, j int) bool {
	return cmp.Or(cmp.Compare(h[i].retireAt(), h[j].retireAt()), cmp.Compare(h[i].dialog, h[j].dialog)) < 0
}
func (h planHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *planHeap) Push(x any)   { *h = append(*h, x.(*mediaPlan)) }
func (h *planHeap) Pop() any {
	old := *h
	p := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return p
}

// groupHeap orders the calls with streams by deadline.
type groupHeap []*callGroup

func (h groupHeap) Len() int { return len(h) }
func (h groupHeap) Less(i, j int) bool {
	return cmp.Or(cmp.Compare(h[i].deadline, h[j].deadline), cmp.Compare(h[i].plan.dialog, h[j].plan.dialog)) < 0
}
func (h groupHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *groupHeap) Push(x any)   { *h = append(*h, x.(*callGroup)) }
func (h *groupHeap) Pop() any {
	old := *h
	g := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return g
}
