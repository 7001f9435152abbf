package rules

import (
	"fmt"

	"github.com/sipalg/sipalg/analyze/oneside"
)

// ViaReceivedCorruptedSuspected recognises, on the LAN side, a response
// whose Via received/rport match nothing the phone sent: neither the
// server's view of the NAT nor a consistent restoration of the phone's
// own address and port.
var ViaReceivedCorruptedSuspected = &Rule{
	ID: "VIA-RECEIVED-CORRUPTED-SUSPECTED", Verdict: Warning, Severity: Major, Since: "v0.2",
	Title: "Via received/rport disagree with what the phone sent",
	Text: "A server on the Internet writes in the response's top Via where it saw the request come from: the " +
		"router's public address (received=) and port (rport=). An ALG that restores the LAN view on the way in " +
		"turns them back into the phone's own address and port. Here they are neither: a private address that is " +
		"not the phone's, a mangled value, or the phone's own address with a port the phone never used. A phone " +
		"that learns its public address from Via (for its Contact, for NAT keep-alives) learns a wrong one and " +
		"registers an unreachable binding.",
	Fix:  "Turn the router's SIP ALG off.",
	Refs: []string{"public reports: pjproject #643, #864", "RFC 3581 §4", "RFC 3261 §18.2.1"},
	CheckSingle: func(c *SingleContext) []Finding {
		if c.Side != oneside.LAN {
			return nil
		}
		var out []Finding
		for i := range c.Messages {
			m := &c.Messages[i]
			p, _, src, dst := c.msg(m)
			if m.Direction != "inbound" || p.IsRequest || m.Retransmission || oneside.IsPrivate(src.Addr()) || !oneside.IsPrivate(dst.Addr()) {
				continue
			}
			vias := p.Vias()
			if len(vias) == 0 {
				continue
			}
			v := vias[0]
			rc, hasR := v.Received(p.Raw)
			rp, hasP := v.RPort(p.Raw)
			recv := string(p.Bytes(rc.Value))
			rport := string(p.Bytes(rp.Value))
			got, ok := oneside.ParseHost(recv)
			var why string
			field := "Via[0].received"
			switch {
			case hasR && !ok:
				why = fmt.Sprintf("received=%q is not an address", recv)
			case hasR && oneside.IsPrivate(got) && got != dst.Addr():
				why = fmt.Sprintf("received=%s is a private address, but not the phone's (%s)", got, dst.Addr())
			case hasR && got == dst.Addr() && hasP && rport != "" && rport != fmt.Sprint(dst.Port()):
				field = "Via[0].rport"
				why = fmt.Sprintf("received= was turned back into the phone's own %s, but rport=%s is not its port %d: "+
					"the phone learns %s:%s, an endpoint that does not exist", got, rport, dst.Port(), got, rport)
			default:
				continue
			}
			f := c.singleFinding(m, fmt.Sprintf("In this %s from %s to the phone at %s, %s.", describe(m), src, dst, why))
			f.Field, f.After = field, string(p.Bytes(v.Span))
			out = append(out, f)
		}
		return out
	},
}
