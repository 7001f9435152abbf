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
	Fix:     "Turn the ALG off so all SIP is treated alike, and let the server do NAT traversal.",
	Refs:    []string{"Cisco IOS NAT TCP SIP ALG support", "Huawei NE NAT ALG (UDP only, 8192 bytes)"},
	Capture: true,
	Check: func(c *Context) []Finding {
		var out []Finding
		for _, pair := range [][2]string{{"udp", "tcp"}, {"tcp", "udp"}} {
			l := c.agg.leakedVia[pair[1]]
			if c.agg.rewritten[pair[0]] > 0 && l != nil && c.agg.rewritten[pair[1]] == 0 {
				m := &l.m
				f := messageFinding(m, fmt.Sprintf("%d message(s) over %s were rewritten, but this %s over %s left the router with its private Via.",
					c.agg.rewritten[pair[0]], pair[0], describe(m), pair[1]))
				f.Field = "Via[0].sent-by"
				f.Before = l.sentBy // left alone: the same on both sides
				f.After = f.Before
				out = append(out, f)
			}
		}
		return out
	},
}

// observeTransport counts the outbound messages rewritten per transport
// and keeps, per transport, the first that left with its private Via.
func (a *aggregates) observeTransport(m *match.Message) {
	if m.Direction != "outbound" || m.State != match.Matched {
		return
	}
	if len(m.Changes) > 0 {
		a.rewritten[m.Proto]++
		return
	}
	if h, p, ok := viaSentBy(m.WAN, 0); ok && isPrivate(h) {
		if l := a.leakedVia[m.Proto]; l == nil || m.ID < l.m.ID {
			a.leakedVia[m.Proto] = &viaLeak{m: light(m), sentBy: fmtEndpoint(h, p)}
		}
	}
}
