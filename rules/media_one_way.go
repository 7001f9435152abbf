package rules

import (
	"fmt"
	"net/netip"
	"slices"
)

// MediaOneWay recognises a call whose RTP crossed the router in one
// direction only, and names the cause the captures show.
var MediaOneWay = &Rule{
	ID: "MEDIA-ONE-WAY", Verdict: Bad, Severity: Critical, Since: "v0.1",
	Title: "RTP crosses the router in one direction only",
	Text: "A call's RTP crossed the router one way and not the other: one-way audio. The finding names the cause " +
		"the captures show: the phone's SDP reached the far end with an address it cannot reach (a private " +
		"address no ALG rewrote, and nothing relays the media), so the far end's RTP never arrives at the " +
		"router; or the far end's RTP reached the router and was not forwarded — to a port the NAT never " +
		"mapped (the SDP announced another), from a host other than the signalling peer (an ALG that only " +
		"lets media in from it), or into a pinhole the router refused to open. When no RTP came back and the SDP " +
		"names a reachable address, the captures show nothing wrong at the router: graded a warning.",
	Fix: "Depends on the cause named: for an unreachable SDP address, a media relay or media latching " +
		"(symmetric RTP, RFC 4961) on the server, or STUN/ICE on the phone; for media from another host, the " +
		"ALG's setting (Linux nf_conntrack_sip sip_direct_media=0, Zyxel \"restrict peer to peer media\" off) " +
		"or the ALG off; for an unmapped port or a refused pinhole, the SIP ALG off and latching on the server.",
	Refs:    []string{"Linux nf_conntrack_sip sip_direct_media", "Zyxel \"restrict peer to peer media\"", "RFC 4961", "RFC 8445"},
	Capture: true,
	Check: func(c *Context) []Finding {
		// The media section hands the rule one call at a time, with the
		// first of its streams that is one-way (none when another
		// finding already names its far host's one-way streams).
		ms := c.mediaInfo()
		r := ms.oneWay
		if r == nil {
			return nil
		}
		f, cause, ok := oneWayFinding(c, r, ms.crossed, ms.blocked, c.planOf(r))
		if !ok {
			return nil
		}
		f.order = uint64(r.index) + 1
		ms.cause = cause
		return []Finding{f}
	},
}

// oneWayFinding explains the one-way audio of r's call: which direction
// failed, and why.
// Causes of one-way audio, as the verdict's summary names them.
const (
	causeUnreachableSDP = "the phone's SDP announced a private address the far end cannot reach, and nothing relays media"
	causeNoReturn       = "no media came back to the router"
	causeOutboundDrop   = "the router dropped the phone's media"
	causeOtherHost      = "media from a host other than the signalling peer was blocked"
	causeUnmapped       = "the far end's media went to a port the NAT never mapped"
	causeRefused        = "the router refused the media pinhole"
)

// ok and blocked are the first of the call's streams (r's, and those
// compared with it) that crossed and that entered and never crossed.
func oneWayFinding(c *Context, r, ok, blocked *MediaStream, plan *mediaPlan) (Finding, string, bool) {
	if ok == nil {
		return Finding{}, "", false
	}
	missing := "inbound"
	if ok.Direction == "inbound" {
		missing = "outbound"
	}
	f := Finding{Direction: missing, Field: "rtp"}
	if plan != nil && plan.phoneMsg != nil {
		m := plan.phoneMsg.message()
		f = messageFinding(m, "")
		f.Direction, f.Field = missing, "rtp"
	}
	okText := fmt.Sprintf("RTP %s %s crossed the router (%d packet(s))", ok.Direction, streamEnds(ok), ok.Left-ok.Duplicated)
	if blocked == nil {
		if missing == "outbound" {
			return Finding{}, "", false // the phone sent nothing: not the router's doing
		}
		// Nothing came back to the router at all.
		if plan != nil {
			if ep, ok := unreachableEndpoint(c, plan); ok {
				why := "no ALG rewrote it"
				if c.agg != nil && slices.ContainsFunc(c.agg.doubleNAT, func(e DoubleNATEvidence) bool { return e.Intermediate == ep }) {
					why = "the router's ALG wrote its own WAN address, behind a second NAT: DOUBLE-NAT"
				}
				f.Explanation = fmt.Sprintf("%s, but no RTP came back: the phone's SDP left the router announcing %s, a private address "+
					"(%s), so the far end's RTP, if it sent any, went where it cannot arrive: none reached the "+
					"router's public side, and nothing relayed the media. Fix: a media relay or media latching "+
					"(symmetric RTP) on the server, or STUN/ICE on the phone.", okText, ep, why)
				f.notLoss = true
				return f, causeUnreachableSDP, true
			}
		}
		f.Explanation = fmt.Sprintf("%s, but no RTP came back to the router's public side: the far end sent none, or it was lost "+
			"beyond the router; these captures cannot tell which, and show nothing wrong at the router (graded a warning). "+
			"Capture at the far end.", okText)
		f.Verdict, f.Severity = Warning, Major
		return f, causeNoReturn, true
	}
	b := blocked
	if b.Direction == "inbound" {
		f.WANFrame = intp(b.Stream.GapFrames[0])
	} else {
		f.LANFrame = intp(b.Stream.GapFrames[0])
	}
	blockedText := fmt.Sprintf("the %d RTP packet(s) %s were all dropped at the router", b.Entered, streamEnds(b))
	if b.Direction == "outbound" {
		f.Explanation = fmt.Sprintf("%s, but %s. Fix: turn the SIP ALG off; check the router's firewall for outbound UDP.", okText, blockedText)
		return f, causeOutboundDrop, true
	}
	var cause string
	dst := netip.AddrPort{}
	if b.WAN != nil {
		dst = *b.WAN
	}
	switch {
	case plan != nil && plan.peer.IsValid() && b.Remote.Addr() != plan.peer && !slices.ContainsFunc(plan.far, func(ep netip.AddrPort) bool { return ep.Addr() == b.Remote.Addr() }):
		f.Explanation = fmt.Sprintf("%s, but %s: the media came from %s, a host other than the signalling peer %s and not in its SDP, "+
			"and the ALG lets media in only from the signalling peer. Fix: the ALG's setting (Linux sip_direct_media=0, Zyxel "+
			"\"restrict peer to peer media\" off), or turn the SIP ALG off and relay media on the server.", okText, blockedText, b.Remote.Addr(), plan.peer)
		cause = causeOtherHost
	case len(c.byWAN[lanKey{"udp", dst}]) == 0 || ok.WAN != nil && *ok.WAN != dst:
		mp := "none"
		if ok.WAN != nil {
			mp = ok.WAN.String()
		}
		f.Explanation = fmt.Sprintf("%s, but %s: the far end sent its media to %s, where the NAT had no mapping (the phone's media mapping is %s): "+
			"the SDP that left the router announced a port the NAT did not map. Fix: turn the SIP ALG off and use media latching "+
			"(symmetric RTP) on the server.", okText, blockedText, dst, mp)
		cause = causeUnmapped
	default:
		f.Explanation = fmt.Sprintf("%s, but %s: to the endpoint the phone's RTP used and its SDP announced, from the signalling peer: "+
			"the router refused the pinhole. Fix: the ALG's media setting, or turn the SIP ALG off and use media latching on the server.", okText, blockedText)
		cause = causeRefused
	}
	return f, cause, true
}

// unreachableEndpoint returns a media endpoint the phone's SDP announced
// as it left the router that the far end cannot reach: a private (or
// otherwise non-public) address that is not the router's.
func unreachableEndpoint(c *Context, p *mediaPlan) (netip.AddrPort, bool) {
	for _, ep := range p.phoneWAN {
		if !c.IsPublic(ep.Addr()) && isPrivate(ep.Addr().String()) {
			return ep, true
		}
	}
	return netip.AddrPort{}, false
}
