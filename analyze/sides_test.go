package analyze

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipalg/sipalg/analyze/capture"
)

// TestSidesSwapped gives every paired fixture the wrong way round (the WAN
// file as LAN, the LAN file as WAN; for the one-file case the interfaces
// exchanged) and checks that it is recognised — an error naming both
// files and the fix, never a report — and that the right way round is
// never flagged.
func TestSidesSwapped(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "fixtures", "*"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, dir := range dirs {
		lan, wan := capture.Source{Path: filepath.Join(dir, "lan.pcap")}, capture.Source{Path: filepath.Join(dir, "wan.pcap")}
		if one := filepath.Join(dir, "capture.pcapng"); exists(one) {
			lan = capture.Source{Path: one, Iface: capture.IfaceFilter{By: capture.ByName, Name: "lan"}}
			wan = capture.Source{Path: one, Iface: capture.IfaceFilter{By: capture.ByName, Name: "wan"}}
		} else if !exists(lan.Path) || !exists(wan.Path) {
			continue // single-capture case or a generator's directory
		}
		n++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			if _, err := RunSources(lan, wan, Options{}); err != nil {
				t.Fatalf("as given: %v", err)
			}
			rep, err := RunSources(wan, lan, Options{})
			if !errors.Is(err, ErrSidesSwapped) {
				t.Fatalf("swapped: err %v, report %v; want ErrSidesSwapped", err, rep != nil)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") || !strings.Contains(msg, "swap") || !strings.Contains(msg, lan.Path) {
				t.Errorf("error %q: want one line telling to swap, naming %s", msg, lan.Path)
			}
		})
	}
	if n < 10 {
		t.Fatalf("only %d paired fixtures found", n)
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
