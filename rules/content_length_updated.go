package rules

import (
	"strconv"
	"strings"

	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/sipmsg"
)

// ContentLengthUpdated recognises a Content-Length fixed up to a body the
// rewrite resized.
var ContentLengthUpdated = &Rule{
	ID: "CONTENT-LENGTH-UPDATED", Verdict: Correct, Severity: SevInfo, Since: "v0.1",
	Title: "Content-Length updated to the rewritten body",
	Text: "Rewriting addresses in the SDP changed the body's size, and the router updated Content-Length to match, " +
		"so the receiver reads the whole body and nothing more.",
	Fix:  "Nothing to fix.",
	Refs: []string{"RFC 3261 §18.3", "RFC 3261 §20.14"},
	Claim: func(c *Context, m *match.Message, ch *fielddiff.Change) (string, bool) {
		if ch.Field != "Content-Length" || ch.Kind != fielddiff.Changed {
			return "", false
		}
		p := left(m)
		n, err := strconv.Atoi(strings.TrimSpace(string(ch.After)))
		if err != nil || n != bodyLen(p) {
			return "", false
		}
		return "Content-Length " + string(ch.Before) + " became " + strconv.Itoa(n) + ", the size of the rewritten body.", true
	},
}

// bodyLen is the number of bytes after the header section of p.
func bodyLen(p *sipmsg.Message) int {
	if p == nil || p.Blank.IsZero() {
		return -1
	}
	return len(p.Raw) - p.Blank.End
}
