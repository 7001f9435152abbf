package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/sipalg/sipalg/analyze"
	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/sipmsg"
	"github.com/sipalg/sipalg/rules"
)

// fixtureCases lists the fixture directories that hold a LAN and a WAN
// capture.
func fixtureCases(t *testing.T) []string {
	t.Helper()
	lans, _ := filepath.Glob("../../fixtures/*/lan.pcap")
	var out []string
	for _, l := range lans {
		dir := filepath.Dir(l)
		if _, err := os.Stat(filepath.Join(dir, "wan.pcap")); err == nil {
			out = append(out, dir)
		}
	}
	if len(out) == 0 {
		t.Skip("no fixture pairs committed")
	}
	return out
}

var reportCache sync.Map // dir -> *analyze.Report

// fixtureReport analyses one fixture (once per test binary).
func fixtureReport(t *testing.T, dir string) *analyze.Report {
	t.Helper()
	if r, ok := reportCache.Load(dir); ok {
		return r.(*analyze.Report)
	}
	rep, err := analyze.Run(filepath.Join(dir, "lan.pcap"), filepath.Join(dir, "wan.pcap"), analyze.Options{Version: "test"})
	if err != nil {
		t.Fatalf("analyze %s: %v", dir, err)
	}
	reportCache.Store(dir, rep)
	return rep
}

func renderHTMLString(t *testing.T, rep *analyze.Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := renderHTML(&b, rep); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var (
	reScript   = regexp.MustCompile(`(?s)<script>(.*?)</script>`)
	reStyle    = regexp.MustCompile(`(?s)<style>(.*?)</style>`)
	reData     = regexp.MustCompile(`(?s)<script type="application/json" class="sipalg-data">(.*?)</script>`)
	reCSP      = regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`)
	reExternal = regexp.MustCompile(`(?i)<[a-z][^>]*\s(src|href|action|srcset|xlink:href)\s*=`)
)

// pageData checks the page's self-containment and returns its JSON block.
func pageData(t *testing.T, page string) *htmlData {
	t.Helper()
	parts := reData.FindAllStringSubmatch(page, -1)
	if len(parts) == 0 {
		t.Fatal("no JSON data block")
	}
	if n := strings.Count(page, "<script"); n != 1+len(parts) {
		t.Errorf("%d <script elements, want %d (the data's parts and the code)", n, 1+len(parts))
	}
	if n := strings.Count(page, "</script"); n != 1+len(parts) {
		t.Errorf("%d </script, want %d: something in the data closed a script", n, 1+len(parts))
	}
	if m := reExternal.FindString(page); m != "" {
		t.Errorf("the page references an external resource: %q", m)
	}
	js, css, csp := reScript.FindStringSubmatch(page), reStyle.FindStringSubmatch(page), reCSP.FindStringSubmatch(page)
	if js == nil || css == nil || csp == nil {
		t.Fatalf("script, style or CSP missing")
	}
	policy := html.UnescapeString(csp[1])
	for _, want := range []string{"default-src 'none'", "script-src 'sha256-" + b64sha(js[1]) + "'", "style-src 'sha256-" + b64sha(css[1]) + "'"} {
		if !strings.Contains(policy, want) {
			t.Errorf("CSP %q lacks %q (the hash must be of the inline code as written)", policy, want)
		}
	}
	var whole strings.Builder
	for _, m := range parts {
		whole.WriteString(m[1])
	}
	var d htmlData
	if err := json.Unmarshal([]byte(whole.String()), &d); err != nil {
		t.Fatalf("data block: %v", err)
	}
	return &d
}

func b64sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return base64.StdEncoding.EncodeToString(h[:])
}

// marked returns the text of one side covered by change ci.
func marked(txt *htmlText, ci int) (string, bool) {
	var b strings.Builder
	found := false
	for _, s := range txt.Segs {
		for _, c := range s.C {
			if c == ci {
				b.WriteString(s.T)
				found = true
				break
			}
		}
	}
	return b.String(), found
}

func plain(txt *htmlText) string {
	var b strings.Builder
	for _, s := range txt.Segs {
		b.WriteString(s.T)
	}
	return b.String()
}

// TestHTMLFixtures renders every fixture's report and checks that the page
// is self-contained and that it carries the report: every message with
// its text on each side, every rewritten field marked exactly where the
// diff located it, every finding, every mapping drawn.
func TestHTMLFixtures(t *testing.T) {
	for _, dir := range fixtureCases(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			rep := fixtureReport(t, dir)
			page := renderHTMLString(t, rep)
			d := pageData(t, page)
			if len(d.Messages) != len(rep.Messages) || len(d.Dialogs) != len(rep.Dialogs) || len(d.Findings) != len(rep.Findings) {
				t.Fatalf("data: %d messages, %d dialogs, %d findings; report %d, %d, %d",
					len(d.Messages), len(d.Dialogs), len(d.Findings), len(rep.Messages), len(rep.Dialogs), len(rep.Findings))
			}
			if n := strings.Count(page, `<svg class="timeline"`); n != len(rep.Mappings) {
				t.Errorf("%d mapping timelines, want %d", n, len(rep.Mappings))
			}
			if !strings.Contains(page, `<b id="nat-type">`+rep.NAT.MappingBehavior+`</b>`) {
				t.Errorf("NAT type %q not shown", rep.NAT.MappingBehavior)
			}
			for _, id := range []string{`id="verdict"`, `id="fingerprints"`, `id="dialogs"`, `id="finding-filters"`, `id="f-rule"`, `id="findings"`} {
				if !strings.Contains(page, id) {
					t.Errorf("page lacks %s", id)
				}
			}
			for _, v := range []string{"bad", "warning", "info", "correct"} {
				if !strings.Contains(page, `name="verdict" value="`+v+`"`) {
					t.Errorf("no verdict filter for %s", v)
				}
			}
			for i := range rep.Findings {
				if !strings.Contains(page, `<option value="`+html.EscapeString(rep.Findings[i].Rule)+`">`) {
					t.Errorf("rule filter lacks %s", rep.Findings[i].Rule)
				}
			}
			for i := range rep.Messages {
				checkMessageData(t, &rep.Messages[i], &d.Messages[i])
			}
			inDialogs := 0
			for _, dl := range d.Dialogs {
				inDialogs += len(dl.Messages)
			}
			if inDialogs != len(rep.Messages) {
				t.Errorf("dialogs list %d messages, report has %d", inDialogs, len(rep.Messages))
			}
		})
	}
}

func checkMessageData(t *testing.T, m *match.Message, hm *htmlMessage) {
	t.Helper()
	if hm.ID != m.ID || hm.State != m.State || hm.Dialog != m.Dialog || len(hm.Changes) != len(m.Changes) {
		t.Fatalf("message %d: data %+v", m.ID, hm)
	}
	sides := []struct {
		name string
		msg  *sipmsg.Message
		txt  *htmlText
	}{{"lan", m.LAN, hm.LAN}, {"wan", m.WAN, hm.WAN}}
	for _, s := range sides {
		if (s.msg == nil) != (s.txt == nil) {
			t.Errorf("message %d %s: text present %v, message present %v", m.ID, s.name, s.txt != nil, s.msg != nil)
			continue
		}
		if s.msg != nil && plain(s.txt) != displayText(s.msg.Raw) {
			t.Errorf("message %d %s: the runs do not rebuild the message", m.ID, s.name)
		}
	}
	for ci, c := range m.Changes {
		// Before is in the message as it entered the router.
		lanVal, wanVal, lanSpan, wanSpan := c.Before, c.After, c.SpanA, c.SpanB
		if m.Direction == "inbound" {
			lanVal, wanVal, lanSpan, wanSpan = c.After, c.Before, c.SpanB, c.SpanA
		}
		for _, s := range []struct {
			name string
			txt  *htmlText
			val  []byte
			span sipmsg.Span
		}{{"lan", hm.LAN, lanVal, lanSpan}, {"wan", hm.WAN, wanVal, wanSpan}} {
			if s.txt == nil || s.span.IsZero() {
				continue
			}
			got, found := marked(s.txt, ci)
			if !found {
				t.Errorf("message %d %s: change %s not marked", m.ID, s.name, c.Field)
				continue
			}
			// Syntax changes mark the element whose spelling differs; for
			// the others the mark is exactly the value.
			if c.Kind != fielddiff.Syntax && got != displayText(s.val) {
				t.Errorf("message %d %s: change %s marks %q, value is %q", m.ID, s.name, c.Field, got, s.val)
			}
		}
	}
}

// TestHTMLTruth checks the st530 page against what the emulator says it
// did (truth.json, written by the generator, not by sipalg): each
// rewrite's before and after are marked on the right sides of the right
// frames, and the dropped inbound INVITEs are in the data as dropped.
func TestHTMLTruth(t *testing.T) {
	dir := "../../fixtures/st530"
	raw, err := os.ReadFile(filepath.Join(dir, "truth.json"))
	if err != nil {
		t.Skip("st530 fixture not present")
	}
	var truth struct {
		Messages []struct {
			Direction string `json:"direction"`
			LANFrame  *int   `json:"lan_frame"`
			WANFrame  *int   `json:"wan_frame"`
			Method    string `json:"method"`
			Dropped   bool   `json:"dropped"`
			Rewrites  []struct {
				Field, Before, After string
			} `json:"rewrites"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(raw, &truth); err != nil {
		t.Fatal(err)
	}
	d := pageData(t, renderHTMLString(t, fixtureReport(t, dir)))
	find := func(lan, wan *int) *htmlMessage {
		for i := range d.Messages {
			m := &d.Messages[i]
			if eqFrame(m.LANFrame, lan) && eqFrame(m.WANFrame, wan) {
				return m
			}
		}
		return nil
	}
	dropped := 0
	for _, tm := range truth.Messages {
		m := find(tm.LANFrame, tm.WANFrame)
		if m == nil {
			t.Errorf("%s LAN %v WAN %v: not in the page data", tm.Method, deref(tm.LANFrame), deref(tm.WANFrame))
			continue
		}
		if tm.Dropped {
			dropped++
			if m.State != "dropped" || m.LAN != nil || m.WAN == nil {
				t.Errorf("message %d: state %s, want dropped with the WAN text only", m.ID, m.State)
			}
			continue // its rewrites are what the router would have done: nothing left it
		}
		for _, rw := range tm.Rewrites {
			ci := -1
			for i, c := range m.Changes {
				if c.Field == rw.Field {
					ci = i
				}
			}
			if ci < 0 {
				t.Errorf("message %d: rewrite of %s not among the changes", m.ID, rw.Field)
				continue
			}
			// truth: before is what entered the router.
			in, out := m.LAN, m.WAN
			if tm.Direction == "inbound" {
				in, out = m.WAN, m.LAN
			}
			if got, _ := marked(in, ci); got != rw.Before {
				t.Errorf("message %d %s: marked %q on the way in, truth %q", m.ID, rw.Field, got, rw.Before)
			}
			if got, _ := marked(out, ci); got != rw.After {
				t.Errorf("message %d %s: marked %q on the way out, truth %q", m.ID, rw.Field, got, rw.After)
			}
		}
	}
	if dropped != 4 {
		t.Errorf("%d dropped messages in truth.json, the README says 4 (the INVITE and 3 retransmissions)", dropped)
	}
}

func eqFrame(a, b *int) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

// hostileReport is a report made by hand around a message a hostile
// capture could hold: markup and script in headers, a Call-ID that closes
// a script element, a JS line separator, bytes that are not UTF-8.
func hostileReport() *analyze.Report {
	const payload = `</script><script>window.__pwned=1</script>`
	lan := "INVITE sip:bob@198.51.100.10 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK-1\r\n" +
		"From: \"<img src=x onerror=window.__pwned=2>\" <sip:alice@192.168.1.10>;tag=1\r\n" +
		"To: <sip:bob@198.51.100.10>\r\n" +
		"Call-ID: " + payload + "@192.168.1.10\r\n" +
		"CSeq: 1 INVITE\r\n" +
		"Subject: <!-- \u2028 ]]> \xff\xfe {{.}} ${x}\r\n" +
		"Content-Length: 0\r\n\r\n"
	wan := strings.ReplaceAll(lan, "192.168.1.10", "203.0.113.1")
	a, b := sipmsg.Parse([]byte(lan)), sipmsg.Parse([]byte(wan))
	changes := fielddiff.Diff(a, b)
	one, id := 1, 1
	m := match.Message{ID: 1, Direction: "outbound", LANFrame: &one, WANFrame: &one, Method: "INVITE", CSeq: "1 INVITE",
		CallIDLAN: payload + "@192.168.1.10", CallIDWAN: payload + "@203.0.113.1", State: match.Matched, Dialog: 1,
		ChangedFields: len(changes), TS: 1768471200e9, LAN: a, WAN: b, Changes: changes}
	dropped := match.Message{ID: 2, Direction: "inbound", WANFrame: &one, Method: "INVITE", CSeq: "2 INVITE",
		CallIDWAN: payload, State: match.Dropped, Dialog: 1, TS: 1768471201e9, WAN: b}
	rep := &analyze.Report{
		SchemaVersion: analyze.SchemaVersion,
		Tool:          analyze.Tool{Name: "sipalg", Version: `"><script>window.__pwned=3</script>`},
		Inputs: map[string]analyze.Input{
			"lan": {File: `lan"><img src=x onerror=window.__pwned=4>.pcap`, FirstTS: "2026-01-15T10:00:00Z", LastTS: "2026-01-15T10:00:02Z"},
			"wan": {File: "wan</title><script>window.__pwned=5</script>.pcap", FirstTS: "2026-01-15T10:00:00Z", LastTS: "2026-01-15T10:00:02Z"},
		},
		Messages:     []match.Message{m, dropped},
		Dialogs:      []match.Dialog{{ID: 1, Method: "INVITE", CallIDsLAN: []string{m.CallIDLAN}, CallIDsWAN: []string{m.CallIDWAN}, Messages: []int{0, 1}}},
		Warnings:     []string{"<script>window.__pwned=6</script>"},
		Fingerprints: []rules.Fingerprint{{Profile: "<b>evil</b>", DisableHint: "<script>window.__pwned=7</script>"}},
	}
	for _, c := range changes {
		rep.Findings = append(rep.Findings, rules.Finding{Rule: "UNEXPLAINED-REWRITE", Verdict: rules.Warning, Severity: rules.Minor,
			Direction: "outbound", MessageID: &id, LANFrame: &one, WANFrame: &one, Method: "INVITE",
			Field: c.Field, Before: string(c.Before), After: string(c.After),
			Explanation: "<script>window.__pwned=8</script>", Refs: []string{"</script>"}})
	}
	return rep
}

func TestHTMLHostile(t *testing.T) {
	rep := hostileReport()
	page := renderHTMLString(t, rep)
	d := pageData(t, page)
	for _, bad := range []string{"<script>window.__pwned", "<img src=x", "window.__pwned=1</script>", "<!--", "<b>evil"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page holds %q unescaped", bad)
		}
	}
	if strings.Contains(page, "\u2028") {
		t.Error("U+2028 unescaped")
	}
	// The text survives the escaping intact, apart from the invalid bytes
	// shown as \xNN.
	lan := plain(d.Messages[0].LAN)
	for _, want := range []string{"Call-ID: </script><script>window.__pwned=1</script>@192.168.1.10", `\xff\xfe`, "\u2028", "<img src=x onerror=window.__pwned=2>"} {
		if !strings.Contains(lan, want) {
			t.Errorf("LAN text lacks %q", want)
		}
	}
	if len(d.Messages[0].Changes) == 0 {
		t.Fatal("the hostile pair has no changes")
	}
	if d.Messages[1].LAN != nil || d.Messages[1].State != "dropped" {
		t.Errorf("dropped message: %+v", d.Messages[1])
	}
}

func TestSegments(t *testing.T) {
	raw := []byte("Via: 192.168.1.10:5060;rport\r\n")
	spans := []markSpan{
		{sipmsg.Span{Off: 5, End: 22}, 0},  // sent-by
		{sipmsg.Span{Off: 5, End: 17}, 1},  // host, inside it
		{sipmsg.Span{Off: 28, End: 28}, 2}, // an empty value: a marker
		{sipmsg.Span{}, 3},                 // absent on this side
		{sipmsg.Span{Off: 20, End: 99}, 4}, // out of range: ignored
	}
	got := segments(raw, spans)
	want := []htmlSeg{
		{T: "Via: "},
		{T: "192.168.1.10", C: []int{1, 0}},
		{T: ":5060", C: []int{0}},
		{T: ";rport"},
		{C: []int{2}},
		{T: "\r\n"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	for i := range want {
		if got[i].T != want[i].T || !slicesEqual(got[i].C, want[i].C) {
			t.Errorf("run %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDisplayText(t *testing.T) {
	for in, want := range map[string]string{
		"a\tb\r\n":   "a\tb\r\n",
		"\x00\x1b":   `\x00\x1b`,
		"é\xff":      `é\xff`,
		"\xe2\x80":   `\xe2\x80`, // a cut rune
		"\u2028<&>":  "\u2028<&>",
		"\x7f":       `\x7f`,
		"plain text": "plain text",
	} {
		if got := displayText([]byte(in)); got != want {
			t.Errorf("displayText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHTMLRawBudget(t *testing.T) {
	rep := fixtureReport(t, "../../fixtures/st530")
	origin := reportOrigin(rep)
	budget := 0
	omitted := 0
	// With no budget left every side is left out, and says so.
	txt := textOf(rep.Messages[0].LAN, nil, &budget, &omitted)
	if txt == nil || !txt.Omitted || omitted != 1 || len(txt.Segs) != 0 {
		t.Errorf("text %+v, omitted %d", txt, omitted)
	}
	if d := buildHTMLData(rep, origin, maxHTMLRawBytes); d.RawOmitted != 0 {
		t.Errorf("st530 fits the budget, %d sides omitted", d.RawOmitted)
	}

	// A budget that holds only the texts of the dialogs with problems:
	// they get theirs, the others' are left out, whatever the order.
	// (zyxel660: 4 of its 7 dialogs have problems; all of st530's do.)
	rep = fixtureReport(t, "../../fixtures/zyxel660")
	origin = reportOrigin(rep)
	problems := analyze.ProblemDialogs(rep)
	need, sides, others := 0, 0, 0
	for i := range rep.Messages {
		m := &rep.Messages[i]
		for _, side := range []*sipmsg.Message{m.LAN, m.WAN} {
			switch {
			case side == nil:
			case problems[m.Dialog]:
				need += rawLen(side)
				sides++
			default:
				others++
			}
		}
	}
	if sides == 0 || others == 0 {
		t.Fatalf("zyxel660: %d sides in dialogs with problems, %d in others; the test needs both", sides, others)
	}
	d := buildHTMLData(rep, origin, need)
	if d.RawOmitted != others {
		t.Errorf("%d sides omitted, want the %d outside dialogs with problems", d.RawOmitted, others)
	}
	for _, hm := range d.Messages {
		for _, txt := range []*htmlText{hm.LAN, hm.WAN} {
			if txt != nil && txt.Omitted == problems[hm.Dialog] {
				t.Errorf("message %d (dialog %d, problem %v): text omitted %v", hm.ID, hm.Dialog, problems[hm.Dialog], txt.Omitted)
			}
		}
	}
}

func TestAnalyzeHTMLCLI(t *testing.T) {
	dir := "../../fixtures/st530"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("fixture st530 not present")
	}
	out := filepath.Join(t.TempDir(), "r.html")
	code, stdout, stderr := runCLI(t, "analyze", "--lan", dir+"/lan.pcap", "--wan", dir+"/wan.pcap", "--format", "html", "-o", out, "--fail-on", "never")
	if code != exitOK || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "<!DOCTYPE html>") {
		t.Errorf("not an HTML page: %.60q", b)
	}
	// Without -o the page goes to stdout.
	code, stdout, _ = runCLI(t, "analyze", "--lan", dir+"/lan.pcap", "--wan", dir+"/wan.pcap", "--format", "html", "--fail-on", "never")
	if code != exitOK || stdout != string(b) {
		t.Errorf("exit %d; stdout differs from -o output (%d vs %d bytes)", code, len(stdout), len(b))
	}
}

// TestHTMLDataParts: the JSON block's parts join to the bytes written,
// each part a little over htmlDataPart at most, none cut inside a UTF-8
// sequence, whatever the sizes of the writes.
func TestHTMLDataParts(t *testing.T) {
	var in []byte
	chars := []string{"a", "\\u003c", "é", "中", "😀", `"`, ","}
	for i := 0; len(in) < 5*htmlDataPart; i++ {
		in = append(in, chars[(i*7+i/13)%len(chars)]...)
	}
	for _, step := range []int{1, 3, 4093, 64 << 10, htmlDataPart, 3 * htmlDataPart} {
		var out bytes.Buffer
		p := &htmlDataParts{w: &out}
		for b := in; len(b) > 0; {
			n := min(step, len(b))
			if k, err := p.Write(b[:n]); k != n || err != nil {
				t.Fatalf("step %d: wrote %d of %d: %v", step, k, n, err)
			}
			b = b[n:]
		}
		parts := strings.Split(out.String(), htmlDataClose+htmlDataOpen)
		if len(parts) < 5 {
			t.Errorf("step %d: %d parts of %d bytes, want at least 5", step, len(parts), len(in))
		}
		for i, part := range parts {
			if len(part) > htmlDataPart+utf8.UTFMax || !utf8.ValidString(part) {
				t.Errorf("step %d: part %d: %d bytes, valid UTF-8 %v", step, i, len(part), utf8.ValidString(part))
			}
		}
		if strings.Join(parts, "") != string(in) {
			t.Errorf("step %d: the parts do not join to what was written", step)
		}
	}
}
