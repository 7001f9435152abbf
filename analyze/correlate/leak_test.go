package correlate

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/fixtures/benchgen"
)

// leakPair writes a healthy pair (a few thousand packets) and a copy of
// its LAN side that turns corrupt after its first records.
func leakPair(t *testing.T) (lan, wan, bad string) {
	t.Helper()
	cfg := benchgen.Default()
	cfg.Phones, cfg.Call = 10, 3*time.Second
	var l, w bytes.Buffer
	if _, err := benchgen.Write(cfg, &l, &w); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	lan, wan, bad = filepath.Join(dir, "lan.pcap"), filepath.Join(dir, "wan.pcap"), filepath.Join(dir, "bad.pcap")
	// The header and three records, then one that claims 2 GiB.
	b := l.Bytes()
	off := 24
	for i := 0; i < 3; i++ {
		off += 16 + int(binary.LittleEndian.Uint32(b[off+8:]))
	}
	corrupt := append(bytes.Clone(b[:off]), make([]byte, 16)...)
	binary.LittleEndian.PutUint32(corrupt[off+8:], 0x7fffffff)
	for _, f := range []struct {
		path string
		data []byte
	}{{lan, b}, {wan, w.Bytes()}, {bad, append(corrupt, b[off:]...)}} {
		if err := os.WriteFile(f.path, f.data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return lan, wan, bad
}

// settled waits for the goroutine count to fall back to n.
func settled(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestNoGoroutineLeak: Correlate leaves no goroutine behind, whether it
// succeeds or fails on either side, in either pass.
func TestNoGoroutineLeak(t *testing.T) {
	lan, wan, bad := leakPair(t)
	before := runtime.NumGoroutine()
	if _, err := Correlate(lan, wan, Options{KeepSIP: true, Inventory: true}); err != nil {
		t.Fatal(err)
	}
	settled(t, before)
	for _, pair := range [][2]string{{bad, wan}, {lan, bad}, {bad, bad}} {
		_, err := Correlate(pair[0], pair[1], Options{KeepSIP: true, Inventory: true})
		var ie *capture.InputError
		if !errors.As(err, &ie) || ie.Record != 4 {
			t.Errorf("%s, %s: err %v, want an InputError at record 4", pair[0], pair[1], err)
		}
		settled(t, before)
	}
	// The second pass on its own, as when a file changes between passes.
	for _, pair := range [][2]string{{bad, wan}, {lan, bad}} {
		p := newPairer(clockModel{}, Options{}.withDefaults())
		if err := p.run(capture.Source{Path: pair[0]}, capture.Source{Path: pair[1]}, capture.DefaultLimits(), true); err == nil {
			t.Errorf("%s, %s: no error from the second pass", pair[0], pair[1])
		}
		settled(t, before)
	}
}
