package rules

import (
	"fmt"
	"strconv"

	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/sdp"
)

// SDPPartialRewrite recognises SDP whose c= was rewritten and m= port left
// while the NAT changed the port (or the reverse): media goes nowhere.
var SDPPartialRewrite = &Rule{
	ID: "SDP-PARTIAL-REWRITE", Verdict: Bad, Severity: Critical, Since: "v0.1",
	Title: "SDP half rewritten: address and port disagree with the NAT",
	Text: "The router rewrote the SDP connection address but left the media port (or rewrote the port and left the " +
		"private address), while its NAT gave the phone's RTP a different public port. The far end sends media to " +
		"an address and port pair that has no mapping: no audio in one direction.",
	Fix:  "Turn the router's SIP ALG off and use media latching on the server or an RTP proxy.",
	Refs: []string{"RFC 4566 §5.7, §5.14", "RFC 7362 (latching)"},
	Check: func(c *Context) []Finding {
		var out []Finding
		c.eachOutboundSDP(func(m *match.Message, ls, ws *sdp.Session) {
			for k := range ls.Media {
				le, ok1 := mediaEndpoint(ls, k)
				we, ok2 := mediaEndpoint(ws, k)
				if !ok1 || !ok2 || le.Port() == 0 {
					continue
				}
				mapped, ok := c.mediaMapping(le, remoteOf(m))
				if !ok {
					continue
				}
				addrChanged, portChanged := le.Addr() != we.Addr(), le.Port() != we.Port()
				var text string
				switch {
				case addrChanged && !portChanged && mapped.Port() != we.Port():
					text = fmt.Sprintf("c= was rewritten to %s but m= kept port %d, while RTP from %s left the router from %s: media sent to %s is dropped.",
						we.Addr(), we.Port(), le, mapped, we)
				case portChanged && !addrChanged && !c.IsPublic(we.Addr()):
					text = fmt.Sprintf("m= was rewritten to port %d but c= kept the private address %s: media goes nowhere.", we.Port(), we.Addr())
				default:
					continue
				}
				f := messageFinding(m, text)
				f.Field = "sdp.m[" + strconv.Itoa(k) + "]"
				f.Before, f.After = le.String(), we.String()
				out = append(out, f)
			}
		})
		return out
	},
}
