package capture

import (
	"encoding/binary"
	"io"
	"strconv"

	"github.com/gopacket/gopacket/layers"
)

const (
	pcapFileHeaderLen   = 24
	pcapRecordHeaderLen = 16
	// maxRecordLen bounds one packet record. Wireshark's largest standard
	// packet is 262144 bytes (WTAP_MAX_PACKET_SIZE_STANDARD); USB and D-Bus
	// captures go higher, SIP never does. A larger length is corruption.
	maxRecordLen = 262144
)

func (r *Reader) u16(b []byte) uint16 {
	if r.be {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (r *Reader) u32(b []byte) uint32 {
	if r.be {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (r *Reader) readPcapHeader() error {
	h, err := r.in.next(pcapFileHeaderLen)
	if err != nil {
		return &InputError{File: r.name, Offset: int64(len(h)), Msg: "pcap file header cut short (" + strconv.Itoa(len(h)) + " of 24 bytes)", Err: ErrCorrupt}
	}
	major := r.u16(h[4:])
	if major != 2 {
		return &InputError{File: r.name, Offset: 4, Msg: "pcap version " + strconv.Itoa(int(major)) + "." + strconv.Itoa(int(r.u16(h[6:]))) + " is not 2.x", Err: ErrCorrupt}
	}
	r.snaplen = int(r.u32(h[16:]))
	// The upper bits of the link-type field carry FCS information.
	r.linkType = layers.LinkType(r.u32(h[20:]) & 0xffff)
	r.ifaces = append(r.ifaces, Interface{LinkType: r.linkType, Snaplen: r.snaplen})
	return nil
}

func (r *Reader) nextPcap(rec *Record) error {
	if r.nextPcapBuffered(rec) {
		return nil
	}
	record := r.frame + 1
	off := r.in.off
	h, err := r.in.next(pcapRecordHeaderLen)
	if err != nil {
		return r.ioError(err, record, off, len(h), pcapRecordHeaderLen)
	}
	sec := int64(r.u32(h[0:]))
	frac := int64(r.u32(h[4:]))
	incl := r.u32(h[8:])
	orig := r.u32(h[12:])
	limit := uint32(max(r.snaplen, maxRecordLen))
	if r.snaplen > 4*maxRecordLen {
		limit = maxRecordLen // an absurd snaplen does not license absurd records
	}
	if incl > limit {
		return r.corrupt(record, off, "impossible record length %d (snaplen %d, limit %d): the file is corrupt here", incl, r.snaplen, limit)
	}
	data, err := r.in.next(int(incl))
	if err != nil {
		return r.ioError(errUnexpected(err), record, off, pcapRecordHeaderLen+len(data), pcapRecordHeaderLen+int(incl))
	}
	r.frame = record
	rec.Frame = record
	rec.Offset = off
	if r.nanos {
		rec.TS = sec*1e9 + frac
	} else {
		rec.TS = sec*1e9 + frac*1e3
	}
	rec.CapLen = int(incl)
	rec.OrigLen = int(orig)
	rec.Iface = 0
	rec.LinkType = r.linkType
	rec.Data = data
	return nil
}

// errUnexpected turns io.EOF in the middle of a record into
// io.ErrUnexpectedEOF.
func errUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// nextPcapBuffered reads the next record when its header and data are in
// the read buffer already (nearly always), with one look at the buffer
// instead of two; it reports false, having consumed nothing, otherwise.
func (r *Reader) nextPcapBuffered(rec *Record) bool {
	s := &r.in
	if s.pending > 0 {
		d, _ := s.br.Discard(s.pending) // Peek proved these bytes are buffered
		s.pending -= d
	}
	if s.br.Buffered() < pcapRecordHeaderLen {
		return false
	}
	h, _ := s.br.Peek(pcapRecordHeaderLen)
	incl := int(r.u32(h[8:]))
	limit := max(r.snaplen, maxRecordLen)
	if r.snaplen > 4*maxRecordLen {
		limit = maxRecordLen
	}
	n := pcapRecordHeaderLen + incl
	if incl > limit || n > s.br.Buffered() {
		return false
	}
	b, _ := s.br.Peek(n)
	sec, frac := int64(r.u32(b[0:])), int64(r.u32(b[4:]))
	r.frame++
	rec.Frame = r.frame
	rec.Offset = s.off
	if r.nanos {
		rec.TS = sec*1e9 + frac
	} else {
		rec.TS = sec*1e9 + frac*1e3
	}
	rec.CapLen = incl
	rec.OrigLen = int(r.u32(b[12:]))
	rec.Iface = 0
	rec.LinkType = r.linkType
	rec.Data = b[pcapRecordHeaderLen:n]
	s.pending = n
	s.off += int64(n)
	return true
}
