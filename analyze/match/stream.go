package match

import (
	"bytes"
	"cmp"
	"fmt"
	"github.com/sipalg/sipalg/analyze/sdp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/sipmsg"
)

// Close points of a dialog, in capture time (DESIGN.md "State that ends").
const (
	// Quiet is how long a transaction is kept after its last message, for
	// its late retransmissions, and how long a dialog that ended is kept
	// after its last message: 64·T1, the longest a transaction lives
	// (RFC 3261 §17, Timers B, F, H and J).
	Quiet = int64(64 * 500e6)
	// FlushAfter is how long a dialog must be silent before its messages
	// so far are judged and released. A transaction's messages come within
	// a round trip, and everything a later message needs of them (its
	// transaction, the outbound rewrites it may restore) stays with the
	// dialog; waiting longer only holds more messages (at 1,000 SIP
	// messages a second, 32 s held 60,000 parsed messages). Half a
	// second, down from 2 s: the large RTP pair opens with 400 phones
	// registering and calling at once, and the messages of 2 s of that
	// burst were its heap's peak (live 24 -> 17 MB, RSS 74 -> 61 MiB; the
	// 73k SIP-heavy pair 106 -> 88 MiB, no more CPU). Where a batch ends
	// changes no finding (TestStreamingEqualsDialogsAlone hands every
	// message over alone).
	FlushAfter = int64(5e8)
	// DefaultIdleClose is how long the state of a dialog that has not
	// ended (a call without its BYE, a registration) is kept after its
	// last message: the default registration lifetime (RFC 3261
	// §10.2.1.1), so a binding refreshed within it stays one dialog.
	DefaultIdleClose = int64(3600e9)
	// DefaultMaxOpenDialogs bounds the dialogs open at once; past it the
	// one silent longest is closed early, and counted. 65,536 is some
	// 30 times the phones of a large office, each with a registration
	// and a call in progress.
	DefaultMaxOpenDialogs = 1 << 16
	// maxPending bounds the messages a dialog holds before it is judged
	// even though it is still active (a keepalive every few seconds on
	// one Call-ID never leaves 32 s of quiet). Its open transactions stay
	// open across.
	maxPending = 256
	// maxOutChanges bounds the outbound rewrites a dialog remembers for
	// recognising their restoration in later inbound messages.
	maxOutChanges = 128
	// scanEvery is how often, in capture time, open dialogs are checked
	// for their close points.
	scanEvery = int64(1e9)
	// maxSigs bounds the start lines a transaction remembers: a hostile
	// capture can send a thousand different responses in one.
	maxSigs = 32
	// maxTags bounds the tag pairs listed per dialog: each refresh of a
	// registration that lives all day brings a new to-tag.
	maxTags = 64
	// maxClosedKept bounds the closed dialogs DialogOf still finds.
	maxClosedKept = 4096
)

// StreamOptions tune a [Streamer].
type StreamOptions struct {
	// Window is the correlate pairing window (zero: correlate's default);
	// messages are reordered within it, plus a second, before they get
	// their IDs.
	Window int64
	// IdleClose and MaxOpenDialogs: zero means DefaultIdleClose and
	// DefaultMaxOpenDialogs.
	IdleClose      int64
	MaxOpenDialogs int
	// FlushAfter replaces the constant FlushAfter when positive (tests
	// hand every message over alone).
	FlushAfter int64
}

// Batch is what a [Streamer] hands over when a dialog falls quiet or
// closes: its messages since the last batch, in ID order, parsed and
// diffed, with the dialog as it stands. The receiver may keep the
// messages; the Streamer no longer refers to them.
type Batch struct {
	Dialog   Dialog
	Messages []Message
	// OutChanges are the outbound rewrites of the dialog's earlier
	// batches (at most maxOutChanges, values copied), for recognising an
	// inbound restoration in this one.
	OutChanges []fielddiff.Change
	// Closed is set on the dialog's last batch.
	Closed bool
}

// Streamer matches SIP messages into dialogs as they come and hands each
// dialog over in batches once it falls quiet, so that only open dialogs
// are held (issue 15). Messages are fed in the order correlate decides
// them ([correlate.Options.SIPSink]); they get their IDs in time order.
type Streamer struct {
	opt  StreamOptions
	emit func(*Batch)

	reorder  reorder[Message]
	lastScan int64
	// quiet lists the dialogs with pending messages, the longest silent
	// first: those silent for FlushAfter are handed over from its head
	// as messages come, with no scan of every open dialog.
	quiet     struct{ head, tail *openDialog }
	nextID    int
	nextDlg   int
	lastKey   sortKey
	open      map[int]*openDialog
	byLAN     map[string]*openDialog
	byWAN     map[string]*openDialog
	byTx      map[txKey]*openDialog
	evicted   int
	retx      int
	rewritten bool // a Call-ID differs between the sides
	// closed remembers the dialogs closed last by their LAN Call-IDs, for
	// DialogOf: a transfer names a dialog that may have ended.
	closed     map[string]Dialog
	closedRing []closedEntry
	closedNext int
}

type sortKey struct {
	ts    int64
	frame int
	seq   int
}

func (a sortKey) cmp(b sortKey) int {
	if c := cmp.Compare(a.ts, b.ts); c != 0 {
		return c
	}
	if c := cmp.Compare(a.frame, b.frame); c != 0 {
		return c
	}
	return cmp.Compare(a.seq, b.seq)
}

// reorderHeap is a binary min-heap of values by key. Not container/heap:
// its interface boxes each value (a Message, 640 bytes) on Push and
// again on Pop, two allocations a SIP message. The heap orders small
// entries; the values wait in slots, so that sifting moves 32 bytes, not
// a Message, at each level.
type reorderHeap[T any] struct {
	h     []heapEntry
	slots []T
	free  []int
}

type heapEntry struct {
	key  sortKey
	slot int
}

func (h *reorderHeap[T]) len() int { return len(h.h) }

// least is the least key; the heap must not be empty.
func (h *reorderHeap[T]) least() sortKey { return h.h[0].key }

func (h *reorderHeap[T]) push(k sortKey, v T) {
	var slot int
	if n := len(h.free); n > 0 {
		slot = h.free[n-1]
		h.free = h.free[:n-1]
		h.slots[slot] = v
	} else {
		slot = len(h.slots)
		h.slots = append(h.slots, v)
	}
	h.h = append(h.h, heapEntry{k, slot})
	q := h.h
	for i := len(q) - 1; i > 0; {
		p := (i - 1) / 2
		if q[p].key.cmp(q[i].key) <= 0 {
			break
		}
		q[p], q[i] = q[i], q[p]
		i = p
	}
}

func (h *reorderHeap[T]) pop() (sortKey, T) {
	q := h.h
	top := q[0]
	n := len(q) - 1
	q[0] = q[n]
	q = q[:n]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < n && q[l].key.cmp(q[m].key) < 0 {
			m = l
		}
		if r := l + 1; r < n && q[r].key.cmp(q[m].key) < 0 {
			m = r
		}
		if m == i {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	h.h = q
	v := h.slots[top.slot]
	var zero T
	h.slots[top.slot] = zero // holds nothing past its turn
	h.free = append(h.free, top.slot)
	return top.key, v
}

// reorder puts SIP messages, fed in the order correlate decided them, in
// time order (see [Streamer.AddPrepared]), each with a value of its own.
type reorder[T any] struct {
	heap   reorderHeap[T]
	window int64
	offset int64 // WAN clock minus LAN clock, ns
	drift  float64
	seq    int // feed order, the tie-break
	now    int64
	start  int64
}

func newReorder[T any](clk correlate.Clock, window int64) reorder[T] {
	if window <= 0 {
		window = int64(correlate.DefaultWindow)
	}
	return reorder[T]{window: window, offset: int64(clk.OffsetS * 1e9), drift: clk.DriftPPM, start: -1}
}

// add takes the next message, with v, and passes ready every message
// no later one can precede, in order. A message with neither side is
// dropped: nothing to match.
func (r *reorder[T]) add(sm *correlate.SIPMessage, v T, ready func(sortKey, T)) {
	var ts, seen int64
	switch {
	case sm.LAN != nil:
		ts, seen = sm.LAN.TS, sm.LAN.TS
		if sm.Direction == "inbound" && sm.WAN != nil {
			ts = sm.WAN.TS - r.offset // when it reached the router
		}
		if sm.WAN != nil {
			seen = max(seen, sm.WAN.TS-r.offset)
		}
	case sm.WAN != nil:
		ts = sm.WAN.TS - r.offset
		seen = ts
	default:
		return
	}
	if r.start < 0 {
		r.start = seen
	}
	r.now = max(r.now, seen)
	frame := sm.LANFrame
	if frame == 0 {
		frame = sm.WANFrame
	}
	r.heap.push(sortKey{ts, frame, r.seq}, v)
	r.seq++
	// A message decided later can be older than this one by at most the
	// pairing window (it waited for its twin that long, or for the window
	// to close on it), plus what the constant offset misses of the drift,
	// plus a second to spare.
	margin := r.window + int64(1e9) + int64(abs(r.drift)*1e-6*float64(r.now-r.start))
	for r.heap.len() > 0 && r.heap.least().ts < r.now-margin {
		ready(r.heap.pop())
	}
}

// drain passes ready every message left, in order.
func (r *reorder[T]) drain(ready func(sortKey, T)) {
	for r.heap.len() > 0 {
		ready(r.heap.pop())
	}
}

// Reorderer puts SIP messages in the order a [Streamer] numbers them
// before they are prepared: analyze prepares them on several goroutines
// and feeds the Streamer in order ([Streamer.AddOrdered]). Held raw, a
// message waiting its turn costs its bytes; prepared (parsed, diffed) it
// cost five times that, and a burst of registrations and calls holds a
// few thousand (issue 15: the large RTP pair's peak heap).
type Reorderer struct{ r reorder[correlate.SIPMessage] }

// Ordered is a SIP message with its place in the Streamer's order.
type Ordered struct {
	SIP correlate.SIPMessage
	key sortKey
}

// NewReorderer returns the Reorderer of a Streamer made with clk and opt.
func NewReorderer(clk correlate.Clock, opt StreamOptions) *Reorderer {
	return &Reorderer{newReorder[correlate.SIPMessage](clk, opt.Window)}
}

// Add takes the next SIP message as correlate decided it and passes
// ready those now in order.
func (o *Reorderer) Add(sm correlate.SIPMessage, ready func(Ordered)) {
	o.r.add(&sm, sm, func(k sortKey, sm correlate.SIPMessage) { ready(Ordered{sm, k}) })
}

// Close passes ready the messages left.
func (o *Reorderer) Close(ready func(Ordered)) {
	o.r.drain(func(k sortKey, sm correlate.SIPMessage) { ready(Ordered{sm, k}) })
}

// closedEntry is one slot of Streamer.closedRing: a LAN Call-ID and the
// dialog it named when that dialog closed.
type closedEntry struct {
	callID string
	dialog int
}

// openDialog is a dialog still open: who it is, its transactions still
// open, and its messages not yet handed over.
type openDialog struct {
	d          Dialog
	lastTS     int64
	pending    []Message
	txs        map[txKey]*txState
	outChanges []fielddiff.Change
	outHanded  int  // outChanges[:outHanded] went with earlier batches
	invite     bool // an INVITE was seen: a call
	ended      bool // its BYE (or the failure of its INVITE) was answered
	register   bool
	expires    int64 // ns, the longest Expires seen on a REGISTER, 0 unknown
	// prev and next link the dialogs with pending messages in the order
	// of their last message (Streamer.quiet); listed says d is linked.
	prev, next *openDialog
	listed     bool
}

// txState is one transaction of an open dialog; transactions joined by a
// message seen under two keys form a union-find forest.
type txState struct {
	parent *txState
	root   int       // ID of its first message
	sigs   []retxSig // the start lines seen, per direction and CSeq: a handful
	lastTS int64
}

func (t *txState) find() *txState {
	for t.parent != nil {
		if t.parent.parent != nil {
			t.parent = t.parent.parent
		}
		t = t.parent
	}
	return t
}

type retxSig struct {
	direction, start, cseq string
}

// NewStreamer returns a Streamer for a correlation whose clock is clk;
// emit receives each batch.
func NewStreamer(clk correlate.Clock, opt StreamOptions, emit func(*Batch)) *Streamer {
	if opt.Window <= 0 {
		opt.Window = int64(correlate.DefaultWindow)
	}
	if opt.IdleClose <= 0 {
		opt.IdleClose = DefaultIdleClose
	}
	if opt.MaxOpenDialogs <= 0 {
		opt.MaxOpenDialogs = DefaultMaxOpenDialogs
	}
	if opt.FlushAfter <= 0 {
		opt.FlushAfter = FlushAfter
	}
	return &Streamer{
		opt: opt, reorder: newReorder[Message](clk, opt.Window), emit: emit,
		open: map[int]*openDialog{}, byLAN: map[string]*openDialog{}, byWAN: map[string]*openDialog{},
		byTx: map[txKey]*openDialog{}, nextID: 1, nextDlg: 1,
		closed: map[string]Dialog{}, closedRing: make([]closedEntry, maxClosedKept),
	}
}

// Add takes the next SIP message as correlate decided it.
func (s *Streamer) Add(sm correlate.SIPMessage) { s.AddPrepared(sm, Prepare(sm)) }

// AddPrepared takes the next SIP message as correlate decided it, with m
// its [Prepare]d form.
func (s *Streamer) AddPrepared(sm correlate.SIPMessage, m Message) {
	s.reorder.add(&sm, m, s.process)
}

// AddOrdered takes the next SIP message in the order a [Reorderer] put
// it, with m its [Prepare]d form. A Streamer is fed by AddPrepared or by
// AddOrdered, not both.
func (s *Streamer) AddOrdered(o Ordered, m Message) { s.process(o.key, m) }

// Close hands over every dialog still open, in the order they opened.
func (s *Streamer) Close() {
	s.reorder.drain(s.process)
	ids := make([]int, 0, len(s.open))
	for id := range s.open {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		s.close(s.open[id])
	}
}

// DialogOf returns the dialog, open or among the last closed, that has
// the LAN Call-ID id.
func (s *Streamer) DialogOf(id string) (Dialog, bool) {
	if d := s.byLAN[id]; d != nil {
		return d.d, true
	}
	d, ok := s.closed[id]
	return d, ok
}

// CallIDRewritten reports whether a message so far had different Call-IDs
// on the two sides.
func (s *Streamer) CallIDRewritten() bool { return s.rewritten }

// Warnings says what the bounds cut short.
func (s *Streamer) Warnings() []string {
	if s.evicted == 0 {
		return nil
	}
	return []string{fmt.Sprintf("match: more than %d dialogs open at once; %d were closed before their end (a message after that starts a new dialog; raise with --limit open-dialogs=N)",
		s.opt.MaxOpenDialogs, s.evicted)}
}

// Retransmissions returns the messages marked as retransmissions so far.
func (s *Streamer) Retransmissions() int { return s.retx }

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// parsedPool holds parsed messages given back by [Release], for Prepare
// to parse later messages into: the parsed messages were the largest
// part of what a SIP-heavy run allocated (a 2 KB Message a side).
var parsedPool = sync.Pool{New: func() any { return new(sipmsg.Message) }}

func parse(b []byte) *sipmsg.Message {
	p := parsedPool.Get().(*sipmsg.Message)
	sipmsg.ParseInto(p, b)
	return p
}

// sdpPool holds the parsed SDP bodies given back by [Release], as
// parsedPool the messages.
//
// Why (2026-12, issue 15): a Session and its lists were 58 MB of the
// 740 MB the 73k SIP-heavy pair allocated (8%), two bodies per call
// setup.
var sdpPool = sync.Pool{New: func() any { return new(sdp.Session) }}

// pendingPool holds the message lists of batches their caller is done
// with ([ReleaseBatch]), for later dialogs' messages.
//
// Why (2026-12, issue 15): a Message is some 640 bytes, and the lists of
// the batches were 86 MB of the 740 MB the 73k SIP-heavy pair allocated.
var pendingPool sync.Pool // of *[]Message

// newPending returns an empty list for a dialog's pending messages: one
// given back, or a new one. A call's batch is about eight messages, a
// registration's four: growing from one copied each Message four times.
func newPending() []Message {
	if p, ok := pendingPool.Get().(*[]Message); ok {
		return (*p)[:0]
	}
	return make([]Message, 0, 4)
}

// ReleaseBatch gives ms, the Messages of a [Batch], back for the
// Streamer to list later messages in, once the caller is done with them
// (after [Release] of each, for the JSON report's writer): nothing may
// refer to them afterwards.
func ReleaseBatch(ms []Message) {
	if cap(ms) == 0 {
		return
	}
	clear(ms)
	ms = ms[:0]
	pendingPool.Put(&ms)
}

// Release gives m's parsed sides and SDP bodies back for later messages
// to be parsed into, and drops its diff: for a caller done with all of m
// but its own fields (the JSON report's writer: Message.AppendRecord).
// Nothing may refer to m.LAN, m.WAN, m.LANSDP, m.WANSDP or what their
// views returned afterwards: the rules keep light copies (and strings)
// of what they need past a batch.
func Release(m *Message) {
	for _, p := range [2]*sipmsg.Message{m.LAN, m.WAN} {
		if p != nil {
			p.Raw = nil // the bytes are the spool record's, not to be held
			parsedPool.Put(p)
		}
	}
	for _, s := range [2]*sdp.Session{m.LANSDP, m.WANSDP} {
		if s != nil {
			s.Raw = nil
			sdpPool.Put(s)
		}
	}
	m.LAN, m.WAN, m.Changes, m.LANSDP, m.WANSDP = nil, nil, nil, nil, nil
}

// Prepare parses and diffs one SIP message: the part of matching that
// needs nothing but the message itself, so that callers may run it on
// several cores and hand the result to [Streamer.AddPrepared] in order.
func Prepare(sm correlate.SIPMessage) Message {
	m := Message{Direction: sm.Direction, State: sm.State}
	if sm.LANFrame > 0 {
		m.LANFrame = intp(sm.LANFrame)
	}
	if sm.WANFrame > 0 {
		m.WANFrame = intp(sm.WANFrame)
	}
	if r := sm.LAN; r != nil {
		m.LAN = parse(r.Data)
		m.LANSrc, m.LANDst, m.Proto = r.Src, r.Dst, protoName(r.Proto)
	}
	if r := sm.WAN; r != nil {
		m.WAN = parse(r.Data)
		m.WANSrc, m.WANDst, m.Proto = r.Src, r.Dst, protoName(r.Proto)
	}
	describe(&m)
	m.LANSDP, m.WANSDP = parseSDP(m.LAN), parseSDP(m.WAN)
	m.sdpDone = true
	if m.LAN != nil && m.WAN != nil {
		if m.Direction == "inbound" {
			m.Changes = fielddiff.DiffSessions(m.WAN, m.LAN, m.WANSDP, m.LANSDP)
		} else {
			m.Changes = fielddiff.DiffSessions(m.LAN, m.WAN, m.LANSDP, m.WANSDP)
		}
		switch {
		case sm.LAN.Cut:
			m.Cut = "lan"
			m.Changes = uncut(m.Changes, m.LAN, m.Direction != "inbound")
		case sm.WAN.Cut:
			m.Cut = "wan"
			m.Changes = uncut(m.Changes, m.WAN, m.Direction == "inbound")
		}
		m.ChangedFields = len(m.Changes)
	}
	// The transaction keys too: on the workers, not on the Streamer's
	// one goroutine.
	m.txKeys, m.txHas = transactionKeys(&m)
	if p := cmp.Or(m.LAN, m.WAN); p != nil {
		m.tags = dialogTags(p)
		if m.Method == "REGISTER" {
			m.expires, m.expiresOK = registerExpires(p)
		}
	}
	m.txDone = true
	return m
}

// parseSDP parses p's SDP body, if it has one.
func parseSDP(p *sipmsg.Message) *sdp.Session {
	if p == nil {
		return nil
	}
	if body, ok := p.SDPBody(); ok {
		s := sdpPool.Get().(*sdp.Session)
		sdp.ParseInto(s, p.Raw, body)
		return s
	}
	return nil
}

// transactionKeys returns the transaction key of each side of m.
func transactionKeys(m *Message) (keys [2]txKey, has [2]bool) {
	for i, p := range [2]*sipmsg.Message{m.LAN, m.WAN} {
		if p != nil {
			keys[i], has[i] = transactionKey("lw"[i], p)
		}
	}
	return keys, has
}

// uncut keeps the changes a snap length cannot have made: those whose value
// on the cut message lies wholly in its last complete line or before.
// Values missing there (cut off), parser diagnostics and header order (the
// parser saw a message without its end) say nothing about the router. cutA
// tells whether the cut message is the diff's first (as it entered).
func uncut(chs []fielddiff.Change, cut *sipmsg.Message, cutA bool) []fielddiff.Change {
	end := bytes.LastIndexByte(cut.Raw, '\n') + 1
	out := chs[:0]
	for _, ch := range chs {
		sp := ch.SpanB
		if cutA {
			sp = ch.SpanA
		}
		if sp.End == 0 || sp.End > end || ch.Kind == fielddiff.Reordered || ch.Kind == fielddiff.Syntax && ch.Code != "" {
			continue
		}
		out = append(out, ch)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// process matches one message, in ID order.
func (s *Streamer) process(k sortKey, m Message) {
	m.ID, m.TS = s.nextID, k.ts
	s.nextID++
	if m.CallIDLAN != "" && m.CallIDWAN != "" && m.CallIDLAN != m.CallIDWAN {
		s.rewritten = true
	}
	// Close points first: a dialog silent past one is handed over before
	// this message can join it.
	if k.ts-s.lastScan >= scanEvery {
		s.scan(k.ts)
	}
	for d := s.quiet.head; d != nil && k.ts-d.lastTS >= s.opt.FlushAfter; d = s.quiet.head {
		s.flush(d, false)
	}
	if !m.txDone {
		m.txKeys, m.txHas = transactionKeys(&m)
	}
	keys, hasKey := m.txKeys, m.txHas
	d := s.dialogFor(&m, keys, hasKey)
	s.transaction(d, &m, keys, hasKey)
	s.observe(d, &m)
	if d.pending == nil {
		d.pending = newPending()
	}
	d.pending = append(d.pending, m)
	d.lastTS = max(d.lastTS, m.TS)
	s.unlist(d)
	s.listLast(d) // messages come in time order: the list stays so
	if len(d.pending) >= maxPending {
		s.flush(d, false)
	}
	if len(s.open) > s.opt.MaxOpenDialogs {
		s.scan(k.ts)
	}
}

// dialogFor finds the open dialog of m by its Call-IDs and transaction
// keys, joining dialogs m links, or opens one.
func (s *Streamer) dialogFor(m *Message, keys [2]txKey, hasKey [2]bool) *openDialog {
	var found []*openDialog
	add := func(d *openDialog) {
		if d != nil && !slices.Contains(found, d) {
			found = append(found, d)
		}
	}
	if m.CallIDLAN != "" {
		add(s.byLAN[m.CallIDLAN])
	}
	if m.CallIDWAN != "" {
		add(s.byWAN[m.CallIDWAN])
	}
	for i := range keys {
		if hasKey[i] {
			add(s.byTx[keys[i]])
		}
	}
	var d *openDialog
	switch len(found) {
	case 0:
		d = &openDialog{d: Dialog{ID: s.nextDlg, CallIDsLAN: []string{}, CallIDsWAN: []string{}, Tags: []string{}},
			txs: map[txKey]*txState{}}
		s.nextDlg++
		s.open[d.d.ID] = d
	default:
		slices.SortFunc(found, func(a, b *openDialog) int { return cmp.Compare(a.d.ID, b.d.ID) })
		d = found[0]
		for _, o := range found[1:] {
			s.join(d, o)
		}
	}
	if m.CallIDLAN != "" && s.byLAN[m.CallIDLAN] == nil {
		s.byLAN[m.CallIDLAN] = d
		d.d.CallIDsLAN = append(d.d.CallIDsLAN, m.CallIDLAN)
	}
	if m.CallIDWAN != "" && s.byWAN[m.CallIDWAN] == nil {
		s.byWAN[m.CallIDWAN] = d
		d.d.CallIDsWAN = append(d.d.CallIDsWAN, m.CallIDWAN)
	}
	return d
}

// join moves dialog o into d: a message linked them.
func (s *Streamer) join(d, o *openDialog) {
	for _, id := range o.d.CallIDsLAN {
		s.byLAN[id] = d
		addOnce(&d.d.CallIDsLAN, id)
	}
	for _, id := range o.d.CallIDsWAN {
		s.byWAN[id] = d
		addOnce(&d.d.CallIDsWAN, id)
	}
	for k, t := range o.txs {
		s.byTx[k] = d
		d.txs[k] = t
	}
	for _, tg := range o.d.Tags {
		addOnce(&d.d.Tags, tg)
	}
	if d.d.Method == "" {
		d.d.Method = o.d.Method
	}
	d.d.Transactions += o.d.Transactions
	d.pending = append(d.pending, o.pending...)
	slices.SortStableFunc(d.pending, func(a, b Message) int { return cmp.Compare(a.ID, b.ID) })
	d.outChanges = append(d.outChanges, o.outChanges...)
	d.lastTS = max(d.lastTS, o.lastTS)
	d.invite, d.ended, d.register = d.invite || o.invite, d.ended || o.ended, d.register || o.register
	d.expires = max(d.expires, o.expires)
	s.unlist(o)
	delete(s.open, o.d.ID)
}

// listLast links d at the tail of the quiet list.
func (s *Streamer) listLast(d *openDialog) {
	d.prev, d.next, d.listed = s.quiet.tail, nil, true
	if s.quiet.tail != nil {
		s.quiet.tail.next = d
	} else {
		s.quiet.head = d
	}
	s.quiet.tail = d
}

// unlist takes d out of the quiet list, if it is in it.
func (s *Streamer) unlist(d *openDialog) {
	if !d.listed {
		return
	}
	if d.prev != nil {
		d.prev.next = d.next
	} else {
		s.quiet.head = d.next
	}
	if d.next != nil {
		d.next.prev = d.prev
	} else {
		s.quiet.tail = d.prev
	}
	d.prev, d.next, d.listed = nil, nil, false
}

// transaction puts m in its transaction (RFC 3261 §17, keyed per side,
// linked across the NAT by the twin) and marks a retransmission: a
// repeat of the start line and CSeq in the same direction.
func (s *Streamer) transaction(d *openDialog, m *Message, keys [2]txKey, hasKey [2]bool) {
	var t *txState
	for i := range keys {
		if !hasKey[i] {
			continue
		}
		u, ok := d.txs[keys[i]]
		if !ok {
			continue
		}
		u = u.find()
		switch {
		case t == nil:
			t = u
		case t != u:
			if u.root < t.root {
				t, u = u, t
			}
			u.parent = t
			for _, sg := range u.sigs {
				if !slices.Contains(t.sigs, sg) {
					t.sigs = append(t.sigs, sg)
				}
			}
			u.sigs = nil
			t.lastTS = max(t.lastTS, u.lastTS)
			d.d.Transactions--
		}
	}
	if t == nil {
		t = &txState{root: m.ID}
		d.d.Transactions++
	}
	t.lastTS = max(t.lastTS, m.TS)
	for i := range keys {
		if hasKey[i] {
			d.txs[keys[i]] = t
			s.byTx[keys[i]] = d
		}
	}
	m.tx = t
	p := m.LAN
	if p == nil {
		p = m.WAN
	}
	if p == nil {
		return
	}
	sg := retxSig{m.Direction, string(p.Bytes(p.StartLine)), m.CSeq}
	if slices.Contains(t.sigs, sg) {
		m.Retransmission = true
		s.retx++
	} else if len(t.sigs) < maxSigs {
		t.sigs = append(t.sigs, sg)
	}
}

// observe updates what the dialog is from m: its method, tags, and
// whether it has ended.
func (s *Streamer) observe(d *openDialog, m *Message) {
	p := m.LAN
	if p == nil {
		p = m.WAN
	}
	if p == nil {
		return
	}
	if d.d.Method == "" && p.IsRequest {
		d.d.Method = string(p.Bytes(p.Method))
	}
	if !m.txDone {
		m.tags = dialogTags(p)
		m.expires, m.expiresOK = registerExpires(p)
	}
	if m.tags != "" && len(d.d.Tags) < maxTags {
		addOnce(&d.d.Tags, m.tags)
	}
	switch m.Method {
	case "INVITE":
		d.invite = true
		if m.Status != nil && *m.Status >= 300 {
			d.ended = true // the call failed; its ACK follows at once
		}
	case "BYE":
		if m.Status != nil && *m.Status >= 200 {
			d.ended = true
		}
	case "REGISTER":
		d.register = true
		if n := m.expires; m.expiresOK && int64(n)*1e9 > d.expires {
			d.expires = int64(n) * 1e9
		}
	}
	if m.Direction == "outbound" && len(d.outChanges) < maxOutChanges {
		for _, c := range m.Changes {
			if len(d.outChanges) == maxOutChanges {
				break
			}
			c.Before, c.After = slices.Clone(c.Before), slices.Clone(c.After)
			d.outChanges = append(d.outChanges, c)
		}
	}
}

// registerExpires is the longest expiry a REGISTER or its response
// names (Contact expires= or Expires).
func registerExpires(p *sipmsg.Message) (int, bool) {
	best, ok := 0, false
	take := func(v []byte) {
		// Under a billion seconds: a larger value would keep the dialog
		// open for decades.
		if n, err := strconv.Atoi(strings.TrimSpace(string(v))); err == nil && n >= 0 && n < 1e9 && n > best {
			best, ok = n, true
		}
	}
	for _, a := range p.Contacts() {
		if prm, found := a.Param(p.Raw, "expires"); found {
			take(p.Bytes(prm.Value))
		}
	}
	if v := p.HeaderValue("Expires"); v != nil {
		take(v)
	}
	return best, ok
}

// scan judges the dialogs quiet since Quiet and closes those at their
// close point, and the longest silent past the open-dialog bound.
func (s *Streamer) scan(now int64) {
	s.lastScan = now
	var closing []*openDialog
	for _, d := range s.open {
		idle := now - d.lastTS
		if idle >= s.closeAfter(d) {
			closing = append(closing, d)
		}
	}
	slices.SortFunc(closing, func(a, b *openDialog) int { return cmp.Compare(a.d.ID, b.d.ID) })
	for _, d := range closing {
		s.close(d)
	}
	if over := len(s.open) - s.opt.MaxOpenDialogs; over > 0 {
		all := make([]*openDialog, 0, len(s.open))
		for _, d := range s.open {
			all = append(all, d)
		}
		slices.SortFunc(all, func(a, b *openDialog) int {
			if c := cmp.Compare(a.lastTS, b.lastTS); c != 0 {
				return c
			}
			return cmp.Compare(a.d.ID, b.d.ID)
		})
		for _, d := range all[:over] {
			s.evicted++
			s.close(d)
		}
	}
}

// closeAfter is how long d is kept after its last message.
func (s *Streamer) closeAfter(d *openDialog) int64 {
	switch {
	case d.ended, !d.invite && !d.register && d.d.Method != "SUBSCRIBE" && d.d.Method != "NOTIFY":
		return Quiet
	case d.register && d.expires > 0:
		return d.expires + Quiet
	}
	return s.opt.IdleClose
}

// flush hands over d's pending messages.
func (s *Streamer) flush(d *openDialog, closed bool) {
	if len(d.pending) == 0 && !closed {
		return
	}
	b := &Batch{Dialog: d.d, Messages: d.pending, Closed: closed}
	b.Dialog.CallIDsLAN = slices.Clone(d.d.CallIDsLAN)
	b.Dialog.CallIDsWAN = slices.Clone(d.d.CallIDsWAN)
	b.Dialog.Tags = slices.Clone(d.d.Tags)
	// The outbound rewrites of earlier batches: those of this one are in
	// its messages.
	if d.outHanded > 0 {
		b.OutChanges = d.outChanges[:d.outHanded:d.outHanded]
	}
	d.outHanded = len(d.outChanges)
	for i := range b.Messages {
		m := &b.Messages[i]
		m.Dialog = d.d.ID
		if m.tx != nil {
			m.Transaction = m.tx.find().root
			m.tx = nil
		}
	}
	d.pending = nil
	s.unlist(d)
	// Transactions silent for Quiet are over.
	for k, t := range d.txs {
		if d.lastTS-t.find().lastTS >= Quiet || closed {
			delete(d.txs, k)
			if s.byTx[k] == d {
				delete(s.byTx, k)
			}
		}
	}
	s.emit(b)
}

// close hands over d's last batch and forgets it.
func (s *Streamer) close(d *openDialog) {
	s.flush(d, true)
	for _, id := range d.d.CallIDsLAN {
		if s.byLAN[id] == d {
			delete(s.byLAN, id)
		}
		// The oldest entry goes, unless its Call-ID has since named a
		// dialog closed later.
		if old := s.closedRing[s.closedNext]; old.callID != "" && s.closed[old.callID].ID == old.dialog {
			delete(s.closed, old.callID)
		}
		s.closedRing[s.closedNext] = closedEntry{id, d.d.ID}
		s.closedNext = (s.closedNext + 1) % maxClosedKept
		s.closed[id] = Dialog{ID: d.d.ID, Method: d.d.Method, CallIDsLAN: d.d.CallIDsLAN, CallIDsWAN: d.d.CallIDsWAN}
	}
	for _, id := range d.d.CallIDsWAN {
		if s.byWAN[id] == d {
			delete(s.byWAN, id)
		}
	}
	for k := range d.txs {
		if s.byTx[k] == d {
			delete(s.byTx, k)
		}
	}
	delete(s.open, d.d.ID)
}
