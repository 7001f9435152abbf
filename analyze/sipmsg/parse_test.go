package sipmsg

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// crlf turns the readable "\n" of test literals into CRLF.
func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

// TestTestdata runs the package's own messages: ALG-style damage, each with
// the codes it must (and, for clean ones, must not) produce.
func TestTestdata(t *testing.T) {
	tests := []struct {
		file string
		want []string // required codes; nil means "no error-level diagnostic"
	}{
		{"invite.sip", nil},
		{"ok200.sip", nil},
		{"refer-to-replaces.sip", nil},
		{"multipart-sdp.sip", nil},
		{"alg-tag-rewritten.sip", nil}, // blind replace is well-formed: the diff stage finds it
		{"alg-lost-semicolon.sip", []string{"param-separator-missing"}},
		{"alg-received-glued.sip", []string{"param-separator-missing"}},
		{"alg-branch-glued.sip", []string{"param-separator-missing"}},
		{"alg-port-70000.sip", []string{"port-out-of-range"}},
		{"alg-cl-stale-long.sip", []string{"content-length-long"}},
		{"alg-cl-stale-short.sip", []string{"content-length-short"}},
		{"bare-lf.sip", []string{"bad-line-ending"}},
		{"not-sip-http.sip", []string{"not-sip"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			m := Parse(b)
			checkInvariants(t, m)
			if tt.want == nil {
				if m.HasErrors() {
					t.Errorf("unexpected errors: %v", m.Diags)
				}
				return
			}
			for _, code := range tt.want {
				if !m.HasDiag(code) {
					t.Errorf("want %q, got %v", code, m.Diags)
				}
			}
		})
	}
}

func TestNotSIP(t *testing.T) {
	for _, in := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\n\r\n",
		"GET http://example.com/ HTTP/1.1\r\n\r\n",
		"OPTIONS rtsp://example.com/media.mp4 RTSP/1.0\r\nCSeq: 1\r\n\r\n",
		"\x00\x01\x00\x08\x21\x12\xa4\x42abcdefghijkl", // STUN binding request
		"\r\n\r\n", // keep-alive
		"",
	} {
		if IsSIP([]byte(in)) {
			t.Errorf("IsSIP(%q) = true", in)
		}
		m := Parse([]byte(in))
		if !m.NotSIP {
			t.Errorf("Parse(%q).NotSIP = false", in)
		}
		checkInvariants(t, m)
	}
	for _, in := range []string{
		"INVITE sip:a@b SIP/2.0\r\n",
		"SIP/2.0 200 OK\r\n",
		"INVITE sip:alan@jasomi.com\r\n", // broken SIP: no version
		"INVITE <sip:a@b> SIP/2.0\r\n",
		"\r\n\r\nOPTIONS sip:a@b SIP/2.0\r\n",
	} {
		if !IsSIP([]byte(in)) {
			t.Errorf("IsSIP(%q) = false", in)
		}
	}
}

func TestStartLine(t *testing.T) {
	m := Parse(crlf("SIP/2.0 486 Busy Here\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nFrom: <sip:a@b>;tag=1\nTo: <sip:c@d>;tag=2\nCall-ID: x\nCSeq: 1 INVITE\nContent-Length: 0\n\n"))
	if m.IsRequest || m.StatusCode != 486 || string(m.Bytes(m.Reason)) != "Busy Here" {
		t.Errorf("got request=%v code=%d reason=%q", m.IsRequest, m.StatusCode, m.Bytes(m.Reason))
	}
	if m.HasErrors() {
		t.Errorf("diags %v", m.Diags)
	}
	m = Parse(crlf("INVITE sip:bob@example.com;transport=tcp SIP/2.0\n\n"))
	if got := string(m.Bytes(m.Method)); got != "INVITE" {
		t.Errorf("method %q", got)
	}
	if got := string(m.Bytes(m.RequestURI)); got != "sip:bob@example.com;transport=tcp" {
		t.Errorf("Request-URI %q", got)
	}
	if !m.HasDiag("missing-header") {
		t.Errorf("want missing-header, got %v", m.Diags)
	}
}

func TestCompactFormsAndLookup(t *testing.T) {
	in := crlf("INVITE sip:b@example.com SIP/2.0\nv: SIP/2.0/UDP h;branch=z9hG4bK1\nf: <sip:a@example.com>;tag=1\nt: sip:b@example.com\ni: abc@h\nCSeq: 1 INVITE\nm: <sip:a@h>\nl: 0\nk: timer\ns: hi\no: refer\nr: <sip:c@example.com>\nb: <sip:a@example.com>\nu: presence\nx: 1800\nc: text/plain\ne: gzip\nMax-Forwards: 70\n\n")
	m := Parse(in)
	checkInvariants(t, m)
	if m.HasErrors() {
		t.Fatalf("diags %v", m.Diags)
	}
	want := map[string]string{"v": "Via", "f": "From", "t": "To", "i": "Call-ID", "m": "Contact", "l": "Content-Length",
		"k": "Supported", "s": "Subject", "o": "Event", "r": "Refer-To", "b": "Referred-By", "u": "Allow-Events",
		"x": "Session-Expires", "c": "Content-Type", "e": "Content-Encoding"}
	for _, h := range m.Headers {
		name := string(m.Bytes(h.Name))
		if w, ok := want[name]; ok {
			if h.Full() != w || !h.Compact {
				t.Errorf("%s: Full=%q Compact=%v, want %q true", name, h.Full(), h.Compact, w)
			}
		}
	}
	for _, name := range []string{"call-id", "CALL-ID", "i", "I", "Call-ID"} {
		if got := string(m.HeaderValue(name)); got != "abc@h" {
			t.Errorf("HeaderValue(%q) = %q", name, got)
		}
	}
	if id, ok := m.CallID(); !ok || string(m.Bytes(id)) != "abc@h" {
		t.Errorf("CallID %q", m.Bytes(id))
	}
	if n, ok := m.ContentLength(); !ok || n != 0 {
		t.Errorf("ContentLength = %d, %v", n, ok)
	}
}

func TestFolding(t *testing.T) {
	in := crlf("OPTIONS sip:b@example.com SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nSubject: first\n  second\n\tthird\nFrom: <sip:a@example.com>;tag=1\nTo: <sip:b@example.com>\nCall-ID: x\nCSeq: 1 OPTIONS\nMax-Forwards: 70\n\n")
	m := Parse(in)
	checkInvariants(t, m)
	h, ok := m.Header("subject")
	if !ok || !h.Folded {
		t.Fatalf("Subject %+v", h)
	}
	if got, want := string(m.Bytes(h.Value)), "first\r\n  second\r\n\tthird"; got != want {
		t.Errorf("folded value %q, want %q (raw kept, not unfolded)", got, want)
	}
	if got, want := string(m.Bytes(h.Line)), "Subject: first\r\n  second\r\n\tthird\r\n"; got != want {
		t.Errorf("line %q, want %q", got, want)
	}
}

func TestVia(t *testing.T) {
	in := crlf("SIP/2.0 200 OK\nVia: SIP / 2.0 / UDP 10.0.0.2:5060 ;branch=z9hG4bK77;rport=5061;received=203.0.113.5, SIP/2.0/TCP [2001:db8::1]:5070;branch=z9hG4bK78\nv: SIP/2.0/TLS proxy.example.com;branch=z9hG4bK79;rport\nFrom: <sip:a@b>;tag=1\nTo: <sip:c@d>;tag=2\nCall-ID: x\nCSeq: 1 INVITE\nContent-Length: 0\n\n")
	m := Parse(in)
	checkInvariants(t, m)
	if m.HasErrors() {
		t.Fatalf("diags %v", m.Diags)
	}
	vs := m.Vias()
	if len(vs) != 3 {
		t.Fatalf("%d vias, want 3", len(vs))
	}
	b := m.Raw
	s := func(sp Span) string { return string(m.Bytes(sp)) }
	v := vs[0]
	if s(v.ProtoName) != "SIP" || s(v.ProtoVersion) != "2.0" || s(v.Transport) != "UDP" || s(v.Host) != "10.0.0.2" || s(v.Port) != "5060" || v.PortNum != 5060 {
		t.Errorf("via[0] = %q %q %q %q %q %d", s(v.ProtoName), s(v.ProtoVersion), s(v.Transport), s(v.Host), s(v.Port), v.PortNum)
	}
	if p, ok := v.Branch(b); !ok || s(p.Value) != "z9hG4bK77" {
		t.Errorf("branch %q", s(p.Value))
	}
	if p, ok := v.RPort(b); !ok || s(p.Value) != "5061" {
		t.Errorf("rport %q", s(p.Value))
	}
	if p, ok := v.Received(b); !ok || s(p.Value) != "203.0.113.5" {
		t.Errorf("received %q", s(p.Value))
	}
	if got := s(v.Span); got != "SIP / 2.0 / UDP 10.0.0.2:5060 ;branch=z9hG4bK77;rport=5061;received=203.0.113.5" {
		t.Errorf("via[0] span %q", got)
	}
	if s(vs[1].Host) != "[2001:db8::1]" || vs[1].PortNum != 5070 || s(vs[1].Transport) != "TCP" {
		t.Errorf("via[1] host %q port %d", s(vs[1].Host), vs[1].PortNum)
	}
	if p, ok := vs[2].RPort(b); !ok || !p.Value.IsZero() {
		t.Errorf("via[2] rport %+v %v: want present without value", p, ok)
	}
	if vs[2].PortNum != -1 || !vs[2].Port.IsZero() {
		t.Errorf("via[2] port %d %v: want absent", vs[2].PortNum, vs[2].Port)
	}
}

// TestParamSeparator covers the shapes an ALG that drops a ';' produces.
func TestParamSeparator(t *testing.T) {
	tests := []struct {
		via  string
		want string
		sev  Severity
	}{
		{"SIP/2.0/UDP 1.2.3.4:5060;branch=z9hG4bK1;rportreceived=10.0.0.1", "param-separator-missing", Error},
		{"SIP/2.0/UDP 1.2.3.4:5060;branch=z9hG4bK1;received=10.0.0.1rport", "param-separator-missing", Error},
		{"SIP/2.0/UDP 1.2.3.4:5060;branch=z9hG4bK1;received=10.0.0.1rport=5060", "param-separator-missing", Error},
		{"SIP/2.0/UDP 1.2.3.4:5060;branch=z9hG4bK1rport", "param-separator-missing", Warning},
		{"SIP/2.0/UDP 1.2.3.4:5060branch=z9hG4bK1", "param-separator-missing", Error},
		{"SIP/2.0/UDP 1.2.3.4branch=z9hG4bK1", "param-separator-missing", Error},
		{"SIP/2.0/UDP 1.2.3.4:5060;branch=z9hG4bK1 rport", "param-separator-missing", Error},
		{"SIP/2.0/UDP 1.2.3.4:5060;branch=z9hG4bK1;rport=5060;received=10.0.0.1", "", 0},
		{"SIP/2.0/UDP 1.2.3.4:70000;branch=z9hG4bK1", "port-out-of-range", Error},
		{"SIP/2.0/UDP 1.2.3.4:50a0;branch=z9hG4bK1", "bad-port", Error},
		{"SIP/2.0/UDP 1.2.3.4:5060;branch=z9hG4bK1;rport=70000", "port-out-of-range", Error},
		{"SIP/2.0/UDP 1.2.3.444:5060;branch=z9hG4bK1", "bad-host", Error},
	}
	for _, tt := range tests {
		t.Run(tt.via, func(t *testing.T) {
			b := []byte(tt.via)
			var diags []Diag
			p := parser{b: b, diags: &diags}
			var vs []Via
			p.viaList(0, len(b), &vs)
			if tt.want == "" {
				if len(diags) != 0 {
					t.Errorf("diags %v", diags)
				}
				return
			}
			for _, d := range diags {
				if d.Code == tt.want && d.Sev == tt.sev {
					return
				}
			}
			t.Errorf("want %s/%v, got %v", tt.want, tt.sev, diags)
		})
	}
}

func TestURI(t *testing.T) {
	tests := []struct {
		in                                 string
		user, password, host, port, params string
		headers                            string
		portNum                            int
		wantDiag                           string
	}{
		{in: "sip:alice@atlanta.com", user: "alice", host: "atlanta.com", portNum: -1},
		{in: "sips:alice:secretword@atlanta.com:5061;transport=tcp", user: "alice", password: "secretword", host: "atlanta.com", port: "5061", params: "transport=tcp", portNum: 5061},
		{in: "sip:+1-212-555-1212:1234@gateway.com;user=phone", user: "+1-212-555-1212", password: "1234", host: "gateway.com", params: "user=phone", portNum: -1},
		{in: "sip:192.0.2.4", host: "192.0.2.4", portNum: -1},
		{in: "sip:[2001:db8::10]:5070", host: "[2001:db8::10]", port: "5070", portNum: 5070},
		{in: "sip:[2001:db8::10:5070]", host: "[2001:db8::10:5070]", portNum: -1},
		{in: "sip:user;par=u%40example.net@example.com", user: "user;par=u%40example.net", host: "example.com", portNum: -1},
		{in: "sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com", host: "atlanta.com", params: "method=REGISTER", headers: "to=alice%40atlanta.com", portNum: -1},
		{in: "sip:alice@10.0.0.2:70000", user: "alice", host: "10.0.0.2", port: "70000", portNum: -1, wantDiag: "port-out-of-range"},
		{in: "sip:alice@10.0.0.2:", user: "alice", host: "10.0.0.2", port: "", portNum: -1, wantDiag: "bad-port"},
		{in: "sip:2001:db8::10", host: "2001:db8::10", portNum: -1, wantDiag: "ipv6-unbracketed"},
		{in: "sip:alice@[2001:db8:::1]", user: "alice", host: "[2001:db8:::1]", portNum: -1, wantDiag: "bad-host"},
		{in: "sip:alice@10.0.0.2;lrtransport=udp", user: "alice", host: "10.0.0.2", params: "lrtransport=udp", portNum: -1, wantDiag: "param-separator-missing"},
		{in: "tel:+1-201-555-0123;phone-context=example.com", user: "+1-201-555-0123", params: "phone-context=example.com", portNum: -1},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			b := []byte(tt.in)
			u, diags := ParseURI(b, 0, len(b))
			s := func(sp Span) string {
				if sp.IsZero() {
					return ""
				}
				return string(b[sp.Off:sp.End])
			}
			if s(u.User) != tt.user || s(u.Password) != tt.password || s(u.Host) != tt.host || s(u.Port) != tt.port ||
				s(u.Params) != tt.params || s(u.Headers) != tt.headers || u.PortNum != tt.portNum {
				t.Errorf("got user=%q password=%q host=%q port=%q params=%q headers=%q portNum=%d",
					s(u.User), s(u.Password), s(u.Host), s(u.Port), s(u.Params), s(u.Headers), u.PortNum)
			}
			if u.Span != (Span{0, len(b)}) {
				t.Errorf("span %v, want the whole input", u.Span)
			}
			if tt.wantDiag == "" {
				if len(diags) != 0 {
					t.Errorf("diags %v", diags)
				}
				return
			}
			found := false
			for _, d := range diags {
				found = found || d.Code == tt.wantDiag
			}
			if !found {
				t.Errorf("want %s, got %v", tt.wantDiag, diags)
			}
		})
	}
}

func TestReferToReplaces(t *testing.T) {
	b, err := os.ReadFile("testdata/refer-to-replaces.sip")
	if err != nil {
		t.Fatal(err)
	}
	m := Parse(b)
	a, ok := m.ReferTo()
	if !ok {
		t.Fatal("no Refer-To")
	}
	h, ok := a.URI.URIHeader(b, "replaces")
	if !ok {
		t.Fatalf("no Replaces in %q", m.Bytes(a.URI.Span))
	}
	raw := string(m.Bytes(h.Value))
	if raw != "a84b4c76e66710%4010.0.0.2%3Bto-tag%3Da6c85cf%3Bfrom-tag%3D1928301774" {
		t.Errorf("raw Replaces %q", raw)
	}
	if got, want := string(Unescape(m.Bytes(h.Value))), "a84b4c76e66710@10.0.0.2;to-tag=a6c85cf;from-tag=1928301774"; got != want {
		t.Errorf("unescaped %q, want %q", got, want)
	}
	if got := string(m.Bytes(a.URI.Host)); got != "cleveland.example.org" {
		t.Errorf("host %q", got)
	}
	by, ok := m.Addrs("b"), true
	if !ok || len(by) != 1 || string(m.Bytes(by[0].URI.User)) != "alice" {
		t.Errorf("Referred-By %+v", by)
	}
}

func TestNameAddr(t *testing.T) {
	in := crlf(`INVITE sip:b@example.com SIP/2.0
Via: SIP/2.0/UDP h;branch=z9hG4bK1
From: "J Rosenberg \\\"" <sip:jdrosen@example.com>;tag=98asjd8
To: sip:b@example.com;tag=x
Call-ID: c
CSeq: 1 INVITE
Max-Forwards: 70
Contact: Alice <sip:alice@10.0.0.2:5060>;expires=3600;q=0.7, "Bob, Jr." <sip:bob@10.0.0.3>, sip:carol@10.0.0.4;expires=60
Record-Route: <sip:p1.example.com;lr>,<sip:p2.example.com;lr>

`)
	m := Parse(in)
	checkInvariants(t, m)
	if m.HasErrors() {
		t.Fatalf("diags %v", m.Diags)
	}
	b := m.Raw
	s := func(sp Span) string { return string(m.Bytes(sp)) }
	f, _ := m.From()
	if s(f.Display) != `"J Rosenberg \\\""` || s(f.URI.User) != "jdrosen" {
		t.Errorf("From display %q user %q", s(f.Display), s(f.URI.User))
	}
	if tag, ok := f.Tag(b); !ok || s(tag) != "98asjd8" {
		t.Errorf("From tag %q", s(tag))
	}
	to, _ := m.To()
	if !to.Angle.IsZero() || s(to.URI.Span) != "sip:b@example.com" {
		t.Errorf("To uri %q angle %v", s(to.URI.Span), to.Angle)
	}
	if tag, ok := to.Tag(b); !ok || s(tag) != "x" {
		t.Errorf("To tag %q (bare addr-spec: ;tag is a header param)", s(tag))
	}
	cs := m.Contacts()
	if len(cs) != 3 {
		t.Fatalf("%d contacts, want 3", len(cs))
	}
	if s(cs[0].Display) != "Alice" || cs[0].URI.PortNum != 5060 || s(cs[0].URI.Host) != "10.0.0.2" {
		t.Errorf("contact[0] %q %d", s(cs[0].Display), cs[0].URI.PortNum)
	}
	if p, ok := cs[0].Param(b, "Q"); !ok || s(p.Value) != "0.7" {
		t.Errorf("q %q", s(p.Value))
	}
	if s(cs[1].Display) != `"Bob, Jr."` {
		t.Errorf("contact[1] display %q", s(cs[1].Display))
	}
	if p, ok := cs[2].Param(b, "expires"); !ok || s(p.Value) != "60" || s(cs[2].URI.Host) != "10.0.0.4" {
		t.Errorf("contact[2] %q expires %q", s(cs[2].URI.Span), s(p.Value))
	}
	rr := m.RecordRoutes()
	if len(rr) != 2 || s(rr[1].URI.Host) != "p2.example.com" {
		t.Fatalf("record-route %+v", rr)
	}
	if _, ok := rr[0].URI.Param(b, "lr"); !ok {
		t.Errorf("lr missing")
	}
}

func TestAngleAndQuoteDefects(t *testing.T) {
	for _, tt := range []struct{ contact, want string }{
		{`<sip:a@b`, "unbalanced-angle"},
		{`sip:a@b>`, "unbalanced-angle"},
		{`"Joe <sip:a@b>`, "unbalanced-quote"},
		{`<sip:a@b>;;expires=1`, "empty-param"},
		{`<sip:a@b>;expires=99999999999`, "number-out-of-range"},
	} {
		b := []byte(tt.contact)
		var diags []Diag
		p := parser{b: b, diags: &diags}
		p.addrList(0, len(b), true, nil)
		found := false
		for _, d := range diags {
			found = found || d.Code == tt.want
		}
		if !found {
			t.Errorf("%s: want %s, got %v", tt.contact, tt.want, diags)
		}
	}
}

func TestMultipart(t *testing.T) {
	b, err := os.ReadFile("testdata/multipart-sdp.sip")
	if err != nil {
		t.Fatal(err)
	}
	m := Parse(b)
	parts := m.BodyParts()
	if len(parts) != 2 {
		t.Fatalf("%d parts, want 2", len(parts))
	}
	if got := string(m.Bytes(parts[0].ContentType)); got != "application/sdp" {
		t.Errorf("part 0 type %q", got)
	}
	if got := string(m.Bytes(parts[1].ContentType)); got != "application/isup" {
		t.Errorf("part 1 type %q", got)
	}
	sdp, ok := m.SDPBody()
	if !ok || !strings.HasPrefix(string(m.Bytes(sdp)), "v=0\r\n") || !strings.HasSuffix(string(m.Bytes(sdp)), "a=sendrecv\r\n") {
		t.Errorf("SDP body %q", m.Bytes(sdp))
	}
}

func TestContentLength(t *testing.T) {
	head := "MESSAGE sip:b@example.com SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nFrom: <sip:a@b>;tag=1\nTo: <sip:b@c>\nCall-ID: x\nCSeq: 1 MESSAGE\nMax-Forwards: 70\nContent-Type: text/plain\n"
	for _, tt := range []struct {
		cl, body, want string
		bodyLen        int
	}{
		{"5", "hello", "", 5},
		{"9", "hello", "content-length-long", 5},
		{"3", "hello", "content-length-short", 3},
		{"-1", "hello", "bad-content-length", 5},
		{"5 5", "hello", "bad-content-length", 5},
	} {
		m := Parse(append(crlf(head+"Content-Length: "+tt.cl+"\n\n"), tt.body...))
		checkInvariants(t, m)
		if m.Body.Len() != tt.bodyLen {
			t.Errorf("CL %s: body %d bytes, want %d", tt.cl, m.Body.Len(), tt.bodyLen)
		}
		if tt.want == "" {
			if len(m.Diags) != 0 {
				t.Errorf("CL %s: diags %v", tt.cl, m.Diags)
			}
		} else if !m.HasDiag(tt.want) {
			t.Errorf("CL %s: want %s, got %v", tt.cl, tt.want, m.Diags)
		}
	}
}

func TestLimits(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("OPTIONS sip:a@b SIP/2.0\r\n")
	for i := 0; i < MaxHeaders+10; i++ {
		sb.WriteString("X-H: 1\r\n")
	}
	sb.WriteString("\r\n")
	m := Parse([]byte(sb.String()))
	checkInvariants(t, m)
	if !m.HasDiag("too-many-headers") || len(m.Headers) != MaxHeaders {
		t.Errorf("headers %d, diags %v", len(m.Headers), m.HasDiag("too-many-headers"))
	}
}

// TestMandatoryOrder guards the indices checkHeaders uses for mandatory
// headers.
func TestMandatoryOrder(t *testing.T) {
	want := []string{"Via", "From", "To", "Call-ID", "CSeq", "Max-Forwards"}
	for i, w := range want {
		if knownHeaders[i].full != w {
			t.Errorf("knownHeaders[%d] = %s, want %s", i, knownHeaders[i].full, w)
		}
	}
}

// TestLookupHeader holds the header table to the list it is built from:
// every full and compact name in any case, and nothing else.
func TestLookupHeader(t *testing.T) {
	for i, k := range knownHeaders {
		names := []string{k.full, strings.ToLower(k.full), strings.ToUpper(k.full)}
		if k.compact != 0 {
			names = append(names, string(k.compact), strings.ToUpper(string(k.compact)))
		}
		for _, n := range names {
			info, ok := lookupHeader(n)
			if !ok || int(info.id) != i || info.full != k.full || info.kind != k.kind || info.single != k.single {
				t.Errorf("lookupHeader(%q) = %+v, %v; want %s (id %d)", n, info, ok, k.full, i)
			}
			if got := FullName([]byte(n)); got != k.full {
				t.Errorf("FullName(%q) = %q, want %q", n, got, k.full)
			}
		}
	}
	for _, n := range []string{"", "x-via", "vi", "viaa", "g", "z", "Call-IDs", "Content", "P-Preferred-Identity-X-Y-Z",
		"contact\x00", "\xc3\xa9", "Via ", "ToTo", "From-", "Record_Route"} {
		if info, ok := lookupHeader(n); ok {
			t.Errorf("lookupHeader(%q) = %+v, want unknown", n, info)
		}
	}
}

// TestIndexLWS holds the two loops to the bytes.IndexAny calls they
// replace.
func TestIndexLWS(t *testing.T) {
	for _, s := range []string{"", "abc", "a b", "ab\tc", "abc\r\n", "\n", "x\xc3 y", "\xff\xfe\t", "alice:pw@h", "long-user-part-without-space", "long-user-part-with\rcr"} {
		b := []byte(s)
		if got, want := indexLWS(b), bytes.IndexAny(b, " \t\r\n"); got != want {
			t.Errorf("indexLWS(%q) = %d, want %d", s, got, want)
		}
		if got, want := indexSpaceTab(b), bytes.IndexAny(b, " \t"); got != want {
			t.Errorf("indexSpaceTab(%q) = %d, want %d", s, got, want)
		}
	}
}
