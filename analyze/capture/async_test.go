package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// bigGzip is a pcap of 3000 frames of random bytes (it does not
// compress), plain and gzip'd: over asyncMinInput, so it is inflated
// ahead.
func bigGzip(t *testing.T) (plain, gz []byte) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	recs := make([]testRec, 3000)
	for i := range recs {
		b := make([]byte, 200+rng.IntN(1200))
		for j := 0; j+8 <= len(b); j += 8 {
			binary.LittleEndian.PutUint64(b[j:], rng.Uint64())
		}
		recs[i] = testRec{ts: int64(i) * 1e6, data: b}
	}
	plain = pcapFile(binary.LittleEndian, false, layers.LinkTypeEthernet, recs...)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(plain)
	zw.Close()
	if buf.Len() < asyncMinInput {
		t.Fatalf("gzip'd test capture is %d bytes, under %d", buf.Len(), asyncMinInput)
	}
	return plain, buf.Bytes()
}

type readResult struct {
	frames int
	sum    uint64
	trunc  *Truncation
	err    error
}

func readAllGz(t *testing.T, b []byte) readResult {
	t.Helper()
	r, err := NewReader(bytes.NewReader(b), "x")
	if err != nil {
		return readResult{err: err}
	}
	defer r.Close()
	var res readResult
	var rec Record
	for {
		err := r.Next(&rec)
		if err == io.EOF {
			break
		}
		if err != nil {
			res.err = err
			break
		}
		res.frames++
		for _, c := range rec.Data {
			res.sum = res.sum*31 + uint64(c)
		}
	}
	res.trunc = r.Truncated()
	return res
}

// TestGzipReadAhead: a gzip'd capture inflated ahead reads exactly as the
// plain one; cut or corrupt, it ends as the inline reader ends; closed
// early, its goroutine stops.
func TestGzipReadAhead(t *testing.T) {
	plain, gz := bigGzip(t)
	want, got := readAllGz(t, plain), readAllGz(t, gz)
	if got.err != nil || got.frames != 3000 || got.sum != want.sum || got.trunc != nil {
		t.Fatalf("gzip: %+v, plain: %+v", got, want)
	}
	cut := readAllGz(t, gz[:len(gz)*2/3])
	if cut.err != nil || cut.trunc == nil || cut.frames == 0 || cut.frames >= 3000 {
		t.Errorf("cut: %+v, want a truncation after some frames", cut)
	}
	bad := bytes.Clone(gz)
	for i := len(bad) / 2; i < len(bad)/2+64; i++ {
		bad[i] ^= 0xa5
	}
	if c := readAllGz(t, bad); c.err == nil && c.trunc == nil {
		t.Errorf("corrupt: %+v, want an error or a truncation", c)
	} else if c.err != nil && !errors.Is(c.err, ErrCorrupt) {
		t.Errorf("corrupt: error %v is not ErrCorrupt", c.err)
	}
	before := runtime.NumGoroutine()
	for i := 0; i < 10; i++ {
		r, err := NewReader(bytes.NewReader(gz), "x")
		if err != nil {
			t.Fatal(err)
		}
		var rec Record
		r.Next(&rec)
		r.Close()
	}
	// An input that fails after the read-ahead started stops it too.
	if _, err := NewReader(bytes.NewReader(append([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}, make([]byte, 2<<20)...)), "x"); err == nil {
		t.Error("no error for a gzip stream of zeros")
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after closing, %d before", n, before)
	}
}
