package analyze

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sipalg/sipalg/analyze/correlate"
)

func fixture(name, side string) string {
	return filepath.Join("..", "fixtures", name, side+".pcap")
}

// TestRunReport checks the parts of a report every consumer relies on: the
// schema version, both inputs, non-null lists, and messages that point at
// frames.
func TestRunReport(t *testing.T) {
	rep, err := Run(fixture("st530", "lan"), fixture("st530", "wan"), Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.SchemaVersion != 1 || rep.Tool.Version != "test" || len(rep.Inputs) != 2 {
		t.Errorf("header: %+v %+v %d inputs", rep.SchemaVersion, rep.Tool, len(rep.Inputs))
	}
	raw, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var generic map[string]any
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"mappings", "messages", "findings", "fingerprints", "warnings"} {
		if _, ok := generic[k].([]any); !ok {
			t.Errorf("%s is %T, want a list", k, generic[k])
		}
	}
	if len(rep.Messages) != 21 {
		t.Errorf("%d messages, want 21 (17 forwarded, 4 copies of the dropped INVITE)", len(rep.Messages))
	}
	if !rep.Verdict.ALGDetected || rep.Verdict.Bad == 0 || !rep.Verdict.IncomingCallsAtRisk {
		t.Errorf("verdict %+v", rep.Verdict)
	}
}

// TestRunErrors checks that inputs that cannot be analysed give errors,
// not reports.
func TestRunErrors(t *testing.T) {
	if _, err := Run(fixture("st530", "lan"), fixture("lab-call-alg", "wan"), Options{}); !errors.Is(err, correlate.ErrNoTwins) {
		t.Errorf("captures of two different routers: %v, want ErrNoTwins", err)
	}
	if _, err := Run(fixture("st530", "lan"), filepath.Join(t.TempDir(), "missing.pcap"), Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
