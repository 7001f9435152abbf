package fielddiff

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sipalg/sipalg/analyze/sipmsg"
)

// TestFixtureSyntax: in the semicolon fixture the lost ';' before rport
// shows as a param-separator-missing Syntax change on Via[0] of every
// outbound message (the parser's warning on "z9hG4bK...rport").
func TestFixtureSyntax(t *testing.T) {
	dir := filepath.Join("..", "..", "fixtures", "semicolon")
	if _, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	}
	lan := payloads(t, filepath.Join(dir, "lan.pcap"))
	wan := payloads(t, filepath.Join(dir, "wan.pcap"))
	// Frame 1 is the first REGISTER in both captures (truth.json).
	cs := Diff(sipmsg.Parse(lan[1]), sipmsg.Parse(wan[1]))
	found := false
	for _, c := range cs {
		t.Logf("%s %s %q -> %q %s", c.Kind, c.Field, c.Before, c.After, c.Code)
		if c.Kind == Syntax && c.Field == "Via[0]" && c.Code == "param-separator-missing" && c.Before != nil && c.After != nil {
			found = true
		}
	}
	if !found {
		t.Errorf("no param-separator-missing Syntax change on Via[0]")
	}
}
