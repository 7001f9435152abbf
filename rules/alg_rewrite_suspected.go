package rules

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/oneside"
)

// ALGRewriteSuspected recognises, in one capture, the footprint of an ALG
// that rewrote some of a phone's addresses and not others.
var ALGRewriteSuspected = &Rule{
	ID: "ALG-REWRITE-SUSPECTED", Verdict: Info, Severity: SevInfo, Since: "v0.2",
	Title: "Some addresses rewritten to the public one, others left private",
	Text: "In the same message the phone's Via or Contact carries the public address the packet came from, while " +
		"another field the phone writes about itself (Call-ID, SDP o=, User-Agent, From, an ICE candidate) still " +
		"carries its private address; or, on the LAN side, a server on the Internet appears to have seen the phone " +
		"at its private address. Something between the phone and the capture rewrote the address fields: a SIP ALG, " +
		"or the phone itself when it learns its public address with STUN. By itself this is not a fault (Linux's " +
		"nf_nat_sip rewrites exactly Via, Contact and SDP and leaves the Call-ID alone); the other single-capture " +
		"rules say whether the rewrite did harm. On a REGISTER it also means the registrar cannot see the NAT.",
	Fix: "Nothing to fix by itself. To know what the router changed field by field, capture both sides of it and run " +
		"sipalg analyze --lan LAN --wan WAN.",
	Refs: []string{"RFC 3261 §18.2.1", "RFC 3581", "Linux nf_nat_sip", "RFC 6314 §3"},
	CheckSingle: func(c *SingleContext) []Finding {
		if c.Side == oneside.LAN {
			return algRestoreLAN(c)
		}
		type agg struct {
			first    *match.Message
			pub      []oneside.FieldAddr
			priv     []oneside.FieldAddr
			n        int
			register *match.Message
			frames   []int
		}
		byHost := map[netip.Addr]*agg{}
		var order []netip.Addr
		for i := range c.Messages {
			m := &c.Messages[i]
			_, frame, src, _ := c.msg(m)
			if m.Direction != "outbound" || m.Retransmission || oneside.IsPrivate(src.Addr()) {
				continue
			}
			pub := c.signalledPublic(m)
			priv := c.privateOwn(m)
			if len(pub) == 0 || len(priv) == 0 {
				continue
			}
			a := byHost[src.Addr()]
			if a == nil {
				a = &agg{first: m, pub: pub, priv: priv}
				byHost[src.Addr()] = a
				order = append(order, src.Addr())
			}
			a.n++
			if len(a.frames) < 10 {
				a.frames = append(a.frames, frame)
			}
			if m.Method == "REGISTER" && m.Status == nil && a.register == nil {
				a.register = m
			}
		}
		var out []Finding
		for _, h := range order {
			a := byHost[h]
			pubNames := fieldNames(a.pub)
			var privText []string
			seen := map[string]bool{}
			for _, f := range a.priv {
				name := f.Field
				if seen[name] {
					continue
				}
				seen[name] = true
				privText = append(privText, fmt.Sprintf("%s (%s)", name, f.Text))
			}
			verb := "carries"
			if len(pubNames) > 1 {
				verb = "carry"
			}
			still := "still names"
			if len(privText) > 1 {
				still = "still name"
			}
			text := fmt.Sprintf("%s %s %s, the public address this %s came from, while the phone's %s %s its private %s. "+
				"Something between the phone and this capture rewrote the address fields and left the others: a SIP ALG, "+
				"or the phone itself if it learns its public address with STUN. %d message(s) like this from %s.",
				strings.Join(pubNames, " and "), verb, h, describe(a.first), strings.Join(privText, ", "), still, a.priv[0].Addr, a.n, h)
			if a.register != nil {
				_, rf, _, _ := c.msg(a.register)
				text += fmt.Sprintf(" The REGISTER (frame %d) reaches the registrar with Via and Contact equal to its source, "+
					"so the registrar cannot tell the phone is behind NAT and may send it no keepalives (NAT-HIDDEN in a paired analysis).", rf)
			}
			f := c.singleFinding(a.first, text, a.frames...)
			f.Field = a.priv[0].Field
			f.After = a.priv[0].Text
			out = append(out, f)
		}
		return out
	},
}

// algRestoreLAN finds, on the LAN side, responses whose top Via says a
// server on the Internet saw the phone at its private address: the router
// rewrote received= on the way in.
func algRestoreLAN(c *SingleContext) []Finding {
	var first *match.Message
	var frames []int
	n := 0
	var got string
	for i := range c.Messages {
		m := &c.Messages[i]
		p, frame, src, dst := c.msg(m)
		if m.Direction != "inbound" || p.IsRequest || m.Retransmission || oneside.IsPrivate(src.Addr()) || !oneside.IsPrivate(dst.Addr()) {
			continue
		}
		vias := p.Vias()
		if len(vias) == 0 {
			continue
		}
		rc, ok := vias[0].Received(p.Raw)
		if !ok {
			continue
		}
		a, ok := oneside.ParseHost(string(p.Bytes(rc.Value)))
		if !ok || a != dst.Addr() {
			continue // not restored, or restored wrongly (VIA-RECEIVED-CORRUPTED-SUSPECTED)
		}
		n++
		if first == nil {
			first, got = m, string(p.Bytes(rc.Span))
		}
		if len(frames) < 10 {
			frames = append(frames, frame)
		}
	}
	if first == nil {
		return nil
	}
	_, _, src, dst := c.msg(first)
	text := fmt.Sprintf("Responses from %s reach the phone with %s in the top Via: a server on the Internet cannot have seen "+
		"the phone at its private address %s, so the router rewrote the Via on the way in, restoring what an ALG "+
		"rewrote on the way out (Linux nf_nat_sip does this). %d response(s) like this.", src.Addr(), got, dst.Addr(), n)
	f := c.singleFinding(first, text, frames...)
	f.Field, f.After = "Via[0].received", got
	return []Finding{f}
}
