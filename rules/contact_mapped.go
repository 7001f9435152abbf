package rules

import (
	"strconv"

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
		head, idx, rest := fieldPath(ch.Field)
		if head != "Contact" {
			return "", false
		}
		got, mapped, ok := rewrittenSIPAddress(m, ch)
		if !ok || !mapped {
			return "", false
		}
		// A host and a port are judged apart: the host can be right
		// while the port change is wrong (and answers for itself).
		// Concatenated, not fmt.Sprintf: most REGISTERs have one (issue 15).
		contact := "Contact[" + strconv.Itoa(idx) + "]"
		switch rest {
		case "uri.host":
			return contact + " host " + string(ch.Before) + " became " + string(ch.After) + ", the public address this message left the router from.", true
		case "uri.port":
			return contact + " port " + string(ch.Before) + " became " + string(ch.After) + ", the public port this message left the router from.", true
		}
		return contact + " now names " + got + ", the public address and port this message left the router from.", true
	},
}
