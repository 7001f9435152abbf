package sipmsg

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tortureDir is the shared RFC 4475/5118 corpus, outside the repository.
const tortureDir = "../../../shared/corpus/sip-torture"

// invalidWant names, for each invalid torture message, the diagnostic code
// of its actual defect (read from the message and MANIFEST.tsv "tests").
var invalidWant = map[string]string{
	"badinv01":               "empty-param",          // ";;,;,," in Via, ";;;;" after Contact
	"clerr":                  "content-length-long",  // Content-Length: 9999
	"ncl":                    "bad-content-length",   // Content-Length: -999
	"scalar02":               "number-out-of-range",  // CSeq 2**65, Max-Forwards 300, huge Expires
	"scalarlg":               "number-out-of-range",  // CSeq and Retry-After overlarge
	"quotbal":                "unbalanced-quote",     // To: "Mr. J. User <sip:...>
	"ltgtruri":               "bad-request-uri",      // INVITE <sip:...> SIP/2.0
	"lwsruri":                "bad-start-line",       // "sip:user@example.com; lr" in the request line
	"lwsstart":               "bad-start-line",       // two SPs between elements
	"trws":                   "bad-start-line",       // trailing SPs
	"escruri":                "ruri-headers",         // sip:user@example.com?Route=...
	"baddate":                "bad-date",             // ... EST
	"regbadct":               "bare-uri-reserved",    // Contact: sip:user@example.com?Route=... without <>
	"badaspec":               "bad-uri",              // < sip:t.watson@example.org >
	"baddn":                  "bad-display-name",     // From: Bell, Alexander <...>
	"badvers":                "bad-version",          // SIP/7.0
	"mismatch01":             "cseq-method-mismatch", // OPTIONS vs CSeq INVITE
	"mismatch02":             "cseq-method-mismatch", // NEWMETHOD vs CSeq INVITE
	"bigcode":                "bad-status-code",      // 4294967301
	"insuf":                  "missing-header",       // no Call-ID, From, To
	"multi01":                "duplicate-header",     // two Call-ID, To, From, CSeq, Max-Forwards
	"mcl01":                  "duplicate-header",     // two Content-Length
	"test":                   "bad-start-line",       // no SIP-Version (also header-no-colon)
	"ipv6-bad":               "ipv6-unbracketed",     // REGISTER sip:2001:db8::10
	"ipv6-bug-abnf-3-colons": "bad-host",             // [2001:db8:::192.0.2.1]
}

// extraWant lists further codes some invalid messages must also carry.
var extraWant = map[string][]string{
	"test":  {"header-no-colon"},
	"baddn": {"no-blank-line"}, // the archive lacks the blank line (README)
	"insuf": {"missing-header"},
}

// validTolerated lists, per README, the codes a valid message may carry:
// the RFC 5118 derived wire forms keep Content-Lengths that count the
// archive's LF body, not the CRLF one.
var validTolerated = map[string]string{
	"ipv6-in-sdp":      "content-length-long",  // 268 vs 251 bytes
	"mult-ip-in-sdp":   "content-length-short", // 181 vs 189 (warning anyway)
	"ipv4-mapped-ipv6": "content-length-short", // 236 vs 245 (warning anyway)
}

type manifestRow struct{ name, class, tests, path string }

func readManifest(t *testing.T) []manifestRow {
	t.Helper()
	f, err := os.Open(filepath.Join(tortureDir, "MANIFEST.tsv"))
	if os.IsNotExist(err) {
		t.Skipf("torture corpus not present at %s (it lives outside the repository, in /work/shared/corpus)", tortureDir)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []manifestRow
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 5 || c[0] == "name" {
			continue
		}
		rows = append(rows, manifestRow{name: c[0], class: c[1], tests: c[2], path: c[4]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestTortureCorpus(t *testing.T) {
	rows := readManifest(t)
	if len(rows) == 0 {
		t.Fatal("empty MANIFEST.tsv")
	}
	seen := map[string]bool{}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(tortureDir, r.path))
			if err != nil {
				t.Fatal(err)
			}
			m := Parse(b)
			checkInvariants(t, m)
			if m.NotSIP {
				t.Fatalf("recognised as not SIP: %v", m.Diags)
			}
			switch r.class {
			case "valid":
				for _, d := range m.Diags {
					if d.Sev == Error && validTolerated[r.name] != d.Code {
						t.Errorf("valid message (%s) got error %v", r.tests, d)
					}
				}
			case "invalid":
				want, ok := invalidWant[r.name]
				if !ok {
					t.Fatalf("no expected code for invalid message %s (%s): add one to invalidWant", r.name, r.tests)
				}
				for _, code := range append([]string{want}, extraWant[r.name]...) {
					if !m.HasDiag(code) {
						t.Errorf("want diagnostic %q (%s); got %v", code, r.tests, m.Diags)
					}
				}
			default:
				t.Fatalf("unknown class %q", r.class)
			}
		})
		seen[r.name] = true
	}
	for name := range invalidWant {
		if !seen[name] {
			t.Errorf("invalidWant names %s, which is not in MANIFEST.tsv", name)
		}
	}
}

// TestDblreq: the bytes after Content-Length are kept as Extra, not lost.
func TestDblreq(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(tortureDir, "valid/dblreq.dat"))
	if os.IsNotExist(err) {
		t.Skip("torture corpus not present")
	}
	if err != nil {
		t.Fatal(err)
	}
	m := Parse(b)
	if m.Body.Len() != 0 {
		t.Errorf("body %d bytes, want 0", m.Body.Len())
	}
	if !bytes.HasPrefix(bytes.TrimLeft(m.Bytes(m.Extra), "\r\n"), []byte("INVITE ")) {
		t.Errorf("Extra = %q, want the second request", m.Bytes(m.Extra))
	}
}
