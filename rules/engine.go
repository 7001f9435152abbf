package rules

import (
	"cmp"
	"encoding/binary"
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
// the verdict. It is the [Evaluator] run over the dialogs of a whole
// match result, one batch each.
func Evaluate(in *Input) ([]Finding, []Fingerprint, Summary) {
	r := EvaluateAll(in)
	return r.Findings, r.Fingerprints, r.Summary
}

// Result is everything the rules conclude about a capture pair.
type Result struct {
	Findings     []Finding
	Fingerprints []Fingerprint
	Summary      Summary
	// Media is the report's media section: every RTP stream correlate
	// counted, tied to its call.
	Media []MediaStream
	// Warnings say what the evaluator's bounds left out.
	Warnings []string
}

// EvaluateAll is [Evaluate] with the media section.
func EvaluateAll(in *Input) Result {
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
	r, err := e.Finish()
	if err != nil {
		// Only I/O can fail, and nothing here spools to disk or reads
		// through a caller's function.
		r.Warnings = append(r.Warnings, err.Error())
	}
	r.Findings = append(fs, r.Findings...)
	slices.SortStableFunc(r.Findings, CompareFindings)
	return r
}

// fill sets what a finding takes from its rule.
// A Check may grade a finding itself (MEDIA-LOSS-AT-ROUTER: bad or a
// warning); otherwise it takes the rule's verdict and severity.
func fill(f *Finding, r *Rule) {
	f.Rule = r.ID
	if f.Verdict == "" {
		f.Verdict, f.Severity = r.Verdict, r.Severity
	}
	if f.Explanation == "" {
		f.Explanation = r.Text
	}
	// The rule's own list, not a copy per finding (nothing changes a
	// finding's Refs; the capacity is cut so that an append copies).
	f.Refs = r.Refs[:len(r.Refs):len(r.Refs)]
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
// last), then field, then rule; the media rules' findings on one field
// then by the stream they are about. [Finding.SortKey] orders alike.
func CompareFindings(a, b Finding) int {
	return cmp.Or(cmp.Compare(findingMessage(&a), findingMessage(&b)), cmp.Compare(a.Field, b.Field),
		cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.order, b.order))
}

// findingMessage is the message a finding is about, or 1<<30 (after
// every message) for one about the capture.
func findingMessage(f *Finding) int {
	if f.MessageID == nil {
		return 1 << 30
	}
	return *f.MessageID
}

// SortKey appends to b a key whose byte order is [CompareFindings]'s, for
// findings sorted on disk (a streamed report's).
func (f *Finding) SortKey(b []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(findingMessage(f)))
	b = append(b, f.Field...)
	b = append(b, 0)
	b = append(b, f.Rule...)
	b = append(b, 0)
	return binary.BigEndian.AppendUint64(b, f.order)
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
		if r.Verdict != Bad || rules[r.ID] == 0 || mediaRules[r.ID] {
			continue
		}
		if consequence[r.ID] {
			badEffects = append(badEffects, r.ID)
		} else {
			badRewrites = append(badRewrites, r.ID)
		}
	}
	dn := doubleNATSummary(c, rules)
	s.NoneCompared = noneCompared(c)
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
	if c.agg != nil && c.agg.alongPath > 0 {
		parts = append(parts, "the captures were not taken at the router's own interfaces, so what one side lacks may have been lost on the path between them")
	}
	parts = append(parts, mediaSummary(c, rules)...)
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
		} else {
			parts = append(parts, "the router's behaviour fits no known router profile")
		}
	}
	if n := c.Corr.OutsideSIP; n > 0 {
		parts = append(parts, fmt.Sprintf("%d SIP message(s) seen on one side only lie outside the time both captures ran: "+
			"whether the router forwarded them is not shown", n))
	}
	s.Summary = strings.Join(parts, "; ") + "."
	return s
}

// mediaSummary names one-way audio and the RTP the router lost, ALG or
// not: they are what the caller hears. counts are the findings per rule.
func mediaSummary(c *Context, counts map[string]int) []string {
	oneWay, pinholes := counts[MediaOneWay.ID], counts[MediaPinholeClosed.ID]
	var parts []string
	var sum mediaTotals
	if c.agg != nil {
		sum = c.agg.mediaSum
	}
	if oneWay > 0 {
		parts = append(parts, fmt.Sprintf("one-way audio on %d call(s) (MEDIA-ONE-WAY: %s)", oneWay, strings.Join(sum.causeList(), "; ")))
	}
	if pinholes > 0 {
		parts = append(parts, fmt.Sprintf("audio stopped crossing the router mid-call on %d stream(s) (MEDIA-PINHOLE-CLOSED)", pinholes))
	}
	lost, streams, worst := sum.lost, sum.streams, sum.worst
	if lost > 0 && c.Corr.Clock.Away() {
		parts = append(parts, fmt.Sprintf("%d RTP packet(s) were lost between the capture points or at the router, in %d stream(s), up to %.1f %% of a stream (MEDIA-LOSS-AT-ROUTER; the captures were not taken at the router)", lost, streams, worst))
	} else if lost > 0 {
		parts = append(parts, fmt.Sprintf("the router lost %d RTP packet(s) it should have forwarded, in %d stream(s), up to %.1f %% of a stream (MEDIA-LOSS-AT-ROUTER)", lost, streams, worst))
	}
	return parts
}

// mediaRules are named in the summary by mediaSummary, with or without
// an ALG.
var mediaRules = map[string]bool{
	"MEDIA-ONE-WAY": true, "MEDIA-PINHOLE-CLOSED": true, "MEDIA-LOSS-AT-ROUTER": true,
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
	if !lossRules[f.Rule] || f.Verdict != Bad || !clk.Away() || f.notLoss {
		return
	}
	if m := c.message(f.MessageID); m != nil && c.refusedByRouter(m) {
		f.Explanation = "The router refused it: an ICMP error from its public address quotes it, so it was lost at the router, not on the path between the capture points. " + f.Explanation
		return
	}
	if c.agg != nil {
		c.agg.alongPath++
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
	return c.agg != nil && c.agg.matched == 0 && c.agg.unpaired > 0
}

// message returns the message with the given ID among c.Messages, or
// nil: those of a batch, or at Finish the dropped ones, sorted by ID.
func (c *Context) message(id *int) *match.Message {
	if id == nil {
		return nil
	}
	if i, ok := slices.BinarySearchFunc(c.Messages, *id, func(m match.Message, id int) int { return cmp.Compare(m.ID, id) }); ok {
		return &c.Messages[i]
	}
	for i := range c.Messages { // a batch not in ID order
		if c.Messages[i].ID == *id {
			return &c.Messages[i]
		}
	}
	return nil
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
