package rules

import (
	"strconv"

	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/match"
)

// ViaMapped recognises a Via sent-by (or received/rport) rewritten to the
// public address and port the message really left the router from.
var ViaMapped = &Rule{
	ID: "VIA-MAPPED", Verdict: Correct, Severity: SevInfo, Since: "v0.1",
	Title: "Via sent-by rewritten to the real public mapping",
	Text: "The router replaced the private address in the Via header with the public address and port this message " +
		"left the router from. Responses come back to the right place, which is what a correct ALG does.",
	Fix:  "Nothing to fix. On a REGISTER, see NAT-HIDDEN: a correct rewrite also hides the NAT from the registrar.",
	Refs: []string{"RFC 3261 §18.2.2", "RFC 3581", "RFC 3665 §3.5"},
	Claim: func(c *Context, m *match.Message, ch *fielddiff.Change) (string, bool) {
		head, idx, rest := fieldPath(ch.Field)
		if head != "Via" || m.Direction != "outbound" {
			return "", false
		}
		src := m.WANSrc
		switch rest {
		case "sent-by":
			got, mapped, ok := rewrittenSIPAddress(m, ch)
			if ok && mapped {
				return "Via[" + strconv.Itoa(idx) + "] sent-by " + string(ch.Before) + " became " + got +
					", the public address and port this message left the router from.", true
			}
		case "received":
			if a, ok := parseAddr(string(ch.After)); ok && a == src.Addr() {
				return "Via received set to the public address the message left from.", true
			}
		case "rport":
			if n, err := strconv.Atoi(string(ch.After)); err == nil && n == int(src.Port()) {
				return "Via rport set to the public port the message left from.", true
			}
		}
		return "", false
	},
}
