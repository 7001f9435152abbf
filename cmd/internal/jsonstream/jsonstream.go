// Package jsonstream writes a value as indented JSON, byte for byte what
// encoding/json's Encoder writes with SetIndent("", "  "), without holding
// the whole document in memory: a struct is written field by field and a
// slice element by element, each through encoding/json.
//
// Why (2026-11, issue 9): the Encoder marshals the whole value into one
// buffer and indents it into a second before writing; a report of the
// benchmark capture is 11 MB, and one at the default bound of 200,000
// messages several hundred, held twice. Here the largest buffer is one
// message or finding.
package jsonstream

import (
	"bufio"
	"bytes"
	"encoding"
	"encoding/json"
	"io"
	"reflect"
	"strings"
)

const indent = "  "

// Encode writes v to w as json.Encoder with SetIndent("", "  ") would,
// newline included.
func Encode(w io.Writer, v any) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	e := &encoder{w: bw}
	e.value(reflect.ValueOf(v), "")
	if e.err == nil {
		_, e.err = bw.WriteString("\n")
	}
	if e.err == nil {
		e.err = bw.Flush()
	}
	return e.err
}

type encoder struct {
	w   *bufio.Writer
	err error
	buf bytes.Buffer
}

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// custom reports whether t (or *t) encodes itself.
func custom(t reflect.Type) bool {
	return t.Implements(marshalerType) || t.Implements(textMarshalerType) ||
		reflect.PointerTo(t).Implements(marshalerType) || reflect.PointerTo(t).Implements(textMarshalerType)
}

// value writes v, whose first line is already indented, its others by
// prefix.
func (e *encoder) value(v reflect.Value, prefix string) {
	if e.err != nil {
		return
	}
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && !v.IsNil() && !custom(v.Type()) {
		v = v.Elem()
	}
	switch {
	case !v.IsValid() || custom(v.Type()):
	case v.Kind() == reflect.Struct && streamable(v.Type()):
		e.object(v, prefix)
		return
	case v.Kind() == reflect.Slice && !v.IsNil() && v.Type().Elem().Kind() != reflect.Uint8:
		e.array(v, prefix)
		return
	}
	e.leaf(v, prefix)
}

// leaf writes v through encoding/json.
func (e *encoder) leaf(v reflect.Value, prefix string) {
	var x any
	switch {
	case v.CanAddr():
		// As encoding/json does for an addressable value, let a
		// MarshalJSON on the pointer type run.
		x = v.Addr().Interface()
	case v.IsValid():
		x = v.Interface()
	}
	b, err := json.Marshal(x)
	if err != nil {
		e.err = err
		return
	}
	e.buf.Reset()
	if err := json.Indent(&e.buf, b, prefix, indent); err != nil {
		e.err = err
		return
	}
	_, e.err = e.w.Write(e.buf.Bytes())
}

func (e *encoder) array(v reflect.Value, prefix string) {
	if v.Len() == 0 {
		e.write("[]")
		return
	}
	in := prefix + indent
	e.write("[\n")
	for i := 0; i < v.Len(); i++ {
		if i > 0 {
			e.write(",\n")
		}
		e.write(in)
		e.value(v.Index(i), in)
	}
	e.write("\n" + prefix + "]")
}

// streamed writes an array from each, as array writes a slice; each
// element comes indented for elemPrefix, and is re-indented when that is
// not the array's (json.Indent drops the whitespace it finds).
func (e *encoder) streamed(each func(yield func([]byte) error) error, elemPrefix, prefix string) {
	in := prefix + indent
	n := 0
	err := each(func(b []byte) error {
		if n == 0 {
			e.write("[\n")
		} else {
			e.write(",\n")
		}
		n++
		e.write(in)
		if elemPrefix != in {
			e.buf.Reset()
			if err := json.Indent(&e.buf, b, in, indent); err != nil {
				return err
			}
			b = e.buf.Bytes()
		}
		if e.err == nil {
			_, e.err = e.w.Write(b)
		}
		return e.err
	})
	if err != nil && e.err == nil {
		e.err = err
	}
	if n == 0 {
		e.write("[]")
		return
	}
	e.write("\n" + prefix + "]")
}

// field is one JSON member of a struct type.
type field struct {
	index     int
	name      string
	omitEmpty bool
	omitZero  bool
}

// streamable reports whether the fields of t can be written one by one
// as encoding/json would: no embedded fields and no ",string" option,
// whose rules are not repeated here (such a struct is written whole).
func streamable(t reflect.Type) bool {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			return false
		}
		if _, opts, _ := strings.Cut(f.Tag.Get("json"), ","); strings.Contains(","+opts+",", ",string,") {
			return false
		}
	}
	return true
}

func fields(t reflect.Type) []field {
	var fs []field
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		fs = append(fs, field{index: i, name: name,
			omitEmpty: strings.Contains(","+opts+",", ",omitempty,"), omitZero: strings.Contains(","+opts+",", ",omitzero,")})
	}
	return fs
}

// FieldStreamer is a struct whose list fields may be written from an
// iterator rather than from their values: a report whose messages were
// spooled to disk. StreamJSONField returns the iterator of field name's
// elements, each JSON indented as json.Indent with prefix (and a two-space
// indent) writes it, or false to write the field's value. An elem is
// valid only until yield returns.
type FieldStreamer interface {
	StreamJSONField(name string) (each func(yield func(elem []byte) error) error, prefix string, ok bool)
}

func (e *encoder) object(v reflect.Value, prefix string) {
	in := prefix + indent
	n := 0
	var fstr FieldStreamer
	if v.CanAddr() {
		fstr, _ = v.Addr().Interface().(FieldStreamer)
	}
	for _, f := range fields(v.Type()) {
		if fstr != nil {
			if each, elemPrefix, ok := fstr.StreamJSONField(f.name); ok {
				if n == 0 {
					e.write("{\n")
				} else {
					e.write(",\n")
				}
				n++
				e.write(in + `"` + f.name + `": `)
				e.streamed(each, elemPrefix, in)
				continue
			}
		}
		fv := v.Field(f.index)
		if f.omitEmpty && isEmpty(fv) || f.omitZero && isZero(fv) {
			continue
		}
		if n == 0 {
			e.write("{\n")
		} else {
			e.write(",\n")
		}
		n++
		name, err := json.Marshal(f.name)
		if err != nil {
			e.err = err
			return
		}
		e.write(in)
		e.write(string(name))
		e.write(": ")
		e.value(fv, in)
	}
	if n == 0 {
		e.write("{}")
		return
	}
	e.write("\n" + prefix + "}")
}

// isEmpty is encoding/json's notion of empty, for omitempty.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// isZero is encoding/json's notion of zero, for omitzero: an IsZero
// method when there is one, else the zero value.
func isZero(v reflect.Value) bool {
	type zeroer interface{ IsZero() bool }
	if z, ok := v.Interface().(zeroer); ok {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return true
		}
		return z.IsZero()
	}
	if v.CanAddr() {
		if z, ok := v.Addr().Interface().(zeroer); ok {
			return z.IsZero()
		}
	}
	return v.IsZero()
}

func (e *encoder) write(s string) {
	if e.err == nil {
		_, e.err = e.w.WriteString(s)
	}
}
