package match

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/inventory"
	"github.com/sipalg/sipalg/fixtures/algsim"
)

// emulated lists the fixtures written by fixtures/algsim, whose truth.json
// logs every message the router saw, whether it forwarded it, and every
// rewrite it made.
var emulated = []string{"correct", "none", "st530", "zyxel660", "wgr614", "wrv200",
	"semicolon", "port-overflow", "stale-length", "short-timeout", "ice"}

// lab lists the recordings through the Linux kernel's ALG.
var lab = []string{"lab-call-alg", "lab-call-noalg", "lab-register-alg", "lab-transfer-alg",
	"lab-transfer-escaped-alg", "lab-timeout-alg", "lab-tcp-alg"}

func build(t *testing.T, dir string) *Result {
	t.Helper()
	res, err := correlate.Correlate(filepath.Join(dir, "lan.pcap"), filepath.Join(dir, "wan.pcap"), correlate.Options{KeepSIP: true})
	if err != nil {
		t.Fatal(err)
	}
	return Build(res, Limits{})
}

func fr(p *int) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprint(*p)
}

func quoted(b []byte) string {
	if b == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%q", b)
}

func quotedp(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%q", *s)
}

// TestEmulatedFixtures checks the messages against the generator's log:
// the same messages, the same twins, the same dropped ones, the same
// Call-ID on each side, and for each matched message exactly the rewrites
// the generator made (Syntax changes aside: truth.json has no counterpart;
// fielddiff tests them).
func TestEmulatedFixtures(t *testing.T) {
	for _, name := range emulated {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("..", "..", "fixtures", name)
			raw, err := os.ReadFile(filepath.Join(dir, "truth.json"))
			if err != nil {
				t.Fatal(err)
			}
			var tr algsim.Truth
			if err := json.Unmarshal(raw, &tr); err != nil {
				t.Fatal(err)
			}
			got := build(t, dir)
			var gotMsgs, wantMsgs []string
			for _, m := range got.Messages {
				gotMsgs = append(gotMsgs, fmt.Sprintf("%s lan=%s wan=%s %s %s lan-id=%q wan-id=%q",
					m.Direction, fr(m.LANFrame), fr(m.WANFrame), m.Method, m.State, m.CallIDLAN, m.CallIDWAN))
			}
			for _, m := range tr.Messages {
				state := Matched
				if m.Dropped {
					state = Dropped
				}
				lanID, wanID := m.CallIDLAN, m.CallIDWAN
				if m.LANFrame == nil {
					lanID = ""
				}
				wantMsgs = append(wantMsgs, fmt.Sprintf("%s lan=%s wan=%s %s %s lan-id=%q wan-id=%q",
					m.Direction, fr(m.LANFrame), fr(m.WANFrame), m.Method, state, lanID, wanID))
			}
			slices.Sort(gotMsgs)
			slices.Sort(wantMsgs)
			if !slices.Equal(gotMsgs, wantMsgs) {
				t.Errorf("messages differ\n got: %q\nwant: %q", gotMsgs, wantMsgs)
			}
			byFrames := map[string][]fielddiff.Change{}
			for _, m := range got.Messages {
				byFrames[fr(m.LANFrame)+"/"+fr(m.WANFrame)] = m.Changes
			}
			for _, m := range tr.Messages {
				if m.Dropped {
					continue
				}
				var gotC, wantC []string
				for _, c := range byFrames[fr(m.LANFrame)+"/"+fr(m.WANFrame)] {
					if c.Kind != fielddiff.Syntax {
						gotC = append(gotC, c.Field+" "+quoted(c.Before)+" -> "+quoted(c.After))
					}
				}
				for _, r := range m.Rewrites {
					wantC = append(wantC, r.Field+" "+quotedp(r.Before)+" -> "+quotedp(r.After))
				}
				slices.Sort(gotC)
				slices.Sort(wantC)
				if !slices.Equal(gotC, wantC) {
					t.Errorf("%s lan %s wan %s %s: changes differ\n got: %q\nwant: %q", m.Direction, fr(m.LANFrame), fr(m.WANFrame), m.Method, gotC, wantC)
				}
			}
		})
	}
}

// TestEveryMessageAccounted checks on every fixture that each SIP message
// of either capture appears in exactly one Message: matched, dropped or
// generated.
func TestEveryMessageAccounted(t *testing.T) {
	for _, name := range append(slices.Clone(emulated), lab...) {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("..", "..", "fixtures", name)
			got := build(t, dir)
			for _, side := range []string{"lan", "wan"} {
				sum, err := inventory.Read(filepath.Join(dir, side+".pcap"), capture.DefaultLimits())
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, m := range got.Messages {
					f, p := m.LANFrame, m.LAN
					if side == "wan" {
						f, p = m.WANFrame, m.WAN
					}
					if f != nil {
						n++
						if p == nil {
							t.Errorf("%s frame %d: listed without its parsed message", side, *f)
						}
					}
				}
				if n != sum.SIPMessages {
					t.Errorf("%s: %d SIP messages listed, the capture has %d", side, n, sum.SIPMessages)
				}
			}
			for _, m := range got.Messages {
				want := Matched
				switch {
				case m.LANFrame == nil && m.WANFrame == nil:
					t.Errorf("message %d has no frame on either side", m.ID)
				case m.LANFrame == nil && m.Direction == "inbound", m.WANFrame == nil && m.Direction == "outbound":
					want = Dropped
				case m.LANFrame == nil || m.WANFrame == nil:
					want = Generated
				}
				if m.State != want {
					t.Errorf("message %d (lan %s, wan %s, %s): state %s, want %s", m.ID, fr(m.LANFrame), fr(m.WANFrame), m.Direction, m.State, want)
				}
			}
		})
	}
}

// TestST530Dialogs checks that a dumb ALG's Call-ID rewrite does not split
// a call: the LAN and WAN Call-IDs end up in one dialog, and the inbound
// INVITE the dead mapping swallowed is retransmitted, not four calls.
func TestST530Dialogs(t *testing.T) {
	got := build(t, filepath.Join("..", "..", "fixtures", "st530"))
	var call *Dialog
	for i := range got.Dialogs {
		if got.Dialogs[i].Method == "INVITE" && len(got.Dialogs[i].CallIDsLAN) > 0 {
			call = &got.Dialogs[i]
		}
	}
	if call == nil {
		t.Fatal("no outbound INVITE dialog")
	}
	if !slices.Equal(call.CallIDsLAN, []string{"a84b4c76e66710@192.168.1.10"}) || !slices.Equal(call.CallIDsWAN, []string{"a84b4c76e66710@203.0.113.1"}) {
		t.Errorf("call Call-IDs: lan %q wan %q", call.CallIDsLAN, call.CallIDsWAN)
	}
	// INVITE, the ACK of its 2xx (a new branch: RFC 3261 §17.1.1.3),
	// REFER, NOTIFY and BYE.
	if call.Transactions != 5 {
		t.Errorf("call has %d transactions, want 5 (INVITE, ACK, REFER, NOTIFY, BYE)", call.Transactions)
	}
	var dropped []Message
	for _, m := range got.Messages {
		if m.State == Dropped {
			dropped = append(dropped, m)
		}
	}
	if len(dropped) != 4 {
		t.Fatalf("%d dropped messages, want the 4 copies of the inbound INVITE", len(dropped))
	}
	for i, m := range dropped {
		if m.Retransmission != (i > 0) || m.Dialog != dropped[0].Dialog {
			t.Errorf("dropped INVITE %d (wan frame %s): retransmission %v dialog %d", i, fr(m.WANFrame), m.Retransmission, m.Dialog)
		}
	}
	if got.Retransmissions != 3 {
		t.Errorf("%d retransmissions, want 3", got.Retransmissions)
	}
}

// TestKernelALGRewrites checks the diff of a real recording against what
// nf_nat_sip is documented to rewrite (net/netfilter/nf_nat_sip.c: the
// top Via, From/To when they name the flow's address, every Contact, the
// SDP addresses and Content-Length) and nothing else: the INVITE of
// lab-call-alg, read off the two captures.
func TestKernelALGRewrites(t *testing.T) {
	got := build(t, filepath.Join("..", "..", "fixtures", "lab-call-alg"))
	var inv *Message
	for i := range got.Messages {
		if got.Messages[i].Method == "INVITE" && got.Messages[i].Status == nil {
			inv = &got.Messages[i]
			break
		}
	}
	if inv == nil {
		t.Fatal("no INVITE")
	}
	var fields []string
	for _, c := range inv.Changes {
		fields = append(fields, c.Field+" "+string(c.Before)+" -> "+string(c.After))
	}
	want := []string{
		"Via[0].sent-by 192.168.1.10:5060 -> 203.0.113.1:5060",
		"From.uri.host 192.168.1.10 -> 203.0.113.1",
		"Contact[0].uri.host 192.168.1.10 -> 203.0.113.1",
		"Content-Length 219 -> 217",
		"sdp.o alice 1001 1001 IN IP4 192.168.1.10 -> alice 1001 1001 IN IP4 203.0.113.1",
		"sdp.c IN IP4 192.168.1.10 -> IN IP4 203.0.113.1",
	}
	slices.Sort(fields)
	slices.Sort(want)
	if !slices.Equal(fields, want) {
		t.Errorf("INVITE (lan frame %s) changes:\n got %q\nwant %q", fr(inv.LANFrame), fields, want)
	}
}
