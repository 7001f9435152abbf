package rules

import (
	"fmt"
	"strconv"

	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/sdp"
)

// ICECandidateMismatch recognises SDP whose c=/m= were rewritten while the
// a=candidate lines were not.
var ICECandidateMismatch = &Rule{
	ID: "ICE-CANDIDATE-MISMATCH", Verdict: Bad, Severity: Major, Since: "v0.1",
	Title: "c=/m= rewritten but ICE candidates not",
	Text: "With ICE, the c= address and m= port must equal one of the a=candidate lines (the default candidate). " +
		"The router rewrote c=/m= but left the candidates, so an ICE-capable callee sees no candidate matching the " +
		"default, answers with a=ice-mismatch and falls back to non-ICE media, or fails the call.",
	Fix:  "Turn the router's SIP ALG off; ICE handles NAT traversal by itself.",
	Refs: []string{"public report: pjsip NAT router notes", "RFC 8839 §4.2.4 (ice-mismatch)", "RFC 8445"},
	Check: func(c *Context) []Finding {
		var out []Finding
		c.eachOutboundSDP(func(m *match.Message, ls, ws *sdp.Session) {
			for k := range ws.Media {
				le, ok1 := mediaEndpoint(ls, k)
				we, ok2 := mediaEndpoint(ws, k)
				if !ok1 || !ok2 || le == we {
					continue
				}
				cands, has := candidates(ws, k)
				if !has || cands[we.String()] {
					continue
				}
				f := messageFinding(m, fmt.Sprintf("c=/m= left the router as %s, but no a=candidate names it (the candidates still name %s).", we, le))
				f.Field = "sdp.m[" + strconv.Itoa(k) + "].a[candidate]"
				f.Before, f.After = le.String(), we.String()
				out = append(out, f)
			}
		})
		return out
	},
}

// candidates returns the address:port of every candidate of media i.
func candidates(s *sdp.Session, i int) (map[string]bool, bool) {
	out := map[string]bool{}
	found := false
	for _, a := range s.Media[i].Attrs {
		if string(s.Bytes(a.Name)) != "candidate" {
			continue
		}
		cd, ok := sdp.ParseCandidate(s.Raw, a)
		if !ok {
			continue
		}
		found = true
		if ad, ok := parseAddr(string(s.Bytes(cd.Addr))); ok && cd.PortNum >= 0 {
			out[fmtEndpoint(ad.String(), cd.PortNum)] = true
		}
	}
	return out, found
}
