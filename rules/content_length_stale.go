package rules

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/match"
)

// ContentLengthStale recognises a body resized by the rewrite with
// Content-Length not, or wrongly, updated.
var ContentLengthStale = &Rule{
	ID: "CONTENT-LENGTH-STALE", Verdict: Bad, Severity: Critical, Since: "v0.1",
	Title: "Content-Length no longer matches the rewritten body",
	Text: "Rewriting addresses in the body changed its size, and Content-Length was not updated to match. Over UDP " +
		"the receiver cuts the body at Content-Length (the end of the SDP is lost) or, when Content-Length is larger " +
		"than the body, rejects a request with 400 and discards a response: the call fails.",
	Fix:  "Turn the router's SIP ALG off.",
	Refs: []string{"RFC 3261 §18.3", "RFC 3261 §20.14"},
	Claim: func(c *Context, m *match.Message, ch *fielddiff.Change) (string, bool) {
		switch {
		case ch.Kind == fielddiff.Syntax && (ch.Code == "content-length-long" || ch.Code == "content-length-short"):
			if diagOnlyLeft(m, ch.Code) {
				return staleText(m), true
			}
		case ch.Field == "Content-Length" && ch.Kind == fielddiff.Changed:
			n, err := strconv.Atoi(strings.TrimSpace(string(ch.After)))
			if err != nil || n != bodyLen(left(m)) {
				return staleText(m), true
			}
		}
		return "", false
	},
	Check: func(c *Context) []Finding {
		// The body changed size but the header did not change at all.
		var out []Finding
		for i := range c.Messages {
			m := &c.Messages[i]
			if m.State != match.Matched || len(m.Changes) == 0 {
				continue
			}
			e, l := entered(m), left(m)
			if bodyLen(e) == bodyLen(l) || l.HasDiag("content-length-long") || l.HasDiag("content-length-short") {
				continue
			}
			cl, ok := l.ContentLength()
			if !ok || cl == bodyLen(l) {
				continue
			}
			touched := false
			for _, ch := range m.Changes {
				touched = touched || ch.Field == "Content-Length"
			}
			if !touched {
				f := messageFinding(m, staleText(m))
				f.Field = "Content-Length"
				f.Before, f.After = strconv.Itoa(cl), strconv.Itoa(cl)
				out = append(out, f)
			}
		}
		return out
	},
}

func staleText(m *match.Message) string {
	e, l := entered(m), left(m)
	cl, _ := l.ContentLength()
	return fmt.Sprintf("The body was %d bytes as it entered the router and %d as it left, but Content-Length says %d.",
		bodyLen(e), bodyLen(l), cl)
}
