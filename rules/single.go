package rules

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/oneside"
	"github.com/sipalg/sipalg/analyze/sdp"
	"github.com/sipalg/sipalg/analyze/sipmsg"
)

// This file is the engine of single-capture analysis: one capture, taken
// on the LAN or the WAN side of the router, judged by rules that infer
// what the router did from what is inconsistent inside that capture. They
// never see a message's twin, so their verdict is warning or info, never
// correct or bad, and their IDs end in -SUSPECTED. Evaluate's paired
// analysis does not run them.

// SingleInput is what the single-capture rules look at.
type SingleInput struct {
	Capture *oneside.Result
}

// SingleContext is what a single-capture rule sees: the capture's facts,
// its messages (one side of each match.Message is set), and caches.
type SingleContext struct {
	*oneside.Result
	Messages []match.Message
	Dialogs  []match.Dialog

	sdps     map[int]*sdp.Session
	creators map[int]netip.Addr
	callIDs  map[string]bool
	idx      *singleIndex
	pubs     map[int][]oneside.FieldAddr // signalledPublic, by message ID
}

func newSingleContext(in *SingleInput) *SingleContext {
	c := &SingleContext{Result: in.Capture, Messages: in.Capture.Match.Messages, Dialogs: in.Capture.Match.Dialogs,
		sdps: map[int]*sdp.Session{}, callIDs: map[string]bool{}, pubs: map[int][]oneside.FieldAddr{}}
	c.creators = oneside.DialogCreators(c.Messages)
	for i := range c.Messages {
		m := &c.Messages[i]
		for _, id := range []string{m.CallIDLAN, m.CallIDWAN} {
			if id != "" {
				c.callIDs[id] = true
			}
		}
	}
	return c
}

// SingleCatalog returns the rules of single-capture analysis, in the order
// their findings are listed: the router's rewrites, then the NAT and
// mapping, then information.
func SingleCatalog() []*Rule {
	return []*Rule{
		SDPPartialRewriteSuspected, MappingMismatchSuspected, CallIDRewriteSuspected,
		ReferToMismatchSuspected, ParamSeparatorLostSuspected, PortOutOfRangeSuspected,
		ContentLengthStaleSuspected, ICECandidateMismatchSuspected, InboundNotRestoredSuspected,
		ViaReceivedCorruptedSuspected, InboundDroppedSuspected, BindingShorterThanRefreshSuspected,
		ALGRewriteSuspected, ALGAsProxySuspected, ALGAbsentSuspected, NATAbsentSuspected,
	}
}

// EvaluateSingle runs the single-capture rules and returns their findings,
// sorted, and the verdict.
func EvaluateSingle(in *SingleInput) ([]Finding, Summary) {
	c := newSingleContext(in)
	fs := []Finding{}
	for _, r := range SingleCatalog() {
		for _, f := range r.CheckSingle(c) {
			fill(&f, r)
			fs = append(fs, f)
		}
	}
	slices.SortStableFunc(fs, CompareFindings)
	return fs, summarizeSingle(c, fs)
}

// msg returns m's parsed message, frame and endpoints.
func (c *SingleContext) msg(m *match.Message) (*sipmsg.Message, int, netip.AddrPort, netip.AddrPort) {
	return oneside.Msg(m)
}

// SDP returns the parsed SDP of m, or nil.
func (c *SingleContext) SDP(m *match.Message) *sdp.Session {
	if s, ok := c.sdps[m.ID]; ok {
		return s
	}
	p, _, _, _ := c.msg(m)
	s := oneside.SDPOf(p)
	c.sdps[m.ID] = s
	return s
}

// ownCallID reports whether the sender of m created its dialog (so the
// Call-ID is the sender's).
func (c *SingleContext) ownCallID(m *match.Message) bool {
	_, _, src, _ := c.msg(m)
	return c.creators[m.Dialog] == src.Addr()
}

// routerTouched reports whether m crossed the router in the direction an
// ALG rewrites on this side: outbound messages on the WAN side (as they
// left the router), inbound ones on the LAN side.
func (c *SingleContext) routerTouched(m *match.Message) bool {
	if c.Side == oneside.WAN {
		return m.Direction == "outbound"
	}
	return m.Direction == "inbound"
}

// rewrittenHere reports whether m shows the router at work in it: always
// on the LAN side (the rules there look at inbound messages an ALG
// restores), and on the WAN side when its Via, Contact or SDP connection
// names the public address it came from. A defect in a WAN message that
// still carries only the phone's own private addresses is the phone's.
func (c *SingleContext) rewrittenHere(m *match.Message) bool {
	if c.Side == oneside.LAN {
		return true
	}
	if len(c.signalledPublic(m)) > 0 {
		return true
	}
	_, _, src, _ := c.msg(m)
	for _, mc := range sdpMediaList(c.SDP(m)) {
		if mc.addr == src.Addr() {
			return true
		}
	}
	return false
}

// natEvidence reports whether the host a is seen behind a NAT.
func (c *SingleContext) natEvidence(a netip.Addr) bool {
	h := c.Host(a)
	return h != nil && (len(h.NAT) > 0 || len(h.Private) > 0)
}

// singleFinding is a finding about message m with the given evidence
// frames (m's own frame first, added when missing).
func (c *SingleContext) singleFinding(m *match.Message, text string, frames ...int) Finding {
	f := messageFinding(m, text)
	_, frame, _, _ := c.msg(m)
	rest := slices.DeleteFunc(slices.Clone(frames), func(x int) bool { return x == frame })
	slices.Sort(rest)
	f.Frames = append([]int{frame}, slices.Compact(rest)...)
	return f
}

// sideName is "WAN" or "LAN".
func (c *SingleContext) sideName() string { return strings.ToUpper(string(c.Side)) }

// summarizeSingle says in one sentence what the capture suggests.
func summarizeSingle(c *SingleContext, fs []Finding) Summary {
	var s Summary
	fired := map[string]int{}
	for _, f := range fs {
		if f.Verdict == Warning {
			s.Warnings++
		}
		fired[f.Rule]++
	}
	var warn []string
	for _, r := range SingleCatalog() {
		if r.Verdict == Warning && fired[r.ID] > 0 {
			warn = append(warn, r.ID)
		}
	}
	algSigns := fired[ALGRewriteSuspected.ID] + fired[ALGAsProxySuspected.ID] + fired[CallIDRewriteSuspected.ID] +
		fired[ReferToMismatchSuspected.ID] + fired[InboundNotRestoredSuspected.ID] + fired[SDPPartialRewriteSuspected.ID]
	s.ALGDetected = algSigns > 0
	s.IncomingCallsAtRisk = fired[InboundDroppedSuspected.ID]+fired[BindingShorterThanRefreshSuspected.ID] > 0
	var parts []string
	switch {
	case len(warn) > 0:
		parts = append(parts, fmt.Sprintf("%d warning(s) suggest a SIP ALG or NAT problem (%s)", s.Warnings, strings.Join(warn, ", ")))
	case s.ALGDetected:
		parts = append(parts, "a SIP ALG (or a STUN-aware phone) rewrote addresses, and nothing in this capture shows it doing harm")
	case fired[ALGAbsentSuspected.ID] > 0:
		parts = append(parts, "no sign of a SIP ALG: the phone's private addresses cross the NAT unchanged and the server must do NAT traversal")
	case fired[NATAbsentSuspected.ID] > 0:
		parts = append(parts, "no NAT between the SIP endpoints is visible, so there is nothing for an ALG to do")
	default:
		parts = append(parts, "nothing suspicious, which one capture cannot turn into a clean bill of health")
	}
	if s.IncomingCallsAtRisk {
		parts = append(parts, "incoming calls are at risk")
	}
	s.Summary = fmt.Sprintf("Single-sided (%s capture only), inferred: %s.", c.sideName(), strings.Join(parts, "; "))
	if n := c.NotAnalysed; n > 0 {
		// The verdict rests on the messages kept: say so where it is
		// read, not only among the warnings.
		s.Summary += fmt.Sprintf(" This rests on the capture's first %d SIP messages only: the %d from %s on were past what the analysis keeps (see the warnings), and nothing here speaks of them.",
			len(c.Messages), n, time.Unix(0, c.NotAnalysedFrom).UTC().Format(time.RFC3339Nano))
	}
	return s
}

// endpointText writes host:port, or the host alone for port < 0.
func endpointText(a netip.Addr, port int) string {
	if port < 0 || port > 65535 {
		return a.String()
	}
	return netip.AddrPortFrom(a, uint16(port)).String()
}

// signalledPublic returns the fields of p (top Via of a request, Contacts)
// that name src's own address: what an ALG (or a STUN-aware phone) wrote
// when it put the public address into the signalling.
//
// Several rules ask it of the same messages: it is worked out once per
// message (2026-12, issue 15: 0.48 s of the 73k SIP-heavy pair's WAN side
// went to working it out again).
func (c *SingleContext) signalledPublic(m *match.Message) []oneside.FieldAddr {
	if fs, ok := c.pubs[m.ID]; ok {
		return fs
	}
	p, _, src, _ := c.msg(m)
	fs := signalledPublic(p, src)
	c.pubs[m.ID] = fs
	return fs
}

func signalledPublic(p *sipmsg.Message, src netip.AddrPort) []oneside.FieldAddr {
	var out []oneside.FieldAddr
	for _, fa := range oneside.OwnAddresses(p, false) {
		if fa.Addr != src.Addr() {
			continue
		}
		if fa.Field == "Via[0].sent-by" || strings.HasPrefix(fa.Field, "Contact[") {
			out = append(out, fa)
		}
	}
	return out
}

// privateOwn returns the private addresses src wrote about itself in m.
func (c *SingleContext) privateOwn(m *match.Message) []oneside.FieldAddr {
	p, _, src, _ := c.msg(m)
	var out []oneside.FieldAddr
	for _, fa := range oneside.OwnAddresses(p, c.ownCallID(m)) {
		if oneside.IsPrivate(fa.Addr) && fa.Addr != src.Addr() {
			out = append(out, fa)
		}
	}
	return out
}

// fieldNames lists the distinct field paths of fs, in order.
func fieldNames(fs []oneside.FieldAddr) []string {
	var out []string
	for _, f := range fs {
		name := f.Field
		if i := strings.Index(name, "["); i > 0 && !strings.HasPrefix(name, "sdp") {
			name = name[:i]
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}
