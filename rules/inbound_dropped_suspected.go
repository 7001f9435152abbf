package rules

import (
	"fmt"
	"strings"

	"github.com/sipalg/sipalg/analyze/oneside"
)

// InboundDroppedSuspected recognises, on the WAN side, an inbound request
// to a phone's public mapping that the router refused or that went
// unanswered after the mapping sat idle.
var InboundDroppedSuspected = &Rule{
	ID: "INBOUND-DROPPED-SUSPECTED", Verdict: Warning, Severity: Critical, Since: "v0.2",
	Title: "Inbound request refused or unanswered after an idle gap",
	Text: "A request reached the router's public address, at the port the phone's traffic had been using, after " +
		"that mapping had been idle for a while, and the router answered it with ICMP port unreachable, or neither " +
		"it nor its retransmissions got any answer. The router no longer had the mapping: its UDP timeout is shorter " +
		"than the silence. For an INVITE this is an incoming call that never rang. An unanswered request could also " +
		"mean the phone was switched off; an ICMP error from the router's address cannot.",
	Fix: "Make the phone send keepalives (SIP OPTIONS, CRLF pings, RFC 5626 outbound) or re-register more often than " +
		"the router's UDP timeout, raise that timeout (RFC 4787 asks for at least 2 minutes), or turn the ALG off so " +
		"the registrar detects the NAT and keeps the mapping alive itself.",
	Refs: []string{"seed: \"Lack of incoming calls\"", "RFC 4787 REQ-5", "RFC 5626 §4.4"},
	CheckSingle: func(c *SingleContext) []Finding {
		if c.Side != oneside.WAN {
			return nil
		}
		var out []Finding
		for _, pr := range c.Probes {
			var text string
			switch {
			case pr.Outcome == oneside.Refused:
				text = fmt.Sprintf("The %s from %s to the phone's public %s came %s after the phone last sent to it, and "+
					"the router answered it with ICMP port unreachable (%s): it had no mapping for that port any more.",
					pr.Method, pr.Src, pr.Dst, idleText(pr.IdleOut), frameWords(pr.ICMPFrames))
			case pr.Outcome == oneside.Unanswered && pr.IdleOut >= 10:
				text = fmt.Sprintf("The %s from %s to the phone's public %s came %s after the phone last sent to it, and "+
					"%s got no answer: the router's mapping had most likely expired (or the phone was gone).",
					pr.Method, pr.Src, pr.Dst, idleText(pr.IdleOut), copiesText(pr.Frames))
			case pr.Outcome == oneside.Unanswered && pr.IdleOut < 0 && len(pr.Frames) > 1:
				text = fmt.Sprintf("The %s from %s to the phone's public %s, an address the phone had never sent to, "+
					"got no answer (%s): a NAT that filters by remote address (RFC 4787 §5) drops requests from hosts "+
					"the phone has not contacted.", pr.Method, pr.Src, pr.Dst, copiesText(pr.Frames))
			default:
				continue
			}
			m := &c.Messages[pr.MessageID-1]
			f := c.singleFinding(m, text, append(append([]int{}, pr.Frames...), pr.ICMPFrames...)...)
			f.Field = "Request-URI"
			f.After = pr.Dst.String()
			out = append(out, f)
		}
		return out
	},
}

func idleText(s float64) string {
	if s < 0 {
		return "with no earlier packet from the phone to it"
	}
	return secs(s)
}

// copiesText says "it (frame 9)" or "it and its 3 retransmissions (frames 9, 10, 12, 16)".
func copiesText(frames []int) string {
	if len(frames) == 1 {
		return fmt.Sprintf("it (frame %d)", frames[0])
	}
	return fmt.Sprintf("it and its %d retransmission(s) (%s)", len(frames)-1, frameWords(frames))
}

// frameWords writes "frame 3" or "frames 3, 5, 9".
func frameWords(fs []int) string {
	var s []string
	for i, f := range fs {
		if i == 8 {
			s = append(s, "…")
			break
		}
		s = append(s, fmt.Sprint(f))
	}
	if len(fs) == 1 {
		return "frame " + s[0]
	}
	return "frames " + strings.Join(s, ", ")
}
