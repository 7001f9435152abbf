package analyze

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/rules"
)

// pairedFixtures lists the fixture directories with a lan.pcap and a
// wan.pcap.
func pairedFixtures(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir("../fixtures")
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range ents {
		dir := filepath.Join("../fixtures", e.Name())
		if _, err := os.Stat(filepath.Join(dir, "lan.pcap")); err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "wan.pcap")); err != nil {
			continue
		}
		dirs = append(dirs, dir)
	}
	if len(dirs) < 15 {
		t.Fatalf("only %d paired fixtures", len(dirs))
	}
	return dirs
}

// TestStreamingEqualsDialogsAlone: the streaming pipeline hands each
// dialog to the rules in batches as it falls quiet, keeping only
// aggregates between them; the findings, router profiles and verdict must
// be those of judging every dialog whole, alone, once the whole capture
// is matched (rules.Evaluate over match.Build). Run as sipalg runs it
// (batches after 2 s of silence) and with every message a batch of its
// own (a dialog's earlier rewrites then reach the rules only through what
// the streamer keeps of them).
func TestStreamingEqualsDialogsAlone(t *testing.T) {
	for _, dir := range pairedFixtures(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			lan, wan := filepath.Join(dir, "lan.pcap"), filepath.Join(dir, "wan.pcap")
			var reps [2]*Report
			for i, opt := range []Options{{}, {flushAfter: 1}} {
				rep, err := Run(lan, wan, opt)
				if err != nil {
					t.Fatal(err)
				}
				reps[i] = rep
			}
			res, err := correlate.Correlate(lan, wan, correlate.Options{KeepSIP: true})
			if err != nil {
				t.Fatal(err)
			}
			m := match.Build(res, match.Limits{})
			whole := rules.EvaluateAll(&rules.Input{Correlation: res, Match: m})
			fs, fps, sum := whole.Findings, whole.Fingerprints, whole.Summary
			for i, rep := range reps {
				if i == 1 {
					// Judged alone, an inbound restoration can only be
					// explained by a rewrite before it, where the whole
					// dialog may offer one after it (the phone's answer).
					norm(rep.Findings)
					norm(fs)
				}
				same(t, "findings", rep.Findings, fs)
				same(t, "fingerprints", rep.Fingerprints, fps)
				same(t, "verdict", rep.Verdict, sum)
				same(t, "messages", rep.Messages, m.Messages)
				same(t, "media", rep.Media, whole.Media)
			}
		})
	}
}

// norm drops the explanation of inbound restorations: judged alone, one
// can only be explained by an outbound rewrite before it (or by the
// mapping), where the whole dialog may offer one after it (the phone's
// answer to the inbound request). Rule, verdict, field and values stay
// compared. (match's TestBatchCarriesOutChanges checks that the rewrites
// before reach the later batches.)
func norm(fs []rules.Finding) {
	for i := range fs {
		if fs[i].Rule == rules.InboundRestored.ID {
			fs[i].Explanation = ""
		}
	}
}

func same(t *testing.T, what string, got, want any) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if string(g) == string(w) {
		return
	}
	var gl, wl []json.RawMessage
	if json.Unmarshal(g, &gl) == nil && json.Unmarshal(w, &wl) == nil {
		for i := range min(len(gl), len(wl)) {
			if string(gl[i]) != string(wl[i]) {
				t.Errorf("%s differ at %d of %d/%d:\nstreamed: %s\nwhole:    %s", what, i, len(gl), len(wl), gl[i], wl[i])
				return
			}
		}
	}
	t.Errorf("%s differ:\nstreamed: %.600s\nwhole:    %.600s", what, g, w)
}
