package main

// The HTML report of a streamed analysis (sipalg analyze --format html):
// memory flat in the messages, dialogs and findings, and the page byte
// for byte the one renderHTML makes of the report kept whole.
//
// htmlSink takes each batch as the pipeline judges it (analyze.Sink) and
// encodes what the page needs of every message while its parsed form is
// at hand: the head of its entry, the text of each side split at its
// changes, the heads of its changes, its findings. These go to a spool by
// message ID, and a row per message (time, state, verdicts, text size)
// to a spool by dialog. Writing the page then takes two passes:
//
//   - the dialogs, in ID order, from the rows with the capture-wide
//     findings added: each dialog's entry goes to a temporary file, and
//     the messages of dialogs with problems (whose texts come first in
//     the raw budget, see buildHTMLData) to a spool by message ID;
//   - the messages, in ID order, beside that spool: each entry is written
//     to the page with its texts within the budget and its findings,
//     numbered in report order (a message's findings follow those of the
//     messages before it), and the findings to a second temporary file.
//
// The dialogs and the findings are then copied into the page. Strings
// taken from the captures are encoded to JSON once, as renderHTML does:
// the records hold JSON fragments and raw bytes, never JSON decoded and
// encoded again (a byte that is not UTF-8 would come back as U+FFFD).

import (
	"github.com/sipalg/sipalg/analyze/record"

	"bufio"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/sipalg/sipalg/analyze"
	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/sipmsg"
	"github.com/sipalg/sipalg/analyze/spool"
	"github.com/sipalg/sipalg/rules"
)

// Record kinds of the rows spool, after the dialog ID in the key: a
// dialog's headers (one a batch, the last one holds) sort before its rows.
const (
	htmlRecHeader = 0
	htmlRecRow    = 1
)

// htmlIDsInMemory bounds the message IDs of one dialog held while its
// entry is written; a longer dialog's go to a temporary file.
const htmlIDsInMemory = 1 << 14

var errHTMLRecord = errors.New("html: damaged spool record")

// htmlSink builds the HTML report as the dialogs are judged; see the top
// of this file.
type htmlSink struct {
	dir    string
	budget int
	// rawBudget bounds the text of all messages together
	// (maxHTMLRawBytes).
	rawBudget int
	msgs      *spool.Spool // message entries, by message ID
	rows      *spool.Spool // dialog headers and message rows, by dialog
	loose     *spool.Spool // findings about no message, in report order
	// capture holds the capture-wide findings about a message, by
	// message ID, in report order.
	capture map[int][]htmlFinding
	tally   htmlTally
	firstTS int64
	batches uint64
	key     []byte
	val     []byte
	err     error
	files   []*os.File // temporary files, removed by close
}

// htmlFinding is a finding as the page lists it (its JSON) with what
// orders and groups it.
type htmlFinding struct {
	json                 []byte
	field, rule, verdict string
}

func newHTMLSink(dir string, budget int) *htmlSink {
	return &htmlSink{dir: dir, budget: budget, rawBudget: maxHTMLRawBytes,
		msgs: spool.New(dir, budget), rows: spool.New(dir, budget), loose: spool.New(dir, budget),
		capture: map[int][]htmlFinding{}, tally: newHTMLTally()}
}

// Batch takes one judged batch (analyze.Sink).
func (s *htmlSink) Batch(b *match.Batch, fs []rules.Finding) error {
	byMsg := map[int][]htmlFinding{}
	if err := s.takeFindings(fs, byMsg); err != nil {
		return err
	}
	s.batches++
	s.key = htmlRowKey(s.key[:0], b.Dialog.ID, htmlRecHeader, s.batches)
	s.val = appendDialogHeader(s.val[:0], &b.Dialog)
	s.add(s.rows)
	for i := range b.Messages {
		m := &b.Messages[i]
		s.tally.message(m)
		if m.TS != 0 && (s.firstTS == 0 || m.TS < s.firstTS) {
			s.firstTS = m.TS
		}
		mfs := byMsg[m.ID]
		s.key = htmlRowKey(s.key[:0], b.Dialog.ID, htmlRecRow, uint64(m.ID))
		s.val = appendMessageRow(s.val[:0], m, mfs)
		s.add(s.rows)
		val, err := appendMessageRecord(s.val[:0], m, mfs)
		if err != nil {
			return err
		}
		s.key = binary.BigEndian.AppendUint64(s.key[:0], uint64(m.ID))
		s.val = val
		s.add(s.msgs)
	}
	return s.err
}

// takeFindings counts fs, lists those of no message as loose and files
// the others in byMsg under their message.
func (s *htmlSink) takeFindings(fs []rules.Finding, byMsg map[int][]htmlFinding) error {
	for i := range fs {
		f := &fs[i]
		s.tally.finding(f)
		hf, err := htmlFindingOf(f)
		if err != nil {
			return err
		}
		if f.MessageID == nil {
			s.addLoose(hf)
			continue
		}
		byMsg[*f.MessageID] = append(byMsg[*f.MessageID], hf)
	}
	return nil
}

// Finish takes the capture-wide findings (analyze.Sink).
func (s *htmlSink) Finish(capFs []rules.Finding) error {
	if err := s.takeFindings(capFs, s.capture); err != nil {
		return err
	}
	return s.err
}

func htmlFindingOf(f *rules.Finding) (htmlFinding, error) {
	b, err := json.Marshal(f)
	return htmlFinding{json: b, field: f.Field, rule: f.Rule, verdict: string(f.Verdict)}, err
}

// addLoose spools a finding about no message: those come last in report
// order, by field and rule (rules.CompareFindings), in the order they came.
func (s *htmlSink) addLoose(f htmlFinding) {
	s.key = append(append(append(s.key[:0], f.field...), 0), f.rule...)
	s.val = f.json
	s.add(s.loose)
}

func (s *htmlSink) add(sp *spool.Spool) {
	if s.err == nil {
		s.err = sp.Add(s.key, s.val)
	}
}

// close removes the spools and temporary files still there.
func (s *htmlSink) close() error {
	var errs []error
	for _, sp := range []*spool.Spool{s.msgs, s.rows, s.loose} {
		errs = append(errs, sp.Close())
	}
	for _, f := range s.files {
		errs = append(errs, f.Close(), os.Remove(f.Name()))
	}
	s.files = nil
	return errors.Join(errs...)
}

// tempFile returns a new temporary file, removed by close.
func (s *htmlSink) tempFile() (*os.File, error) {
	f, err := os.CreateTemp(s.dir, "sipalg-html-*")
	if err != nil {
		return nil, err
	}
	s.files = append(s.files, f)
	return f, nil
}

// render writes the page of rep, the summary of the analysis that fed s.
// The spools are read once: render can be called once.
func (s *htmlSink) render(w io.Writer, rep *analyze.Report) error {
	defer s.close()
	if s.err != nil {
		return s.err
	}
	origin := reportOrigin(rep)
	if t := time.Unix(0, s.firstTS).UTC(); s.firstTS != 0 && (origin.IsZero() || t.Before(origin)) {
		origin = t
	}
	dialogs, err := s.tempFile()
	if err != nil {
		return err
	}
	problems := spool.New(s.dir, s.budget)
	defer problems.Close()
	problemRaw, err := s.writeDialogs(dialogs, problems, rep, origin)
	if err != nil {
		return err
	}
	page, err := buildHTMLPage(rep, origin, s.tally)
	if err != nil {
		return err
	}
	return writeHTMLPage(w, page, func(bw *bufio.Writer) error {
		head, err := json.Marshal(struct {
			Origin  string  `json:"origin"`
			OffsetS float64 `json:"offset_s"`
		}{origin.Format(time.RFC3339Nano), rep.Clock.OffsetS})
		if err != nil {
			return err
		}
		bw.Write(head[:len(head)-1])
		bw.WriteString(`,"messages":[`)
		found, err := s.tempFile()
		if err != nil {
			return err
		}
		omitted, err := s.writeMessages(bw, found, problems, origin, problemRaw)
		if err != nil {
			return err
		}
		bw.WriteString(`],"dialogs":[`)
		if err := copyTemp(bw, dialogs); err != nil {
			return err
		}
		bw.WriteString(`],"findings":[`)
		if err := copyTemp(bw, found); err != nil {
			return err
		}
		n, err := found.Seek(0, io.SeekEnd)
		if err != nil {
			return err
		}
		err = s.loose.Each(func(_, v []byte) error {
			if n > 0 {
				bw.WriteByte(',')
			}
			n++
			_, err := bw.Write(v)
			return err
		})
		if err != nil {
			return err
		}
		tail, err := json.Marshal(struct {
			RawOmitted int  `json:"raw_omitted"`
			Away       bool `json:"away"`
		}{omitted, rep.Clock.Away()})
		if err != nil {
			return err
		}
		bw.WriteString("],")
		bw.Write(tail[1:])
		return bw.WriteByte('\n')
	})
}

// copyTemp writes what f holds to w.
func copyTemp(w io.Writer, f *os.File) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := io.Copy(w, f)
	return err
}

// writeDialogs reads the rows spool, a dialog at a time, and writes each
// dialog's entry to out (separated by commas), the IDs of the messages
// of dialogs with problems to problems, and returns the size of their
// texts. It counts the dialogs into the tally.
func (s *htmlSink) writeDialogs(out *os.File, problems *spool.Spool, rep *analyze.Report, origin time.Time) (problemRaw int, err error) {
	media := map[int][]htmlStream{}
	for _, m := range rep.Media {
		if m.Dialog != nil {
			media[*m.Dialog] = append(media[*m.Dialog], htmlStreamOf(&m, origin))
		}
	}
	ids, err := s.tempFile()
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	var (
		cur    htmlDialog
		have   bool
		opened bool // the entry is written up to its message IDs
		raw    int
		msgIDs = idList{file: ids}
		key    [8]byte
	)
	open := func() error {
		if opened {
			return nil
		}
		opened = true
		if s.tally.Counts.Dialogs > 0 {
			bw.WriteByte(',')
		}
		s.tally.Counts.Dialogs++
		cur.CallIDsLAN, cur.CallIDsWAN, cur.Tags = nonNil(cur.CallIDsLAN), nonNil(cur.CallIDsWAN), nonNil(cur.Tags)
		head, err := json.Marshal(cur.htmlDialogHead)
		if err != nil {
			return err
		}
		bw.Write(head[:len(head)-1])
		_, err = bw.WriteString(`,"messages":[`)
		return err
	}
	end := func() error {
		if !have {
			return nil
		}
		if err := open(); err != nil {
			return err
		}
		cur.Media = media[cur.ID]
		if cur.Media == nil {
			cur.Media = []htmlStream{}
		}
		tail, err := json.Marshal(cur.htmlDialogTail)
		if err != nil {
			return err
		}
		bw.WriteString("],")
		bw.Write(tail[1:])
		if cur.Dropped+cur.Generated+cur.Verdicts[string(rules.Bad)]+cur.Verdicts[string(rules.Warning)] > 0 {
			problemRaw += raw
			err = msgIDs.each(func(id int) error {
				binary.BigEndian.PutUint64(key[:], uint64(id))
				return problems.Add(key[:], nil)
			})
		}
		return err
	}
	err = s.rows.Each(func(k, v []byte) error {
		if len(k) != 17 {
			return errHTMLRecord
		}
		id := int(binary.BigEndian.Uint64(k))
		if !have || id != cur.ID {
			if err := end(); err != nil {
				return err
			}
			cur = htmlDialog{htmlDialogHead: htmlDialogHead{ID: id}, htmlDialogTail: htmlDialogTail{Verdicts: map[string]int{}}}
			have, opened, raw = true, false, 0
			if err := msgIDs.reset(); err != nil {
				return err
			}
		}
		if k[8] == htmlRecHeader {
			return decodeDialogHeader(v, &cur.htmlDialogHead)
		}
		if err := open(); err != nil {
			return err
		}
		r := htmlReader{record.NewReader(v)}
		mid := int(binary.BigEndian.Uint64(k[9:]))
		ts := r.Varint()
		state := string(r.Bytes())
		raw += int(r.Uvarint())
		n := r.Uvarint()
		for range min(n, uint64(r.Len())) {
			cur.Verdicts[string(r.Bytes())]++
		}
		if err := r.done(); err != nil {
			return err
		}
		for _, f := range s.capture[mid] {
			cur.Verdicts[f.verdict]++
		}
		var t float64
		if ts != 0 {
			t = float64(ts-origin.UnixNano()) / 1e9
		}
		if msgIDs.n == 0 || t < cur.T0 {
			cur.T0 = t
		}
		cur.T1 = max(cur.T1, t)
		switch state {
		case match.Dropped:
			cur.Dropped++
		case match.Generated:
			cur.Generated++
		}
		if msgIDs.n > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString(strconv.Itoa(mid))
		return msgIDs.add(mid)
	})
	if err == nil {
		err = end()
	}
	if err == nil {
		err = bw.Flush()
	}
	return problemRaw, err
}

// idList holds the message IDs of one dialog: the first htmlIDsInMemory
// in memory, the rest in a temporary file.
type idList struct {
	n    int
	mem  []int
	file *os.File
	w    *bufio.Writer
}

func (l *idList) reset() error {
	l.n, l.mem = 0, l.mem[:0]
	if l.w == nil {
		return nil
	}
	l.w = nil
	if _, err := l.file.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return l.file.Truncate(0)
}

func (l *idList) add(id int) error {
	l.n++
	if len(l.mem) < htmlIDsInMemory {
		l.mem = append(l.mem, id)
		return nil
	}
	if l.w == nil {
		l.w = bufio.NewWriter(l.file)
	}
	_, err := l.w.Write(binary.AppendUvarint(nil, uint64(id)))
	return err
}

func (l *idList) each(f func(int) error) error {
	for _, id := range l.mem {
		if err := f(id); err != nil {
			return err
		}
	}
	if l.w == nil {
		return nil
	}
	if err := l.w.Flush(); err != nil {
		return err
	}
	if _, err := l.file.Seek(0, io.SeekStart); err != nil {
		return err
	}
	r := bufio.NewReader(l.file)
	for range l.n - len(l.mem) {
		id, err := binary.ReadUvarint(r)
		if err != nil {
			return err
		}
		if err := f(int(id)); err != nil {
			return err
		}
	}
	return nil
}

// errPullStopped ends the read of the problems spool early.
var errPullStopped = errors.New("html: stopped")

// writeMessages reads the message entries in ID order and writes each to
// w (separated by commas) with its texts within the raw budget (those of
// the messages in problems first) and its findings, whose JSON goes to
// found; it returns how many texts were left out.
func (s *htmlSink) writeMessages(w *bufio.Writer, found *os.File, problems *spool.Spool, origin time.Time, problemRaw int) (omitted int, err error) {
	problemBudget := min(problemRaw, s.rawBudget)
	restBudget := s.rawBudget - problemBudget
	var perr error
	next, stop := iter.Pull(func(yield func(int) bool) {
		perr = problems.Each(func(k, _ []byte) error {
			if len(k) != 8 {
				return errHTMLRecord
			}
			if !yield(int(binary.BigEndian.Uint64(k))) {
				return errPullStopped
			}
			return nil
		})
	})
	defer stop()
	pid, pok := next()
	fw := bufio.NewWriterSize(found, 64<<10)
	out := &jsonOut{w: w}
	base, first := 0, true
	var fs []htmlFinding
	var idx []int
	err = s.msgs.Each(func(k, v []byte) error {
		if len(k) != 8 {
			return errHTMLRecord
		}
		id := int(binary.BigEndian.Uint64(k))
		for pok && pid < id {
			pid, pok = next()
		}
		budget := &restBudget
		if pok && pid == id {
			budget = &problemBudget
		}
		r := htmlReader{record.NewReader(v)}
		head := r.Bytes()
		ts := r.Varint()
		if len(head) == 0 || head[len(head)-1] != '}' {
			return errHTMLRecord
		}
		if !first {
			w.WriteByte(',')
		}
		first = false
		w.Write(head[:len(head)-1])
		var t float64
		if ts != 0 {
			t = float64(ts-origin.UnixNano()) / 1e9
		}
		w.WriteString(`,"t":`)
		out.put(t)
		for _, side := range []string{`,"lan":`, `,"wan":`} {
			w.WriteString(side)
			if r.Byte() == 0 {
				w.WriteString("null")
				continue
			}
			text, cut, size, raw := r.Bytes(), r.Byte() == 1, int(r.Uvarint()), int(r.Uvarint())
			if raw > *budget {
				omitted++
				out.put(htmlText{Segs: []htmlSeg{}, Cut: cut, Omitted: true, Bytes: size})
				continue
			}
			*budget -= raw
			w.Write(text)
		}
		nch := r.Uvarint()
		type change struct {
			head  []byte
			field string
		}
		chs := make([]change, 0, min(nch, uint64(r.Len())))
		for range min(nch, uint64(r.Len())) {
			chs = append(chs, change{r.Bytes(), string(r.Bytes())})
		}
		fs = fs[:0]
		nf := r.Uvarint()
		for range min(nf, uint64(r.Len())) {
			fs = append(fs, htmlFinding{json: r.Bytes(), field: string(r.Bytes()), rule: string(r.Bytes()), verdict: string(r.Bytes())})
		}
		if err := r.done(); err != nil {
			return err
		}
		// In report order: by field and rule, the batch's findings
		// before the capture-wide ones where those are equal.
		fs = append(fs, s.capture[id]...)
		slices.SortStableFunc(fs, func(a, b htmlFinding) int { return cmp.Or(cmp.Compare(a.field, b.field), cmp.Compare(a.rule, b.rule)) })
		w.WriteString(`,"changes":[`)
		for ci, c := range chs {
			if ci > 0 {
				w.WriteByte(',')
			}
			if len(c.head) == 0 || c.head[len(c.head)-1] != '}' {
				return errHTMLRecord
			}
			w.Write(c.head[:len(c.head)-1])
			idx = idx[:0]
			worst := ""
			for k := range fs {
				if fs[k].field != "" && fs[k].field == c.field {
					idx = append(idx, base+k)
					worst = worse(worst, fs[k].verdict)
				}
			}
			w.WriteString(`,"verdict":`)
			out.put(worst)
			w.WriteString(`,"findings":`)
			out.put(nonNilInts(idx))
			w.WriteByte('}')
		}
		idx = idx[:0]
		worst := ""
		for k := range fs {
			idx = append(idx, base+k)
			worst = worse(worst, fs[k].verdict)
			if base+k > 0 {
				fw.WriteByte(',')
			}
			fw.Write(fs[k].json)
		}
		base += len(fs)
		w.WriteString(`],"findings":`)
		out.put(nonNilInts(idx))
		w.WriteString(`,"worst":`)
		out.put(worst)
		w.WriteByte('}')
		return out.err
	})
	stop()
	if err == nil && perr != nil && !errors.Is(perr, errPullStopped) {
		err = perr
	}
	if err == nil {
		err = fw.Flush()
	}
	return omitted, err
}

// worse returns the worse of the verdicts a (possibly "", none yet) and
// b, as withFindings ranks them.
func worse(a, b string) string {
	if a == "" || rules.Verdict(b).Rank() > rules.Verdict(a).Rank() {
		return b
	}
	return a
}

func nonNilInts(s []int) []int {
	if s == nil {
		return []int{}
	}
	return s
}

// jsonOut writes JSON values to w as json.Encoder writes them inside the
// page's data block, keeping the first error.
type jsonOut struct {
	w   *bufio.Writer
	err error
}

func (o *jsonOut) put(v any) {
	if o.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		o.err = err
		return
	}
	_, o.err = o.w.Write(b)
}

// htmlStreamOf is a dialog's RTP stream as its ladder draws it.
func htmlStreamOf(m *rules.MediaStream, origin time.Time) htmlStream {
	hs := htmlStream{SSRC: m.SSRC, Dir: m.Direction, Entered: m.Entered, Left: m.Left, Lost: m.LostAtRouter,
		LossPct: m.LossPct, MaxBurst: m.MaxLossBurst, Stopped: m.StoppedCrossing, OneWay: m.OneWay,
		JitterMS: m.JitterAddedMS, T0: float64(m.FirstSeen.UnixNano()-origin.UnixNano()) / 1e9,
		T1: float64(m.LastSeen.UnixNano()-origin.UnixNano()) / 1e9}
	if m.RouterDelay != nil {
		hs.DelayP99, hs.HasDelays = m.RouterDelay.P99, true
	}
	return hs
}

func htmlRowKey(k []byte, dialog, kind int, n uint64) []byte {
	k = binary.BigEndian.AppendUint64(k, uint64(dialog))
	k = append(k, byte(kind))
	return binary.BigEndian.AppendUint64(k, n)
}

// appendDialogHeader encodes what a dialog's entry takes from the dialog.
func appendDialogHeader(b []byte, d *match.Dialog) []byte {
	b = record.AppendBytes(b, []byte(d.Method))
	for _, list := range [][]string{d.CallIDsLAN, d.CallIDsWAN, d.Tags} {
		b = binary.AppendUvarint(b, uint64(len(list)))
		for _, s := range list {
			b = record.AppendBytes(b, []byte(s))
		}
	}
	return b
}

func decodeDialogHeader(v []byte, h *htmlDialogHead) error {
	r := htmlReader{record.NewReader(v)}
	h.Method = string(r.Bytes())
	for _, list := range []*[]string{&h.CallIDsLAN, &h.CallIDsWAN, &h.Tags} {
		n := r.Uvarint()
		*list = make([]string, 0, min(n, uint64(r.Len())))
		for range min(n, uint64(r.Len())) {
			*list = append(*list, string(r.Bytes()))
		}
	}
	return r.done()
}

// appendMessageRow encodes the row of m in its dialog: time, state, the
// size of its texts and the verdicts of its findings fs.
func appendMessageRow(b []byte, m *match.Message, fs []htmlFinding) []byte {
	b = binary.AppendVarint(b, m.TS)
	b = record.AppendBytes(b, []byte(m.State))
	b = binary.AppendUvarint(b, uint64(rawLen(m.LAN)+rawLen(m.WAN)))
	b = binary.AppendUvarint(b, uint64(len(fs)))
	for _, f := range fs {
		b = record.AppendBytes(b, []byte(f.verdict))
	}
	return b
}

// appendMessageRecord encodes m's entry as far as m alone decides it:
// the JSON of its head, its time, each side's text (JSON, whether cut,
// its size and the size the budget counts), its changes' heads (JSON)
// and fields, and its findings fs.
func appendMessageRecord(b []byte, m *match.Message, fs []htmlFinding) ([]byte, error) {
	hm, lanSpans, wanSpans := htmlMessageOf(m, time.Time{})
	head, err := json.Marshal(hm.htmlMessageHead)
	if err != nil {
		return nil, err
	}
	b = record.AppendBytes(b, head)
	b = binary.AppendVarint(b, m.TS)
	for _, side := range []struct {
		m     *sipmsg.Message
		spans []markSpan
	}{{m.LAN, lanSpans}, {m.WAN, wanSpans}} {
		if side.m == nil {
			b = append(b, 0)
			continue
		}
		unlimited := maxHTMLRawBytes
		t := textOf(side.m, side.spans, &unlimited, new(int))
		text, err := json.Marshal(t)
		if err != nil {
			return nil, err
		}
		b = append(b, 1)
		b = record.AppendBytes(b, text)
		cut := byte(0)
		if t.Cut {
			cut = 1
		}
		b = append(b, cut)
		b = binary.AppendUvarint(b, uint64(t.Bytes))
		b = binary.AppendUvarint(b, uint64(rawLen(side.m)))
	}
	b = binary.AppendUvarint(b, uint64(len(hm.Changes)))
	for _, c := range hm.Changes {
		ch, err := json.Marshal(c.htmlChangeHead)
		if err != nil {
			return nil, err
		}
		b = record.AppendBytes(b, ch)
		b = record.AppendBytes(b, []byte(c.Field))
	}
	b = binary.AppendUvarint(b, uint64(len(fs)))
	for _, f := range fs {
		for _, s := range [][]byte{f.json, []byte(f.field), []byte(f.rule), []byte(f.verdict)} {
			b = record.AppendBytes(b, s)
		}
	}
	return b, nil
}

// htmlReader decodes a page record.
type htmlReader struct{ record.Reader }

func (r *htmlReader) done() error {
	if !r.Done() {
		return errHTMLRecord
	}
	return nil
}
