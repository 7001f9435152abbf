package correlate

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/fixtures/benchgen"
)

// TestStreamFeedSameAsInline: the RTP stream work done on the stream
// feed's goroutine gives the same result, and hands the sink the same
// streams in the same order, as done by the pairer itself: on a pair of
// 40 phones (hundreds of interleaved streams, the pairer's memos reused
// for nearly every packet), on a scenario where the router loses RTP
// (losses told from the waiting tables' expiry, between pairs), and both
// again with so few streams allowed open that streams are finished
// early all along (the memos' streams go stale: gen moves).
func TestStreamFeedSameAsInline(t *testing.T) {
	dir := t.TempDir()
	cfg := benchgen.Default()
	cfg.Phones, cfg.Call = 40, 3*time.Second
	lan, wan, _ := writeBenchPair(t, cfg)
	o := scenario{offset: 47 * time.Second, loss: 0.05, rtp: 3000, retrans: 2, seed: 9}.write(t, dir)
	pairs := []struct {
		name     string
		lan, wan string
		lost     bool // some stream must count losses
	}{
		{"benchgen", lan, wan, false},
		{"lossy", o.lan, o.wan, true},
	}
	for _, pr := range pairs {
		for _, maxStreams := range []int{0, 3} {
			run := func(inline bool) (*Result, [][]byte) {
				var recs [][]byte
				opt := Options{Inventory: true, TempDir: dir, MaxStreams: maxStreams, inlineStreams: inline,
					StreamSink: func(k, rec []byte) { recs = append(recs, bytes.Clone(k), bytes.Clone(rec)) }}
				res, err := CorrelateSources(capture.Source{Path: pr.lan}, capture.Source{Path: pr.wan}, opt)
				if err != nil {
					t.Fatal(err)
				}
				return res, recs
			}
			inRes, inRecs := run(true)
			feedRes, feedRecs := run(false)
			if !reflect.DeepEqual(inRes, feedRes) {
				t.Errorf("%s, max streams %d: results differ:\ninline %+v\nfeed   %+v", pr.name, maxStreams, inRes, feedRes)
			}
			if !reflect.DeepEqual(inRecs, feedRecs) {
				t.Errorf("%s, max streams %d: the sink got %d records inline, %d from the feed, or they differ", pr.name, maxStreams, len(inRecs)/2, len(feedRecs)/2)
			}
			if len(feedRecs) == 0 {
				t.Fatalf("%s, max streams %d: no stream reached the sink", pr.name, maxStreams)
			}
			lost := 0
			for i := 1; i < len(feedRecs); i += 2 {
				s, err := feedRes.DecodeStream(feedRecs[i])
				if err != nil {
					t.Fatal(err)
				}
				lost += s.Lost
			}
			if pr.lost && lost == 0 {
				t.Errorf("%s, max streams %d: no stream counted a loss", pr.name, maxStreams)
			}
		}
	}
}
