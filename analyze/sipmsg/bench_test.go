package sipmsg

import (
	"os"
	"testing"
)

func benchParse(b *testing.B, file string) {
	msg, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	if m := Parse(msg); m.HasErrors() {
		b.Fatalf("%s: %v", file, m.Diags)
	}
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		Parse(msg)
	}
}

func BenchmarkParseInvite(b *testing.B) { benchParse(b, "testdata/invite.sip") }
func BenchmarkParse200OK(b *testing.B)  { benchParse(b, "testdata/ok200.sip") }

// BenchmarkViews measures the lazy typed views on top of Parse.
func BenchmarkViews(b *testing.B) {
	msg, err := os.ReadFile("testdata/invite.sip")
	if err != nil {
		b.Fatal(err)
	}
	m := Parse(msg)
	b.ReportAllocs()
	for b.Loop() {
		m.Vias()
		m.Contacts()
		m.From()
		m.SDPBody()
	}
}

// BenchmarkParseViews is what matching asks of each message: a parse, then
// the Via, From, To and Contact views once each.
func BenchmarkParseViews(b *testing.B) {
	msg, err := os.ReadFile("testdata/invite.sip")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		m := Parse(msg)
		m.Vias()
		m.From()
		m.To()
		m.Contacts()
	}
}
