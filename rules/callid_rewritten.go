package rules

import (
	"fmt"

	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/match"
)

// CallIDRewritten recognises a changed Call-ID.
var CallIDRewritten = &Rule{
	ID: "CALLID-REWRITTEN", Verdict: Bad, Severity: Major, Since: "v0.1",
	Title: "Call-ID rewritten (dumb text replacement)",
	Text: "The Call-ID is an opaque token that must stay the same end to end for the whole dialog; an address inside " +
		"it is not an address. The router replaced it anyway, so the two ends name the dialog differently: anything " +
		"that refers to the dialog by Call-ID (Replaces in an attended transfer, dialog event packages, call " +
		"pickup, CDR correlation) breaks.",
	Fix: "Turn the router's SIP ALG off (see the fingerprint's advice); if it cannot be turned off, move SIP to a " +
		"port the ALG does not watch (e.g. 5070) or to TLS.",
	Refs: []string{"seed: ST530 v6, WRV200", "RFC 3261 §8.1.1.4", "RFC 3261 §20.8"},
	Claim: func(c *Context, m *match.Message, ch *fielddiff.Change) (string, bool) {
		if ch.Field != "Call-ID" || ch.Kind != fielddiff.Changed {
			return "", false
		}
		return fmt.Sprintf("The Call-ID entered the router as %q and left it as %q.", ch.Before, ch.After), true
	},
}
