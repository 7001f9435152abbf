package rules_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sipalg/sipalg/analyze"
	"github.com/sipalg/sipalg/analyze/oneside"
	"github.com/sipalg/sipalg/rules"
)

// corpusDir is the shared corpus beside the repository; a fresh clone
// without it skips these tests.
const corpusDir = "../../shared/corpus/pcap"

// TestSingleCorpus analyses the public captures of SIP clients behind a
// home router, each alone, and checks what a VoIP engineer reads off them
// by hand (frames are Wireshark's):
//
//   - MagicJack (captured on the PC, LAN side): the phone 192.168.0.10
//     writes its private address everywhere; the server's responses come
//     back with that Via untouched and received=<public>;rport=<its own
//     port>: no SIP ALG, a port-preserving NAT, a server doing NAT
//     traversal. In the short call the server even addresses its BYE
//     (frame 1324) to the public mapping 206.248.161.77:59205, and it
//     reaches the phone 3.8 s after the last packet of that flow.
//   - nb6 (SFR neufbox, its own capture): the box's VoIP interface
//     10.251.23.139 talks to the operator's P-CSCF on a private network;
//     the P-CSCF's received= equals the address the box wrote: no NAT on
//     the SIP path, so nothing for an ALG to do and no leak to report.
func TestSingleCorpus(t *testing.T) {
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("corpus not present at %s (it lives beside the repository as ../shared): %v", corpusDir, err)
	}
	for _, tc := range []struct {
		file, side string
		must       []string
		public     []string
		mapping    string // a SIP mapping "lan wan", "" for none expected
		lower      float64
		warning    string // a report warning that must be there
	}{
		{file: "MagicJack_pwr_up.pcap", side: "lan", must: []string{"ALG-ABSENT-SUSPECTED"},
			public: []string{"76.10.134.219"}, mapping: "192.168.0.10:40140 76.10.134.219:40140"},
		{file: "MagicJack-_short_call.pcap", side: "lan", must: []string{"ALG-ABSENT-SUSPECTED"},
			public: []string{"206.248.161.77"}, mapping: "192.168.0.10:59205 206.248.161.77:59205", lower: 3.79},
		{file: "MagicJack-_short_call.pcap", side: "wan", warning: "looks like a LAN-side capture"},
		{file: "nb6-startup.pcap", side: "wan", must: []string{"NAT-ABSENT-SUSPECTED"}},
		{file: "nb6-telephone.pcap", side: "wan", must: []string{"NAT-ABSENT-SUSPECTED"}},
	} {
		t.Run(tc.file+"/"+tc.side, func(t *testing.T) {
			rep, err := analyze.RunSingle(filepath.Join(corpusDir, tc.file), tc.side, analyze.Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkSingle(t, rep, tc.must, nil)
			for _, f := range rep.Findings {
				if f.Verdict != rules.Info {
					t.Errorf("%s (%s): %s", f.Rule, f.Verdict, f.Explanation)
				}
			}
			var pub []string
			for _, a := range rep.NAT.PublicAddresses {
				pub = append(pub, a.String())
			}
			if !slices.Equal(pub, tc.public) {
				t.Errorf("public addresses %q, want %q", pub, tc.public)
			}
			if tc.mapping != "" {
				found := false
				for _, m := range rep.Mappings {
					found = found || m.Kind.String() == "sip" && m.LAN.String()+" "+m.WAN.String() == tc.mapping
				}
				if !found {
					t.Errorf("no SIP mapping %s", tc.mapping)
				}
				if pp := rep.NAT.PortPreservation; pp == nil || !*pp {
					t.Errorf("port preservation %v, want true (rport equals the phone's own port)", pp)
				}
			}
			if tc.lower > 0 {
				if l := rep.NAT.UDPTimeout.Lower; l == nil || *l < tc.lower || *l > tc.lower+0.1 {
					t.Errorf("UDP timeout lower bound %v, want %.2f s (the BYE at frame 1324)", l, tc.lower)
				}
			}
			if tc.warning != "" && !slices.ContainsFunc(rep.Warnings, func(w string) bool { return strings.Contains(w, tc.warning) }) {
				t.Errorf("warnings %q, want one saying %q", rep.Warnings, tc.warning)
			}
			if strings.HasPrefix(tc.file, "nb6") {
				ua := netip.MustParseAddr("10.251.23.139")
				i := slices.IndexFunc(rep.Single.Hosts, func(h *oneside.Host) bool { return h.Addr == ua })
				if i < 0 || rep.Single.Hosts[i].Role != oneside.RoleUA || len(rep.Single.Hosts[i].NAT) > 0 {
					t.Errorf("10.251.23.139 is not a SIP endpoint with no NAT evidence: %+v", rep.Single.Hosts)
				}
			}
		})
	}
}

// TestSingleCorpusAll analyses every capture of the corpus as either side:
// no error but for unreadable formats, and every finding well formed.
// Warnings on these public captures are few and each has been read: the
// DTMFsipinfo/sip_reqs client writes 178.45.73.241:5060 while sending from
// :1032 (MAPPING-MISMATCH-SUSPECTED, right), and the fuzzed aaa.pcap is
// broken on purpose.
func TestSingleCorpusAll(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpusDir, "*"))
	if err != nil || len(files) == 0 {
		t.Skipf("corpus not present at %s", corpusDir)
	}
	expected := map[string]bool{"DTMFsipinfo.pcap/wan": true, "sip_reqs.pcap/wan": true,
		"fuzz-2006-06-26-2594.pcap/lan": true, "fuzz-2006-06-26-2594.pcap/wan": true}
	for _, f := range files {
		if st, err := os.Stat(f); err != nil || st.IsDir() {
			continue
		}
		for _, side := range []string{"lan", "wan"} {
			name := filepath.Base(f) + "/" + side
			t.Run(name, func(t *testing.T) {
				rep, err := analyze.RunSingle(f, side, analyze.Options{})
				if err != nil {
					t.Skipf("unreadable: %v", err)
				}
				checkSingle(t, rep, nil, nil)
				for _, fd := range rep.Findings {
					if fd.Verdict == rules.Warning && !expected[name] {
						t.Errorf("%s: %s", fd.Rule, fd.Explanation)
					}
				}
			})
		}
	}
}
