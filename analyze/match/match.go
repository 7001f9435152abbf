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
	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/sipmsg"
)

// Message states.
const (
	Matched   = "matched"
	Dropped   = "dropped"
	Generated = "generated"
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
// (correlate.Options.KeepSIP).
func Build(res *correlate.Result, lim Limits) *Result {
	if lim.MaxMessages <= 0 {
		lim.MaxMessages = DefaultMaxMessages
	}
	out := &Result{}
	offset := int64(res.Clock.OffsetS * 1e9)
	pairs := res.SIPPairs
	if len(pairs) > lim.MaxMessages {
		out.Warnings = append(out.Warnings, fmt.Sprintf("match: %d SIP messages; only the first %d are matched and diffed", len(pairs), lim.MaxMessages))
		pairs = pairs[:lim.MaxMessages]
	}
	lanMsg := make([]*sipmsg.Message, len(res.LANSIP))
	wanMsg := make([]*sipmsg.Message, len(res.WANSIP))
	parse := func(recs []correlate.SIPRecord, cache []*sipmsg.Message, i int) *sipmsg.Message {
		if i < 0 || i >= len(recs) {
			return nil
		}
		if cache[i] == nil {
			cache[i] = sipmsg.Parse(recs[i].Data)
		}
		return cache[i]
	}
	msgs := make([]Message, 0, len(pairs))
	for _, sp := range pairs {
		m := Message{Direction: sp.Direction, State: sp.State}
		if sp.LANFrame > 0 {
			m.LANFrame = intp(sp.LANFrame)
		}
		if sp.WANFrame > 0 {
			m.WANFrame = intp(sp.WANFrame)
		}
		m.LAN = parse(res.LANSIP, lanMsg, sp.LANSeq)
		m.WAN = parse(res.WANSIP, wanMsg, sp.WANSeq)
		if sp.LANSeq >= 0 && sp.LANSeq < len(res.LANSIP) {
			r := &res.LANSIP[sp.LANSeq]
			m.LANSrc, m.LANDst, m.Proto = r.Src, r.Dst, protoName(r.Proto)
		}
		if sp.WANSeq >= 0 && sp.WANSeq < len(res.WANSIP) {
			r := &res.WANSIP[sp.WANSeq]
			m.WANSrc, m.WANDst, m.Proto = r.Src, r.Dst, protoName(r.Proto)
		}
		switch {
		case sp.LANSeq >= 0 && sp.LANSeq < len(res.LANSIP):
			m.TS = res.LANSIP[sp.LANSeq].TS
			if sp.Direction == "inbound" && sp.WANSeq >= 0 && sp.WANSeq < len(res.WANSIP) {
				m.TS = res.WANSIP[sp.WANSeq].TS - offset // when it reached the router
			}
		case sp.WANSeq >= 0 && sp.WANSeq < len(res.WANSIP):
			m.TS = res.WANSIP[sp.WANSeq].TS - offset
		}
		describe(&m)
		if m.LAN != nil && m.WAN != nil {
			if m.Direction == "inbound" {
				m.Changes = fielddiff.Diff(m.WAN, m.LAN)
			} else {
				m.Changes = fielddiff.Diff(m.LAN, m.WAN)
			}
			lanCut := sp.LANSeq >= 0 && sp.LANSeq < len(res.LANSIP) && res.LANSIP[sp.LANSeq].Cut
			wanCut := sp.WANSeq >= 0 && sp.WANSeq < len(res.WANSIP) && res.WANSIP[sp.WANSeq].Cut
			switch {
			case lanCut:
				m.Cut = "lan"
				m.Changes = uncut(m.Changes, m.LAN, m.Direction != "inbound")
			case wanCut:
				m.Cut = "wan"
				m.Changes = uncut(m.Changes, m.WAN, m.Direction == "inbound")
			}
			m.ChangedFields = len(m.Changes)
		}
		msgs = append(msgs, m)
	}
	slices.SortStableFunc(msgs, func(a, b Message) int {
		if c := cmp.Compare(a.TS, b.TS); c != 0 {
			return c
		}
		return cmp.Compare(frameOr(a.LANFrame, a.WANFrame), frameOr(b.LANFrame, b.WANFrame))
	})
	for i := range msgs {
		msgs[i].ID = i + 1
	}
	out.Messages = msgs
	out.Retransmissions = markTransactions(msgs)
	out.Dialogs = groupDialogs(msgs)
	return out
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

// markTransactions groups messages into transactions on each side, links
// them across the NAT through the twins, and marks retransmissions. It
// returns how many it marked.
func markTransactions(msgs []Message) int {
	uf := newUnionFind(len(msgs))
	first := map[txKey]int{}
	for i := range msgs {
		for _, s := range []struct {
			side byte
			p    *sipmsg.Message
		}{{'l', msgs[i].LAN}, {'w', msgs[i].WAN}} {
			if s.p == nil {
				continue
			}
			k, ok := transactionKey(s.side, s.p)
			if !ok {
				continue
			}
			if j, ok := first[k]; ok {
				uf.union(j, i)
			} else {
				first[k] = i
			}
		}
	}
	// Within a transaction, a message repeating the start line and CSeq
	// of an earlier one in the same direction is a retransmission.
	type sig struct {
		root      int
		direction string
		start     string
		cseq      string
	}
	seen := map[sig]bool{}
	n := 0
	for i := range msgs {
		m := &msgs[i]
		p := m.LAN
		if p == nil {
			p = m.WAN
		}
		if p == nil {
			continue
		}
		s := sig{uf.find(i), m.Direction, string(p.Bytes(p.StartLine)), m.CSeq}
		if seen[s] {
			m.Retransmission = true
			n++
		}
		seen[s] = true
	}
	for i := range msgs {
		msgs[i].transaction = uf.find(i)
		msgs[i].Transaction = msgs[msgs[i].transaction].ID
	}
	return n
}

// groupDialogs links messages sharing a Call-ID on either side and
// returns the dialogs in order of their first message.
func groupDialogs(msgs []Message) []Dialog {
	uf := newUnionFind(len(msgs))
	firstLAN, firstWAN := map[string]int{}, map[string]int{}
	link := func(m map[string]int, id string, i int) {
		if id == "" {
			return
		}
		if j, ok := m[id]; ok {
			uf.union(j, i)
		} else {
			m[id] = i
		}
	}
	for i := range msgs {
		link(firstLAN, msgs[i].CallIDLAN, i)
		link(firstWAN, msgs[i].CallIDWAN, i)
		// A message without a Call-ID stays in its transaction's group.
		uf.union(msgs[i].transaction, i)
	}
	byRoot := map[int]int{}
	var ds []Dialog
	for i := range msgs {
		r := uf.find(i)
		di, ok := byRoot[r]
		if !ok {
			di = len(ds)
			byRoot[r] = di
			ds = append(ds, Dialog{ID: di + 1, CallIDsLAN: []string{}, CallIDsWAN: []string{}, Tags: []string{}})
		}
		d := &ds[di]
		d.Messages = append(d.Messages, i)
		msgs[i].Dialog = d.ID
	}
	for di := range ds {
		d := &ds[di]
		txs := map[int]bool{}
		for _, i := range d.Messages {
			m := &msgs[i]
			txs[m.transaction] = true
			addOnce(&d.CallIDsLAN, m.CallIDLAN)
			addOnce(&d.CallIDsWAN, m.CallIDWAN)
			p := m.LAN
			if p == nil {
				p = m.WAN
			}
			if p == nil {
				continue
			}
			if d.Method == "" && p.IsRequest {
				d.Method = string(p.Bytes(p.Method))
			}
			if tags := dialogTags(p); tags != "" {
				addOnce(&d.Tags, tags)
			}
		}
		d.Transactions = len(txs)
	}
	return ds
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

// unionFind is a disjoint-set forest over message indexes.
type unionFind struct{ parent []int }

func newUnionFind(n int) *unionFind {
	u := &unionFind{parent: make([]int, n)}
	for i := range u.parent {
		u.parent[i] = i
	}
	return u
}

func (u *unionFind) find(i int) int {
	for u.parent[i] != i {
		u.parent[i] = u.parent[u.parent[i]]
		i = u.parent[i]
	}
	return i
}

// union joins the sets of a and b; the smaller index stays the root, so
// roots are the first message of their group.
func (u *unionFind) union(a, b int) {
	ra, rb := u.find(a), u.find(b)
	if ra == rb {
		return
	}
	if rb < ra {
		ra, rb = rb, ra
	}
	u.parent[rb] = ra
}

// uncut keeps the changes a snap length cannot have made: those whose value
// on the cut message lies wholly in its last complete line or before.
// Values missing there (cut off), parser diagnostics and header order (the
// parser saw a message without its end) say nothing about the router. cutA
// tells whether the cut message is the diff's first (as it entered).
func uncut(chs []fielddiff.Change, cut *sipmsg.Message, cutA bool) []fielddiff.Change {
	end := bytes.LastIndexByte(cut.Raw, '\n') + 1
	out := chs[:0]
	for _, ch := range chs {
		sp := ch.SpanB
		if cutA {
			sp = ch.SpanA
		}
		if sp.End == 0 || sp.End > end || ch.Kind == fielddiff.Reordered || ch.Kind == fielddiff.Syntax && ch.Code != "" {
			continue
		}
		out = append(out, ch)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
