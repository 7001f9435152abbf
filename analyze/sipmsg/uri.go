package sipmsg

import (
	"bytes"
	"net/netip"
	"net/url"
	"strings"
)

// parser carries the buffer and, during [Parse], the diagnostic list. Typed
// views re-parse with diags == nil: their defects were recorded already.
type parser struct {
	b     []byte
	diags *[]Diag
	// arena, when set, backs the parameters of kept values (see
	// keptParams).
	arena *[]Param
}

func (p *parser) diag(code string, sev Severity, off int, format string, args ...any) {
	addDiag(p.diags, code, sev, off, format, args...)
}

// Param is one parameter (URI parameter, URI header or header parameter):
// Name and Value as written. Value is zero when there is no '='; a quoted
// value keeps its quotes.
type Param struct {
	Span
	Name, Value Span
}

// URI kinds.
const (
	uriOther uint8 = iota
	uriSIP         // sip: and sips:
	uriTel
)

// URI is a parsed URI. For sip:, sips: and tel: every element has its span;
// for another scheme only Scheme and Opaque are set.
type URI struct {
	Span
	Scheme Span
	// User and Password are the userinfo parts (tel: puts the number in
	// User).
	User, Password Span
	// Host is the host as written, IPv6 reference brackets included.
	Host Span
	// Port is the port as written; PortNum its value, -1 when absent or not
	// a valid port.
	Port    Span
	PortNum int
	// Params covers the URI parameters, from the first ';' (excluded) to the
	// end of the last one; Headers what follows '?' (excluded).
	Params, Headers Span
	// Opaque is everything after "scheme:" for other schemes.
	Opaque Span
	kind   uint8
}

func (u URI) isSIP() bool { return u.kind == uriSIP }

// ParamList returns the URI parameters of u, which was parsed from b.
func (u URI) ParamList(b []byte) []Param {
	if u.Params.IsZero() {
		return nil
	}
	return splitPairs(b, u.Params, ';')
}

// Param returns the URI parameter called name (case-insensitive).
func (u URI) Param(b []byte, name string) (Param, bool) {
	return findPair(b, u.ParamList(b), name)
}

// HeaderList returns the URI headers of u ("?Replaces=...&..."), values raw
// (still %-escaped: see [Unescape]).
func (u URI) HeaderList(b []byte) []Param {
	if u.Headers.IsZero() {
		return nil
	}
	return splitPairs(b, u.Headers, '&')
}

// URIHeader returns the URI header called name (case-insensitive).
func (u URI) URIHeader(b []byte, name string) (Param, bool) {
	return findPair(b, u.HeaderList(b), name)
}

func findPair(b []byte, ps []Param, name string) (Param, bool) {
	for _, p := range ps {
		if asciiEqualFold(b[p.Name.Off:p.Name.End], name) {
			return p, true
		}
	}
	return Param{}, false
}

// splitPairs splits s at sep into name[=value] pairs.
func splitPairs(b []byte, s Span, sep byte) []Param {
	var out []Param
	i := s.Off
	for i <= s.End {
		j := i
		for j < s.End && b[j] != sep {
			j++
		}
		p := Param{Span: Span{i, j}, Name: Span{i, j}}
		if k := bytes.IndexByte(b[i:j], '='); k >= 0 {
			p.Name = Span{i, i + k}
			p.Value = Span{i + k + 1, j}
		}
		out = append(out, p)
		i = j + 1
	}
	return out
}

// Unescape decodes %-escapes (RFC 3986 §2.1) for comparison; invalid escapes
// are kept as written. It returns b itself when there is nothing to decode.
func Unescape(b []byte) []byte {
	if bytes.IndexByte(b, '%') < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '%' && i+2 < len(b) && isHex(b[i+1]) && isHex(b[i+2]) {
			out = append(out, unhex(b[i+1])<<4|unhex(b[i+2]))
			i += 2
			continue
		}
		out = append(out, b[i])
	}
	return out
}

func isHex(c byte) bool { return isDigit(c) || ('a' <= c|0x20 && c|0x20 <= 'f') }

func unhex(c byte) byte {
	if isDigit(c) {
		return c - '0'
	}
	return c | 0x20 - 'a' + 10
}

// URI parsing modes.
const (
	// uriWhole: the URI is exactly [off, end) (Request-URI, inside '<' '>').
	uriWhole uint8 = iota
	// uriBare: an addr-spec in a header value without '<' '>': it ends at
	// whitespace, ',' or, after the host, ';' (header parameters follow).
	uriBare
)

// ParseURI parses the URI that is exactly b[off:end] (a Request-URI, or the
// text between '<' and '>'). Defects are returned as diagnostics.
func ParseURI(b []byte, off, end int) (URI, []Diag) {
	if off < 0 || end > len(b) || off > end {
		return URI{PortNum: -1}, []Diag{{Code: "bad-uri", Sev: Error, Off: off, Msg: "span out of range"}}
	}
	var diags []Diag
	p := parser{b: b, diags: &diags}
	var u URI
	p.parseURI(&u, off, end, uriWhole)
	return u, diags
}

// parseURI parses a URI starting at off, not beyond end, into u and
// returns the offset after it.
func (p *parser) parseURI(u *URI, off, end int, mode uint8) int {
	b := p.b
	*u = URI{PortNum: -1}
	i := off
	s := i
	for i < end && (isAlpha(b[i]) || (i > s && (isDigit(b[i]) || b[i] == '+' || b[i] == '-' || b[i] == '.'))) {
		i++
	}
	if i == s || i >= end || b[i] != ':' {
		stop := bareEnd(b, off, end, mode)
		if stop == off && stop < end {
			stop++ // always make progress
		}
		p.diag("bad-uri", Error, off, "no URI scheme in %s", quote(b[off:stop]))
		u.Span = Span{off, stop}
		return stop
	}
	u.Scheme = Span{s, i}
	scheme := b[s:i]
	i++
	switch {
	case asciiEqualFold(scheme, "sip") || asciiEqualFold(scheme, "sips"):
		u.kind = uriSIP
		return p.sipURI(u, off, i, end, mode)
	case asciiEqualFold(scheme, "tel"):
		u.kind = uriTel
		j := i
		for j < end && b[j] != ';' && !isLWS(b[j]) && b[j] != ',' && b[j] != '>' {
			j++
		}
		u.User = Span{i, j}
		if i == j {
			p.diag("bad-uri", Error, i, "tel URI without a number")
		}
		if mode == uriWhole && j < end && b[j] == ';' {
			u.Params = Span{j + 1, end}
			j = end
		}
		u.Span = Span{off, j}
		return j
	}
	stop := bareEnd(b, i, end, mode)
	u.Opaque = Span{i, stop}
	u.Span = Span{off, stop}
	return stop
}

// bareEnd is where a bare URI (or a non-SIP one) stops.
func bareEnd(b []byte, i, end int, mode uint8) int {
	if mode == uriWhole {
		return end
	}
	for i < end && !isLWS(b[i]) && b[i] != ',' && b[i] != ';' && b[i] != '>' && b[i] != '<' && b[i] != '"' {
		i++
	}
	return i
}

func (p *parser) sipURI(u *URI, off, i, end int, mode uint8) int {
	b := p.b
	// userinfo: up to the first '@' ('@' appears nowhere else unescaped).
	lim := end
	if mode == uriBare {
		lim = i
		for lim < end && !isLWS(b[lim]) && b[lim] != ',' && b[lim] != '>' && b[lim] != '<' && b[lim] != '"' {
			lim++
		}
	}
	if at := bytes.IndexByte(b[i:lim], '@'); at >= 0 {
		ui := b[i : i+at]
		if c := bytes.IndexByte(ui, ':'); c >= 0 {
			u.User = Span{i, i + c}
			u.Password = Span{i + c + 1, i + at}
		} else {
			u.User = Span{i, i + at}
		}
		if k := indexLWS(ui); k >= 0 {
			p.diag("bad-uri", Error, i+k, "whitespace in URI userinfo %s", quote(ui))
		}
		if at == 0 {
			p.diag("bad-uri", Error, i, "empty user before '@'")
		}
		i += at + 1
	}
	var next int
	u.Host, u.Port, u.PortNum, next = p.hostPort(i, end)
	i = next
	if mode == uriWhole {
		if i < end && b[i] == ';' {
			ps := i + 1
			i = p.uriParams(ps, end)
			u.Params = Span{ps, i}
		}
	}
	if i < end && b[i] == '?' {
		hs := i + 1
		j := hs
		if mode == uriBare {
			for j < end && !isLWS(b[j]) && b[j] != ',' && b[j] != ';' {
				j++
			}
			p.diag("bare-uri-reserved", Error, i, "URI headers ('?') in an addr-spec without '<' '>': %s", quote(b[off:j]))
		} else {
			for j < end && !isLWS(b[j]) {
				j++
			}
		}
		u.Headers = Span{hs, j}
		i = j
	}
	if mode == uriWhole && i < end {
		p.diag("bad-uri", Error, i, "unexpected %s in URI %s", quote(b[i:i+1]), quote(b[off:end]))
		i = end
	}
	u.Span = Span{off, i}
	return i
}

// uriParams walks ";"-separated URI parameters from i (after the first
// ';'); it stops at '?' or a byte that cannot be in a parameter.
func (p *parser) uriParams(i, end int) int {
	b := p.b
	for {
		ns := i
		for i < end && isParamChar(b[i]) {
			i++
		}
		name := b[ns:i]
		if len(name) == 0 {
			p.diag("empty-param", Error, ns, "empty URI parameter")
		}
		var val []byte
		vs := i
		if i < end && b[i] == '=' {
			i++
			vs = i
			for i < end && isParamChar(b[i]) {
				i++
			}
			val = b[vs:i]
		}
		p.checkParam(name, val, ns, vs, i, end)
		if i < end && b[i] == ';' {
			i++
			continue
		}
		return i
	}
}

// isParamChar: paramchar of RFC 3261 §25.1 (unreserved, escaped and
// "[]/:&+$").
func isParamChar(c byte) bool {
	if isAlnum(c) {
		return true
	}
	switch c {
	case '-', '_', '.', '!', '~', '*', '\'', '(', ')', '%', '[', ']', '/', ':', '&', '+', '$':
		return true
	}
	return false
}

// hostPort parses host [":" port] at i.
func (p *parser) hostPort(i, end int) (host, port Span, portNum, next int) {
	b := p.b
	portNum = -1
	s := i
	if i < end && b[i] == '[' {
		j := bytes.IndexByte(b[i:end], ']')
		if j < 0 {
			for i < end && (isHex(b[i]) || b[i] == ':' || b[i] == '.' || b[i] == '[') {
				i++
			}
			p.diag("bad-host", Error, s, "IPv6 reference without ']': %s", quote(b[s:i]))
			return Span{s, i}, Span{}, -1, i
		}
		i += j + 1
		host = Span{s, i}
		if !validIPv6(b[s+1 : i-1]) {
			p.diag("bad-host", Error, s, "invalid IPv6 address %s", quote(b[s:i]))
		}
	} else {
		for i < end && (isAlnum(b[i]) || b[i] == '-' || b[i] == '.' || b[i] == '_') {
			i++
		}
		host = Span{s, i}
		if i < end && b[i] == ':' && i > s && allHex(b[s:i]) {
			// "sip:2001:db8::10": an IPv6 address without brackets reads as
			// host "2001" and port "db8::10".
			k := i + 1
			for k < end && (isHex(b[k]) || b[k] == ':' || b[k] == '.') {
				k++
			}
			if run := b[i+1 : k]; bytes.IndexByte(run, ':') >= 0 || !allDigits(run) {
				p.diag("ipv6-unbracketed", Error, s, "IPv6 address %s not enclosed in '[' ']'", quote(b[s:k]))
				return Span{s, k}, Span{}, -1, k
			}
		}
		p.checkHost(s, i, end)
	}
	if i < end && b[i] == ':' {
		i++
		ps := i
		for i < end && (isAlnum(b[i]) || b[i] == ':' || b[i] == '.') {
			i++
		}
		port = Span{ps, i}
		portNum = p.checkPort(host, port)
	}
	return host, port, portNum, i
}

// checkHost validates a host name or IPv4 address in b[s:i].
func (p *parser) checkHost(s, i, end int) {
	b := p.b
	h := b[s:i]
	if len(h) == 0 {
		p.diag("bad-host", Error, s, "empty host")
		return
	}
	n := 0
	for n < len(h) && (isDigit(h[n]) || h[n] == '.') {
		n++
	}
	if n == len(h) {
		if !validIPv4(h) {
			p.diag("bad-host", Error, s, "invalid IPv4 address %s", quote(h))
		}
		return
	}
	if n > 0 && validIPv4(h[:n]) {
		// "10.0.0.1rport": an address glued to a parameter name.
		if knownParam(h[n:]) {
			p.diag("param-separator-missing", Error, s+n, "address %s followed by parameter name %s without ';'", quote(h[:n]), quote(h[n:]))
		} else {
			p.diag("bad-host", Error, s, "invalid host %s", quote(h))
		}
		return
	}
	if i < end && b[i] == '=' {
		// "host.example.combranch=..."
		for _, k := range knownParams {
			if len(h) > len(k) && asciiEqualFold(h[len(h)-len(k):], k) {
				p.diag("param-separator-missing", Error, i-len(k), "host %s followed by parameter %s without ';'", quote(h[:len(h)-len(k)]), quote(h[len(h)-len(k):]))
				return
			}
		}
	}
	// hostname: labels of alnum and '-', the last starting with a letter.
	lab := 0
	for k := 0; k <= len(h); k++ {
		if k < len(h) && h[k] != '.' {
			continue
		}
		if k == lab && k != len(h) {
			p.diag("bad-host", Error, s+k, "empty label in host %s", quote(h))
			return
		}
		lab = k + 1
	}
}

// checkPort validates a port and returns its value, -1 when invalid.
func (p *parser) checkPort(host, port Span) int {
	b := p.b
	pb := b[port.Off:port.End]
	if len(pb) == 0 {
		p.diag("bad-port", Error, port.Off, "empty port after ':'")
		return -1
	}
	d := 0
	for d < len(pb) && isDigit(pb[d]) {
		d++
	}
	if d == len(pb) {
		n, _, overflow := parseUint(pb)
		if overflow || n > 65535 {
			p.diag("port-out-of-range", Error, port.Off, "port %s is above 65535", quote(pb))
			return -1
		}
		return int(n)
	}
	if d > 0 && knownParam(pb[d:]) {
		p.diag("param-separator-missing", Error, port.Off+d, "port %s followed by parameter name %s without ';'", quote(pb[:d]), quote(pb[d:]))
		n, _, overflow := parseUint(pb[:d])
		if overflow || n > 65535 {
			p.diag("port-out-of-range", Error, port.Off, "port %s is above 65535", quote(pb[:d]))
			return -1
		}
		return int(n)
	}
	p.diag("bad-port", Error, port.Off, "port %s is not a number", quote(pb))
	return -1
}

func allHex(b []byte) bool {
	for _, c := range b {
		if !isHex(c) {
			return false
		}
	}
	return true
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

// validIPv4 reports whether b is a dotted-quad IPv4 address.
func validIPv4(b []byte) bool {
	parts, n, digits := 0, 0, 0
	for i := 0; i <= len(b); i++ {
		if i == len(b) || b[i] == '.' {
			if digits == 0 || n > 255 {
				return false
			}
			parts++
			n, digits = 0, 0
			continue
		}
		if !isDigit(b[i]) || digits == 3 {
			return false
		}
		n = n*10 + int(b[i]-'0')
		digits++
	}
	return parts == 4
}

// validIPv6 reports whether b (without brackets) is an IPv6 address.
func validIPv6(b []byte) bool {
	if len(b) == 0 || len(b) > 45 || bytes.IndexByte(b, '%') >= 0 {
		return false
	}
	var buf [45]byte
	n := copy(buf[:], b)
	a, err := netip.ParseAddr(string(buf[:n]))
	return err == nil && a.Is6()
}

// knownParams are the parameter names the separator heuristics look for:
// Via (RFC 3261 §20.42, RFC 3581, RFC 5626, RFC 3486), URI (§19.1.1),
// From/To/Contact (§20.10, RFC 5626, RFC 5627).
var knownParams = [...]string{
	"branch", "received", "rport", "maddr", "ttl", "alias", "comp", "sigcomp-id", "keep",
	"tag", "expires", "q", "transport", "user", "method", "lr", "ob", "gr", "reg-id", "+sip.instance",
}

func knownParam(b []byte) bool {
	for _, k := range knownParams {
		if asciiEqualFold(b, k) {
			return true
		}
	}
	return false
}

// concatParams reports whether name is two known parameter names glued
// together ("rportreceived"), what an ALG that drops a ';' produces.
func concatParams(name []byte) bool {
	if len(name) < 3 || knownParam(name) {
		return false
	}
	for _, k := range knownParams {
		if len(name) > len(k) && hasPrefixFold(name, k) && knownParam(name[len(k):]) {
			return true
		}
	}
	return false
}

// checkParam runs the per-parameter checks shared by header and URI
// parameters: separator heuristics and typed values. name starts at ns,
// the value at vs and ends at ve; end bounds the enclosing value.
func (p *parser) checkParam(name, val []byte, ns, vs, ve, end int) {
	b := p.b
	if concatParams(name) {
		p.diag("param-separator-missing", Error, ns, "parameter name %s is two names without ';' between them", quote(name))
		return
	}
	if ve < end && b[ve] == '=' {
		// "received=1.2.3.4rport=5060": the value swallowed the next name.
		for _, k := range knownParams {
			if len(val) > len(k) && asciiEqualFold(val[len(val)-len(k):], k) {
				p.diag("param-separator-missing", Error, ve-len(k), "value %s ends with parameter name %s: ';' missing", quote(val), quote(val[len(val)-len(k):]))
				return
			}
		}
	}
	if val == nil || (len(val) > 0 && val[0] == '"') {
		return
	}
	switch {
	case asciiEqualFold(name, "received") || asciiEqualFold(name, "maddr"):
		p.checkParamHost(val, vs)
	case asciiEqualFold(name, "rport"):
		if len(val) == 0 {
			return
		}
		if n := p.checkParamNumber(name, val, vs); n > 65535 {
			p.diag("port-out-of-range", Error, vs, "rport %s is above 65535", quote(val))
		}
	case asciiEqualFold(name, "ttl") || asciiEqualFold(name, "expires"):
		if n := p.checkParamNumber(name, val, vs); n > maxDeltaSeconds {
			p.diag("number-out-of-range", Error, vs, "%s=%s is out of range", name, val)
		}
	case asciiEqualFold(name, "branch"):
		// "z9hG4bK1rport": a valueless parameter glued to the branch. A
		// heuristic, hence a warning.
		if len(val) > len("rport") && asciiEqualFold(val[len(val)-len("rport"):], "rport") {
			p.diag("param-separator-missing", Warning, vs+len(val)-len("rport"), "branch %s ends with \"rport\": ';' probably lost", quote(val))
		}
	}
}

// checkParamNumber returns the value of a numeric parameter, or 0 after a
// diagnostic.
func (p *parser) checkParamNumber(name, val []byte, vs int) uint64 {
	d := 0
	for d < len(val) && isDigit(val[d]) {
		d++
	}
	if d == len(val) && d > 0 {
		n, _, overflow := parseUint(val)
		if overflow {
			return 1<<64 - 1
		}
		return n
	}
	if d > 0 && knownParam(val[d:]) {
		p.diag("param-separator-missing", Error, vs+d, "%s=%s: parameter name %s glued to the value", name, val[:d], quote(val[d:]))
		return 0
	}
	p.diag("bad-param", Error, vs, "%s value %s is not a number", name, quote(val))
	return 0
}

func (p *parser) checkParamHost(val []byte, vs int) {
	if len(val) == 0 {
		p.diag("bad-param", Error, vs, "empty address parameter")
		return
	}
	if val[0] == '[' {
		if val[len(val)-1] != ']' || !validIPv6(val[1:len(val)-1]) {
			p.diag("bad-host", Error, vs, "invalid IPv6 reference %s", quote(val))
		}
		return
	}
	if bytes.IndexByte(val, ':') >= 0 {
		// RFC 5118 §4.5 admits an unbracketed IPv6 address in received.
		if !validIPv6(val) {
			p.diag("bad-host", Error, vs, "invalid IPv6 address %s", quote(val))
		}
		return
	}
	p.checkHost(vs, vs+len(val), vs+len(val))
}

// ReplacesCallID returns the Call-ID inside Refer-To's Replaces (RFC 3891),
// %-decoded: "1-sipalg%40192%2E168%2E1%2E10%3Bto-tag..." gives
// "1-sipalg@192.168.1.10".
func (p *Message) ReplacesCallID() (string, bool) {
	a, ok := p.ReferTo()
	if !ok {
		return "", false
	}
	h, ok := a.URI.URIHeader(p.Raw, "Replaces")
	if !ok {
		return "", false
	}
	v, err := url.QueryUnescape(string(p.Bytes(h.Value)))
	if err != nil {
		v = string(Unescape(p.Bytes(h.Value)))
	}
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v), v != ""
}
