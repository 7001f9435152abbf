// Package record reads the binary records sipalg's spools and logs hold:
// uvarints, varints, bytes, length-prefixed byte strings and addresses,
// written with encoding/binary's Append functions, [AppendBytes] and
// [AppendAddrPort]. A Reader
// remembers its first failure (a short or malformed record) and returns
// zero values after it, so a decoder reads a whole record and checks once.
package record

import (
	"encoding/binary"
	"net/netip"
)

// Reader decodes one record.
type Reader struct {
	b   []byte
	bad bool
}

// NewReader returns a Reader of b.
func NewReader(b []byte) Reader { return Reader{b: b} }

// Fail marks the record damaged: every later read gives a zero value.
func (r *Reader) Fail() {
	r.bad = true
	r.b = nil
}

// Failed reports whether a read failed.
func (r *Reader) Failed() bool { return r.bad }

// Len returns the bytes left.
func (r *Reader) Len() int { return len(r.b) }

// Done reports whether the record decoded whole: no read failed and
// nothing is left.
func (r *Reader) Done() bool { return !r.bad && len(r.b) == 0 }

// Uvarint reads an unsigned varint.
func (r *Reader) Uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.Fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// Varint reads a signed varint.
func (r *Reader) Varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.Fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// Byte reads one byte.
func (r *Reader) Byte() byte {
	if len(r.b) == 0 {
		r.Fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// Next reads n bytes (nil when fewer are left); the slice is the
// record's, its capacity cut to n.
func (r *Reader) Next(n int) []byte {
	if n < 0 || n > len(r.b) {
		r.Fail()
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// Bytes reads a byte string written by [AppendBytes].
func (r *Reader) Bytes() []byte { return r.Next(r.Count()) }

// AppendBytes appends s with its length before it.
func AppendBytes(b, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// AppendString appends s with its length before it.
func AppendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// AppendAddrPort appends ap's binary form (netip's), its length first.
func AppendAddrPort(b []byte, ap netip.AddrPort) []byte { return appendBinary(b, ap) }

// AppendAddr appends a's binary form (netip's), its length first.
func AppendAddr(b []byte, a netip.Addr) []byte { return appendBinary(b, a) }

// appendBinary appends v's binary form, its length (under 256 bytes)
// first.
func appendBinary[T interface{ AppendBinary([]byte) ([]byte, error) }](b []byte, v T) []byte {
	n := len(b)
	b = append(b, 0)
	b, _ = v.AppendBinary(b) // netip's never fails
	b[n] = byte(len(b) - n - 1)
	return b
}

// AddrPort reads an address and port written by [AppendAddrPort].
//
// AddrPort and Addr are written out, not one generic reader: a type
// parameter's UnmarshalBinary made the value escape, an allocation per
// read.
func (r *Reader) AddrPort() netip.AddrPort {
	b := r.Next(int(r.Byte()))
	var ap netip.AddrPort
	if !r.bad && ap.UnmarshalBinary(b) != nil {
		r.Fail()
	}
	return ap
}

// Addr reads an address written by [AppendAddr].
func (r *Reader) Addr() netip.Addr {
	b := r.Next(int(r.Byte()))
	var a netip.Addr
	if !r.bad && a.UnmarshalBinary(b) != nil {
		r.Fail()
	}
	return a
}

// Count reads the length of a list written before its elements, each of
// which takes a byte at least: a length past the bytes left fails the
// record, and Count returns 0, so that a damaged length never drives a
// loop.
func (r *Reader) Count() int {
	n := r.Uvarint()
	if n > uint64(len(r.b)) {
		r.Fail()
		return 0
	}
	return int(n)
}
