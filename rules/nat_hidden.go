package rules

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/sipalg/sipalg/analyze/match"
)

// NATHidden recognises a REGISTER rewritten so that the registrar cannot
// see the NAT: Via sent-by and Contact equal the packet's source.
//
// DESIGN.md lists it among the bad behaviours; its verdict is warning
// (2026-11-26) because the rewrite itself is right and the harm depends on
// the mapping's lifetime, which BINDING-SHORTER-THAN-REFRESH judges with a
// bad verdict when the captures prove it. A correct ALG raises NAT-HIDDEN
// and no bad verdict.
var NATHidden = &Rule{
	ID: "NAT-HIDDEN", Verdict: Warning, Severity: Major, Since: "v0.1",
	Title: "REGISTER rewritten so the registrar cannot see the NAT",
	Text: "Registrars detect a phone behind NAT by comparing the Via and Contact of its REGISTER with the packet's " +
		"source address, and only then send keepalives (OPTIONS or NOTIFY pings) that hold the NAT mapping open. " +
		"The router rewrote Via and Contact to exactly the packet's source, so the registrar believes the phone has " +
		"a public address and sends no keepalive; when the router's UDP mapping times out, incoming calls are " +
		"dropped at the router. Only REGISTER: on a call, the same rewrite is what makes it work.",
	Fix: "Turn the router's SIP ALG off so the registrar sees the NAT, or make the phone send keepalives (SIP " +
		"OPTIONS or CRLF pings, RFC 5626) more often than the router's UDP timeout, or register more often.",
	Refs:    []string{"seed: \"Lack of incoming calls\"", "RFC 3261 §18.2.1", "RFC 3581", "RFC 5626 §4.4", "Kamailio nathelper nat_uac_test"},
	Capture: true,
	Check: func(c *Context) []Finding {
		hs := make([]*hiddenRegister, 0, len(c.agg.hidden))
		for _, h := range c.agg.hidden {
			hs = append(hs, h)
		}
		slices.SortFunc(hs, func(a, b *hiddenRegister) int { return cmp.Compare(a.m.ID, b.m.ID) })
		var out []Finding
		for _, h := range hs {
			m := &h.m
			text := fmt.Sprintf("The REGISTER from %s left the router from %s with Via and Contact rewritten to exactly "+
				"that address, so the registrar sees no NAT and will send no keepalives.", m.LANSrc, h.from)
			if h.outside {
				text = fmt.Sprintf("The REGISTER left the router from %s (the NAT mapping of %s) with Via and Contact equal "+
					"to exactly that address, so the registrar sees no NAT and will send no keepalives. It lies outside the "+
					"LAN capture's time, so the captures do not show whether the router's ALG or the phone wrote the "+
					"public address.", h.from, h.before)
			}
			for _, r := range c.registrations() {
				if r.dialog == m.Dialog {
					iv, why := r.refresh()
					b := c.timeoutBounds(r)
					text += fmt.Sprintf(" The mapping must survive %s idle (%s); the router's UDP timeout is %s.", secs(iv), why, boundsText(b))
					if b.Lower != nil && *b.Lower >= iv {
						text += " The mapping is known to last that long, so incoming calls still reach the phone."
					}
				}
			}
			f := messageFinding(m, text)
			f.Field = "Via[0].sent-by"
			f.Before, f.After = h.before, h.from
			out = append(out, f)
		}
		return out
	},
}

// observeHidden keeps the first REGISTER of each dialog that left the
// router with Via and Contact rewritten to exactly the packet's source. A
// REGISTER seen on the WAN side only, outside the LAN capture's time,
// counts too when its mapping shows a LAN endpoint behind the NAT: the
// registrar's view is certain, who wrote the address is not.
func (a *aggregates) observeHidden(c *Context, m *match.Message) {
	if m.Method != "REGISTER" || m.Status != nil || m.Direction != "outbound" || a.hidden[m.Dialog] != nil {
		return
	}
	outside := m.State == match.Outside && m.LAN == nil && m.WAN != nil
	if m.State != match.Matched && !outside {
		return
	}
	src := m.WANSrc
	h, p, ok := viaSentBy(m.WAN, 0)
	if !ok || !sameEndpoint(h, p, src) {
		return
	}
	contacts := m.WAN.Contacts()
	if len(contacts) == 0 {
		return
	}
	hidden := true
	for _, ct := range contacts {
		ch, cp := uriHostPort(m.WAN, ct.URI)
		hidden = hidden && sameEndpoint(ch, cp, src)
	}
	if !hidden {
		return
	}
	if outside {
		if mp := c.outboundMapping(m); mp != nil && mp.LAN.Addr() != src.Addr() {
			a.hidden[m.Dialog] = &hiddenRegister{m: light(m), before: mp.LAN.String(), from: src.String(), outside: true}
		}
		return
	}
	lh, lp, _ := viaSentBy(m.LAN, 0)
	if sameEndpoint(lh, lp, src) {
		return // the phone itself wrote its public address
	}
	a.hidden[m.Dialog] = &hiddenRegister{m: light(m), before: fmtEndpoint(lh, lp), from: src.String()}
}
