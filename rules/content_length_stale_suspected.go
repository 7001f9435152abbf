package rules

import "slices"

// ContentLengthStaleSuspected recognises a UDP message whose
// Content-Length disagrees with its body, as it crossed the router.
var ContentLengthStaleSuspected = &Rule{
	ID: "CONTENT-LENGTH-STALE-SUSPECTED", Verdict: Warning, Severity: Critical, Since: "v0.2",
	Title: "Content-Length disagrees with the body",
	Text: "Over UDP, Content-Length must equal the body's length. As this message crossed the router it does not: " +
		"an ALG that rewrites addresses in the SDP changes the body's length and must fix Content-Length. When " +
		"Content-Length is larger than the body a request is rejected with 400 and a response discarded; when it " +
		"is smaller the receiver cuts the SDP short. The sender's own bug would look the same; the other side's " +
		"capture would tell.",
	Fix:  "Turn the router's SIP ALG off.",
	Refs: []string{"RFC 3261 §18.3", "RFC 3261 §20.14"},
	CheckSingle: func(c *SingleContext) []Finding {
		fs := diagFindings(c, []string{"content-length-long", "content-length-short"}, "Content-Length does not fit the body")
		return slices.DeleteFunc(fs, func(f Finding) bool {
			return f.MessageID != nil && isTCP(&c.Messages[*f.MessageID-1])
		})
	},
}
