package match

import (
	"encoding/binary"
	"errors"
	"net/netip"

	"github.com/sipalg/sipalg/analyze/correlate"
)

// errCodec is a SIP record that does not decode: the spool was damaged.
var errCodec = errors.New("match: damaged SIP record in the spool")

// AppendSIP appends the binary form of sm to b, for a spool between
// correlate's pairing pass and the [Streamer] (which needs the final
// mappings, known only when that pass ends).
func AppendSIP(b []byte, sm correlate.SIPMessage) []byte {
	b = appendString(b, sm.Direction)
	b = appendString(b, sm.State)
	b = binary.AppendUvarint(b, uint64(sm.LANFrame))
	b = binary.AppendUvarint(b, uint64(sm.WANFrame))
	var flags byte
	if sm.LAN != nil {
		flags |= 1
	}
	if sm.WAN != nil {
		flags |= 2
	}
	if sm.LAN != nil && sm.LAN.Cut {
		flags |= 4 // cut by the snap length
	}
	if sm.WAN != nil && sm.WAN.Cut {
		flags |= 8
	}
	b = append(b, flags)
	for _, r := range [2]*correlate.SIPRecord{sm.LAN, sm.WAN} {
		if r == nil {
			continue
		}
		b = binary.AppendUvarint(b, uint64(r.Frame))
		b = binary.AppendVarint(b, r.TS)
		b = appendAddrPort(b, r.Src)
		b = appendAddrPort(b, r.Dst)
		b = append(b, r.Proto)
		b = binary.AppendUvarint(b, uint64(len(r.Data)))
		b = append(b, r.Data...)
	}
	return b
}

// DecodeSIP decodes what AppendSIP wrote; the records' data alias b.
func DecodeSIP(b []byte) (correlate.SIPMessage, error) {
	d := decoder{b: b}
	var sm correlate.SIPMessage
	sm.Direction = d.string()
	sm.State = d.string()
	sm.LANFrame = int(d.uvarint())
	sm.WANFrame = int(d.uvarint())
	sm.LANSeq, sm.WANSeq = -1, -1
	flags := d.byte()
	for i, dst := range [2]**correlate.SIPRecord{&sm.LAN, &sm.WAN} {
		if flags&(1<<i) == 0 {
			continue
		}
		r := &correlate.SIPRecord{}
		r.Frame = int(d.uvarint())
		r.TS = d.varint()
		r.Src = d.addrPort()
		r.Dst = d.addrPort()
		r.Proto = d.byte()
		r.Data = d.bytes(int(d.uvarint()))
		r.Cut = flags&(4<<i) != 0
		*dst = r
	}
	if d.err != nil || len(d.b) != 0 {
		return correlate.SIPMessage{}, errCodec
	}
	return sm, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendAddrPort(b []byte, ap netip.AddrPort) []byte {
	n := len(b)
	b = append(b, 0)
	b, _ = ap.AppendBinary(b) // never fails
	b[n] = byte(len(b) - n - 1)
	return b
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCodec
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errCodec
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.err = errCodec
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) bytes(n int) []byte {
	if n < 0 || n > len(d.b) {
		d.err = errCodec
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string { return string(d.bytes(int(d.uvarint()))) }

func (d *decoder) addrPort() netip.AddrPort {
	b := d.bytes(int(d.byte()))
	var ap netip.AddrPort
	if d.err == nil && ap.UnmarshalBinary(b) != nil {
		d.err = errCodec
	}
	return ap
}
