package rules

import (
	"fmt"
	"slices"

	"github.com/sipalg/sipalg/analyze/oneside"
)

// CallIDRewriteSuspected recognises, on the WAN side, a Call-ID holding
// the router's public address, made by a phone that is behind NAT.
var CallIDRewriteSuspected = &Rule{
	ID: "CALLID-REWRITE-SUSPECTED", Verdict: Warning, Severity: Major, Since: "v0.2",
	Title: "Call-ID holds the router's public address",
	Text: "Phones build the Call-ID from a random part and their own address, which behind a NAT is the private " +
		"one. This phone is behind NAT, yet its Call-ID holds the router's public address, the address its packets " +
		"come from: the mark of an ALG that replaces the private address as text wherever it appears, Call-ID " +
		"included (the seed's ST530 and WRV200). The Call-ID must be the same at both ends of the dialog, so " +
		"everything that names the dialog by Call-ID (Replaces in attended transfers, call pickup, dialog event " +
		"packages) breaks. A phone that learned its public address with STUN and builds its Call-ID from it would " +
		"look the same: a LAN capture settles it.",
	Fix: "Turn the router's SIP ALG off; if it cannot be turned off, move SIP to a port the ALG does not watch " +
		"(e.g. 5070) or to TLS.",
	Refs: []string{"seed: ST530 v6, WRV200", "RFC 3261 §8.1.1.4", "RFC 3261 §20.8"},
	CheckSingle: func(c *SingleContext) []Finding {
		if c.Side != oneside.WAN {
			return nil
		}
		var out []Finding
		seen := map[string]bool{}
		for i := range c.Messages {
			m := &c.Messages[i]
			p, _, src, _ := c.msg(m)
			if m.Direction != "outbound" || m.Retransmission || !c.ownCallID(m) || oneside.IsPrivate(src.Addr()) {
				continue
			}
			h := c.Host(src.Addr())
			id := m.CallIDWAN + m.CallIDLAN
			if h == nil || len(h.NAT) == 0 || seen[id] || !slices.Contains(oneside.AddrLiterals(id), src.Addr()) {
				continue
			}
			seen[id] = true
			also := ""
			if f, ok := p.From(); ok {
				if tag, ok := f.Tag(p.Raw); ok && slices.Contains(oneside.AddrLiterals(string(p.Bytes(tag))), src.Addr()) {
					also = fmt.Sprintf(" The From tag (%s) holds it too: a blind text replacement.", p.Bytes(tag))
				}
			}
			text := fmt.Sprintf("The Call-ID %s holds %s, the public address this %s came from, although the phone is "+
				"behind NAT: %s.%s", id, src.Addr(), describe(m), h.NAT[0], also)
			f := c.singleFinding(m, text)
			f.Field, f.After = "Call-ID", id
			out = append(out, f)
		}
		return out
	},
}
