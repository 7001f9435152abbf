package sdp

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sipalg/sipalg/analyze/sipmsg"
)

func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

// parseAll parses b as one SDP body.
func parseAll(b []byte) *Session { return Parse(b, Span{Off: 0, End: len(b)}) }

// checkInvariants: lines cover the body exactly, every span lies inside it.
func checkInvariants(t testing.TB, s *Session) {
	t.Helper()
	in := func(what string, sp Span) {
		t.Helper()
		if sp.IsZero() {
			return
		}
		if sp.Off < s.Off || sp.End > s.End || sp.Off > sp.End {
			t.Fatalf("%s span %v outside body %v", what, sp, s.Span)
		}
	}
	var rebuilt []byte
	pos := s.Off
	for _, ln := range s.Lines {
		if ln.Off != pos {
			t.Fatalf("line %v starts at %d, want %d", ln.Span, ln.Off, pos)
		}
		in("line", ln.Span)
		in("text", ln.Text)
		in("value", ln.Value)
		rebuilt = append(rebuilt, s.Raw[ln.Off:ln.End]...)
		pos = ln.End
	}
	if !bytes.Equal(rebuilt, s.Raw[s.Off:s.End]) {
		t.Fatalf("lines rebuild %d bytes, want %d", len(rebuilt), s.Len())
	}
	o := s.Origin
	for _, sp := range []Span{s.Version, s.Name, o.Span, o.Username, o.SessID, o.SessVersion, o.NetType, o.AddrType, o.Addr, s.Conn.Span, s.Conn.Addr, s.Conn.TTL, s.Conn.Num} {
		in("session field", sp)
	}
	for _, m := range s.Media {
		for _, sp := range []Span{m.Span, m.MediaType, m.Port, m.NumPorts, m.Proto, m.Fmts} {
			in("media field", sp)
		}
		for _, c := range m.Conns {
			in("media c=", c.Addr)
		}
		for _, a := range m.Attrs {
			in("attr", a.Name)
			in("attr", a.Value)
		}
	}
	for _, d := range s.Diags {
		if d.Off < 0 || d.Off > len(s.Raw) {
			t.Fatalf("diag %v outside buffer", d)
		}
	}
}

const offer = `v=0
o=alice 2890844526 2890844527 IN IP4 10.0.0.2
s=-
c=IN IP4 10.0.0.2
b=AS:256
t=0 0
a=group:BUNDLE 0 1
m=audio 49170 RTP/AVP 0 8 101
c=IN IP4 10.0.0.3
a=rtpmap:0 PCMU/8000
a=rtcp:49171 IN IP4 10.0.0.3
a=sendrecv
a=candidate:1 1 UDP 2130706431 10.0.0.3 49170 typ host
a=candidate:2 1 UDP 1694498815 203.0.113.5 61000 typ srflx raddr 10.0.0.3 rport 49170
m=video 51372/2 RTP/AVP 99
c=IN IP6 2001:db8::5
a=rtcp-mux
a=rtpmap:99 h263-1998/90000
m=application 0 UDP/DTLS/SCTP webrtc-datachannel
`

func TestParseSeveralMedia(t *testing.T) {
	b := crlf(offer)
	s := parseAll(b)
	checkInvariants(t, s)
	if len(s.Diags) != 0 {
		t.Fatalf("diags %v", s.Diags)
	}
	str := func(sp Span) string { return string(s.Bytes(sp)) }
	if str(s.Origin.Addr) != "10.0.0.2" || str(s.Origin.SessVersion) != "2890844527" {
		t.Errorf("origin %q %q", str(s.Origin.Addr), str(s.Origin.SessVersion))
	}
	if !s.HasConn || str(s.Conn.Addr) != "10.0.0.2" {
		t.Errorf("session c= %q", str(s.Conn.Addr))
	}
	if len(s.Media) != 3 {
		t.Fatalf("%d media, want 3", len(s.Media))
	}
	a := s.Media[0]
	if str(a.MediaType) != "audio" || a.PortNum != 49170 || str(a.Proto) != "RTP/AVP" || str(a.Fmts) != "0 8 101" {
		t.Errorf("audio m= %q %d %q %q", str(a.MediaType), a.PortNum, str(a.Proto), str(a.Fmts))
	}
	if len(a.Conns) != 1 || str(a.Conns[0].Addr) != "10.0.0.3" {
		t.Errorf("media-level c= %+v", a.Conns)
	}
	rtcpAttr, ok := a.Attr(b, "rtcp")
	if !ok {
		t.Fatal("no a=rtcp")
	}
	r, ok := ParseRTCP(b, rtcpAttr)
	if !ok || r.PortNum != 49171 || str(r.Addr) != "10.0.0.3" {
		t.Errorf("rtcp %+v", r)
	}
	if _, ok := a.Attr(b, "sendrecv"); !ok {
		t.Error("no a=sendrecv")
	}
	var cands []Candidate
	for _, at := range a.Attrs {
		if str(at.Name) == "candidate" {
			c, ok := ParseCandidate(b, at)
			if !ok {
				t.Fatalf("candidate %q", str(at.Value))
			}
			cands = append(cands, c)
		}
	}
	if len(cands) != 2 || str(cands[1].Addr) != "203.0.113.5" || cands[1].PortNum != 61000 || str(cands[1].RelAddr) != "10.0.0.3" || str(cands[1].RelPort) != "49170" {
		t.Errorf("candidates %+v", cands)
	}
	v := s.Media[1]
	if v.PortNum != 51372 || str(v.NumPorts) != "2" || str(v.Conns[0].Addr) != "2001:db8::5" {
		t.Errorf("video %d %q %q", v.PortNum, str(v.NumPorts), str(v.Conns[0].Addr))
	}
	if _, ok := v.Attr(b, "rtcp-mux"); !ok {
		t.Error("no a=rtcp-mux")
	}
	if s.Media[2].PortNum != 0 {
		t.Errorf("application port %d", s.Media[2].PortNum)
	}
	if got := str(s.Media[0].Span); !strings.HasPrefix(got, "m=audio") || !strings.HasSuffix(got, "rport 49170\r\n") {
		t.Errorf("media[0] span %q", got)
	}
}

func TestDefects(t *testing.T) {
	tests := []struct{ name, sdp, want string }{
		{"order", "v=0\no=- 1 1 IN IP4 1.2.3.4\nt=0 0\ns=-\nc=IN IP4 1.2.3.4\nm=audio 1 RTP/AVP 0\n", "sdp-order"},
		{"bad line", "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4\nt=0 0\nm =audio 1 RTP/AVP 0\n", "sdp-bad-line"},
		{"bad c address", "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.400\nt=0 0\nm=audio 1 RTP/AVP 0\n", "sdp-bad-address"},
		{"glued address", "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 203.0.113.5 \nt=0 0\nm=audio 1 RTP/AVP 0\n", "sdp-bad-line"},
		{"ip6 in IP4", "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 2001:db8::1\nt=0 0\nm=audio 1 RTP/AVP 0\n", "sdp-bad-address"},
		{"port 70000", "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4\nt=0 0\nm=audio 70000 RTP/AVP 0\n", "sdp-bad-port"},
		{"port text", "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4\nt=0 0\nm=audio 4x RTP/AVP 0\n", "sdp-bad-port"},
		{"rtcp port", "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4\nt=0 0\nm=audio 1 RTP/AVP 0\na=rtcp:65536\n", "sdp-bad-port"},
		{"candidate port", "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4\nt=0 0\nm=audio 1 RTP/AVP 0\na=candidate:1 1 UDP 1 1.2.3.4 99999 typ host\n", "sdp-bad-port"},
		{"missing t", "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4\nm=audio 1 RTP/AVP 0\n", "sdp-missing-line"},
		{"no c", "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nt=0 0\nm=audio 1 RTP/AVP 0\n", "sdp-missing-line"},
		{"dup v", "v=0\nv=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4\nt=0 0\n", "sdp-duplicate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := parseAll(crlf(tt.sdp))
			checkInvariants(t, s)
			for _, d := range s.Diags {
				if d.Code == tt.want {
					return
				}
			}
			t.Errorf("want %s, got %v", tt.want, s.Diags)
		})
	}
}

func TestBareLF(t *testing.T) {
	s := parseAll([]byte("v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4\nt=0 0\n"))
	checkInvariants(t, s)
	if s.HasErrors() {
		t.Errorf("bare LF must be a warning only (RFC 8866 §5): %v", s.Diags)
	}
	if len(s.Diags) == 0 || s.Diags[0].Code != "sdp-bad-line-ending" {
		t.Errorf("diags %v", s.Diags)
	}
}

// TestInsideSIP: offsets are message offsets, via sipmsg.SDPBody.
func TestInsideSIP(t *testing.T) {
	for _, file := range []string{"invite.sip", "multipart-sdp.sip"} {
		b, err := os.ReadFile(filepath.Join("..", "sipmsg", "testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		m := sipmsg.Parse(b)
		body, ok := m.SDPBody()
		if !ok {
			t.Fatalf("%s: no SDP body", file)
		}
		s := Parse(b, body)
		checkInvariants(t, s)
		if s.HasErrors() {
			t.Errorf("%s: %v", file, s.Diags)
		}
		if len(s.Media) != 1 || !bytes.Equal(b[s.Media[0].Port.Off:s.Media[0].Port.End], []byte("49170")) {
			t.Errorf("%s: media %+v", file, s.Media)
		}
	}
}

// FuzzParseSDP: no panic, spans within the body, lines rebuild it.
func FuzzParseSDP(f *testing.F) {
	f.Add(crlf(offer))
	f.Add([]byte("v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4/127/3\nt=0 0\nm=audio 1/2 RTP/AVP 0\na=rtcp:9 IN IP6 ::1\r"))
	seeds, _ := filepath.Glob("../../../shared/corpus/sip-torture/*/*.dat")
	own, _ := filepath.Glob("../sipmsg/testdata/*.sip")
	for _, p := range append(seeds, own...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
			f.Add(b[i+4:])
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkInvariants(t, parseAll(b))
		// A body in the middle of a larger buffer.
		buf := append(append([]byte("HEAD"), b...), "TAIL"...)
		checkInvariants(t, Parse(buf, Span{Off: 4, End: 4 + len(b)}))
	})
}

// TestIsIPv4AsNetip: isIPv4 reads a dotted quad exactly as netip does.
func TestIsIPv4AsNetip(t *testing.T) {
	cases := []string{"1.2.3.4", "0.0.0.0", "255.255.255.255", "256.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4.5",
		"1..2.3", ".1.2.3", "1.2.3.", "", "1234.1.1.1", "0.00.0.0", "10.0.0.1", "192.168.001.1", "1.2.3.04"}
	for a := 0; a < 300; a += 7 {
		cases = append(cases, fmt.Sprintf("%d.%d.0.%d", a, 300-a, a%10))
	}
	for _, c := range cases {
		ip, err := netip.ParseAddr(c)
		want := err == nil && ip.Is4()
		if got := isIPv4([]byte(c)); got != want {
			t.Errorf("isIPv4(%q) = %v, netip says %v", c, got, want)
		}
	}
}

// TestParseIntoReuse: parsing one body after another into one Session
// gives what a fresh Parse gives, whatever came before.
func TestParseIntoReuse(t *testing.T) {
	bodies := [][]byte{crlf(offer), []byte("v=0\r\n"), crlf(offer + "a=x\n"), []byte("garbage\nno crlf")}
	for _, tt := range []string{"v=0\nv=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.400\nt=0 0\nm=audio 70000 RTP/AVP 0\n", ""} {
		bodies = append(bodies, crlf(tt))
	}
	var s Session
	for round := range 2 {
		for i, b := range bodies {
			ParseInto(&s, b, Span{Off: 0, End: len(b)})
			want := parseAll(b)
			got := s
			// Compare contents: the reused lists keep their capacity.
			norm := func(x *Session) {
				if len(x.Lines) == 0 {
					x.Lines = nil
				}
				if len(x.Times) == 0 {
					x.Times = nil
				}
				if len(x.Bandwidths) == 0 {
					x.Bandwidths = nil
				}
				if len(x.Attrs) == 0 {
					x.Attrs = nil
				}
				if len(x.Media) == 0 {
					x.Media = nil
				}
				if len(x.Diags) == 0 {
					x.Diags = nil
				}
				x.attrBuf, x.connBuf, x.bwBuf = nil, nil, nil
			}
			norm(&got)
			norm(want)
			if !reflect.DeepEqual(&got, want) {
				t.Fatalf("round %d, body %d:\n got %+v\nwant %+v", round, i, got, *want)
			}
		}
	}
}
