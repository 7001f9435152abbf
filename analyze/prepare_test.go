package analyze

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"testing"

	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/spool"
)

// TestPrepareInOrder: every spooled message reaches f once, prepared, in
// time order (the spool's here but for a few swapped pairs, within the
// reorder margin), whatever the number of workers and however the count
// falls against the batch size; an error of f stops the feed and comes
// back, and f is not called after it.
func TestPrepareInOrder(t *testing.T) {
	fill := func(t *testing.T, n int) *spool.Spool {
		s := spool.New(t.TempDir(), 4096) // spills: the records come back from the disk
		var key [8]byte
		var buf []byte
		for i := range n {
			data := fmt.Appendf(nil, "OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.1.2:5060;branch=z9hG4bK%d\r\n"+
				"From: <sip:b@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: c%d\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", i, i)
			ts := int64(i) * 1e6
			if i%10 == 3 {
				ts += 1.5e6 // after the next message: decided first, but later
			}
			sm := correlate.SIPMessage{LAN: &correlate.SIPRecord{Frame: i + 1, TS: ts, Proto: 17,
				Src: netip.MustParseAddrPort("192.168.1.2:5060"), Dst: netip.MustParseAddrPort("203.0.113.5:5060"), Data: data}}
			sm.Direction, sm.State, sm.LANFrame = "outbound", "dropped", i+1
			binary.BigEndian.PutUint64(key[:], uint64(i))
			buf = match.AppendSIP(buf[:0], sm)
			if err := s.Add(key[:], buf); err != nil {
				t.Fatal(err)
			}
		}
		return s
	}
	for _, workers := range []int{1, 2, 3} {
		for _, n := range []int{0, 1, prepareBatch, prepareBatch + 1, 5*prepareBatch + 7} {
			t.Run(fmt.Sprint(workers, "x", n), func(t *testing.T) {
				next := 1
				err := prepareInOrder(fill(t, n), match.NewReorderer(correlate.Clock{}, match.StreamOptions{}), workers, func(o match.Ordered, m match.Message) error {
					want := next
					switch {
					case next%10 == 4 && next < n:
						want = next + 1 // the late one's successor first
					case next%10 == 5:
						want = next - 1
					}
					if o.SIP.LANFrame != want {
						return fmt.Errorf("frame %d came where %d was due", o.SIP.LANFrame, want)
					}
					if c := fmt.Sprintf("c%d", want-1); m.CallIDLAN != c {
						return fmt.Errorf("frame %d prepared as Call-ID %q, want %q", want, m.CallIDLAN, c)
					}
					next++
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if next-1 != n {
					t.Fatalf("%d of %d messages reached f", next-1, n)
				}
			})
		}
	}
	t.Run("error", func(t *testing.T) {
		boom := errors.New("boom")
		calls := 0
		err := prepareInOrder(fill(t, 10*prepareBatch), match.NewReorderer(correlate.Clock{}, match.StreamOptions{}), 2, func(o match.Ordered, _ match.Message) error {
			calls++
			if o.SIP.LANFrame == 40 {
				return boom
			}
			return nil
		})
		if !errors.Is(err, boom) || calls != 40 {
			t.Fatalf("err %v after %d calls; want boom after 40", err, calls)
		}
	})
}
