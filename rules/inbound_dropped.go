package rules

import (
	"fmt"
	"net/netip"

	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/match"
)

// InboundDropped recognises a request that reached the router's public
// side and never reached the LAN.
var InboundDropped = &Rule{
	ID: "INBOUND-DROPPED", Verdict: Bad, Severity: Critical, Since: "v0.1",
	Title: "Inbound request dropped at the router",
	Text: "A SIP request arrived at the router's public address and was never forwarded to the phone, usually " +
		"because the UDP mapping it was sent to had timed out. For an INVITE this is an incoming call that never " +
		"rang.",
	Fix:     "See BINDING-SHORTER-THAN-REFRESH: keep the mapping alive, or turn the ALG off so the registrar does.",
	Refs:    []string{"seed: \"Lack of incoming calls\"", "RFC 4787 REQ-5"},
	Capture: true,
	Check: func(c *Context) []Finding {
		var out []Finding
		copies := map[int]int{}
		for i := range c.Messages {
			m := &c.Messages[i]
			if m.State == match.Dropped && m.Direction == "inbound" && m.Status == nil {
				copies[m.Transaction]++
			}
		}
		for i := range c.Messages {
			m := &c.Messages[i]
			if m.State != match.Dropped || m.Direction != "inbound" || m.Status != nil || m.Retransmission {
				continue
			}
			text := fmt.Sprintf("%s from %s to %s reached the router (sent %d time(s)) and never reached the LAN.", m.Method, m.WANSrc, m.WANDst, copies[m.Transaction])
			if mp := mappingByWAN(c, m.Proto, m.WANDst); mp != nil {
				text += fmt.Sprintf(" It was sent to the mapping %s → %s", mp.LAN, mp.WAN)
				if mp.Expired {
					text += fmt.Sprintf(", which had expired (lifetime %s).", boundsText(mp.Lifetime))
				} else {
					text += "."
				}
			} else {
				text += " No mapping of the router was ever seen on that public port."
			}
			out = append(out, messageFinding(m, text))
		}
		return out
	},
}

// mappingByWAN returns the mapping whose public endpoint is wan.
func mappingByWAN(c *Context, proto string, wan netip.AddrPort) *correlate.Mapping {
	if ms := c.byWAN[lanKey{proto, wan}]; len(ms) > 0 {
		return ms[0]
	}
	return nil
}
