package capture

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"

	"github.com/gopacket/gopacket/layers"
)

// pcapng block types (draft-ietf-opsawg-pcapng).
const (
	ngBlockIDB       = 0x00000001
	ngBlockPB        = 0x00000002 // obsolete Packet Block
	ngBlockSPB       = 0x00000003
	ngBlockNRB       = 0x00000004
	ngBlockISB       = 0x00000005
	ngBlockEPB       = 0x00000006
	ngBlockDSB       = 0x0000000a
	ngBlockCustom    = 0x00000bad
	ngBlockCustomNC  = 0x40000bad
	ngBlockSysdig    = 0x00000204
	ngMinBlockLen    = 12
	ngOptEndOfOpt    = 0
	ngOptIfName      = 2
	ngOptIfTsresol   = 9
	ngOptIfTsoffset  = 14
	ngDefaultTsresol = 6
	// maxBlockLen bounds one pcapng block: a packet block holds at most
	// maxRecordLen bytes of packet plus options; anything far above that is
	// corruption, not data.
	maxBlockLen = 16 << 20
	// maxInterfaces bounds the interface table of a hostile file.
	maxInterfaces = 1 << 16
)

type ngIface struct {
	global   int // index into Reader.ifaces
	linkType layers.LinkType
	snaplen  int
	tsUnit   tsUnit
	tsOffset int64 // seconds
}

// tsUnit converts pcapng timestamp units to nanoseconds.
type tsUnit struct {
	pow10 int  // units are 10^-pow10 s, when !pow2
	pow2  bool // units are 2^-shift s
	shift uint
}

func (u tsUnit) nanos(t uint64) int64 {
	if u.pow2 {
		hi, lo := bits.Mul64(t, 1e9)
		if hi >= 1<<u.shift { // result would not fit
			return int64(^uint64(0) >> 1)
		}
		q, _ := bits.Div64(hi, lo, 1<<u.shift)
		return int64(q)
	}
	switch {
	case u.pow10 == 9:
		return int64(t)
	case u.pow10 < 9:
		return int64(t * pow10u[9-u.pow10])
	default:
		return int64(t / pow10u[u.pow10-9])
	}
}

var pow10u = [...]uint64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

type ngState struct {
	section int
	ifaces  []ngIface // of the current section
}

func (r *Reader) blockName(t uint32) string {
	switch t {
	case ngBlockNRB:
		return "name resolution"
	case ngBlockISB:
		return "interface statistics"
	case ngBlockDSB:
		return "decryption secrets"
	case ngBlockCustom, ngBlockCustomNC:
		return "custom"
	case ngBlockSysdig:
		return "sysdig event"
	}
	return fmt.Sprintf("unknown type 0x%08x", t)
}

// readFirstSection reads the Section Header Block that opens the file.
func (r *Reader) readFirstSection() error {
	h, err := r.in.next(12)
	if err != nil {
		return &InputError{File: r.name, Msg: "pcapng section header cut short", Err: ErrCorrupt}
	}
	return r.readSHB(h, 0)
}

// readSHB reads a Section Header Block whose first 12 bytes are h.
func (r *Reader) readSHB(h []byte, off int64) error {
	block := r.block + 1
	switch binary.LittleEndian.Uint32(h[8:]) {
	case pcapngByteOrder:
		r.be = false
	case 0x4d3c2b1a:
		r.be = true
	default:
		return r.corrupt(block, off, "pcapng section header has byte-order magic % x, want 1a2b3c4d in either byte order", h[8:12])
	}
	blen := r.u32(h[4:])
	if blen < 28 || blen%4 != 0 || blen > maxBlockLen {
		return r.corrupt(block, off, "pcapng section header block length %d is impossible", blen)
	}
	rest, err := r.in.next(int(blen) - 12)
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return r.corrupt(block, off, "pcapng section header block cut short")
		}
		return err
	}
	if major := r.u16(rest[0:]); major != 1 {
		return r.corrupt(block, off, "pcapng version %d.%d is not 1.x", major, r.u16(rest[2:]))
	}
	if tl := r.u32(rest[len(rest)-4:]); tl != blen {
		return r.corrupt(block, off, "pcapng section header block: trailing length %d differs from leading length %d", tl, blen)
	}
	r.block = block
	if len(r.ifaces) > 0 || r.block > 1 {
		r.ng.section++
	}
	r.ng.ifaces = r.ng.ifaces[:0]
	return nil
}

func (r *Reader) nextNG(rec *Record) error {
	if r.nextEPBBuffered(rec) {
		return nil
	}
	for {
		block := r.block + 1
		off := r.in.off
		h, err := r.in.next(8)
		if err != nil {
			return r.ioError(err, r.frame+1, off, len(h), 8)
		}
		btype := r.u32(h[0:])
		if btype == pcapngBlockSHB {
			// Byte order may change: read the length after the magic.
			h3, err := r.in.next(4)
			if err != nil {
				return r.ioError(errUnexpected(err), r.frame+1, off, 8+len(h3), 12)
			}
			var hdr [12]byte
			copy(hdr[:8], h)
			copy(hdr[8:], h3)
			if err := r.readSHB(hdr[:], off); err != nil {
				return err
			}
			continue
		}
		blen := r.u32(h[4:])
		if blen < ngMinBlockLen || blen%4 != 0 || blen > maxBlockLen {
			return r.corrupt(block, off, "pcapng block of type 0x%08x has impossible length %d (must be a multiple of 4 between 12 and %d)", btype, blen, maxBlockLen)
		}
		body, err := r.in.next(int(blen) - 8)
		if err != nil {
			return r.ioError(errUnexpected(err), r.frame+1, off, 8+len(body), int(blen))
		}
		if tl := r.u32(body[len(body)-4:]); tl != blen {
			return r.corrupt(block, off, "pcapng block of type 0x%08x: trailing length %d differs from leading length %d", btype, tl, blen)
		}
		r.block = block
		body = body[:len(body)-4]
		switch btype {
		case ngBlockIDB:
			if err := r.readIDB(body, block, off); err != nil {
				return err
			}
		case ngBlockEPB:
			return r.readEPB(body, block, off, rec)
		case ngBlockSPB:
			return r.readSPB(body, block, off, rec)
		case ngBlockPB:
			return r.readPB(body, block, off, rec)
		default:
			r.skipped[r.blockName(btype)]++
		}
	}
}

func (r *Reader) readIDB(b []byte, block int, off int64) error {
	if len(b) < 8 {
		return r.corrupt(block, off, "pcapng interface description block too short (%d bytes)", len(b))
	}
	if len(r.ifaces) >= maxInterfaces {
		return r.corrupt(block, off, "more than %d interfaces", maxInterfaces)
	}
	ifc := ngIface{
		global:   len(r.ifaces),
		linkType: layers.LinkType(r.u16(b[0:])),
		snaplen:  int(r.u32(b[4:])),
		tsUnit:   tsUnit{pow10: ngDefaultTsresol},
	}
	var name string
	opts := b[8:]
	for len(opts) >= 4 {
		code := r.u16(opts[0:])
		olen := int(r.u16(opts[2:]))
		if code == ngOptEndOfOpt {
			break
		}
		padded := (olen + 3) &^ 3
		if 4+padded > len(opts) {
			// Malformed options: keep what we have (the block itself is
			// sound), never read past it, and say so.
			r.note("%s: pcapng interface description block %d (offset %d): option %d claims %d byte(s), only %d left in the block; its options from there on were ignored",
				r.name, block, off, code, olen, len(opts)-4)
			break
		}
		v := opts[4 : 4+olen]
		switch code {
		case ngOptIfName:
			name = string(v)
		case ngOptIfTsresol:
			if olen >= 1 {
				if v[0]&0x80 != 0 {
					if s := uint(v[0] & 0x7f); s <= 63 {
						ifc.tsUnit = tsUnit{pow2: true, shift: s}
					}
				} else if int(v[0]) < len(pow10u) {
					ifc.tsUnit = tsUnit{pow10: int(v[0])}
				}
			}
		case ngOptIfTsoffset:
			if olen >= 8 {
				if r.be {
					ifc.tsOffset = int64(binary.BigEndian.Uint64(v))
				} else {
					ifc.tsOffset = int64(binary.LittleEndian.Uint64(v))
				}
			}
		}
		opts = opts[4+padded:]
	}
	r.ng.ifaces = append(r.ng.ifaces, ifc)
	r.ifaces = append(r.ifaces, Interface{Name: name, LinkType: ifc.linkType, Snaplen: ifc.snaplen, Section: r.ng.section})
	return nil
}

func (r *Reader) iface(id uint32, block int, off int64) (*ngIface, error) {
	if int(id) >= len(r.ng.ifaces) || id > maxInterfaces {
		return nil, r.corrupt(block, off, "packet block names interface %d, but the section declares %d interface(s)", id, len(r.ng.ifaces))
	}
	return &r.ng.ifaces[id], nil
}

func (r *Reader) fill(rec *Record, ifc *ngIface, off int64, ts int64, data []byte, orig int) {
	r.frame++
	rec.Frame = r.frame
	rec.Offset = off
	rec.TS = ts + ifc.tsOffset*1e9
	rec.CapLen = len(data)
	rec.OrigLen = orig
	rec.Iface = ifc.global
	rec.LinkType = ifc.linkType
	rec.Data = data
}

func (r *Reader) readEPB(b []byte, block int, off int64, rec *Record) error {
	if len(b) < 20 {
		return r.corrupt(block, off, "pcapng enhanced packet block too short (%d bytes)", len(b))
	}
	ifc, err := r.iface(r.u32(b[0:]), block, off)
	if err != nil {
		return err
	}
	ts := uint64(r.u32(b[4:]))<<32 | uint64(r.u32(b[8:]))
	capLen := r.u32(b[12:])
	if int64(capLen) > int64(len(b)-20) {
		return r.corrupt(block, off, "pcapng enhanced packet block: captured length %d exceeds the block (%d bytes of data)", capLen, len(b)-20)
	}
	r.fill(rec, ifc, off, ifc.tsUnit.nanos(ts), b[20:20+capLen], int(r.u32(b[16:])))
	return nil
}

func (r *Reader) readSPB(b []byte, block int, off int64, rec *Record) error {
	if len(b) < 4 {
		return r.corrupt(block, off, "pcapng simple packet block too short")
	}
	ifc, err := r.iface(0, block, off)
	if err != nil {
		return err
	}
	orig := int(r.u32(b[0:]))
	capLen := min(orig, len(b)-4)
	if ifc.snaplen > 0 {
		capLen = min(capLen, ifc.snaplen)
	}
	// Simple packet blocks carry no timestamp.
	r.fill(rec, ifc, off, 0, b[4:4+capLen], orig)
	return nil
}

func (r *Reader) readPB(b []byte, block int, off int64, rec *Record) error {
	if len(b) < 20 {
		return r.corrupt(block, off, "pcapng packet block too short")
	}
	ifc, err := r.iface(uint32(r.u16(b[0:])), block, off)
	if err != nil {
		return err
	}
	ts := uint64(r.u32(b[4:]))<<32 | uint64(r.u32(b[8:]))
	capLen := r.u32(b[12:])
	if int64(capLen) > int64(len(b)-20) {
		return r.corrupt(block, off, "pcapng packet block: captured length %d exceeds the block", capLen)
	}
	r.fill(rec, ifc, off, ifc.tsUnit.nanos(ts), b[20:20+capLen], int(r.u32(b[16:])))
	return nil
}

// nextEPBBuffered reads the next block when it is a well-formed Enhanced
// Packet Block already in the read buffer (nearly always), with one look
// at the buffer instead of two; it reports false, having consumed
// nothing, otherwise, and nextNG reads the block and says what is wrong.
func (r *Reader) nextEPBBuffered(rec *Record) bool {
	s := &r.in
	if s.pending > 0 {
		d, _ := s.br.Discard(s.pending) // Peek proved these bytes are buffered
		s.pending -= d
	}
	if s.br.Buffered() < 8 {
		return false
	}
	h, _ := s.br.Peek(8)
	blen := int(r.u32(h[4:]))
	if r.u32(h[0:]) != ngBlockEPB || blen < 12+20 || blen%4 != 0 || blen > maxBlockLen || blen > s.br.Buffered() {
		return false
	}
	b, _ := s.br.Peek(blen)
	if int(r.u32(b[blen-4:])) != blen {
		return false
	}
	block, off := r.block+1, s.off
	if r.readEPB(b[8:blen-4], block, off, rec) != nil {
		// Corrupt: leave it to nextNG, which reads it again and fails the
		// same way, with the frame counter as it was.
		return false
	}
	r.block = block
	s.pending = blen
	s.off += int64(blen)
	return true
}
