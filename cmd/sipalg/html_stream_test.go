package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipalg/sipalg/analyze"
)

// TestHTMLStreamedEqualsKept: sipalg analyze --format html writes the
// page from spools fed as the dialogs are judged (htmlSink), here
// spilling after every 512 bytes; the page must be byte for byte the one
// rendered from the report kept whole, on every paired fixture, on a
// SIP-heavy pair, and on st530 with bytes that are not UTF-8 in its tags
// (encoded to JSON once, as the kept report's): with the whole raw budget
// and with a third of the texts' size, where the texts of the dialogs
// with problems come first.
func TestHTMLStreamedEqualsKept(t *testing.T) {
	lan, wan, _ := sipHeavyPair(t)
	cases := []batchCase{{Name: "sip-heavy", LAN: lan, WAN: wan}}
	dir := t.TempDir()
	mangled := batchCase{Name: "st530-not-utf8", LAN: filepath.Join(dir, "lan.pcap"), WAN: filepath.Join(dir, "wan.pcap")}
	for _, side := range []string{"lan", "wan"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "st530", side+".pcap"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte("-bb6999")) {
			t.Fatal("st530 has no tag bb6999 any more: pick another")
		}
		b = bytes.ReplaceAll(b, []byte("-bb6999"), []byte("-b\xff\xfe999"))
		if err := os.WriteFile(filepath.Join(dir, side+".pcap"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases = append(cases, mangled)
	t.Chdir("../..")
	for _, c := range fixtureBatchCases(t) {
		if _, _, single := c.single(); !single {
			cases = append(cases, c)
		}
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			kept, err := analyzeCase(c, analyze.Options{Version: "test"})
			if err != nil {
				t.Fatal(err)
			}
			raw := 0
			for i := range kept.Messages {
				raw += rawLen(kept.Messages[i].LAN) + rawLen(kept.Messages[i].WAN)
			}
			for _, budget := range []int{maxHTMLRawBytes, raw / 3} {
				hs := newHTMLSink("", 512)
				hs.rawBudget = budget
				streamed, err := analyzeCase(c, analyze.Options{Version: "test", Stream: true, Sink: hs, SpoolBudget: 512})
				if err != nil {
					t.Fatal(err)
				}
				if streamed.Messages != nil || streamed.Findings != nil || streamed.Dialogs != nil {
					t.Fatal("the streamed analysis kept messages, findings or dialogs")
				}
				var a, b bytes.Buffer
				if err := hs.render(&a, streamed); err != nil {
					t.Fatal(err)
				}
				if err := renderHTMLBudget(&b, kept, budget); err != nil {
					t.Fatal(err)
				}
				if got, want := a.String(), b.String(); got != want {
					i := 0
					for i < min(len(got), len(want)) && got[i] == want[i] {
						i++
					}
					from := max(i-200, 0)
					t.Errorf("budget %d: the streamed page differs from the kept report's at byte %d:\nstreamed: …%.300s\nkept:     …%.300s", budget, i, got[from:], want[from:])
				}
				if c.Name == mangled.Name && !strings.Contains(a.String(), `b\ufffd\ufffd999`) {
					t.Error("the tag with bytes that are not UTF-8 is not in the page as \\ufffd")
				}
			}
		})
	}
}
