package analyze

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/inventory"
	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/spool"
	"github.com/sipalg/sipalg/rules"
)

// Options tune [Run]. The zero value is valid.
type Options struct {
	// Limits bound every table of the pipeline; a zero field means its
	// default (DefaultLimits).
	Limits Limits
	// Version is written into the report's tool section.
	Version string
	// Stream keeps neither the messages nor the findings in the report:
	// each dialog is judged as it closes and its messages and findings go
	// to spools (in memory up to a budget, then sorted runs in TempDir)
	// that the JSON writer reads once ([Report.StreamJSONField]); memory
	// no longer grows with the SIP messages (issue 15). Report.Messages,
	// Findings and Dialogs stay nil. Without it the report holds them all:
	// every writer the command line uses streams (the table's digest, the
	// HTML sink, the annotated capture's Tap), and the kept report is the
	// model their tests compare them with.
	Stream bool
	// TempDir is where spools spill and correlate's first pass writes
	// its event log for the second (the system's temporary directory
	// when empty), and SpoolBudget the memory each spool fills first
	// (spool.DefaultBudget when zero; tests make it small to spill).
	TempDir     string
	SpoolBudget int
	// Sink, with Stream, takes every batch as it is judged and the
	// capture-wide findings at the end, instead of the spools the JSON
	// report is written from: the report then has neither messages nor
	// findings to write as JSON. The table report's digest is one
	// ([NewStreamedTableDigest]).
	Sink Sink
	// Tap, when set, is given what the report is made of as it is
	// final, whichever way the report itself is kept or written (see
	// [Tap]).
	Tap Tap

	// flushAfter overrides match.FlushAfter (tests).
	flushAfter int64
}

// Passes is how many times [RunSources] reads each source: correlate's
// passes, the first of which also takes the inventory. A progress display
// expects Passes times the file sizes in [capture.Source.Progress].
const Passes = correlate.Passes

// Run analyses the LAN and WAN captures of one router. Errors are I/O and
// capture-format errors (a *capture.InputError names file, record and
// offset) and correlate.ErrNoTwins; damaged but readable input gives a
// report with warnings.
func Run(lanPath, wanPath string, opt Options) (*Report, error) {
	return RunSources(capture.Source{Path: lanPath}, capture.Source{Path: wanPath}, opt)
}

// RunSources is [Run] on two sources: two files, or two interfaces of one
// file (frame numbers in the report are then the file's).
//
// The SIP messages go from correlate's pairing pass to a spool as the pass
// decides them, and from there, once the mappings are final, through the
// match.Streamer, which hands each dialog over when it falls quiet, to the
// rules.Evaluator. Only the dialogs open at a time are held.
func RunSources(lan, wan capture.Source, opt Options) (*Report, error) {
	lim := opt.Limits.withDefaults()
	sip := spool.New(opt.TempDir, opt.SpoolBudget)
	defer sip.Close()
	// The RTP streams, as each is finished, for the media section.
	streams := spool.New(opt.TempDir, opt.SpoolBudget)
	defer streams.Close()
	var key [8]byte
	var buf []byte
	// The sinks run on different goroutines of the second pass: an error
	// each.
	var spillErr, streamErr error
	res, err := correlate.CorrelateSources(lan, wan, correlate.Options{
		Limits: lim.Capture, Inventory: true, NoSIPDiagnostics: true, MaxFlows: lim.MaxFlows,
		MaxPending: lim.MaxPending, MaxMappings: lim.MaxMappings, MaxStreams: lim.MaxStreams, TempDir: opt.TempDir,
		SIPSink: func(sm correlate.SIPMessage) {
			binary.BigEndian.PutUint64(key[:], uint64(sip.Len()))
			buf = match.AppendSIP(buf[:0], sm)
			if err := sip.Add(key[:], buf); err != nil && spillErr == nil {
				spillErr = err
			}
		},
		StreamSink: func(k, rec []byte) {
			if err := streams.Add(k, rec); err != nil && streamErr == nil {
				streamErr = err
			}
		},
	})
	if err != nil {
		return nil, err
	}
	if why, ok := sidesSwapped(res); ok {
		return nil, &SidesSwappedError{LAN: lan, WAN: wan, Evidence: why}
	}
	if err := cmp.Or(spillErr, streamErr); err != nil {
		return nil, err
	}
	sums := [2]*inventory.Summary{res.LANInventory, res.WANInventory}
	rep := &Report{
		SchemaVersion: SchemaVersion,
		Tool:          Tool{Name: "sipalg", Version: opt.Version},
		Mode:          ModePaired,
		Inputs:        map[string]Input{"lan": inputOf(sums[0]), "wan": inputOf(sums[1])},
		Clock:         res.Clock,
		NAT:           res.NAT,
		Mappings:      res.Mappings,
		Unpaired:      res.Unpaired,
		Warnings:      res.Warnings,
	}
	var warn string
	rep.Window, warn = captureWindow(res)
	if warn != "" {
		rep.Warnings = append(rep.Warnings, warn)
	}
	j := newJudge(res, lim, opt, streams)
	done := false
	defer func() {
		if !done {
			j.close()
		}
	}()
	order := match.NewReorderer(res.Clock, j.streamOpt)
	if err := prepareInOrder(sip, order, runtime.GOMAXPROCS(0), func(o match.Ordered, m match.Message) error {
		j.streamer.AddOrdered(o, m)
		if j.failed.Load() {
			return errJudged
		}
		return nil
	}); err != nil && !errors.Is(err, errJudged) {
		return nil, fmt.Errorf("analyze: matching SIP: %w", err)
	}
	if err := j.finish(rep); err != nil {
		return nil, err
	}
	if rep.Mappings == nil {
		rep.Mappings = []correlate.Mapping{}
	}
	if rep.Fingerprints == nil {
		rep.Fingerprints = []rules.Fingerprint{}
	}
	if rep.Warnings == nil {
		rep.Warnings = []string{}
	}
	done = true
	return rep, nil
}

// prepareInOrder decodes the spooled SIP messages, puts them in order,
// prepares (parses, diffs) them on up to workers goroutines and calls f
// with each, in order, on the calling goroutine. Parsing and diffing are
// most of the cost of a SIP-heavy capture; grouping and judging stay
// sequential. Messages wait for their turn raw (the Reorderer), not
// prepared.
//
// Messages travel in batches of prepareBatch, a few batches in flight:
// a channel send and a wake-up per message, four of them, cost more
// than a small message's parse (issue 15).
func prepareInOrder(sip *spool.Spool, order *match.Reorderer, workers int, f func(match.Ordered, match.Message) error) error {
	if workers < 2 {
		var ferr error
		ready := func(o match.Ordered) {
			if ferr == nil {
				ferr = f(o, match.Prepare(o.SIP))
			}
		}
		err := sip.Each(func(_, v []byte) error {
			sm, err := match.DecodeSIP(v)
			if err != nil {
				return err
			}
			order.Add(sm, ready)
			return ferr
		})
		if err == nil {
			order.Close(ready)
			err = ferr
		}
		return err
	}
	type batch struct {
		sms []match.Ordered
		ms  []match.Message
		// done is signalled once the batch is prepared; batches are
		// consumed in the order they were queued.
		done chan struct{}
	}
	inFlight := 2 * workers
	free := make(chan *batch, inFlight)
	for range inFlight {
		free <- &batch{sms: make([]match.Ordered, 0, prepareBatch), done: make(chan struct{}, 1)}
	}
	work := make(chan *batch, inFlight)
	queue := make(chan *batch, inFlight)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				b.ms = b.ms[:0]
				for i := range b.sms {
					b.ms = append(b.ms, match.Prepare(b.sms[i].SIP))
				}
				b.done <- struct{}{}
			}
		}()
	}
	consumed := make(chan error, 1)
	var failed atomic.Bool // f failed: the feed stops
	go func() {
		var err error
		for b := range queue {
			<-b.done
			for i := range b.sms {
				if err == nil {
					if err = f(b.sms[i], b.ms[i]); err != nil {
						failed.Store(true)
					}
				}
			}
			clear(b.sms)
			clear(b.ms)
			b.sms = b.sms[:0]
			free <- b
		}
		consumed <- err
	}()
	cur := <-free
	send := func() {
		work <- cur
		queue <- cur
	}
	ready := func(o match.Ordered) {
		cur.sms = append(cur.sms, o)
		if len(cur.sms) == prepareBatch {
			send()
			cur = <-free
		}
	}
	errStop := errors.New("stopped")
	feedErr := sip.Each(func(_, v []byte) error {
		if failed.Load() {
			return errStop
		}
		sm, err := match.DecodeSIP(v)
		if err != nil {
			return err
		}
		order.Add(sm, ready)
		return nil
	})
	if feedErr == nil {
		order.Close(ready)
	}
	if len(cur.sms) > 0 {
		send()
	}
	close(work)
	close(queue)
	err := <-consumed
	wg.Wait()
	if errors.Is(feedErr, errStop) {
		feedErr = nil
	}
	return errors.Join(feedErr, err)
}

// prepareBatch is how many SIP messages go to a worker at a time.
const prepareBatch = 16

// Sink takes what a streamed analysis judged (Options.Sink), in the order
// the pipeline judges it. Its methods are called on one goroutine; an
// error stops the analysis and is returned by [RunSources].
type Sink interface {
	// Batch takes one dialog's batch as judged, with its findings
	// (unsorted). The messages are the batch's own: a Sink may keep them.
	Batch(b *match.Batch, fs []rules.Finding) error
	// Finish takes the capture-wide findings (sorted, rules.CompareFindings),
	// once every batch was taken.
	Finish(capture []rules.Finding) error
}

// Tap observes the report as it is judged, beside where the report goes
// (kept, spooled, or a Sink): the annotated capture gathers its packet
// comments so, in bounded memory. Its methods are called on the judging
// goroutine, Batch before the batch goes on; none may keep what it is
// given.
type Tap interface {
	// Batch takes one dialog's batch and its findings (unsorted).
	Batch(b *match.Batch, fs []rules.Finding) error
	// Media takes a row of the media section as it is final, i its
	// place in the section (rows may come out of order).
	Media(i int, r *rules.MediaStream) error
	// Finding takes a finding about the capture, not about one dialog.
	Finding(f *rules.Finding) error
}

// MediaSink is a [Sink] that also takes the media section's rows as
// they are final (i is the row's place in the section; rows may come out
// of order). Without it, a Sink's analysis keeps the section whole in
// Report.Media.
type MediaSink interface {
	Media(i int, r *rules.MediaStream) error
}

// judge takes the dialogs from the streamer to the evaluator, and their
// messages and findings to the report (kept, or spooled).
type judge struct {
	streamer  *match.Streamer
	streamOpt match.StreamOptions
	eval      *rules.Evaluator
	stream    bool
	keep      *match.Collector
	findings  []rules.Finding
	msgs      *spool.Spool
	fnds      *spool.Spool
	media     *spool.Spool
	// sink (Options.Sink) is fed instead of msgs, fnds and media.
	sink Sink
	// tap is Options.Tap; tapKept says the media section is kept in the
	// evaluator's result, for finish to give the tap its rows.
	tap     Tap
	tapKept bool
	// mediaFs are the media findings of a MediaSink's analysis, given
	// to it with the capture's.
	mediaFs []rules.Finding
	// w spools the streamed batches, once the first comes.
	w *batchWriter
	// err is the judging goroutine's first error (until judged is
	// closed, only it touches err); failed says there is one, to the
	// goroutine that feeds the streamer.
	err      error
	failed   atomic.Bool
	buf, key []byte

	// The dialogs are judged on a goroutine of their own, a batch behind
	// the streamer (issue 15: matching and judging were one goroutine,
	// the longest serial stage of a SIP-heavy run). queue carries each
	// batch with what the evaluator may ask the streamer about it, as the
	// streamer stood when it handed the batch over; judged is closed once
	// the queue is drained; look is the batch being judged's.
	queue  chan judgeJob
	judged chan struct{}
	look   lookSnapshot
}

// judgeJob is a batch on its way to the judging goroutine.
type judgeJob struct {
	b    *match.Batch
	look lookSnapshot
}

// lookSnapshot is what rules.DialogLookup answers for one batch: the
// dialogs its messages' Refer-To/Replaces name (REFER-TO-MISMATCH, the
// one rule that asks) and whether a Call-ID was rewritten so far, taken
// from the streamer when it handed the batch over, which is when the
// evaluator asked before it judged on a goroutine of its own.
type lookSnapshot struct {
	rewritten bool
	dialogs   map[string]lookDialog
}

type lookDialog struct {
	d  match.Dialog
	ok bool
}

// errJudged stops the feed of the streamer once judging failed; the
// judge's own error is returned.
var errJudged = errors.New("analyze: judging failed")

// newJudge returns the judge of res's dialogs; streams holds res's RTP
// streams (correlate.Options.StreamSink).
func newJudge(res *correlate.Result, lim Limits, opt Options, streams *spool.Spool) *judge {
	j := &judge{stream: opt.Stream}
	j.streamOpt = match.StreamOptions{MaxOpenDialogs: lim.MaxOpenDialogs, FlushAfter: opt.flushAfter}
	j.streamer = match.NewStreamer(res.Clock, j.streamOpt, j.handOver)
	j.eval = rules.NewEvaluator(res, rules.DialogLookup{
		DialogOf: func(id string) (match.Dialog, bool) {
			d := j.look.dialogs[id]
			return d.d, d.ok
		},
		CallIDRewritten: func() bool { return j.look.rewritten },
	})
	j.queue, j.judged = make(chan judgeJob, judgeQueue), make(chan struct{})
	go func() {
		defer close(j.judged)
		for job := range j.queue {
			j.look = job.look
			j.batch(job.b)
		}
	}()
	budget := opt.SpoolBudget
	if budget <= 0 {
		budget = spool.DefaultBudget
	}
	mo := rules.MediaOptions{
		Streams: func(yield func(*correlate.Stream) error) error {
			return streams.Each(func(_, rec []byte) error {
				s, err := res.DecodeStream(rec)
				if err != nil {
					return err
				}
				return yield(&s)
			})
		},
		Any: streams.Len() > 0, TempDir: opt.TempDir, SpoolBudget: budget, MaxPlans: lim.MaxPlans,
	}
	switch {
	case opt.Stream && opt.Sink != nil:
		// The sink takes the batches and the capture's findings; the
		// media section stays kept (rep.Media, its findings among the
		// capture's): the table lists its worst rows, the page draws
		// each call's.
		j.sink = opt.Sink
		if ms, ok := opt.Sink.(MediaSink); ok {
			mo.Row = ms.Media
			mo.Finding = func(f *rules.Finding) error {
				j.mediaFs = append(j.mediaFs, *f)
				return nil
			}
		}
	case opt.Stream:
		j.msgs, j.fnds = spool.New(opt.TempDir, opt.SpoolBudget), spool.New(opt.TempDir, opt.SpoolBudget)
		j.media = spool.New(opt.TempDir, opt.SpoolBudget)
		var row []byte
		mo.Row = func(i int, r *rules.MediaStream) error {
			// As the kept report writes the section (encoding/json).
			var err error
			if row, err = r.AppendJSON(row[:0], elemPrefix); err != nil {
				return err
			}
			var key [8]byte
			binary.BigEndian.PutUint64(key[:], uint64(i))
			return j.media.Add(key[:], row)
		}
		mo.Finding = func(f *rules.Finding) error {
			j.addFinding(f)
			return j.err
		}
	default:
		j.keep = match.NewCollector()
	}
	if t := opt.Tap; t != nil {
		j.tap = t
		if row := mo.Row; row != nil {
			mo.Row = func(i int, r *rules.MediaStream) error {
				if err := t.Media(i, r); err != nil {
					return err
				}
				return row(i, r)
			}
		} else {
			j.tapKept = true
		}
		if fnd := mo.Finding; fnd != nil {
			mo.Finding = func(f *rules.Finding) error {
				if err := t.Finding(f); err != nil {
					return err
				}
				return fnd(f)
			}
		}
	}
	j.eval.SetMedia(mo)
	return j
}

// judgeQueue is how many batches may wait for the judging goroutine.
const judgeQueue = 16

// handOver takes a batch from the streamer (on the streamer's
// goroutine) to the judging goroutine, with the streamer's answers to
// what the evaluator may ask about it.
func (j *judge) handOver(b *match.Batch) {
	look := lookSnapshot{rewritten: j.streamer.CallIDRewritten()}
	for i := range b.Messages {
		m := &b.Messages[i]
		if m.Direction != "outbound" || m.LAN == nil {
			continue
		}
		if id, ok := m.LAN.ReplacesCallID(); ok {
			if look.dialogs == nil {
				look.dialogs = map[string]lookDialog{}
			}
			d, ok := j.streamer.DialogOf(id)
			look.dialogs[id] = lookDialog{d, ok}
		}
	}
	j.queue <- judgeJob{b, look}
}

// drain waits for the judging goroutine to judge every batch handed
// over; the streamer hands over no more.
func (j *judge) drain() {
	if j.queue == nil {
		return
	}
	close(j.queue)
	<-j.judged
	j.queue = nil
}

// close releases the judge's spools, for a run that ends in an error.
func (j *judge) close() {
	j.drain()
	j.stopWriter()
	for _, s := range []*spool.Spool{j.msgs, j.fnds, j.media} {
		if s != nil {
			s.Close()
		}
	}
	j.eval.Close()
}

// batch judges one dialog's batch and passes it on, on the judging
// goroutine.
func (j *judge) batch(b *match.Batch) {
	defer func() {
		if j.err != nil {
			j.failed.Store(true)
		}
	}()
	fs := j.eval.Batch(b)
	if j.tap != nil && j.err == nil {
		j.err = j.tap.Batch(b, fs)
	}
	if !j.stream {
		j.keep.Add(b)
		j.findings = append(j.findings, fs...)
		return
	}
	if j.sink != nil {
		if j.err == nil {
			j.err = j.sink.Batch(b, fs)
		}
		return
	}
	if j.w == nil {
		j.w = newBatchWriter(j.msgs, j.fnds)
	}
	// The report lists a message's own fields (Message.AppendRecord), not
	// its parsed sides, SDP or diff: those go now rather than wait in
	// the writer's queue (up to 64 batches, in a burst of dialogs), and
	// the parsed sides are parsed into again (match.Release).
	for i := range b.Messages {
		match.Release(&b.Messages[i])
	}
	j.w.jobs <- batchJob{b.Messages, fs}
}

// stopWriter waits for the batches handed to the writer to be spooled.
func (j *judge) stopWriter() {
	if j.w == nil {
		return
	}
	close(j.w.jobs)
	<-j.w.done
	if j.err == nil {
		j.err = j.w.err
	}
	j.w = nil
}

// batchWriter spools the messages and findings of judged batches on a
// goroutine of its own: writing their records (once their JSON) and
// copying it into the spools was a fifth of the work of the one
// goroutine that judges the dialogs, the longest serial stage of a
// SIP-heavy run (issue 15). A batch's messages and findings are its own
// (match.Streamer and the Evaluator keep none of them), so the writer
// only reads them.
type batchWriter struct {
	jobs       chan batchJob
	done       chan struct{}
	msgs, fnds *spool.Spool
	err        error
	buf, key   []byte
}

type batchJob struct {
	msgs []match.Message
	fs   []rules.Finding
}

func newBatchWriter(msgs, fnds *spool.Spool) *batchWriter {
	w := &batchWriter{jobs: make(chan batchJob, 64), done: make(chan struct{}), msgs: msgs, fnds: fnds}
	go func() {
		defer close(w.done)
		var key [8]byte
		for job := range w.jobs {
			for i := range job.msgs {
				binary.BigEndian.PutUint64(key[:], uint64(job.msgs[i].ID))
				w.buf = job.msgs[i].AppendRecord(w.buf[:0])
				w.add(w.msgs, key[:])
			}
			for i := range job.fs {
				f := &job.fs[i]
				w.key, w.buf = f.SortKey(w.key[:0]), f.AppendRecord(w.buf[:0])
				w.add(w.fnds, w.key)
			}
			// Written: the lists go back for later batches.
			match.ReleaseBatch(job.msgs)
			rules.ReleaseFindings(job.fs)
		}
	}()
	return w
}

// add spools w.buf under key.
func (w *batchWriter) add(s *spool.Spool, key []byte) {
	if w.err == nil {
		w.err = s.Add(key, w.buf)
	}
}

// addFinding spools f's record ([rules.Finding.AppendRecord]), which
// the report's JSON writes ([Report.StreamJSONField]), under its sort key.
func (j *judge) addFinding(f *rules.Finding) {
	if j.err != nil {
		return
	}
	j.key, j.buf = f.SortKey(j.key[:0]), f.AppendRecord(j.buf[:0])
	j.err = j.fnds.Add(j.key, j.buf)
}

// finish closes the streamer, runs the capture-wide rules and fills rep.
func (j *judge) finish(rep *Report) error {
	j.streamer.Close()
	j.drain()
	j.stopWriter()
	if j.err != nil {
		return fmt.Errorf("analyze: %w", j.err)
	}
	fin, err := j.eval.Finish()
	if err != nil {
		return fmt.Errorf("analyze: media: %w", err)
	}
	capFs := fin.Findings
	if j.tap != nil {
		for i := range capFs {
			if err := j.tap.Finding(&capFs[i]); err != nil {
				return fmt.Errorf("analyze: %w", err)
			}
		}
		if j.tapKept {
			for i := range fin.Media {
				if err := j.tap.Media(i, &fin.Media[i]); err != nil {
					return fmt.Errorf("analyze: %w", err)
				}
			}
		}
	}
	applyDoubleNAT(rep, j.eval.DoubleNAT())
	rep.Fingerprints, rep.Verdict, rep.Media = fin.Fingerprints, fin.Summary, fin.Media
	rep.Warnings = append(rep.Warnings, j.streamer.Warnings()...)
	rep.Warnings = append(rep.Warnings, fin.Warnings...)
	if !j.stream {
		rep.Messages, rep.Dialogs = j.keep.Result()
		rep.Findings = append(j.findings, capFs...)
		slices.SortStableFunc(rep.Findings, rules.CompareFindings)
		if rep.Messages == nil {
			rep.Messages = []match.Message{}
		}
		if rep.Findings == nil {
			rep.Findings = []rules.Finding{}
		}
		return nil
	}
	rep.streamed = true
	if j.sink != nil {
		if len(j.mediaFs) > 0 {
			capFs = append(capFs, j.mediaFs...)
			slices.SortStableFunc(capFs, rules.CompareFindings)
		}
		if err := j.sink.Finish(capFs); err != nil {
			return fmt.Errorf("analyze: %w", err)
		}
		return nil
	}
	for i := range capFs {
		j.addFinding(&capFs[i])
	}
	if j.err != nil {
		return fmt.Errorf("analyze: %w", j.err)
	}
	rep.messages, rep.findings, rep.media = j.msgs, j.fnds, j.media
	rep.Media = nil // in rep.media
	return nil
}

// applyDoubleNAT writes a second NAT beyond the router into the nat
// section (which address is the router's WAN, which the upstream NAT's)
// and gives each mapping the ALG revealed its intermediate endpoint: the
// mapping table stays LAN ↔ what the far end saw.
func applyDoubleNAT(rep *Report, ev []rules.DoubleNATEvidence) {
	addAddr := func(list *[]netip.Addr, a netip.Addr) {
		if a.IsValid() && !slices.Contains(*list, a) {
			*list = append(*list, a)
		}
	}
	for _, e := range ev {
		addAddr(&rep.NAT.RouterWAN, e.Intermediate.Addr())
		addAddr(&rep.NAT.UpstreamNAT, e.FarEnd.Addr())
		for i := range rep.Mappings {
			mp := &rep.Mappings[i]
			switch {
			case mp.LAN != e.LAN:
			case mp.WAN == e.Intermediate && e.FarEnd.IsValid() && mp.FarEnd == nil:
				far := e.FarEnd // captured on the router's own WAN
				mp.FarEnd = &far
			case mp.WAN != e.Intermediate && (!e.FarEnd.IsValid() || mp.WAN == e.FarEnd) && mp.Intermediate == nil:
				inter := e.Intermediate // captured beyond the second NAT
				mp.Intermediate = &inter
			}
		}
	}
	slices.SortFunc(rep.NAT.RouterWAN, netip.Addr.Compare)
	slices.SortFunc(rep.NAT.UpstreamNAT, netip.Addr.Compare)
}
