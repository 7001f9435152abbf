package inventory

import (
	"path/filepath"
	"testing"

	"github.com/sipalg/sipalg/analyze/capture"
)

// TestFixturesReadable: every committed fixture capture reads without error
// or warning and holds SIP.
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
			if len(s.Warnings) > 0 {
				t.Errorf("warnings: %q", s.Warnings)
			}
		})
	}
}
