package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/sipalg/sipalg/analyze"
	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/rules"
)

// frameKey names one packet of one input: side "lan" or "wan" and its
// 1-based frame number.
type frameKey struct {
	side  string
	frame int
}

// annotatedRun analyses a fixture as `analyze --annotate` does: the
// report streamed, the comments gathered in notes, whose spools keep
// budget bytes in memory (0: the default).
func annotatedRun(t *testing.T, dir string, budget int) (*analyze.Report, *notes) {
	t.Helper()
	n := newNotes(t.TempDir(), budget)
	t.Cleanup(n.close)
	rep, err := analyze.Run(filepath.Join(dir, "lan.pcap"), filepath.Join(dir, "wan.pcap"), analyze.Options{Version: "test", Stream: true, Tap: n})
	if err != nil {
		t.Fatalf("analyze %s: %v", dir, err)
	}
	return rep, n
}

func annotateFile(t *testing.T, dir string) (string, *analyze.Report) {
	t.Helper()
	rep, n := annotatedRun(t, dir, 0)
	out := filepath.Join(t.TempDir(), "annotated.pcapng")
	if err := writeAnnotatedSources(out, rep, n, capture.Source{Path: filepath.Join(dir, "lan.pcap")}, capture.Source{Path: filepath.Join(dir, "wan.pcap")}); err != nil {
		t.Fatal(err)
	}
	return out, rep
}

// fixtureAnnotations is every packet comment `analyze --annotate` gives
// a fixture, by frame, and its section comment.
func fixtureAnnotations(t *testing.T, dir string) (map[frameKey][]string, string) {
	return budgetAnnotations(t, dir, 0)
}

// budgetAnnotations is fixtureAnnotations with notes of that budget.
func budgetAnnotations(t *testing.T, dir string, budget int) (map[frameKey][]string, string) {
	t.Helper()
	rep, n := annotatedRun(t, dir, budget)
	if err := n.unpaired(rep); err != nil {
		t.Fatal(err)
	}
	section, err := sectionComment(rep, n, "lan", "wan")
	if err != nil {
		t.Fatal(err)
	}
	out := map[frameKey][]string{}
	for i, side := range []string{"lan", "wan"} {
		fn := n.reader(i, rep)
		for f := 1; f <= rep.Inputs[side].Packets; f++ {
			lines, err := fn.at(f)
			if err != nil {
				t.Fatal(err)
			}
			if len(lines) > 0 {
				out[frameKey{side, f}] = slices.Clone(lines)
			}
		}
		if fn.ok {
			t.Errorf("%s: comments on frame %d, past the capture's %d", side, binary.BigEndian.Uint64(fn.key), rep.Inputs[side].Packets)
		}
		fn.stop()
	}
	return out, section
}

// keptAnnotations is the plain model of the comments, from a report kept
// whole: one line per finding on the frames of its message, and a line
// for every packet the router dropped or generated, each once per frame,
// in the order of the report's lists (messages, findings, media, other
// unpaired packets); and the section comment.
func keptAnnotations(rep *analyze.Report) (map[frameKey][]string, string) {
	out := map[frameKey][]string{}
	add := func(side string, frame *int, line string) {
		if frame == nil || *frame <= 0 {
			return
		}
		k := frameKey{side, *frame}
		if !slices.Contains(out[k], line) {
			out[k] = append(out[k], line)
		}
	}
	kinds := map[msgField]fielddiff.Kind{}
	for i := range rep.Messages {
		m := &rep.Messages[i]
		for _, c := range m.Changes {
			kinds[msgField{m.ID, c.Field}] = c.Kind
		}
		if m.State != match.Dropped && m.State != match.Generated && m.State != match.Outside {
			continue
		}
		line := oneSided(rep, m.State) + unpairedRest(m)
		add("lan", m.LANFrame, line)
		add("wan", m.WANFrame, line)
	}
	var section []string
	for i := range rep.Findings {
		f := &rep.Findings[i]
		var kind fielddiff.Kind
		if f.MessageID != nil {
			kind = kinds[msgField{*f.MessageID, f.Field}]
		}
		if f.LANFrame == nil && f.WANFrame == nil {
			section = append(section, findingLine(f, 0))
		}
		line := findingLine(f, kind)
		add("lan", f.LANFrame, line)
		add("wan", f.WANFrame, line)
	}
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
			continue
		}
		frame := u.Frame
		add(string(u.Side), &frame, fmt.Sprintf("%s: %s %s %s → %s", oneSided(rep, u.State), u.Kind, u.Direction, u.Src, u.Dst))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "sipalg %s: interface lan = %s, interface wan = %s.\n", rep.Tool.Version, "lan", "wan")
	fmt.Fprintf(&b, "WAN timestamps moved to the LAN clock: WAN = LAN %+.6f s, drift %.3f ppm.\n", rep.Clock.OffsetS, rep.Clock.DriftPPM)
	b.WriteString(`Packet comments: findings ("RULE verdict field: before → after") and packets dropped or generated by the router; filter with frame.comment contains "RULE".`)
	for _, l := range section {
		b.WriteString("\n" + l)
	}
	if rep.Verdict.Summary != "" {
		b.WriteString("\nVerdict: " + rep.Verdict.Summary)
	}
	return out, b.String()
}

// TestNotesSameAsKeptReport: the comments the analysis spools as it
// judges (notes, what --annotate writes) are those a report kept whole
// lists, frame by frame and in the same order, on every fixture; so is
// the section comment. The notes' spools keep 1 KiB in memory: most
// fixtures' comments go through sorted runs on disk.
func TestNotesSameAsKeptReport(t *testing.T) {
	lines := 0
	for _, dir := range fixtureCases(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			want, wantSection := keptAnnotations(fixtureReport(t, dir))
			got, gotSection := budgetAnnotations(t, dir, 1<<10)
			for k, w := range want {
				if !slices.Equal(got[k], w) {
					t.Errorf("%s frame %d: %q, want %q", k.side, k.frame, got[k], w)
				}
				lines += len(w)
			}
			for k, g := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("%s frame %d: %q, want none", k.side, k.frame, g)
				}
			}
			if gotSection != wantSection {
				t.Errorf("section comment\n%s\nwant\n%s", gotSection, wantSection)
			}
		})
	}
	if lines == 0 {
		t.Error("no fixture has a comment")
	}
}

// mergedFrame is one record of the annotated file traced to its input.
type mergedFrame struct {
	key frameKey
	ts  int64
}

// TestAnnotateFixtures merges every fixture and reads the result back
// with our own reader alongside the two inputs: every packet of both is
// there once, in time order, byte for byte, on an interface named after
// its side, with the WAN timestamps moved to the LAN clock.
func TestAnnotateFixtures(t *testing.T) {
	for _, dir := range fixtureCases(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			out, rep := annotateFile(t, dir)
			traceMerged(t, out, rep, dir)
		})
	}
}

// traceMerged checks the merged file against the inputs and returns each
// merged record's origin.
func traceMerged(t *testing.T, out string, rep *analyze.Report, dir string) []mergedFrame {
	t.Helper()
	m, err := capture.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	orig := map[string]*capture.Reader{}
	for _, side := range []string{"lan", "wan"} {
		r, err := capture.Open(filepath.Join(dir, side+".pcap"))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		orig[side] = r
	}
	toLAN := wanToLAN(rep)
	var frames []mergedFrame
	var prev int64
	counts := map[string]int{}
	for {
		var rec capture.Record
		err := m.Next(&rec)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("merged file, record %d: %v", len(frames)+1, err)
		}
		name := m.Interfaces()[rec.Iface].Name
		side := name[:min(3, len(name))]
		if side != "lan" && side != "wan" || (name != side && !strings.HasPrefix(name, side+"-")) {
			t.Fatalf("record %d on interface %q", rec.Frame, name)
		}
		var o capture.Record
		if err := orig[side].Next(&o); err != nil {
			t.Fatalf("record %d: more %s packets than the input has: %v", rec.Frame, side, err)
		}
		counts[side]++
		wantTS := o.TS
		if side == "wan" {
			wantTS = toLAN(o.TS)
		}
		if !bytes.Equal(rec.Data, o.Data) || rec.OrigLen != o.OrigLen || rec.LinkType != o.LinkType || rec.TS != wantTS {
			t.Fatalf("record %d differs from %s frame %d (ts %d vs %d)", rec.Frame, side, o.Frame, rec.TS, wantTS)
		}
		if rec.TS < prev {
			t.Errorf("record %d goes back in time", rec.Frame)
		}
		prev = rec.TS
		frames = append(frames, mergedFrame{frameKey{side, o.Frame}, rec.TS})
	}
	for _, side := range []string{"lan", "wan"} {
		if counts[side] != rep.Inputs[side].Packets {
			t.Errorf("%d %s packets merged, the input has %d", counts[side], side, rep.Inputs[side].Packets)
		}
	}
	if ifs := m.Interfaces(); len(ifs) < 2 || ifs[0].Name != "lan" && ifs[0].Name != "wan" {
		t.Errorf("interfaces %+v", ifs)
	}
	return frames
}

// TestAnnotationsTruth checks the comments against what the emulator did
// (truth.json, written by the generator): every packet it dropped says
// so, and every rewrite it made is on both frames of its message as
// "field: before → after".
func TestAnnotationsTruth(t *testing.T) {
	truths, _ := filepath.Glob("../../fixtures/*/truth.json")
	if len(truths) == 0 {
		t.Skip("no emulated fixtures")
	}
	for _, tp := range truths {
		dir := filepath.Dir(tp)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var truth struct {
				Dropped []struct {
					LANFrame *int   `json:"lan_frame"`
					WANFrame *int   `json:"wan_frame"`
					Kind     string `json:"kind"`
				} `json:"dropped"`
				Messages []struct {
					LANFrame *int `json:"lan_frame"`
					WANFrame *int `json:"wan_frame"`
					Dropped  bool `json:"dropped"`
					Rewrites []struct {
						Field, Before, After string
					} `json:"rewrites"`
				} `json:"messages"`
			}
			raw, err := os.ReadFile(tp)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &truth); err != nil {
				t.Fatal(err)
			}
			notes, _ := fixtureAnnotations(t, dir)
			has := func(k frameKey, prefix, substr string) bool {
				for _, l := range notes[k] {
					if strings.HasPrefix(l, prefix) && strings.Contains(l, substr) {
						return true
					}
				}
				return false
			}
			for _, d := range truth.Dropped {
				k := frameKey{"wan", deref0(d.WANFrame)}
				if d.WANFrame == nil {
					k = frameKey{"lan", deref0(d.LANFrame)}
				}
				if !has(k, "dropped by the router", "") {
					t.Errorf("%s frame %d (%s, dropped): comments %q", k.side, k.frame, d.Kind, notes[k])
				}
			}
			for _, m := range truth.Messages {
				if m.Dropped {
					continue
				}
				for _, rw := range m.Rewrites {
					// truth.json writes both an absent and an empty value as "".
					val := func(v string) []string {
						if v == "" {
							return []string{"(none)", `""`}
						}
						return []string{commentValue(v, maxCommentValue)}
					}
					for _, k := range []frameKey{{"lan", deref0(m.LANFrame)}, {"wan", deref0(m.WANFrame)}} {
						found := false
						for _, b := range val(rw.Before) {
							for _, a := range val(rw.After) {
								found = found || has(k, "", " "+rw.Field+": "+b+" → "+a)
							}
						}
						if !found {
							t.Errorf("%s frame %d: no comment on %s: %q → %q among %q", k.side, k.frame, rw.Field, rw.Before, rw.After, notes[k])
						}
					}
				}
			}
		})
	}
}

func deref0(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func TestCommentValue(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "(none)"},
		{"a\r\nb", `a\r\nb`},
		{"\x00é\xff", `\x00é\xff`},
		{strings.Repeat("x", 200), strings.Repeat("x", 160) + "…"},
		{strings.Repeat("é", 100), strings.Repeat("é", 80) + "…"}, // cut on a rune
	} {
		if got := commentValue(tc.in, maxCommentValue); got != tc.want {
			t.Errorf("commentValue(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestAnnotateTshark reads the st530 merge back with tshark, as a user
// would in Wireshark: two interfaces named lan and wan, the comments on
// the right frames, and the display filters the README gives.
func TestAnnotateTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed (apt-get install tshark): Wireshark read-back test skipped")
	}
	dir := "../../fixtures/st530"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("fixture st530 not present")
	}
	out, rep := annotateFile(t, dir)
	frames := traceMerged(t, out, rep, dir)
	notes, _ := fixtureAnnotations(t, dir)

	cmd := exec.Command(tshark, "-r", out, "-T", "json", "-e", "frame.number", "-e", "frame.interface_name", "-e", "frame.comment")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	js, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark: %v: %s", err, stderr.String())
	}
	var pkts []struct {
		Source struct {
			Layers map[string][]string `json:"layers"`
		} `json:"_source"`
	}
	if err := json.Unmarshal(js, &pkts); err != nil {
		t.Fatalf("tshark JSON: %v", err)
	}
	if len(pkts) != len(frames) {
		t.Fatalf("tshark reads %d packets, we wrote %d", len(pkts), len(frames))
	}
	ifaces := map[string]bool{}
	for i, p := range pkts {
		l := p.Source.Layers
		name := first(l["frame.interface_name"])
		ifaces[name] = true
		if name != frames[i].key.side {
			t.Errorf("frame %d: tshark says interface %q, we wrote %s frame %d", i+1, name, frames[i].key.side, frames[i].key.frame)
		}
		if got, want := l["frame.comment"], notes[frames[i].key]; !slices.Equal(got, want) {
			t.Errorf("frame %d (%s frame %d): comments %q, want %q", i+1, frames[i].key.side, frames[i].key.frame, got, want)
		}
	}
	if len(ifaces) != 2 || !ifaces["lan"] || !ifaces["wan"] {
		t.Errorf("interfaces %v, want lan and wan", ifaces)
	}

	// The filters of the README: a rule ID, and the drops.
	rule := fixtureReport(t, dir).Findings[0].Rule
	for _, tc := range []struct{ filter, substr string }{
		{fmt.Sprintf(`frame.comment contains "%s"`, rule), rule},
		{`frame.comment contains "dropped by the router"`, "dropped by the router"},
	} {
		want := 0
		for _, f := range frames {
			for _, l := range notes[f.key] {
				if strings.Contains(l, tc.substr) {
					want++
					break
				}
			}
		}
		cmd := exec.Command(tshark, "-r", out, "-Y", tc.filter, "-T", "fields", "-e", "frame.number")
		got, err := cmd.Output()
		if err != nil {
			t.Fatalf("tshark -Y %s: %v", tc.filter, err)
		}
		if n := len(strings.Fields(string(got))); n != want || n == 0 {
			t.Errorf("-Y '%s': %d frames, want %d (non-zero)", tc.filter, n, want)
		}
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func TestAnalyzeAnnotateCLI(t *testing.T) {
	dir := "../../fixtures/st530"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("fixture st530 not present")
	}
	out := filepath.Join(t.TempDir(), "merged.pcapng")
	code, _, stderr := runCLI(t, "analyze", "--lan", dir+"/lan.pcap", "--wan", dir+"/wan.pcap", "--format", "json", "-o", os.DevNull, "--annotate", out, "--fail-on", "never")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if st, err := os.Stat(out); err != nil || st.Size() == 0 {
		t.Fatalf("no merged capture: %v", err)
	}
	// Never overwrite an input.
	tmp := t.TempDir()
	lan := filepath.Join(tmp, "lan.pcap")
	b, err := os.ReadFile(dir + "/lan.pcap")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lan, b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "analyze", "--lan", lan, "--wan", dir+"/wan.pcap", "--annotate", lan)
	if code != exitError || !strings.Contains(stderr, "input capture") {
		t.Errorf("--annotate onto the LAN input: exit %d, %q", code, stderr)
	}
	if after, _ := os.ReadFile(lan); !bytes.Equal(after, b) {
		t.Error("the input capture was changed")
	}
}

// TestAnnotateLinkTypes merges a pcapng LAN capture with two link types
// (two interfaces) and a WAN capture: one output interface per side and
// link type, named lan, lan-raw and wan, and the WAN clock moved back by
// the report's offset.
func TestAnnotateLinkTypes(t *testing.T) {
	dir := t.TempDir()
	const t0 = int64(1768471200) * 1e9
	write := func(name string, ifs []pcapgo.NgInterface, pkts []struct {
		iface int
		ts    int64
		data  string
	}) string {
		var b bytes.Buffer
		w, err := pcapgo.NewNgWriterInterface(&b, ifs[0], pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "test"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, ifc := range ifs[1:] {
			if _, err := w.AddInterface(ifc); err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range pkts {
			ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, p.ts), CaptureLength: len(p.data), Length: len(p.data), InterfaceIndex: p.iface}
			if err := w.WritePacket(ci, []byte(p.data)); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	type pkt = struct {
		iface int
		ts    int64
		data  string
	}
	lan := write("lan.pcapng", []pcapgo.NgInterface{{Name: "eth0", LinkType: 1}, {Name: "tun0", LinkType: 101}},
		[]pkt{{0, t0, "lan-1"}, {1, t0 + 2e9, "lan-2"}, {0, t0 + 4e9, "lan-3"}})
	// The WAN clock runs 10 s ahead: its packets fall between the LAN ones.
	wan := write("wan.pcapng", []pcapgo.NgInterface{{Name: "ppp0", LinkType: 1}},
		[]pkt{{0, t0 + 11e9, "wan-1"}, {0, t0 + 13e9, "wan-2"}})
	one := 1
	rep := &analyze.Report{
		Tool:   analyze.Tool{Version: "test"},
		Inputs: map[string]analyze.Input{"lan": {FirstTS: "2026-01-15T10:00:00Z"}, "wan": {}},
	}
	rep.Clock.OffsetS = 10
	n := newNotes(t.TempDir(), 0)
	if err := n.Finding(&rules.Finding{Rule: "VIA-MAPPED", Verdict: rules.Correct, LANFrame: &one, Field: "Via[0].sent-by", Before: "a", After: "b"}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := annotateSources(&out, rep, n, capture.Source{Path: lan}, capture.Source{Path: wan}); err != nil {
		t.Fatal(err)
	}
	r, err := capture.NewReader(bytes.NewReader(out.Bytes()), "merged")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		var rec capture.Record
		if err := r.Next(&rec); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
		ifc := r.Interfaces()[rec.Iface]
		got = append(got, fmt.Sprintf("%s@%s+%ds:%s", rec.Data, ifc.Name, (rec.TS-t0)/1e9, ifc.LinkType))
	}
	want := []string{"lan-1@lan+0s:Ethernet", "wan-1@wan+1s:Ethernet", "lan-2@lan-raw+2s:Raw", "wan-2@wan+3s:Ethernet", "lan-3@lan+4s:Ethernet"}
	if !slices.Equal(got, want) {
		t.Errorf("merged\n got %q\nwant %q", got, want)
	}
}

// TestAnnotateMediaGaps checks the comments on lost RTP: the first packet
// lost after each stretch that crossed, on the side it entered (tshark:
// seq 5 of 0x0a11ce01 is LAN frame 17, seq 10 of 0x0b0b0b02 WAN frame 25),
// and the first packet of a stream that stopped crossing (WAN frame 426).
func TestAnnotateMediaGaps(t *testing.T) {
	for _, c := range []struct {
		dir   string
		key   frameKey
		want  string
		count int // comments of that kind on the stream
	}{
		{"lab-loss-alg", frameKey{"lan", 17}, "MEDIA: RTP 0x0a11ce01 (outbound) lost at the router from here: loss gap 1 of 54", 32},
		{"lab-loss-alg", frameKey{"wan", 25}, "MEDIA: RTP 0x0b0b0b02 (inbound) lost at the router from here: loss gap 1 of 39", 32},
		{"lab-pinhole-alg", frameKey{"wan", 426}, "MEDIA: RTP 0x0b0b0b02 (inbound) stopped crossing the router here: none of the last 291", 1},
	} {
		t.Run(c.dir, func(t *testing.T) {
			ann, _ := fixtureAnnotations(t, filepath.Join("..", "..", "fixtures", c.dir))
			found := false
			for _, l := range ann[c.key] {
				found = found || strings.HasPrefix(l, c.want)
			}
			if !found {
				t.Errorf("%s frame %d: no comment %q; has %q", c.key.side, c.key.frame, c.want, ann[c.key])
			}
			prefix, _, _ := strings.Cut(c.want, " from here")
			prefix, _, _ = strings.Cut(prefix, " here")
			n := 0
			for _, ls := range ann {
				for _, l := range ls {
					if strings.HasPrefix(l, prefix) {
						n++
					}
				}
			}
			if n != c.count {
				t.Errorf("%d comments %q…, want %d", n, prefix, c.count)
			}
		})
	}
}

// TestAnnotateComments reads the st530 merge back with pcapgo's pcapng
// reader, which keeps options: the section comment and application, and
// on each packet exactly the comments the notes give its frame.
func TestAnnotateComments(t *testing.T) {
	dir := "../../fixtures/st530"
	out, rep := annotateFile(t, dir)
	frames := traceMerged(t, out, rep, dir)
	notes, _ := fixtureAnnotations(t, dir)
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewNgReader(f, pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		t.Fatal(err)
	}
	si := r.SectionInfo()
	if si.Application != "sipalg "+rep.Tool.Version || !strings.Contains(si.Comment, "WAN timestamps moved to the LAN clock") {
		t.Errorf("section: application %q, comment %q", si.Application, si.Comment)
	}
	commented := 0
	for i := 0; ; i++ {
		_, _, opts, err := r.ReadPacketDataWithOptions()
		if errors.Is(err, io.EOF) {
			if i != len(frames) {
				t.Errorf("pcapgo reads %d packets, we wrote %d", i, len(frames))
			}
			break
		}
		if err != nil {
			t.Fatalf("packet %d: %v", i+1, err)
		}
		want := notes[frames[i].key]
		if !slices.Equal(opts.Comments, want) && !(len(opts.Comments) == 0 && len(want) == 0) {
			t.Errorf("packet %d (%s frame %d): comments %q, want %q", i+1, frames[i].key.side, frames[i].key.frame, opts.Comments, want)
		}
		if len(want) > 0 {
			commented++
		}
	}
	if commented == 0 {
		t.Error("no packet carries a comment; st530 has findings on packets")
	}
}

// TestNgOption: a value longer than a pcapng option holds is cut at a
// rune boundary, not written with a wrapped length.
func TestNgOption(t *testing.T) {
	long := strings.Repeat("é", 40000) // 80000 bytes
	got := ngOption(long)
	if len(got) > 0xffff || len(got) < 0xffff-1 || !utf8.ValidString(got) || !strings.HasPrefix(long, got) {
		t.Errorf("ngOption: %d bytes, valid UTF-8 %v", len(got), utf8.ValidString(got))
	}
	if s := "short"; ngOption(s) != s {
		t.Errorf("ngOption(%q) = %q", s, ngOption(s))
	}
}
