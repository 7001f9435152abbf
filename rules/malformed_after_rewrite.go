package rules

import (
	"fmt"

	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/match"
)

// MalformedAfterRewrite recognises a message well-formed as it entered the
// router and malformed as it left.
var MalformedAfterRewrite = &Rule{
	ID: "MALFORMED-AFTER-REWRITE", Verdict: Bad, Severity: Major, Since: "v0.1",
	Title: "Well-formed on one side, malformed on the other",
	Text: "The message was well-formed as it entered the router and left it with a syntax error the router " +
		"introduced. A strict receiver rejects it (400 Bad Request) or drops it silently.",
	Fix:  "Turn the router's SIP ALG off.",
	Refs: []string{"RFC 3261 §25", "RFC 4475"},
	Claim: func(c *Context, m *match.Message, ch *fielddiff.Change) (string, bool) {
		if ch.Kind == fielddiff.Added || ch.Kind == fielddiff.Removed {
			return shiftedParam(m, ch)
		}
		if ch.Kind != fielddiff.Syntax || ch.Code == "" {
			return "", false
		}
		if sdpDiagOnlyLeft(c, m, ch.Code) {
			return fmt.Sprintf("%s: the SDP parser reports %s after the rewrite, not before.", ch.Field, ch.Code), true
		}
		if !diagOnlyLeft(m, ch.Code) {
			return "", false
		}
		l := left(m)
		for _, d := range l.Diags {
			if d.Code == ch.Code {
				return fmt.Sprintf("%s: %s (not present before the rewrite).", ch.Field, d.Msg), true
			}
		}
		return "", false
	},
}

// shiftedParam claims a parameter that appeared or vanished because the
// rewrite broke the header holding it (a lost '>' moves the header's
// parameters into the URI): the header line carries a diagnostic the
// message did not have as it entered the router. PARAM-SEPARATOR-LOST
// does the same for a lost ';' and comes first.
func shiftedParam(m *match.Message, ch *fielddiff.Change) (string, bool) {
	head, idx, rest := fieldPath(ch.Field)
	switch rest {
	case "", "sent-by", "sent-protocol", "display", "uri.host", "uri.port", "uri.user", "uri.password":
		return "", false // not a parameter
	}
	e, l := entered(m), left(m)
	h, ok := headerLine(l, head, idx)
	if !ok || e == nil {
		return "", false
	}
	for _, d := range l.Diags {
		if d.Off >= h.Off && d.Off < h.End && !e.HasDiag(d.Code) {
			return fmt.Sprintf("%s %s because the rewrite broke the header holding it: %s.", ch.Field, ch.Kind, d.Msg), true
		}
	}
	return "", false
}
