package rules

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/match"
)

// ALGAsProxy recognises an ALG that behaves like a proxy: it inserts its
// own Via, lowers Max-Forwards, reorders or reformats headers.
var ALGAsProxy = &Rule{
	ID: "ALG-AS-PROXY", Verdict: Info, Severity: SevInfo, Since: "v0.1",
	Title: "ALG inserted a Via, lowered Max-Forwards or reformatted headers",
	Text: "The router handled the message like a proxy: it added its own Via, decremented Max-Forwards, or rewrote " +
		"header formatting (order, spacing, compact names). Harmless to most endpoints, it can break message " +
		"integrity checks, and it is a strong fingerprint of the ALG's make.",
	Fix:  "Nothing to fix unless something downstream checks message integrity.",
	Refs: []string{"ibc sip-alg-detector", "RFC 3261 §16.6"},
	Claim: func(c *Context, m *match.Message, ch *fielddiff.Change) (string, bool) {
		head, _, _ := fieldPath(ch.Field)
		switch {
		case ch.Kind == fielddiff.Reordered:
			return fmt.Sprintf("%s reordered.", ch.Field), true
		case ch.Kind == fielddiff.Syntax && ch.Code == "":
			return fmt.Sprintf("%s rewritten with the same value but different formatting (%q → %q).", ch.Field, ch.Before, ch.After), true
		case head == "Via" && ch.Kind == fielddiff.Added && !strings.Contains(ch.Field, "]."):
			return fmt.Sprintf("The router inserted its own %s: %q.", ch.Field, ch.After), true
		case head == "Max-Forwards" && ch.Kind == fielddiff.Changed:
			b, err1 := strconv.Atoi(strings.TrimSpace(string(ch.Before)))
			a, err2 := strconv.Atoi(strings.TrimSpace(string(ch.After)))
			if err1 == nil && err2 == nil && a < b {
				return fmt.Sprintf("Max-Forwards lowered from %d to %d, as a proxy does.", b, a), true
			}
		}
		return "", false
	},
	Check: func(c *Context) []Finding {
		// A message the router answered by itself.
		var out []Finding
		for i := range c.Messages {
			m := &c.Messages[i]
			if m.State == match.Generated && !m.Retransmission {
				out = append(out, messageFinding(m, fmt.Sprintf("The router sent this %s itself: it never entered the router from the other side.", describe(m))))
			}
		}
		return out
	},
}

// describe names a message for an explanation: "INVITE" or "200 (INVITE)".
func describe(m *match.Message) string {
	if m.Status != nil {
		return fmt.Sprintf("%d (%s)", *m.Status, m.Method)
	}
	return m.Method
}
