package fielddiff

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sipalg/sipalg/analyze/sipmsg"
)

// crlf turns a readable message ("\n" line ends) into wire form.
func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

const baseInvite = `INVITE sip:bob@198.51.100.7 SIP/2.0
Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bKx;rport
Max-Forwards: 70
From: "Alice" <sip:alice@192.168.1.10:5060>;tag=1928
To: <sip:bob@198.51.100.7>
Call-ID: a84b4c76e66710@192.168.1.10
CSeq: 1 INVITE
Contact: <sip:alice@192.168.1.10:5060;transport=udp>
Content-Type: application/sdp
Content-Length: 130

v=0
o=alice 1 1 IN IP4 192.168.1.10
s=-
c=IN IP4 192.168.1.10
t=0 0
m=audio 4000 RTP/AVP 0
a=rtcp:4001 IN IP4 192.168.1.10
`

var (
	fromTwice = strings.Replace(baseInvite, "To: <sip:bob", "From: <sip:x@192.168.1.10>;tag=2\nTo: <sip:bob", 1)
	toList    = strings.Replace(baseInvite, "To: <sip:bob@198.51.100.7>", "To: <sip:bob@198.51.100.7>, <sip:carol@192.168.1.10>;tag=5", 1)
)

// describe renders a change as "kind field before -> after [code]".
func describe(c Change) string {
	s := fmt.Sprintf("%s %s %s -> %s", c.Kind, c.Field, strp(c.Before), strp(c.After))
	if c.Code != "" {
		s += " [" + c.Code + "]"
	}
	return s
}

func TestDiff(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		// want lists every change (order-insensitive); syntax changes that
		// come from diagnostics are listed too.
		want []string
	}{
		{
			name: "lost semicolon",
			a:    baseInvite,
			b:    strings.Replace(baseInvite, "z9hG4bKx;rport", "z9hG4bKxrport", 1),
			want: []string{
				`changed Via[0].branch "z9hG4bKx" -> "z9hG4bKxrport"`,
				`removed Via[0].rport "" -> <nil>`,
				`syntax Via[0] "SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bKx;rport" -> "SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bKxrport" [param-separator-missing]`,
			},
		},
		{
			name: "port 70000 in Contact",
			a:    baseInvite,
			b:    strings.Replace(baseInvite, "192.168.1.10:5060;transport", "203.0.113.1:70000;transport", 1),
			want: []string{
				`changed Contact[0].uri.host "192.168.1.10" -> "203.0.113.1"`,
				`changed Contact[0].uri.port "5060" -> "70000"`,
				`syntax Contact[0] "<sip:alice@192.168.1.10:5060;transport=udp>" -> "<sip:alice@203.0.113.1:70000;transport=udp>" [port-out-of-range]`,
			},
		},
		{
			name: "second Via added",
			a:    baseInvite,
			b:    strings.Replace(baseInvite, "Max-Forwards", "Via: SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bKalg\nMax-Forwards", 1),
			want: []string{
				`added Via[1] <nil> -> "SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bKalg"`,
			},
		},
		{
			name: "Max-Forwards decremented",
			a:    baseInvite,
			b:    strings.Replace(baseInvite, "Max-Forwards: 70", "Max-Forwards: 69", 1),
			want: []string{`changed Max-Forwards "70" -> "69"`},
		},
		{
			name: "header reordered",
			a:    baseInvite,
			b: strings.Replace(baseInvite, "Call-ID: a84b4c76e66710@192.168.1.10\nCSeq: 1 INVITE",
				"CSeq: 1 INVITE\nCall-ID: a84b4c76e66710@192.168.1.10", 1),
			want: []string{
				`reordered header-order "Via, Max-Forwards, From, To, Call-ID, CSeq, Contact, Content-Type, Content-Length" -> "Via, Max-Forwards, From, To, CSeq, Call-ID, Contact, Content-Type, Content-Length"`,
			},
		},
		{
			name: "compact form",
			a:    baseInvite,
			b:    strings.Replace(baseInvite, "Call-ID:", "i:", 1),
			want: []string{`syntax Call-ID "Call-ID" -> "i"`},
		},
		{
			name: "stale Content-Length",
			a:    baseInvite,
			b:    strings.ReplaceAll(baseInvite, "IN IP4 192.168.1.10", "IN IP4 203.0.113.100"),
			want: []string{
				`changed sdp.o "alice 1 1 IN IP4 192.168.1.10" -> "alice 1 1 IN IP4 203.0.113.100"`,
				`changed sdp.c "IN IP4 192.168.1.10" -> "IN IP4 203.0.113.100"`,
				// The body grew by 3 bytes and Content-Length did not: the
				// last 3 bytes fall beyond it.
				`changed sdp.m[0].a[rtcp] "rtcp:4001 IN IP4 192.168.1.10" -> "rtcp:4001 IN IP4 203.0.113.10"`,
				`added extra <nil> -> "0\r\n"`,
				`syntax extra <nil> -> "0\r\n" [sdp-bad-line-ending]`,
				`syntax Content-Length "130" -> "130" [content-length-short]`,
			},
		},
		{
			name: "media port and rtcp",
			a:    baseInvite,
			b:    strings.Replace(strings.Replace(baseInvite, "audio 4000", "audio 4002", 1), "rtcp:4001", "rtcp:4003", 1),
			want: []string{
				`changed sdp.m[0].port "4000" -> "4002"`,
				`changed sdp.m[0].a[rtcp] "rtcp:4001 IN IP4 192.168.1.10" -> "rtcp:4003 IN IP4 192.168.1.10"`,
			},
		},
		{
			name: "tag, display and Call-ID blind replace",
			a:    strings.Replace(baseInvite, "tag=1928", "tag=192.168.1.10-1", 1),
			b:    strings.Replace(strings.Replace(strings.Replace(baseInvite, "tag=1928", "tag=203.0.113.1-1", 1), `"Alice"`, `"Bob"`, 1), "@192.168.1.10\nCSeq", "@203.0.113.1\nCSeq", 1),
			want: []string{
				`changed From.display "\"Alice\"" -> "\"Bob\""`,
				`changed From.tag "192.168.1.10-1" -> "203.0.113.1-1"`,
				`changed Call-ID "a84b4c76e66710@192.168.1.10" -> "a84b4c76e66710@203.0.113.1"`,
			},
		},
		{
			name: "Request-URI",
			a:    baseInvite,
			b:    strings.Replace(baseInvite, "INVITE sip:bob@198.51.100.7 ", "INVITE sip:bob@198.51.100.8 ", 1),
			want: []string{`changed Request-URI "sip:bob@198.51.100.7" -> "sip:bob@198.51.100.8"`},
		},
		{
			name: "whitespace only",
			a:    baseInvite,
			b:    strings.Replace(baseInvite, "CSeq: 1 INVITE", "CSeq: 1  INVITE", 1),
			want: []string{`changed CSeq "1 INVITE" -> "1  INVITE"`},
		},
		{
			name: "param order",
			a:    baseInvite,
			b:    strings.Replace(baseInvite, ";branch=z9hG4bKx;rport", ";rport;branch=z9hG4bKx", 1),
			want: []string{`syntax Via[0] "SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bKx;rport" -> "SIP/2.0/UDP 192.168.1.10:5060;rport;branch=z9hG4bKx"`},
		},
		// From and To are split as lists, like Contact, whatever the
		// message's own From and To views hold (the first address of
		// the first header).
		{
			name: "From display name with a comma",
			a:    strings.Replace(baseInvite, `"Alice"`, `"Alice, A"`, 1),
			b:    strings.Replace(strings.Replace(baseInvite, `"Alice"`, `"Alice, A"`, 1), "alice@192.168.1.10:5060>;tag", "alice@203.0.113.1:5060>;tag", 1),
			want: []string{`changed From.uri.host "192.168.1.10" -> "203.0.113.1"`},
		},
		{
			name: "second From header",
			a:    fromTwice,
			b:    strings.Replace(fromTwice, "x@192.168.1.10", "x@203.0.113.1", 1),
			want: []string{`changed From[1].uri.host "192.168.1.10" -> "203.0.113.1"`},
		},
		{
			name: "first of two From headers",
			a:    fromTwice,
			b:    strings.Replace(fromTwice, "alice@192.168.1.10:5060>;tag", "alice@203.0.113.1:5060>;tag", 1),
			want: []string{`changed From[0].uri.host "192.168.1.10" -> "203.0.113.1"`},
		},
		{
			name: "second address of a To list",
			a:    toList,
			b:    strings.Replace(toList, "carol@192.168.1.10", "carol@203.0.113.1", 1),
			want: []string{`changed To[1].uri.host "192.168.1.10" -> "203.0.113.1"`},
		},
		{
			name: "first address of a To list",
			a:    toList,
			b:    strings.Replace(toList, "bob@198.51.100.7>,", "bob@203.0.113.9>,", 1),
			want: []string{`changed To[0].uri.host "198.51.100.7" -> "203.0.113.9"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := sipmsg.Parse(crlf(tt.a)), sipmsg.Parse(crlf(tt.b))
			var got []string
			for _, c := range Diff(a, b) {
				got = append(got, describe(c))
				checkSpans(t, a, b, c)
			}
			want := slices.Clone(tt.want)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}
}

// TestDiffReplacesEscaped: Refer-To's ?Replaces= is compared %-decoded, so
// re-escaping alone is no change, and a change is reported with raw values.
func TestDiffReplacesEscaped(t *testing.T) {
	const refer = "REFER sip:bob@198.51.100.7 SIP/2.0\nVia: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bKr\nFrom: <sip:alice@example.com>;tag=1\nTo: <sip:bob@example.com>;tag=2\nCall-ID: c1\nCSeq: 2 REFER\nRefer-To: <sip:carol@example.com?Replaces=abc%40192.168.1.10%3Bto-tag%3D7%3Bfrom-tag%3D8>\nContent-Length: 0\n\n"
	a := sipmsg.Parse(crlf(refer))
	same := sipmsg.Parse(crlf(strings.Replace(refer, "abc%40", "abc@", 1)))
	for _, c := range Diff(a, same) {
		if c.Field == "Refer-To.uri.Replaces" {
			t.Errorf("re-escaping reported as %s", describe(c))
		}
	}
	b := sipmsg.Parse(crlf(strings.Replace(refer, "%40192.168.1.10", "%40203.0.113.1", 1)))
	got := Diff(a, b)
	want := `changed Refer-To.uri.Replaces "abc%40192.168.1.10%3Bto-tag%3D7%3Bfrom-tag%3D8" -> "abc%40203.0.113.1%3Bto-tag%3D7%3Bfrom-tag%3D8"`
	if len(got) != 1 || describe(got[0]) != want {
		t.Errorf("got %v, want [%s]", got, want)
	}
}

// TestDiffMultipart: the SDP part of a multipart body is compared line by
// line; the bytes around it as "body".
func TestDiffMultipart(t *testing.T) {
	const mp = "INVITE sip:bob@198.51.100.7 SIP/2.0\nVia: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bKm\nFrom: <sip:alice@example.com>;tag=1\nTo: <sip:bob@example.com>\nCall-ID: m1\nCSeq: 1 INVITE\nContent-Type: multipart/mixed;boundary=XX\nContent-Length: %d\n\n%s"
	body := "--XX\nContent-Type: application/sdp\n\nv=0\no=- 1 1 IN IP4 192.168.1.10\ns=-\nc=IN IP4 192.168.1.10\nt=0 0\nm=audio 4000 RTP/AVP 0\n\n--XX\nContent-Type: text/plain\n\nhello 192.168.1.10\n--XX--\n"
	body2 := strings.ReplaceAll(body, "192.168.1.10", "203.0.113.10")
	a := sipmsg.Parse(crlf(fmt.Sprintf(mp, len(crlf(body)), body)))
	b := sipmsg.Parse(crlf(fmt.Sprintf(mp, len(crlf(body2)), body2)))
	var got []string
	for _, c := range Diff(a, b) {
		got = append(got, c.Kind.String()+" "+c.Field)
		checkSpans(t, a, b, c)
	}
	want := []string{"changed sdp.o", "changed sdp.c", "changed body[1]"} // body[0] is the part before the SDP
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// checkSpans: every span lies inside its message and holds the value.
func checkSpans(t *testing.T, a, b *sipmsg.Message, c Change) {
	t.Helper()
	for _, s := range []struct {
		m  *sipmsg.Message
		sp sipmsg.Span
		v  []byte
	}{{a, c.SpanA, c.Before}, {b, c.SpanB, c.After}} {
		if s.sp.Off < 0 || s.sp.End > len(s.m.Raw) || s.sp.Off > s.sp.End {
			t.Fatalf("%s: span %v out of range (len %d)", c.Field, s.sp, len(s.m.Raw))
		}
		if s.v != nil && c.Kind != Reordered && s.sp.Len() > 0 && string(s.m.Raw[s.sp.Off:s.sp.End]) != string(s.v) {
			t.Errorf("%s: span %v holds %q, value %q", c.Field, s.sp, s.m.Raw[s.sp.Off:s.sp.End], s.v)
		}
	}
}

func FuzzDiff(f *testing.F) {
	f.Add(crlf(baseInvite), crlf(strings.Replace(baseInvite, "z9hG4bKx;rport", "z9hG4bKxrport", 1)))
	f.Add(crlf(baseInvite), crlf(strings.ReplaceAll(baseInvite, "192.168.1.10", "203.0.113.1")))
	f.Add([]byte("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z\r\nv: SIP/2.0/UDP x, SIP/2.0/UDP y\r\nm: <sip:a@b:70000>;x\r\nl: 0\r\n\r\n"), []byte("junk"))
	f.Fuzz(func(t *testing.T, x, y []byte) {
		a, b := sipmsg.Parse(x), sipmsg.Parse(y)
		if cs := diff(a, a); len(cs) != 0 {
			t.Fatalf("diff(m, m) = %v", cs)
		}
		if cs := Diff(a, sipmsg.Parse(append([]byte(nil), x...))); len(cs) != 0 {
			t.Fatalf("Diff(m, copy of m) = %v", cs)
		}
		for _, c := range Diff(a, b) {
			checkSpans(t, a, b, c)
		}
	})
}

// TestIndexedPaths: the prebuilt paths of the always-indexed bases are
// what finish would build.
func TestIndexedPaths(t *testing.T) {
	for i, base := range alwaysIndexedBases {
		if got := indexedBase(base); got != i {
			t.Errorf("indexedBase(%q) = %d, want %d", base, got, i)
		}
		for k, p := range indexedPaths[i] {
			if want := fmt.Sprintf("%s[%d]", base, k); p != want {
				t.Errorf("indexedPaths[%d][%d] = %q, want %q", i, k, p, want)
			}
		}
	}
	if indexedBase("From") >= 0 || indexedBase("sdp.a[rtpmap]") >= 0 {
		t.Error("indexedBase knows a base that is not always indexed")
	}
}

// TestDiffManyBases: past maxScannedBases distinct header names the
// counts are indexed by a map; a repeated name still gets its indexes.
func TestDiffManyBases(t *testing.T) {
	var h strings.Builder
	for i := range 2 * maxScannedBases {
		fmt.Fprintf(&h, "X-H%d: v\n", i)
	}
	h.WriteString("X-H3: a\nX-H50: a\n")
	a := strings.Replace(baseInvite, "Content-Type:", h.String()+"Content-Type:", 1)
	b := strings.Replace(strings.Replace(a, "X-H3: a\n", "X-H3: b\n", 1), "X-H50: a\n", "X-H50: b\n", 1)
	var got []string
	for _, c := range Diff(sipmsg.Parse(crlf(a)), sipmsg.Parse(crlf(b))) {
		got = append(got, describe(c))
	}
	want := []string{`changed X-H3[1] "a" -> "b"`, `changed X-H50[1] "a" -> "b"`}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
