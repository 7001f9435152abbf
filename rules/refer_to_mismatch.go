package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/sipmsg"
)

// ReferToMismatch recognises a Refer-To whose embedded Call-ID (Replaces)
// no longer names the dialog as the far side sees it.
var ReferToMismatch = &Rule{
	ID: "REFER-TO-MISMATCH", Verdict: Bad, Severity: Major, Since: "v0.1",
	Title: "Refer-To/Replaces names a dialog the far end does not know",
	Text: "An attended transfer sends REFER with a Refer-To URI whose Replaces parameter carries the Call-ID and " +
		"tags of the call to replace. The router rewrote the Call-ID and the Replaces value inconsistently (one and " +
		"not the other, or an %-escaped copy it did not recognise), so the transfer target looks for a dialog that " +
		"does not exist on its side and answers 481: the transfer fails.",
	Fix:  "Turn the router's SIP ALG off; attended transfer cannot work through an ALG that rewrites Call-IDs.",
	Refs: []string{"seed: WGR614v9/DGN2000, WRV200", "RFC 3515", "RFC 3891 §3"},
	Claim: func(c *Context, m *match.Message, ch *fielddiff.Change) (string, bool) {
		if !strings.HasPrefix(ch.Field, "Refer-To") || !strings.Contains(ch.Field, "Replaces") {
			return "", false
		}
		return referMismatch(c, m)
	},
	Check: func(c *Context) []Finding {
		var out []Finding
		c.eachOutbound(func(m *match.Message) {
			// A change of the Replaces value is claimed field by field.
			if slices.ContainsFunc(m.Changes, func(ch fielddiff.Change) bool {
				return strings.HasPrefix(ch.Field, "Refer-To") && strings.Contains(ch.Field, "Replaces")
			}) {
				return
			}
			if text, ok := referMismatch(c, m); ok {
				f := messageFinding(m, text)
				f.Field = "Refer-To.uri.Replaces"
				f.Before, _ = replacesCallID(m.LAN)
				f.After, _ = replacesCallID(m.WAN)
				out = append(out, f)
			}
		})
		return out
	},
}

// replacesCallID returns the Call-ID inside Refer-To's Replaces, decoded.
func replacesCallID(p *sipmsg.Message) (string, bool) {
	if p == nil {
		return "", false
	}
	return p.ReplacesCallID()
}

// referMismatch checks an outbound message with Refer-To/Replaces: the LAN
// Replaces names a dialog by its LAN Call-ID; the WAN Replaces must name
// the same dialog by its WAN Call-ID.
func referMismatch(c *Context, m *match.Message) (string, bool) {
	if m.Direction != "outbound" {
		return "", false
	}
	lanID, ok1 := replacesCallID(m.LAN)
	wanID, ok2 := replacesCallID(m.WAN)
	if !ok1 || !ok2 {
		return "", false
	}
	if d, ok := c.agg.look.DialogOf(lanID); ok && len(d.CallIDsWAN) > 0 {
		if slices.Contains(d.CallIDsWAN, wanID) {
			return "", false
		}
		return fmt.Sprintf("The phone's Replaces names Call-ID %q, which is dialog %d; on the WAN side that dialog's "+
			"Call-ID is %q, but Replaces left the router naming %q: the transfer target will look for %q, which it "+
			"does not have, and answer 481.", lanID, d.ID, strings.Join(d.CallIDsWAN, ", "), wanID, wanID), true
	}
	// The replaced dialog is not in the capture. If the router never
	// rewrote a Call-ID, the far end knows every dialog by its LAN Call-ID,
	// and a changed Replaces cannot name it.
	if lanID != wanID && !c.callIDsRewritten() {
		return fmt.Sprintf("Replaces entered the router naming %q and left naming %q; the router rewrites no Call-ID, "+
			"so the far end knows that dialog as %q and will answer 481.", lanID, wanID, lanID), true
	}
	return "", false
}

// callIDsRewritten reports whether the router changed any Call-ID.
func (c *Context) callIDsRewritten() bool {
	return c.agg.look.CallIDRewritten != nil && c.agg.look.CallIDRewritten()
}
