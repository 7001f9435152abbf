package rules

import (
	"fmt"
	"strings"

	"github.com/sipalg/sipalg/analyze/oneside"
	"github.com/sipalg/sipalg/analyze/sdp"
)

// ICECandidateMismatchSuspected recognises SDP whose default address
// (c=/m=) is none of its ICE candidates, as it crossed the router.
var ICECandidateMismatchSuspected = &Rule{
	ID: "ICE-CANDIDATE-MISMATCH-SUSPECTED", Verdict: Warning, Severity: Major, Since: "v0.2",
	Title: "c=/m= match none of the ICE candidates",
	Text: "With ICE the c= address and m= port are the default candidate and must equal one of the a=candidate " +
		"lines. Here, as the SDP crossed the router, they match none: something rewrote c=/m= (typically an ALG " +
		"putting in the public address) and left the candidates alone. An ICE agent on the far end answers " +
		"a=ice-mismatch and falls back to plain media, or fails the call.",
	Fix:  "Turn the router's SIP ALG off; ICE does its own NAT traversal.",
	Refs: []string{"public report: pjsip NAT router notes", "RFC 8839 §4.2.4 (ice-mismatch)", "RFC 8445 §5.1.2"},
	CheckSingle: func(c *SingleContext) []Finding {
		var out []Finding
		for i := range c.Messages {
			m := &c.Messages[i]
			if !c.routerTouched(m) || m.Retransmission {
				continue
			}
			s := c.SDP(m)
			mcs := sdpMediaList(s)
			for idx, mc := range mcs {
				if !mc.addr.IsValid() {
					continue
				}
				var cands []string
				match := false
				for _, a := range s.Media[idx].Attrs {
					if !strings.EqualFold(string(s.Bytes(a.Name)), "candidate") {
						continue
					}
					cd, ok := sdp.ParseCandidate(s.Raw, a)
					if !ok || string(s.Bytes(cd.Component)) != "1" {
						continue
					}
					ca, ok := oneside.ParseHost(string(s.Bytes(cd.Addr)))
					if !ok {
						continue
					}
					cands = append(cands, fmt.Sprintf("%s %s", endpointText(ca, cd.PortNum), s.Bytes(cd.Type)))
					match = match || ca == mc.addr && cd.PortNum == mc.port
				}
				if len(cands) == 0 || match {
					continue
				}
				text := fmt.Sprintf("c=/m= say %s, but no RTP candidate names that address and port (candidates: %s): "+
					"something rewrote the default address and not the candidates.", endpointText(mc.addr, mc.port), strings.Join(cands, ", "))
				f := c.singleFinding(m, text)
				f.Field = fmt.Sprintf("sdp.m[%d].a[candidate]", idx)
				f.After = endpointText(mc.addr, mc.port)
				out = append(out, f)
			}
		}
		return out
	},
}
