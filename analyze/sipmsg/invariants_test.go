package sipmsg

import (
	"bytes"
	"testing"
)

// checkInvariants verifies that every span lies within Raw and that the raw
// parts, concatenated, rebuild Raw exactly.
func checkInvariants(t testing.TB, m *Message) {
	t.Helper()
	n := len(m.Raw)
	in := func(what string, s Span) {
		t.Helper()
		if s.IsZero() {
			return
		}
		if s.Off < 0 || s.End > n || s.Off > s.End {
			t.Fatalf("%s span %v outside [0,%d]", what, s, n)
		}
	}
	var rebuilt []byte
	pos := 0
	part := func(what string, s Span) {
		t.Helper()
		in(what, s)
		if s.IsZero() {
			return
		}
		if s.Off != pos {
			t.Fatalf("%s starts at %d, want %d (gap or overlap)", what, s.Off, pos)
		}
		rebuilt = append(rebuilt, m.Raw[s.Off:s.End]...)
		pos = s.End
	}
	part("Lead", m.Lead)
	part("StartLine", m.StartLine)
	part("StartEOL", m.StartEOL)
	for _, h := range m.Headers {
		part("Header.Line", h.Line)
		in("Header.Name", h.Name)
		in("Header.Value", h.Value)
		if h.Name.Off < h.Line.Off || h.Value.End > h.Line.End {
			t.Fatalf("header name/value %v %v outside its line %v", h.Name, h.Value, h.Line)
		}
	}
	part("Blank", m.Blank)
	part("Body", m.Body)
	part("Extra", m.Extra)
	if !bytes.Equal(rebuilt, m.Raw) {
		t.Fatalf("parts rebuild %d bytes, want %d", len(rebuilt), n)
	}
	for _, s := range []Span{m.Method, m.RequestURI, m.Version, m.Status, m.Reason} {
		in("start-line element", s)
	}
	for _, d := range m.Diags {
		if d.Off < 0 || d.Off > n {
			t.Fatalf("diag %v offset outside [0,%d]", d, n)
		}
		if d.Sev != Error && d.Sev != Warning {
			t.Fatalf("diag %v has no severity", d)
		}
	}
	// Typed views stay within bounds too.
	for _, v := range m.Vias() {
		for _, s := range []Span{v.Span, v.ProtoName, v.ProtoVersion, v.Transport, v.Host, v.Port} {
			in("Via", s)
		}
		for _, p := range v.Params {
			in("Via param", p.Span)
			in("Via param name", p.Name)
			in("Via param value", p.Value)
		}
	}
	var addrs []Addr
	addrs = append(addrs, m.Contacts()...)
	addrs = append(addrs, m.Routes()...)
	addrs = append(addrs, m.RecordRoutes()...)
	for _, f := range []func() (Addr, bool){m.From, m.To, m.ReferTo} {
		if a, ok := f(); ok {
			addrs = append(addrs, a)
		}
	}
	for _, a := range addrs {
		u := a.URI
		for _, s := range []Span{a.Span, a.Display, a.Angle, u.Span, u.Scheme, u.User, u.Password, u.Host, u.Port, u.Params, u.Headers, u.Opaque} {
			in("Addr", s)
		}
		for _, p := range append(u.ParamList(m.Raw), u.HeaderList(m.Raw)...) {
			in("URI param", p.Span)
			in("URI param name", p.Name)
			in("URI param value", p.Value)
		}
		for _, p := range a.Params {
			in("Addr param", p.Span)
		}
	}
	for _, p := range m.BodyParts() {
		in("Part", p.Span)
		in("Part header", p.Header)
		in("Part body", p.Body)
		in("Part content type", p.ContentType)
	}
	if s, ok := m.SDPBody(); ok {
		in("SDP body", s)
	}
}
