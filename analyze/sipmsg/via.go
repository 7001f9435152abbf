package sipmsg

// Via is one via-parm (RFC 3261 §20.42): sent-protocol, sent-by and
// parameters, each element as written.
type Via struct {
	Span
	// ProtoName, ProtoVersion and Transport are the three parts of
	// sent-protocol ("SIP", "2.0", "UDP").
	ProtoName, ProtoVersion, Transport Span
	// Host and Port make sent-by; PortNum is -1 when absent or invalid.
	Host, Port Span
	PortNum    int
	Params     []Param
}

// Param returns the parameter called name (case-insensitive).
func (v Via) Param(b []byte, name string) (Param, bool) { return findPair(b, v.Params, name) }

// Branch returns the branch parameter.
func (v Via) Branch(b []byte) (Param, bool) { return v.Param(b, "branch") }

// Received returns the received parameter.
func (v Via) Received(b []byte) (Param, bool) { return v.Param(b, "received") }

// RPort returns the rport parameter (Value zero when written without '=').
func (v Via) RPort(b []byte) (Param, bool) { return v.Param(b, "rport") }

// Vias returns every via-parm of every Via header, top first. The slice
// is parsed once and shared: callers must not modify it.
func (m *Message) Vias() []Via {
	if m.viewsDone {
		return m.vias[:len(m.vias):len(m.vias)]
	}
	var out []Via
	p := parser{b: m.Raw}
	for _, h := range m.Headers {
		if h.Full() == "Via" {
			p.viaList(h.Value.Off, h.Value.End, &out)
		}
	}
	return out
}

// viaList parses a Via header value: one or more comma-separated via-parms.
func (p *parser) viaList(off, end int, out *[]Via) {
	b := p.b
	i := skipLWS(b, off, end)
	if i >= end {
		p.diag("empty-value", Error, off, "empty Via header")
		return
	}
	var scratch Via
	for i < end {
		if b[i] == ',' {
			p.diag("empty-value", Error, i, "empty element in Via list")
			i = skipLWS(b, i+1, end)
			continue
		}
		// Parsed in place, as addrList does.
		v := &scratch
		if out != nil {
			*out = append(*out, Via{})
			v = &(*out)[len(*out)-1]
		}
		j := p.via(v, i, end, out != nil)
		if j <= i {
			j = i + 1
		}
		j = skipLWS(b, j, end)
		if j < end && b[j] == ',' {
			j = skipLWS(b, j+1, end)
			if j >= end {
				p.diag("empty-value", Error, j, "trailing ',' in Via list")
			}
		}
		i = j
	}
}

// via parses one via-parm at i into v and returns the offset after it (at
// ',' or end).
func (p *parser) via(v *Via, i, end int, keep bool) int {
	b := p.b
	*v = Via{PortNum: -1}
	s := i
	var parts [3]Span
	for n := 0; n < 3; n++ {
		if n > 0 {
			i = skipLWS(b, i, end)
			if i >= end || b[i] != '/' {
				p.diag("bad-via", Error, i, "sent-protocol is not name/version/transport: %s", quote(b[s:min(end, i+1)]))
				j := skipParam(b, i, end, true)
				for j < end && b[j] != ',' {
					j = skipParam(b, j+1, end, true)
				}
				v.Span = Span{s, trimRightLWS(b, s, j)}
				return j
			}
			i = skipLWS(b, i+1, end)
		}
		ts := i
		for i < end && isToken(b[i]) {
			i++
		}
		parts[n] = Span{ts, i}
	}
	v.ProtoName, v.ProtoVersion, v.Transport = parts[0], parts[1], parts[2]
	if v.Transport.Len() == 0 {
		p.diag("bad-via", Error, i, "empty transport in sent-protocol")
	}
	if !asciiEqualFold(b[parts[0].Off:parts[0].End], "SIP") || string(b[parts[1].Off:parts[1].End]) != "2.0" {
		p.diag("bad-version", Error, s, "Via sent-protocol %s/%s, want SIP/2.0", quote(b[parts[0].Off:parts[0].End]), quote(b[parts[1].Off:parts[1].End]))
	}
	j := skipLWS(b, i, end)
	if j == i {
		p.diag("bad-via", Error, i, "no whitespace between sent-protocol and sent-by")
	}
	v.Host, v.Port, v.PortNum, i = p.hostPort(j, end)
	if keep {
		i = p.keptParams(i, end, true, &v.Params)
	} else {
		i = p.params(i, end, nil, true)
	}
	v.Span = Span{s, trimRightLWS(b, s, i)}
	return i
}
