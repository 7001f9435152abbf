package rules

// ParamSeparatorLostSuspected recognises parameters run together (a lost
// ';') in messages as they left the router.
var ParamSeparatorLostSuspected = &Rule{
	ID: "PARAM-SEPARATOR-LOST-SUSPECTED", Verdict: Warning, Severity: Major, Since: "v0.2",
	Title: "Parameters run together, a ';' lost",
	Text: "As the message crossed the router (outbound on the WAN side, inbound on the LAN side), two header " +
		"parameters run together (\"branch=z9hG4bK…rport\", \"received=1.2.3.4rport\"): the receiver reads a " +
		"different branch, loses rport or rejects the message, and responses stop matching their requests. Losing " +
		"a ';' while rewriting is a classic ALG bug; the sender's own bug would look the same, which the other " +
		"side's capture would tell apart.",
	Fix:  "Turn the router's SIP ALG off; a firmware update may fix the mangling.",
	Refs: []string{"seed: \"missed semi-colon\"", "RFC 3261 §25.1 (generic-param)"},
	CheckSingle: func(c *SingleContext) []Finding {
		return diagFindings(c, []string{"param-separator-missing"}, "the parser found parameters run together")
	},
}
