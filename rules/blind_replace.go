package rules

import (
	"fmt"
	"strings"

	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/sipmsg"
)

// BlindReplace recognises an address replaced inside a token that is not
// an address: a tag, a branch, a display name, a user part, a header the
// ALG has no business in.
var BlindReplace = &Rule{
	ID: "BLIND-REPLACE", Verdict: Bad, Severity: Major, Since: "v0.1",
	Title: "Address replaced inside a token that is not an address",
	Text: "The router searched the message for the private address as text and replaced every occurrence, including " +
		"inside tokens that only look like addresses: From/To tags, the Via branch, display names, user parts, " +
		"other headers. Tags and branches identify dialogs and transactions, so the two ends stop agreeing on which " +
		"dialog a request belongs to.",
	Fix:  "Turn the router's SIP ALG off; a router that rewrites text blindly cannot be configured into correctness.",
	Refs: []string{"seed: ST530 v6 (dumb text replacement)", "RFC 3261 §19.3", "RFC 3261 §8.1.1.7"},
	Claim: func(c *Context, m *match.Message, ch *fielddiff.Change) (string, bool) {
		if ch.Kind != fielddiff.Changed || isAddressField(ch.Field) {
			return "", false
		}
		// %-decoded, so that an address escaped inside a URI header
		// (Replaces=abc%40192.168.1.10) is seen.
		from, to, ok := addressSwap(string(sipmsg.Unescape(ch.Before)), string(sipmsg.Unescape(ch.After)))
		if !ok {
			return "", false
		}
		what := ch.Field
		_, _, rest := fieldPath(ch.Field)
		switch {
		case strings.HasSuffix(rest, "tag"):
			what = "the tag " + ch.Field
		case strings.HasSuffix(rest, "branch"):
			what = "the transaction branch " + ch.Field
		}
		return fmt.Sprintf("%s is not an address, but the router replaced %s with %s inside it (%q → %q).", capitalize(what), from, to, ch.Before, ch.After), true
	},
}
