package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sipalg/sipalg/analyze/capture"
)

// corpusDir is the shared corpus beside the repository; a fresh clone
// elsewhere does not have it.
const corpusDir = "../../../shared/corpus/pcap"

func needCorpus(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("corpus not present at %s (it lives beside the repository as ../shared): %v", corpusDir, err)
	}
}

// corpusCounts holds, per capture of the shared corpus, the counts sipalg
// must report next to what tshark 4.x reported (corpus/MANIFEST.md: capinfos
// packets, `tshark -Y sip` frames). Where sipalg differs from tshark, note
// says why the difference is right.
var corpusCounts = []struct {
	file                     string
	packets, sipFrames       int
	sipUDP, sipTCP           int
	tsharkPackets, tsharkSIP int
	note                     string
}{
	{"1filtered.cap", 69, 15, 15, 0, 69, 15, ""},
	{"Asterisk_ZFONE_XLITE.pcap", 1042, 27, 27, 0, 1042, 27, ""},
	{"DTMFsipinfo.pcap", 32, 32, 32, 0, 32, 32, ""},
	{"FAX-Call-t38-CA-TDM-SIP-FB-1.pcap", 7217, 92, 92, 0, 7217, 92, ""},
	{"LtoZ_rtpFilter_fail_2.pcap", 1221, 21, 21, 0, 1221, 21, ""},
	{"MSCML.pcap", 12, 12, 12, 0, 12, 12, ""},
	{"MagicJack-_short_call.pcap", 1381, 11, 11, 0, 1381, 11, ""},
	{"MagicJack_pwr_up.pcap", 49, 8, 8, 0, 49, 8, ""},
	{"SIP-RTP-Normal_Call_two_parties.pcap", 5651, 48, 48, 0, 5651, 48, ""},
	{"SIP-SRTP-Normal_Call_two_parties.pcap", 4753, 48, 48, 0, 4753, 48, ""},
	{"SIP-over-TLS-RTP-Normal_Call_two_parties.pcap", 4965, 0, 0, 0, 4965, 0, ""},
	{"SIP_CALL_RTP_G711", 4269, 14, 14, 0, 4269, 14, ""},
	{"SIP_DTMF2.cap", 1360, 29, 29, 0, 1360, 29, ""},
	{"SIP_Eyebeam2Eyebeam_Video_Audio.pcap", 3606, 68, 68, 0, 3606, 68, ""},
	{"T38.pcap", 18, 18, 18, 0, 18, 18, ""},
	{"aaa.pcap", 691, 81, 81, 0, 691, 81, ""},
	{"b2bua-asterisk.pcapng", 416, 60, 60, 0, 416, 60, ""},
	{"digium.pcap", 31, 19, 19, 0, 31, 19, ""},
	{"fax-iz-InLife-G711-GRE199.cap", 95, 91, 91, 0, 95, 91, ""},
	{"fuzz-2006-06-26-2594.pcap", 691, 62, 62, 0, 691, 52, "10 messages whose start line the fuzzer corrupted (NUL bytes, %s in the Request-URI or reason phrase: frames 108 154 181 223 228 274 346 348 558 560); Wireshark's heuristic shows them as plain UDP, sipalg keeps them as SIP with a bad-start-line diagnostic: the evidence an ALG forensics tool must not drop"},
	{"gtp-iphone.pcap", 106, 17, 4, 13, 106, 17, ""},
	{"h223-over-rtp.pcap.gz", 776, 7, 7, 0, 776, 7, ""},
	{"h263-over-rtp.pcap", 49, 4, 4, 0, 49, 4, ""},
	{"http_on_sip_port.pcap", 4, 0, 0, 0, 4, 2, "HTTP over TCP 5060: tshark dissects anything on 5060 as SIP (2 frames shown as SIP continuation); it is not SIP, and sipalg says so"},
	{"invalid-content-length.pcap", 2, 2, 2, 0, 2, 2, ""},
	{"ipip.pcap", 4, 4, 0, 4, 4, 4, ""},
	{"ipv6frag.pcap", 34, 32, 32, 0, 34, 32, ""},
	{"metasploit-sip-invite-spoof.pcap", 3, 2, 2, 0, 3, 2, ""},
	{"mikey.pcap", 2, 2, 2, 0, 2, 2, ""},
	{"mikey_psk.pcap", 2, 2, 2, 0, 2, 2, ""},
	{"nb6-startup.pcap", 531, 4, 4, 0, 531, 4, ""},
	{"nb6-telephone.pcap", 527, 7, 7, 0, 527, 7, ""},
	{"ndpi-gre-vlan.pcapng", 1, 1, 1, 0, 1, 1, ""},
	{"pcapplusplus-sdp.pcap", 1, 1, 1, 0, 1, 1, ""},
	{"public-cloudshark-sip-s0.pcap", 10, 10, 10, 0, 10, 10, ""},
	{"register-invite-reinvite-bye.pcap", 230, 12, 12, 0, 230, 12, ""},
	{"rtp-protocol.pcap", 259, 9, 9, 0, 259, 9, ""},
	{"sip-488-codec-reject.pcapng", 13, 13, 13, 0, 13, 13, ""},
	{"sip-auth-failure.pcapng", 8, 8, 8, 0, 8, 8, ""},
	{"sip-body-large.pcap", 16, 2, 0, 2, 16, 2, ""},
	{"sip-junk-before-request.pcap", 2, 1, 1, 0, 2, 1, ""},
	{"sip-long-request-response-paths.pcap", 2, 2, 2, 0, 2, 2, ""},
	{"sip-over-tcp.pcap", 84, 7, 0, 7, 84, 7, ""},
	{"sip-proxy.pcap", 11, 11, 11, 0, 11, 11, ""},
	{"sip-routing-error.pcapng", 58, 58, 58, 0, 58, 58, ""},
	{"sip-rtp-dvi4.pcap", 866, 12, 12, 0, 866, 12, ""},
	{"sip-rtp-g711.pcap", 852, 10, 10, 0, 852, 10, ""},
	{"sip-rtp-g722.pcap", 433, 6, 6, 0, 433, 6, ""},
	{"sip-rtp-g726.pcap", 3464, 48, 48, 0, 3464, 48, ""},
	{"sip-rtp-g729a.pcap", 433, 6, 6, 0, 433, 6, ""},
	{"sip-rtp-gsm.pcap", 433, 6, 6, 0, 433, 6, ""},
	{"sip-rtp-ilbc.pcap", 292, 6, 6, 0, 292, 6, ""},
	{"sip-rtp-lpc.pcap", 103, 6, 6, 0, 103, 6, ""},
	{"sip-rtp-opus-hybrid.pcap", 7, 2, 2, 0, 7, 2, ""},
	{"sip-rtp-opus.pcap", 433, 6, 6, 0, 433, 6, ""},
	{"sip-rtp-speex.pcap", 1299, 18, 18, 0, 1299, 18, ""},
	{"sip-tcp.pcap", 11, 2, 0, 2, 11, 2, ""},
	{"sip-tls-1.3-and-rtcp.pcap", 4558, 0, 0, 0, 4558, 0, ""},
	{"sip_compact_form.pcap", 1, 1, 1, 0, 1, 1, ""},
	{"sip_header_multi_val.pcap", 1, 1, 1, 0, 1, 1, ""},
	{"sip_hello.pcapng", 30, 8, 8, 0, 30, 8, ""},
	{"sip_non_default_port.pcap", 2, 2, 2, 0, 2, 2, ""},
	{"sip_not_sdp.pcap", 1, 1, 1, 0, 1, 1, ""},
	{"sip_reqs.pcap", 4, 4, 4, 0, 4, 4, ""},
	{"sip_resp.pcap", 7, 7, 6, 1, 7, 7, ""},
	{"sipp-branch-scenario.pcapng", 8989, 8989, 8989, 0, 8989, 8989, ""},
	{"sngrep-tlssaved.pcap", 12, 0, 0, 0, 12, 0, ""},
	{"suricata-sip-options-method.pcap", 2, 2, 2, 0, 2, 2, ""},
	{"suricata-sip-pattern-matching.pcap", 2, 2, 2, 0, 2, 2, ""},
	{"suricata-sip-sdp.pcap", 2, 2, 2, 0, 2, 2, ""},
	{"suricata-sip-tcp-pattern-matching.pcap", 7, 2, 0, 2, 7, 2, ""},
	{"wireuploaded.pcap", 1430, 196, 196, 0, 1430, 196, ""},
	{"derived/c07-sip-r2.converted.pcap", 39, 12, 12, 0, 39, 12, ""},
}

func TestCorpusCounts(t *testing.T) {
	needCorpus(t)
	for _, c := range corpusCounts {
		t.Run(c.file, func(t *testing.T) {
			s, err := Read(filepath.Join(corpusDir, c.file), capture.DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			if s.Packets != c.packets || s.SIPFrames != c.sipFrames || s.SIPMessagesUDP != c.sipUDP || s.SIPMessagesTCP != c.sipTCP {
				t.Errorf("packets %d, SIP frames %d, SIP over UDP %d / TCP %d; want %d, %d, %d / %d",
					s.Packets, s.SIPFrames, s.SIPMessagesUDP, s.SIPMessagesTCP, c.packets, c.sipFrames, c.sipUDP, c.sipTCP)
			}
			if (c.packets != c.tsharkPackets || c.sipFrames != c.tsharkSIP) && c.note == "" {
				t.Errorf("differs from tshark (%d packets, %d SIP frames) without a note saying why", c.tsharkPackets, c.tsharkSIP)
			}
		})
	}
}

// TestCorpusUnsupportedFormat: the NetMon capture gets a clear error, and
// its pcap conversion reads.
func TestCorpusUnsupportedFormat(t *testing.T) {
	needCorpus(t)
	_, err := Read(filepath.Join(corpusDir, "c07-sip-r2.cap"), capture.DefaultLimits())
	if !errors.Is(err, capture.ErrUnsupportedFormat) {
		t.Fatalf("NetMon 2.x: err %v, want ErrUnsupportedFormat", err)
	}
}

// TestCorpusWarnings: TLS flows are reported as encrypted; a clean capture
// has no warning.
func TestCorpusWarnings(t *testing.T) {
	needCorpus(t)
	for file, want := range map[string]int{
		"SIP-over-TLS-RTP-Normal_Call_two_parties.pcap": 1,
		"sip-tls-1.3-and-rtcp.pcap":                     1,
		"sip-rtp-g711.pcap":                             0,
	} {
		s, err := Read(filepath.Join(corpusDir, file), capture.DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Warnings) != want {
			t.Errorf("%s: warnings %q, want %d", file, s.Warnings, want)
		}
		tls := 0
		for _, f := range s.Flows {
			if f.Kind == KindTLS {
				tls++
			}
		}
		if (tls > 0) != (want > 0) {
			t.Errorf("%s: %d TLS flows", file, tls)
		}
	}
}
