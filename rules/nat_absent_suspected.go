package rules

import (
	"fmt"
	"net/netip"

	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/oneside"
)

// NATAbsentSuspected recognises a SIP endpoint whose signalling shows no
// NAT between it and its server.
var NATAbsentSuspected = &Rule{
	ID: "NAT-ABSENT-SUSPECTED", Verdict: Info, Severity: SevInfo, Since: "v0.2",
	Title: "No NAT visible between the endpoint and its server",
	Text: "The endpoint writes the address and port it sends from into its Via, no private address shows up where " +
		"a public one is expected, and the server, when it says where it saw the request (received=), names that " +
		"same address. There is no NAT between them on this path, so there is nothing for a SIP ALG to do, and " +
		"private addresses in its messages are not a leak (the whole path is one private network). A router that " +
		"replaced every occurrence of a private address with its public one, ports and all, would look the same " +
		"from one side.",
	Fix:  "Nothing to fix. If a router is expected on this path, capture its other side.",
	Refs: []string{"RFC 3261 §18.2.1", "RFC 3581"},
	CheckSingle: func(c *SingleContext) []Finding {
		type agg struct {
			first     *match.Message
			bad       bool
			confirmed string
			frames    []int
		}
		by := map[netip.Addr]*agg{}
		var order []netip.Addr
		for i := range c.Messages {
			m := &c.Messages[i]
			p, frame, src, dst := c.msg(m)
			if m.Retransmission || m.Direction != "inbound" && m.Direction != "outbound" {
				continue
			}
			ua, peer := src, dst
			if m.Direction == "inbound" {
				ua, peer = dst, src
			}
			h := c.Host(ua.Addr())
			if h == nil || len(h.NAT) > 0 || len(h.Private) > 0 {
				continue
			}
			a := by[ua.Addr()]
			if a == nil {
				a = &agg{}
				by[ua.Addr()] = a
				order = append(order, ua.Addr())
			}
			if oneside.IsPrivate(ua.Addr()) != oneside.IsPrivate(peer.Addr()) {
				a.bad = true // a private endpoint talking to a public one: a NAT is somewhere
			}
			vias := p.Vias()
			if len(vias) == 0 {
				continue
			}
			host, ok := oneside.ParseHost(string(p.Bytes(vias[0].Host)))
			port := oneside.ViaPort(p, vias[0])
			switch {
			case m.Direction == "outbound" && p.IsRequest:
				if !ok || host != src.Addr() || m.Proto == "udp" && port != int(src.Port()) {
					a.bad = true
				}
				if a.first == nil {
					a.first = m
				}
			case m.Direction == "inbound" && !p.IsRequest && a.confirmed == "":
				if rc, okR := vias[0].Received(p.Raw); okR && ok && host == dst.Addr() {
					if got, okG := oneside.ParseHost(string(p.Bytes(rc.Value))); okG && got == host {
						a.confirmed = fmt.Sprintf(" and the server confirms it saw it there (received=%s, frame %d)", got, frame)
						a.frames = append(a.frames, frame)
					}
				}
			}
		}
		var out []Finding
		for _, h := range order {
			a := by[h]
			if a.bad || a.first == nil {
				continue
			}
			_, frame, src, _ := c.msg(a.first)
			text := fmt.Sprintf("%s writes the address it sends from (%s) in its Via, first in this %s (frame %d)%s: "+
				"no NAT between it and the server is visible.", h, src, describe(a.first), frame, a.confirmed)
			f := c.singleFinding(a.first, text, a.frames...)
			f.Field, f.After = "Via[0].sent-by", src.String()
			out = append(out, f)
		}
		return out
	},
}
