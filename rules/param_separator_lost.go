package rules

import (
	"fmt"

	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/sipmsg"
)

// ParamSeparatorLost recognises a ';' (or another delimiter) the rewrite
// lost or mangled.
var ParamSeparatorLost = &Rule{
	ID: "PARAM-SEPARATOR-LOST", Verdict: Bad, Severity: Major, Since: "v0.1",
	Title: "Parameter separator lost by the rewrite",
	Text: "When the router rewrote the header it dropped or mangled a ';' between parameters, so two parameters " +
		"run together (\"branch=z9hG4bK…rport\"): the receiver reads a different branch, loses rport, or rejects the " +
		"message. Responses stop matching their requests.",
	Fix:  "Turn the router's SIP ALG off; a firmware update may fix the mangling.",
	Refs: []string{"seed: \"missed semi-colon\"", "RFC 3261 §25.1 (generic-param)"},
	Claim: func(c *Context, m *match.Message, ch *fielddiff.Change) (string, bool) {
		if ch.Kind == fielddiff.Syntax && ch.Code == "param-separator-missing" && diagOnlyLeft(m, ch.Code) {
			return fmt.Sprintf("%s: the parser found parameters run together after the rewrite (%q).", ch.Field, ch.After), true
		}
		if ch.Kind == fielddiff.Syntax {
			return "", false
		}
		// A parameter swallowed by its neighbour: the header holding it
		// carries the diagnostic on the side the message left.
		head, idx, rest := fieldPath(ch.Field)
		switch rest {
		case "", "sent-by", "sent-protocol", "display", "uri.host", "uri.port", "uri.user", "uri.password":
			return "", false // not a parameter
		}
		if !diagOnlyLeft(m, "param-separator-missing") {
			return "", false
		}
		if h, ok := headerLine(left(m), head, idx); ok && diagWithin(left(m), "param-separator-missing", h) {
			return fmt.Sprintf("%s changed (%q → %q) because a lost ';' ran two parameters together.", ch.Field, ch.Before, ch.After), true
		}
		return "", false
	},
}

// diagOnlyLeft reports whether the message as it left the router has a
// diagnostic with code that the message as it entered does not.
func diagOnlyLeft(m *match.Message, code string) bool {
	e, l := entered(m), left(m)
	return l != nil && l.HasDiag(code) && (e == nil || !e.HasDiag(code))
}

// sdpDiagOnlyLeft is diagOnlyLeft for the SDP parser's "sdp-" codes.
func sdpDiagOnlyLeft(c *Context, m *match.Message, code string) bool {
	out := m.Direction == "outbound"
	has := func(wan bool) bool {
		s := c.SDP(m, wan)
		if s == nil {
			return false
		}
		for _, d := range s.Diags {
			if d.Code == code {
				return true
			}
		}
		return false
	}
	return has(out) && !has(!out)
}

// headerLine returns the span of the header line holding value idx of
// header name (header values of Via and Contact are counted across lines).
func headerLine(p *sipmsg.Message, name string, idx int) (sipmsg.Span, bool) {
	if p == nil {
		return sipmsg.Span{}, false
	}
	hs := p.HeaderAll(name)
	if len(hs) == 0 {
		return sipmsg.Span{}, false
	}
	if name == "Via" {
		vias := p.Vias()
		if idx >= 0 && idx < len(vias) {
			for _, h := range hs {
				if vias[idx].Off >= h.Line.Off && vias[idx].Off < h.Line.End {
					return h.Line, true
				}
			}
		}
	}
	if idx < 0 || idx >= len(hs) {
		idx = 0
	}
	return hs[idx].Line, true
}

// diagWithin reports whether p has a diagnostic with code inside span s.
func diagWithin(p *sipmsg.Message, code string, s sipmsg.Span) bool {
	for _, d := range p.Diags {
		if d.Code == code && d.Off >= s.Off && d.Off < s.End {
			return true
		}
	}
	return false
}
