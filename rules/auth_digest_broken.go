package rules

import (
	"fmt"
	"strings"

	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/match"
)

// AuthDigestBroken recognises text altered inside Authorization or
// Proxy-Authorization.
var AuthDigestBroken = &Rule{
	ID: "AUTH-DIGEST-BROKEN", Verdict: Bad, Severity: Critical, Since: "v0.1",
	Title: "Digest credentials altered",
	Text: "The router changed text inside Authorization or Proxy-Authorization (typically the uri= parameter). The " +
		"digest response is a hash over those values as the phone wrote them, so the server's check fails and it " +
		"answers 401/407 again and again: registrations and calls fail authentication.",
	Fix:  "Turn the router's SIP ALG off.",
	Refs: []string{"public report: Cisco 7206 IOS 12.4(25e) digest and NAT", "RFC 3261 §22.4", "RFC 2617 §3.2.2"},
	Claim: func(c *Context, m *match.Message, ch *fielddiff.Change) (string, bool) {
		head, _, _ := fieldPath(ch.Field)
		if head != "Authorization" && head != "Proxy-Authorization" || ch.Kind == fielddiff.Syntax && ch.Code == "" {
			return "", false
		}
		what := strings.TrimPrefix(ch.Field, head+".")
		return fmt.Sprintf("%s %s changed from %q to %q: the digest response no longer verifies.", head, what, ch.Before, ch.After), true
	},
}
