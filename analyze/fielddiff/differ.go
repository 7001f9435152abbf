package fielddiff

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/sipalg/sipalg/analyze/sipmsg"
)

// differ compares two views and collects the changes.
type differ struct {
	a, b *view
	out  []Change
}

func (d *differ) emit(c Change) {
	d.out = append(d.out, c)
}

func (d *differ) run() {
	if samePaths(d.a.elems, d.b.elems) {
		// The common case: the same fields in the same order on both
		// sides; no index needed (a map per side per message was a
		// tenth of a diff's time).
		for i := range d.a.elems {
			d.elem(&d.a.elems[i], &d.b.elems[i])
		}
	} else {
		bi := make(map[string]int, len(d.b.elems))
		for j, e := range d.b.elems {
			bi[e.path] = j
		}
		ai := make(map[string]int, len(d.a.elems))
		for i, e := range d.a.elems {
			ai[e.path] = i
		}
		for i := range d.a.elems {
			ea := &d.a.elems[i]
			j, ok := bi[ea.path]
			if !ok {
				d.emit(Change{Field: ea.path, Kind: Removed, Before: d.a.val(ea.span), SpanA: ea.span})
				continue
			}
			d.elem(ea, &d.b.elems[j])
		}
		for j := range d.b.elems {
			eb := &d.b.elems[j]
			if _, ok := ai[eb.path]; !ok {
				d.emit(Change{Field: eb.path, Kind: Added, After: d.b.val(eb.span), SpanB: eb.span})
			}
		}
	}
	d.headerOrder()
	d.diags()
}

// samePaths reports whether a and b list the same paths in the same
// order (paths are unique within a view).
func samePaths(a, b []elem) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].path != b[i].path {
			return false
		}
	}
	return true
}

// elem compares one element present on both sides.
func (d *differ) elem(ea, eb *elem) {
	va, vb := d.a.val(ea.span), d.b.val(eb.span)
	n := len(d.out)
	same := bytes.Equal(va, vb)
	// A header value or an m= line of the same bytes on both sides has
	// the same fields.
	if ea.kind == eb.kind && ea.kind != kindWhole && !same {
		d.a.fillLeaves(ea)
		d.b.fillLeaves(eb)
		d.leaves(ea, eb)
		if len(d.out) == n && !same {
			// Every field equal, bytes not: spacing, parameter order, case.
			d.emit(Change{Field: ea.path, Kind: Syntax, Before: va, After: vb, SpanA: ea.span, SpanB: eb.span})
		}
	} else if !same {
		d.emit(Change{Field: ea.path, Kind: Changed, Before: va, After: vb, SpanA: ea.span, SpanB: eb.span})
	}
	if ea.first && eb.first && ea.hdr >= 0 && eb.hdr >= 0 {
		ha, hb := d.a.m.Headers[ea.hdr], d.b.m.Headers[eb.hdr]
		na, nb := d.a.val(ha.Name), d.b.val(hb.Name)
		if !bytes.Equal(na, nb) {
			d.emit(Change{Field: ea.path, Kind: Syntax, Before: na, After: nb, SpanA: ha.Name, SpanB: hb.Name})
		}
	}
}

// leaves compares the fields of two elements: a's in order, then b's extra.
func (d *differ) leaves(ea, eb *elem) {
	for _, la := range ea.leaves {
		lb, ok := findLeaf(eb.leaves, la.path)
		va := d.a.val(la.span)
		if !ok {
			d.emit(Change{Field: d.a.join(ea.path, la.path), Kind: Removed, Before: nonNil(va), SpanA: la.span})
			continue
		}
		vb := d.b.val(lb.span)
		if la.unesc {
			if bytes.Equal(sipmsg.Unescape(va), sipmsg.Unescape(vb)) {
				continue
			}
		} else if bytes.Equal(va, vb) {
			continue
		}
		d.emit(Change{Field: d.a.join(ea.path, la.path), Kind: Changed, Before: nonNil(va), After: nonNil(vb), SpanA: la.span, SpanB: lb.span})
	}
	for _, lb := range eb.leaves {
		if _, ok := findLeaf(ea.leaves, lb.path); !ok {
			d.emit(Change{Field: d.a.join(ea.path, lb.path), Kind: Added, After: nonNil(d.b.val(lb.span)), SpanB: lb.span})
		}
	}
}

// join returns the path of a leaf of an element, interned: the same few
// fields change in message after message.
func (v *view) join(elem, leaf string) string { return v.pathOf(elem, nil, false, leaf) }

// nonNil keeps a present-but-empty value distinguishable from an absent one.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func findLeaf(ls []leaf, path string) (leaf, bool) {
	for _, l := range ls {
		if l.path == path {
			return l, true
		}
	}
	return leaf{}, false
}

// headerOrder reports a Reordered change when the header lines present on
// both sides (by name and occurrence) are not in the same relative order.
func (d *differ) headerOrder() {
	if sameHeaderNames(d.a, d.b) {
		return // the same names in the same order: nothing moved
	}
	ka, kb := headerKeys(d.a), headerKeys(d.b)
	inB := make(map[string]bool, len(kb))
	for _, k := range kb {
		inB[k] = true
	}
	inA := make(map[string]bool, len(ka))
	for _, k := range ka {
		inA[k] = true
	}
	var ca, cb []string
	for _, k := range ka {
		if inB[k] {
			ca = append(ca, k)
		}
	}
	for _, k := range kb {
		if inA[k] {
			cb = append(cb, k)
		}
	}
	for i := range ca {
		if ca[i] != cb[i] {
			d.emit(Change{Field: "header-order", Kind: Reordered,
				Before: []byte(strings.Join(ca, ", ")), After: []byte(strings.Join(cb, ", ")),
				SpanA: headerSection(d.a.m), SpanB: headerSection(d.b.m)})
			return
		}
	}
}

// sameHeaderNames reports whether a and b have header lines of the same
// path names in the same order: then their keys are equal and no header
// was reordered.
func sameHeaderNames(a, b *view) bool {
	ha, hb := a.m.Headers, b.m.Headers
	if len(ha) != len(hb) {
		return false
	}
	for i := range ha {
		if ha[i].Full() != hb[i].Full() {
			return false
		}
		if ha[i].Full() == "" && a.headerName(ha[i]) != b.headerName(hb[i]) {
			return false
		}
	}
	return true
}

// headerKeys names each header line by its path name and occurrence.
func headerKeys(v *view) []string {
	out := make([]string, 0, len(v.m.Headers))
	seen := map[string]int{}
	for _, h := range v.m.Headers {
		name := v.headerName(h)
		k := seen[name]
		seen[name]++
		if k > 0 {
			name += "#" + strconv.Itoa(k+1)
		}
		out = append(out, name)
	}
	return out
}

func headerSection(m *sipmsg.Message) sipmsg.Span {
	if len(m.Headers) == 0 {
		return sipmsg.Span{}
	}
	return sipmsg.Span{Off: m.Headers[0].Line.Off, End: m.Headers[len(m.Headers)-1].Line.End}
}

// diags reports each parser diagnostic (code, field) present on one side
// only as a Syntax change: a lost ';' flagged by the parser, a port above
// 65535, a Content-Length that no longer fits.
func (d *differ) diags() {
	da, db := diagKeys(d.a), diagKeys(d.b)
	used := make([]bool, len(db))
	var onlyA []diagKey
	for _, x := range da {
		found := false
		for j, y := range db {
			if !used[j] && x.code == y.code && x.path == y.path {
				used[j], found = true, true
				break
			}
		}
		if !found {
			onlyA = append(onlyA, x)
		}
	}
	for _, x := range onlyA {
		d.emitDiag(x)
	}
	for j, y := range db {
		if !used[j] {
			d.emitDiag(y)
		}
	}
}

func (d *differ) emitDiag(k diagKey) {
	c := Change{Field: k.path, Kind: Syntax, Code: k.code}
	if e := findElem(d.a, k.path); e != nil {
		c.Before, c.SpanA = d.a.val(e.span), e.span
	}
	if e := findElem(d.b, k.path); e != nil {
		c.After, c.SpanB = d.b.val(e.span), e.span
	}
	d.emit(c)
}

func findElem(v *view, path string) *elem {
	for i := range v.elems {
		if v.elems[i].path == path {
			return &v.elems[i]
		}
	}
	return nil
}

type diagKey struct{ code, path string }

// diagKeys locates every diagnostic of the message and its SDP.
func diagKeys(v *view) []diagKey {
	out := make([]diagKey, 0, len(v.m.Diags))
	for _, x := range v.m.Diags {
		path := v.pathAt(x.Off)
		if strings.HasPrefix(x.Code, "content-length-") {
			// Found where the body ends, but about the header.
			path = "Content-Length"
		}
		out = append(out, diagKey{x.Code, path})
	}
	if v.sess != nil {
		for _, x := range v.sess.Diags {
			out = append(out, diagKey{x.Code, v.pathAt(x.Off)})
		}
	}
	return out
}

// pathAt names the element holding offset off: the innermost element span,
// else the header line, else the message part.
func (v *view) pathAt(off int) string {
	for _, e := range v.elems {
		if off >= e.span.Off && off < e.span.End || (e.span.Len() == 0 && off == e.span.Off && off > 0) {
			return e.path
		}
	}
	for _, e := range v.elems {
		if e.hdr >= 0 {
			l := v.m.Headers[e.hdr].Line
			if off >= l.Off && off < l.End {
				return e.path
			}
		}
	}
	m := v.m
	switch {
	case off < m.StartEOL.End:
		return "start-line"
	case off >= m.Body.Off && off <= m.Body.End && !m.Body.IsZero():
		return "body"
	}
	return "message"
}
