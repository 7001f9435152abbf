package rules

import (
	"fmt"
	"slices"
)

// ReferToMismatchSuspected recognises a Refer-To whose Replaces names a
// Call-ID that no dialog in the capture has.
var ReferToMismatchSuspected = &Rule{
	ID: "REFER-TO-MISMATCH-SUSPECTED", Verdict: Warning, Severity: Major, Since: "v0.2",
	Title: "Replaces names a dialog this capture does not have",
	Text: "An attended transfer's REFER carries, in Refer-To's Replaces, the Call-ID of the call to replace. Here it " +
		"names a Call-ID that no dialog in this capture has. When the Replaces Call-ID is a dialog's Call-ID with " +
		"its address swapped between private and public, an ALG rewrote one and not the other (the seed's WGR614 " +
		"rewrites Replaces and not the Call-ID; the WRV200 the reverse, missing the %-escaped copy): the transfer " +
		"target looks for a dialog it does not have and answers 481. Otherwise the replaced call may simply be one " +
		"this capture did not record.",
	Fix:  "Turn the router's SIP ALG off; attended transfer cannot work through an ALG that rewrites Call-IDs inconsistently.",
	Refs: []string{"seed: WGR614v9/DGN2000, WRV200", "RFC 3515", "RFC 3891 §3"},
	CheckSingle: func(c *SingleContext) []Finding {
		var out []Finding
		for i := range c.Messages {
			m := &c.Messages[i]
			p, _, _, _ := c.msg(m)
			if m.Retransmission || !p.IsRequest {
				continue
			}
			id, ok := replacesCallID(p)
			if !ok || c.callIDs[id] {
				continue
			}
			var known []string
			for k := range c.callIDs {
				known = append(known, k)
			}
			slices.Sort(known)
			text := fmt.Sprintf("Refer-To's Replaces names Call-ID %q, which no dialog in this capture has.", id)
			for _, k := range known {
				if from, to, ok := addressSwap(id, k); ok {
					text += fmt.Sprintf(" It is the Call-ID %q of a dialog in this capture with %s where that Call-ID has %s: the "+
						"address inside Replaces and the one in the Call-ID were not rewritten alike, so the far end will answer 481.", k, from, to)
					break
				}
			}
			f := c.singleFinding(m, text)
			f.Field, f.After = "Refer-To.uri.Replaces", id
			out = append(out, f)
		}
		return out
	},
}
