package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sipalg/sipalg/analyze"
	"github.com/sipalg/sipalg/analyze/match"
)

// -screenshot writes a PNG of the st530 report, as the browser test sees
// it, to the given file (make screenshot: docs/html-report-st530.png).
var screenshotPath = flag.String("screenshot", "", "write a PNG of the st530 HTML report to this file (browser test)")

func writeReportPage(t *testing.T, rep *analyze.Report, name string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := renderHTML(f, rep); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return "file://" + path
}

// pageProblems fails the test on any uncaught exception or console error
// (Content-Security-Policy violations are console errors).
func pageProblems(t *testing.T, b *browser) {
	t.Helper()
	for _, p := range b.takeProblems() {
		t.Errorf("page: %s", p)
	}
}

// js quotes v as a JavaScript literal.
func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestHTMLInChromium loads the st530 report in headless Chromium and uses
// it as a person would: opens the call's dialog, clicks the INVITE's
// arrow, reads the highlighted fields on both sides and the findings
// beside them, opens the dialog with the dropped incoming INVITE, and
// filters the findings table. Every expectation comes from the report
// model, so the test holds whatever the rules catalog says.
func TestHTMLInChromium(t *testing.T) {
	dir := "../../fixtures/st530"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("fixture st530 not present")
	}
	rep := fixtureReport(t, dir)
	url := writeReportPage(t, rep, "st530.html")
	start := time.Now()
	b := startChromium(t, 1400, 1000)
	b.navigate(url)
	pageProblems(t, b)

	// The summary and the lists.
	var top struct {
		Dialogs, Timelines, Rows int
		Count, NAT               string
	}
	b.mustEval(`({Dialogs: document.querySelectorAll('#dialogs details.dialog').length,
		Timelines: document.querySelectorAll('#mappings svg.timeline rect.active').length,
		Rows: document.querySelectorAll('#findings tbody tr').length,
		Count: document.getElementById('f-count').textContent,
		NAT: document.getElementById('nat-type').textContent})`, &top)
	if top.Dialogs != len(rep.Dialogs) || top.Timelines != len(rep.Mappings) || top.NAT != rep.NAT.MappingBehavior {
		t.Errorf("page shows %d dialogs, %d mapping bars, NAT %q; report has %d, %d, %q",
			top.Dialogs, top.Timelines, top.NAT, len(rep.Dialogs), len(rep.Mappings), rep.NAT.MappingBehavior)
	}
	if want := min(len(rep.Findings), 500); top.Rows != want || top.Count != fmt.Sprintf("%d of %d findings", len(rep.Findings), len(rep.Findings)) {
		t.Errorf("findings table: %d rows, %q; want %d rows", top.Rows, top.Count, want)
	}

	// The outbound INVITE: open its dialog, click its arrow.
	inv := firstMessage(rep, func(m *match.Message) bool {
		return m.Method == "INVITE" && m.Status == nil && m.Direction == "outbound" && m.State == match.Matched && len(m.Changes) > 0
	})
	if inv == nil {
		t.Fatal("st530 has no rewritten outbound INVITE")
	}
	var ladder struct {
		Rows, Selected int
		Detail         bool
		Hash           string
	}
	b.mustEval(`(async () => {
		const det = document.getElementById('dialog-`+fmt.Sprint(inv.Dialog)+`');
		det.querySelector('summary').click();
		await new Promise(r => setTimeout(r, 50));
		const rows = det.querySelectorAll('svg.ladder g.msg').length;
		det.querySelector('svg.ladder g.msg[data-msg="`+fmt.Sprint(inv.ID)+`"] .arrow').dispatchEvent(new MouseEvent('click', {bubbles: true}));
		await new Promise(r => setTimeout(r, 50));
		return {Rows: rows, Selected: det.querySelectorAll('g.msg.selected').length,
			Detail: !!document.getElementById('detail-`+fmt.Sprint(inv.ID)+`'), Hash: location.hash};
	})()`, &ladder)
	if want := len(dialogOf(rep, inv.Dialog).Messages); ladder.Rows != want || ladder.Selected != 1 || !ladder.Detail || ladder.Hash != fmt.Sprintf("#msg-%d", inv.ID) {
		t.Fatalf("after clicking the INVITE: %+v; want %d ladder rows, one selected, its detail and #msg-%d", ladder, want, inv.ID)
	}
	checkDetail(t, b, rep, inv)

	// The dialog of the dropped incoming INVITE: the drops are marked.
	drop := firstMessage(rep, func(m *match.Message) bool { return m.State == match.Dropped })
	if drop == nil {
		t.Fatal("st530 has no dropped message")
	}
	wantDropped := 0
	for _, mi := range dialogOf(rep, drop.Dialog).Messages {
		if rep.Messages[mi].State == match.Dropped {
			wantDropped++
		}
	}
	var dropped struct {
		Marked, Notes int
		Missing       string
	}
	b.mustEval(`(async () => {
		const det = document.getElementById('dialog-`+fmt.Sprint(drop.Dialog)+`');
		det.querySelector('summary').click();
		await new Promise(r => setTimeout(r, 50));
		det.querySelector('g.msg[data-msg="`+fmt.Sprint(drop.ID)+`"] .hit').dispatchEvent(new MouseEvent('click', {bubbles: true}));
		await new Promise(r => setTimeout(r, 50));
		const d = document.getElementById('detail-`+fmt.Sprint(drop.ID)+`');
		return {Marked: det.querySelectorAll('g.msg.dropped').length, Notes: det.querySelectorAll('.note.dropped').length,
			Missing: d ? d.querySelector('.side-pane.lan .missing').textContent : ''};
	})()`, &dropped)
	if dropped.Marked != wantDropped || dropped.Notes != wantDropped || !strings.Contains(dropped.Missing, "dropped") {
		t.Errorf("dropped dialog: %+v; want %d dropped rows with notes and the LAN side marked missing", dropped, wantDropped)
	}

	// Filters: one verdict, then one rule, then a search.
	f0 := rep.Findings[0]
	var byVerdict, byRule, bySearch int
	for _, f := range rep.Findings {
		if f.Verdict != f0.Verdict {
			continue
		}
		byVerdict++
		if f.Rule == f0.Rule {
			byRule++
			hay := strings.ToLower(strings.Join([]string{f.Rule, f.Field, f.Before, f.After, f.Method, f.Explanation}, " "))
			if strings.Contains(hay, "call-id") {
				bySearch++
			}
		}
	}
	var filtered struct{ Verdict, Rule, Search int }
	b.mustEval(`(() => {
		const form = document.getElementById('finding-filters');
		const rows = () => document.querySelectorAll('#findings tbody tr').length;
		form.querySelectorAll('input[name=verdict]').forEach(c => { c.checked = c.value === `+js(f0.Verdict)+`; });
		form.dispatchEvent(new Event('change'));
		const v = rows();
		const sel = document.getElementById('f-rule');
		sel.value = `+js(f0.Rule)+`;
		sel.dispatchEvent(new Event('change', {bubbles: true}));
		const r = rows();
		const q = document.getElementById('f-text');
		q.value = 'Call-ID';
		q.dispatchEvent(new Event('input'));
		return {Verdict: v, Rule: r, Search: rows()};
	})()`, &filtered)
	if filtered.Verdict != min(byVerdict, 500) || filtered.Rule != min(byRule, 500) || filtered.Search != min(bySearch, 500) {
		t.Errorf("filtered rows %+v; want verdict %d, rule %d, search %d", filtered, byVerdict, byRule, bySearch)
	}

	// A link that presets the filters and opens a message.
	b.navigate(url + "?verdict=bad&rule=" + f0.Rule + fmt.Sprintf("#msg-%d", drop.ID))
	var linked struct {
		Checked []string
		Rule    string
		Detail  bool
	}
	b.mustEval(`({Checked: [...document.querySelectorAll('input[name=verdict]:checked')].map(c => c.value),
		Rule: document.getElementById('f-rule').value,
		Detail: !!document.getElementById('detail-`+fmt.Sprint(drop.ID)+`')})`, &linked)
	if len(linked.Checked) != 1 || linked.Checked[0] != "bad" || linked.Rule != f0.Rule || !linked.Detail {
		t.Errorf("?verdict=bad&rule=%s#msg-%d gave %+v", f0.Rule, drop.ID, linked)
	}
	pageProblems(t, b)

	if *screenshotPath != "" {
		// The report as a user at the repository root would make it.
		t.Chdir("../..")
		shown, err := analyze.Run(filepath.Join("fixtures", "st530", "lan.pcap"), filepath.Join("fixtures", "st530", "wan.pcap"), analyze.Options{Version: "dev"})
		if err != nil {
			t.Fatal(err)
		}
		b.navigate(writeReportPage(t, shown, "st530.html") + fmt.Sprintf("#msg-%d", inv.ID))
		var bottom float64
		b.mustEval(`(() => { window.scrollTo(0, 0); const d = document.getElementById('detail-`+fmt.Sprint(inv.ID)+`');
			return d.getBoundingClientRect().bottom + window.scrollY + 12; })()`, &bottom)
		b.screenshot(*screenshotPath, 0, int(bottom))
		t.Logf("screenshot written to %s", *screenshotPath)
	}
	t.Logf("browser test took %v", time.Since(start).Round(time.Millisecond))
}

// checkDetail reads the message panel: both sides' text, each rewritten
// field highlighted with the value the diff found, and the findings.
func checkDetail(t *testing.T, b *browser, rep *analyze.Report, m *match.Message) {
	t.Helper()
	type mark struct {
		C    string
		Text string
	}
	var got struct {
		LAN, WAN         []mark
		LANText, WANText string
		Rules            []string
	}
	b.mustEval(`(() => {
		const d = document.getElementById('detail-`+fmt.Sprint(m.ID)+`');
		const marks = side => [...d.querySelectorAll('.side-pane.' + side + ' pre mark')].map(e => ({C: e.getAttribute('data-c'), Text: e.textContent}));
		return {LAN: marks('lan'), WAN: marks('wan'),
			LANText: d.querySelector('.side-pane.lan pre').textContent, WANText: d.querySelector('.side-pane.wan pre').textContent,
			Rules: [...d.querySelectorAll('.findings-pane .finding b')].map(e => e.textContent)};
	})()`, &got)
	if got.LANText != displayText(m.LAN.Raw) || got.WANText != displayText(m.WAN.Raw) {
		t.Errorf("message %d: the panes do not show the messages as captured", m.ID)
	}
	// Each change's marks, joined, are its value on that side.
	joined := func(ms []mark, ci int) string {
		var s strings.Builder
		for _, mk := range ms {
			if strings.Contains(" "+mk.C+" ", fmt.Sprintf(" %d ", ci)) {
				s.WriteString(mk.Text)
			}
		}
		return s.String()
	}
	for ci, c := range m.Changes {
		if c.SpanA.IsZero() || c.SpanB.IsZero() || c.Kind.String() == "syntax" {
			continue
		}
		lanVal, wanVal := string(c.Before), string(c.After) // outbound: entered on the LAN
		if g := joined(got.LAN, ci); g != lanVal {
			t.Errorf("LAN highlight of %s: %q, want %q", c.Field, g, lanVal)
		}
		if g := joined(got.WAN, ci); g != wanVal {
			t.Errorf("WAN highlight of %s: %q, want %q", c.Field, g, wanVal)
		}
	}
	var want []string
	for _, f := range rep.Findings {
		if f.MessageID != nil && *f.MessageID == m.ID {
			want = append(want, f.Rule)
		}
	}
	slices.Sort(want)
	slices.Sort(got.Rules)
	if len(want) == 0 || !slices.Equal(got.Rules, want) {
		t.Errorf("findings beside message %d: %q, want %q", m.ID, got.Rules, want)
	}
}

func firstMessage(rep *analyze.Report, ok func(*match.Message) bool) *match.Message {
	for i := range rep.Messages {
		if ok(&rep.Messages[i]) {
			return &rep.Messages[i]
		}
	}
	return nil
}

func dialogOf(rep *analyze.Report, id int) *match.Dialog {
	for i := range rep.Dialogs {
		if rep.Dialogs[i].ID == id {
			return &rep.Dialogs[i]
		}
	}
	return &match.Dialog{}
}

// TestHTMLHostileInChromium opens every ladder and message of the hostile
// report: nothing from the capture may run, and the text shows as text.
func TestHTMLHostileInChromium(t *testing.T) {
	url := writeReportPage(t, hostileReport(), "hostile.html")
	b := startChromium(t, 1200, 900)
	b.navigate(url + "?open=all")
	var got struct {
		Pwned  any
		Opened int
		Text   string
		Marks  int
		Title  string
	}
	b.mustEval(`(async () => {
		const rows = [...document.querySelectorAll('svg.ladder g.msg')];
		for (const g of rows) {
			g.querySelector('.hit').dispatchEvent(new MouseEvent('click', {bubbles: true}));
			await new Promise(r => setTimeout(r, 30));
		}
		location.hash = 'msg-1';
		await new Promise(r => setTimeout(r, 30));
		const d = document.getElementById('detail-1');
		return {Pwned: window.__pwned === undefined ? null : window.__pwned, Opened: rows.length,
			Text: d.querySelector('.side-pane.lan pre').textContent, Marks: d.querySelectorAll('mark').length, Title: document.title};
	})()`, &got)
	if got.Pwned != nil {
		t.Errorf("script from the capture ran: window.__pwned = %v", got.Pwned)
	}
	if got.Opened != 2 || got.Marks == 0 || !strings.Contains(got.Text, "Call-ID: </script><script>window.__pwned=1</script>@192.168.1.10") {
		t.Errorf("hostile page: %d rows, %d marks, text %q", got.Opened, got.Marks, got.Text)
	}
	if !strings.Contains(got.Title, "wan</title><script>") {
		t.Errorf("title %q: the file name should show as text", got.Title)
	}
	pageProblems(t, b)
}

// TestHTMLManyDialogsInChromium checks that a report of many dialogs
// opens without drawing them: ladders are drawn when a dialog opens.
func TestHTMLManyDialogsInChromium(t *testing.T) {
	base := hostileReport()
	rep := *base
	rep.Messages, rep.Dialogs, rep.Findings = nil, nil, nil
	const n = 2000
	for i := 0; i < n; i++ {
		m := base.Messages[0]
		m.ID, m.Dialog = i+1, i+1
		rep.Messages = append(rep.Messages, m)
		rep.Dialogs = append(rep.Dialogs, match.Dialog{ID: i + 1, Method: "INVITE", Messages: []int{i}})
		for _, f := range base.Findings {
			id := i + 1
			f.MessageID = &id
			rep.Findings = append(rep.Findings, f)
		}
	}
	url := writeReportPage(t, &rep, "many.html")
	page, err := os.ReadFile(strings.TrimPrefix(url, "file://"))
	if err != nil {
		t.Fatal(err)
	}
	// The page's script joins the JSON block's parts (htmlDataParts).
	if n := strings.Count(string(page), htmlDataOpen); n < 2 {
		t.Fatalf("the JSON block of %d bytes is in %d part(s), want several", len(page), n)
	}
	b := startChromium(t, 1200, 900)
	start := time.Now()
	b.navigate(url)
	var got struct{ Listed, Ladders, Rows int }
	b.mustEval(`({Listed: document.querySelectorAll('#dialogs details.dialog').length,
		Ladders: document.querySelectorAll('svg.ladder').length,
		Rows: document.querySelectorAll('#findings tbody tr').length})`, &got)
	if got.Listed != 200 || got.Ladders != 0 || got.Rows != 500 {
		t.Errorf("%d dialogs: listed %d (want the first 200), %d ladders drawn (want 0), %d finding rows (want 500)", n, got.Listed, got.Ladders, got.Rows)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the page took %v to load", d)
	}
	pageProblems(t, b)
}

// TestHTMLProblemDialogsFirstInChromium: a report of more dialogs than
// one page lists those with problems first; unticking the box lists them
// all, a page at a time.
func TestHTMLProblemDialogsFirstInChromium(t *testing.T) {
	base := hostileReport()
	rep := *base
	rep.Messages, rep.Dialogs, rep.Findings = nil, nil, nil
	const n, every = 1000, 50
	for i := 0; i < n; i++ {
		m := base.Messages[0] // matched: a problem only with a warning
		m.ID, m.Dialog = i+1, i+1
		rep.Messages = append(rep.Messages, m)
		rep.Dialogs = append(rep.Dialogs, match.Dialog{ID: i + 1, Method: "INVITE", Messages: []int{i}})
		if i%every == 0 {
			f := base.Findings[0]
			id := i + 1
			f.MessageID = &id
			rep.Findings = append(rep.Findings, f)
		}
	}
	if base.Findings[0].Verdict != "warning" {
		t.Fatalf("the hostile report's first finding is %s; the test needs a warning", base.Findings[0].Verdict)
	}
	url := writeReportPage(t, &rep, "problems.html")
	b := startChromium(t, 1200, 900)
	b.navigate(url)
	var got struct {
		Listed, Problems int
		Count            string
	}
	b.mustEval(`({Listed: document.querySelectorAll('#dialogs details.dialog').length,
		Problems: document.querySelectorAll('#dialogs details.dialog.problem').length,
		Count: document.getElementById('d-count').textContent})`, &got)
	if want := n / every; got.Listed != want || got.Problems != want || !strings.HasPrefix(got.Count, fmt.Sprintf("%d of %d dialogs", want, n)) {
		t.Errorf("listed %d dialogs, %d with problems, count %q; want the %d with problems of %d", got.Listed, got.Problems, got.Count, want, n)
	}
	b.mustEval(`(() => { const c = document.getElementById('d-problems'); c.checked = false; c.dispatchEvent(new Event('change')); return 0; })()`, nil)
	b.mustEval(`({Listed: document.querySelectorAll('#dialogs details.dialog').length, Problems: 0,
		Count: document.getElementById('d-count').textContent})`, &got)
	if got.Listed != 200 || got.Count != fmt.Sprintf("%d of %d dialogs", n, n) {
		t.Errorf("unticked: listed %d, count %q; want the first page of 200 and %d of %d", got.Listed, got.Count, n, n)
	}
	pageProblems(t, b)
}

// TestHTMLMediaInChromium opens the pinhole fixture's call and reads the
// RTP streams drawn under its SIP: both streams, what entered and left,
// and the inbound one marked as having stopped crossing.
func TestHTMLMediaInChromium(t *testing.T) {
	dir := "../../fixtures/lab-pinhole-alg"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("fixture lab-pinhole-alg not present")
	}
	rep := fixtureReport(t, dir)
	url := writeReportPage(t, rep, "pinhole.html")
	b := startChromium(t, 1200, 900)
	b.navigate(url + "?open=all")
	var got struct {
		Streams []string
		Bad     int
	}
	b.mustEval(`({Streams: [...document.querySelectorAll('svg.ladder g.stream')].map(g => g.textContent),
		Bad: document.querySelectorAll('svg.ladder g.stream.bad').length})`, &got)
	if len(got.Streams) != 2 || got.Bad != 1 {
		t.Fatalf("streams %q, %d bad; want 2 streams, the inbound one bad", got.Streams, got.Bad)
	}
	joined := strings.Join(got.Streams, " | ")
	for _, want := range []string{"RTP 0x0b0b0b02 500 in", "209 out · lost 291 (58.2 %, run 291) · stopped crossing", "RTP 0x0a11ce01 500 in", "500 out · none lost"} {
		if !strings.Contains(joined, want) {
			t.Errorf("ladder streams %q lack %q", joined, want)
		}
	}
	pageProblems(t, b)
}
