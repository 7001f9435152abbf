package analyze

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipalg/sipalg/rules"
)

// snapCut rewrites a pcap file as tcpdump -s snap would have written it:
// every record cut to snap bytes, the header's snap length set.
func snapCut(t *testing.T, in, out string, snap int) {
	t.Helper()
	b, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 24 || binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 {
		t.Fatalf("%s: not a little-endian microsecond pcap", in)
	}
	o := append([]byte(nil), b[:24]...)
	binary.LittleEndian.PutUint32(o[16:], uint32(snap))
	for off := 24; off+16 <= len(b); {
		incl := int(binary.LittleEndian.Uint32(b[off+8:]))
		rec := append([]byte(nil), b[off:off+16]...)
		n := min(incl, snap)
		binary.LittleEndian.PutUint32(rec[8:], uint32(n))
		o = append(o, rec...)
		o = append(o, b[off+16:off+16+n]...)
		off += 16 + incl
	}
	if err := os.WriteFile(out, o, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSnapLength: a LAN capture cut by its snap length, the old tcpdump
// defaults among them, paired with a whole WAN capture of a real call
// through the Linux ALG (all its rewrites correct). The report must say
// what the snap length cut, still pair RTP, and blame the router for
// nothing: no bad finding, no warning finding, no dropped or generated
// message.
func TestSnapLength(t *testing.T) {
	dir := filepath.Join("..", "fixtures", "lab-call-alg")
	for _, snap := range []int{68, 96, 200, 400} {
		t.Run(fmt.Sprintf("snap-%d", snap), func(t *testing.T) {
			lan := filepath.Join(t.TempDir(), "lan.pcap")
			snapCut(t, filepath.Join(dir, "lan.pcap"), lan, snap)
			rep, err := Run(lan, filepath.Join(dir, "wan.pcap"), Options{})
			if err != nil {
				t.Fatalf("snap length %d: %v", snap, err)
			}
			if !hasWarning(rep, fmt.Sprintf("snap length (%d bytes)", snap)) {
				t.Errorf("no warning naming the snap length: %q", rep.Warnings)
			}
			for _, f := range rep.Findings {
				if f.Verdict == rules.Bad || f.Verdict == rules.Warning {
					t.Errorf("%s %s %s: %s → %s (%s)", f.Rule, f.Verdict, f.Field, f.Before, f.After, f.Explanation)
				}
			}
			for _, m := range rep.Messages {
				if m.State == "dropped" || m.State == "generated" {
					t.Errorf("message %d (%s) %s: the router is blamed for what the snap length cut", m.ID, m.Method, m.State)
				}
			}
			rtp := 0
			for _, mp := range rep.Mappings {
				if mp.Kind.String() == "rtp" {
					rtp += mp.PacketsOut + mp.PacketsIn
				}
			}
			if rtp != 300 {
				t.Errorf("%d RTP packets paired, want all 300 (their headers survive any snap length above 54)", rtp)
			}
			matched := 0
			for _, m := range rep.Messages {
				if m.State == "matched" {
					matched++
				}
			}
			// 200 bytes keep the start line and the top Via's branch of
			// every message; 68 and 96 do not.
			if snap >= 200 && matched != 7 {
				t.Errorf("%d SIP messages matched, want 7", matched)
			}
			if snap >= 200 && !rep.Verdict.ALGDetected {
				t.Errorf("ALG not detected: the Via rewrite survives a %d-byte snap length", snap)
			}
			// Below that nothing is compared: the verdict must not say
			// "no ALG".
			if snap < 200 && (!rep.Verdict.NoneCompared || !strings.Contains(rep.Verdict.Summary, "nothing is known of an ALG")) {
				t.Errorf("summary %q (none compared %v): claims what a %d-byte snap length cannot show", rep.Verdict.Summary, rep.Verdict.NoneCompared, snap)
			}
		})
	}
}
