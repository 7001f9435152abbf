package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipalg/sipalg/analyze"
	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/fixtures/algsim"
	"github.com/sipalg/sipalg/rules"
)

func TestAnalyzeJSON(t *testing.T) {
	dir := "../../fixtures/correct"
	out := filepath.Join(t.TempDir(), "r.json")
	code, stdout, stderr := runCLI(t, "analyze", "--lan", dir+"/lan.pcap", "--wan", dir+"/wan.pcap", "--format", "json", "-o", out)
	if code != exitOK || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		SchemaVersion int `json:"schema_version"`
		Inputs        map[string]struct {
			Packets int `json:"packets"`
		} `json:"inputs"`
		Clock struct {
			OffsetS      float64 `json:"offset_s"`
			MatchedPairs int     `json:"matched_pairs"`
		} `json:"clock"`
		NAT struct {
			PublicAddresses []string `json:"public_addresses"`
			MappingBehavior string   `json:"mapping_behavior"`
		} `json:"nat"`
		Mappings []struct {
			Kind string `json:"kind"`
			LAN  string `json:"lan"`
			WAN  string `json:"wan"`
		} `json:"mappings"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	// Facts read off fixtures/correct (README, truth.json): WAN clock is
	// 47.25 s ahead; the phone's SIP 192.168.1.10:5060 leaves as
	// 203.0.113.1:40000 on an endpoint-independent NAT.
	if r.SchemaVersion != 1 || r.Inputs["lan"].Packets == 0 || r.Inputs["wan"].Packets == 0 {
		t.Errorf("header: %+v", r)
	}
	if math.Abs(r.Clock.OffsetS-47.25) > 0.001 || r.Clock.MatchedPairs == 0 {
		t.Errorf("clock %+v, want offset 47.25 s", r.Clock)
	}
	if len(r.NAT.PublicAddresses) != 1 || r.NAT.PublicAddresses[0] != "203.0.113.1" || r.NAT.MappingBehavior != "endpoint-independent" {
		t.Errorf("nat %+v", r.NAT)
	}
	found := false
	for _, m := range r.Mappings {
		if m.Kind == "sip" && m.LAN == "192.168.1.10:5060" && m.WAN == "203.0.113.1:40000" {
			found = true
		}
	}
	if !found {
		t.Errorf("SIP mapping 192.168.1.10:5060 -> 203.0.113.1:40000 missing: %+v", r.Mappings)
	}
}

// TestAnalyzeTable checks the sections of the table report, in order,
// with facts of the lab-timeout-alg recording (README: the router's UDP
// timeout was 10 s, so the phone's SIP mapping expired).
func TestAnalyzeTable(t *testing.T) {
	dir := "../../fixtures/lab-timeout-alg"
	code, out, stderr := runCLI(t, "analyze", "--lan", dir+"/lan.pcap", "--wan", dir+"/wan.pcap", "--fail-on", "never")
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(out, "VERDICT  ") {
		t.Errorf("the report does not start with the verdict:\n%s", out)
	}
	last := -1
	for _, section := range []string{"VERDICT", "\nLAN ", "\nWAN ", "\nCLOCK", "\nNAT", "\nTIMEOUT", "\nMAPPINGS", "\nFINDINGS", "\nROUTER", "\nDIALOGS", "\nDialog 1 · "} {
		i := strings.Index(out, section)
		if i < 0 || i < last {
			t.Errorf("section %q missing or out of order", strings.TrimSpace(section))
		}
		last = i
	}
	for _, want := range []string{"203.0.113.1:5060", "expired", "TIMEOUT  UDP mappings time out after between 0.9 s and 13.0 s idle.", "──►", "◄──", "REGISTER"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour codes in output that is not a terminal")
	}
}

// TestTableFitsEightyColumns renders every fixture's report and checks
// every line fits an 80-column terminal.
func TestTableFitsEightyColumns(t *testing.T) {
	t.Chdir("../..")
	for _, c := range fixtureBatchCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			_, rep := goldenJSON(t, c)
			var b bytes.Buffer
			if err := renderReport(&b, rep, false); err != nil {
				t.Fatal(err)
			}
			for i, l := range strings.Split(b.String(), "\n") {
				if textWidth(l) > pageWidth {
					t.Errorf("line %d is %d columns wide: %q", i+1, textWidth(l), l)
				}
			}
		})
	}
}

// TestTableFindingsAndColour gives a report one bad and one warning
// finding and checks they are listed under their rules, worst first, with
// both frames, and coloured only when asked.
func TestTableFindingsAndColour(t *testing.T) {
	t.Chdir("../..")
	_, rep := goldenJSON(t, batchCase{Name: "st530", LAN: "fixtures/st530/lan.pcap", WAN: "fixtures/st530/wan.pcap"})
	lan, wan, id := 7, 9, 3
	rep.Findings = []rules.Finding{
		{Rule: "UNEXPLAINED-REWRITE", Verdict: rules.Warning, Severity: rules.Minor, Direction: "outbound",
			MessageID: &id, LANFrame: &lan, WANFrame: &wan, Method: "INVITE", Field: "User-Agent", Before: "phone", After: "router",
			Explanation: "The router changed this field and no rule explains the change.", Refs: []string{}},
		{Rule: "CALLID-REWRITTEN", Verdict: rules.Bad, Severity: rules.Major, Direction: "outbound",
			MessageID: &id, LANFrame: &lan, WANFrame: &wan, Method: "INVITE", Field: "Call-ID", Before: "a@192.168.1.10", After: "a@203.0.113.1",
			Explanation: "The Call-ID was changed.", Refs: []string{}},
	}
	rep.Verdict.Bad, rep.Verdict.Correct, rep.Verdict.Warnings, rep.Verdict.IncomingCallsAtRisk = 1, 0, 1, true
	var plain, color bytes.Buffer
	if err := renderReport(&plain, rep, false); err != nil {
		t.Fatal(err)
	}
	if err := renderReport(&color, rep, true); err != nil {
		t.Fatal(err)
	}
	out := plain.String()
	if !strings.HasPrefix(out, "VERDICT  SIP ALG detected: 1 bad, 0 correct, 1 warnings.\n         Incoming calls are at risk.\n") {
		t.Errorf("verdict line lacks the bad count or the risk:\n%s", out[:200])
	}
	bad := strings.Index(out, "BAD      CALLID-REWRITTEN (major, 1×)")
	warn := strings.Index(out, "WARNING  UNEXPLAINED-REWRITE")
	if bad < 0 || warn < 0 || bad > warn {
		t.Errorf("findings not grouped by rule, bad first:\n%s", out)
	}
	if !strings.Contains(out, "7    9    INVITE  Call-ID") {
		t.Errorf("finding row lacks LAN frame 7 and WAN frame 9:\n%s", out)
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour in a plain report")
	}
	if !strings.Contains(color.String(), ansiRed+"1 bad"+ansiReset) || !strings.Contains(color.String(), ansiRed+"Incoming calls are at risk."+ansiReset) {
		t.Error("the bad count and the risk are not red in a coloured report")
	}
	if got := stripANSI(color.String()); got != out {
		t.Error("the coloured report differs from the plain one by more than colour codes")
	}
}

func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// sideFrames lists the file frame numbers of one interface of a capture,
// in order: the k-th is that side's frame k.
func sideFrames(t *testing.T, src capture.Source) []int {
	t.Helper()
	r, err := capture.OpenSource(src)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []int
	var rec capture.Record
	for r.Next(&rec) == nil {
		out = append(out, rec.Frame)
	}
	return out
}

// jsonReport is a report decoded as generic JSON.
type jsonReport map[string]any

func (r jsonReport) get(path ...string) any {
	var v any = map[string]any(r)
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	return v
}

func jsonString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sameAsPair checks that the report of one capture of both interfaces has
// the mappings and messages of the two-capture report, frame numbers
// translated to the one file's.
func sameAsPair(t *testing.T, one, pair jsonReport, lanFrames, wanFrames []int) {
	t.Helper()
	if a, b := jsonString(t, one["mappings"]), jsonString(t, pair["mappings"]); a != b {
		t.Errorf("mappings differ:\n one file: %s\n two files: %s", a, b)
	}
	var pairMsgs []any // a copy: the frames are translated in place
	if err := json.Unmarshal([]byte(jsonString(t, pair["messages"])), &pairMsgs); err != nil {
		t.Fatal(err)
	}
	for _, m := range pairMsgs {
		msg := m.(map[string]any)
		for key, frames := range map[string][]int{"lan_frame": lanFrames, "wan_frame": wanFrames} {
			if f, ok := msg[key].(float64); ok {
				msg[key] = float64(frames[int(f)-1])
			}
		}
	}
	if a, b := jsonString(t, one["messages"]), jsonString(t, pairMsgs); a != b {
		t.Errorf("messages differ:\n one file: %s\n two files (frames translated): %s", a, b)
	}
	if len(pairMsgs) == 0 {
		t.Error("no messages")
	}
}

func reportOf(t *testing.T, args ...string) jsonReport {
	t.Helper()
	code, out, stderr := runCLI(t, append(append([]string{"analyze"}, args...), "--format", "json", "--fail-on", "never")...)
	if code != exitOK {
		t.Fatalf("analyze %v: exit %d: %s", args, code, stderr)
	}
	var r jsonReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestAnalyzeOneCapture analyses fixtures/st530-pcapng (the st530 case
// as one pcapng of both interfaces) by interface name and by index, and
// compares with the two-capture analysis.
func TestAnalyzeOneCapture(t *testing.T) {
	const both = "../../fixtures/st530-pcapng/capture.pcapng"
	pair := reportOf(t, "--lan", "../../fixtures/st530/lan.pcap", "--wan", "../../fixtures/st530/wan.pcap")
	lanFrames := sideFrames(t, capture.Source{Path: both, Iface: capture.IfaceFilter{By: capture.ByName, Name: "lan"}})
	wanFrames := sideFrames(t, capture.Source{Path: both, Iface: capture.IfaceFilter{By: capture.ByName, Name: "wan"}})
	for _, ifs := range [][2]string{{"lan", "wan"}, {"0", "1"}} {
		t.Run(ifs[0]+"-"+ifs[1], func(t *testing.T) {
			one := reportOf(t, "--capture", both, "--lan-if", ifs[0], "--wan-if", ifs[1])
			sameAsPair(t, one, pair, lanFrames, wanFrames)
			if one.get("inputs", "lan", "interface") != ifs[0] || one.get("inputs", "wan", "interface") != ifs[1] {
				t.Errorf("inputs name interfaces %v and %v", one.get("inputs", "lan", "interface"), one.get("inputs", "wan", "interface"))
			}
		})
	}
}

// TestAnalyzeSLL2Capture writes the st530 case as `tcpdump -i any` on
// the router would (Linux cooked v2, LAN ifindex 3, WAN ifindex 2) and
// analyses it by Linux interface index.
func TestAnalyzeSLL2Capture(t *testing.T) {
	lan, wan, ahead, _, err := algsim.ReadCaseSides("../../fixtures/st530")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := algsim.WritePcapSLL2(&b, lan, wan, ahead, 3, 2); err != nil {
		t.Fatal(err)
	}
	any := filepath.Join(t.TempDir(), "any.pcap")
	if err := os.WriteFile(any, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	pair := reportOf(t, "--lan", "../../fixtures/st530/lan.pcap", "--wan", "../../fixtures/st530/wan.pcap")
	one := reportOf(t, "--capture", any, "--lan-if", "3", "--wan-if", "2")
	lanFrames := sideFrames(t, capture.Source{Path: any, Iface: capture.IfaceFilter{By: capture.BySLL2, Index: 3}})
	wanFrames := sideFrames(t, capture.Source{Path: any, Iface: capture.IfaceFilter{By: capture.BySLL2, Index: 2}})
	sameAsPair(t, one, pair, lanFrames, wanFrames)
	if got := one.get("inputs", "lan", "interface"); got != "sll2:3" {
		t.Errorf("LAN interface %v, want sll2:3", got)
	}
	code, out, stderr := runCLI(t, "analyze", "--capture", any, "--lan-if", "eth1", "--wan-if", "2")
	if code != exitError || out != "" || !strings.Contains(stderr, `Linux "any" capture (SLL2)`) ||
		!strings.Contains(stderr, "2 (SLL2, 325 packets), 3 (SLL2, 169 packets)") {
		t.Errorf("exit %d, stderr %q: want 2 and the interface indexes listed", code, stderr)
	}
}

// TestFailOn checks the exit code against the findings of each fixture:
// 1 exactly when a finding reaches --fail-on.
func TestFailOn(t *testing.T) {
	t.Chdir("../..")
	for _, c := range fixtureBatchCases(t) {
		if c.Capture != "" {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			_, rep := goldenJSON(t, c)
			w := worst(rep).Rank()
			for _, tc := range []struct {
				flag string
				want int
			}{
				{"bad", b2i(w >= rules.Bad.Rank())},
				{"warning", b2i(w >= rules.Warning.Rank())},
				{"never", 0},
			} {
				code, _, stderr := runCLI(t, "analyze", "--lan", c.LAN, "--wan", c.WAN, "--format", "json", "--fail-on", tc.flag)
				if code != tc.want {
					t.Errorf("--fail-on %s: exit %d, want %d (worst finding rank %d) %s", tc.flag, code, tc.want, w, stderr)
				}
			}
		})
	}
}

func b2i(b bool) int {
	if b {
		return exitFindings
	}
	return exitOK
}

func TestFailOnThresholds(t *testing.T) {
	for _, tc := range []struct {
		verdicts []rules.Verdict
		failOn   string
		want     int
	}{
		{nil, "bad", 0},
		{[]rules.Verdict{rules.Correct, rules.Info}, "warning", 0},
		{[]rules.Verdict{rules.Warning}, "bad", 0},
		{[]rules.Verdict{rules.Warning}, "warning", 1},
		{[]rules.Verdict{rules.Correct, rules.Bad}, "bad", 1},
		{[]rules.Verdict{rules.Bad}, "warning", 1},
		{[]rules.Verdict{rules.Bad}, "never", 0},
	} {
		fo, err := parseFailOn(tc.failOn)
		if err != nil {
			t.Fatal(err)
		}
		rep := &analyze.Report{}
		for _, v := range tc.verdicts {
			rep.Findings = append(rep.Findings, rules.Finding{Verdict: v})
		}
		if got := fo.exitCode(rep); got != tc.want {
			t.Errorf("%v with --fail-on %s: exit %d, want %d", tc.verdicts, tc.failOn, got, tc.want)
		}
	}
}

func TestAnalyzeBadInvocations(t *testing.T) {
	lan := "../../fixtures/correct/lan.pcap"
	wan := "../../fixtures/correct/wan.pcap"
	both := "../../fixtures/st530-pcapng/capture.pcapng"
	notCapture := filepath.Join(t.TempDir(), "x.pcap")
	if err := os.WriteFile(notCapture, []byte("PK\x03\x04zipzipzip"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		args    []string
		mention string
	}{
		{"nothing", []string{"analyze"}, "give both --lan and --wan"},
		{"lan-only-html", []string{"analyze", "--lan", lan, "--format", "html"}, "--format html needs both sides"},
		{"wan-only-annotate", []string{"analyze", "--wan", wan, "--annotate", "x.pcapng"}, "--annotate needs both sides"},
		{"one-interface-unknown", []string{"analyze", "--capture", both, "--wan-if", "eth0"}, `has no interface "eth0"`},
		{"same-file", []string{"analyze", "--lan", lan, "--wan", lan}, "same file"},
		{"same-file-other-path", []string{"analyze", "--lan", lan, "--wan", "../../fixtures/../fixtures/correct/lan.pcap"}, "same file"},
		{"missing-file", []string{"analyze", "--lan", lan, "--wan", "/nonexistent/wan.pcap"}, "/nonexistent/wan.pcap"},
		{"not-a-capture", []string{"analyze", "--lan", lan, "--wan", notCapture}, "zip"},
		{"directory", []string{"analyze", "--lan", lan, "--wan", "../../fixtures/correct"}, "is a directory, not a capture file"},
		{"stray-arg", []string{"analyze", "--lan", lan, "--wan", wan, "extra"}, "unexpected argument"},
		{"bad-format", []string{"analyze", "--lan", lan, "--wan", wan, "--format", "xml"}, "--format must be table, json or html"},
		{"bad-fail-on", []string{"analyze", "--lan", lan, "--wan", wan, "--fail-on", "error"}, "--fail-on must be bad, warning or never"},
		{"capture-no-ifs", []string{"analyze", "--capture", both}, "--capture needs --lan-if and --wan-if"},
		{"capture-and-lan", []string{"analyze", "--capture", both, "--lan", lan, "--lan-if", "lan", "--wan-if", "wan"}, "exclude each other"},
		{"if-without-capture", []string{"analyze", "--lan", lan, "--wan", wan, "--lan-if", "lan"}, "go with --capture"},
		{"same-interface", []string{"analyze", "--capture", both, "--lan-if", "lan", "--wan-if", "0"}, "same interface"},
		{"unknown-interface", []string{"analyze", "--capture", both, "--lan-if", "eth0", "--wan-if", "wan"}, `no interface "eth0"; its interfaces: 0 "lan" (Ethernet, 169 packets), 1 "wan" (Ethernet, 325 packets)`},
		{"one-interface-capture", []string{"analyze", "--capture", lan, "--lan-if", "0", "--wan-if", "1"}, "holds one interface only"},
		{"bad-flag", []string{"analyze", "--frobnicate"}, "unknown flag: --frobnicate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := runCLI(t, tc.args...)
			if code != exitError || out != "" || !strings.Contains(stderr, tc.mention) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and a mention of %q", code, out, stderr, tc.mention)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("error is not one line: %q", stderr)
			}
		})
	}
}

// TestAnnotateOneCapture: --annotate with --capture merges the two
// interfaces of the one file back into one capture, each packet once.
func TestAnnotateOneCapture(t *testing.T) {
	const both = "../../fixtures/st530-pcapng/capture.pcapng"
	out := filepath.Join(t.TempDir(), "annotated.pcapng")
	code, stdout, stderr := runCLI(t, "analyze", "--capture", both, "--lan-if", "lan", "--wan-if", "wan", "--annotate", out, "--format", "json", "--fail-on", "never")
	if code != exitOK || stdout == "" {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	r, err := capture.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	var rec capture.Record
	for r.Next(&rec) == nil {
		n++
	}
	// fixtures/st530: 169 LAN and 325 WAN frames.
	if n != 169+325 {
		t.Errorf("%d packets in the annotated capture, want 494", n)
	}
	var names []string
	for _, ifc := range r.Interfaces() {
		names = append(names, ifc.Name)
	}
	if strings.Join(names, ",") != "lan,wan" {
		t.Errorf("interfaces %v, want lan,wan", names)
	}
}

// TestAnalyzeSwappedSides: the WAN file given as --lan and the LAN file as
// --wan stops with exit 2 and one line that says how to swap them, and no
// report.
func TestAnalyzeSwappedSides(t *testing.T) {
	dir := "../../fixtures/lab-call-alg"
	code, out, stderr := runCLI(t, "analyze", "--lan", dir+"/wan.pcap", "--wan", dir+"/lan.pcap", "--format", "json")
	if code != exitError || out != "" {
		t.Fatalf("exit %d, stdout %q: want exit %d and no report", code, out, exitError)
	}
	want := "swap them: --lan " + dir + "/lan.pcap --wan " + dir + "/wan.pcap"
	if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, want) || !strings.Contains(stderr, "192.168.1.10") {
		t.Errorf("stderr %q: want one line with %q and the private address", stderr, want)
	}
}

// TestUndeterminedRouter: on a recording where nothing tells the ALG's
// make (the kernel's ALG, a phone that writes the server's domain, REGISTER
// only), table and HTML say "undetermined" and give no vendor's advice as
// if the make were known: each candidate's advice only as "if it is".
func TestUndeterminedRouter(t *testing.T) {
	dir := "../../fixtures/lab-ua-register-alg"
	for _, format := range []string{"table", "html"} {
		code, out, stderr := runCLI(t, "analyze", "--lan", dir+"/lan.pcap", "--wan", dir+"/wan.pcap", "--format", format, "--fail-on", "never")
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", format, code, stderr)
		}
		out = strings.Join(strings.Fields(out), " ") // the table wraps lines
		for _, want := range []string{"undetermined", "If it is", "SIP Helper", "modprobe -r nf_nat_sip", "MANGA"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q", format, want)
			}
		}
		for _, bad := range []string{"To turn its SIP ALG off: unload", "To turn its SIP ALG off: open http", "it looks like"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s says %q: a vendor's advice as if the make were known", format, bad)
			}
		}
	}
}
