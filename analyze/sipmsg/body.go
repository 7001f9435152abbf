package sipmsg

import "bytes"

// Part is one body part of a multipart body (RFC 2046 §5.1).
type Part struct {
	// Span covers the part from after its delimiter line to before the CRLF
	// that precedes the next delimiter.
	Span
	// Header covers the part's header lines, Body what follows the empty
	// line after them.
	Header, Body Span
	// ContentType is the value of the part's Content-Type media type
	// (parameters excluded); zero when the part has none.
	ContentType Span
}

// ContentType returns the media type of the message ("application/sdp"),
// parameters and surrounding whitespace excluded.
func (m *Message) ContentType() (Span, bool) {
	h, ok := m.Header("Content-Type")
	if !ok {
		return Span{}, false
	}
	return mediaType(m.Raw, h.Value), true
}

func mediaType(b []byte, v Span) Span {
	e := v.Off
	for e < v.End && b[e] != ';' {
		e++
	}
	return Span{v.Off, trimRightLWS(b, v.Off, e)}
}

// BodyParts splits a multipart body into its parts; nil when the body is
// not multipart or has no boundary parameter.
func (m *Message) BodyParts() []Part {
	h, ok := m.Header("Content-Type")
	if !ok {
		return nil
	}
	b := m.Raw
	mt := mediaType(b, h.Value)
	if !hasPrefixFold(b[mt.Off:mt.End], "multipart/") {
		return nil
	}
	var ps []Param
	p := parser{b: b}
	p.params(mt.End, h.Value.End, &ps, false)
	bp, ok := findPair(b, ps, "boundary")
	if !ok || bp.Value.Len() == 0 {
		return nil
	}
	boundary := b[bp.Value.Off:bp.Value.End]
	if len(boundary) >= 2 && boundary[0] == '"' && boundary[len(boundary)-1] == '"' {
		boundary = boundary[1 : len(boundary)-1]
	}
	return splitMultipart(b, m.Body, boundary)
}

// splitMultipart finds the parts of body delimited by "--"+boundary lines.
func splitMultipart(b []byte, body Span, boundary []byte) []Part {
	if body.Len() <= 0 || len(boundary) == 0 {
		return nil
	}
	delim := make([]byte, 0, len(boundary)+3)
	delim = append(delim, '\n', '-', '-')
	delim = append(delim, boundary...)
	// next returns the offset of the next delimiter's "--" at or after i.
	next := func(i int) int {
		if i == body.Off && bytes.HasPrefix(b[i:body.End], delim[1:]) {
			return i
		}
		k := bytes.Index(b[i:body.End], delim)
		if k < 0 {
			return -1
		}
		return i + k + 1
	}
	var parts []Part
	d := next(body.Off)
	for d >= 0 {
		i := d + len(delim) - 1
		if i+1 < body.End && b[i] == '-' && b[i+1] == '-' {
			break // close delimiter
		}
		for i < body.End && b[i] != '\n' {
			i++
		}
		if i < body.End {
			i++
		}
		d2 := next(i)
		pe := body.End
		if d2 >= 0 {
			pe = d2 - 1 // the '\n' before "--"
			if pe > i && b[pe-1] == '\r' {
				pe--
			}
		}
		if pe < i {
			pe = i
		}
		parts = append(parts, partOf(b, Span{i, pe}))
		d = d2
	}
	return parts
}

// partOf splits a part into its header lines and body.
func partOf(b []byte, s Span) Part {
	pt := Part{Span: s}
	i := s.Off
	for i < s.End {
		e := i
		for e < s.End && b[e] != '\n' {
			e++
		}
		te := e
		if te > i && b[te-1] == '\r' {
			te--
		}
		if e < s.End {
			e++
		}
		if te == i {
			pt.Header = Span{s.Off, i}
			pt.Body = Span{e, s.End}
			return pt
		}
		if c := bytes.IndexByte(b[i:te], ':'); c > 0 {
			name := b[i : i+c]
			name = bytes.TrimRight(name, " \t")
			if FullName(name) == "Content-Type" {
				pt.ContentType = mediaType(b, Span{skipLWS(b, i+c+1, te), te})
			}
		}
		i = e
	}
	// No empty line: everything is body (RFC 2046: headers are optional,
	// but then the part starts with the empty line).
	pt.Body = s
	return pt
}

// SDPBody returns the span of the SDP in the message: the whole body for
// application/sdp, the first application/sdp part of a multipart body, or a
// body without Content-Type that starts with "v=".
func (m *Message) SDPBody() (Span, bool) {
	if m.NotSIP || m.Body.Len() <= 0 {
		return Span{}, false
	}
	b := m.Raw
	ct, ok := m.ContentType()
	if !ok {
		if bytes.HasPrefix(b[m.Body.Off:m.Body.End], []byte("v=")) {
			return m.Body, true
		}
		return Span{}, false
	}
	if asciiEqualFold(b[ct.Off:ct.End], "application/sdp") {
		return m.Body, true
	}
	for _, pt := range m.BodyParts() {
		if !pt.ContentType.IsZero() && asciiEqualFold(b[pt.ContentType.Off:pt.ContentType.End], "application/sdp") {
			return pt.Body, true
		}
	}
	return Span{}, false
}
