package match

import (
	"github.com/sipalg/sipalg/analyze/record"

	"encoding/binary"
	"errors"

	"github.com/sipalg/sipalg/analyze/correlate"
)

// errCodec is a SIP record that does not decode: the spool was damaged.
var errCodec = errors.New("match: damaged SIP record in the spool")

// AppendSIP appends the binary form of sm to b, for a spool between
// correlate's pairing pass and the [Streamer] (which needs the final
// mappings, known only when that pass ends).
func AppendSIP(b []byte, sm correlate.SIPMessage) []byte {
	b = record.AppendString(b, sm.Direction)
	b = record.AppendString(b, sm.State)
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
		b = record.AppendAddrPort(b, r.Src)
		b = record.AppendAddrPort(b, r.Dst)
		b = append(b, r.Proto)
		b = record.AppendBytes(b, r.Data)
	}
	return b
}

// DecodeSIP decodes what AppendSIP wrote; the records' data alias b.
func DecodeSIP(b []byte) (correlate.SIPMessage, error) {
	d := decoder{record.NewReader(b)}
	var sm correlate.SIPMessage
	sm.Direction = d.string()
	sm.State = d.string()
	sm.LANFrame = int(d.Uvarint())
	sm.WANFrame = int(d.Uvarint())
	sm.LANSeq, sm.WANSeq = -1, -1
	flags := d.Byte()
	for i, dst := range [2]**correlate.SIPRecord{&sm.LAN, &sm.WAN} {
		if flags&(1<<i) == 0 {
			continue
		}
		r := &correlate.SIPRecord{}
		r.Frame = int(d.Uvarint())
		r.TS = d.Varint()
		r.Src = d.AddrPort()
		r.Dst = d.AddrPort()
		r.Proto = d.Byte()
		r.Data = d.Bytes()
		r.Cut = flags&(4<<i) != 0
		*dst = r
	}
	if !d.Done() {
		return correlate.SIPMessage{}, errCodec
	}
	return sm, nil
}

// decoder reads a SIP record.
type decoder struct{ record.Reader }

func (d *decoder) string() string { return string(d.Bytes()) }
