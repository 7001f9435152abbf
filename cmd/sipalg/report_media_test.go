package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipalg/sipalg/analyze"
	"github.com/sipalg/sipalg/rules"
)

// TestMediaTable checks the table's MEDIA section on the loss fixture:
// one line per stream with the counts tshark gives (fixtures/lab-loss-alg
// README).
func TestMediaTable(t *testing.T) {
	dir := filepath.Join("..", "..", "fixtures", "lab-loss-alg")
	rep, err := analyze.Run(filepath.Join(dir, "lan.pcap"), filepath.Join(dir, "wan.pcap"), analyze.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := renderReport(&b, rep, false); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"MEDIA    2 RTP streams",
		"1     0x0a11ce01  ──►  1000/946  54 5.4% (1)",
		"1     0x0b0b0b02  ◄──  1000/960  40 4.0% (2)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q", want)
		}
	}
}

// TestMediaTableBounded checks that a capture with many streams lists the
// worst 20 and counts the rest.
func TestMediaTableBounded(t *testing.T) {
	rep := &analyze.Report{}
	for i := 0; i < 25; i++ {
		rep.Media = append(rep.Media, rules.MediaStream{SSRC: fmt.Sprintf("0x%08x", i), Direction: "outbound", Entered: 100, Left: 100 - i, LostAtRouter: i})
	}
	var b bytes.Buffer
	r := &reportWriter{w: &b}
	writeMedia(r, rep, nil)
	out := b.String()
	if !strings.Contains(out, "… and 5 more: see --format json") {
		t.Errorf("no count of the streams left out:\n%s", out)
	}
	if !strings.Contains(out, "0x00000018") || strings.Contains(out, "0x00000004 ") {
		t.Errorf("want the 20 worst (most lost) streams listed, the 5 best left out:\n%s", out)
	}
}
