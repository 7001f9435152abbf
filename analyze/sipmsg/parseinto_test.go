package sipmsg

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestParseIntoReuse: parsing one message after another into the same
// Message gives what a fresh Parse gives, whatever came before: a message
// with more headers than the inline array, one with diagnostics, one that
// is not SIP at all.
func TestParseIntoReuse(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "*.sip"))
	torture, _ := filepath.Glob(filepath.Join(tortureDir, "*", "*.dat"))
	paths = append(paths, torture...)
	if len(paths) < 10 {
		t.Fatalf("only %d messages", len(paths))
	}
	var msgs [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, b)
	}
	many := "OPTIONS sip:a@b SIP/2.0\r\n" + strings.Repeat("X-H: 1\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n", headerCap) + "\r\n"
	msgs = append(msgs, []byte(many), []byte("GET / HTTP/1.1\r\n\r\n"))
	var m Message
	for round := range 2 {
		for i, b := range msgs {
			ParseInto(&m, b)
			want := Parse(b)
			// Diags keeps its backing array: compare contents.
			if len(m.Diags) == 0 && len(want.Diags) == 0 {
				m.Diags, want.Diags = nil, nil
			}
			if !reflect.DeepEqual(m.Headers, want.Headers) {
				t.Fatalf("round %d, message %d: headers differ", round, i)
			}
			got := m
			got.Headers, want.Headers = nil, nil
			got.hdrBuf, want.hdrBuf = [headerCap]Header{}, [headerCap]Header{}
			if !reflect.DeepEqual(&got, want) {
				t.Fatalf("round %d, message %d:\n got %+v\nwant %+v", round, i, got, *want)
			}
		}
	}
}
