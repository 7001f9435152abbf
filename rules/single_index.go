package rules

import (
	"net/netip"

	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/oneside"
)

// singleIndex is what the single-capture rules look up per message or
// per endpoint, gathered in one pass over the capture's messages, probes
// and flows the first time a rule asks: the lookups scanned the whole
// capture each time, so that their cost grew with the square of the
// capture's size.
//
// Why (2026-12, issue 15): on the 73k SIP-heavy pair's WAN side (73,600
// messages, 230 phones), finding the far end's media of each SDP scanned
// every message (0.35 s) and the keep-alives of each registering phone
// every message, probe and flow (0.14 s); both grow as the square of the
// messages, toward the 200,000 a one-sided analysis keeps. The mapping
// bound of each registering phone scanned every mapping and probe.
type singleIndex struct {
	// byDialog lists each dialog's messages (indexes in Messages), in
	// order.
	byDialog map[int][]int32
	// pings are the times of the outbound OPTIONS and NOTIFY pings by
	// their source, answered are the times of the pings the router let
	// through by their destination (Probes), each in capture order.
	pings, answered map[netip.AddrPort][]int64
	// rtp lists the flows that carried RTP (indexes in Flows) by either
	// end, keepalive the UDP flows with at least two tiny payloads; each
	// in order, a flow once per list.
	rtp, keepalive map[netip.AddrPort][]int32
	// upper is, by public endpoint, the first mapping (index in
	// Mappings) with an upper bound on its lifetime; probes lists the
	// probes (indexes in Probes) by destination, in order.
	upper  map[netip.AddrPort]int
	probes map[netip.AddrPort][]int32
}

// index returns the capture's index, made on first use.
func (c *SingleContext) index() *singleIndex {
	if c.idx != nil {
		return c.idx
	}
	x := &singleIndex{byDialog: map[int][]int32{}, pings: map[netip.AddrPort][]int64{}, answered: map[netip.AddrPort][]int64{},
		rtp: map[netip.AddrPort][]int32{}, keepalive: map[netip.AddrPort][]int32{},
		upper: map[netip.AddrPort]int{}, probes: map[netip.AddrPort][]int32{}}
	for i := range c.Messages {
		m := &c.Messages[i]
		x.byDialog[m.Dialog] = append(x.byDialog[m.Dialog], int32(i))
		if c.isPing(m) && m.Direction == "outbound" {
			_, _, src, _ := c.msg(m)
			x.pings[src] = append(x.pings[src], m.TS)
		}
	}
	for i, pr := range c.Probes {
		if pr.Outcome == oneside.Answered && c.isPing(&c.Messages[pr.MessageID-1]) {
			x.answered[pr.Dst] = append(x.answered[pr.Dst], pr.TS)
		}
		x.probes[pr.Dst] = append(x.probes[pr.Dst], int32(i))
	}
	for i, m := range c.Mappings {
		if _, ok := x.upper[m.WAN]; !ok && m.Lifetime.Upper != nil {
			x.upper[m.WAN] = i
		}
	}
	byEnds := func(to map[netip.AddrPort][]int32, f *oneside.Flow, i int) {
		to[f.A] = append(to[f.A], int32(i))
		if f.B != f.A {
			to[f.B] = append(to[f.B], int32(i))
		}
	}
	for i, f := range c.Flows {
		if f.RTP > 0 {
			byEnds(x.rtp, f, i)
		}
		if f.Proto == "udp" && f.Small >= 2 {
			byEnds(x.keepalive, f, i)
		}
	}
	c.idx = x
	return x
}

// isPing reports whether m is a request outside any call: an OPTIONS or
// NOTIFY "dialog" of its own.
func (c *SingleContext) isPing(m *match.Message) bool {
	if m.Status != nil || m.Retransmission || m.Dialog < 1 || m.Dialog > len(c.Dialogs) {
		return false
	}
	dm := c.Dialogs[m.Dialog-1].Method
	return dm == "OPTIONS" || dm == "NOTIFY"
}
