package match

import (
	"encoding/binary"
	"errors"
	"net/netip"

	"github.com/sipalg/sipalg/analyze/jsontext"
	"github.com/sipalg/sipalg/analyze/record"
	"github.com/sipalg/sipalg/analyze/sdp"

	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/sipmsg"
)

// Message is one SIP message as the report lists it: the message on each
// side of the router, paired, or seen on one side only.
type Message struct {
	// ID numbers messages from 1 in the order they first appear (LAN
	// clock).
	ID int `json:"id"`
	// Direction is outbound (LAN to WAN) or inbound.
	Direction string `json:"direction"`
	LANFrame  *int   `json:"lan_frame"`
	WANFrame  *int   `json:"wan_frame"`
	// Method is the request method, or the CSeq method of a response.
	Method string `json:"method"`
	Status *int   `json:"status"`
	CSeq   string `json:"cseq"`
	// CallIDLAN and CallIDWAN are the Call-ID on each side; empty on the
	// side the message is missing from.
	CallIDLAN string `json:"call_id_lan"`
	CallIDWAN string `json:"call_id_wan"`
	// State is matched, dropped (entered the router, never left) or
	// generated (left the router, never entered); unpaired in a
	// single-capture analysis, where there is nothing to pair with.
	State string `json:"state"`
	// Dialog is the ID of the dialog (or of the out-of-dialog
	// transaction group) the message belongs to.
	Dialog int `json:"dialog"`
	// Retransmission is set when the message repeats an earlier one of
	// its transaction.
	Retransmission bool `json:"retransmission"`
	// Transaction is the ID of the first message of the message's
	// transaction.
	Transaction int `json:"transaction"`
	// ChangedFields counts the entries of Changes.
	ChangedFields int `json:"changed_fields"`
	// Proto is "udp" or "tcp".
	Proto string `json:"proto"`
	// Cut names the side ("lan", "wan") whose capture's snap length cut
	// the message: only the fields before the cut were compared.
	Cut string `json:"cut,omitempty"`

	// LANSrc, LANDst, WANSrc and WANDst are the packet's endpoints on each
	// side; zero on a missing side.
	LANSrc, LANDst, WANSrc, WANDst netip.AddrPort `json:"-"`

	// TS is the time the message was first seen, Unix ns in the LAN clock.
	TS int64 `json:"-"`
	// LAN and WAN are the parsed messages; nil on a missing side.
	LAN, WAN *sipmsg.Message `json:"-"`
	// Changes is the field diff, from the message as it entered the
	// router to the message as it left.
	Changes []fielddiff.Change `json:"-"`
	// LANSDP and WANSDP are the parsed SDP bodies of LAN and WAN, when
	// Prepare parsed them (nil: no SDP, or not prepared).
	LANSDP, WANSDP *sdp.Session `json:"-"`

	tx *txState // its transaction while the Streamer holds it
	// txKeys are the transaction keys of each side, tags the dialog's
	// tags and expires a registration's longest expiry (see observe),
	// computed by Prepare (txDone) off the Streamer's goroutine.
	txKeys    [2]txKey
	txHas     [2]bool
	tags      string
	expires   int
	expiresOK bool
	txDone    bool
	// sdpDone: Prepare parsed the SDP bodies, so LANSDP and WANSDP nil
	// mean no SDP.
	sdpDone bool
}

// SDPParsed reports whether LANSDP and WANSDP hold what the sides' SDP
// bodies parse to, nil meaning none: [Prepare] parsed them, and a rule
// asking for a message's SDP need not look for a body again.
func (m *Message) SDPParsed() bool { return m.sdpDone }

// AppendRecord appends the binary record of m's own fields (those of its
// JSON) to b: what a streamed report spools of a message until it writes
// it ([AppendRecordJSON]). The fields are in the order of m's JSON.
//
// Why (2026-12, issue 15): the spool held each message as the report
// writes it, indented JSON of some 460 bytes (the 73k SIP-heavy pair's
// 73,600 messages: 34 MB written and merged back); the record is some
// 120 bytes.
func (m *Message) AppendRecord(b []byte) []byte {
	var flags byte
	if m.LANFrame != nil {
		flags |= recLANFrame
	}
	if m.WANFrame != nil {
		flags |= recWANFrame
	}
	if m.Status != nil {
		flags |= recStatus
	}
	if m.Retransmission {
		flags |= recRetransmission
	}
	b = append(b, flags)
	b = binary.AppendVarint(b, int64(m.ID))
	b = record.AppendString(b, m.Direction)
	for _, p := range [2]*int{m.LANFrame, m.WANFrame} {
		if p != nil {
			b = binary.AppendVarint(b, int64(*p))
		}
	}
	b = record.AppendString(b, m.Method)
	if m.Status != nil {
		b = binary.AppendVarint(b, int64(*m.Status))
	}
	for _, s := range [4]string{m.CSeq, m.CallIDLAN, m.CallIDWAN, m.State} {
		b = record.AppendString(b, s)
	}
	for _, n := range [3]int{m.Dialog, m.Transaction, m.ChangedFields} {
		b = binary.AppendVarint(b, int64(n))
	}
	b = record.AppendString(b, m.Proto)
	return record.AppendString(b, m.Cut)
}

// The flags of a message's record.
const (
	recLANFrame = 1 << iota
	recWANFrame
	recStatus
	recRetransmission
)

// errRecord is a message record that does not decode: the spool was
// damaged.
var errRecord = errors.New("match: damaged message record")

// AppendRecordJSON appends the message of rec, a record
// [Message.AppendRecord] wrote, as json.MarshalIndent writes the
// message, without decoding it into one (no string is made).
func AppendRecordJSON(dst, rec []byte, prefix string) ([]byte, error) {
	r := record.NewReader(rec)
	flags := r.Byte()
	o := jsontext.NewObject(dst, prefix)
	optInt := func(flag byte) {
		if flags&flag == 0 {
			o.Buf = append(o.Buf, "null"...)
			return
		}
		o.Buf = jsontext.Int(o.Buf, int(r.Varint()))
	}
	o.Key("id")
	o.Buf = jsontext.Int(o.Buf, int(r.Varint()))
	o.Key("direction")
	o.Buf = jsontext.String(o.Buf, r.Bytes())
	o.Key("lan_frame")
	optInt(recLANFrame)
	o.Key("wan_frame")
	optInt(recWANFrame)
	o.Key("method")
	o.Buf = jsontext.String(o.Buf, r.Bytes())
	o.Key("status")
	optInt(recStatus)
	for _, k := range [4]string{"cseq", "call_id_lan", "call_id_wan", "state"} {
		o.Key(k)
		o.Buf = jsontext.String(o.Buf, r.Bytes())
	}
	o.Key("dialog")
	o.Buf = jsontext.Int(o.Buf, int(r.Varint()))
	o.Key("retransmission")
	o.Buf = jsontext.Bool(o.Buf, flags&recRetransmission != 0)
	for _, k := range [2]string{"transaction", "changed_fields"} {
		o.Key(k)
		o.Buf = jsontext.Int(o.Buf, int(r.Varint()))
	}
	o.Key("proto")
	o.Buf = jsontext.String(o.Buf, r.Bytes())
	if cut := r.Bytes(); len(cut) > 0 {
		o.Key("cut")
		o.Buf = jsontext.String(o.Buf, cut)
	}
	if !r.Done() {
		return dst, errRecord
	}
	return o.End(), nil
}
