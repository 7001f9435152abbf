package rules

import (
	"fmt"

	"github.com/sipalg/sipalg/analyze/correlate"
)

// InboundMisdelivered recognises inbound packets forwarded to a LAN
// endpoint other than the mapping's.
var InboundMisdelivered = &Rule{
	ID: "INBOUND-MISDELIVERED", Verdict: Bad, Severity: Critical, Since: "v0.1",
	Title: "Inbound packets forwarded to the wrong LAN endpoint",
	Text: "Packets sent to one public port of the router were delivered to two different LAN endpoints: some " +
		"reached a socket that did not open the mapping. Responses and media are lost or reach the wrong phone.",
	Fix:     "Turn the router's SIP ALG off; update the router's firmware.",
	Refs:    []string{"public report: pjsip NAT router notes (wrong forwarding to internal address)"},
	Capture: true,
	Check: func(c *Context) []Finding {
		var out []Finding
		ms := c.Corr.Mappings
		for i := range ms {
			a := &ms[i]
			// The mappings after a with its public endpoint, in order.
			same := c.byWAN[lanKey{a.Proto, a.WAN}]
			for len(same) > 0 && same[0] != a {
				same = same[1:]
			}
			for _, b := range same {
				if b == a || a.LAN == b.LAN {
					continue
				}
				if portReused(c, a, b) {
					continue
				}
				out = append(out, Finding{Direction: "inbound", Field: "mapping", Before: a.LAN.String(), After: b.LAN.String(),
					Explanation: fmt.Sprintf("Public endpoint %s delivered %d packet(s) to %s and %d to %s.", a.WAN, a.PacketsIn, a.LAN, b.PacketsIn, b.LAN)})
			}
		}
		return out
	},
}

// portReused reports whether the later of two mappings of one public
// endpoint began after the earlier one may have timed out: a NAT reusing a
// free port, not a misdelivery. As for MAPPING-CHANGED, an expired mapping
// or an idle gap beyond the shortest timeout seen (or an unknown timeout)
// lets the earlier mapping go.
func portReused(c *Context, a, b *correlate.Mapping) bool {
	if b.FirstSeen.Before(a.FirstSeen) {
		a, b = b, a
	}
	gap := b.FirstSeen.Sub(a.LastSeen).Seconds()
	if gap <= 0 {
		return false // both alive at once
	}
	lower := c.Corr.NAT.UDPTimeout.Lower
	return a.Expired || lower == nil || gap > *lower
}
