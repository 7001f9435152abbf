// Package jsontext appends JSON values byte for byte as encoding/json
// writes them (json.Marshal, then json.Indent with a two-space indent), for
// the few report types written millions of times: the messages and
// findings of a SIP-heavy capture. Reflection and re-indenting were a fifth
// of the CPU of such a run (issue 15); a type that writes itself with this
// package is checked against encoding/json by its own tests.
package jsontext

import (
	"encoding/json"
	"math"
	"strconv"
	"unicode/utf8"
)

// Indent is the indent of one level, as the report writer uses.
const Indent = "  "

// safe marks the ASCII bytes encoding/json writes as they are (with HTML
// escaping on, as json.Marshal has it).
var safe = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = true
	}
	for _, c := range `"\<>&` {
		t[c] = false
	}
	return t
}()

// String appends s as a JSON string: a string, or the bytes of one (as
// a record read back from a spool holds them; not base64 as
// encoding/json writes a []byte).
func String[T string | []byte](dst []byte, s T) []byte {
	for i := 0; i < len(s); i++ {
		if safe[s[i]] {
			continue
		}
		if s[i] >= utf8.RuneSelf {
			// Valid UTF-8 goes as it is, U+2028 and U+2029 aside.
			//
			// Why (2026-12, issue 15): every finding's refs cite a
			// section ("RFC 3261 §8.1.1.8"), and handing those to
			// encoding/json took 1 µs of the 1.3 µs a finding's JSON
			// cost, with two allocations.
			var r [utf8.UTFMax]byte
			c, size := utf8.DecodeRune(r[:copy(r[:], s[i:])])
			if !(c == utf8.RuneError && size == 1) && c != '\u2028' && c != '\u2029' {
				i += size - 1
				continue
			}
		}
		// Escapes, invalid UTF-8 and U+2028/2029 are rare in what the
		// report holds: encoding/json writes those.
		b, _ := json.Marshal(string(s)) // a string always marshals
		return append(dst, b...)
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// Float64 appends f as encoding/json writes a float64 (like %g, with
// the exponent cutoffs of ES6 number-to-string); false, with dst as it
// was, for NaN and the infinities, which encoding/json refuses.
func Float64(dst []byte, f float64) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return dst, false
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// e-09 is written e-9.
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, true
}

// Int appends n.
func Int(dst []byte, n int) []byte { return strconv.AppendInt(dst, int64(n), 10) }

// IntPtr appends *p, or null.
func IntPtr(dst []byte, p *int) []byte {
	if p == nil {
		return append(dst, "null"...)
	}
	return Int(dst, *p)
}

// Bool appends b.
func Bool(dst []byte, b bool) []byte { return strconv.AppendBool(dst, b) }

// Object writes the members of one JSON object, indented as json.Indent
// would with prefix and [Indent]: the opening brace is on the current
// line, each member on its own.
type Object struct {
	Buf    []byte
	prefix string
	n      int
}

// NewObject starts an object in dst whose closing brace is at prefix.
func NewObject(dst []byte, prefix string) Object {
	return Object{Buf: dst, prefix: prefix}
}

// Key starts the member name; the caller appends its value to o.Buf.
// The name is written as it is: a field name of the report, which JSON
// writes unescaped (the types' tests against encoding/json hold them to
// it).
//
// Why (2026-12, issue 15): checking each byte of each name of each
// message and finding was 1% of the 73k SIP-heavy pair's CPU.
func (o *Object) Key(name string) {
	if o.n == 0 {
		o.Buf = append(o.Buf, '{')
	} else {
		o.Buf = append(o.Buf, ',')
	}
	o.n++
	o.Buf = append(o.Buf, '\n')
	o.Buf = append(o.Buf, o.prefix...)
	o.Buf = append(o.Buf, Indent+`"`...)
	o.Buf = append(o.Buf, name...)
	o.Buf = append(o.Buf, `": `...)
}

// List appends a member's list of n values, each appended by elem (isNil
// writes null, as encoding/json writes a nil slice).
func (o *Object) List(n int, isNil bool, elem func(dst []byte, i int) []byte) {
	if o.open(n, isNil) {
		for i := range n {
			o.elem(i)
			o.Buf = elem(o.Buf, i)
		}
		o.close()
	}
}

// open writes null or [] and returns false, or starts a list of n.
func (o *Object) open(n int, isNil bool) bool {
	switch {
	case isNil:
		o.Buf = append(o.Buf, "null"...)
	case n == 0:
		o.Buf = append(o.Buf, "[]"...)
	default:
		o.Buf = append(o.Buf, '[')
		return true
	}
	return false
}

func (o *Object) elem(i int) {
	if i > 0 {
		o.Buf = append(o.Buf, ',')
	}
	o.Buf = append(o.Buf, '\n')
	o.Buf = append(o.Buf, o.prefix...)
	o.Buf = append(o.Buf, Indent+Indent...)
}

func (o *Object) close() {
	o.Buf = append(o.Buf, '\n')
	o.Buf = append(o.Buf, o.prefix...)
	o.Buf = append(o.Buf, Indent+"]"...)
}

// End closes the object and returns the buffer.
func (o *Object) End() []byte {
	if o.n == 0 {
		return append(o.Buf, "{}"...)
	}
	o.Buf = append(o.Buf, '\n')
	o.Buf = append(o.Buf, o.prefix...)
	return append(o.Buf, '}')
}
