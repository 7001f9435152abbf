package rules

import (
	"fmt"

	"github.com/sipalg/sipalg/analyze/correlate"
)

// BindingShorterThanRefresh recognises a UDP mapping that dies before the
// next registration refresh or keepalive.
var BindingShorterThanRefresh = &Rule{
	ID: "BINDING-SHORTER-THAN-REFRESH", Verdict: Bad, Severity: Critical, Since: "v0.1",
	Title: "UDP mapping dies before the registration is refreshed",
	Text: "The router forgets an idle UDP mapping after a timeout (30-60 s on many home routers) and the phone " +
		"refreshes its registration, or sends a keepalive, less often than that. For most of each registration " +
		"period the registrar's binding points at a public port the router no longer maps: incoming INVITEs are " +
		"dropped at the router and the phone never rings.",
	Fix: "Make the phone send keepalives (SIP OPTIONS, CRLF pings or RFC 5626 outbound) or re-register more often " +
		"than the router's UDP timeout, raise the router's UDP timeout (RFC 4787 asks for at least 2 minutes), or turn " +
		"the ALG off so the registrar detects the NAT and pings the phone itself.",
	Refs:    []string{"seed: \"30-60 seconds\"", "RFC 4787 REQ-5", "RFC 5626 §4.4", "RFC 3261 §10.2.1.1"},
	Capture: true,
	Check: func(c *Context) []Finding {
		var out []Finding
		for _, r := range c.registrations() {
			b := c.timeoutBounds(r)
			if b.Upper == nil {
				continue
			}
			iv, why := r.refresh()
			if *b.Upper >= iv {
				continue
			}
			name := "the phone's SIP mapping"
			if r.mapping != nil {
				name = fmt.Sprintf("the SIP mapping %s → %s", r.mapping.LAN, r.mapping.WAN)
			}
			f := messageFinding(r.first, fmt.Sprintf("%s lived at most %s idle, but %s: for most of each period the "+
				"registrar's binding points at a dead mapping and incoming calls are dropped at the router.",
				capitalize(name), secs(*b.Upper), why))
			f.Field = "udp_timeout_s"
			f.Before = fmt.Sprintf("%.0f", iv)
			f.After = fmt.Sprintf("%.0f", *b.Upper)
			out = append(out, f)
		}
		return out
	},
}

// boundsText prints timeout bounds.
func boundsText(b correlate.Bounds) string {
	switch {
	case b.Lower == nil && b.Upper == nil:
		return "unknown"
	case b.Lower == nil:
		return fmt.Sprintf("at most %s", secs(*b.Upper))
	case b.Upper == nil:
		return fmt.Sprintf("at least %s", secs(*b.Lower))
	}
	return fmt.Sprintf("between %s and %s", secs(*b.Lower), secs(*b.Upper))
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
