package analyze

import (
	"testing"

	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/rules"
)

// dialogOf makes a dialog of n matched messages, appended to *msgs; the
// states map sets some messages' state by position.
func dialogOf(msgs *[]match.Message, id, n int, states map[int]string) match.Dialog {
	d := match.Dialog{ID: id, Method: "INVITE", CallIDsLAN: []string{"c" + string(rune('a'+id))}}
	for pos := 0; pos < n; pos++ {
		st := "matched"
		if s, ok := states[pos]; ok {
			st = s
		}
		*msgs = append(*msgs, match.Message{ID: len(*msgs) + 1, Dialog: id, Method: "INVITE", State: st, TS: int64(1000*id + pos)})
		d.Messages = append(d.Messages, len(*msgs)-1)
	}
	return d
}

func finding(rule string, v rules.Verdict, msgID int) rules.Finding {
	return rules.Finding{Rule: rule, Verdict: v, MessageID: &msgID}
}

// TestDigestProblems: a dialog is a problem for a dropped or generated
// message or a bad or warning finding, not for a correct or info one.
func TestDigestProblems(t *testing.T) {
	var msgs []match.Message
	cases := []struct {
		name   string
		states map[int]string
		v      rules.Verdict
		want   string
	}{
		{"clean", nil, rules.Correct, ""},
		{"info", nil, rules.Info, ""},
		{"dropped", map[int]string{1: "dropped"}, rules.Correct, "1 dropped"},
		{"generated", map[int]string{0: "generated", 2: "generated"}, rules.Correct, "2 generated"},
		{"bad", nil, rules.Bad, "1 bad"},
		{"warning", nil, rules.Warning, "1 warning"},
	}
	d := NewTableDigest(TableLimits{})
	rep := &Report{}
	for i, c := range cases {
		dlg := dialogOf(&msgs, i+1, 3, c.states)
		f := finding("X", c.v, msgs[dlg.Messages[0]].ID)
		d.AddDialog(dlg, msgs, []rules.Finding{f})
		rep.Dialogs, rep.Findings = append(rep.Dialogs, dlg), append(rep.Findings, f)
	}
	rep.Messages = msgs
	// ProblemDialogs (the HTML report's) agrees, from the report alone.
	got := ProblemDialogs(rep)
	for i, c := range cases {
		if got[i+1] != (c.want != "") {
			t.Errorf("%s: ProblemDialogs says %v", c.name, got[i+1])
		}
	}
	if len(d.Kept) != len(cases) || !d.AllKept {
		t.Fatalf("kept %d dialogs (all %v), want all %d", len(d.Kept), d.AllKept, len(cases))
	}
	for i, c := range cases {
		if got := d.Kept[i].Problem; got != c.want {
			t.Errorf("%s: problem %q, want %q", c.name, got, c.want)
		}
	}
	if d.Problems != 4 || d.Dialogs != 6 || d.Messages != 18 || d.FirstTS != 1000 {
		t.Errorf("counted %d problems, %d dialogs, %d messages, first at %d; want 4, 6, 18, 1000", d.Problems, d.Dialogs, d.Messages, d.FirstTS)
	}
}

// TestDigestBounds: past Limits.Dialogs dialogs only the first problem
// dialogs are kept, rows are cut to Limits.LadderRows keeping the
// problem rows, and examples to Limits.Examples while counts stay whole.
func TestDigestBounds(t *testing.T) {
	var msgs []match.Message
	d := NewTableDigest(TableLimits{Dialogs: 3, LadderRows: 12, Examples: 2})
	d.AddDialog(dialogOf(&msgs, 1, 2, nil), msgs, nil)
	d.AddDialog(dialogOf(&msgs, 2, 2, map[int]string{0: "dropped"}), msgs, nil)
	if !d.AllKept || len(d.Kept) != 2 {
		t.Fatalf("two dialogs within the limit: kept %d, all %v", len(d.Kept), d.AllKept)
	}
	long := dialogOf(&msgs, 3, 40, map[int]string{25: "dropped"})
	d.AddDialog(long, msgs, nil)
	for i := 4; i < 10; i++ {
		d.AddDialog(dialogOf(&msgs, i, 2, map[int]string{1: "generated"}), msgs, nil)
	}
	if d.AllKept {
		t.Error("AllKept after more dialogs than the limit")
	}
	var ids []int
	for _, k := range d.Kept {
		ids = append(ids, k.ID)
	}
	if len(ids) != 3 || ids[0] != 2 || ids[1] != 3 || ids[2] != 4 {
		t.Errorf("kept dialogs %v, want the first three with problems [2 3 4]", ids)
	}
	if d.Problems != 8 || d.Dialogs != 9 {
		t.Errorf("%d problems of %d dialogs, want 8 of 9", d.Problems, d.Dialogs)
	}
	rows := d.Kept[1].Rows
	if len(rows) > 12 || d.Kept[1].Messages != 40 {
		t.Fatalf("%d rows kept of %d messages, want at most 12 of 40", len(rows), d.Kept[1].Messages)
	}
	has := map[int]bool{}
	for _, r := range rows {
		has[r.Pos] = true
	}
	if !has[0] || !has[5] || !has[25] || !has[39] || has[20] {
		t.Errorf("rows at %v: want the first six, the dropped 25th and the last, not the 20th", rows)
	}

	for i := 0; i < 5; i++ {
		d.AddFindings([]rules.Finding{finding("A", rules.Correct, 1), finding("B", rules.Bad, 2)})
	}
	if len(d.Rules) != 2 || d.Rules[0].Count != 5 || len(d.Rules[0].Examples) != 2 || d.Findings != 10 {
		t.Errorf("rules %+v, %d findings: want A and B, 5 each, 2 examples each, 10 in all", d.Rules, d.Findings)
	}
}
