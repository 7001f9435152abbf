package rules

import (
	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/match"
)

// SDPOriginMapped recognises an SDP o= address rewritten to the public
// address.
var SDPOriginMapped = &Rule{
	ID: "SDP-ORIGIN-MAPPED", Verdict: Correct, Severity: SevInfo, Since: "v0.1",
	Title: "SDP o= address rewritten (harmless)",
	Text: "The router replaced the address in the SDP origin line. Nobody routes on o=, so this is harmless; it " +
		"is a fingerprint of ALGs that rewrite every address in the body.",
	Fix:  "Nothing to fix.",
	Refs: []string{"RFC 4566 §5.2"},
	Claim: func(c *Context, m *match.Message, ch *fielddiff.Change) (string, bool) {
		if ch.Field != "sdp.o" || ch.Kind != fielddiff.Changed {
			return "", false
		}
		a, ok := connAddr(string(ch.After))
		if m.Direction == "outbound" && ok && behindNAT(a, m.WANSrc) {
			return "o= rewritten to the router's own WAN address, behind a second NAT (DOUBLE-NAT); harmless: nobody routes on o=.", true
		}
		if m.Direction == "outbound" {
			return "", ok && c.IsPublic(a)
		}
		return "", false
	},
}
