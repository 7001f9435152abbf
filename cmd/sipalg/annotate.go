package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
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
	"github.com/sipalg/sipalg/rules"
)

// maxCommentValue bounds a before/after value quoted in a packet comment:
// Wireshark shows comments on one line of the packet tree, and a whole
// rewritten SDP body belongs in the HTML report, not there.
const maxCommentValue = 160

// frameKey names one packet of one input: side "lan" or "wan" and its
// 1-based frame number.
type frameKey struct {
	side  string
	frame int
}

// annotations returns the comment lines for each frame, from the report
// alone: one line per finding on the frames of its message, and a line
// for every packet the router dropped or generated.
func annotations(rep *analyze.Report) map[frameKey][]string {
	out := map[frameKey][]string{}
	add := func(side string, frame *int, line string) {
		if frame == nil || *frame <= 0 {
			return
		}
		k := frameKey{side, *frame}
		for _, l := range out[k] {
			if l == line {
				return
			}
		}
		out[k] = append(out[k], line)
	}
	for i := range rep.Messages {
		m := &rep.Messages[i]
		if m.State != match.Dropped && m.State != match.Generated && m.State != match.Outside {
			continue
		}
		line := unpairedLine(rep, m)
		add("lan", m.LANFrame, line)
		add("wan", m.WANFrame, line)
	}
	type msgField struct {
		msg   int
		field string
	}
	kinds := map[msgField]fielddiff.Kind{}
	for i := range rep.Messages {
		for _, c := range rep.Messages[i].Changes {
			kinds[msgField{rep.Messages[i].ID, c.Field}] = c.Kind
		}
	}
	for i := range rep.Findings {
		f := &rep.Findings[i]
		var kind fielddiff.Kind
		if f.MessageID != nil {
			kind = kinds[msgField{*f.MessageID, f.Field}]
		}
		line := findingLine(f, kind)
		add("lan", f.LANFrame, line)
		add("wan", f.WANFrame, line)
	}
	// The first RTP packet lost after each stretch that crossed, and the
	// first of a tail that never crossed again.
	for i := range rep.Media {
		m := &rep.Media[i]
		s := m.Stream
		if s == nil {
			continue
		}
		side := "lan"
		if m.Direction == "inbound" {
			side = "wan"
		}
		for k, fr := range s.GapFrames {
			add(side, &fr, fmt.Sprintf("MEDIA: RTP %s (%s) lost at the router from here: loss gap %d of %d, %d packet(s) of %d lost in all",
				m.SSRC, m.Direction, k+1, s.Gaps, m.LostAtRouter, m.Entered))
		}
		if m.StoppedCrossing > 0 && m.Left > m.Duplicated {
			tf := s.TailFrame
			add(side, &tf, fmt.Sprintf("MEDIA: RTP %s (%s) stopped crossing the router here: none of the last %d packets left it",
				m.SSRC, m.Direction, m.StoppedCrossing))
		}
	}
	for _, u := range rep.Unpaired {
		if u.Kind == correlate.KindSIP {
			continue // listed with its message above
		}
		frame := u.Frame
		add(string(u.Side), &frame, fmt.Sprintf("%s: %s %s %s → %s", oneSided(rep, u.State), u.Kind, u.Direction, u.Src, u.Dst))
	}
	return out
}

// stateText says what a one-sided state means in a packet comment.
func stateText(state string) string {
	if state == match.Outside {
		return "outside the other capture's time (not shown dropped or generated)"
	}
	return state + " by the router"
}

// unpairedLine describes a SIP message seen on one side only.
func unpairedLine(rep *analyze.Report, m *match.Message) string {
	what := m.Method
	if m.Status != nil {
		what = fmt.Sprintf("%d %s", *m.Status, m.Method)
	}
	s := fmt.Sprintf("%s: %s %s (message %d", oneSided(rep, m.State), m.Direction, what, m.ID)
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

// writeAnnotated writes the --annotate capture of two capture files to
// path.
func writeAnnotated(path string, rep *analyze.Report, lanPath, wanPath string) error {
	return writeAnnotatedSources(path, rep, capture.Source{Path: lanPath}, capture.Source{Path: wanPath})
}

// writeAnnotatedSources writes the --annotate capture to path; the
// sources may be two interfaces of one file (--capture).
func writeAnnotatedSources(path string, rep *analyze.Report, lan, wan capture.Source) (err error) {
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
	return annotateSources(f, rep, lan, wan)
}

// annotate merges the two captures into one pcapng on w: interfaces
// named lan and wan (one per side and link type), packets in time order on
// the LAN clock with the WAN timestamps corrected by the report's clock
// offset and drift, original bytes, and the comments of [annotations].
// It streams: one record per side is held at a time.
func annotate(w io.Writer, rep *analyze.Report, lanPath, wanPath string) error {
	return annotateSources(w, rep, capture.Source{Path: lanPath}, capture.Source{Path: wanPath})
}

// annotateSources is [annotate] on two sources, which may be two
// interfaces of one file: each side reads only its interface, and frame
// numbers are the file's, as in the report.
func annotateSources(w io.Writer, rep *analyze.Report, lan, wan capture.Source) error {
	notes := annotations(rep)
	sides := [2]*mergeSide{
		{name: "lan", label: "LAN", src: lan, toLAN: func(ts int64) int64 { return ts }},
		{name: "wan", label: "WAN", src: wan, toLAN: wanToLAN(rep)},
	}
	for _, s := range sides {
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
		Comment:     ngOption(sectionComment(rep, lan.String(), wan.String())),
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
		comments := notes[frameKey{s.name, s.rec.Frame}]
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
// findings about no one packet.
func sectionComment(rep *analyze.Report, lanPath, wanPath string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "sipalg %s: interface lan = %s, interface wan = %s.\n", rep.Tool.Version, lanPath, wanPath)
	fmt.Fprintf(&b, "WAN timestamps moved to the LAN clock: WAN = LAN %+.6f s, drift %.3f ppm.\n", rep.Clock.OffsetS, rep.Clock.DriftPPM)
	b.WriteString(`Packet comments: findings ("RULE verdict field: before → after") and packets dropped or generated by the router; filter with frame.comment contains "RULE".`)
	for i := range rep.Findings {
		f := &rep.Findings[i]
		if f.LANFrame == nil && f.WANFrame == nil {
			b.WriteString("\n" + findingLine(f, 0))
		}
	}
	if rep.Verdict.Summary != "" {
		b.WriteString("\nVerdict: " + rep.Verdict.Summary)
	}
	return b.String()
}
