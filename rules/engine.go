package rules

import (
	"cmp"
	"fmt"
	"net/netip"
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
// the verdict.
func Evaluate(in *Input) ([]Finding, []Fingerprint, Summary) {
	c := newContext(in)
	fs := []Finding{}
	claims := claimOrder()
	for i := range c.Messages {
		m := &c.Messages[i]
		for j := range m.Changes {
			ch := &m.Changes[j]
			rule, text := UnexplainedRewrite, ""
			for _, r := range claims {
				if t, ok := r.Claim(c, m, ch); ok {
					rule, text = r, t
					break
				}
			}
			f := changeFinding(m, ch, text)
			fill(&f, rule)
			fs = append(fs, f)
		}
	}
	for _, r := range checkOrder() {
		for _, f := range r.Check(c) {
			fill(&f, r)
			alongPath(c, &f)
			fs = append(fs, f)
		}
	}
	slices.SortStableFunc(fs, compareFindings)
	fps := fingerprints(c, fs)
	return fs, fps, summarize(c, fs, fps)
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

func compareFindings(a, b Finding) int {
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

// summarize counts the verdicts and says in one sentence what matters.
func summarize(c *Context, fs []Finding, fps []Fingerprint) Summary {
	var s Summary
	rules := map[string]int{}
	for _, f := range fs {
		switch f.Verdict {
		case Correct:
			s.Correct++
		case Bad:
			s.Bad++
		case Warning:
			s.Warnings++
		}
		rules[f.Rule]++
	}
	for i := range c.Messages {
		if len(c.Messages[i].Changes) > 0 {
			s.ALGDetected = true
			break
		}
	}
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
	dn := doubleNATSummary(c, rules)
	switch {
	case !s.ALGDetected && noneCompared(c):
		parts = append(parts, "No SIP message could be compared across the router (see the warnings: a capture's snap length cut what pairing needs), so nothing is known of an ALG")
	case !s.ALGDetected:
		parts = append(parts, "No SIP ALG: the router forwarded every SIP message unchanged")
	case dn != "":
		parts = append(parts, dn)
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
	if len(fps) > 0 && fps[0].Score >= 0.6 && (len(fps) == 1 || fps[0].Score-fps[1].Score >= 0.15) {
		parts = append(parts, "it looks like "+profileTitle(fps[0].Profile))
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
			return fmt.Sprintf(" (the registrar cannot see the NAT; the mapping must survive %s idle and is only known to last %s; %s)",
				secs(iv), boundsText(b), why)
		}
	}
	if rules[InboundDropped.ID] > 0 {
		return " (inbound requests were dropped at the router)"
	}
	return ""
}

// lossRules are the rules whose verdict rests on where a packet was lost:
// they blame the router for what entered it and never left.
var lossRules = map[string]bool{
	"ALG-DROPPED": true, "INBOUND-DROPPED": true, "MEDIA-PINHOLE-CLOSED": true, "MEDIA-ONE-WAY": true,
	"MEDIA-LOSS-AT-ROUTER": true, // DESIGN.md; not in this catalog yet
}

// alongPath grades a loss rule's bad finding down to a warning, saying
// both readings, when the captures were not taken at the router's own
// interfaces: a packet missing from the far capture may have been lost on
// the network path between the capture points.
func alongPath(c *Context, f *Finding) {
	clk := &c.Corr.Clock
	if !lossRules[f.Rule] || f.Verdict != Bad || !clk.Away() {
		return
	}
	if m := c.message(f.MessageID); m != nil && c.refusedByRouter(m) {
		f.Explanation = "The router refused it: an ICMP error from its public address quotes it, so it was lost at the router, not on the path between the capture points. " + f.Explanation
		return
	}
	f.Verdict = Warning
	where := fmt.Sprintf("the two captures were taken %d hops apart", *clk.Hops)
	if clk.WANFar {
		where = fmt.Sprintf("the WAN capture was taken %d hops away from the router", *clk.Hops)
	}
	f.Explanation = fmt.Sprintf("Not seen on the far side: lost between the capture points or dropped by the router (%s, so the captures cannot tell which). ", where) + f.Explanation
}

// noneCompared reports whether SIP was seen but no message could be
// paired across the router (all unpaired: a capture cut by its snap
// length), so that the absence of changes says nothing.
func noneCompared(c *Context) bool {
	if len(c.Messages) == 0 {
		return false
	}
	for i := range c.Messages {
		if c.Messages[i].State != correlate.StateUnpaired {
			return false
		}
	}
	return true
}

// message returns the message with the given ID, or nil.
func (c *Context) message(id *int) *match.Message {
	if id == nil || *id < 1 || *id > len(c.Messages) || c.Messages[*id-1].ID != *id {
		return nil
	}
	return &c.Messages[*id-1]
}

// refusedByRouter reports whether an inbound message seen on the WAN side
// only was answered by an ICMP destination-unreachable error from the
// router's public address (where it was sent), quoting it: evidence that
// the router, not the path, dropped it.
func (c *Context) refusedByRouter(m *match.Message) bool {
	if m.Direction != "inbound" || !m.WANDst.IsValid() {
		return false
	}
	if c.refused == nil {
		c.refused = make(map[[3]netip.AddrPort]bool, len(c.Corr.WANUnreachable))
		for _, u := range c.Corr.WANUnreachable {
			c.refused[[3]netip.AddrPort{netip.AddrPortFrom(u.From, 0), u.Src, u.Dst}] = true
		}
	}
	return c.refused[[3]netip.AddrPort{netip.AddrPortFrom(m.WANDst.Addr(), 0), m.WANSrc, m.WANDst}]
}
