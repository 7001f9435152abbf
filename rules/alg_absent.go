package rules

import "fmt"

// ALGAbsent recognises a router that forwarded every SIP message
// unchanged.
var ALGAbsent = &Rule{
	ID: "ALG-ABSENT", Verdict: Info, Severity: SevInfo, Since: "v0.1",
	Title: "No SIP ALG: SIP crosses the router unchanged",
	Text: "Every SIP message that crossed the router left it byte for byte as it entered: the router has no SIP " +
		"ALG, or it is turned off. NAT traversal is up to the phone and the server.",
	Fix:     "Nothing to fix on the router; see PRIVATE-ADDRESS-LEAKED for what the server must do.",
	Refs:    []string{"RFC 4787 REQ-10", "RFC 6314"},
	Capture: true,
	Check: func(c *Context) []Finding {
		if c.agg.changed || c.agg.matched == 0 {
			return nil
		}
		return []Finding{{Direction: "", Field: "", Explanation: fmt.Sprintf("All %d SIP message(s) that crossed the router are identical on both sides.", c.agg.matched)}}
	},
}
