// Package flowcache holds the tables the per-packet paths find flows in:
// [Table], keyed by a flow hashed with [Seed] and [AddrPort]. The packets
// of a capture belong to a few thousand live flows, and these hashes cost
// two or three multiplies where the runtime's map hashes a 40- to 72-byte
// key (issue 9: those hashes were a tenth of analyze's time).
package flowcache

import (
	"encoding/binary"
	"net/netip"
)

const (
	seed  = 0x9e3779b97f4a7c15
	prime = 0xbf58476d1ce4e5b9
)

// Seed starts a hash.
func Seed(v uint64) uint64 { return (v + seed) * prime }

// AddrPort adds an endpoint to hash h.
func AddrPort(h uint64, ap netip.AddrPort) uint64 {
	a := ap.Addr()
	if a.Is4() {
		// One multiply for the common case: 32 address bits and 16 port
		// bits fit one word.
		b := a.As4()
		h = (h ^ uint64(binary.BigEndian.Uint32(b[:]))<<16 ^ uint64(ap.Port())) * prime
		return h ^ h>>29
	}
	b := a.As16()
	h = (h ^ binary.LittleEndian.Uint64(b[:8])) * prime
	h = (h ^ binary.LittleEndian.Uint64(b[8:])) * prime
	h = (h ^ uint64(ap.Port()) ^ 6<<56) * prime
	return h ^ h>>29
}
