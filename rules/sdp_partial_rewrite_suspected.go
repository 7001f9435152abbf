package rules

import (
	"fmt"
	"net/netip"

	"github.com/sipalg/sipalg/analyze/oneside"
)

// SDPPartialRewriteSuspected recognises, on the WAN side, SDP whose media
// address or port does not fit what the NAT did: a private c= under
// public signalling, or a public c= whose m= port is not where the phone's
// RTP leaves from.
var SDPPartialRewriteSuspected = &Rule{
	ID: "SDP-PARTIAL-REWRITE-SUSPECTED", Verdict: Warning, Severity: Major, Since: "v0.2",
	Title: "SDP media address or port does not match the NAT",
	Text: "The SDP tells the far end where to send media. Either the signalling was rewritten to the router's public " +
		"address while the SDP c= still names the phone's private address, or c= names the public address but the " +
		"m= port is not the port the phone's RTP actually leaves the router from. Either way the far end sends its " +
		"media to an address and port the NAT never opened: one-way or no audio, unless the far end latches onto " +
		"the RTP it receives (RFC 7362).",
	Fix: "Turn the router's SIP ALG off and enable media latching (or an RTP proxy) on the server or SBC; capture " +
		"both sides of the router to see exactly which field the router rewrote.",
	Refs: []string{"RFC 4566 §5.7, §5.14", "RFC 7362 (latching)", "RFC 4787 §4.1"},
	CheckSingle: func(c *SingleContext) []Finding {
		if c.Side != oneside.WAN {
			return nil
		}
		var out []Finding
		type key struct {
			dialog int
			media  int
			addr   netip.Addr
			port   int
		}
		seen := map[key]bool{}
		for i := range c.Messages {
			m := &c.Messages[i]
			_, _, src, _ := c.msg(m)
			if m.Direction != "outbound" || m.Retransmission || oneside.IsPrivate(src.Addr()) {
				continue
			}
			mcs := sdpMediaList(c.SDP(m))
			pub := c.signalledPublic(m)
			for idx, mc := range mcs {
				if !mc.addr.IsValid() {
					continue
				}
				k := key{m.Dialog, idx, mc.addr, mc.port}
				if seen[k] {
					continue
				}
				switch {
				case len(pub) > 0 && oneside.IsPrivate(mc.addr):
					seen[k] = true
					text := fmt.Sprintf("%s carries the public %s, but the SDP still says %q: the far end is told to send "+
						"media to the private %s, which it cannot reach.", pub[0].Field, pub[0].Endpoint(), mc.text, mc.addr)
					f := c.singleFinding(m, text)
					f.Field, f.After = mc.field, mc.text
					out = append(out, f)
				case mc.addr == src.Addr() && mc.port > 0:
					remote, ok := c.peerMedia(m, idx)
					if !ok {
						continue
					}
					announced := netip.AddrPortFrom(mc.addr, uint16(mc.port))
					from, toAnn := c.rtpFlows(src.Addr(), remote, announced)
					if len(from) == 0 {
						continue
					}
					ep, sent, first := uaSide(from[0], src.Addr(), m.TS)
					if ep == announced || sent < 5 {
						continue
					}
					used := false
					for _, f := range from {
						if e, _, _ := uaSide(f, src.Addr(), m.TS); e == announced {
							used = true
						}
					}
					if used {
						continue
					}
					seen[k] = true
					text := fmt.Sprintf("The SDP announces media at %s, but the phone's RTP to %s leaves the router from %s "+
						"(from frame %d): the m= port is not the port the NAT mapped.", announced, remote, ep, first)
					frames := []int{first}
					if toAnn != nil {
						if fr, n := towards(toAnn, announced, m.TS); n > 0 {
							text += fmt.Sprintf(" %d RTP packets from the far end went to the announced %s (from frame %d) and none "+
								"left from it to %s.", n, announced, fr, remote)
							frames = append(frames, fr)
						}
					}
					f := c.singleFinding(m, text, frames...)
					f.Field = fmt.Sprintf("sdp.m[%d].port", idx)
					f.After = fmt.Sprint(mc.port)
					out = append(out, f)
				}
			}
		}
		return out
	},
}
