package rules

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/match"
)

// Input is what the rules look at.
type Input struct {
	Correlation *correlate.Result
	Match       *match.Result
}

// Evaluate gives every field difference of every matched message exactly
// one verdict (the first rule of the claim order that explains it, or
// UNEXPLAINED-REWRITE), adds the findings about messages, dialogs and the
// capture, and returns them sorted, with the router profiles that fit and
// the verdict. It is the [Evaluator] run over the dialogs of a whole
// match result, one batch each.
func Evaluate(in *Input) ([]Finding, []Fingerprint, Summary) {
	byLAN := map[string]int{}
	rewritten := false
	for i, d := range in.Match.Dialogs {
		for _, id := range d.CallIDsLAN {
			if _, ok := byLAN[id]; !ok {
				byLAN[id] = i
			}
		}
	}
	for i := range in.Match.Messages {
		m := &in.Match.Messages[i]
		rewritten = rewritten || m.CallIDLAN != "" && m.CallIDWAN != "" && m.CallIDLAN != m.CallIDWAN
	}
	e := NewEvaluator(in.Correlation, DialogLookup{
		DialogOf: func(id string) (match.Dialog, bool) {
			i, ok := byLAN[id]
			if !ok {
				return match.Dialog{}, false
			}
			return in.Match.Dialogs[i], true
		},
		CallIDRewritten: func() bool { return rewritten },
	})
	var fs []Finding
	for _, d := range in.Match.Dialogs {
		b := &match.Batch{Dialog: d, Closed: true, Messages: make([]match.Message, 0, len(d.Messages))}
		for _, i := range d.Messages {
			b.Messages = append(b.Messages, in.Match.Messages[i])
		}
		fs = append(fs, e.Batch(b)...)
	}
	cf, fps, sum, _ := e.Finish()
	fs = append(fs, cf...)
	slices.SortStableFunc(fs, CompareFindings)
	if fs == nil {
		fs = []Finding{}
	}
	return fs, fps, sum
}

// fill sets what a finding takes from its rule.
func fill(f *Finding, r *Rule) {
	f.Rule, f.Verdict, f.Severity = r.ID, r.Verdict, r.Severity
	if f.Explanation == "" {
		f.Explanation = r.Text
	}
	f.Refs = slices.Clone(r.Refs)
	if f.Refs == nil {
		f.Refs = []string{}
	}
}

// changeFinding is the finding about one changed field of m.
func changeFinding(m *match.Message, ch *fielddiff.Change, text string) Finding {
	f := messageFinding(m, text)
	f.Field, f.Before, f.After = ch.Field, string(ch.Before), string(ch.After)
	return f
}

// messageFinding is a finding about message m.
func messageFinding(m *match.Message, text string) Finding {
	id := m.ID
	return Finding{Direction: m.Direction, MessageID: &id, LANFrame: m.LANFrame, WANFrame: m.WANFrame,
		Method: m.Method, Explanation: text}
}

// CompareFindings orders findings by message (findings about the capture
// last), then field, then rule.
func CompareFindings(a, b Finding) int {
	key := func(f Finding) int {
		if f.MessageID == nil {
			return 1 << 30
		}
		return *f.MessageID
	}
	if c := cmp.Compare(key(a), key(b)); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Field, b.Field); c != 0 {
		return c
	}
	return cmp.Compare(a.Rule, b.Rule)
}

// summarize says in one sentence what matters, from the counts of every
// finding.
func (e *Evaluator) summarize(c *Context, fps []Fingerprint) Summary {
	s := e.sum
	rules := e.counts
	s.ALGDetected = e.agg.changed
	s.IncomingCallsAtRisk = rules[BindingShorterThanRefresh.ID] > 0 || rules[InboundDropped.ID] > 0 ||
		(rules[NATHidden.ID] > 0 && !refreshCovered(c))
	var parts []string
	var badRewrites, badEffects []string
	for _, r := range Catalog() {
		if r.Verdict != Bad || rules[r.ID] == 0 {
			continue
		}
		if consequence[r.ID] {
			badEffects = append(badEffects, r.ID)
		} else {
			badRewrites = append(badRewrites, r.ID)
		}
	}
	switch {
	case !s.ALGDetected:
		parts = append(parts, "No SIP ALG: the router forwarded every SIP message unchanged")
	case len(badRewrites) > 0:
		parts = append(parts, fmt.Sprintf("The router's SIP ALG rewrites SIP and gets it wrong (%s)", strings.Join(badRewrites, ", ")))
	default:
		parts = append(parts, fmt.Sprintf("The router's SIP ALG rewrites SIP correctly (%d correct rewrite(s))", s.Correct))
	}
	if len(badEffects) > 0 {
		parts = append(parts, "calls break at the router ("+strings.Join(badEffects, ", ")+")")
	}
	if s.IncomingCallsAtRisk {
		parts = append(parts, "incoming calls are at risk"+riskReason(c, rules))
	}
	switch {
	case len(fps) == 0:
	case fps[0].Profile != Undetermined:
		parts = append(parts, "it looks like "+profileTitle(fps[0].Profile)+" ("+strings.Join(fps[0].Evidence, ", ")+")")
	case s.ALGDetected:
		if t := candidatesText(fps); t != "" {
			parts = append(parts, "the router's make is not known: consistent with "+t+"; not enough to tell them apart")
		}
	}
	if n := c.Corr.OutsideSIP; n > 0 {
		parts = append(parts, fmt.Sprintf("%d SIP message(s) seen on one side only lie outside the time both captures ran: "+
			"whether the router forwarded them is not shown", n))
	}
	s.Summary = strings.Join(parts, "; ") + "."
	return s
}

// consequence lists the bad rules about what happens to traffic rather
// than about how a field was rewritten.
var consequence = map[string]bool{
	"BINDING-SHORTER-THAN-REFRESH": true, "INBOUND-DROPPED": true, "ALG-DROPPED": true, "MAPPING-CHANGED": true,
	"INBOUND-MISDELIVERED": true, "MEDIA-PINHOLE-CLOSED": true, "MEDIA-ONE-WAY": true,
}

// riskReason says in a few words why incoming calls are at risk.
func riskReason(c *Context, rules map[string]int) string {
	for _, r := range c.registrations() {
		b := c.timeoutBounds(r)
		iv, why := r.refresh()
		switch {
		case b.Upper != nil && *b.Upper < iv:
			return fmt.Sprintf(" (the mapping lived at most %s idle; %s)", secs(*b.Upper), why)
		case rules[NATHidden.ID] > 0 && (b.Lower == nil || *b.Lower < iv):
			known := "how long it lasts idle is unknown"
			if b.Lower != nil || b.Upper != nil {
				known = "it is only known to last " + boundsText(b)
			}
			return fmt.Sprintf(" (the registrar cannot see the NAT; the mapping must survive %s idle and %s; %s)",
				secs(iv), known, why)
		}
	}
	if rules[InboundDropped.ID] > 0 {
		return " (inbound requests were dropped at the router)"
	}
	return ""
}
