package rules

import (
	"cmp"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sync"

	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/spool"
)

// Bounds of what an [Evaluator] keeps between dialogs; each is far above
// what a rule needs, and what they cut is counted in Warnings.
const (
	// maxDropped bounds the dropped messages kept for ALG-DROPPED and
	// INBOUND-DROPPED (a few hundred bytes each).
	maxDropped = 1 << 16
	// maxTimes bounds the times kept per registration and per public
	// endpoint for the refresh and keepalive medians: a day of
	// refreshes every 90 s.
	maxTimes = 1024
	// maxRepresentatives bounds the findings kept, one per rule, field,
	// direction and method, as the evidence router profiles are scored
	// on.
	maxRepresentatives = 4096
)

// Evaluator judges a capture dialog by dialog as [match.Streamer] hands
// the dialogs over, keeping between them only what capture-wide rules
// need (issue 15): registrations, keepalive times per public endpoint, the
// dropped messages, counts. The correlation it is given must be final
// (the mappings are what rewrites are judged against).
type Evaluator struct {
	cap    *Context
	agg    *aggregates
	claims []*Rule
	checks []*Rule // per dialog
	global []*Rule // once, at Finish
	media  []*Rule // per call of the media section, at Finish
	counts map[string]int
	sum    Summary
	reps   []Finding
	// repKey maps a representative's rule, field, direction and method to
	// its index in reps.
	repKey map[[4]string]int
	// mediaOpt says where the streams come from and the media section
	// goes; mediaFindings keeps the media rules' findings without
	// mediaOpt.Finding.
	mediaOpt      MediaOptions
	mediaFindings []Finding
}

// aggregates is what the capture-wide rules know of the messages.
type aggregates struct {
	regs     map[int]*registration // by dialog ID
	regTimes map[int][]int64
	pings    map[netip.AddrPort][]int64 // keepalive requests by public endpoint
	sipOut   map[netip.AddrPort]int     // SIP messages that left from a public endpoint
	dropped  []match.Message            // without their parsed forms
	cut      int                        // dropped messages not kept
	hidden   map[int]*hiddenRegister    // NAT-HIDDEN, the first per dialog
	matched  int
	changed  bool
	// TRANSPORT-INCONSISTENT: rewrites per transport, and per transport
	// the first outbound message that left with its private Via untouched.
	rewritten map[string]int
	leakedVia map[string]*viaLeak
	// PRIVATE-ADDRESS-LEAKED: how many, and the first.
	leaks     int
	leakFirst *match.Message
	leakWhere string
	callIDs   bool // a Call-ID differs between the sides
	// chances: the captures gave the router the chance to raise these
	// rules (see fingerprints).
	chances map[string]bool
	// plans are the media plans of the calls whose dialogs are open, by
	// dialog ID, when the captures hold RTP (correlate's streams); a
	// dialog's plan goes to planSpool when it closes. plansEarly counts
	// the plans the merge's window let go early, mediaSum what the
	// verdict says of the media.
	plans      map[int]*mediaPlan
	planSpool  *spool.Spool
	planErr    error
	planBuf    []byte // a plan's record, as it is spooled
	plansEarly int
	rowsEarly  int
	mediaSum   mediaTotals
	look       DialogLookup
	// unpaired counts messages a snap length left unpairable.
	unpaired int
	// alongPath counts the loss findings graded down because the
	// captures were not taken at the router.
	alongPath int
	// doubleNAT is DOUBLE-NAT's evidence, at most maxDoubleNAT entries.
	doubleNAT []DoubleNATEvidence
}

// DialogLookup is what an [Evaluator] asks about dialogs beyond the one it
// judges (REFER-TO-MISMATCH): the dialog a LAN Call-ID names, and whether
// the router rewrote any Call-ID. match.Streamer answers both for the
// dialogs open or recently closed.
type DialogLookup struct {
	DialogOf        func(lanCallID string) (match.Dialog, bool)
	CallIDRewritten func() bool
}

type hiddenRegister struct {
	m            match.Message
	before, from string
	// outside: the REGISTER was seen on the WAN side only, outside the
	// LAN capture's time; before is then its mapping's LAN endpoint.
	outside bool
}

type viaLeak struct {
	m      match.Message
	sentBy string
}

// NewEvaluator returns an Evaluator for corr, the final correlation.
func NewEvaluator(corr *correlate.Result, look DialogLookup) *Evaluator {
	if look.DialogOf == nil {
		look.DialogOf = func(string) (match.Dialog, bool) { return match.Dialog{}, false }
	}
	if look.CallIDRewritten == nil {
		look.CallIDRewritten = func() bool { return false }
	}
	agg := &aggregates{
		regs: map[int]*registration{}, regTimes: map[int][]int64{},
		pings: map[netip.AddrPort][]int64{}, sipOut: map[netip.AddrPort]int{},
		hidden: map[int]*hiddenRegister{}, rewritten: map[string]int{}, leakedVia: map[string]*viaLeak{},
		plans: map[int]*mediaPlan{},
		look:  look,
	}
	e := &Evaluator{cap: newContext(corr), agg: agg, claims: claimOrder(), counts: map[string]int{}, repKey: map[[4]string]int{}}
	e.cap.agg = agg
	e.SetMedia(MediaOptions{})
	for _, r := range checkOrder() {
		switch {
		case mediaRules[r.ID]:
			e.media = append(e.media, r)
		case r.Capture:
			e.global = append(e.global, r)
		default:
			e.checks = append(e.checks, r)
		}
	}
	return e
}

// SetMedia says where the Evaluator reads the RTP streams and puts the
// media section; call it before the first Batch.
func (e *Evaluator) SetMedia(o MediaOptions) {
	if o.Streams == nil {
		streams := slices.Clone(e.cap.Corr.Streams)
		// The merge reads them in order of their first packet, as
		// correlate lists them.
		slices.SortStableFunc(streams, func(a, b correlate.Stream) int { return a.First.Compare(b.First) })
		o.Any = len(streams) > 0
		o.Streams = func(yield func(*correlate.Stream) error) error {
			for i := range streams {
				if err := yield(&streams[i]); err != nil {
					return err
				}
			}
			return nil
		}
	}
	if o.MaxPlans <= 0 {
		o.MaxPlans = DefaultMaxPlans
	}
	if o.maxHeld <= 0 {
		o.maxHeld = maxHeldRows
	}
	budget := o.SpoolBudget
	if budget <= 0 {
		budget = math.MaxInt
	}
	if e.agg.planSpool != nil {
		e.agg.planSpool.Close()
	}
	e.agg.planSpool = spool.New(o.TempDir, budget)
	e.mediaOpt = o
}

// Batch judges the messages of one dialog handed over by the streamer:
// every change of every message gets its verdict, the dialog's checks
// run, and the capture-wide aggregates take what they need. It returns
// the findings, unsorted.
func (e *Evaluator) Batch(b *match.Batch) []Finding {
	c := e.cap.forBatch(b)
	n := 0
	for i := range c.Messages {
		n += len(c.Messages[i].Changes)
	}
	fs := newFindings(n + 4) // a finding per change, and the checks'
	for i := range c.Messages {
		m := &c.Messages[i]
		e.agg.observe(c, m, b.Dialog.Method)
		for j := range m.Changes {
			ch := &m.Changes[j]
			rule, text := UnexplainedRewrite, ""
			for _, r := range e.claims {
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
	if e.mediaOpt.Any {
		e.agg.observeMedia(c, b.Dialog.ID, b.Closed)
	}
	fs = e.check(c, e.checks, fs)
	return fs
}

// findingsPool holds the lists of findings their caller is done with
// ([ReleaseFindings]), for [Evaluator.Batch] to fill again.
//
// Why (2026-12, issue 15): a Finding is some 240 bytes, a batch's list
// a few KB; the lists were 81 MB of the 740 MB the 73k SIP-heavy pair
// allocated.
var findingsPool sync.Pool // of *[]Finding

// newFindings returns an empty list of findings with room for n: one
// given back, or a new one.
func newFindings(n int) []Finding {
	if p, ok := findingsPool.Get().(*[]Finding); ok {
		if cap(*p) >= n {
			return (*p)[:0]
		}
		n = max(n, 2*cap(*p))
	}
	return make([]Finding, 0, n)
}

// ReleaseFindings gives fs, a list [Evaluator.Batch] returned, back for
// later batches once the caller is done with it (the JSON report's
// writer, once it wrote them): nothing may refer to it afterwards.
func ReleaseFindings(fs []Finding) {
	if cap(fs) == 0 {
		return
	}
	clear(fs)
	fs = fs[:0]
	findingsPool.Put(&fs)
}

// check appends to fs the findings of the checks rs on c, each filled in
// from its rule and counted.
func (e *Evaluator) check(c *Context, rs []*Rule, fs []Finding) []Finding {
	for _, r := range rs {
		for _, f := range r.Check(c) {
			fill(&f, r)
			alongPath(c, &f)
			fs = append(fs, f)
		}
	}
	for i := range fs {
		e.count(&fs[i])
	}
	return fs
}

// Close releases what the Evaluator holds on disk; Finish does it too.
func (e *Evaluator) Close() error { return e.agg.planSpool.Close() }

// Finish runs the capture-wide rules and returns their findings (sorted),
// the router profiles that fit every finding seen, the verdict, the media
// section, and what the bounds left out. The media section and the media
// rules' findings go where [MediaOptions] says. Errors are the I/O errors
// of the plans' spool and those of MediaOptions' functions.
func (e *Evaluator) Finish() (Result, error) {
	c := e.cap
	defer e.agg.planSpool.Close()
	slices.SortFunc(e.agg.dropped, func(a, b match.Message) int { return cmp.Compare(a.ID, b.ID) })
	c.Messages = e.agg.dropped
	fs := e.check(c, e.global, nil)
	var media []MediaStream
	if e.mediaOpt.Any {
		var err error
		if media, err = e.runMedia(c); err != nil {
			return Result{}, err
		}
	}
	fs = append(fs, e.mediaFindings...)
	slices.SortStableFunc(fs, CompareFindings)
	reps := slices.Clone(e.reps)
	slices.SortStableFunc(reps, CompareFindings)
	fps := fingerprints(c, withoutDoubleNAT(reps, e.agg.doubleNAT))
	var warns []string
	if e.agg.cut > 0 {
		warns = append(warns, fmt.Sprintf("rules: %d dropped message(s) beyond the first %d were not judged", e.agg.cut, maxDropped))
	}
	if e.agg.plansEarly > 0 {
		warns = append(warns, fmt.Sprintf("rules: %d call(s) stopped being tied to RTP streams early: more than %d calls' media plans at once (--limit media-plans)", e.agg.plansEarly, e.mediaOpt.MaxPlans))
	}
	if e.agg.rowsEarly > 0 {
		warns = append(warns, fmt.Sprintf("rules: %d RTP stream(s) judged before every stream of their call was known: more than %d waiting at once", e.agg.rowsEarly, e.mediaOpt.maxHeld))
	}
	if fs == nil {
		fs = []Finding{}
	}
	if media == nil {
		media = []MediaStream{}
	}
	return Result{Findings: fs, Fingerprints: fps, Summary: e.summarize(c, fps), Media: media, Warnings: warns}, nil
}

// count adds f to the verdict counts and, when it is the first of its
// kind, to the representatives.
func (e *Evaluator) count(f *Finding) {
	e.counts[f.Rule]++
	switch f.Verdict {
	case Correct:
		e.sum.Correct++
	case Bad:
		e.sum.Bad++
	case Warning:
		e.sum.Warnings++
	}
	k := [4]string{f.Rule, f.Field, f.Direction, f.Method}
	i, ok := e.repKey[k]
	switch {
	case !ok && len(e.reps) < maxRepresentatives:
		e.repKey[k] = len(e.reps)
		e.reps = append(e.reps, *f)
	case ok && f.order > 0 && f.order < e.reps[i].order:
		// The media rules judge calls in no fixed order: the one first
		// in the report represents them.
		e.reps[i] = *f
	}
}

// forBatch is the context of one dialog's batch: c's capture-wide part
// with the batch's messages, its dialog, and the outbound rewrites of the
// dialog's earlier batches.
func (c *Context) forBatch(b *match.Batch) *Context {
	bc := &Context{
		Corr: c.Corr, Messages: b.Messages, Dialogs: []match.Dialog{b.Dialog},
		public: c.public, byLAN: c.byLAN, byWAN: c.byWAN, agg: c.agg,
		ownDialog: b.Dialog.ID,
	}
	// The batch's own dialog's list is built at its size (its earlier
	// batches' rewrites, up to 128, were appended one by one per batch).
	n := len(b.OutChanges)
	for i := range bc.Messages {
		if m := &bc.Messages[i]; m.Direction == "outbound" && m.Dialog == b.Dialog.ID {
			n += len(m.Changes)
		}
	}
	own := make([]*fielddiff.Change, 0, n)
	for i := range b.OutChanges {
		own = append(own, &b.OutChanges[i])
	}
	for i := range bc.Messages {
		m := &bc.Messages[i]
		if m.Direction != "outbound" || len(m.Changes) == 0 {
			continue
		}
		if m.Dialog == b.Dialog.ID {
			for j := range m.Changes {
				own = append(own, &m.Changes[j])
			}
			continue
		}
		// A message of another dialog (never, as the streamer hands
		// over batches): in the map.
		if bc.outChanges == nil {
			bc.outChanges = map[int][]*fielddiff.Change{}
		}
		for j := range m.Changes {
			bc.outChanges[m.Dialog] = append(bc.outChanges[m.Dialog], &m.Changes[j])
		}
	}
	bc.own = own
	return bc
}

// light is m without its parsed forms and changes, as kept past its
// dialog. Its SDP bodies go too: each holds the message it was parsed
// from.
func light(m *match.Message) match.Message {
	l := *m
	l.LAN, l.WAN, l.Changes, l.LANSDP, l.WANSDP = nil, nil, nil, nil, nil
	return l
}

// observe takes from m, a message of a dialog whose first request was
// method, what the capture-wide rules need.
func (a *aggregates) observe(c *Context, m *match.Message, method string) {
	if m.State == match.Matched {
		a.matched++
		if len(m.Changes) > 0 {
			a.changed = true
		}
	}
	if m.CallIDLAN != "" && m.CallIDWAN != "" && m.CallIDLAN != m.CallIDWAN {
		a.callIDs = true
	}
	if m.State == match.Dropped {
		if len(a.dropped) < maxDropped {
			a.dropped = append(a.dropped, light(m))
		} else {
			a.cut++
		}
	}
	a.observeRegistration(c, m)
	a.observeKeepalive(m, method)
	a.observeHidden(c, m)
	a.observeChances(m)
	a.observeTransport(m)
	a.observeLeak(m)
	a.observeDoubleNAT(c, m)
	if m.State == correlate.StateUnpaired {
		a.unpaired++
	}
}

func appendTime(ts []int64, t int64) []int64 {
	if len(ts) < maxTimes {
		ts = append(ts, t)
	}
	return ts
}
