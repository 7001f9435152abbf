package rules

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"

	"github.com/sipalg/sipalg/analyze/correlate"
)

// MediaOneWay recognises RTP that crosses the router in one direction
// only: the phone's RTP leaves, the far end's reaches the router's public
// side and is dropped.
var MediaOneWay = &Rule{
	ID: "MEDIA-ONE-WAY", Verdict: Bad, Severity: Critical, Since: "v0.1",
	Title: "RTP crosses the router in one direction only",
	Text: "The phone's RTP left the router, and the far end's RTP reached the router's public side, but it was not " +
		"forwarded to the phone: one-way audio. Usually the SDP announced a port the NAT did not map, or the ALG " +
		"only lets media in from the signalling peer.",
	Fix: "Turn the router's SIP ALG off and use media latching (symmetric RTP) on the server, or an RTP proxy; on " +
		"Linux, sip_direct_media=0.",
	Refs:    []string{"Linux nf_conntrack_sip sip_direct_media", "Zyxel \"restrict peer to peer media\"", "RFC 4961"},
	Capture: true,
	Check: func(c *Context) []Finding {
		// Inbound RTP dropped at the router, per stream.
		type stream struct{ src, dst netip.AddrPort }
		type drops struct {
			n, first int
		}
		dropped := map[stream]*drops{}
		for i := range c.Corr.Unpaired {
			u := &c.Corr.Unpaired[i]
			if u.Side != correlate.SideWAN || u.State != "dropped" || u.Kind != correlate.KindRTP || !c.IsPublic(u.Dst.Addr()) {
				continue
			}
			k := stream{u.Src, u.Dst}
			if dropped[k] == nil {
				dropped[k] = &drops{first: u.Frame}
			}
			dropped[k].n++
		}
		keys := make([]stream, 0, len(dropped))
		for k := range dropped {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b stream) int { return cmp.Compare(dropped[a].first, dropped[b].first) })
		// The first outbound RTP mapping serving each remote.
		rtpTo := map[netip.AddrPort]*correlate.Mapping{}
		if len(keys) > 0 {
			for i := range c.Corr.Mappings {
				m := &c.Corr.Mappings[i]
				if m.Kind != correlate.KindRTP || m.PacketsOut == 0 {
					continue
				}
				for _, r := range m.Remotes {
					if rtpTo[r] == nil {
						rtpTo[r] = m
					}
				}
			}
		}
		var out []Finding
		for _, k := range keys {
			d := dropped[k]
			// The phone's RTP to that far end: the stream the dropped one
			// answers.
			mp := rtpTo[k.src]
			if mp == nil || mp.WAN == k.dst && mp.PacketsIn > 0 {
				continue // no outbound media to pair with, or a pinhole that closed later
			}
			out = append(out, Finding{Direction: "inbound", Field: "rtp", Before: mp.WAN.String(), After: k.dst.String(),
				WANFrame: intp(d.first),
				Explanation: fmt.Sprintf("RTP from %s left the router from %s to %s, but the %d RTP packet(s) %s sent back to %s were dropped at the router (first: WAN frame %d)%s.",
					mp.LAN, mp.WAN, k.src, d.n, k.src, k.dst, d.first, oneWayWhy(mp, k.dst))})
		}
		return out
	},
}

func oneWayWhy(mp *correlate.Mapping, dst netip.AddrPort) string {
	if mp.WAN != dst {
		return fmt.Sprintf(": the far end sent media to %s, where the NAT had no mapping (the phone's media mapping is %s)", dst, mp.WAN)
	}
	return ""
}
