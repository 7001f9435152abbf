package rules

import (
	"fmt"

	"github.com/sipalg/sipalg/analyze/correlate"
)

// MappingChanged recognises a phone's SIP flow moved to a new public port
// while the old mapping was still alive.
var MappingChanged = &Rule{
	ID: "MAPPING-CHANGED", Verdict: Bad, Severity: Major, Since: "v0.1",
	Title: "Public port of a SIP flow changed while it was alive",
	Text: "The router gave the same phone socket, talking to the same server, a new public port while the old " +
		"mapping had not timed out. The registrar's binding still names the old port until the next REGISTER: " +
		"incoming requests go to the old port and are lost.",
	Fix:     "Turn the router's SIP ALG off; if the NAT remaps on its own, register more often or use RFC 5626 outbound.",
	Refs:    []string{"public report: pjsip NAT router notes (immediate binding remapping)", "RFC 4787 REQ-1"},
	Capture: true,
	Check: func(c *Context) []Finding {
		var out []Finding
		ms := c.Corr.Mappings
		for i := range ms {
			a := &ms[i]
			if a.Kind != correlate.KindSIP || a.Expired {
				continue
			}
			for _, b := range c.MappingOf(a.Proto, a.LAN) {
				if b == a || a.WAN == b.WAN || !b.FirstSeen.After(a.FirstSeen) || !shareRemote(a, b) {
					continue
				}
				gap := b.FirstSeen.Sub(a.LastSeen).Seconds()
				lower := c.Corr.NAT.UDPTimeout.Lower
				if gap > 0 && (lower == nil || gap > *lower) {
					continue // the old mapping may have timed out
				}
				out = append(out, Finding{Direction: "outbound", Field: "mapping", Before: a.WAN.String(), After: b.WAN.String(),
					Explanation: fmt.Sprintf("%s talked to %s from %s, then from %s %s later, while the first mapping was still alive (the NAT's UDP timeout is %s).",
						a.LAN, b.Remotes[0], a.WAN, b.WAN, secs(gap), boundsText(c.Corr.NAT.UDPTimeout))})
			}
		}
		return out
	},
}

func shareRemote(a, b *correlate.Mapping) bool {
	for _, x := range a.Remotes {
		for _, y := range b.Remotes {
			if x == y {
				return true
			}
		}
	}
	return false
}
