package rules_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipalg/sipalg/analyze"
	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/rules"
)

// mediaTruth is one stream of case.json's media list: counts a person
// took from the captures with tshark (each fixture's README gives the
// commands).
type mediaTruth struct {
	SSRC            string `json:"ssrc"`
	Direction       string `json:"direction"`
	Entered         int    `json:"entered"`
	Left            int    `json:"left"`
	LostAtRouter    int    `json:"lost_at_router"`
	MaxLossBurst    int    `json:"max_loss_burst"`
	Duplicated      int    `json:"duplicated"`
	Reordered       int    `json:"reordered"`
	StoppedCrossing int    `json:"stopped_crossing"`
	OneWay          bool   `json:"one_way"`
}

// TestMediaTruth checks the media section of every fixture whose
// case.json lists its RTP streams: the same streams, and each count
// exactly the one tshark gave.
func TestMediaTruth(t *testing.T) {
	n := 0
	for _, dir := range fixtureDirs(t) {
		raw, err := os.ReadFile(filepath.Join(dir, "case.json"))
		if err != nil {
			t.Fatal(err)
		}
		var cs struct {
			Media []mediaTruth `json:"media"`
		}
		if err := json.Unmarshal(raw, &cs); err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		if cs.Media == nil {
			continue
		}
		n++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			rep, err := analyze.Run(filepath.Join(dir, "lan.pcap"), filepath.Join(dir, "wan.pcap"), analyze.Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]mediaTruth{}
			for _, m := range rep.Media {
				k := m.SSRC + " " + m.Direction
				if _, dup := got[k]; dup {
					t.Errorf("stream %s listed twice", k)
				}
				got[k] = mediaTruth{SSRC: m.SSRC, Direction: m.Direction, Entered: m.Entered, Left: m.Left,
					LostAtRouter: m.LostAtRouter, MaxLossBurst: m.MaxLossBurst, Duplicated: m.Duplicated,
					Reordered: m.Reordered, StoppedCrossing: m.StoppedCrossing, OneWay: m.OneWay}
				if m.Dialog == nil {
					t.Errorf("stream %s tied to no call", k)
				}
			}
			if len(got) != len(cs.Media) {
				t.Errorf("%d streams, case.json has %d: %+v", len(got), len(cs.Media), got)
			}
			for _, want := range cs.Media {
				k := want.SSRC + " " + want.Direction
				if g, ok := got[k]; !ok {
					t.Errorf("stream %s missing", k)
				} else if g != want {
					t.Errorf("stream %s:\n got %+v\nwant %+v", k, g, want)
				}
			}
		})
	}
	if n == 0 {
		t.Fatal("no fixture's case.json lists media")
	}
}

// TestLossGrading checks MEDIA-LOSS-AT-ROUTER's two grades: bad from 1 %
// of a stream lost, a warning below.
func TestLossGrading(t *testing.T) {
	for file, want := range map[string]rules.Verdict{"fires.txtar": rules.Bad, "fires-warning.txtar": rules.Warning} {
		t.Run(file, func(t *testing.T) {
			sc, err := loadScenario(filepath.Join("testdata", rules.MediaLossAtRouter.ID, file))
			if err != nil {
				t.Fatal(err)
			}
			fs, _, sum := rules.Evaluate(&rules.Input{Correlation: sc.res, Match: match.Build(sc.res, match.Limits{})})
			n := 0
			for _, f := range fs {
				if f.Rule == rules.MediaLossAtRouter.ID {
					n++
					if f.Verdict != want {
						t.Errorf("verdict %s, want %s: %s", f.Verdict, want, f.Explanation)
					}
				}
			}
			if n == 0 {
				t.Fatal("did not fire")
			}
			if !strings.Contains(sum.Summary, "the router lost") {
				t.Errorf("summary does not name the loss: %s", sum.Summary)
			}
		})
	}
}

// TestOneWayGrading checks that one-way audio the captures do not blame
// on the router (nothing came back, the SDP reachable) is a warning, and
// the causes they show are bad.
func TestOneWayGrading(t *testing.T) {
	for file, want := range map[string]rules.Verdict{
		"fires-nothing-back.txtar": rules.Warning, "fires-private-sdp.txtar": rules.Bad,
		"fires-other-host.txtar": rules.Bad, "fires.txtar": rules.Bad,
	} {
		t.Run(file, func(t *testing.T) {
			sc, err := loadScenario(filepath.Join("testdata", rules.MediaOneWay.ID, file))
			if err != nil {
				t.Fatal(err)
			}
			fs, _, sum := rules.Evaluate(&rules.Input{Correlation: sc.res, Match: match.Build(sc.res, match.Limits{})})
			n := 0
			for _, f := range fs {
				if f.Rule == rules.MediaOneWay.ID {
					n++
					if f.Verdict != want {
						t.Errorf("verdict %s, want %s: %s", f.Verdict, want, f.Explanation)
					}
				}
			}
			if n != 1 {
				t.Fatalf("%d MEDIA-ONE-WAY findings, want 1", n)
			}
			if !strings.Contains(sum.Summary, "one-way audio on 1 call(s)") {
				t.Errorf("summary does not name the one-way audio: %s", sum.Summary)
			}
		})
	}
}
