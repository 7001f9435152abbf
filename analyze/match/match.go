// Package match builds the message-level picture of one router: every SIP
// message of both captures, paired with its twin across the NAT or marked
// dropped (entered the router, never left) or generated (left it, never
// entered), grouped into transactions (RFC 3261 §17) and dialogs, with the
// field diff of every pair.
//
// Packet-level twins come from package correlate, which pairs SIP by
// fields an ALG does not rewrite. Transactions are keyed on each side
// separately, by the top Via branch, sent-by and CSeq method (RFC 3261
// §17.1.3, §17.2.3), or for RFC 2543 elements without the magic cookie by
// Call-ID, From tag, CSeq and top Via (RFC 3261 §17.2.3, last paragraph).
// Keys of the two sides never meet: an ALG rewrites sent-by and, when it
// is dumb, the branch and Call-ID too. Transactions and dialogs are linked
// across the NAT through the message twins instead, so a LAN Call-ID and
// the WAN Call-ID an ALG made of it end up in one dialog.
package match

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"

	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/sipmsg"
)

// Message states.
const (
	Matched   = "matched"
	Dropped   = "dropped"
	Generated = "generated"
	// Outside: seen on one side only, outside the time the other
	// capture ran, so nothing says whether the router forwarded it.
	Outside = "outside"
)

// Limits bound what Build keeps. The zero value means the defaults.
type Limits struct {
	// MaxMessages bounds the messages listed; the rest are counted in a
	// warning. Default 200,000: the SIP of a busy day of a small office.
	MaxMessages int
}

// DefaultMaxMessages is Limits.MaxMessages when zero.
const DefaultMaxMessages = 200_000

// Dialog is the messages of one call or registration: those sharing a
// Call-ID on either side, linked across the NAT by the message twins. A
// forked call keeps its forks in one Dialog, listed by Tags.
type Dialog struct {
	ID int `json:"id"`
	// Method is the method of the first request (INVITE, REGISTER...).
	Method string `json:"method"`
	// CallIDsLAN and CallIDsWAN are the Call-IDs seen on each side; more
	// than one on a side only when an ALG mapped two into one.
	CallIDsLAN []string `json:"call_ids_lan"`
	CallIDsWAN []string `json:"call_ids_wan"`
	// Tags lists each dialog of the call (RFC 3261 §12: Call-ID, local
	// and remote tag) as "from-tag/to-tag", in the LAN spelling where the
	// LAN saw it.
	Tags []string `json:"tags"`
	// Messages indexes Result.Messages, in time order.
	Messages []int `json:"messages"`
	// Transactions counts the transactions of the dialog.
	Transactions int `json:"transactions"`
}

// Result is what [Build] found.
type Result struct {
	Messages []Message
	Dialogs  []Dialog
	// Retransmissions counts messages marked as retransmissions.
	Retransmissions int
	Warnings        []string
}

// Build pairs, groups and diffs the SIP messages a correlate run kept
// (correlate.Options.KeepSIP): the [Streamer] over the whole list, every
// batch kept.
func Build(res *correlate.Result, lim Limits) *Result {
	if lim.MaxMessages <= 0 {
		lim.MaxMessages = DefaultMaxMessages
	}
	out := &Result{}
	pairs := res.SIPPairs
	if len(pairs) > lim.MaxMessages {
		out.Warnings = append(out.Warnings, fmt.Sprintf("match: %d SIP messages; only the first %d are matched and diffed", len(pairs), lim.MaxMessages))
		pairs = pairs[:lim.MaxMessages]
	}
	c := NewCollector()
	s := NewStreamer(res.Clock, StreamOptions{}, c.Add)
	rec := func(recs []correlate.SIPRecord, i int) *correlate.SIPRecord {
		if i < 0 || i >= len(recs) {
			return nil
		}
		return &recs[i]
	}
	for _, sp := range pairs {
		s.Add(correlate.SIPMessage{SIPPair: sp, LAN: rec(res.LANSIP, sp.LANSeq), WAN: rec(res.WANSIP, sp.WANSeq)})
	}
	s.Close()
	out.Messages, out.Dialogs = c.Result()
	out.Retransmissions = s.Retransmissions()
	out.Warnings = append(out.Warnings, s.Warnings()...)
	return out
}

// Collector keeps every batch a [Streamer] hands over: the whole
// capture's messages and dialogs, for the views that need them all (the
// HTML ladder, the annotated capture, tests).
type Collector struct {
	msgs    []Message
	dialogs map[int]*Dialog
}

// NewCollector returns an empty Collector.
func NewCollector() *Collector { return &Collector{dialogs: map[int]*Dialog{}} }

// Add keeps b.
func (c *Collector) Add(b *Batch) {
	c.msgs = append(c.msgs, b.Messages...)
	d := c.dialogs[b.Dialog.ID]
	if d == nil {
		d = &Dialog{}
		c.dialogs[b.Dialog.ID] = d
	}
	ids := d.Messages
	*d = b.Dialog
	d.Messages = ids
	for i := range b.Messages {
		d.Messages = append(d.Messages, b.Messages[i].ID)
	}
}

// Result returns the messages in ID order and the dialogs in ID order;
// Dialog.Messages indexes the messages returned.
func (c *Collector) Result() ([]Message, []Dialog) {
	msgs := c.msgs
	slices.SortFunc(msgs, func(a, b Message) int { return cmp.Compare(a.ID, b.ID) })
	pos := make(map[int]int, len(msgs))
	for i := range msgs {
		pos[msgs[i].ID] = i
	}
	ids := make([]int, 0, len(c.dialogs))
	for id := range c.dialogs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	ds := make([]Dialog, 0, len(ids))
	for _, id := range ids {
		d := *c.dialogs[id]
		for k, mid := range d.Messages {
			d.Messages[k] = pos[mid]
		}
		slices.Sort(d.Messages)
		ds = append(ds, d)
	}
	return msgs, ds
}

// describe fills the summary fields of m from whichever side has it.
func describe(m *Message) {
	if m.LAN != nil {
		if id, ok := m.LAN.CallID(); ok {
			m.CallIDLAN = string(m.LAN.Bytes(id))
		}
	}
	if m.WAN != nil {
		if id, ok := m.WAN.CallID(); ok {
			m.CallIDWAN = string(m.WAN.Bytes(id))
		}
	}
	p := m.LAN
	if p == nil {
		p = m.WAN
	}
	if p == nil {
		return
	}
	if cs, ok := p.CSeq(); ok {
		m.CSeq = string(p.Bytes(cs.Span))
		m.Method = string(p.Bytes(cs.Method))
	}
	if p.IsRequest {
		m.Method = string(p.Bytes(p.Method))
	} else if p.StatusCode > 0 {
		m.Status = intp(p.StatusCode)
	}
}

// txKey identifies a transaction on one side.
type txKey struct {
	side   byte // 'l' or 'w'
	branch string
	sentBy string
	method string
	// RFC 2543 fallback fields, empty when the branch has the cookie.
	callID, fromTag, cseq string
}

// magicCookie starts every RFC 3261 branch (§8.1.1.7).
const magicCookie = "z9hG4bK"

func transactionKey(side byte, p *sipmsg.Message) (txKey, bool) {
	vias := p.Vias()
	cs, ok := p.CSeq()
	if len(vias) == 0 || !ok {
		return txKey{}, false
	}
	v := vias[0]
	method := string(p.Bytes(cs.Method))
	if method == "ACK" || method == "CANCEL" {
		// An ACK to a non-2xx and a CANCEL carry the INVITE's branch;
		// they are kept apart by method in RFC 3261 matching, but for
		// grouping they belong with the INVITE.
		method = "INVITE"
	}
	k := txKey{side: side, method: method, sentBy: string(p.Bytes(v.Host)) + ":" + string(p.Bytes(v.Port))}
	if br, ok := v.Branch(p.Raw); ok && bytes.HasPrefix(p.Bytes(br.Value), []byte(magicCookie)) {
		k.branch = string(p.Bytes(br.Value))
		return k, true
	}
	if id, ok := p.CallID(); ok {
		k.callID = string(p.Bytes(id))
	}
	if f, ok := p.From(); ok {
		if tag, ok := f.Tag(p.Raw); ok {
			k.fromTag = string(p.Bytes(tag))
		}
	}
	k.cseq = string(p.Bytes(cs.Number))
	k.sentBy = string(p.Bytes(v.Span))
	return k, true
}

// dialogTags returns "from-tag/to-tag" when both are present.
func dialogTags(p *sipmsg.Message) string {
	f, ok1 := p.From()
	t, ok2 := p.To()
	if !ok1 || !ok2 {
		return ""
	}
	ft, ok1 := f.Tag(p.Raw)
	tt, ok2 := t.Tag(p.Raw)
	if !ok1 || !ok2 {
		return ""
	}
	return string(p.Bytes(ft)) + "/" + string(p.Bytes(tt))
}

func addOnce(list *[]string, s string) {
	if s != "" && !slices.Contains(*list, s) {
		*list = append(*list, s)
	}
}

func intp(v int) *int { return &v }

func protoName(p uint8) string {
	if p == capture.ProtoTCP {
		return "tcp"
	}
	return "udp"
}

func frameOr(a, b *int) int {
	if a != nil {
		return *a
	}
	if b != nil {
		return *b
	}
	return 0
}
