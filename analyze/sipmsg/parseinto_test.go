package sipmsg

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// TestParseIntoReuse: parsing one message after another into the same
// Message gives what a fresh Parse gives, whatever came before: a message
// with more headers than the inline array, one with diagnostics, one that
// is not SIP at all.
func TestParseIntoReuse(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "*.sip"))
	torture, _ := filepath.Glob(filepath.Join(tortureDir, "*", "*.dat"))
	paths = append(paths, torture...)
	if len(paths) < 10 {
		t.Fatalf("only %d messages", len(paths))
	}
	var msgs [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, b)
	}
	many := "OPTIONS sip:a@b SIP/2.0\r\n" + strings.Repeat("X-H: 1\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n", headerCap) + "\r\n"
	msgs = append(msgs, []byte(many), []byte("GET / HTTP/1.1\r\n\r\n"))
	var m Message
	for round := range 2 {
		for i, b := range msgs {
			ParseInto(&m, b)
			want := Parse(b)
			// Diags keeps its backing array: compare contents.
			if len(m.Diags) == 0 && len(want.Diags) == 0 {
				m.Diags, want.Diags = nil, nil
			}
			// So do the views' slices.
			if len(m.vias) == 0 && len(want.vias) == 0 {
				m.vias, want.vias = nil, nil
			}
			if len(m.contacts) == 0 && len(want.contacts) == 0 {
				m.contacts, want.contacts = nil, nil
			}
			if len(m.params) == 0 && len(want.params) == 0 {
				m.params, want.params = nil, nil
			}
			if !reflect.DeepEqual(m.Headers, want.Headers) {
				t.Fatalf("round %d, message %d: headers differ", round, i)
			}
			got := m
			got.Headers, want.Headers = nil, nil
			got.hdrBuf, want.hdrBuf = [headerCap]Header{}, [headerCap]Header{}
			if !reflect.DeepEqual(&got, want) {
				t.Fatalf("round %d, message %d:\n got %+v\nwant %+v", round, i, got, *want)
			}
		}
	}
}

// TestKeptViews: the Via, Contact, From and To values Parse keeps are
// what the views parse from the headers afterwards, for every message of
// the corpus and a few with repeated or damaged address headers.
func TestKeptViews(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "*.sip"))
	torture, _ := filepath.Glob(filepath.Join(tortureDir, "*", "*.dat"))
	var msgs [][]byte
	for _, p := range append(paths, torture...) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, b)
	}
	for _, s := range []string{
		"INVITE sip:a@b SIP/2.0\nFrom: ,\nFrom: <sip:x@y>;tag=1\nTo: a@b;tag=2, <sip:c@d>\nContact: <sip:p@q>;expires=5, *\nm: sip:r@s\nVia: SIP/2.0/UDP h;branch=z9hG4bK1, SIP/2.0/TCP k\nv: SIP/2.0/UDP j;rport\n\n",
		"SIP/2.0 200 OK\nf: \"A, B\" <sip:x@y>;tag=1\nt:\nTo: <sip:x@y>;tag=9\nContact: \"unclosed <sip:z@w>\n\n",
		"OPTIONS sip:a@b SIP/2.0\n" + strings.Repeat("X-H: 1\n", 254) + "Call-ID: past254\nVia: SIP/2.0/UDP h\n\n",
	} {
		msgs = append(msgs, crlf(s))
	}
	for i, b := range msgs {
		t.Run(strconv.Itoa(i), func(t *testing.T) { checkKeptViews(t, Parse(b)) })
	}
}

// checkKeptViews compares the views m kept from Parse with what the lazy
// views parse from its headers: Vias, Contacts, From, To, and Header for
// every known name.
func checkKeptViews(t *testing.T, m *Message) {
	t.Helper()
	lazy := *m
	lazy.viewsDone, lazy.vias, lazy.contacts, lazy.params = false, nil, nil, nil
	nilEmpty := func(v any) any {
		if reflect.ValueOf(v).Len() == 0 {
			return nil
		}
		return v
	}
	if got, want := m.Vias(), lazy.Vias(); !reflect.DeepEqual(nilEmpty(got), nilEmpty(want)) {
		t.Errorf("Vias\n got %+v\nwant %+v", got, want)
	}
	if got, want := m.Contacts(), lazy.Contacts(); !reflect.DeepEqual(nilEmpty(got), nilEmpty(want)) {
		t.Errorf("Contacts\n got %+v\nwant %+v", got, want)
	}
	// Header finds the first of a known name from the kept index.
	for _, k := range knownHeaders {
		got, gok := m.Header(k.full)
		var want Header
		all := lazy.HeaderAll(k.full)
		if len(all) > 0 {
			want = all[0]
		}
		if gok != (len(all) > 0) || got != want {
			t.Errorf("Header(%q) = %+v %v, want %+v", k.full, got, gok, want)
		}
	}
	for _, f := range []string{"From", "To"} {
		got, gok := m.addr1(f)
		want, wok := lazy.addr1(f)
		if gok != wok || !reflect.DeepEqual(got, want) {
			t.Errorf("%s\n got %+v %v\nwant %+v %v", f, got, gok, want, wok)
		}
	}
}

// TestHeaderIDs: the indices the views use name the headers they mean.
func TestHeaderIDs(t *testing.T) {
	for id, want := range map[uint8]string{idCallID: "Call-ID", idCSeq: "CSeq"} {
		if got := knownHeaders[id].full; got != want {
			t.Errorf("knownHeaders[%d] is %s, want %s", id, got, want)
		}
	}
}
