package analyze

import (
	"github.com/sipalg/sipalg/analyze/record"

	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/spool"
	"github.com/sipalg/sipalg/rules"
)

// This file builds a [TableDigest] as the pipeline judges the dialogs
// (a [Sink]), in memory bounded by its limits whatever the number of
// messages, dialogs or findings (issue 15).
//
// Why a spool of every message's ladder row rather than only the dialogs
// that may be kept: which dialogs have problems is not known when they
// close. A capture-wide rule (Rule.Capture: NAT-HIDDEN, BINDING-SHORTER-
// THAN-REFRESH, MEDIA-ONE-WAY...) runs once the capture is over and can
// name a message of any dialog closed long before; the table keeps the
// problem dialogs with the smallest IDs, counts them all, and picks a long
// ladder's rows by which have problems. (2026-12: a digest fed dialog by
// dialog counted a registration hidden by NAT-HIDDEN as no problem and
// was reverted, cdd4250.) So each row goes to a spool keyed by dialog and
// message, some 40 bytes, and one pass over it after the capture-wide
// rules decides every dialog, exactly as the report kept whole does.

// ladderPart bounds the rows of one part of a ladder handed over with no
// row limit (--all): a dialog of a day of keepalives is written as
// several tables of this many rows rather than held whole.
const ladderPart = 1000

// Record kinds of the rows spool, after the dialog ID in the key: the
// dialog's headers (one a batch; the last one holds) sort before its rows.
const (
	recHeader = 0
	recRow    = 1
)

// rowKeyLen is the length of a rows spool key: dialog ID, kind, then the
// batch number (a header) or the message ID (a row).
const rowKeyLen = 8 + 1 + 8

// maxInterned bounds the strings (methods, states, directions) a decoder
// shares between rows; a capture of a thousand made-up methods allocates
// the rest.
const maxInterned = 256

// errNotStreamed is a digest made from a kept report fed as a Sink.
var errNotStreamed = errors.New("analyze: the table digest was not made by NewStreamedTableDigest")

// errTableRecord is a spooled record that does not decode: a bug, or a
// temporary file changed under us.
var errTableRecord = errors.New("analyze: damaged table digest record")

// tableStream is what a digest built by the pipeline keeps besides its
// aggregates.
type tableStream struct {
	dir    string
	budget int
	// rows holds every dialog's headers and every message's ladder row
	// with the counts of its bad and warning findings, by dialog ID then
	// message ID; nil once read.
	rows *spool.Spool
	// all holds every finding, with no example limit (--all): keyed by
	// the rank of its rule's verdict (worst first), the rule, report
	// order and arrival, so that it is read in the order the table lists
	// them; nil otherwise and once read.
	all     *spool.Spool
	allRead bool
	// ranks has a bit for each verdict rank a rule's findings had: all is
	// keyed by a finding's own rank, which is its rule's unless a rule
	// graded some findings down (see finish).
	ranks map[string]uint8
	// capture counts the bad and warning capture-wide findings by message.
	capture map[int]msgCounts
	batches uint64
	found   uint64
	err     error
	key     []byte
	val     []byte
	intern  map[string]string
}

// msgCounts counts a message's bad and warning findings.
type msgCounts struct{ bad, warn int }

// NewStreamedTableDigest returns a digest for the pipeline to feed as it
// judges the dialogs (Options.Sink); its spools spill to dir (the
// system's temporary directory when empty), each after budget bytes
// (spool.DefaultBudget when zero). [TableDigest.Close] removes them if
// they are not read.
func NewStreamedTableDigest(lim TableLimits, dir string, budget int) *TableDigest {
	d := NewTableDigest(lim)
	d.stream = &tableStream{dir: dir, budget: budget, rows: spool.New(dir, budget), ranks: map[string]uint8{}, intern: map[string]string{}}
	if lim.Examples <= 0 {
		d.stream.all = spool.New(dir, budget)
	}
	return d
}

// Batch takes one judged batch ([Sink]): its findings, and its dialog's
// header and messages' rows to the spool.
func (d *TableDigest) Batch(b *match.Batch, fs []rules.Finding) error {
	s := d.stream
	if s == nil {
		return errNotStreamed
	}
	d.AddFindings(fs)
	var byMsg map[int]msgCounts
	for i := range fs {
		f := &fs[i]
		if f.MessageID == nil || !problemVerdict(f.Verdict) {
			continue
		}
		if byMsg == nil {
			byMsg = map[int]msgCounts{}
		}
		byMsg[*f.MessageID] = byMsg[*f.MessageID].add(f.Verdict)
	}
	s.batches++
	s.key = rowKey(s.key[:0], b.Dialog.ID, recHeader, s.batches)
	s.val = appendHeader(s.val[:0], &b.Dialog)
	s.add(s.rows)
	for i := range b.Messages {
		m := &b.Messages[i]
		d.seen(m.TS)
		d.Messages++
		s.key = rowKey(s.key[:0], b.Dialog.ID, recRow, uint64(m.ID))
		s.val = appendRow(s.val[:0], m, byMsg[m.ID])
		s.add(s.rows)
	}
	return s.err
}

func (c msgCounts) add(v rules.Verdict) msgCounts {
	switch v {
	case rules.Bad:
		c.bad++
	case rules.Warning:
		c.warn++
	}
	return c
}

// add adds s.key and s.val to sp, keeping the first error.
func (s *tableStream) add(sp *spool.Spool) {
	if s.err == nil {
		s.err = sp.Add(s.key, s.val)
	}
}

// addFinding spools f for --all.
func (s *tableStream) addFinding(f *rules.Finding) {
	if s.err != nil {
		return
	}
	rank := f.Verdict.Rank()
	s.ranks[f.Rule] |= 1 << rank
	v, err := json.Marshal(f)
	if err != nil {
		s.err = err
		return
	}
	s.found++
	s.key = append(s.key[:0], byte(255-rank))
	s.key = append(s.key, f.Rule...)
	s.key = append(s.key, 0)
	s.key = f.SortKey(s.key)
	s.key = binary.BigEndian.AppendUint64(s.key, s.found)
	s.val = v
	s.add(s.all)
}

// Finish takes the capture-wide findings ([Sink]) and, with a dialog
// limit, makes the pass that picks the dialogs kept.
func (d *TableDigest) Finish(capFs []rules.Finding) error {
	s := d.stream
	if s == nil {
		return errNotStreamed
	}
	d.AddFindings(capFs)
	if s.err != nil {
		return s.err
	}
	s.capture = map[int]msgCounts{}
	for i := range capFs {
		if f := &capFs[i]; f.MessageID != nil && problemVerdict(f.Verdict) {
			s.capture[*f.MessageID] = s.capture[*f.MessageID].add(f.Verdict)
		}
	}
	if s.all != nil {
		if err := d.regroup(); err != nil {
			return err
		}
	}
	if d.Limits.Dialogs > 0 {
		return d.pass(nil)
	}
	return nil
}

// regroup rewrites the --all findings spool under each rule's verdict
// when a rule's findings had another (a loss rule grades some down when
// the captures were not taken at the router): the table lists a rule,
// and all its findings, under the verdict of its first finding.
func (d *TableDigest) regroup() error {
	s := d.stream
	mixed := false
	for rule, bits := range s.ranks {
		mixed = mixed || bits != 1<<d.Rules[d.rule[rule]].Verdict.Rank()
	}
	if !mixed {
		return nil
	}
	again := spool.New(s.dir, s.budget)
	err := s.all.Each(func(k, v []byte) error {
		rule, rest, ok := splitFindingKey(k)
		if !ok {
			return errTableRecord
		}
		g, ok := d.rule[rule]
		if !ok {
			return errTableRecord
		}
		s.key = append(s.key[:0], byte(255-d.Rules[g].Verdict.Rank()))
		s.key = append(s.key, rule...)
		s.key = append(s.key, 0)
		s.key = append(s.key, rest...)
		return again.Add(s.key, v)
	})
	s.all = again
	return err
}

// splitFindingKey splits a key of the --all spool into the rule and what
// follows it.
func splitFindingKey(k []byte) (rule string, rest []byte, ok bool) {
	if len(k) < 1 {
		return "", nil, false
	}
	for i := 1; i < len(k); i++ {
		if k[i] == 0 {
			return string(k[1:i]), k[i+1:], true
		}
	}
	return "", nil, false
}

// EachFinding calls f with every finding the digest has, rule by rule in
// the order of [TableDigest.SortedRules], each rule's in report order:
// the examples it kept, or with no example limit in a digest the pipeline
// built, every finding from its spool (which is read once).
func (d *TableDigest) EachFinding(f func(rule string, fd *rules.Finding) error) error {
	if s := d.stream; s != nil && d.Limits.Examples <= 0 {
		if s.allRead {
			return errors.New("analyze: the table digest's findings were read already")
		}
		s.allRead = true
		all := s.all
		s.all = nil
		return all.Each(func(k, v []byte) error {
			rule, _, ok := splitFindingKey(k)
			if !ok {
				return errTableRecord
			}
			var fd rules.Finding
			if err := json.Unmarshal(v, &fd); err != nil {
				return fmt.Errorf("%w: %v", errTableRecord, err)
			}
			return f(rule, &fd)
		})
	}
	for _, g := range d.SortedRules() {
		for i := range g.Examples {
			if err := f(g.Rule, &g.Examples[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// EachDialog calls f with each dialog kept, in ID order. With no dialog
// limit in a digest the pipeline built, it reads every dialog from the
// spool (once), a long one in parts of at most ladderPart rows, and
// counts Dialogs and Problems as it goes.
func (d *TableDigest) EachDialog(f func(TableDialog) error) error {
	if d.stream != nil && d.Limits.Dialogs <= 0 {
		return d.pass(f)
	}
	for _, dd := range d.Kept {
		if err := f(dd); err != nil {
			return err
		}
	}
	return nil
}

// pass reads the rows spool, dialog by dialog, with the capture-wide
// findings' counts added to their messages' rows: with yield nil it keeps
// the dialogs as [TableDigest.AddDialog] does; else it hands every dialog
// to yield, a long one in parts when there is no row limit, and keeps
// none.
func (d *TableDigest) pass(yield func(TableDialog) error) error {
	s := d.stream
	if s.rows == nil {
		return errors.New("analyze: the table digest's dialogs were read already")
	}
	rows := s.rows
	s.rows = nil
	var (
		cur   TableDialog
		have  bool
		b     ladderBuilder
		parts int
	)
	end := func() error {
		if !have {
			return nil
		}
		dd := d.addBuilt(cur, &b, yield == nil)
		if yield == nil || (parts > 0 && len(dd.Rows) == 0) {
			return nil
		}
		dd.Continued = parts > 0
		return yield(dd)
	}
	err := rows.Each(func(k, v []byte) error {
		if len(k) != rowKeyLen {
			return errTableRecord
		}
		id := int(binary.BigEndian.Uint64(k))
		if !have || id != cur.ID {
			if err := end(); err != nil {
				return err
			}
			cur, have, b, parts = TableDialog{ID: id}, true, newLadderBuilder(d.Limits.LadderRows), 0
		}
		if k[8] == recHeader {
			return s.decodeHeader(v, &cur)
		}
		r, c, err := s.decodeRow(v)
		if err != nil {
			return err
		}
		mc := s.capture[int(binary.BigEndian.Uint64(k[9:]))]
		b.add(r, c.bad+mc.bad, c.warn+mc.warn)
		if yield != nil && d.Limits.LadderRows <= 0 && len(b.rows) >= ladderPart {
			dd := cur
			dd.Rows, dd.Messages, dd.Continued = b.rows, b.n, parts > 0
			b.rows = nil
			parts++
			return yield(dd)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return end()
}

// Close removes what the digest still holds on disk (a digest whose
// dialogs or findings were never read); a digest made from a kept report
// holds nothing.
func (d *TableDigest) Close() error {
	s := d.stream
	if s == nil {
		return nil
	}
	var errs []error
	for _, sp := range []*spool.Spool{s.rows, s.all} {
		if sp != nil {
			errs = append(errs, sp.Close())
		}
	}
	s.rows, s.all = nil, nil
	return errors.Join(errs...)
}

func rowKey(k []byte, dialog, kind int, n uint64) []byte {
	k = binary.BigEndian.AppendUint64(k, uint64(dialog))
	k = append(k, byte(kind))
	return binary.BigEndian.AppendUint64(k, n)
}

// appendHeader encodes what a ladder's heading shows of dialog d.
func appendHeader(b []byte, d *match.Dialog) []byte {
	b = record.AppendString(b, d.Method)
	for _, ids := range [][]string{d.CallIDsLAN, d.CallIDsWAN} {
		b = binary.AppendUvarint(b, uint64(len(ids)))
		for _, id := range ids {
			b = record.AppendString(b, id)
		}
	}
	return b
}

func (s *tableStream) decodeHeader(v []byte, dd *TableDialog) error {
	r := recReader{record.NewReader(v)}
	dd.Method = r.str(nil)
	for _, ids := range []*[]string{&dd.CallIDsLAN, &dd.CallIDsWAN} {
		n := r.Uvarint()
		if n > uint64(r.Len()) { // each takes a byte at least
			return errTableRecord
		}
		*ids = nil
		for range n {
			*ids = append(*ids, r.str(nil))
		}
	}
	return r.done()
}

// appendRow encodes the ladder row of m with its counts c.
func appendRow(b []byte, m *match.Message, c msgCounts) []byte {
	b = binary.AppendVarint(b, m.TS)
	b = record.AppendString(b, m.Direction)
	b = appendOptInt(b, m.LANFrame)
	b = appendOptInt(b, m.WANFrame)
	b = record.AppendString(b, m.Method)
	b = appendOptInt(b, m.Status)
	b = record.AppendString(b, m.State)
	b = binary.AppendUvarint(b, uint64(m.ChangedFields))
	retx := byte(0)
	if m.Retransmission {
		retx = 1
	}
	b = append(b, retx)
	b = binary.AppendUvarint(b, uint64(c.bad))
	return binary.AppendUvarint(b, uint64(c.warn))
}

func (s *tableStream) decodeRow(v []byte) (LadderRow, msgCounts, error) {
	r := recReader{record.NewReader(v)}
	var row LadderRow
	var c msgCounts
	row.TS = r.Varint()
	row.Direction = r.str(s.intern)
	row.LANFrame = r.optInt()
	row.WANFrame = r.optInt()
	row.Method = r.str(s.intern)
	row.Status = r.optInt()
	row.State = r.str(s.intern)
	row.ChangedFields = int(r.Uvarint())
	row.Retransmission = r.Byte() == 1
	c.bad, c.warn = int(r.Uvarint()), int(r.Uvarint())
	return row, c, r.done()
}

// appendOptInt encodes p as 0 for nil, else 1 and its value.
func appendOptInt(b []byte, p *int) []byte {
	if p == nil {
		return append(b, 0)
	}
	return binary.AppendVarint(append(b, 1), int64(*p))
}

// recReader decodes a table record.
type recReader struct{ record.Reader }

// str decodes a string, shared through intern (when not nil) with the
// rows before it.
func (r *recReader) str(intern map[string]string) string {
	raw := r.Bytes()
	if intern == nil {
		return string(raw)
	}
	if s, ok := intern[string(raw)]; ok {
		return s
	}
	s := string(raw)
	if len(intern) < maxInterned {
		intern[s] = s
	}
	return s
}

func (r *recReader) optInt() *int {
	if r.Byte() == 0 {
		return nil
	}
	v := int(r.Varint())
	return &v
}

// done reports whether the record decoded whole.
func (r *recReader) done() error {
	if !r.Done() {
		return errTableRecord
	}
	return nil
}
