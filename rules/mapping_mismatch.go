package rules

import (
	"fmt"
	"strings"

	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/match"
)

// MappingMismatch recognises an address or port rewritten to something
// other than the mapping the NAT actually used.
var MappingMismatch = &Rule{
	ID: "MAPPING-MISMATCH", Verdict: Bad, Severity: Critical, Since: "v0.1",
	Title: "Rewritten address is not the mapping the NAT used",
	Text: "The router rewrote an address or port, but not to the public endpoint its own NAT used for that flow: " +
		"the SIP message says one port, the packets leave from another. Whatever the far end sends to the " +
		"advertised address (responses, requests, media) hits a port with no mapping and is dropped.",
	Fix: "Turn the router's SIP ALG off and let the phone or the server handle NAT traversal (rport, STUN, " +
		"media latching); if the NAT is symmetric, keep-alives and an outbound proxy help.",
	Refs: []string{"seed: ZyXEL 660 family (\"wrong values\")", "RFC 4787 §4.1", "RFC 3581"},
	Claim: func(c *Context, m *match.Message, ch *fielddiff.Change) (string, bool) {
		if m.Direction != "outbound" || ch.Kind != fielddiff.Changed && ch.Kind != fielddiff.Added {
			return "", false
		}
		head, _, rest := fieldPath(ch.Field)
		switch {
		case head == "Via" && rest == "sent-by", rest == "uri.host" || rest == "uri.port":
			if head == "From" || head == "To" {
				return "", false
			}
			got, mapped, ok := rewrittenSIPAddress(m, ch)
			if ok && !mapped {
				return fmt.Sprintf("%s now says %s, but this message left the router from %s: what the far end sends to %s is dropped.%s",
					ch.Field, got, m.WANSrc, got, doubleNATCause(got, m)), true
			}
		case head == "Via" && (rest == "received" || rest == "rport"):
			return fmt.Sprintf("%s set to %q, which is not where this message left the router from (%s).", ch.Field, ch.After, m.WANSrc), true
		case head == "sdp" && strings.HasSuffix(rest, ".port"):
			lan, mapped, ok := mediaPortJudgement(c, m, ch)
			if !ok {
				return "", false
			}
			if !mapped.IsValid() {
				return fmt.Sprintf("m= port %s became %s, but no RTP from %s ever left the router: the port leads nowhere.", ch.Before, ch.After, lan), true
			}
			return fmt.Sprintf("m= port %s became %s, but RTP from %s left the router from %s: media sent to port %s is dropped.",
				ch.Before, ch.After, lan, mapped, ch.After), true
		case ch.Field == "sdp.c" || head == "sdp" && strings.HasSuffix(rest, ".c"):
			if a, ok := connAddr(string(ch.After)); ok && !c.IsPublic(a) {
				return fmt.Sprintf("c= rewritten to %s, which is not the router's public address.%s", a, doubleNATCause(a.String(), m)), true
			}
		case head == "sdp" && strings.Contains(rest, "a[candidate"):
			before, ok1 := candidateEndpoint(ch.Before)
			after, ok2 := candidateEndpoint(ch.After)
			if !ok1 || !ok2 || !c.IsPublic(after.Addr()) {
				return "", false
			}
			if mapped, ok := c.mediaMapping(before, remoteOf(m)); ok {
				return fmt.Sprintf("The candidate %s was rewritten to %s, but its media left the router from %s.", before, after, mapped), true
			}
			return fmt.Sprintf("The candidate %s was rewritten to %s, but no media from it ever left the router.", before, after), true
		case head == "sdp" && strings.Contains(rest, "a[rtcp]"):
			return fmt.Sprintf("a=rtcp rewritten to %q, which is not the public port of the RTCP flow.", ch.After), true
		}
		return "", false
	},
}

// doubleNATCause says, when the address an outbound rewrite wrote is the
// router's own WAN address behind a second NAT, that this is the cause.
func doubleNATCause(got string, m *match.Message) string {
	h, _ := splitHostPort(got)
	if a, ok := parseAddr(h); ok && behindNAT(a, m.WANSrc) {
		return fmt.Sprintf(" %s is the router's own WAN address: the router sits behind a second NAT, which the far end sees as %s (DOUBLE-NAT), so no rewrite by its ALG can be right.", a, m.WANSrc.Addr())
	}
	return ""
}
