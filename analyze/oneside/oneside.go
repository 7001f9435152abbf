// Package oneside reads one capture, taken on one side of a NAT router, and
// collects what it can still show about the router without the other side:
// which SIP endpoints sit behind the router and which are far away, the
// direction of every SIP message, which inbound requests got through after
// an idle gap and which were refused (ICMP) or went unanswered, the media
// flows, and the NAT properties the SIP server itself reported in Via
// received/rport.
//
// Nothing here is a verdict: package rules judges these facts
// (rules.EvaluateSingle). Everything is an inference from one side, and the
// types say what each value rests on.
package oneside

import (
	"net/netip"
	"time"

	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/match"
)

// Side is the side of the router a capture was taken on.
type Side string

// The two sides.
const (
	LAN Side = "lan"
	WAN Side = "wan"
)

// minExpiryGap is the shortest idle gap after which an unanswered or
// refused inbound request is taken as evidence that the mapping expired;
// shorter ones are losses. The same threshold as package correlate (no
// router times UDP mappings out under 10 s; RFC 4787 REQ-5 asks for 2 min).
const minExpiryGap = 10 * time.Second

// Limits bound what a one-sided analysis keeps; a zero field means its
// default.
type Limits struct {
	Capture capture.Limits
	// MaxSIPBytes bounds the SIP text kept (64 MiB, some 130,000
	// messages), MaxMessages the messages (match.DefaultMaxMessages):
	// the analysis keeps the capture's messages up to the first that
	// would pass either, and none after it (Result.NotAnalysed).
	MaxSIPBytes, MaxMessages int
}

// DefaultMaxSIPBytes is Limits.MaxSIPBytes when zero.
const DefaultMaxSIPBytes = 64 << 20

func (l Limits) withDefaults() Limits {
	if l.Capture == (capture.Limits{}) {
		l.Capture = capture.DefaultLimits()
	}
	if l.MaxSIPBytes <= 0 {
		l.MaxSIPBytes = DefaultMaxSIPBytes
	}
	if l.MaxMessages <= 0 {
		l.MaxMessages = match.DefaultMaxMessages
	}
	return l
}

// maxFlows bounds the flow and endpoint tables; packets of flows beyond it
// are counted in a warning.
const maxFlows = 1 << 16

// icmpWindow is how long after an inbound request an ICMP error quoting it
// is attributed to it.
const icmpWindow = 2 * time.Second

// Role is what a host is to the router, as far as one capture tells.
type Role string

// Roles.
const (
	// RoleUA is a SIP endpoint behind the router (a phone, an ATA, a PBX
	// on the LAN): on the WAN side it shows up at the router's public
	// address.
	RoleUA Role = "behind-router"
	// RoleRemote is a SIP endpoint on the far side (registrar, proxy,
	// trunk).
	RoleRemote Role = "remote"
)

// Host is one IP address that exchanged SIP, with its role and what the
// role rests on.
type Host struct {
	Addr netip.Addr `json:"addr"`
	Role Role       `json:"role"`
	// Why says what the role rests on.
	Why string `json:"why"`
	// NAT lists the evidence that the host's traffic crossed a NAT (a
	// private address in its own fields while it sends from a public one,
	// a Via port that is not the source port, a server reporting a
	// received= address other than the one the host wrote); empty when
	// none was seen.
	NAT []string `json:"nat_evidence"`
	// Private lists private addresses the host wrote into its own fields.
	Private []netip.Addr `json:"private_addresses"`

	sentRegister, gotRegister bool
	requests                  int
	viaMatchesSource          int // requests whose top Via is the source address:port
	firstEvidenceFrame        int
}

// Outcome is what became of an inbound request.
type Outcome string

// Outcomes.
const (
	// Answered: the endpoint behind the router answered it (WAN side), or
	// it reached the LAN side at all (LAN side): the mapping was alive.
	Answered Outcome = "answered"
	// Refused: the router answered it with ICMP port unreachable.
	Refused Outcome = "refused"
	// Unanswered: no response and no ICMP error, though it was
	// retransmitted or the capture went on long enough to see one.
	Unanswered Outcome = "unanswered"
	// Unknown: the capture ends too soon after it to tell.
	Unknown Outcome = "unknown"
)

// Probe is an inbound SIP request over UDP, first copy and retransmissions:
// the router's mapping either let it through or did not.
type Probe struct {
	// MessageID is the report message ID of the first copy.
	MessageID int
	Method    string
	// Frames are the frames of every copy, first first.
	Frames []int
	// ICMPFrames are the frames of the ICMP errors that quoted a copy.
	ICMPFrames []int
	TS         int64 // first copy, Unix ns
	Src, Dst   netip.AddrPort
	// IdleAny is how long the destination endpoint (any remote) had been
	// silent in both directions before the first copy: a mapping that let
	// the request through survived at least that long. IdleOut is how long
	// since the destination last sent to the source: what a mapping
	// refreshed by outbound packets only had been idle. Both in seconds;
	// negative when the endpoint had sent nothing before.
	IdleAny, IdleOut float64
	Outcome          Outcome
}

// Flow is one transport flow (both directions) as seen in the capture.
type Flow struct {
	Proto string         // "udp" or "tcp"
	A, B  netip.AddrPort // A sent the first packet seen
	// PacketsAB and PacketsBA count packets each way.
	PacketsAB, PacketsBA int
	// FirstFrameAB and FirstFrameBA are the first frame each way; 0 when
	// none.
	FirstFrameAB, FirstFrameBA int
	First, Last                int64 // Unix ns
	// SIP, RTP and RTCP count the packets (or TCP SIP messages) of each
	// kind; Other the rest.
	SIP, RTP, RTCP, Other int
	// Small counts UDP payloads of at most 4 bytes (CRLF keep-alives,
	// RFC 5626 §4.4.1) and zero-length ones.
	Small int
	// Bursts lists where traffic resumed in one direction after a pause
	// (the first packet, and each after burstGap of silence), at most
	// maxBursts: the frame to point at for a given call.
	Bursts []Burst

	lastAB, lastBA int64
}

// Burst is where a flow's traffic in one direction (re)started.
type Burst struct {
	TS    int64
	Frame int
	AB    bool // from A to B
}

// Burst returns the first burst in the given direction at or after ts.
func (f *Flow) Burst(ab bool, ts int64) (Burst, bool) {
	for _, b := range f.Bursts {
		if b.AB == ab && b.TS >= ts {
			return b, true
		}
	}
	return Burst{}, false
}

// Kind is the flow's main kind of traffic: sip, rtp, rtcp or other.
func (f *Flow) Kind() correlate.Kind {
	switch {
	case f.SIP > 0:
		return correlate.KindSIP
	case f.RTP >= f.RTCP && f.RTP > f.Other:
		return correlate.KindRTP
	case f.RTCP > f.Other:
		return correlate.KindRTCP
	}
	return correlate.KindOther
}

// Unreachable is an ICMP destination-unreachable error and the packet it
// quotes.
type Unreachable = capture.Unreachable

// TimeoutEvidence says what each bound on the UDP mapping timeout rests
// on; empty when the bound is unknown.
type TimeoutEvidence struct {
	Lower string `json:"lower"`
	Upper string `json:"upper"`
}

// Result is what one capture shows.
type Result struct {
	Side Side
	// Match holds the SIP messages of the capture (on the LAN or WAN side
	// of each match.Message, per Side) with their direction set:
	// outbound for messages from a host behind the router, inbound for
	// messages to one, unknown when the capture does not tell.
	Match *match.Result
	// Hosts are the addresses that exchanged SIP, sorted.
	Hosts        []*Host
	Probes       []Probe
	Unreachables []Unreachable
	// Flows are the transport flows, in order of their first packet.
	Flows    []*Flow
	Mappings []correlate.Mapping
	NAT      correlate.NAT
	Timeout  TimeoutEvidence
	// Limits are remarks on what this capture in particular cannot show.
	Limits   []string
	Warnings []string
	// NotAnalysed counts the SIP messages past what the analysis keeps
	// (Limits), which nothing here says anything of; NotAnalysedFrom is
	// when the first of them was sent (Unix ns).
	NotAnalysed     int
	NotAnalysedFrom int64

	hostIndex map[netip.Addr]*Host // see Host
}

// Host returns the host record of a, or nil.
//
// Through a map made from Hosts (again whenever Hosts grew): the rules
// ask it of every message's addresses, and a scan of Hosts each time cost
// the number of messages times the number of hosts, thousands of each in
// a provider's capture (2026-12, issue 15).
func (r *Result) Host(a netip.Addr) *Host {
	if len(r.hostIndex) != len(r.Hosts) {
		r.hostIndex = make(map[netip.Addr]*Host, len(r.Hosts))
		for _, h := range r.Hosts {
			if _, ok := r.hostIndex[h.Addr]; !ok {
				r.hostIndex[h.Addr] = h
			}
		}
	}
	return r.hostIndex[a]
}

// IsUA reports whether a is a host behind the router.
func (r *Result) IsUA(a netip.Addr) bool {
	h := r.Host(a)
	return h != nil && h.Role == RoleUA
}

// Read reads the capture at path, taken on the given side of the router.
// Errors are I/O and capture-format errors; damaged but readable input
// gives a result with warnings.
func Read(path string, side Side, lim Limits) (*Result, error) {
	return ReadSource(capture.Source{Path: path}, side, lim)
}

// ReadSource is [Read] on a source: a file, or one interface of a file.
func ReadSource(src capture.Source, side Side, lim Limits) (*Result, error) {
	lim = lim.withDefaults()
	sc, err := scan(src, lim)
	if err != nil {
		return nil, err
	}
	res := &Result{Side: side, Unreachables: sc.unreach, Flows: sc.flowList, Warnings: sc.warnings, NotAnalysed: sc.refused, NotAnalysedFrom: sc.refusedTS}
	cr := &correlate.Result{}
	for i := range sc.sip {
		sp := correlate.SIPPair{State: StateUnpaired, LANSeq: -1, WANSeq: -1}
		if side == LAN {
			sp.LANFrame, sp.LANSeq = sc.sip[i].Frame, i
			cr.LANSIP = sc.sip
		} else {
			sp.WANFrame, sp.WANSeq = sc.sip[i].Frame, i
			cr.WANSIP = sc.sip
		}
		cr.SIPPairs = append(cr.SIPPairs, sp)
	}
	res.Match = match.Build(cr, match.Limits{MaxMessages: lim.MaxMessages})
	res.Warnings = append(res.Warnings, res.Match.Warnings...)
	res.classify(sc)
	res.probe(sc)
	res.mappings(sc)
	res.limits(sc)
	return res, nil
}

// StateUnpaired is the state of every message of a single-capture
// analysis: seen on one side, with nothing to pair it with.
const StateUnpaired = "unpaired"
