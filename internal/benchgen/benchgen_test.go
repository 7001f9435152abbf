package benchgen

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/correlate"
)

func small() Config {
	c := Default()
	c.Phones, c.Call, c.Register = 3, 5*time.Second, 2*time.Second
	return c
}

// TestDeterministic: the same config writes the same bytes.
func TestDeterministic(t *testing.T) {
	sum := func() [2][32]byte {
		var l, w bytes.Buffer
		if _, err := Write(small(), &l, &w); err != nil {
			t.Fatal(err)
		}
		return [2][32]byte{sha256.Sum256(l.Bytes()), sha256.Sum256(w.Bytes())}
	}
	if a, b := sum(), sum(); a != b {
		t.Fatal("two runs wrote different captures")
	}
}

// TestCaptures: both formats read back frame by frame, in time order,
// with the counts Write reported, and correlate finds the clock offset
// and every packet's twin.
func TestCaptures(t *testing.T) {
	for _, f := range []Format{Pcap, PcapNG} {
		t.Run(string(f), func(t *testing.T) {
			cfg := small()
			cfg.Format = f
			dir := t.TempDir()
			lan, wan := filepath.Join(dir, "lan"), filepath.Join(dir, "wan")
			lf, err := os.Create(lan)
			if err != nil {
				t.Fatal(err)
			}
			wf, err := os.Create(wan)
			if err != nil {
				t.Fatal(err)
			}
			c, err := Write(cfg, lf, wf)
			if err := errors.Join(err, lf.Close(), wf.Close()); err != nil {
				t.Fatal(err)
			}
			// 3 phones: 4 packets of the first registration, 7 of the
			// call, 2 per refresh at 2, 4, 6 and 8 s (the call's media
			// ends at 3.5+5 s).
			if want := 3 * (4 + 7 + 4*2); c.SIPMessages != want {
				t.Errorf("%d SIP messages, want %d", c.SIPMessages, want)
			}
			for _, p := range []string{lan, wan} {
				r, err := capture.Open(p)
				if err != nil {
					t.Fatal(err)
				}
				var rec capture.Record
				n, last := 0, int64(0)
				for {
					err := r.Next(&rec)
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					if rec.TS < last {
						t.Fatalf("%s: frame %d goes back in time", p, rec.Frame)
					}
					last = rec.TS
					n++
				}
				r.Close()
				if n != c.Packets {
					t.Errorf("%s: %d frames, Write said %d", p, n, c.Packets)
				}
			}
			res, err := correlate.Correlate(lan, wan, correlate.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if want := cfg.Offset.Seconds(); math.Abs(res.Clock.OffsetS-want) > 0.001 {
				t.Errorf("offset %v, want %v", res.Clock.OffsetS, want)
			}
			if res.Paired != c.Packets || res.Dropped+res.Generated != 0 {
				t.Errorf("%d pairs, %d dropped, %d generated; want %d pairs", res.Paired, res.Dropped, res.Generated, c.Packets)
			}
		})
	}
}
