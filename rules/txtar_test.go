package rules_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/rules"
)

// This file is the one runner of the rule test data: every
// rules/testdata/<RULE-ID>/*.txtar is a scenario, a correlate.Result
// written by hand (no pcaps), run through match.Build and Evaluate and
// checked against the scenario's want section. Adding a rule adds test
// data, not test code.
//
// # Scenario format
//
// A txtar archive: free text up to the first "-- name --" line says what
// the scenario shows; then
//
//	-- meta --        JSON, see scenarioMeta: the NAT, its mappings, the
//	                  packets seen on one side only, and one entry per SIP
//	                  message (direction, endpoints on each side, time).
//	-- NAME.lan --    the message NAME as captured on the LAN side, raw
//	-- NAME.wan --    ... and on the WAN side. A message present on both
//	                  sides is matched; on the side it entered the router
//	                  only, dropped; on the side it left only, generated.
//	-- want --        one expectation a line: "RULE-ID [field]" must be
//	                  found, "!RULE-ID [field]" must not; the field, when
//	                  given, must equal the finding's field. '#' starts a
//	                  comment.
//
// SIP sections are written with LF line ends and converted to CRLF on
// load, unless the message's bare_lf lists the side. "$BODYLEN" in a
// section is replaced by the length of its body (after the conversion),
// so that a correct Content-Length need not be counted by hand; a wrong
// one is written as a number.
//
// Besides the want lines, every finding with a bad or warning verdict
// must be wanted: a scenario states all the harm it shows, so that a rule
// firing where nobody expected it fails the test. The want section must
// name the rule of its directory, and the catalog test asks every rule
// for a scenario where it fires and one where it must stay silent (a near
// miss: what the rule must not mistake for its case).

// scenarioStart is time zero of every scenario ("at", "first_seen"...).
var scenarioStart = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

// scenarioMeta is the meta section.
type scenarioMeta struct {
	// Public lists the router's public addresses.
	Public          []netip.Addr     `json:"public"`
	MappingBehavior string           `json:"mapping_behavior"`
	UDPTimeout      correlate.Bounds `json:"udp_timeout"`
	Mappings        []metaMapping    `json:"mappings"`
	Unpaired        []metaUnpaired   `json:"unpaired"`
	Messages        []metaMessage    `json:"messages"`
	// Media lists the RTP streams correlate counted.
	Media []metaStream `json:"media"`
}

// metaStream is one RTP stream as correlate counts it (correlate.Stream);
// times are seconds from scenarioStart.
type metaStream struct {
	SSRC      uint32         `json:"ssrc"`
	Direction string         `json:"direction"`
	LAN       netip.AddrPort `json:"lan"`
	WAN       netip.AddrPort `json:"wan"`
	Remote    netip.AddrPort `json:"remote"`
	First     float64        `json:"first"`
	Last      float64        `json:"last"`
	Entered   int            `json:"entered"`
	Left      int            `json:"left"`
	Lost      int            `json:"lost"`
	MaxBurst  int            `json:"max_loss_burst"`
	// GapFrames are the entering-side frames of the first packet of each
	// loss burst.
	GapFrames []int `json:"gap_frames"`
	// TailLost packets were lost after the last that crossed, from
	// TailStart to TailEnd, the first at TailFrame.
	TailLost  int     `json:"tail_lost"`
	TailStart float64 `json:"tail_start"`
	TailEnd   float64 `json:"tail_end"`
	TailFrame int     `json:"tail_frame"`
}

type metaMapping struct {
	Proto          string           `json:"proto"`
	Kind           string           `json:"kind"`
	LAN            netip.AddrPort   `json:"lan"`
	WAN            netip.AddrPort   `json:"wan"`
	Remotes        []netip.AddrPort `json:"remotes"`
	FirstSeen      float64          `json:"first_seen"` // seconds from scenarioStart
	LastSeen       float64          `json:"last_seen"`
	PacketsOut     int              `json:"packets_out"`
	PacketsIn      int              `json:"packets_in"`
	MaxIdle        float64          `json:"max_idle"`
	Expired        bool             `json:"expired"`
	Lifetime       correlate.Bounds `json:"lifetime"`
	DroppedInbound int              `json:"dropped_inbound"`
}

type metaUnpaired struct {
	Side      string         `json:"side"`
	Frame     int            `json:"frame"`
	Direction string         `json:"direction"`
	Kind      string         `json:"kind"`
	State     string         `json:"state"`
	Src       netip.AddrPort `json:"src"`
	Dst       netip.AddrPort `json:"dst"`
	// Count repeats the packet with consecutive frame numbers; 0 is 1.
	Count int `json:"count"`
}

type metaMessage struct {
	// Name names the sections NAME.lan and NAME.wan.
	Name      string `json:"name"`
	Direction string `json:"direction"`
	// State, when given, must be what the sections present imply.
	State string `json:"state"`
	// LAN and WAN are "src > dst" on each side, given for the sides the
	// message has a section for.
	LAN string `json:"lan"`
	WAN string `json:"wan"`
	// At is when the message was seen, seconds from scenarioStart.
	At    float64 `json:"at"`
	Proto string  `json:"proto"` // udp (default) or tcp
	// BareLF lists the sides ("lan", "wan") whose line ends are kept as
	// written.
	BareLF []string `json:"bare_lf"`
}

// txtarFile is one section of a txtar archive.
type txtarFile struct {
	Name string
	Data []byte
}

// parseTxtar splits an archive into its comment and its sections: a
// section starts at a line "-- NAME --" and runs to the next one.
func parseTxtar(data []byte) (comment []byte, files []txtarFile) {
	cur := -1
	for len(data) > 0 {
		line, rest, _ := bytes.Cut(data, []byte("\n"))
		if name, ok := txtarMarker(line); ok {
			files = append(files, txtarFile{Name: name})
			cur = len(files) - 1
		} else {
			end := len(data) - len(rest)
			if cur < 0 {
				comment = append(comment, data[:end]...)
			} else {
				files[cur].Data = append(files[cur].Data, data[:end]...)
			}
		}
		data = rest
	}
	return comment, files
}

func txtarMarker(line []byte) (string, bool) {
	s := strings.TrimRight(string(line), "\r")
	if !strings.HasPrefix(s, "-- ") || !strings.HasSuffix(s, " --") || len(s) < 7 {
		return "", false
	}
	return strings.TrimSpace(s[3 : len(s)-3]), true
}

// want is one expectation line.
type want struct {
	line   int
	absent bool
	rule   string
	field  string
}

func (w want) String() string {
	s := w.rule
	if w.absent {
		s = "!" + s
	}
	if w.field != "" {
		s += " " + w.field
	}
	return s
}

func (w want) matches(f rules.Finding) bool {
	return f.Rule == w.rule && (w.field == "" || f.Field == w.field)
}

func parseWant(data []byte) ([]want, error) {
	var ws []want
	for i, line := range strings.Split(string(data), "\n") {
		if j := strings.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) > 2 {
			return nil, fmt.Errorf("want line %d: %q: want \"[!]RULE-ID [field]\"", i+1, line)
		}
		w := want{line: i + 1, rule: f[0]}
		if strings.HasPrefix(w.rule, "!") {
			w.absent, w.rule = true, w.rule[1:]
		}
		if _, ok := rules.Lookup(w.rule); !ok {
			return nil, fmt.Errorf("want line %d: unknown rule %q", i+1, w.rule)
		}
		if len(f) == 2 {
			w.field = f[1]
		}
		ws = append(ws, w)
	}
	return ws, nil
}

// scenario is a loaded txtar file.
type scenario struct {
	comment string
	res     *correlate.Result
	wants   []want
}

func loadScenario(path string) (*scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	comment, files := parseTxtar(data)
	sections := map[string][]byte{}
	for _, f := range files {
		if _, dup := sections[f.Name]; dup {
			return nil, fmt.Errorf("section %q twice", f.Name)
		}
		sections[f.Name] = f.Data
	}
	used := map[string]bool{"meta": true, "want": true}
	var meta scenarioMeta
	dec := json.NewDecoder(bytes.NewReader(sections["meta"]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&meta); err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	wantData, ok := sections["want"]
	if !ok {
		return nil, fmt.Errorf("no want section")
	}
	wants, err := parseWant(wantData)
	if err != nil {
		return nil, err
	}
	res, err := buildResult(&meta, sections, used)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if !used[f.Name] {
			return nil, fmt.Errorf("section %q belongs to no message in meta", f.Name)
		}
	}
	return &scenario{comment: string(comment), res: res, wants: wants}, nil
}

// buildResult makes the correlate.Result the scenario describes: SIP
// records and pairs in the order of meta.messages, frames numbered from 1
// on each side.
func buildResult(meta *scenarioMeta, sections map[string][]byte, used map[string]bool) (*correlate.Result, error) {
	res := &correlate.Result{
		NAT: correlate.NAT{
			PublicAddresses: meta.Public,
			MappingBehavior: cmpOr(meta.MappingBehavior, correlate.BehaviorUnknown),
			UDPTimeout:      meta.UDPTimeout,
		},
		Mappings: []correlate.Mapping{},
	}
	at := func(s float64) time.Time { return scenarioStart.Add(time.Duration(s * float64(time.Second))) }
	for i, m := range meta.Mappings {
		k, err := parseKind(m.Kind)
		if err != nil {
			return nil, fmt.Errorf("mapping %d: %w", i, err)
		}
		res.Mappings = append(res.Mappings, correlate.Mapping{
			Proto: cmpOr(m.Proto, "udp"), Kind: k, LAN: m.LAN, WAN: m.WAN, Remotes: m.Remotes,
			FirstSeen: at(m.FirstSeen), LastSeen: at(m.LastSeen), PacketsOut: m.PacketsOut, PacketsIn: m.PacketsIn,
			MaxIdleS: m.MaxIdle, Expired: m.Expired, Lifetime: m.Lifetime, DroppedInbound: m.DroppedInbound,
		})
	}
	for i, m := range meta.Messages {
		lanData, hasLAN := sections[m.Name+".lan"]
		wanData, hasWAN := sections[m.Name+".wan"]
		used[m.Name+".lan"], used[m.Name+".wan"] = true, true
		if m.Direction != "outbound" && m.Direction != "inbound" {
			return nil, fmt.Errorf("message %d (%s): direction %q, want outbound or inbound", i, m.Name, m.Direction)
		}
		enteredLAN := m.Direction == "outbound"
		var state string
		switch {
		case hasLAN && hasWAN:
			state = match.Matched
		case hasLAN == enteredLAN:
			state = match.Dropped
		case hasLAN || hasWAN:
			state = match.Generated
		default:
			return nil, fmt.Errorf("message %d (%s): no %s.lan or %s.wan section", i, m.Name, m.Name, m.Name)
		}
		if m.State != "" && m.State != state {
			return nil, fmt.Errorf("message %d (%s): state %q, but its sections make it %s", i, m.Name, m.State, state)
		}
		proto := uint8(capture.ProtoUDP)
		switch m.Proto {
		case "", "udp":
		case "tcp":
			proto = capture.ProtoTCP
		default:
			return nil, fmt.Errorf("message %d (%s): proto %q", i, m.Name, m.Proto)
		}
		ts := at(m.At).UnixNano()
		sp := correlate.SIPPair{Direction: m.Direction, State: state, LANSeq: -1, WANSeq: -1}
		for _, side := range []struct {
			name string
			has  bool
			data []byte
			ends string
			recs *[]correlate.SIPRecord
			seq  *int
			fr   *int
		}{
			{"lan", hasLAN, lanData, m.LAN, &res.LANSIP, &sp.LANSeq, &sp.LANFrame},
			{"wan", hasWAN, wanData, m.WAN, &res.WANSIP, &sp.WANSeq, &sp.WANFrame},
		} {
			if !side.has {
				if side.ends != "" {
					return nil, fmt.Errorf("message %d (%s): %s endpoints given, but no %s.%s section", i, m.Name, side.name, m.Name, side.name)
				}
				continue
			}
			src, dst, err := parseEnds(side.ends)
			if err != nil {
				return nil, fmt.Errorf("message %d (%s): %s: %w", i, m.Name, side.name, err)
			}
			raw := sipBytes(side.data, !slices.Contains(m.BareLF, side.name))
			*side.seq = len(*side.recs)
			*side.fr = len(*side.recs) + 1
			*side.recs = append(*side.recs, correlate.SIPRecord{Frame: *side.fr, TS: ts, Src: src, Dst: dst, Proto: proto, Data: raw})
			if state != match.Matched {
				// correlate lists a SIP packet seen on one side only
				// among the unpaired packets too.
				res.Unpaired = append(res.Unpaired, correlate.Unpaired{Side: correlate.Side(side.name), Frame: *side.fr,
					Direction: m.Direction, Kind: correlate.KindSIP, State: state, Src: src, Dst: dst})
				if state == match.Dropped {
					res.Dropped++
				} else {
					res.Generated++
				}
			}
		}
		res.SIPPairs = append(res.SIPPairs, sp)
	}
	for i, u := range meta.Unpaired {
		k, err := parseKind(u.Kind)
		if err != nil {
			return nil, fmt.Errorf("unpaired %d: %w", i, err)
		}
		if u.Side != string(correlate.SideLAN) && u.Side != string(correlate.SideWAN) {
			return nil, fmt.Errorf("unpaired %d: side %q", i, u.Side)
		}
		for n := range max(u.Count, 1) {
			res.Unpaired = append(res.Unpaired, correlate.Unpaired{Side: correlate.Side(u.Side), Frame: u.Frame + n,
				Direction: u.Direction, Kind: k, State: u.State, Src: u.Src, Dst: u.Dst})
			if u.State == "dropped" {
				res.Dropped++
			} else {
				res.Generated++
			}
		}
	}
	for _, m := range meta.Media {
		st := correlate.Stream{SSRC: m.SSRC, Direction: m.Direction, LAN: m.LAN, WAN: m.WAN, Remote: m.Remote,
			First: at(m.First), Last: at(m.Last), Entered: m.Entered, Left: m.Left, Lost: m.Lost, MaxLossBurst: m.MaxBurst,
			Gaps: len(m.GapFrames), GapFrames: m.GapFrames, TailLost: m.TailLost, TailFrame: m.TailFrame}
		if m.TailLost > 0 {
			st.TailStart, st.TailEnd = at(m.TailStart), at(m.TailEnd)
		}
		if m.Left > 0 {
			st.Delay = &correlate.StreamDelay{P50: 0.1, P99: 0.2, Max: 0.3}
		}
		res.Streams = append(res.Streams, st)
	}
	for _, sp := range res.SIPPairs {
		if sp.State == match.Matched {
			res.Paired++
		}
	}
	return res, nil
}

// sipBytes turns a section into a message: LF to CRLF when crlf is set,
// and $BODYLEN replaced by the body's length.
func sipBytes(data []byte, crlf bool) []byte {
	raw := bytes.Clone(data)
	if crlf {
		raw = bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
		raw = bytes.ReplaceAll(raw, []byte("\n"), []byte("\r\n"))
	}
	if !bytes.Contains(raw, []byte("$BODYLEN")) {
		return raw
	}
	n := 0
	for _, sep := range []string{"\r\n\r\n", "\n\n"} {
		if i := bytes.Index(raw, []byte(sep)); i >= 0 {
			n = len(raw) - i - len(sep)
			break
		}
	}
	return bytes.ReplaceAll(raw, []byte("$BODYLEN"), []byte(strconv.Itoa(n)))
}

// parseEnds parses "src > dst".
func parseEnds(s string) (src, dst netip.AddrPort, err error) {
	a, b, ok := strings.Cut(s, ">")
	if !ok {
		return src, dst, fmt.Errorf("endpoints %q: want \"src > dst\"", s)
	}
	if src, err = netip.ParseAddrPort(strings.TrimSpace(a)); err != nil {
		return src, dst, err
	}
	dst, err = netip.ParseAddrPort(strings.TrimSpace(b))
	return src, dst, err
}

func parseKind(s string) (correlate.Kind, error) {
	for _, k := range []correlate.Kind{correlate.KindOther, correlate.KindSIP, correlate.KindRTP, correlate.KindRTCP} {
		if k.String() == s {
			return k, nil
		}
	}
	if s == "" {
		return correlate.KindOther, nil
	}
	return 0, fmt.Errorf("kind %q, want sip, rtp, rtcp or other", s)
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ruleDirs returns the rule IDs that have test data.
func ruleDirs(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range ents {
		if e.IsDir() {
			ids = append(ids, e.Name())
		}
	}
	return ids
}

// TestRuleData runs every scenario under testdata/<RULE-ID>/.
func TestRuleData(t *testing.T) {
	for _, id := range ruleDirs(t) {
		t.Run(id, func(t *testing.T) {
			if _, ok := rules.Lookup(id); !ok {
				t.Fatalf("testdata/%s: no rule with that ID", id)
			}
			files, err := filepath.Glob(filepath.Join("testdata", id, "*.txtar"))
			if err != nil {
				t.Fatal(err)
			}
			if len(files) == 0 {
				t.Fatalf("testdata/%s: no .txtar file", id)
			}
			for _, file := range files {
				t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
					runScenario(t, id, file)
				})
			}
		})
	}
}

func runScenario(t *testing.T, id, file string) {
	sc, err := loadScenario(file)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if !slices.ContainsFunc(sc.wants, func(w want) bool { return w.rule == id }) {
		t.Fatalf("%s: the want section says nothing about %s, the rule of its directory", file, id)
	}
	mr := match.Build(sc.res, match.Limits{})
	fs, _, _ := rules.Evaluate(&rules.Input{Correlation: sc.res, Match: mr})
	failed := false
	for _, w := range sc.wants {
		found := slices.ContainsFunc(fs, w.matches)
		switch {
		case !w.absent && !found:
			t.Errorf("%s:want:%d: %s not found", file, w.line, w)
			failed = true
		case w.absent && found:
			t.Errorf("%s:want:%d: %s found", file, w.line, w)
			failed = true
		}
	}
	for _, f := range fs {
		if f.Verdict != rules.Bad && f.Verdict != rules.Warning {
			continue
		}
		if !slices.ContainsFunc(sc.wants, func(w want) bool { return !w.absent && w.matches(f) }) {
			t.Errorf("%s: unwanted %s finding %s %s", file, f.Verdict, f.Rule, f.Field)
			failed = true
		}
	}
	if failed || testing.Verbose() {
		for _, f := range fs {
			t.Logf("%s %s msg %s lan %s wan %s %s %q → %q: %s", f.Rule, f.Verdict, fr(f.MessageID), fr(f.LANFrame), fr(f.WANFrame),
				f.Field, f.Before, f.After, f.Explanation)
		}
	}
}

// TestCatalogDocumented checks that every rule of the catalog can be
// explained to a user and is tested: a Title, a Text, a Fix, and test data
// with a scenario where it fires and one where it must stay silent.
func TestCatalogDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range rules.Catalog() {
		t.Run(r.ID, func(t *testing.T) {
			if seen[r.ID] {
				t.Errorf("ID listed twice in the catalog")
			}
			seen[r.ID] = true
			if r.Title == "" || r.Text == "" || r.Fix == "" {
				t.Errorf("Title, Text or Fix empty")
			}
			if r.Claim == nil && r.Check == nil && r != rules.UnexplainedRewrite {
				t.Errorf("neither Claim nor Check: the rule can never fire")
			}
			files, err := filepath.Glob(filepath.Join("testdata", r.ID, "*.txtar"))
			if err != nil {
				t.Fatal(err)
			}
			if len(files) == 0 {
				t.Fatalf("no test data: add testdata/%s/*.txtar", r.ID)
			}
			fires, silent := false, false
			for _, file := range files {
				data, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				_, sections := parseTxtar(data)
				for _, s := range sections {
					if s.Name != "want" {
						continue
					}
					ws, err := parseWant(s.Data)
					if err != nil {
						t.Fatalf("%s: %v", file, err)
					}
					for _, w := range ws {
						if w.rule == r.ID {
							fires = fires || !w.absent
							silent = silent || w.absent
						}
					}
				}
			}
			if !fires {
				t.Errorf("no scenario in testdata/%s where it fires", r.ID)
			}
			if !silent {
				t.Errorf("no scenario in testdata/%s where it must stay silent", r.ID)
			}
		})
	}
}

// TestParseTxtar pins the archive format the scenarios use.
func TestParseTxtar(t *testing.T) {
	in := "comment\nmore\n-- a --\nline 1\n\n-- b.lan --\n-- c --\nx\n-- not a marker\n"
	comment, files := parseTxtar([]byte(in))
	if got, want := string(comment), "comment\nmore\n"; got != want {
		t.Errorf("comment = %q, want %q", got, want)
	}
	want := []txtarFile{{"a", []byte("line 1\n\n")}, {"b.lan", nil}, {"c", []byte("x\n-- not a marker\n")}}
	if len(files) != len(want) {
		t.Fatalf("got %d files, want %d", len(files), len(want))
	}
	for i := range want {
		if files[i].Name != want[i].Name || !bytes.Equal(files[i].Data, want[i].Data) {
			t.Errorf("file %d = %q %q, want %q %q", i, files[i].Name, files[i].Data, want[i].Name, want[i].Data)
		}
	}
	if got := string(sipBytes([]byte("A\nContent-Length: $BODYLEN\n\nv=0\n"), true)); got != "A\r\nContent-Length: 5\r\n\r\nv=0\r\n" {
		t.Errorf("sipBytes = %q", got)
	}
}
