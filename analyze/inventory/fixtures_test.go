package inventory

import (
	"net/netip"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/sipmsg"
)

// TestFixturesReadable: every committed fixture capture reads without error
// and holds SIP, without a warning except where the fixture is about one.
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
			want := expectedWarning[filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f)]
			switch {
			case want == "" && len(s.Warnings) > 0:
				t.Errorf("warnings: %q", s.Warnings)
			case want != "" && (len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], want)):
				t.Errorf("warnings: %q; want one with %q", s.Warnings, want)
			}
		})
	}
}

// expectedWarning lists the fixture captures that are damaged on purpose,
// with what their one warning must say.
var expectedWarning = map[string]string{
	"lab-snaplen-alg/lan.pcap": "snap length is 200 bytes",
}

// TestAddNumberedSameAsAdd: counting packets by flow number gives the
// summary counting them by lookup gives, with the flow table full (a
// bound of 3 flows) and not.
func TestAddNumberedSameAsAdd(t *testing.T) {
	files, _ := filepath.Glob("../../fixtures/*/lan.pcap*")
	if len(files) == 0 {
		t.Skip("no fixtures committed")
	}
	type dir struct {
		proto    uint8
		src, dst netip.AddrPort
	}
	scan := func(t *testing.T, f string, maxFlows int, numbered bool) *Summary {
		r, err := capture.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		c := NewCounter(r, maxFlows)
		sc := capture.NewScanner(r, capture.DefaultLimits())
		nums := map[dir]int32{}
		for p := sc.Next(); p != nil; p = sc.Next() {
			if !numbered {
				c.Add(p)
				continue
			}
			k := dir{p.Proto, p.Src, p.Dst}
			if nums[k] == 0 {
				nums[k] = int32(len(nums) + 1)
			}
			c.AddNumbered(p, nums[k], p.Proto == capture.ProtoUDP && sipmsg.IsSIP(p.Payload))
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
		return c.Summary(r, &sc.D.Stats)
	}
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f)), func(t *testing.T) {
			for _, max := range []int{3, MaxFlows} {
				added, numbered := scan(t, f, max, false), scan(t, f, max, true)
				if !reflect.DeepEqual(added, numbered) {
					t.Errorf("max %d flows: Add gives %+v, AddNumbered %+v", max, added, numbered)
				}
			}
		})
	}
}
