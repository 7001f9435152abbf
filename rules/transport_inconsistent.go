package rules

import (
	"fmt"

	"github.com/sipalg/sipalg/analyze/match"
)

// TransportInconsistent recognises an ALG that rewrites SIP over one
// transport (or small messages) and leaves another alone.
var TransportInconsistent = &Rule{
	ID: "TRANSPORT-INCONSISTENT", Verdict: Warning, Severity: Minor, Since: "v0.1",
	Title: "SIP rewritten over one transport, left alone over another",
	Text: "The router rewrote SIP over one transport but let messages over another (or large messages) through " +
		"untouched, still carrying private addresses. A phone that switches transport, or a message that grows, " +
		"behaves differently through the same router.",
	Fix:  "Turn the ALG off so all SIP is treated alike, and let the server do NAT traversal.",
	Refs: []string{"Cisco IOS NAT TCP SIP ALG support", "Huawei NE NAT ALG (UDP only, 8192 bytes)"},
	Check: func(c *Context) []Finding {
		rewritten := map[string]int{}
		var leaked = map[string]*match.Message{}
		for i := range c.Messages {
			m := &c.Messages[i]
			if m.Direction != "outbound" || m.State != match.Matched {
				continue
			}
			if len(m.Changes) > 0 {
				rewritten[m.Proto]++
				continue
			}
			if h, _, ok := viaSentBy(m.WAN, 0); ok && isPrivate(h) && leaked[m.Proto] == nil {
				leaked[m.Proto] = m
			}
		}
		var out []Finding
		for _, pair := range [][2]string{{"udp", "tcp"}, {"tcp", "udp"}} {
			if rewritten[pair[0]] > 0 && leaked[pair[1]] != nil && rewritten[pair[1]] == 0 {
				m := leaked[pair[1]]
				f := messageFinding(m, fmt.Sprintf("%d message(s) over %s were rewritten, but this %s over %s left the router with its private Via.",
					rewritten[pair[0]], pair[0], describe(m), pair[1]))
				f.Field = "Via[0].sent-by"
				if h, p, ok := viaSentBy(m.WAN, 0); ok {
					f.Before = fmtEndpoint(h, p) // left alone: the same on both sides
					f.After = f.Before
				}
				out = append(out, f)
			}
		}
		return out
	},
}
