package rules

import (
	"fmt"
)

// InboundMisdelivered recognises inbound packets forwarded to a LAN
// endpoint other than the mapping's.
var InboundMisdelivered = &Rule{
	ID: "INBOUND-MISDELIVERED", Verdict: Bad, Severity: Critical, Since: "v0.1",
	Title: "Inbound packets forwarded to the wrong LAN endpoint",
	Text: "Packets sent to one public port of the router were delivered to two different LAN endpoints: some " +
		"reached a socket that did not open the mapping. Responses and media are lost or reach the wrong phone.",
	Fix:  "Turn the router's SIP ALG off; update the router's firmware.",
	Refs: []string{"public report: pjsip NAT router notes (wrong forwarding to internal address)"},
	Check: func(c *Context) []Finding {
		var out []Finding
		ms := c.Corr.Mappings
		for i := range ms {
			for j := i + 1; j < len(ms); j++ {
				a, b := &ms[i], &ms[j]
				if a.Proto != b.Proto || a.WAN != b.WAN || a.LAN == b.LAN {
					continue
				}
				out = append(out, Finding{Direction: "inbound", Field: "mapping", Before: a.LAN.String(), After: b.LAN.String(),
					Explanation: fmt.Sprintf("Public endpoint %s delivered %d packet(s) to %s and %d to %s.", a.WAN, a.PacketsIn, a.LAN, b.PacketsIn, b.LAN)})
			}
		}
		return out
	},
}
