package rules

import (
	"fmt"

	"github.com/sipalg/sipalg/analyze/match"
)

// ALGDropped recognises a message that entered the router and never left
// it although it had somewhere to go.
var ALGDropped = &Rule{
	ID: "ALG-DROPPED", Verdict: Bad, Severity: Critical, Since: "v0.1",
	Title: "Message entered the router and never left",
	Text: "The router received this SIP message and did not forward it, although the flow it belonged to was " +
		"alive. ALGs drop what they cannot parse or rewrite (the Linux kernel's helper drops on \"cannot mangle\" " +
		"or when no media port is free): the call stalls or fails with a timeout.",
	Fix:     "Turn the router's SIP ALG off.",
	Refs:    []string{"Linux nf_nat_sip.c (NF_DROP on mangle failure)", "rigacci.org: nf_conntrack_expect"},
	Capture: true,
	Check: func(c *Context) []Finding {
		var out []Finding
		for i := range c.Messages {
			m := &c.Messages[i]
			if m.State != match.Dropped || m.Retransmission || m.Direction == "inbound" && m.Status == nil {
				continue
			}
			src, dst := m.LANSrc, m.LANDst
			if m.Direction == "inbound" {
				src, dst = m.WANSrc, m.WANDst
				// A response sent to a public port the NAT never mapped, or
				// to a mapping that had expired, is dropped by the NAT: the
				// cause is elsewhere (MAPPING-MISMATCH, the UDP timeout).
				mp := mappingByWAN(c, m.Proto, m.WANDst)
				if mp == nil || mp.Expired && m.TS > mp.LastSeen.UnixNano() {
					continue
				}
			}
			out = append(out, messageFinding(m, fmt.Sprintf("This %s from %s to %s entered the router and was never forwarded.", describe(m), src, dst)))
		}
		return out
	},
}
