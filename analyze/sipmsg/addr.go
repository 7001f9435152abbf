package sipmsg

import "bytes"

// Addr is one name-addr or addr-spec with its header parameters: a From, To,
// Contact, Route, Record-Route, Refer-To... value.
type Addr struct {
	Span
	// Display is the display name as written, quotes included; zero when
	// there is none.
	Display Span
	// Angle covers '<' to '>' inclusive; zero for a bare addr-spec.
	Angle Span
	URI   URI
	// Star is set for "Contact: *".
	Star   bool
	Params []Param
}

// Param returns the header parameter called name (case-insensitive).
func (a Addr) Param(b []byte, name string) (Param, bool) {
	return findPair(b, a.Params, name)
}

// Tag returns the value span of the tag parameter.
func (a Addr) Tag(b []byte) (Span, bool) {
	p, ok := a.Param(b, "tag")
	return p.Value, ok
}

// addrList parses a header value holding one (multi false) or several
// comma-separated addresses. With out nil nothing is kept.
func (p *parser) addrList(off, end int, multi bool, out *[]Addr) {
	b := p.b
	i := skipLWS(b, off, end)
	if i >= end {
		p.diag("empty-value", Error, off, "empty address header")
		return
	}
	var scratch Addr
	for i < end {
		if b[i] == ',' {
			p.diag("empty-value", Error, i, "empty element in list")
			i = skipLWS(b, i+1, end)
			continue
		}
		// Parsed in place: an Addr is some 250 bytes, and returning it
		// and appending it copied it twice (issue 15).
		a := &scratch
		if out != nil {
			*out = append(*out, Addr{})
			a = &(*out)[len(*out)-1]
		}
		j := p.addr(a, i, end, multi, out != nil)
		if j <= i {
			j = i + 1 // always make progress
		}
		j = skipLWS(b, j, end)
		if j < end && b[j] == ',' {
			if !multi {
				p.diag("bad-value", Error, j, "',' in a single-value header")
			}
			j = skipLWS(b, j+1, end)
			if j >= end {
				p.diag("empty-value", Error, j, "trailing ',' in list")
			}
		}
		i = j
	}
}

// addr parses one address at i into a and returns the offset after it.
func (p *parser) addr(a *Addr, i, end int, multi, keep bool) int {
	b := p.b
	*a = Addr{Span: Span{i, i}}
	params := func(i int, comma bool) int {
		if keep {
			return p.keptParams(i, end, comma, &a.Params)
		}
		return p.params(i, end, nil, comma)
	}
	s := i
	if b[i] == '*' {
		j := skipLWS(b, i+1, end)
		if j >= end || b[j] == ',' || b[j] == ';' {
			a.Star = true
			a.Span.End = i + 1
			return params(i+1, true)
		}
	}
	// Find '<' outside quotes.
	lt := -1
	j := i
	qs := -1
scan:
	for j < end {
		c := b[j]
		switch {
		case qs >= 0:
			if c == '\\' {
				j++
			} else if c == '"' {
				qs = -1
			}
		case c == '"':
			qs = j
		case c == '<':
			lt = j
			break scan
		case c == ',' && multi:
			break scan
		case c == ';' && !multi:
			// a bare addr-spec's parameters; keep looking only if a
			// display name could still come (it cannot contain ';').
			break scan
		case c == ';':
			break scan
		}
		j++
	}
	if qs >= 0 {
		p.diag("unbalanced-quote", Error, qs, "quoted string not closed: %s", quote(b[qs:end]))
		a.Display = Span{qs, end}
		a.Span.End = end
		return end
	}
	if lt < 0 {
		// addr-spec
		k := p.parseURI(&a.URI, i, end, uriBare)
		if k < end && b[k] == '>' {
			p.diag("unbalanced-angle", Error, k, "'>' without '<'")
			k++
		}
		k = params(k, multi)
		a.Span.End = trimRightLWS(b, s, k)
		return k
	}
	if lt > i {
		de := trimRightLWS(b, i, lt)
		a.Display = Span{i, de}
		p.checkDisplay(i, de)
	}
	gt := -1
	for k := lt + 1; k < end; k++ {
		if b[k] == '>' {
			gt = k
			break
		}
		if b[k] == '<' {
			break
		}
	}
	ue := gt
	if gt < 0 {
		p.diag("unbalanced-angle", Error, lt, "'<' without '>': %s", quote(b[lt:end]))
		ue = lt + 1
		for ue < end && !isLWS(b[ue]) && b[ue] != ',' && b[ue] != '<' {
			ue++
		}
	}
	us := lt + 1
	if us < ue && isLWS(b[us]) {
		p.diag("bad-uri", Error, us, "whitespace after '<'")
		us = skipLWS(b, us, ue)
	}
	if t := trimRightLWS(b, us, ue); t < ue {
		p.diag("bad-uri", Error, t, "whitespace before '>'")
		ue = t
	}
	if us == ue {
		p.diag("bad-uri", Error, us, "empty URI in '<' '>'")
		a.URI = URI{PortNum: -1, Span: Span{us, us}}
	} else {
		p.parseURI(&a.URI, us, ue, uriWhole)
	}
	k := ue
	if gt >= 0 {
		k = gt + 1
		a.Angle = Span{lt, k}
	}
	k = params(k, multi)
	a.Span.End = trimRightLWS(b, s, k)
	return k
}

// checkDisplay checks a display name in [s, e): a quoted string or tokens
// separated by LWS (RFC 3261 §25.1).
func (p *parser) checkDisplay(s, e int) {
	b := p.b
	if b[s] == '"' {
		q := p.quoted(s, e)
		if q != e {
			p.diag("bad-display-name", Error, q, "text after the quoted display name: %s", quote(b[q:e]))
		}
		return
	}
	for k := s; k < e; k++ {
		if !isToken(b[k]) && !isLWS(b[k]) {
			p.diag("bad-display-name", Error, k, "display name %s has %s, not a token character: quote it", quote(b[s:e]), quote(b[k:k+1]))
			return
		}
	}
}

// quoted returns the offset after the quoted string starting at i (b[i] is
// '"'); an unterminated one is reported and runs to end.
func (p *parser) quoted(i, end int) int {
	b := p.b
	for j := i + 1; j < end; j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	p.diag("unbalanced-quote", Error, i, "quoted string not closed: %s", quote(b[i:end]))
	return end
}

// params parses header parameters ( *( SEMI generic-param ), RFC 3261
// §25.1) from i, stopping at end or, when comma, at a ',' separating list
// elements. out may be nil.
func (p *parser) params(i, end int, out *[]Param, comma bool) int {
	b := p.b
	for {
		j := skipLWS(b, i, end)
		if j >= end {
			return j
		}
		c := b[j]
		if c == ',' && comma {
			return j
		}
		if c == ';' {
			j = skipLWS(b, j+1, end)
		} else if isToken(c) {
			// "branch=z9hG4bK1 rport": a parameter with no ';' before it.
			p.diag("param-separator-missing", Error, j, "parameter %s not preceded by ';'", quote(b[j:min(end, j+16)]))
		} else {
			p.diag("bad-param", Error, j, "unexpected %s in parameters", quote(b[j:j+1]))
			j = skipParam(b, j+1, end, comma)
			i = j
			continue
		}
		ns := j
		for j < end && isToken(b[j]) {
			j++
		}
		prm := Param{Name: Span{ns, j}}
		if j == ns {
			p.diag("empty-param", Error, ns, "empty parameter (';' followed by %s)", quote(b[ns:min(end, ns+1)]))
			i = j
			if j < end && b[j] != ';' && b[j] != ',' {
				i = skipParam(b, j, end, comma)
			}
			continue
		}
		k := skipLWS(b, j, end)
		var val []byte
		vs, ve := j, j
		if k < end && b[k] == '=' {
			k = skipLWS(b, k+1, end)
			vs = k
			if k < end && b[k] == '"' {
				k = p.quoted(k, end)
			} else {
				for k < end && isGenValueChar(b[k]) {
					k++
				}
				if k == vs {
					p.diag("empty-param-value", Warning, vs, "parameter %s has '=' but no value", quote(b[ns:j]))
				}
			}
			ve = k
			val = b[vs:ve]
			prm.Value = Span{vs, ve}
			j = k
		}
		prm.Span = Span{ns, j}
		p.checkParam(b[ns:prm.Name.End], val, ns, vs, ve, end)
		if out != nil {
			*out = append(*out, prm)
		}
		i = j
	}
}

// keptParams is params keeping them in dst: a slice of p's arena when
// it has one, else of their own; dst stays nil when there are none.
func (p *parser) keptParams(i, end int, comma bool, dst *[]Param) int {
	if p.arena == nil {
		return p.params(i, end, dst, comma)
	}
	if cap(*p.arena) == 0 {
		*p.arena = make([]Param, 0, paramCap)
	}
	start := len(*p.arena)
	j := p.params(i, end, p.arena, comma)
	if n := len(*p.arena); n > start {
		*dst = (*p.arena)[start:n:n]
	}
	return j
}

// paramCap is the first size of a message's parameter arena: a request
// has about five (Via branch and rport, From and To tags, a Contact's
// expires).
const paramCap = 8

// skipParam skips to the next ';' or (when comma) ',' outside quotes.
func skipParam(b []byte, i, end int, comma bool) int {
	for i < end {
		switch b[i] {
		case ';':
			return i
		case ',':
			if comma {
				return i
			}
		case '"':
			k := bytes.IndexByte(b[i+1:end], '"')
			if k < 0 {
				return end
			}
			i += k + 1
		}
		i++
	}
	return i
}

// isGenValueChar: token, host (IPv6 reference) characters.
func isGenValueChar(c byte) bool {
	return isToken(c) || c == ':' || c == '[' || c == ']'
}

// addrs parses every header with the given full name into addresses.
func (m *Message) addrs(full string, multi bool) []Addr {
	var out []Addr
	p := parser{b: m.Raw}
	for _, h := range m.Headers {
		if h.Full() == full {
			p.addrList(h.Value.Off, h.Value.End, multi, &out)
		}
	}
	return out
}

func (m *Message) addr1(full string) (Addr, bool) {
	if m.viewsDone {
		switch full {
		case "From":
			return m.from, m.fromOK
		case "To":
			return m.to, m.toOK
		}
	}
	h, ok := m.Header(full)
	if !ok {
		return Addr{}, false
	}
	var out []Addr
	p := parser{b: m.Raw}
	p.addrList(h.Value.Off, h.Value.End, false, &out)
	if len(out) == 0 {
		return Addr{}, false
	}
	return out[0], true
}

// From returns the From address.
func (m *Message) From() (Addr, bool) { return m.addr1("From") }

// To returns the To address.
func (m *Message) To() (Addr, bool) { return m.addr1("To") }

// ReferTo returns the Refer-To address.
func (m *Message) ReferTo() (Addr, bool) { return m.addr1("Refer-To") }

// Contacts returns every Contact value of every Contact header, in order.
// The slice is parsed once and shared: callers must not modify it.
func (m *Message) Contacts() []Addr {
	if m.viewsDone {
		return m.contacts[:len(m.contacts):len(m.contacts)]
	}
	return m.addrs("Contact", true)
}

// Routes returns every Route value, in order.
func (m *Message) Routes() []Addr { return m.addrs("Route", true) }

// RecordRoutes returns every Record-Route value, in order.
func (m *Message) RecordRoutes() []Addr { return m.addrs("Record-Route", true) }

// Addrs returns every value of the headers with the given name (any form)
// parsed as a list of addresses.
func (m *Message) Addrs(name string) []Addr {
	full := ""
	if info, ok := lookupHeader(name); ok {
		full = info.full
	}
	if full == "" {
		return nil
	}
	return m.addrs(full, true)
}
