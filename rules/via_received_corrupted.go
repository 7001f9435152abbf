package rules

import (
	"fmt"

	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/match"
)

// ViaReceivedCorrupted recognises an inbound response whose Via received or
// rport the router set to a value that is neither the server's nor a
// consistent restoration.
var ViaReceivedCorrupted = &Rule{
	ID: "VIA-RECEIVED-CORRUPTED", Verdict: Bad, Severity: Major, Since: "v0.1",
	Title: "Via received/rport corrupted in a response",
	Text: "The server wrote in the response's Via where it saw the request come from (received, rport). The router " +
		"changed that to a value that is neither the server's nor the phone's own address and port, so a phone that " +
		"learns its public address from Via (for its Contact, for STUN-less NAT traversal) learns a wrong one and " +
		"registers an unreachable binding.",
	Fix:  "Turn the router's SIP ALG off.",
	Refs: []string{"public reports: pjproject #643, #864", "RFC 3581 §4", "RFC 3261 §18.2.1"},
	Claim: func(c *Context, m *match.Message, ch *fielddiff.Change) (string, bool) {
		head, idx, rest := fieldPath(ch.Field)
		if m.Direction != "inbound" || head != "Via" || idx != 0 || rest != "received" && rest != "rport" {
			return "", false
		}
		return fmt.Sprintf("%s left the router as %q (the server wrote %q); the phone is %s.", ch.Field, ch.After, ch.Before, m.LANDst), true
	},
}
