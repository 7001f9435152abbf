package rules

import (
	"fmt"

	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/match"
)

// ContactMapped recognises a Contact URI rewritten to the public endpoint
// the message really left the router from.
var ContactMapped = &Rule{
	ID: "CONTACT-MAPPED", Verdict: Correct, Severity: SevInfo, Since: "v0.1",
	Title: "Contact rewritten to the real public mapping",
	Text: "The router replaced the private host and port in the Contact URI with the public address and port this " +
		"message left the router from, so requests inside the dialog (and calls to a registered phone) are sent to " +
		"the router's mapping.",
	Fix:  "Nothing to fix.",
	Refs: []string{"RFC 3261 §8.1.1.8", "RFC 3665 §3.5"},
	Claim: func(c *Context, m *match.Message, ch *fielddiff.Change) (string, bool) {
		head, idx, _ := fieldPath(ch.Field)
		if head != "Contact" {
			return "", false
		}
		got, mapped, ok := rewrittenSIPAddress(m, ch)
		if !ok || !mapped {
			return "", false
		}
		return fmt.Sprintf("Contact[%d] now names %s, the public address and port this message left the router from.", idx, got), true
	},
}
