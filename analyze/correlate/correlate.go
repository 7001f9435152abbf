package correlate

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"time"

	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/inventory"
)

// DefaultWindow is the pairing window: how far apart (after the clock
// correction) a packet and its twin may be. A router forwards in well
// under a millisecond; 2 s also covers a badly queued packet and a clock
// estimate off by a little drift.
const DefaultWindow = 2 * time.Second

// minExpiryGap is the shortest idle gap taken as evidence that a mapping
// expired. Shorter losses are losses, not timeouts: no router times UDP
// mappings out under 10 s (RFC 4787 REQ-5 asks for 2 min; the worst seen
// in the field are 30 s).
const minExpiryGap = 10 * time.Second

// MinIdleBound is the shortest survived idle gap that bounds a mapping's
// timeout from below. A shorter one is a round trip (a request and its
// answer within milliseconds), not idleness, and the reports print
// seconds to one decimal: "the mapping lasts at least 0.0 s" is no
// information, so below this the lower bound is unknown (nil), never 0.
// Above it the bound is the real longest idle gap survived, however
// short. (2026-12, issue 16: the mapping table showed "≥0.0s".)
const MinIdleBound = 100 * time.Millisecond

// windowEdge is how far inside the other capture's first and last packet a
// packet seen on one side only must lie for its absence there to count:
// its twin would appear within the router's latency (well under a
// millisecond on a router, tens of milliseconds to a capture point an
// Internet path away), and a quarter of a second leaves room for that and
// for the clock estimate's error (a few milliseconds on the fixtures).
// Nearer the edge, or outside, the other capture may simply not have been
// running: the packet is "outside", not dropped or generated.
const windowEdge = int64(250 * time.Millisecond)

// Indexes of pairer.span.
const (
	SideLANi = 0
	SideWANi = 1
)

// maxSources bounds the source addresses whose first and last packet the
// first pass keeps per side (for telling a capture that stopped from one
// that saw nothing, see pairer.covered): 4096 hosts is a large office.
const maxSources = 4096

// maxRefusals bounds the ICMP refusals the pairer remembers at once; an
// entry lives for a pairing window.
const maxRefusals = 4096

// maxUnpairedListed bounds Result.Unpaired; the counts stay exact.
const maxUnpairedListed = 10000

// maxRemotes bounds the remotes listed per mapping, and
// maxRemotesTotal those of all mappings together (8 MiB).
const (
	maxRemotes      = 256
	maxRemotesTotal = 1 << 18
)

// Default bounds of [Options]. Each is a table whose size a hostile or
// simply huge capture controls; what a bound refuses is counted and
// reported as a warning.
const (
	// DefaultMaxPending bounds the packets waiting for their twin on one
	// side: a packet waits for about the router's latency, so 262,144 is
	// far beyond any real router (at 2 s of window, 130,000 packets a
	// second that never pair). About 40 MiB per side when full.
	DefaultMaxPending = 1 << 18
	// DefaultMaxMappings bounds the NAT mapping table: 16,384 mappings
	// (about 1.5 KiB each with their indexes and report rows, 24 MiB) is
	// 2,000 phones each with a SIP, RTP and RTCP mapping for a few calls.
	DefaultMaxMappings = 1 << 14
	// DefaultMaxSIPBytes bounds the SIP payload kept per side for
	// matching: 64 MiB holds some 60,000 messages of a kilobyte, about
	// 1,500 calls with their registrations.
	DefaultMaxSIPBytes = 64 << 20
	// DefaultMaxSIPPairs bounds Result.SIPPairs (40 bytes each): above
	// match's default of 200,000 messages.
	DefaultMaxSIPPairs = 1 << 18
)

// latencySamples bounds the residuals kept per direction for the latency
// median.
const latencySamples = 4096

// ErrNoTwins is returned (wrapped) when the captures share no packet: they
// are not two sides of the same traffic, or do not overlap in time.
var ErrNoTwins = errors.New("correlate: no packet found on both sides")

// Options tune [Correlate]. The zero value is valid.
type Options struct {
	// Limits bound the capture decoder; zero means capture.DefaultLimits.
	Limits capture.Limits
	// Window is the pairing window; zero means DefaultWindow.
	Window time.Duration
	// KeepSIP keeps every SIP message of both sides in Result.LANSIP and
	// Result.WANSIP, for matching (bounded per side by MaxSIPBytes).
	KeepSIP bool
	// SIPSink, when set, receives every SIP message of both sides with
	// its twin as the second pass decides it (matched when the twin
	// arrives, dropped or generated when the pairing window closes), in
	// that order; the messages are then neither kept nor listed in
	// Result.SIPPairs, so memory does not grow with them. It is called on
	// the pass's own goroutine. KeepSIP is ignored.
	SIPSink func(SIPMessage)
	// MaxPending, MaxMappings, MaxSIPBytes and MaxSIPPairs bound the
	// tables of the same names; zero means the Default of each.
	MaxPending  int
	MaxMappings int
	MaxSIPBytes int
	MaxSIPPairs int
	// MaxStreams bounds the RTP streams open at once; zero means
	// DefaultMaxStreams. Past it the streams silent longest are finished
	// early (a warning counts them).
	MaxStreams int
	// StreamSink, when set, receives every RTP stream as it is finished
	// (silent for StreamIdle, finished early, or open when the pass ends):
	// key sorts the records in the order Result.Streams lists streams, rec
	// is the stream for Result.DecodeStream once Correlate has returned.
	// Result.Streams then stays empty, so memory does not grow with the
	// streams. It is called on a goroutine of the second pass (not the
	// one that calls SIPSink), one call at a time, all before Correlate
	// returns; key and rec are reused after it returns.
	StreamSink func(key, rec []byte)
	// Inventory makes the first pass also take each capture's inventory
	// (Result.LANInventory, WANInventory), its flow table bounded by
	// MaxFlows (zero means inventory.MaxFlows).
	Inventory bool
	MaxFlows  int
	// NoSIPDiagnostics leaves the inventory's SIP diagnostics out (its
	// Diagnostics and SIPMessagesWithErrors stay empty), and the first
	// pass then parses each SIP message only as far as its twin key needs
	// (sipmsg.ParseHeadersInto): for a caller that checks every message
	// itself (analyze matches and judges them).
	NoSIPDiagnostics bool
	// TempDir is where the first pass writes its event log for the
	// second (the system's temporary directory when empty).
	TempDir string

	// noEventLog makes the second pass read the captures again instead
	// of the event log (tests compare the two).
	noEventLog bool
	// inlineStreams makes the pairer do its stream work itself instead
	// of handing it to the stream feed's goroutine (tests).
	inlineStreams bool
}

// withDefaults fills the zero fields of o.
func (o Options) withDefaults() Options {
	if o.Limits == (capture.Limits{}) {
		o.Limits = capture.DefaultLimits()
	}
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.MaxPending <= 0 {
		o.MaxPending = DefaultMaxPending
	}
	if o.MaxMappings <= 0 {
		o.MaxMappings = DefaultMaxMappings
	}
	if o.MaxSIPBytes <= 0 {
		o.MaxSIPBytes = DefaultMaxSIPBytes
	}
	if o.MaxSIPPairs <= 0 {
		o.MaxSIPPairs = DefaultMaxSIPPairs
	}
	if o.MaxStreams <= 0 {
		o.MaxStreams = DefaultMaxStreams
	}
	return o
}

// SIPRecord is one SIP message as captured on one side.
type SIPRecord struct {
	Frame    int
	TS       int64 // own clock, Unix ns
	Src, Dst netip.AddrPort
	Proto    uint8
	Data     []byte
	// Cut is set when the capture's snap length cut the message: Data
	// holds only its start.
	Cut bool
}

// Bounds is an interval in seconds; a nil end is unknown.
type Bounds struct {
	Lower *float64 `json:"lower"`
	Upper *float64 `json:"upper"`
}

// Latency is the router's forwarding latency in milliseconds.
type Latency struct {
	P50 float64 `json:"p50"`
	Max float64 `json:"max"`
}

// Clock relates the two capture clocks.
type Clock struct {
	// OffsetS is the WAN clock minus the LAN clock, in seconds, at the
	// first LAN packet.
	OffsetS float64 `json:"offset_s"`
	// DriftPPM is how fast the WAN clock gains on the LAN one; 0 when the
	// captures are too short to tell.
	DriftPPM float64 `json:"drift_ppm"`
	// MatchedPairs is the number of twin pairs the estimate rests on.
	MatchedPairs  int     `json:"matched_pairs"`
	RouterLatency Latency `json:"router_latency_ms"`
	// Hops is the number of IP hops between the two capture points, from
	// the TTLs of twin packets: 1 when the captures are the router's own
	// two interfaces; nil when the TTLs do not tell. CapturedAtRouter is
	// Hops == 1 (nil with it, and for 0: nothing decremented a TTL).
	// When false, RouterLatency includes the network path and a packet
	// seen on one side only may have been lost on that path.
	Hops             *int  `json:"hops"`
	CapturedAtRouter *bool `json:"captured_at_router"`
	// HopsReason says what Hops rests on, or why it is unknown.
	HopsReason string `json:"hops_reason"`
	// WANFar is set when the hops beyond the router are known to lie on
	// the WAN side (the LAN capture sees the phones' initial TTLs).
	WANFar bool `json:"-"`
}

// AtRouter reports whether the captures are known to be the router's own
// two interfaces.
func (c *Clock) AtRouter() bool { return c.CapturedAtRouter != nil && *c.CapturedAtRouter }

// Away reports whether the captures are known not to be the router's own
// interfaces: latency includes a network path, and a packet seen on one
// side only may have been lost on it.
func (c *Clock) Away() bool { return c.CapturedAtRouter != nil && !*c.CapturedAtRouter }

// RFC 4787 mapping behaviours.
const (
	EndpointIndependent     = "endpoint-independent"
	AddressDependent        = "address-dependent"
	AddressAndPortDependent = "address-and-port-dependent"
	BehaviorUnknown         = "unknown"
)

// NAT is what the router's NAT is, as far as the captures tell.
type NAT struct {
	PublicAddresses []netip.Addr `json:"public_addresses"`
	MappingBehavior string       `json:"mapping_behavior"`
	// BehaviorReason says what the behaviour rests on, or why it is
	// unknown.
	BehaviorReason   string `json:"mapping_behavior_reason"`
	PortPreservation *bool  `json:"port_preservation"`
	// UDPTimeout bounds the UDP mapping timeout: Lower is the longest
	// idle gap a mapping survived, Upper the shortest after which one was
	// gone.
	UDPTimeout Bounds `json:"udp_timeout_s"`
	// RouterWAN and UpstreamNAT are set when the router sits behind a
	// second NAT (rule DOUBLE-NAT; filled in by analyze from the rules'
	// evidence): the router's own WAN addresses, which its ALG wrote, and
	// the public addresses the far end saw, the upstream NAT's.
	RouterWAN   []netip.Addr `json:"router_wan_addresses,omitempty"`
	UpstreamNAT []netip.Addr `json:"upstream_nat_addresses,omitempty"`
}

// Mapping is one NAT mapping: a LAN endpoint bound to a WAN endpoint.
type Mapping struct {
	Proto   string           `json:"proto"`
	Kind    Kind             `json:"kind"`
	LAN     netip.AddrPort   `json:"lan"`
	WAN     netip.AddrPort   `json:"wan"`
	Remotes []netip.AddrPort `json:"remotes"`
	// FirstSeen and LastSeen are in the LAN capture's clock.
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
	PacketsOut int       `json:"packets_out"`
	PacketsIn  int       `json:"packets_in"`
	// MaxIdleS is the longest idle gap after which the mapping still
	// forwarded an inbound packet.
	MaxIdleS float64 `json:"max_idle_s"`
	// Expired is set when an inbound packet was not forwarded after an
	// idle gap, or the LAN endpoint got a new public port for the same
	// remote after one.
	Expired  bool   `json:"expired"`
	Lifetime Bounds `json:"lifetime_s"`
	// DroppedInbound counts inbound packets to the WAN endpoint that did
	// not reach the LAN.
	DroppedInbound int `json:"dropped_inbound"`
	// Intermediate is, behind a second NAT (DOUBLE-NAT), the router's
	// own WAN endpoint for this mapping, as its ALG revealed it; WAN is
	// then what the far end saw, the upstream NAT's endpoint.
	Intermediate *netip.AddrPort `json:"intermediate,omitempty"`
	// FarEnd is, behind a second NAT seen from the router's own WAN
	// (WAN is then the router's endpoint), what the far end saw, from
	// the server's Via received/rport.
	FarEnd *netip.AddrPort `json:"far_end,omitempty"`
}

// Overlap is the time both captures ran, on the LAN clock, as far as their
// packets tell (a capture file records no start or stop time of its own;
// see pairer.runs). Only inside it can a packet's absence from one side
// show a drop or a generated packet.
type Overlap struct {
	Start, End time.Time
	// LANFirst, LANLast, WANFirst and WANLast are each capture's first
	// and last packet, the WAN ones moved to the LAN clock.
	LANFirst, LANLast, WANFirst, WANLast time.Time
}

// Side names a capture.
type Side string

// The two captures.
const (
	SideLAN Side = "lan"
	SideWAN Side = "wan"
)

// Unpaired is a packet seen on one side only.
type Unpaired struct {
	Side      Side   `json:"side"`
	Frame     int    `json:"frame"`
	Direction string `json:"direction"` // outbound, inbound or unknown
	Kind      Kind   `json:"kind"`
	// State is "dropped" (seen only on the side it entered the router),
	// "generated" (seen only on the side it left), "outside" (seen
	// outside the time the other capture ran, so its absence there
	// shows nothing), or StateUnpaired.
	State string         `json:"state"`
	Src   netip.AddrPort `json:"src"`
	Dst   netip.AddrPort `json:"dst"`
	seq   int            // index in Result.LANSIP or WANSIP, or -1
	rec   *SIPRecord     // the SIP message, streaming to Options.SIPSink
}

// SIPPair is a SIP message and its twin; a frame is 0 on the side the
// message is missing from (State dropped or generated).
type SIPPair struct {
	LANFrame  int    `json:"lan_frame"`
	WANFrame  int    `json:"wan_frame"`
	Direction string `json:"direction"`
	State     string `json:"state"` // matched, dropped, generated or outside
	// LANSeq and WANSeq index Result.LANSIP and Result.WANSIP; -1 on the
	// missing side or when the message was not kept. Frames alone are
	// ambiguous: one TCP segment can complete several messages.
	LANSeq int `json:"-"`
	WANSeq int `json:"-"`
}

// SIPMessage is one SIP message as the second pass decided it: the pair
// (State matched, dropped or generated) and the message on each side, nil
// on a side it is missing from. LANSeq and WANSeq are -1.
type SIPMessage struct {
	SIPPair
	LAN, WAN *SIPRecord
}

// Result is what [Correlate] found.
type Result struct {
	Clock    Clock     `json:"clock"`
	NAT      NAT       `json:"nat"`
	Mappings []Mapping `json:"mappings"`
	// Unpaired lists at most maxUnpairedListed packets; Dropped and
	// Generated count them all.
	Unpaired  []Unpaired `json:"-"`
	Dropped   int        `json:"-"`
	Generated int        `json:"-"`
	// Outside counts packets seen on one side only outside the other
	// capture's time (state "outside"), per side; OutsideSIP the SIP
	// messages among them.
	Outside    [2]int `json:"-"`
	OutsideSIP int    `json:"-"`
	// Overlap is the time both captures ran.
	Overlap Overlap `json:"-"`
	// NotPaired counts packets in state StateUnpaired.
	NotPaired int `json:"-"`
	// WANUnreachable lists the ICMP destination-unreachable errors of the
	// WAN capture (bounded): a refusal from the router's public address
	// pins a lost inbound packet on the router, wherever the WAN capture
	// was taken.
	WANUnreachable []capture.Unreachable `json:"-"`
	// Paired counts packet pairs.
	Paired   int       `json:"-"`
	SIPPairs []SIPPair `json:"-"`
	// LANSIP and WANSIP hold the SIP messages when Options.KeepSIP is set,
	// in capture order.
	LANSIP, WANSIP []SIPRecord `json:"-"`
	Warnings       []string    `json:"-"`
	// Streams are the RTP streams that crossed (or tried to cross) the
	// router, counted on both sides, in order of their first packet
	// (empty with Options.StreamSink). A stream silent for StreamIdle
	// that resumes is listed twice: what came before and after the
	// silence.
	Streams []Stream `json:"-"`
	// streamAdj is the clock refinement the streams' delays take
	// (DecodeStream).
	streamAdj float64
	// LANInventory and WANInventory are what each capture holds, with
	// Options.Inventory.
	LANInventory, WANInventory *inventory.Summary `json:"-"`
}

// Passes is how many times [Correlate] reads each capture.
const Passes = 2

// Correlate reads the LAN and WAN captures of one router (each twice,
// streaming) and returns the clock relation, the packet pairing and the
// NAT mappings. Errors are I/O and capture-format errors, and ErrNoTwins.
func Correlate(lanPath, wanPath string, opt Options) (*Result, error) {
	return CorrelateSources(capture.Source{Path: lanPath}, capture.Source{Path: wanPath}, opt)
}

// CorrelateSources is [Correlate] on two sources, which may be two
// interfaces of one file.
func CorrelateSources(lan, wan capture.Source, opt Options) (*Result, error) {
	opt = opt.withDefaults()
	// Pass 1: a uniform sample of each side for the clock, and the
	// inventories.
	ls, ws := newSampler(), newSampler()
	first, err := readFirst(lan, wan, opt, ls, ws)
	if err != nil {
		return nil, err
	}
	defer first.closeLogs()
	clk, n := estimateClock(ls, ws)
	if n == 0 {
		return nil, fmt.Errorf("%w (%s, %s)", ErrNoTwins, lan, wan)
	}
	// Pass 2: pair everything.
	p := newPairer(clk, opt)
	p.keys = first.keys
	p.streams.setSpans(first.spans, clk)
	l, w := first.spans[0], first.spans[1]
	p.span[SideLANi] = [2]int64{l.first, l.last}
	p.span[SideWANi] = [2]int64{clk.toLAN(w.first), clk.toLAN(w.last)}
	p.runs(first)
	for _, c := range first.cut {
		p.cut = p.cut || c.sip+c.other > 0
	}
	if !p.cut {
		p.logs = first.logs // a cut capture's SIP is keyed anew (see sipKeys.short)
		for i, l := range first.logs {
			if l != nil {
				// The log holds the keys: a side read from its log
				// replays none (up to 4 MiB a side, otherwise held
				// through the second pass).
				first.keys[i].rec = nil
			}
		}
	}
	if err := p.run(lan, wan, opt.Limits, opt.KeepSIP); err != nil {
		return nil, err
	}
	res := p.result()
	res.Warnings = append(first.warns, res.Warnings...)
	res.LANInventory, res.WANInventory = first.inv[0], first.inv[1]
	return res, nil
}

func ns2s(ns int64) float64 { return float64(ns) / 1e9 }

func f64(v float64) *float64 { return &v }

// round rounds v to n decimals (dividing by an exact power of ten keeps
// the printed value short).
func round(v float64, n int) float64 {
	p := math.Pow10(n)
	return math.Round(v*p) / p
}
