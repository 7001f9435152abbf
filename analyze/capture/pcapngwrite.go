package capture

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/gopacket/gopacket/layers"
)

// pcapng option codes the writer uses (draft-ietf-opsawg-pcapng §3.5,
// §4.1, §4.2).
const (
	ngOptComment       = 1
	ngOptShbUserAppl   = 4
	ngOptIfDescription = 3
	// ngMaxOptLen is the largest option value: the length field is 16 bits.
	ngMaxOptLen = 0xffff
	// ngMaxPacketLen bounds the packet data of one block so that, with a
	// few comments, it stays under the maxBlockLen Reader accepts.
	ngMaxPacketLen = maxBlockLen - 1<<20
)

// ErrTimestamp is returned by [NGWriter.WritePacket] for a timestamp pcapng
// cannot hold (before 1970).
var ErrTimestamp = errors.New("capture: timestamp before 1970")

// NGInterface describes an interface for [NGWriter.AddInterface].
type NGInterface struct {
	Name        string // if_name: what Wireshark shows as frame.interface_name
	Description string // if_description
	LinkType    layers.LinkType
	// Snaplen is the interface's snapshot length; 0 means no limit.
	Snaplen int
}

// NGWriter writes a pcapng file: one little-endian section, interfaces
// declared as they are needed (an Interface Description Block may come
// anywhere in its section before the packets that name it), and Enhanced
// Packet Blocks with nanosecond timestamps and packet comments. [Reader]
// reads what it writes. Errors are sticky: after one, every call returns it.
type NGWriter struct {
	w      *bufio.Writer
	ifaces int
	buf    []byte
	err    error
}

// NewNGWriter writes the Section Header Block, with a section comment and
// the writing application's name when they are not empty.
func NewNGWriter(w io.Writer, comment, userAppl string) (*NGWriter, error) {
	nw := &NGWriter{w: bufio.NewWriterSize(w, 64<<10)}
	b := nw.begin(pcapngBlockSHB)
	b = binary.LittleEndian.AppendUint32(b, pcapngByteOrder)
	b = binary.LittleEndian.AppendUint16(b, 1) // version 1.0
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint64(b, ^uint64(0)) // section length unknown
	var opts bool
	b, opts = appendOpt(b, ngOptComment, comment, opts)
	b, opts = appendOpt(b, ngOptShbUserAppl, userAppl, opts)
	b = endOpts(b, opts)
	nw.finish(b)
	return nw, nw.err
}

// AddInterface writes an Interface Description Block and returns the
// interface's index for WritePacket. Timestamps are in nanoseconds
// (if_tsresol 9).
func (nw *NGWriter) AddInterface(ifc NGInterface) (int, error) {
	if nw.err != nil {
		return 0, nw.err
	}
	if ifc.Snaplen < 0 || int64(ifc.Snaplen) > 1<<32-1 {
		return 0, fmt.Errorf("capture: snaplen %d out of range", ifc.Snaplen)
	}
	b := nw.begin(ngBlockIDB)
	b = binary.LittleEndian.AppendUint16(b, uint16(ifc.LinkType))
	b = binary.LittleEndian.AppendUint16(b, 0) // reserved
	b = binary.LittleEndian.AppendUint32(b, uint32(ifc.Snaplen))
	var opts bool
	b, opts = appendOpt(b, ngOptIfName, ifc.Name, opts)
	b, opts = appendOpt(b, ngOptIfDescription, ifc.Description, opts)
	b, opts = appendOpt(b, ngOptIfTsresol, "\x09", opts)
	b = endOpts(b, opts)
	nw.finish(b)
	nw.ifaces++
	return nw.ifaces - 1, nw.err
}

// WritePacket writes one Enhanced Packet Block: ts is Unix time in
// nanoseconds, origLen the length on the wire (len(data) when smaller),
// and each comment becomes one opt_comment. A comment longer than an
// option can hold (65535 bytes) is cut at a UTF-8 boundary.
func (nw *NGWriter) WritePacket(iface int, ts int64, data []byte, origLen int, comments ...string) error {
	if nw.err != nil {
		return nw.err
	}
	if iface < 0 || iface >= nw.ifaces {
		return fmt.Errorf("capture: packet names interface %d, %d declared", iface, nw.ifaces)
	}
	if ts < 0 {
		return fmt.Errorf("%w: %d ns", ErrTimestamp, ts)
	}
	if len(data) > ngMaxPacketLen {
		return fmt.Errorf("capture: packet of %d bytes exceeds %d", len(data), ngMaxPacketLen)
	}
	origLen = max(origLen, len(data))
	b := nw.begin(ngBlockEPB)
	b = binary.LittleEndian.AppendUint32(b, uint32(iface))
	b = binary.LittleEndian.AppendUint32(b, uint32(uint64(ts)>>32))
	b = binary.LittleEndian.AppendUint32(b, uint32(ts))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	b = binary.LittleEndian.AppendUint32(b, uint32(min(int64(origLen), 1<<32-1)))
	b = append(b, data...)
	b = pad4(b)
	var opts bool
	for _, c := range comments {
		b, opts = appendOpt(b, ngOptComment, c, opts)
	}
	b = endOpts(b, opts)
	nw.finish(b)
	return nw.err
}

// Flush writes buffered blocks to the underlying writer.
func (nw *NGWriter) Flush() error {
	if nw.err != nil {
		return nw.err
	}
	nw.err = nw.w.Flush()
	return nw.err
}

// begin starts a block in the scratch buffer: type and a length to fill.
func (nw *NGWriter) begin(typ uint32) []byte {
	b := binary.LittleEndian.AppendUint32(nw.buf[:0], typ)
	return binary.LittleEndian.AppendUint32(b, 0)
}

// finish fills in both block lengths and writes the block.
func (nw *NGWriter) finish(b []byte) {
	total := uint32(len(b) + 4)
	binary.LittleEndian.PutUint32(b[4:], total)
	b = binary.LittleEndian.AppendUint32(b, total)
	nw.buf = b
	if nw.err == nil {
		_, nw.err = nw.w.Write(b)
	}
}

// appendOpt appends a string option unless v is empty; opts records that
// an option was written, so endOpts knows to close the list.
func appendOpt(b []byte, code uint16, v string, opts bool) ([]byte, bool) {
	if v == "" {
		return b, opts
	}
	if len(v) > ngMaxOptLen {
		cut := ngMaxOptLen
		for cut > 0 && !utf8.RuneStart(v[cut]) {
			cut--
		}
		v = v[:cut]
	}
	b = binary.LittleEndian.AppendUint16(b, code)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(v)))
	b = append(b, v...)
	return pad4(b), true
}

func endOpts(b []byte, opts bool) []byte {
	if !opts {
		return b
	}
	return binary.LittleEndian.AppendUint32(b, 0) // opt_endofopt
}

func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}
