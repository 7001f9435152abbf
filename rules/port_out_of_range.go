package rules

import (
	"fmt"
	"strings"

	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/match"
)

// PortOutOfRange recognises a port above 65535 written by the rewrite.
var PortOutOfRange = &Rule{
	ID: "PORT-OUT-OF-RANGE", Verdict: Bad, Severity: Critical, Since: "v0.1",
	Title: "Port above 65535 written",
	Text: "The router wrote a port number that does not exist (above 65535). Nothing can be sent to it: the " +
		"receiver rejects the message or sends media and responses nowhere.",
	Fix:  "Turn the router's SIP ALG off.",
	Refs: []string{"seed: \"port values greater than 65536\"", "RFC 768", "RFC 3261 §25.1 (port)"},
	Claim: func(c *Context, m *match.Message, ch *fielddiff.Change) (string, bool) {
		if ch.Kind == fielddiff.Syntax {
			// The SIP parser's port-out-of-range already says the port is
			// above 65535, in a value whose field path (a whole header,
			// "Contact[0]") bigPort cannot read; sdp-bad-port is also any
			// non-numeric port, so that one is checked.
			if ch.Code == "port-out-of-range" && diagOnlyLeft(m, ch.Code) ||
				ch.Code == "sdp-bad-port" && sdpDiagOnlyLeft(c, m, ch.Code) && bigPort(string(ch.After), ch.Field) > 65535 {
				return fmt.Sprintf("%s: a port above 65535 after the rewrite (%q).", ch.Field, ch.After), true
			}
			return "", false
		}
		if ch.After == nil || !isAddressField(ch.Field) {
			return "", false
		}
		if p := bigPort(string(ch.After), ch.Field); p > 65535 {
			return fmt.Sprintf("%s left the router as %q: port %d does not exist.", ch.Field, ch.After, p), true
		}
		return "", false
	},
}

// bigPort returns the largest port number written in an address field's
// value, or -1.
func bigPort(v, field string) int {
	head, _, rest := fieldPath(field)
	if head == "sdp" && strings.HasPrefix(rest, "m[") && strings.HasSuffix(rest, "]") {
		// A whole m= line: "audio 69536 RTP/AVP 0".
		if f := strings.Fields(v); len(f) > 1 {
			if i := strings.IndexByte(f[1], '/'); i >= 0 {
				f[1] = f[1][:i]
			}
			return atoiPort(f[1])
		}
		return -1
	}
	if strings.HasSuffix(rest, ".port") || rest == "uri.port" || rest == "rport" {
		return atoiPort(strings.TrimSpace(v))
	}
	if strings.Contains(field, "a[rtcp]") {
		if p, _, ok := rtcpValue(v); ok {
			return p
		}
		return -1
	}
	if rest == "sent-by" {
		_, p := splitHostPort(v)
		return p
	}
	if field == "Request-URI" {
		if i := strings.LastIndexByte(v, ':'); i >= 0 {
			j := i + 1
			for j < len(v) && v[j] >= '0' && v[j] <= '9' {
				j++
			}
			return atoiPort(v[i+1 : j])
		}
	}
	return -1
}
