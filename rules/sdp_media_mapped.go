package rules

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/match"
)

// SDPMediaMapped recognises an SDP m= port rewritten to the public port
// the phone's RTP really left the router from.
var SDPMediaMapped = &Rule{
	ID: "SDP-MEDIA-MAPPED", Verdict: Correct, Severity: SevInfo, Since: "v0.1",
	Title: "SDP m= port rewritten to the real RTP mapping",
	Text: "The router replaced the media port with the public port its NAT gave the phone's RTP flow, so the far " +
		"end's media reaches the phone.",
	Fix:  "Nothing to fix.",
	Refs: []string{"RFC 4566 §5.14", "RFC 3665 §3.5"},
	Claim: func(c *Context, m *match.Message, ch *fielddiff.Change) (string, bool) {
		lan, mapped, ok := mediaPortJudgement(c, m, ch)
		if !ok || !mapped.IsValid() || int(mapped.Port()) != atoiPort(string(ch.After)) {
			return "", false
		}
		return fmt.Sprintf("m= port %s became %s: RTP from %s left the router from %s.", ch.Before, ch.After, lan, mapped), true
	},
}

// mediaPortJudgement returns, for an outbound change of sdp.m[i].port, the
// LAN media endpoint and the public endpoint its RTP really got (invalid
// when no RTP from it crossed the router).
func mediaPortJudgement(c *Context, m *match.Message, ch *fielddiff.Change) (lan, mapped netip.AddrPort, ok bool) {
	_, _, rest := fieldPath(ch.Field)
	if m.Direction != "outbound" || ch.Kind != fielddiff.Changed || !strings.HasPrefix(ch.Field, "sdp.") || !strings.HasSuffix(rest, ".port") {
		return lan, mapped, false
	}
	i := mediaIndex(rest)
	lan, ok = c.sdpMediaLAN(m, i)
	if !ok {
		return lan, mapped, false
	}
	mapped, _ = c.mediaMapping(lan, remoteOf(m))
	return lan, mapped, true
}
