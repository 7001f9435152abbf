package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/sipalg/sipalg/analyze"
	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/spool"
	"github.com/sipalg/sipalg/rules"
)

// maxCommentValue bounds a before/after value quoted in a packet comment:
// Wireshark shows comments on one line of the packet tree, and a whole
// rewritten SDP body belongs in the HTML report, not there.
const maxCommentValue = 160

// notes gathers the annotated capture's packet comments as the analysis
// judges (an [analyze.Tap]): one line per finding on the frames of its
// message, a line for every SIP message the router dropped or generated,
// the media lines of each RTP stream's losses; the report keeps none of
// these (analyze.Options.Stream). Each side's lines are spooled by frame
// and read back in frame order as the captures are merged, so memory
// stays flat in the messages and findings (issue 15: kept whole, the
// 73k SIP-heavy pair's annotation took 850 MB).
//
// A line's key is its frame, then what orders the lines of one frame:
// the message lines by message, then the findings' (by their sort key),
// then the media lines by row, then the other packets' by their place in
// the report. A message line is stored without its first words, which
// depend on the clock (see oneSided), known once the report is.
type notes struct {
	side          [2]*spool.Spool // lan, wan
	frameless     *spool.Spool    // findings on no frame, by sort key: the section comment
	key, val, sub []byte          // scratch for a line's key, its text, a finding's sort key
	// kinds are the change kinds of the batch being taken, by message
	// and field (see findingLine).
	kinds map[msgField]fielddiff.Kind
}

// msgField names a field of a message, by the message's ID.
type msgField struct {
	msg   int
	field string
}

// Classes of note lines, in the order a frame's lines come.
const (
	noteMessage = iota
	noteFinding
	noteMedia
	noteUnpaired
)

func newNotes(dir string, budget int) *notes {
	return &notes{
		side:      [2]*spool.Spool{spool.New(dir, budget), spool.New(dir, budget)},
		frameless: spool.New(dir, budget),
		kinds:     map[msgField]fielddiff.Kind{},
	}
}

// close frees the spools.
func (n *notes) close() {
	for _, s := range []*spool.Spool{n.side[0], n.side[1], n.frameless} {
		s.Close()
	}
}

// add spools line for frame (none when nil or not positive) of side
// (0 lan, 1 wan), ordered among the frame's by class and then sub.
func (n *notes) add(side int, frame *int, class byte, sub []byte, line string) error {
	if frame == nil || *frame <= 0 {
		return nil
	}
	n.key = binary.BigEndian.AppendUint64(n.key[:0], uint64(*frame))
	n.key = append(n.key, class)
	n.key = append(n.key, sub...)
	n.val = append(n.val[:0], line...)
	return n.side[side].Add(n.key, n.val)
}

// Batch takes a judged dialog's one-sided messages and findings.
func (n *notes) Batch(b *match.Batch, fs []rules.Finding) error {
	clear(n.kinds)
	var sub [8]byte
	for i := range b.Messages {
		m := &b.Messages[i]
		for _, c := range m.Changes {
			n.kinds[msgField{m.ID, c.Field}] = c.Kind
		}
		if m.State != match.Dropped && m.State != match.Generated && m.State != match.Outside {
			continue
		}
		binary.BigEndian.PutUint64(sub[:], uint64(m.ID))
		line := m.State + "\x00" + unpairedRest(m)
		if err := n.add(0, m.LANFrame, noteMessage, sub[:], line); err != nil {
			return err
		}
		if err := n.add(1, m.WANFrame, noteMessage, sub[:], line); err != nil {
			return err
		}
	}
	for i := range fs {
		if err := n.Finding(&fs[i]); err != nil {
			return err
		}
	}
	clear(n.kinds)
	return nil
}

// Finding takes a finding: on its frames, or in the section comment.
// Its change kind is known for a finding of the batch being taken; the
// capture's findings are on no change of a message.
func (n *notes) Finding(f *rules.Finding) error {
	var kind fielddiff.Kind
	if f.MessageID != nil {
		kind = n.kinds[msgField{*f.MessageID, f.Field}]
	}
	n.sub = f.SortKey(n.sub[:0])
	if f.LANFrame == nil && f.WANFrame == nil {
		return n.frameless.Add(n.sub, []byte(findingLine(f, 0)))
	}
	line := findingLine(f, kind)
	if err := n.add(0, f.LANFrame, noteFinding, n.sub, line); err != nil {
		return err
	}
	return n.add(1, f.WANFrame, noteFinding, n.sub, line)
}

// Media takes a media row: the first RTP packet lost after each stretch
// that crossed, and the first of a tail that never crossed again.
func (n *notes) Media(i int, m *rules.MediaStream) error {
	s := m.Stream
	if s == nil {
		return nil
	}
	side := 0
	if m.Direction == "inbound" {
		side = 1
	}
	var sub [16]byte
	binary.BigEndian.PutUint64(sub[:8], uint64(i))
	for k, fr := range s.GapFrames {
		binary.BigEndian.PutUint64(sub[8:], uint64(k))
		if err := n.add(side, &fr, noteMedia, sub[:], fmt.Sprintf("MEDIA: RTP %s (%s) lost at the router from here: loss gap %d of %d, %d packet(s) of %d lost in all",
			m.SSRC, m.Direction, k+1, s.Gaps, m.LostAtRouter, m.Entered)); err != nil {
			return err
		}
	}
	if m.StoppedCrossing > 0 && m.Left > m.Duplicated {
		binary.BigEndian.PutUint64(sub[8:], uint64(len(s.GapFrames)))
		tf := s.TailFrame
		return n.add(side, &tf, noteMedia, sub[:], fmt.Sprintf("MEDIA: RTP %s (%s) stopped crossing the router here: none of the last %d packets left it",
			m.SSRC, m.Direction, m.StoppedCrossing))
	}
	return nil
}

// unpaired takes the report's list of packets seen on one side only
// (bounded; the SIP messages among them are the message lines).
func (n *notes) unpaired(rep *analyze.Report) error {
	var sub [8]byte
	for i, u := range rep.Unpaired {
		if u.Kind == correlate.KindSIP {
			continue
		}
		side := 0
		if u.Side == correlate.SideWAN {
			side = 1
		}
		binary.BigEndian.PutUint64(sub[:], uint64(i))
		frame := u.Frame
		if err := n.add(side, &frame, noteUnpaired, sub[:], fmt.Sprintf("%s: %s %s %s → %s", oneSided(rep, u.State), u.Kind, u.Direction, u.Src, u.Dst)); err != nil {
			return err
		}
	}
	return nil
}

// frameNotes reads one side's lines back in frame order.
type frameNotes struct {
	rep  *analyze.Report
	next func() ([]byte, []byte, bool)
	stop func()
	err  error
	// key and val are the next line's, ok when there is one.
	key, val []byte
	ok       bool
	lines    []string
}

func (n *notes) reader(side int, rep *analyze.Report) *frameNotes {
	fn := &frameNotes{rep: rep}
	sp := n.side[side]
	fn.next, fn.stop = iter.Pull2(func(yield func(k, v []byte) bool) {
		err := sp.EachTransient(func(k, v []byte) error {
			if !yield(k, v) {
				return errStopNotes
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStopNotes) {
			fn.err = err
		}
	})
	fn.key, fn.val, fn.ok = fn.next()
	return fn
}

var errStopNotes = errors.New("stop")

// at returns the lines of frame (a frame after the last one asked),
// each once, valid until the next call.
func (fn *frameNotes) at(frame int) ([]string, error) {
	fn.lines = fn.lines[:0]
	for fn.ok {
		f := int(binary.BigEndian.Uint64(fn.key))
		if f > frame {
			break
		}
		if f == frame {
			line := string(fn.val)
			if fn.key[8] == noteMessage {
				state, rest, _ := strings.Cut(line, "\x00")
				line = oneSided(fn.rep, state) + rest
			}
			if !slices.Contains(fn.lines, line) {
				fn.lines = append(fn.lines, line)
			}
		}
		fn.key, fn.val, fn.ok = fn.next()
	}
	return fn.lines, fn.err
}

// stateText says what a one-sided state means in a packet comment.
func stateText(state string) string {
	if state == match.Outside {
		return "outside the other capture's time (not shown dropped or generated)"
	}
	return state + " by the router"
}

// unpairedRest is what follows the state in the line of a SIP message
// seen on one side only (see oneSided).
func unpairedRest(m *match.Message) string {
	what := m.Method
	if m.Status != nil {
		what = fmt.Sprintf("%d %s", *m.Status, m.Method)
	}
	s := fmt.Sprintf(": %s %s (message %d", m.Direction, what, m.ID)
	if m.Retransmission {
		s += ", retransmission"
	}
	return s + ")"
}

// findingLine is "RULE verdict field: before → after", or the first
// sentence of the explanation for a finding about no field. kind is the
// change the finding is about (0 when none), to tell an absent value,
// "(none)", from an empty one, "".
func findingLine(f *rules.Finding, kind fielddiff.Kind) string {
	if f.Before == "" && f.After == "" && (f.Field == "" || kind == 0) {
		expl, _, _ := strings.Cut(f.Explanation, ". ")
		return fmt.Sprintf("%s %s: %s", f.Rule, f.Verdict, commentValue(expl, 2*maxCommentValue))
	}
	before, after := commentValue(f.Before, maxCommentValue), commentValue(f.After, maxCommentValue)
	if f.Before == "" && kind != fielddiff.Added {
		before = `""`
	}
	if f.After == "" && kind != fielddiff.Removed {
		after = `""`
	}
	return fmt.Sprintf("%s %s %s: %s → %s", f.Rule, f.Verdict, f.Field, before, after)
}

// commentValue makes v fit for a one-line comment: control characters and
// invalid UTF-8 escaped, cut to at most limit bytes with an ellipsis, and
// "(none)" for no value.
func commentValue(v string, limit int) string {
	if v == "" {
		return "(none)"
	}
	var b strings.Builder
	for i := 0; i < len(v); {
		r, n := utf8.DecodeRuneInString(v[i:])
		var piece string
		switch {
		case r == utf8.RuneError && n == 1:
			piece = fmt.Sprintf(`\x%02x`, v[i])
		case r == '\r':
			piece = `\r`
		case r == '\n':
			piece = `\n`
		case r < 0x20 || r == 0x7f:
			piece = fmt.Sprintf(`\x%02x`, r)
		default:
			piece = v[i : i+n]
		}
		if b.Len()+len(piece) > limit {
			b.WriteString("…")
			break
		}
		b.WriteString(piece)
		i += n
	}
	return b.String()
}

// writeAnnotatedSources writes the --annotate capture to path, with the
// comments n gathered in the analysis that made rep; the sources may be
// two interfaces of one file (--capture).
func writeAnnotatedSources(path string, rep *analyze.Report, n *notes, lan, wan capture.Source) (err error) {
	if st, e := os.Stat(path); e == nil {
		for _, in := range []string{lan.Path, wan.Path} {
			if si, e := os.Stat(in); e == nil && os.SameFile(st, si) {
				return fmt.Errorf("--annotate %s is an input capture; give a new file name", path)
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
		}
	}()
	return annotateSources(f, rep, n, lan, wan)
}

// annotateSources merges the two captures into one pcapng on w:
// interfaces named lan and wan (one per side and link type), packets in
// time order on the LAN clock with the WAN timestamps corrected by the
// report's clock offset and drift, original bytes, and the comments n
// gathered. It streams: one record per side is held at a time, and the
// comments of the frame it is at. The sources may be two interfaces of
// one file: each side reads only its interface, and frame numbers are
// the file's, as in the report. n is read once.
func annotateSources(w io.Writer, rep *analyze.Report, n *notes, lan, wan capture.Source) error {
	defer n.close()
	if err := n.unpaired(rep); err != nil {
		return err
	}
	section, err := sectionComment(rep, n, lan.String(), wan.String())
	if err != nil {
		return err
	}
	sides := [2]*mergeSide{
		{name: "lan", label: "LAN", src: lan, toLAN: func(ts int64) int64 { return ts }},
		{name: "wan", label: "WAN", src: wan, toLAN: wanToLAN(rep)},
	}
	for i, s := range sides {
		s.notes = n.reader(i, rep)
		defer s.notes.stop()
		var err error
		if s.r, err = capture.OpenSource(s.src); err != nil {
			return err
		}
		defer s.r.Close()
		s.ifaces = map[layers.LinkType]int{}
		if err := s.advance(); err != nil {
			return err
		}
	}
	next := func() *mergeSide {
		s := sides[0]
		if !s.ok || (sides[1].ok && sides[1].ts < s.ts) {
			s = sides[1]
		}
		return s
	}
	// pcapgo writes the section header and the first interface together:
	// that of the first packet, or of the LAN capture when neither side
	// has one.
	first := next()
	if !first.ok {
		first = sides[0]
		first.rec.LinkType = layers.LinkTypeEthernet
		if ifs := first.r.Interfaces(); len(ifs) > 0 {
			first.rec.LinkType = ifs[0].LinkType
		}
	}
	nw, err := pcapgo.NewNgWriterInterface(w, first.ngInterface(), pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{
		Application: "sipalg " + rep.Tool.Version,
		Comment:     ngOption(section),
	}})
	if err != nil {
		return err
	}
	first.ifaces[first.rec.LinkType] = 0
	for sides[0].ok || sides[1].ok {
		s := next()
		iface, err := s.iface(nw)
		if err != nil {
			return err
		}
		if s.ts < 0 {
			return fmt.Errorf("%s frame %d: timestamp %d ns is before 1970, which pcapng cannot hold", s.src, s.rec.Frame, s.ts)
		}
		comments, err := s.notes.at(s.rec.Frame)
		if err != nil {
			return err
		}
		for i, c := range comments {
			comments[i] = ngOption(c)
		}
		ci := gopacket.CaptureInfo{
			Timestamp:      time.Unix(0, s.ts),
			CaptureLength:  len(s.rec.Data),
			Length:         max(s.rec.OrigLen, len(s.rec.Data)),
			InterfaceIndex: iface,
		}
		if err := nw.WritePacketWithOptions(ci, s.rec.Data, pcapgo.NgPacketOptions{Comments: comments}); err != nil {
			return fmt.Errorf("%s frame %d: %w", s.src, s.rec.Frame, err)
		}
		if err := s.advance(); err != nil {
			return err
		}
	}
	return nw.Flush()
}

// ngMaxOption is the longest pcapng option value: its length field is 16
// bits, and pcapgo writes a longer one with its length cut, which makes a
// corrupt file.
const ngMaxOption = 0xffff

// ngOption cuts v at a UTF-8 boundary to fit one pcapng option.
func ngOption(v string) string {
	if len(v) <= ngMaxOption {
		return v
	}
	cut := ngMaxOption
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	return v[:cut]
}

// mergeSide is one input of the merge, positioned on its next record.
type mergeSide struct {
	name, label string
	src         capture.Source
	toLAN       func(int64) int64
	r           *capture.Reader
	rec         capture.Record
	ts          int64 // rec's time on the LAN clock
	ok          bool  // rec holds a record
	ifaces      map[layers.LinkType]int
	notes       *frameNotes
}

func (s *mergeSide) advance() error {
	err := s.r.Next(&s.rec)
	if errors.Is(err, io.EOF) {
		s.ok = false
		return nil
	}
	if err != nil {
		return err
	}
	s.ok, s.ts = true, s.toLAN(s.rec.TS)
	return nil
}

// iface returns the output interface of the current record's link type,
// declaring it on first use.
func (s *mergeSide) iface(nw *pcapgo.NgWriter) (int, error) {
	if id, ok := s.ifaces[s.rec.LinkType]; ok {
		return id, nil
	}
	id, err := nw.AddInterface(s.ngInterface())
	if err != nil {
		return 0, err
	}
	s.ifaces[s.rec.LinkType] = id
	return id, nil
}

// ngInterface describes the output interface of the current record's
// link type: "lan" for a side's first link type, "lan-<type>" (lan-raw,
// lan-linux_sll, lan-lt147) for any further one.
func (s *mergeSide) ngInterface() pcapgo.NgInterface {
	lt := s.rec.LinkType
	name := s.name
	if len(s.ifaces) > 0 {
		t := strings.ToLower(strings.ReplaceAll(lt.String(), " ", "_"))
		if strings.HasPrefix(t, "unknown") {
			t = fmt.Sprintf("lt%d", uint16(lt))
		}
		name += "-" + t
	}
	return pcapgo.NgInterface{
		Name:        ngOption(name),
		Description: ngOption(fmt.Sprintf("%s side of the router: %s", s.label, s.src)),
		LinkType:    lt,
	}
}

// wanToLAN converts WAN timestamps to the LAN clock with the report's
// clock model: wan = lan + offset + drift·(lan − t0), t0 the first LAN
// packet.
func wanToLAN(rep *analyze.Report) func(int64) int64 {
	off := rep.Clock.OffsetS * 1e9
	d := rep.Clock.DriftPPM * 1e-6
	var t0 int64
	if t, err := time.Parse(time.RFC3339Nano, rep.Inputs["lan"].FirstTS); err == nil {
		t0 = t.UnixNano()
	}
	return func(ts int64) int64 {
		return t0 + int64(math.Round((float64(ts-t0)-off)/(1+d)))
	}
}

// sectionComment is the capture-wide comment (Wireshark: Statistics >
// Capture File Properties): the inputs, the clock correction and the
// findings about no one packet, as much as one pcapng option holds.
func sectionComment(rep *analyze.Report, n *notes, lanPath, wanPath string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "sipalg %s: interface lan = %s, interface wan = %s.\n", rep.Tool.Version, lanPath, wanPath)
	fmt.Fprintf(&b, "WAN timestamps moved to the LAN clock: WAN = LAN %+.6f s, drift %.3f ppm.\n", rep.Clock.OffsetS, rep.Clock.DriftPPM)
	b.WriteString(`Packet comments: findings ("RULE verdict field: before → after") and packets dropped or generated by the router; filter with frame.comment contains "RULE".`)
	err := n.frameless.EachTransient(func(_, line []byte) error {
		if b.Len() > ngMaxOption {
			return nil // cut by ngOption: the rest is read to free the spool
		}
		b.WriteString("\n")
		b.Write(line)
		return nil
	})
	if err != nil {
		return "", err
	}
	if rep.Verdict.Summary != "" {
		b.WriteString("\nVerdict: " + rep.Verdict.Summary)
	}
	return b.String(), nil
}
