package analyze

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/fixtures/benchgen"
	"github.com/sipalg/sipalg/rules"
)

// sipHeavyFiles writes a small pair of the SIP-heavy benchmark's shape
// (40 phones registering and placing four one-second calls each through
// a correct ALG): 160 calls, more dialogs than a bounded digest keeps,
// and NAT-HIDDEN, a capture-wide rule, names registrations after they
// closed.
func sipHeavyFiles(t testing.TB) (lan, wan string) {
	t.Helper()
	cfg := benchgen.Default()
	cfg.Phones, cfg.Call, cfg.Calls, cfg.CallEvery = 40, time.Second, 4, 4*time.Second
	dir := t.TempDir()
	lan, wan = filepath.Join(dir, "lan.pcap"), filepath.Join(dir, "wan.pcap")
	if _, err := benchgen.WriteFiles(cfg, lan, wan); err != nil {
		t.Fatal(err)
	}
	return lan, wan
}

// digestView is everything the table report reads of a digest, with the
// dialogs and findings as EachDialog and EachFinding hand them over (a
// long ladder's parts joined).
type digestView struct {
	Rules                              []TableRule
	Findings, Dialogs, Messages, Probs int
	AllKept                            bool
	FirstTS                            int64
	Ladders                            []TableDialog
	Each                               []string // rule and finding, as EachFinding gives them
	Endpoints                          int
}

func viewOf(t *testing.T, d *TableDigest) digestView {
	t.Helper()
	var v digestView
	if err := d.EachDialog(func(dd TableDialog) error {
		if dd.Continued {
			last := &v.Ladders[len(v.Ladders)-1]
			last.Rows = append(last.Rows, dd.Rows...)
			last.Messages = dd.Messages
			return nil
		}
		dd.Rows = append([]LadderRow(nil), dd.Rows...)
		// No Call-ID on a side is an empty list or none: the ladder
		// shows the same.
		if len(dd.CallIDsLAN) == 0 {
			dd.CallIDsLAN = nil
		}
		if len(dd.CallIDsWAN) == 0 {
			dd.CallIDsWAN = nil
		}
		v.Ladders = append(v.Ladders, dd)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := d.EachFinding(func(rule string, f *rules.Finding) error {
		v.Each = append(v.Each, rule+" "+mustJSON(t, f))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	v.Rules = d.SortedRules()
	for i := range v.Rules {
		v.Rules[i].Examples = nil // compared through Each
	}
	v.Findings, v.Dialogs, v.Messages, v.Probs = d.Findings, d.Dialogs, d.Messages, d.Problems
	v.AllKept, v.FirstTS, v.Endpoints = d.AllKept, d.FirstTS, len(d.endpoints)
	return v
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestTableDigestStreamedEqualsKept: the digest the pipeline builds as it
// judges the dialogs (its spools spilling after every 512 bytes; dialogs
// handed over after 2 s of quiet, and every message alone) is the digest
// of the report kept whole, on every paired fixture and on a SIP-heavy
// pair: with the table's limits, with small ones (a few dialogs fill
// them, so the capture-wide findings decide which are kept and how long
// ladders are cut), and with none (--all, read from the spools).
func TestTableDigestStreamedEqualsKept(t *testing.T) {
	type pair struct{ lan, wan string }
	cases := map[string]pair{}
	for _, dir := range pairedFixtures(t) {
		cases[filepath.Base(dir)] = pair{filepath.Join(dir, "lan.pcap"), filepath.Join(dir, "wan.pcap")}
	}
	lan, wan := sipHeavyFiles(t)
	cases["sip-heavy"] = pair{lan, wan}
	limits := []TableLimits{DefaultTableLimits(), {Examples: 2, Dialogs: 2, LadderRows: 5, Endpoints: 3}, {}}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			for _, flush := range []int64{0, 1} {
				kept, err := Run(c.lan, c.wan, Options{flushAfter: flush})
				if err != nil {
					t.Fatal(err)
				}
				for _, lim := range limits {
					dg := NewStreamedTableDigest(lim, "", 512)
					rep, err := Run(c.lan, c.wan, Options{Stream: true, Sink: dg, SpoolBudget: 512, flushAfter: flush})
					if err != nil {
						t.Fatal(err)
					}
					if !rep.Streamed() || rep.Messages != nil || rep.Findings != nil {
						t.Fatalf("limits %+v: the streamed report keeps messages or findings", lim)
					}
					got, want := mustJSON(t, viewOf(t, dg)), mustJSON(t, viewOf(t, TableDigestOf(kept, lim)))
					if got != want {
						i := 0
						for i < min(len(got), len(want)) && got[i] == want[i] {
							i++
						}
						from := max(i-300, 0)
						t.Errorf("flush %d, limits %+v: the digests differ at byte %d:\nstreamed: …%.400s\nwhole:    …%.400s", flush, lim, i, got[from:], want[from:])
					}
					if err := dg.Close(); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
}

// TestTableDigestNamesClosedDialogs: on the SIP-heavy pair, NAT-HIDDEN
// (a capture-wide rule, run after every dialog closed) makes
// registrations problems; the streamed digest counts them and keeps the
// first with its warning, as the kept report's does. (A digest fed
// dialog by dialog missed them: cdd4250.)
func TestTableDigestNamesClosedDialogs(t *testing.T) {
	lan, wan := sipHeavyFiles(t)
	d := NewStreamedTableDigest(DefaultTableLimits(), "", 0)
	if _, err := Run(lan, wan, Options{Stream: true, Sink: d}); err != nil {
		t.Fatal(err)
	}
	hidden := 0
	for _, g := range d.Rules {
		if g.Rule == rules.NATHidden.ID {
			hidden = g.Count
		}
	}
	if hidden == 0 {
		t.Fatal("no NAT-HIDDEN finding on the SIP-heavy pair")
	}
	if d.Problems < hidden {
		t.Errorf("%d problem dialogs, fewer than the %d NAT-HIDDEN registrations", d.Problems, hidden)
	}
	registers := 0
	for _, k := range d.Kept {
		if k.Method == "REGISTER" {
			registers++
			if k.Problem == "" {
				t.Errorf("dialog %d (REGISTER) kept without its problem", k.ID)
			}
		}
	}
	if registers == 0 {
		t.Errorf("no registration among the dialogs kept: %d of %d", len(d.Kept), d.Dialogs)
	}
}

// streamedBatches feeds a streamed digest n dialogs of per messages each,
// every message with a bad finding, calls fed (when not nil), and
// finishes the digest.
func streamedBatches(tb testing.TB, lim TableLimits, n, per int, fed func()) *TableDigest {
	tb.Helper()
	d := NewStreamedTableDigest(lim, tb.TempDir(), 0)
	id := 0
	for dlg := 1; dlg <= n; dlg++ {
		b := &match.Batch{Dialog: match.Dialog{ID: dlg, Method: "INVITE", CallIDsLAN: []string{fmt.Sprint("call-", dlg)}}, Closed: true}
		var fs []rules.Finding
		for k := 0; k < per; k++ {
			id++
			b.Messages = append(b.Messages, match.Message{ID: id, Dialog: dlg, Method: "INVITE", Direction: "outbound", State: match.Matched, TS: int64(id) * 1e6})
			fs = append(fs, finding("CALLID-REWRITTEN", rules.Bad, id))
		}
		if err := d.Batch(b, fs); err != nil {
			tb.Fatal(err)
		}
	}
	if fed != nil {
		fed()
	}
	if err := d.Finish(nil); err != nil {
		tb.Fatal(err)
	}
	return d
}

// TestTableDigestStreamedBounds: however many dialogs and findings a
// streamed digest is fed, it keeps its limits: Limits.Dialogs ladders of
// at most Limits.LadderRows rows, Limits.Examples findings a rule; with no
// limit (--all) a long ladder comes in parts of ladderPart rows that
// together hold every message in order.
func TestTableDigestStreamedBounds(t *testing.T) {
	lim := DefaultTableLimits()
	d := streamedBatches(t, lim, 2000, 30, nil)
	if d.Dialogs != 2000 || d.Problems != 2000 || d.Messages != 60000 || d.Findings != 60000 {
		t.Errorf("counted %d dialogs, %d problems, %d messages, %d findings; want 2000, 2000, 60000, 60000", d.Dialogs, d.Problems, d.Messages, d.Findings)
	}
	if len(d.Kept) != lim.Dialogs || d.Kept[0].ID != 1 || d.Kept[lim.Dialogs-1].ID != lim.Dialogs {
		t.Errorf("kept %d dialogs, want the first %d", len(d.Kept), lim.Dialogs)
	}
	for _, k := range d.Kept {
		if len(k.Rows) > lim.LadderRows || k.Messages != 30 || k.Problem != "30 bad" {
			t.Errorf("dialog %d: %d rows of %d messages (%q), want at most %d of 30 (\"30 bad\")", k.ID, len(k.Rows), k.Messages, k.Problem, lim.LadderRows)
		}
	}
	if len(d.Rules) != 1 || len(d.Rules[0].Examples) != lim.Examples {
		t.Errorf("rules %d, examples %d; want 1 rule with %d", len(d.Rules), len(d.Rules[0].Examples), lim.Examples)
	}

	all := streamedBatches(t, TableLimits{}, 3, 2*ladderPart+ladderPart/2, nil)
	var parts []TableDialog
	if err := all.EachDialog(func(dd TableDialog) error {
		parts = append(parts, dd)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(parts) != 9 {
		t.Fatalf("%d parts for 3 dialogs of %d messages, want 9", len(parts), 2*ladderPart+ladderPart/2)
	}
	for i, p := range parts {
		want := []int{ladderPart, ladderPart, ladderPart / 2}[i%3]
		if len(p.Rows) != want || p.Continued != (i%3 > 0) || p.Rows[0].Pos != (i%3)*ladderPart || p.Messages != p.Rows[len(p.Rows)-1].Pos+1 {
			t.Errorf("part %d: %d rows from %d, continued %v, messages %d", i, len(p.Rows), p.Rows[0].Pos, p.Continued, p.Messages)
		}
	}
	if err := all.EachDialog(func(TableDialog) error { return nil }); err == nil {
		t.Error("the dialogs read twice from a spool read once")
	}
}

// BenchmarkTableDigestRetained measures the memory a streamed digest
// holds, after a collection, once fed n dialogs of 10 messages with a
// finding each (fed-KiB: the rows spool's 2 MiB budget at most) and once
// finished (retained-KiB): flat in n, where the report kept whole grows by
// every message.
func BenchmarkTableDigestRetained(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprint("dialogs=", n), func(b *testing.B) {
			var before, fed, after runtime.MemStats
			for range b.N {
				runtime.GC()
				runtime.ReadMemStats(&before)
				d := streamedBatches(b, DefaultTableLimits(), n, 10, func() {
					runtime.GC()
					runtime.ReadMemStats(&fed)
				})
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(int64(fed.HeapAlloc)-int64(before.HeapAlloc))/1024, "fed-KiB")
				b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/1024, "retained-KiB")
				runtime.KeepAlive(d)
			}
		})
	}
}
