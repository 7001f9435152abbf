package main

// This file renders the report as one self-contained HTML page (--format
// html): rendering only, from the report model. The page's parts live in
// html/ and are embedded: the template, the stylesheet and the script.
// The summary (verdict, NAT, mapping timelines, fingerprints) is rendered
// here; the dialog ladders and the findings table are drawn by the script
// from a JSON copy of the messages and findings, one dialog at a time when
// it is opened, so a report of thousands of dialogs opens at once.
// (2026-11, headless Chromium 156 on 2 cores, 2000 dialogs of 10 messages:
// the page is ready in 1.7 s; drawing every ladder, as ?open=all does,
// takes 27 s.)
//
// Captures are hostile input: every string from them reaches the page
// through html/template (escaped for its context) or through the JSON
// block (json.Marshal escapes <, > and &, so "</script>" cannot close it),
// and the script puts text into the page with textContent only. A
// Content-Security-Policy allows no network access and runs no script but
// the page's own, by hash.

import (
	"bufio"
	"cmp"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sipalg/sipalg/analyze"
	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/sipmsg"
	"github.com/sipalg/sipalg/rules"
)

//go:embed html/report.html.tmpl html/report.css html/report.js
var htmlAssets embed.FS

// Limits of what the page embeds. The JSON holds every message and
// finding; only the raw text of messages is bounded.
const (
	// maxHTMLMessageBytes bounds the raw text shown per message side: the
	// largest UDP datagram (65507 bytes) fits; a longer TCP message is cut
	// with a note.
	maxHTMLMessageBytes = 65507
	// maxHTMLRawBytes bounds the raw text of all messages together: 64 MiB
	// is about 60,000 INVITEs with SDP on both sides, a page browsers still
	// open in seconds. Messages past it show their fields and findings
	// without the text.
	maxHTMLRawBytes = 64 << 20
)

// htmlTimelineWidth is the width in pixels of a mapping timeline.
const htmlTimelineWidth = 560

var htmlTmpl = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
	// px formats an SVG coordinate: v+d with one decimal.
	"px":      func(v, d float64) string { return strconv.FormatFloat(v+d, 'f', 1, 64) },
	"neg":     func(v float64) float64 { return -v },
	"timeout": func(b correlate.Bounds) string { return udpTimeout(b.Lower, b.Upper) },
	// latency and capturePoints word where the captures were taken.
	"latency":       latencyLabel,
	"capturePoints": capturePoints,
	"natAddresses":  natAddresses,
	"bound": func(p *float64) string {
		if p == nil {
			return "?"
		}
		return fmt.Sprintf("%.1f s", *p)
	},
}).ParseFS(htmlAssets, "html/report.html.tmpl"))

// htmlPage is what the template renders.
type htmlPage struct {
	Title        string
	Tool         analyze.Tool
	LAN, WAN     analyze.Input
	Clock        correlate.Clock
	NAT          correlate.NAT
	PortPreserve string
	Verdict      rules.Summary
	VerdictClass string // bad, warning or ok
	Counts       htmlCounts
	Timeline     htmlTimeline
	Fingerprints []rules.Fingerprint
	Warnings     []string
	Rules        []htmlRuleCount
	Verdicts     []htmlRuleCount
	CSS          template.CSS
	JS           template.JS
	CSP          string
}

type htmlCounts struct {
	Messages, Dialogs, Findings, Matched, Dropped, Generated, Outside int
}

type htmlRuleCount struct {
	Name  string
	Count int
}

// htmlTimeline is the mapping chart: one row per mapping on a common time
// axis (LAN clock, seconds from the first packet of either capture).
type htmlTimeline struct {
	Width float64
	Ticks []htmlTick
	Rows  []htmlMappingRow
	SpanS float64
}

type htmlTick struct {
	X     float64
	Label string
}

type htmlMappingRow struct {
	Proto, Kind, LAN, WAN, Remotes string
	PacketsOut, PacketsIn          int
	// X1, X2: first and last packet.
	X1, X2 float64
	// Expired mappings: EX is where the mapping was found gone (last
	// packet + the idle gap after which inbound traffic was dropped).
	Expired  bool
	EX       float64
	HasEX    bool
	MaxIdleS float64
	Lifetime correlate.Bounds
	Dropped  int
	Title    string
}

// htmlData is the JSON block the script draws from.
type htmlData struct {
	// Origin is the time origin of every T, RFC 3339, LAN clock.
	Origin   string          `json:"origin"`
	OffsetS  float64         `json:"offset_s"`
	Messages []htmlMessage   `json:"messages"`
	Dialogs  []htmlDialog    `json:"dialogs"`
	Findings []rules.Finding `json:"findings"`
	// RawOmitted counts message sides whose text was left out
	// (maxHTMLRawBytes).
	RawOmitted int `json:"raw_omitted"`
	// Away is set when the captures were not taken at the router's own
	// interfaces (clock.captured_at_router false): a message seen on one
	// side only is "not seen" there, not dropped or generated by it.
	Away bool `json:"away"`
}

type htmlMessage struct {
	htmlMessageHead
	// T is the time the message was first seen, seconds from Origin.
	T        float64      `json:"t"`
	LAN      *htmlText    `json:"lan"`
	WAN      *htmlText    `json:"wan"`
	Changes  []htmlChange `json:"changes"`
	Findings []int        `json:"findings"` // indexes into htmlData.Findings
	// Worst is the worst verdict of the message's findings, "" if none.
	Worst string `json:"worst"`
}

// htmlMessageHead is the part of a message's entry that depends on the
// message alone (a streamed page encodes it as the message is judged);
// its fields come first in the JSON.
type htmlMessageHead struct {
	ID       int    `json:"id"`
	Dir      string `json:"dir"`
	LANFrame *int   `json:"lan_frame"`
	WANFrame *int   `json:"wan_frame"`
	Method   string `json:"method"`
	Status   *int   `json:"status"`
	CSeq     string `json:"cseq"`
	State    string `json:"state"`
	Retrans  bool   `json:"retrans,omitempty"`
	Dialog   int    `json:"dialog"`
	Proto    string `json:"proto"`
	// Packet endpoints on each side, "" on a missing side.
	LANSrc string `json:"lan_src"`
	LANDst string `json:"lan_dst"`
	WANSrc string `json:"wan_src"`
	WANDst string `json:"wan_dst"`
}

// htmlText is one side of a message as runs of text, each run marked
// with the changes whose span covers it (innermost first). A run with no
// text is where a change has an empty span (an added empty parameter).
type htmlText struct {
	Segs []htmlSeg `json:"segs"`
	// Cut is set when the text was cut at maxHTMLMessageBytes.
	Cut bool `json:"cut,omitempty"`
	// Omitted is set when the text was left out (maxHTMLRawBytes).
	Omitted bool `json:"omitted,omitempty"`
	Bytes   int  `json:"bytes"`
}

type htmlSeg struct {
	T string `json:"t"`
	C []int  `json:"c,omitempty"`
}

type htmlChange struct {
	htmlChangeHead
	Verdict  string `json:"verdict"`
	Findings []int  `json:"findings"`
}

// htmlChangeHead is what a change's entry holds of the change alone.
type htmlChangeHead struct {
	Field  string `json:"field"`
	Kind   string `json:"kind"`
	Before string `json:"before"`
	After  string `json:"after"`
}

type htmlDialog struct {
	htmlDialogHead
	Messages []int `json:"messages"` // message IDs, in time order
	htmlDialogTail
}

// htmlDialogHead is the dialog's entry up to its messages.
type htmlDialogHead struct {
	ID         int      `json:"id"`
	Method     string   `json:"method"`
	CallIDsLAN []string `json:"call_ids_lan"`
	CallIDsWAN []string `json:"call_ids_wan"`
	Tags       []string `json:"tags"`
}

// htmlDialogTail is the dialog's entry after its messages.
type htmlDialogTail struct {
	T0        float64 `json:"t0"`
	T1        float64 `json:"t1"`
	Dropped   int     `json:"dropped"`
	Generated int     `json:"generated"`
	// Verdicts counts the findings of the dialog's messages by verdict.
	Verdicts map[string]int `json:"verdicts"`
	// Media lists the RTP streams the SDP ties to the dialog, drawn under
	// its SIP.
	Media []htmlStream `json:"media"`
}

// htmlStream is one RTP stream of a dialog's ladder.
type htmlStream struct {
	SSRC      string  `json:"ssrc"`
	Dir       string  `json:"dir"`
	Entered   int     `json:"entered"`
	Left      int     `json:"left"`
	Lost      int     `json:"lost"`
	LossPct   float64 `json:"loss_pct"`
	MaxBurst  int     `json:"max_burst"`
	Stopped   int     `json:"stopped"`
	OneWay    bool    `json:"one_way"`
	DelayP99  float64 `json:"delay_p99"`
	JitterMS  float64 `json:"jitter_ms"`
	T0        float64 `json:"t0"` // first packet, seconds from Origin
	T1        float64 `json:"t1"`
	HasDelays bool    `json:"has_delays"`
}

// renderHTML writes the HTML report of rep, a report kept whole, to w.
// The JSON block is streamed between the template's head and tail, so
// the page is never held in memory whole.
func renderHTML(w io.Writer, rep *analyze.Report) error {
	return renderHTMLBudget(w, rep, maxHTMLRawBytes)
}

// renderHTMLBudget is renderHTML with the texts of all messages together
// bounded by rawBudget bytes.
func renderHTMLBudget(w io.Writer, rep *analyze.Report, rawBudget int) error {
	origin := reportOrigin(rep)
	page, err := buildHTMLPage(rep, origin, tallyOf(rep))
	if err != nil {
		return err
	}
	return writeHTMLPage(w, page, func(bw *bufio.Writer) error {
		// json.Encoder escapes <, > and & (SetEscapeHTML is on by
		// default) and U+2028/U+2029, so nothing in the data can end
		// the element.
		return json.NewEncoder(bw).Encode(buildHTMLData(rep, origin, rawBudget))
	})
}

// writeHTMLPage writes the page: the template's head, the JSON block
// data writes, and the tail.
func writeHTMLPage(w io.Writer, page *htmlPage, data func(*bufio.Writer) error) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := htmlTmpl.ExecuteTemplate(bw, "head", page); err != nil {
		return err
	}
	bw.WriteString(htmlDataOpen)
	parts := &htmlDataParts{w: bw}
	dw := bufio.NewWriterSize(parts, 64<<10)
	if err := data(dw); err != nil {
		return err
	}
	if err := dw.Flush(); err != nil {
		return err
	}
	bw.WriteString(htmlDataClose + "\n")
	if err := htmlTmpl.ExecuteTemplate(bw, "tail", page); err != nil {
		return err
	}
	return bw.Flush()
}

// The JSON block is written in parts of about htmlDataPart bytes, each a
// data element of its own; the page's script joins their texts before it
// parses them.
//
// Why (2026-12, issue 15): Chromium's HTML parser took 10.7 s to take in
// the 73 MB of the 25k SIP-heavy pair's report as one element, 7 MB/s
// (the whole page was ready after 12.5 s; JSON.parse took 0.8 s of it).
// In parts of 256 KiB it took 0.86 s, and the page was ready after 2.5 s
// (1 MiB: 1.0 s, 4 MiB: 1.5 s).
const (
	htmlDataPart  = 256 << 10
	htmlDataOpen  = `<script type="application/json" class="sipalg-data">`
	htmlDataClose = `</script>`
)

// htmlDataParts passes the JSON block on to w, closing a data element and
// opening the next after each htmlDataPart bytes or so, between two
// characters: never inside a UTF-8 sequence. An element's text is not
// decoded (no entities), so the texts joined are the bytes written.
type htmlDataParts struct {
	w io.Writer
	n int // bytes in the current part
}

func (p *htmlDataParts) Write(b []byte) (int, error) {
	written := 0
	for len(b) > 0 {
		room := htmlDataPart - p.n
		if room >= len(b) {
			n, err := p.w.Write(b)
			p.n += n
			return written + n, err
		}
		// Cut at room, or just after it, where no UTF-8 sequence goes on.
		cut := max(room, 0)
		for cut < len(b) && !utf8.RuneStart(b[cut]) {
			cut++
		}
		if cut == len(b) {
			n, err := p.w.Write(b)
			p.n += n
			return written + n, err
		}
		n, err := p.w.Write(b[:cut])
		written += n
		if err != nil {
			return written, err
		}
		if _, err := io.WriteString(p.w, htmlDataClose+htmlDataOpen); err != nil {
			return written, err
		}
		p.n = 0
		b = b[cut:]
	}
	return written, nil
}

// htmlTally is what the page's summary counts of the messages, dialogs
// and findings.
type htmlTally struct {
	Counts htmlCounts
	// Rules and Verdicts count the findings by rule and by verdict.
	Rules, Verdicts map[string]int
}

func newHTMLTally() htmlTally {
	return htmlTally{Rules: map[string]int{}, Verdicts: map[string]int{}}
}

// message counts m.
func (t *htmlTally) message(m *match.Message) {
	t.Counts.Messages++
	switch m.State {
	case match.Matched:
		t.Counts.Matched++
	case match.Dropped:
		t.Counts.Dropped++
	case match.Generated:
		t.Counts.Generated++
	case match.Outside:
		t.Counts.Outside++
	}
}

// finding counts f.
func (t *htmlTally) finding(f *rules.Finding) {
	t.Counts.Findings++
	t.Rules[f.Rule]++
	t.Verdicts[string(f.Verdict)]++
}

// tallyOf counts what rep, a report kept whole, holds.
func tallyOf(rep *analyze.Report) htmlTally {
	t := newHTMLTally()
	for i := range rep.Messages {
		t.message(&rep.Messages[i])
	}
	for i := range rep.Findings {
		t.finding(&rep.Findings[i])
	}
	t.Counts.Dialogs = len(rep.Dialogs)
	return t
}

// buildHTMLPage makes the page's summary: rep's (its messages and
// findings are not read), the counts t, times from origin.
func buildHTMLPage(rep *analyze.Report, origin time.Time, t htmlTally) (*htmlPage, error) {
	css, err := htmlAssets.ReadFile("html/report.css")
	if err != nil {
		return nil, err
	}
	js, err := htmlAssets.ReadFile("html/report.js")
	if err != nil {
		return nil, err
	}
	p := &htmlPage{
		Title:        "sipalg report: " + rep.Inputs["lan"].File + " | " + rep.Inputs["wan"].File,
		Tool:         rep.Tool,
		LAN:          rep.Inputs["lan"],
		WAN:          rep.Inputs["wan"],
		Clock:        rep.Clock,
		NAT:          rep.NAT,
		PortPreserve: "unknown",
		Verdict:      rep.Verdict,
		Fingerprints: rep.Fingerprints,
		Warnings:     append(slices.Clone(rep.Warnings), inputWarnings(rep)...),
		CSS:          template.CSS(css),
		JS:           template.JS(js),
		CSP: "default-src 'none'; img-src data:; style-src 'sha256-" + sha256b64(css) +
			"'; script-src 'sha256-" + sha256b64(js) + "'",
	}
	if b := rep.NAT.PortPreservation; b != nil {
		p.PortPreserve = fmt.Sprint(*b)
	}
	p.Counts = t.Counts
	p.VerdictClass = "ok"
	switch {
	case rep.Verdict.Bad > 0 || t.Verdicts[string(rules.Bad)] > 0:
		p.VerdictClass = "bad"
	case rep.Verdict.Warnings > 0 || t.Verdicts[string(rules.Warning)] > 0:
		p.VerdictClass = "warning"
	}
	for name, n := range t.Rules {
		p.Rules = append(p.Rules, htmlRuleCount{name, n})
	}
	slices.SortFunc(p.Rules, func(a, b htmlRuleCount) int { return cmp.Compare(a.Name, b.Name) })
	for _, v := range []rules.Verdict{rules.Bad, rules.Warning, rules.Info, rules.Correct} {
		p.Verdicts = append(p.Verdicts, htmlRuleCount{string(v), t.Verdicts[string(v)]})
	}
	p.Timeline = buildTimeline(rep, origin)
	return p, nil
}

func sha256b64(b []byte) string {
	h := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(h[:])
}

func inputWarnings(rep *analyze.Report) []string {
	var out []string
	for _, side := range []string{"lan", "wan"} {
		for _, w := range rep.Inputs[side].Warnings {
			out = append(out, side+": "+w)
		}
	}
	return out
}

// reportOrigin is the first packet of either capture on the LAN clock.
func reportOrigin(rep *analyze.Report) time.Time {
	var origin time.Time
	if t, err := time.Parse(time.RFC3339Nano, rep.Inputs["lan"].FirstTS); err == nil {
		origin = t
	}
	if t, err := time.Parse(time.RFC3339Nano, rep.Inputs["wan"].FirstTS); err == nil {
		t = t.Add(-time.Duration(rep.Clock.OffsetS * 1e9))
		if origin.IsZero() || t.Before(origin) {
			origin = t
		}
	}
	for i := range rep.Messages { // a report made by hand has no inputs
		if ts := time.Unix(0, rep.Messages[i].TS); rep.Messages[i].TS != 0 && (origin.IsZero() || ts.Before(origin)) {
			origin = ts
		}
	}
	return origin.UTC()
}

func buildTimeline(rep *analyze.Report, origin time.Time) htmlTimeline {
	tl := htmlTimeline{Width: htmlTimelineWidth}
	end := origin
	for _, side := range []string{"lan", "wan"} {
		t, err := time.Parse(time.RFC3339Nano, rep.Inputs[side].LastTS)
		if err != nil {
			continue
		}
		if side == "wan" {
			t = t.Add(-time.Duration(rep.Clock.OffsetS * 1e9))
		}
		if t.After(end) {
			end = t
		}
	}
	for _, m := range rep.Mappings {
		if m.LastSeen.After(end) {
			end = m.LastSeen
		}
	}
	span := end.Sub(origin).Seconds()
	if span <= 0 {
		span = 1
	}
	tl.SpanS = span
	x := func(t time.Time) float64 {
		v := t.Sub(origin).Seconds() / span * float64(tl.Width)
		return min(max(v, 0), float64(tl.Width))
	}
	for _, s := range niceTicks(span) {
		tl.Ticks = append(tl.Ticks, htmlTick{X: s / span * float64(tl.Width), Label: fmt.Sprintf("%gs", s)})
	}
	for _, m := range rep.Mappings {
		r := htmlMappingRow{
			Proto: m.Proto, Kind: m.Kind.String(), LAN: m.LAN.String(), WAN: m.WAN.String(),
			PacketsOut: m.PacketsOut, PacketsIn: m.PacketsIn,
			X1: x(m.FirstSeen), X2: max(x(m.LastSeen), x(m.FirstSeen)+1),
			Expired: m.Expired, MaxIdleS: m.MaxIdleS, Lifetime: m.Lifetime, Dropped: m.DroppedInbound,
		}
		var rs []string
		for _, a := range m.Remotes {
			rs = append(rs, a.String())
		}
		r.Remotes = strings.Join(rs, ", ")
		r.Title = fmt.Sprintf("%s/%s %s → %s: first %s, last %s (+%.3f s, +%.3f s)", m.Proto, r.Kind, r.LAN, r.WAN,
			m.FirstSeen.Format(time.RFC3339Nano), m.LastSeen.Format(time.RFC3339Nano),
			m.FirstSeen.Sub(origin).Seconds(), m.LastSeen.Sub(origin).Seconds())
		if m.Expired && m.Lifetime.Upper != nil {
			r.HasEX = true
			r.EX = x(m.LastSeen.Add(time.Duration(*m.Lifetime.Upper * 1e9)))
		}
		tl.Rows = append(tl.Rows, r)
	}
	return tl
}

// niceTicks returns 1, 2 or 5 × 10^k steps across [0, span], 4 to 10 of them.
func niceTicks(span float64) []float64 {
	step := 1e-3
	for k := 0; span/step > 10; k = (k + 1) % 3 {
		step *= [3]float64{2, 2.5, 2}[k] // 1 → 2 → 5 → 10
	}
	var out []float64
	for i := 0; float64(i)*step <= span+1e-9; i++ {
		out = append(out, float64(int64(float64(i)*step*1e6+0.5))/1e6)
	}
	return out
}

// buildHTMLData makes the JSON block: messages with their text split at
// every change's span, their findings, and the dialogs; the texts take at
// most rawBudget bytes (maxHTMLRawBytes).
func buildHTMLData(rep *analyze.Report, origin time.Time, rawBudget int) *htmlData {
	d := &htmlData{
		Origin:   origin.Format(time.RFC3339Nano),
		OffsetS:  rep.Clock.OffsetS,
		Away:     rep.Clock.Away(),
		Messages: make([]htmlMessage, 0, len(rep.Messages)),
		Dialogs:  make([]htmlDialog, 0, len(rep.Dialogs)),
		Findings: rep.Findings,
	}
	if d.Findings == nil {
		d.Findings = []rules.Finding{}
	}
	// Findings by message.
	byMsg := map[int][]int{}
	for i := range rep.Findings {
		if f := &rep.Findings[i]; f.MessageID != nil {
			byMsg[*f.MessageID] = append(byMsg[*f.MessageID], i)
		}
	}
	// The messages of dialogs with problems get their text first: the
	// budget is split so that, in a capture too large for every text,
	// they are not the ones left out.
	problems := analyze.ProblemDialogs(rep)
	problemRaw := 0
	for i := range rep.Messages {
		if m := &rep.Messages[i]; problems[m.Dialog] {
			problemRaw += rawLen(m.LAN) + rawLen(m.WAN)
		}
	}
	problemBudget := min(problemRaw, rawBudget)
	restBudget := rawBudget - problemBudget
	idByIndex := make([]int, len(rep.Messages))
	for i := range rep.Messages {
		m := &rep.Messages[i]
		idByIndex[i] = m.ID
		budget := &restBudget
		if problems[m.Dialog] {
			budget = &problemBudget
		}
		hm, lanSpans, wanSpans := htmlMessageOf(m, origin)
		idx := byMsg[m.ID]
		fs := make([]*rules.Finding, len(idx))
		for k, i := range idx {
			fs[k] = &rep.Findings[i]
		}
		withFindings(&hm, fs, idx)
		hm.LAN = textOf(m.LAN, lanSpans, budget, &d.RawOmitted)
		hm.WAN = textOf(m.WAN, wanSpans, budget, &d.RawOmitted)
		d.Messages = append(d.Messages, hm)
	}
	for _, dl := range rep.Dialogs {
		hd := htmlDialog{
			htmlDialogHead: htmlDialogHead{ID: dl.ID, Method: dl.Method, CallIDsLAN: nonNil(dl.CallIDsLAN), CallIDsWAN: nonNil(dl.CallIDsWAN),
				Tags: nonNil(dl.Tags)},
			Messages: make([]int, 0, len(dl.Messages)), htmlDialogTail: htmlDialogTail{Verdicts: map[string]int{}},
		}
		for k, mi := range dl.Messages {
			if mi < 0 || mi >= len(rep.Messages) {
				continue
			}
			hd.Messages = append(hd.Messages, idByIndex[mi])
			hm := &d.Messages[mi]
			if k == 0 || hm.T < hd.T0 {
				hd.T0 = hm.T
			}
			hd.T1 = max(hd.T1, hm.T)
			switch hm.State {
			case match.Dropped:
				hd.Dropped++
			case match.Generated:
				hd.Generated++
			}
			for _, fi := range hm.Findings {
				hd.Verdicts[string(rep.Findings[fi].Verdict)]++
			}
		}
		hd.Media = []htmlStream{}
		d.Dialogs = append(d.Dialogs, hd)
	}
	byID := map[int]*htmlDialog{}
	for i := range d.Dialogs {
		byID[d.Dialogs[i].ID] = &d.Dialogs[i]
	}
	for _, m := range rep.Media {
		if m.Dialog == nil || byID[*m.Dialog] == nil {
			continue
		}
		hd := byID[*m.Dialog]
		hd.Media = append(hd.Media, htmlStreamOf(&m, origin))
	}
	return d
}

// htmlMessageOf is m's entry without its texts, findings and verdicts,
// and the spans of its changes in the text of each side (T counts from
// origin).
func htmlMessageOf(m *match.Message, origin time.Time) (hm htmlMessage, lanSpans, wanSpans []markSpan) {
	hm = htmlMessage{
		htmlMessageHead: htmlMessageHead{ID: m.ID, Dir: m.Direction, LANFrame: m.LANFrame, WANFrame: m.WANFrame,
			Method: m.Method, Status: m.Status, CSeq: m.CSeq, State: m.State,
			Retrans: m.Retransmission, Dialog: m.Dialog, Proto: m.Proto,
			LANSrc: addrPort(m.LANSrc), LANDst: addrPort(m.LANDst), WANSrc: addrPort(m.WANSrc), WANDst: addrPort(m.WANDst)},
		Changes: make([]htmlChange, 0, len(m.Changes)),
	}
	if m.TS != 0 {
		hm.T = float64(m.TS-origin.UnixNano()) / 1e9
	}
	// SpanA is in the message as it entered the router: the LAN side
	// for outbound messages, the WAN side for inbound ones.
	for ci, c := range m.Changes {
		hm.Changes = append(hm.Changes, htmlChange{htmlChangeHead: htmlChangeHead{
			Field: c.Field, Kind: c.Kind.String(),
			Before: displayText(c.Before), After: displayText(c.After),
		}})
		a, b := markSpan{c.SpanA, ci}, markSpan{c.SpanB, ci}
		if m.Direction == "inbound" {
			a, b = b, a
		}
		lanSpans = append(lanSpans, a)
		wanSpans = append(wanSpans, b)
	}
	return hm, lanSpans, wanSpans
}

// withFindings gives hm its findings fs, which are at the indexes idx of
// the page's list of findings, and marks each change with those about its
// field and the worst of their verdicts.
func withFindings(hm *htmlMessage, fs []*rules.Finding, idx []int) {
	worst := func(fs []*rules.Finding) string {
		best, rank := "", -1
		for _, f := range fs {
			if r := f.Verdict.Rank(); r > rank {
				best, rank = string(f.Verdict), r
			}
		}
		return best
	}
	hm.Findings = idx
	if hm.Findings == nil {
		hm.Findings = []int{}
	}
	hm.Worst = worst(fs)
	var about []*rules.Finding
	for ci := range hm.Changes {
		c := &hm.Changes[ci]
		c.Findings, about = []int{}, about[:0]
		for k, f := range fs {
			if f.Field != "" && f.Field == c.Field {
				c.Findings = append(c.Findings, idx[k])
				about = append(about, f)
			}
		}
		c.Verdict = worst(about)
	}
}

func addrPort(a netip.AddrPort) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// markSpan is a change's span in one side's text.
type markSpan struct {
	sipmsg.Span
	change int
}

// textOf splits one side of a message into marked runs, within the size
// budget; nil when the side is missing.
// rawLen is the length of a message side's text as the page holds it.
func rawLen(m *sipmsg.Message) int {
	if m == nil {
		return 0
	}
	return min(len(m.Raw), maxHTMLMessageBytes)
}

func textOf(m *sipmsg.Message, spans []markSpan, budget *int, omitted *int) *htmlText {
	if m == nil {
		return nil
	}
	raw := m.Raw
	t := &htmlText{Bytes: len(raw)}
	if len(raw) > maxHTMLMessageBytes {
		raw, t.Cut = raw[:maxHTMLMessageBytes], true
	}
	if len(raw) > *budget {
		t.Omitted = true
		*omitted++
		t.Segs = []htmlSeg{}
		return t
	}
	*budget -= len(raw)
	t.Segs = segments(raw, spans)
	return t
}

// segments cuts raw at every span boundary and marks each run with the
// changes covering it, innermost (shortest) first. A non-zero empty span
// becomes an empty run at its position. Zero spans (absent values) and
// spans outside raw are ignored.
func segments(raw []byte, spans []markSpan) []htmlSeg {
	var live []markSpan
	cuts := []int{0, len(raw)}
	for _, s := range spans {
		if s.IsZero() || s.Off < 0 || s.End > len(raw) || s.Off > s.End {
			continue
		}
		live = append(live, s)
		cuts = append(cuts, s.Off, s.End)
	}
	slices.SortStableFunc(live, func(a, b markSpan) int { return cmp.Compare(a.Len(), b.Len()) })
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	var out []htmlSeg
	for i, a := range cuts {
		for _, s := range live {
			if s.Len() == 0 && s.Off == a {
				out = append(out, htmlSeg{C: []int{s.change}})
			}
		}
		if i+1 == len(cuts) {
			break
		}
		b := cuts[i+1]
		seg := htmlSeg{T: displayText(raw[a:b])}
		for _, s := range live {
			if s.Off <= a && b <= s.End && s.Len() > 0 {
				seg.C = append(seg.C, s.change)
			}
		}
		// Merge with the previous run when both carry the same marks
		// (only unmarked runs can meet like this).
		if n := len(out); n > 0 && len(seg.C) == 0 && len(out[n-1].C) == 0 {
			out[n-1].T += seg.T
			continue
		}
		out = append(out, seg)
	}
	if out == nil {
		out = []htmlSeg{}
	}
	return out
}

// displayText turns message bytes into text for the page: valid UTF-8 is
// kept, tabs and line ends too; other control bytes and bytes that are not
// UTF-8 are shown as \xNN so that what an ALG mangled stays visible.
func displayText(b []byte) string {
	if b == nil {
		return ""
	}
	var sb strings.Builder
	sb.Grow(len(b))
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&sb, `\x%02x`, b[i])
			n = 1
		case r == '\t' || r == '\r' || r == '\n':
			sb.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&sb, `\x%02x`, r)
		default:
			sb.Write(b[i : i+n])
		}
		i += n
	}
	return sb.String()
}
