package inventory

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipalg/sipalg/analyze/capture"
)

// TestFixturesReadable: every committed fixture capture reads without error
// and holds SIP, without a warning except where the fixture is about one.
func TestFixturesReadable(t *testing.T) {
	var files []string
	for _, pat := range []string{"../../fixtures/*/lan.pcap*", "../../fixtures/*/wan.pcap*"} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skip("no fixtures committed")
	}
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f), func(t *testing.T) {
			s, err := Read(f, capture.DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			if s.SIPMessages == 0 {
				t.Error("no SIP message")
			}
			want := expectedWarning[filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f)]
			switch {
			case want == "" && len(s.Warnings) > 0:
				t.Errorf("warnings: %q", s.Warnings)
			case want != "" && (len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], want)):
				t.Errorf("warnings: %q; want one with %q", s.Warnings, want)
			}
		})
	}
}

// expectedWarning lists the fixture captures that are damaged on purpose,
// with what their one warning must say.
var expectedWarning = map[string]string{
	"lab-snaplen-alg/lan.pcap": "snap length is 200 bytes",
}
