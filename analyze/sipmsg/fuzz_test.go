package sipmsg

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseSIP checks that Parse never panics, that every span lies within
// the input, that the raw parts rebuild the input exactly and that the
// views Parse keeps are what the headers parse to.
func FuzzParseSIP(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(tortureDir, "*", "*.dat"))
	own, _ := filepath.Glob(filepath.Join("testdata", "*.sip"))
	for _, p := range append(seeds, own...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("INVITE sip:a@[::1 SIP/2.0\r\nVia: SIP/2.0/UDP [\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m := Parse(b)
		checkInvariants(t, m)
		checkKeptViews(t, m)
		if m.NotSIP != !IsSIP(b) {
			t.Fatalf("NotSIP %v but IsSIP %v", m.NotSIP, IsSIP(b))
		}
		u, _ := ParseURI(b, 0, len(b))
		if u.Off < 0 || u.End > len(b) {
			t.Fatalf("URI span %v outside input", u.Span)
		}
	})
}
