package correlate

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/inventory"
	"github.com/sipalg/sipalg/analyze/sipmsg"
)

// liteParse is the first pass's parse when the inventory does not check
// the messages (Options.NoSIPDiagnostics).
func liteParse(b []byte) *sipmsg.Message {
	var m sipmsg.Message
	sipmsg.ParseHeadersInto(&m, b)
	return &m
}

// sipMessages returns SIP messages to key: the RFC 4475/5118 torture
// messages of the shared corpus, when it is there, and every SIP
// message of the fixture pairs.
func sipMessages(t testing.TB) [][]byte {
	var msgs [][]byte
	const torture = "../../../shared/corpus/sip-torture"
	for _, dir := range []string{"valid", "invalid", "rfc5118-archive"} {
		names, _ := filepath.Glob(filepath.Join(torture, dir, "*"))
		for _, n := range names {
			if b, err := os.ReadFile(n); err == nil {
				msgs = append(msgs, b)
			}
		}
	}
	if len(msgs) == 0 {
		t.Logf("torture corpus not present at %s: fixture messages only", torture)
	}
	pcaps, err := filepath.Glob(filepath.Join(fixturesDir, "*", "*.pcap*"))
	if err != nil || len(pcaps) == 0 {
		t.Fatalf("no fixture captures: %v", err)
	}
	for _, path := range pcaps {
		r, err := capture.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		sc := capture.NewScanner(r, capture.DefaultLimits())
		for p := sc.Next(); p != nil; p = sc.Next() {
			if inventory.UDPSIP(p) {
				msgs = append(msgs, bytes.Clone(p.Payload))
			}
			for _, m := range p.SIP {
				msgs = append(msgs, bytes.Clone(m.Data))
			}
		}
		r.Close()
	}
	return msgs
}

// TestSIPKeyLiteSameAsFull: a message's twin key is the same whether the
// first pass parsed it in full or only its start and header lines
// (sipmsg.ParseHeadersInto, the views parsing what the key asks for), on
// every fixture and torture message, each also cut short and damaged:
// the two sides of a pair may be keyed either way, and the clock's
// sample is chosen by the keys.
func TestSIPKeyLiteSameAsFull(t *testing.T) {
	msgs := sipMessages(t)
	t.Logf("%d messages", len(msgs))
	if len(msgs) < 500 {
		t.Fatalf("only %d messages to key", len(msgs))
	}
	rng := uint64(0x2545f4914f6cdd1d)
	check := func(b []byte) {
		fk, fok := sipKey(b, sipmsg.Parse)
		lk, lok := sipKey(b, liteParse)
		if fk != lk || fok != lok {
			t.Fatalf("key of %q: full parse %x %v, start and header lines %x %v", b, fk, fok, lk, lok)
		}
	}
	for _, b := range msgs {
		check(b)
		for k := range 4 {
			rng ^= rng << 13
			rng ^= rng >> 7
			rng ^= rng << 17
			if len(b) == 0 {
				break
			}
			cut := bytes.Clone(b[:int(rng%uint64(len(b)))])
			check(cut)
			d := bytes.Clone(b)
			d[int(rng>>20)%len(d)] = "\r\n:;,<>\" @=\x00"[k*3%13]
			check(d)
		}
	}
}

// FuzzSIPKeyLite: TestSIPKeyLiteSameAsFull on any bytes.
func FuzzSIPKeyLite(f *testing.F) {
	for _, s := range []string{
		"INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK1\r\nFrom: <sip:a@192.168.1.10>;tag=192.168.1.10-1\r\nTo: <sip:bob@example.com>\r\nCall-ID: 1@192.168.1.10\r\nCSeq: 1 INVITE\r\n\r\n",
		"SIP/2.0 200 OK\r\nf: \"x\" <sip:a@b>;tag=7\r\ni: abc\r\nCSeq: 2 BYE\r\nFrom: <sip:c@d>;tag=8\r\n\r\n",
		"OPTIONS sip:x SIP/2.0\r\nFrom: sip:a@b;tag=1, sip:c@d;tag=2\r\nFrom: <sip:e@f>;tag=3\r\nCSeq:  7\r\n OPTIONS\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fk, fok := sipKey(b, sipmsg.Parse)
		lk, lok := sipKey(b, liteParse)
		if fk != lk || fok != lok {
			t.Fatalf("key of %q: full parse %x %v, start and header lines %x %v", b, fk, fok, lk, lok)
		}
	})
}
