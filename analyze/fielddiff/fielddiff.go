// Package fielddiff lists every field a SIP ALG changed in one message: it
// compares the message as it entered the router with the message as it left,
// field by field, and names each difference with the DESIGN.md field path
// ("Via[0].sent-by", "Contact[0].uri.host", "Refer-To.uri.Replaces",
// "sdp.c", "sdp.m[0].port", "Content-Length", "Request-URI"...).
//
// # Paths
//
// A header is named as usually written (the parser's full name for a known
// header, compact forms included). Via, Contact, Route and Record-Route
// values always carry an index; another header carries one only when it
// repeats on either side. Inside a value the finest field is reported:
//
//	Via[i].sent-by (host:port as written), Via[i].sent-protocol, Via[i].<param>
//	X.display, X.uri.user, X.uri.password, X.uri.host, X.uri.port, X.uri.<param>,
//	X.uri.Replaces (compared %-decoded), X.uri.?<header>, X.tag, X.<param>
//	Authorization.scheme, Authorization.<param> (quotes stripped)
//	Call-ID, CSeq, Content-Length and other headers: the whole value
//	Method, Request-URI (whole), SIP-Version, Status, Reason
//	sdp.o, sdp.c, sdp.<type> (whole line value), sdp.m[i].media, .port, .proto,
//	.fmt, sdp.m[i].c, sdp.a[name] and sdp.m[i].a[name] (the whole attribute
//	text after "a="), with [k] appended when the attribute repeats
//	body (bytes outside the SDP), extra (bytes beyond Content-Length)
//
// A value present on one side only is [Added] or [Removed] as a whole. A
// header whose fields all compare equal but whose bytes differ (whitespace,
// parameter order, name case), a compact/full name change and a parser
// diagnostic present on one side only are [Syntax] changes.
package fielddiff

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/sipalg/sipalg/analyze/sdp"
	"github.com/sipalg/sipalg/analyze/sipmsg"
)

// Kind classifies a Change.
type Kind uint8

// Kinds of change.
const (
	Changed Kind = iota + 1
	Added
	Removed
	Reordered
	// Syntax is a difference in how something is written rather than in a
	// field value: a lost ';' flagged by the parser, a compact name, spacing.
	Syntax
)

// String returns the lower-case name of k.
func (k Kind) String() string {
	switch k {
	case Changed:
		return "changed"
	case Added:
		return "added"
	case Removed:
		return "removed"
	case Reordered:
		return "reordered"
	case Syntax:
		return "syntax"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Change is one difference between the two sides of a message.
type Change struct {
	// Field is the DESIGN.md field path (see the package documentation).
	Field string
	Kind  Kind
	// Before is the value in the message as it entered the router, After as
	// it left; nil when absent. A parameter without a value is empty, not nil.
	Before, After []byte
	// SpanA and SpanB locate the values in each message; zero when absent.
	SpanA, SpanB sipmsg.Span
	// Code is the parser diagnostic behind a Syntax change ("" otherwise,
	// and for Syntax changes that are not diagnostics).
	Code string
}

// Diff returns every difference between a, the message as it entered the
// router, and b, the message as it left. Identical messages give nil. The
// order is deterministic: fields in the order of a, then fields only in b.
func Diff(a, b *sipmsg.Message) []Change {
	return DiffSessions(a, b, nil, nil)
}

// DiffSessions is [Diff] for a caller that has parsed the messages' SDP
// bodies already (sa is a's, sb b's; nil: parsed here when needed), as
// sdp.Parse(m.Raw, body) of the body SDPBody names: match keeps them for
// the rules, which would parse them again.
func DiffSessions(a, b *sipmsg.Message, sa, sb *sdp.Session) []Change {
	if a == nil || b == nil {
		return nil
	}
	if bytes.Equal(a.Raw, b.Raw) {
		return nil
	}
	return diffSessions(a, b, sa, sb)
}

// diff is Diff without the identical-bytes shortcut (the fuzz target checks
// that the field comparison itself finds nothing in identical messages).
func diff(a, b *sipmsg.Message) []Change { return diffSessions(a, b, nil, nil) }

func diffSessions(a, b *sipmsg.Message, sa, sb *sdp.Session) []Change {
	if a.NotSIP || b.NotSIP {
		if bytes.Equal(a.Raw, b.Raw) {
			return nil
		}
		return []Change{{Field: "message", Kind: Changed, Before: a.Raw, After: b.Raw,
			SpanA: sipmsg.Span{Off: 0, End: len(a.Raw)}, SpanB: sipmsg.Span{Off: 0, End: len(b.Raw)}}}
	}
	va, vb := newView(a), newView(b)
	va.given, vb.given = sa, sb
	defer va.release()
	defer vb.release()
	va.collect()
	vb.collect()
	// Path indices: a base name that repeats on either side gets [k].
	va.finish(vb)
	vb.finish(va)

	d := differ{a: va, b: vb, out: va.changes[:0]}
	d.run()
	va.changes = d.out
	if len(d.out) == 0 {
		return nil
	}
	// The changes go out in a slice of their own size: a fresh one of
	// 16 per diff was a twelfth of a SIP-heavy run's allocations.
	return slices.Clone(d.out)
}

// elemKind says how an element splits into leaves.
type elemKind uint8

const (
	kindWhole elemKind = iota
	kindVia
	kindAddr
	kindAuth
	kindMedia
)

// elem is one comparable unit: a start-line element, one header value (one
// via-parm, one name-addr), one SDP line, the body outside SDP.
type elem struct {
	base string // path without its index
	k    int    // occurrence of base on this side
	ci   int    // index of base in the view's counts
	path string
	kind elemKind
	span sipmsg.Span // the whole value
	hdr  int         // header index, -1 when not a header
	// first is set on the first element of a header line.
	first bool
	// via, addr and media are the parsed value (pointers, not copies:
	// an element was 480 bytes, copied and cleared per field per diff).
	via   *sipmsg.Via
	addr  *sipmsg.Addr
	media *sdp.Media
	// leaves are filled by fillLeaves when the differ needs them.
	leaves     []leaf
	leavesDone bool
}

// leaf is one field inside an element; path is relative to the element's.
type leaf struct {
	path  string
	span  sipmsg.Span
	unesc bool // compare %-decoded (Replaces)
}

// view is one message split into elements.
type view struct {
	m     *sipmsg.Message
	raw   []byte
	elems []elem
	// counts is how many elements of each base the view has, in the
	// order the bases came; countIdx indexes it by base once it is long
	// (a message has a dozen bases: a scan was cheaper than a map).
	counts   []baseCount
	countIdx map[string]int
	sess     *sdp.Session
	// leafBuf backs the leaves of every element; paths interns the
	// field paths built from the message's bytes (parameter and
	// attribute names, indexed bases), and scratch builds them: both
	// survive the view's reuse, so a steady stream of messages builds
	// no strings for its paths (issue 15).
	// given is the SDP session the caller parsed, if any.
	given   *sdp.Session
	leafBuf []leaf
	paths   map[string]string
	scratch []byte
	// addrBuf holds the From and To values the message returns by value
	// (its elements point at them), addrs the other address headers'
	// values parsed here, by name.
	addrBuf []sipmsg.Addr
	addrs   map[string][]sipmsg.Addr
	// changes is the differ's scratch, kept by the first view.
	changes []Change
}

// maxPaths bounds the paths a view interns: names come from the
// captures, which may hold any number of distinct ones.
const maxPaths = 1024

func ascii(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// path returns the string of b, interned.
func (v *view) path(b []byte) string {
	if s, ok := v.paths[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(v.paths) < maxPaths {
		v.paths[s] = s
	}
	return s
}

// pathOf returns prefix, then name (lower-cased as strings.ToLower does
// when lower), then suffix, interned.
func (v *view) pathOf(prefix string, name []byte, lower bool, suffix string) string {
	if lower && !ascii(name) {
		return prefix + strings.ToLower(string(name)) + suffix
	}
	b := append(v.scratch[:0], prefix...)
	for _, c := range name {
		if lower && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	b = append(b, suffix...)
	v.scratch = b
	return v.path(b)
}

// views recycles views: an element is 480 bytes and a message with SDP
// has about 40, so growing a fresh slice per diff was a fifth of the CPU of
// a SIP-heavy analysis (issue 15). Changes keep no reference into a view.
var views = sync.Pool{New: func() any { return &view{paths: map[string]string{}} }}

func newView(m *sipmsg.Message) *view {
	v := views.Get().(*view)
	v.m, v.raw = m, m.Raw
	return v
}

// release returns v to the pool, dropping what it points at.
func (v *view) release() {
	clear(v.elems)
	v.elems = v.elems[:0]
	clear(v.leafBuf)
	v.leafBuf = v.leafBuf[:0]
	clear(v.counts)
	v.counts = v.counts[:0]
	v.countIdx = nil
	clear(v.addrBuf)
	v.addrBuf = v.addrBuf[:0]
	clear(v.addrs)
	clear(v.changes)
	v.changes = v.changes[:0]
	v.m, v.raw, v.sess, v.given = nil, nil, nil, nil
	views.Put(v)
}

// val returns the bytes of s: empty (not nil) for an empty span at a real
// position, nil for the zero span.
func (v *view) val(s sipmsg.Span) []byte {
	if s.IsZero() && s.Off == 0 {
		return nil
	}
	if s.Off < 0 || s.End > len(v.raw) || s.Off > s.End {
		return nil
	}
	return v.raw[s.Off:s.End:s.End]
}

func (v *view) add(e elem) {
	i := v.countIndex(e.base)
	if i < 0 {
		i = len(v.counts)
		v.counts = append(v.counts, baseCount{base: e.base})
		if v.countIdx != nil {
			v.countIdx[e.base] = i
		} else if len(v.counts) > maxScannedBases {
			v.countIdx = make(map[string]int, 2*len(v.counts))
			for j, c := range v.counts {
				v.countIdx[c.base] = j
			}
		}
	}
	e.k, e.ci = v.counts[i].n, i
	v.counts[i].n++
	v.elems = append(v.elems, e)
}

// baseCount counts a view's elements of one base.
type baseCount struct {
	base string
	n    int
	// repeated: the base repeats on either side (finish sets it).
	repeated bool
}

// maxScannedBases is how many bases a view scans for a count before it
// indexes them in a map: a hostile message may have thousands.
const maxScannedBases = 32

// countIndex returns the index in v.counts of base, or -1.
func (v *view) countIndex(base string) int {
	if v.countIdx != nil {
		if i, ok := v.countIdx[base]; ok {
			return i
		}
		return -1
	}
	for i := range v.counts {
		if v.counts[i].base == base {
			return i
		}
	}
	return -1
}

// alwaysIndexedBases lists the bases that carry an index even when
// single; indexedPaths their first paths ("Via[0]", "Via[1]"...), built
// once, so that a diff builds no string for them.
var (
	alwaysIndexedBases = [...]string{"Via", "Contact", "Route", "Record-Route", "sdp.m"}
	indexedPaths       = func() (ps [len(alwaysIndexedBases)][maxIndexedPath]string) {
		for i, base := range alwaysIndexedBases {
			for k := range ps[i] {
				ps[i][k] = base + "[" + strconv.Itoa(k) + "]"
			}
		}
		return ps
	}()
)

// maxIndexedPath bounds the indexes indexedPaths holds: a message
// through a few proxies has a handful of Vias.
const maxIndexedPath = 8

// indexedBase returns the index of base in alwaysIndexedBases, or -1.
func indexedBase(base string) int {
	switch base {
	case "Via":
		return 0
	case "Contact":
		return 1
	case "Route":
		return 2
	case "Record-Route":
		return 3
	case "sdp.m":
		return 4
	}
	return -1
}

// alwaysIndexed reports whether base carries an index even when single.
func alwaysIndexed(base string) bool { return indexedBase(base) >= 0 }

// isAddrHeader reports whether the values of the header called name are
// name-addr / addr-spec.
func isAddrHeader(name string) bool {
	switch name {
	case "From", "To", "Contact", "Refer-To", "Referred-By",
		"Route", "Record-Route", "Reply-To", "P-Asserted-Identity",
		"P-Preferred-Identity", "Path", "Service-Route":
		return true
	}
	return false
}

func isAuth(name string) bool {
	switch name {
	case "Authorization", "Proxy-Authorization", "WWW-Authenticate", "Proxy-Authenticate":
		return true
	}
	return false
}

// canonical returns the path spelling of a header name the parser does not
// know: each '-'-separated word capitalised, as the fixture generator does.
func canonical(name []byte) string {
	b := []byte(strings.ToLower(string(name)))
	up := true
	for i, c := range b {
		if up && c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
		up = c == '-'
	}
	return string(b)
}

// headerName returns the path name of header h.
func (v *view) headerName(h sipmsg.Header) string {
	if h.Full() != "" {
		return h.Full()
	}
	return canonical(v.val(h.Name))
}

// trimRight drops trailing spaces and tabs from s.
func (v *view) trimRight(s sipmsg.Span) sipmsg.Span {
	for s.End > s.Off && (v.raw[s.End-1] == ' ' || v.raw[s.End-1] == '\t') {
		s.End--
	}
	return s
}

func within(s sipmsg.Span, in sipmsg.Span) bool { return s.Off >= in.Off && s.End <= in.End }

// collect splits the message into elements (paths are set by finish).
func (v *view) collect() {
	m := v.m
	if m.IsRequest {
		v.add(elem{base: "Method", span: m.Method, hdr: -1})
		v.add(elem{base: "Request-URI", span: m.RequestURI, hdr: -1})
		v.add(elem{base: "SIP-Version", span: m.Version, hdr: -1})
	} else {
		v.add(elem{base: "SIP-Version", span: m.Version, hdr: -1})
		v.add(elem{base: "Status", span: m.Status, hdr: -1})
		v.add(elem{base: "Reason", span: m.Reason, hdr: -1})
	}
	vias := m.Vias()
	firstFrom, firstTo := true, true
	for i, h := range m.Headers {
		if h.NoColon {
			v.add(elem{base: "header-line", span: h.Line, hdr: i, first: true})
			continue
		}
		name := v.headerName(h)
		val := v.trimRight(h.Value)
		n := len(v.elems)
		switch {
		case name == "Via":
			for j := range vias {
				if x := &vias[j]; within(x.Span, val) {
					v.add(elem{base: name, kind: kindVia, span: x.Span, hdr: i, via: x})
				}
			}
		case isAddrHeader(name):
			var list []sipmsg.Addr
			switch {
			case name == "Contact":
				list = m.Contacts()
			case name == "From" && firstFrom, name == "To" && firstTo:
				list = v.firstAddr(h, name)
			default:
				list = v.addrList(name)
			}
			for j := range list {
				if x := &list[j]; within(x.Span, val) {
					v.add(elem{base: name, kind: kindAddr, span: x.Span, hdr: i, addr: x})
				}
			}
		case isAuth(name):
			v.add(elem{base: name, kind: kindAuth, span: val, hdr: i})
		}
		if len(v.elems) == n { // nothing parsed: the whole value
			v.add(elem{base: name, span: val, hdr: i})
		}
		v.elems[n].first = true
		switch name {
		case "From":
			firstFrom = false
		case "To":
			firstTo = false
		}
	}
	v.collectBody()
}

// firstAddr returns the addresses of h, the first From or To header (name),
// as the list the other address headers are parsed into: the message's
// own From or To value when the list cannot hold more than one (no ','),
// else parsed here.
func (v *view) firstAddr(h sipmsg.Header, name string) []sipmsg.Addr {
	if bytes.IndexByte(v.val(h.Value), ',') >= 0 {
		return v.addrList(name)
	}
	a, ok := v.m.From()
	if name == "To" {
		a, ok = v.m.To()
	}
	if !ok {
		return nil
	}
	v.addrBuf = append(v.addrBuf, a)
	return v.addrBuf[len(v.addrBuf)-1:]
}

// addrList returns the values of every header called name, parsed as
// lists of addresses, once per view.
func (v *view) addrList(name string) []sipmsg.Addr {
	if v.addrs == nil {
		v.addrs = map[string][]sipmsg.Addr{}
	}
	list, ok := v.addrs[name]
	if !ok {
		list = v.m.Addrs(name)
		v.addrs[name] = list
	}
	return list
}

// collectBody adds the SDP lines, the body bytes outside SDP and the bytes
// beyond Content-Length.
func (v *view) collectBody() {
	m := v.m
	body := m.Body
	if sp, ok := m.SDPBody(); ok && within(sp, body) {
		if sp.Off > body.Off {
			v.add(elem{base: "body", span: sipmsg.Span{Off: body.Off, End: sp.Off}, hdr: -1})
		}
		v.collectSDP(sp)
		if sp.End < body.End {
			v.add(elem{base: "body", span: sipmsg.Span{Off: sp.End, End: body.End}, hdr: -1})
		}
	} else if body.Len() > 0 {
		v.add(elem{base: "body", span: body, hdr: -1})
	}
	if m.Extra.Len() > 0 {
		v.add(elem{base: "extra", span: m.Extra, hdr: -1})
	}
}

// collectSDP adds one element per SDP line.
func (v *view) collectSDP(body sipmsg.Span) {
	s := v.given
	if s == nil || s.Span != body || len(s.Raw) != len(v.raw) || len(v.raw) == 0 || &s.Raw[0] != &v.raw[0] {
		s = sdp.Parse(v.raw, body)
	}
	v.sess = s
	mi := -1
	prefix := "sdp."
	for _, l := range s.Lines {
		for mi+1 < len(s.Media) && l.Off >= s.Media[mi+1].Off {
			mi++
			var n [20]byte
			prefix = v.pathOf("sdp.m[", strconv.AppendInt(n[:0], int64(mi), 10), false, "].")
		}
		switch l.Type {
		case 0:
			if l.Text.Len() > 0 {
				v.add(elem{base: v.pathOf(prefix, nil, false, "line"), span: l.Text, hdr: -1})
			}
		case 'm':
			if mi >= 0 && s.Media[mi].Line.Off == l.Off {
				v.add(elem{base: "sdp.m", kind: kindMedia, span: l.Value, hdr: -1, media: &s.Media[mi]})
			} else {
				v.add(elem{base: v.pathOf(prefix, nil, false, "m"), span: l.Value, hdr: -1})
			}
		case 'a':
			name := l.Value
			if i := bytes.IndexByte(v.raw[name.Off:name.End], ':'); i >= 0 {
				name.End = name.Off + i
			}
			v.add(elem{base: v.pathOf(prefix+"a[", v.raw[name.Off:name.End], false, "]"), span: l.Value, hdr: -1})
		default:
			v.add(elem{base: v.pathOf(prefix, []byte{l.Type}, false, ""), span: l.Value, hdr: -1})
		}
	}
}

// finish sets every element's path: a base that repeats on either side
// (v or other) gets its index.
func (v *view) finish(other *view) {
	for i := range v.counts {
		c := &v.counts[i]
		c.repeated = c.n > 1
		if !c.repeated {
			if j := other.countIndex(c.base); j >= 0 {
				c.repeated = other.counts[j].n > 1
			}
		}
	}
	for i := range v.elems {
		e := &v.elems[i]
		e.path = e.base
		if b := indexedBase(e.base); b >= 0 && e.k < maxIndexedPath {
			e.path = indexedPaths[b][e.k]
			continue
		}
		if alwaysIndexed(e.base) || v.counts[e.ci].repeated {
			var n [20]byte
			e.path = v.pathOf(e.base+"[", strconv.AppendInt(n[:0], int64(e.k), 10), false, "]")
		}
	}
}

// fillLeaves splits e into its fields, once. It is done only for
// elements the differ compares field by field: most header values are
// the same bytes on both sides, and splitting every one of them was most
// of a diff's allocations (issue 15).
func (v *view) fillLeaves(e *elem) {
	if e.leavesDone {
		return
	}
	e.leavesDone = true
	start := len(v.leafBuf)
	switch e.kind {
	case kindVia:
		v.leafBuf = v.viaLeaves(v.leafBuf, e.via)
	case kindAddr:
		v.leafBuf = v.addrLeaves(v.leafBuf, e.addr)
	case kindAuth:
		v.leafBuf = v.authLeaves(v.leafBuf, e.span)
	case kindMedia:
		v.leafBuf = v.mediaLeaves(v.leafBuf, e.media)
	}
	end := len(v.leafBuf)
	e.leaves = v.leafBuf[start:end:end]
}

// paramLeaves appends one leaf per parameter, named prefix+lower(name); a
// repeated name gets "#2", "#3"... as the fixture generator names them.
func (v *view) paramLeaves(out []leaf, ps []sipmsg.Param, prefix string) []leaf {
	for i, p := range ps {
		name := v.val(p.Name)
		n := 1
		for _, q := range ps[:i] {
			if bytes.EqualFold(v.val(q.Name), name) {
				n++
			}
		}
		path := v.pathOf(prefix, name, true, "")
		if n > 1 {
			path += "#" + strconv.Itoa(n)
		}
		sp := p.Value
		if sp.IsZero() { // no '=': present with an empty value, at the name's end
			sp = sipmsg.Span{Off: p.Name.End, End: p.Name.End}
		}
		out = append(out, leaf{path: path, span: sp})
	}
	return out
}

func (v *view) viaLeaves(out []leaf, x *sipmsg.Via) []leaf {
	if !x.ProtoName.IsZero() {
		out = append(out, leaf{path: ".sent-protocol", span: sipmsg.Span{Off: x.ProtoName.Off, End: max(x.ProtoName.End, x.Transport.End)}})
	}
	if !x.Host.IsZero() {
		end := x.Host.End
		if !x.Port.IsZero() {
			end = x.Port.End
		}
		out = append(out, leaf{path: ".sent-by", span: sipmsg.Span{Off: x.Host.Off, End: end}})
	}
	return v.paramLeaves(out, x.Params, ".")
}

func (v *view) addrLeaves(out []leaf, x *sipmsg.Addr) []leaf {
	if !x.Display.IsZero() {
		out = append(out, leaf{path: ".display", span: x.Display})
	}
	u := x.URI
	switch {
	case x.Star:
		out = append(out, leaf{path: ".uri", span: x.Span})
	case u.Host.IsZero() && u.User.IsZero():
		out = append(out, leaf{path: ".uri", span: u.Span})
	default:
		if !u.Scheme.IsZero() {
			out = append(out, leaf{path: ".uri.scheme", span: u.Scheme})
		}
		if !u.User.IsZero() {
			out = append(out, leaf{path: ".uri.user", span: u.User})
		}
		if !u.Password.IsZero() {
			out = append(out, leaf{path: ".uri.password", span: u.Password})
		}
		if !u.Host.IsZero() {
			out = append(out, leaf{path: ".uri.host", span: u.Host})
		}
		if !u.Port.IsZero() {
			out = append(out, leaf{path: ".uri.port", span: u.Port})
		}
		out = v.paramLeaves(out, u.ParamList(v.raw), ".uri.")
		for _, h := range u.HeaderList(v.raw) {
			name := string(v.val(h.Name))
			path := ".uri.?" + name
			unesc := false
			if strings.EqualFold(name, "Replaces") {
				path, unesc = ".uri.Replaces", true
			}
			sp := h.Value
			if sp.IsZero() {
				sp = sipmsg.Span{Off: h.Name.End, End: h.Name.End}
			}
			out = append(out, leaf{path: path, span: sp, unesc: unesc})
		}
	}
	return v.paramLeaves(out, x.Params, ".")
}

// authLeaves splits "Digest name=value, name="value"" into a scheme leaf
// and one leaf per auth-param, quotes stripped.
func (v *view) authLeaves(out []leaf, s sipmsg.Span) []leaf {
	b := v.raw
	i := s.Off
	for i < s.End && b[i] != ' ' && b[i] != '\t' {
		i++
	}
	out = append(out, leaf{path: ".scheme", span: sipmsg.Span{Off: s.Off, End: i}})
	for i < s.End {
		for i < s.End && (b[i] == ' ' || b[i] == '\t' || b[i] == ',' || b[i] == '\r' || b[i] == '\n') {
			i++
		}
		if i >= s.End {
			break
		}
		ns := i
		for i < s.End && b[i] != '=' && b[i] != ',' {
			i++
		}
		ne := i
		for ne > ns && (b[ne-1] == ' ' || b[ne-1] == '\t') {
			ne--
		}
		vs, ve := i, i
		if i < s.End && b[i] == '=' {
			i++
			for i < s.End && (b[i] == ' ' || b[i] == '\t') {
				i++
			}
			vs = i
			if i < s.End && b[i] == '"' {
				i++
				vs = i
				for i < s.End && b[i] != '"' {
					if b[i] == '\\' {
						i++
					}
					i++
				}
				ve = min(i, s.End)
				i++
			} else {
				for i < s.End && b[i] != ',' {
					i++
				}
				ve = i
				for ve > vs && (b[ve-1] == ' ' || b[ve-1] == '\t') {
					ve--
				}
			}
		}
		out = append(out, leaf{path: v.pathOf(".", b[ns:ne], true, ""), span: sipmsg.Span{Off: vs, End: ve}})
		for i < s.End && b[i] != ',' {
			i++
		}
	}
	return out
}

func (v *view) mediaLeaves(out []leaf, m *sdp.Media) []leaf {
	if !m.MediaType.IsZero() {
		out = append(out, leaf{path: ".media", span: m.MediaType})
	}
	if !m.Port.IsZero() {
		sp := m.Port
		if !m.NumPorts.IsZero() {
			sp.End = m.NumPorts.End
		}
		out = append(out, leaf{path: ".port", span: sp})
	}
	if !m.Proto.IsZero() {
		out = append(out, leaf{path: ".proto", span: m.Proto})
	}
	if !m.Fmts.IsZero() {
		out = append(out, leaf{path: ".fmt", span: m.Fmts})
	}
	return out
}
