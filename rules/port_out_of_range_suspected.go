package rules

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sipalg/sipalg/analyze/sdp"
)

// PortOutOfRangeSuspected recognises a port above 65535 in an address
// field of a message as it crossed the router.
var PortOutOfRangeSuspected = &Rule{
	ID: "PORT-OUT-OF-RANGE-SUSPECTED", Verdict: Warning, Severity: Critical, Since: "v0.2",
	Title: "Port above 65535 in an address",
	Text: "As the message crossed the router (outbound on the WAN side, inbound on the LAN side) an address field " +
		"holds a port that does not exist: above 65535. Nothing can be sent there: the receiver rejects the message " +
		"or sends media and requests nowhere. Writing 17-bit ports is a known ALG bug (the seed: \"port values " +
		"greater than 65536\"); the sender's own bug would look the same, which the other side's capture tells apart.",
	Fix:  "Turn the router's SIP ALG off.",
	Refs: []string{"seed: \"port values greater than 65536\"", "RFC 768", "RFC 3261 §25.1 (port)", "RFC 4566 §5.14"},
	CheckSingle: func(c *SingleContext) []Finding {
		out := diagFindings(c, []string{"port-out-of-range"}, "a SIP address holds a port above 65535")
		for i := range c.Messages {
			m := &c.Messages[i]
			if !c.routerTouched(m) || m.Retransmission || !c.rewrittenHere(m) {
				continue
			}
			s := c.SDP(m)
			if s == nil {
				continue
			}
			var where []string
			field, after := "", ""
			big := func(path string, b []byte) {
				n, err := strconv.Atoi(string(b))
				if err != nil || n <= 65535 {
					return
				}
				where = append(where, fmt.Sprintf("%s port %d", path, n))
				if field == "" {
					field, after = path, string(b)
				}
			}
			for k := range s.Media {
				md := &s.Media[k]
				big(fmt.Sprintf("sdp.m[%d].port", k), s.Bytes(md.Port))
				for _, a := range md.Attrs {
					switch strings.ToLower(string(s.Bytes(a.Name))) {
					case "rtcp":
						if f := strings.Fields(string(s.Bytes(a.Value))); len(f) > 0 {
							big(fmt.Sprintf("sdp.m[%d].a[rtcp]", k), []byte(f[0]))
						}
					case "candidate":
						if cd, ok := sdp.ParseCandidate(s.Raw, a); ok {
							big(fmt.Sprintf("sdp.m[%d].a[candidate]", k), s.Bytes(cd.Port))
						}
					}
				}
			}
			if len(where) == 0 {
				continue
			}
			f := c.singleFinding(m, fmt.Sprintf("In this %s the SDP holds a port above 65535: %s.", describe(m), joinCapped(where, 3)))
			f.Field, f.After = field, after
			out = append(out, f)
		}
		return out
	},
}
