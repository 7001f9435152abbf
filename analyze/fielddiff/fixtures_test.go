package fielddiff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/sipmsg"
	"github.com/sipalg/sipalg/fixtures/algsim"
)

// emulated lists the fixtures written by fixtures/algsim, whose truth.json
// logs every rewrite.
var emulated = []string{"correct", "none", "st530", "zyxel660", "wgr614", "wrv200",
	"semicolon", "port-overflow", "stale-length", "short-timeout", "ice"}

// payloads returns the UDP payload of every frame of a capture.
func payloads(t *testing.T, path string) map[int][]byte {
	t.Helper()
	r, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	sc := capture.NewScanner(r, capture.DefaultLimits())
	out := map[int][]byte{}
	for p := sc.Next(); p != nil; p = sc.Next() {
		out[p.Frame] = bytes.Clone(p.Payload)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func strp(b []byte) string {
	if b == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%q", b)
}

func sp(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%q", *s)
}

// TestFixtures checks Diff against the generator's log: for every forwarded
// message, the (field, before, after) set of the non-Syntax changes equals
// truth.json's rewrites exactly. Syntax changes (parser diagnostics present
// on one side only) have no counterpart in truth.json; they are checked in
// TestFixtureSyntax.
func TestFixtures(t *testing.T) {
	for _, name := range emulated {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("..", "..", "fixtures", name)
			raw, err := os.ReadFile(filepath.Join(dir, "truth.json"))
			if err != nil {
				t.Fatal(err)
			}
			var tr algsim.Truth
			if err := json.Unmarshal(raw, &tr); err != nil {
				t.Fatal(err)
			}
			lan := payloads(t, filepath.Join(dir, "lan.pcap"))
			wan := payloads(t, filepath.Join(dir, "wan.pcap"))
			checked := 0
			for _, m := range tr.Messages {
				if m.Dropped || m.LANFrame == nil || m.WANFrame == nil {
					continue
				}
				entered, left := lan[*m.LANFrame], wan[*m.WANFrame]
				if m.Direction == "inbound" {
					entered, left = left, entered
				}
				if entered == nil || left == nil {
					t.Errorf("lan frame %d / wan frame %d: payload missing", *m.LANFrame, *m.WANFrame)
					continue
				}
				var got, want []string
				for _, c := range Diff(sipmsg.Parse(entered), sipmsg.Parse(left)) {
					if c.Kind == Syntax {
						continue
					}
					got = append(got, c.Field+" "+strp(c.Before)+" -> "+strp(c.After))
				}
				for _, r := range m.Rewrites {
					want = append(want, r.Field+" "+sp(r.Before)+" -> "+sp(r.After))
				}
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("%s lan %d wan %d %s: changes differ\n got: %q\nwant: %q", m.Direction, *m.LANFrame, *m.WANFrame, m.Method, got, want)
				}
				checked++
			}
			if checked == 0 {
				t.Fatal("no message checked")
			}
		})
	}
}
