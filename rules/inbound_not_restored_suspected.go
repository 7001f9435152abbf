package rules

import (
	"fmt"
	"net/netip"

	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/oneside"
	"github.com/sipalg/sipalg/analyze/sipmsg"
)

// InboundNotRestoredSuspected recognises, on the LAN side, inbound messages
// that still carry the router's public address where the phone expects
// its own: an ALG that rewrote on the way out and did not (all) undo it
// on the way in.
var InboundNotRestoredSuspected = &Rule{
	ID: "INBOUND-NOT-RESTORED-SUSPECTED", Verdict: Warning, Severity: Major, Since: "v0.2",
	Title: "Inbound message still carries the public address",
	Text: "On the LAN side the phone should see its own addresses. Here an inbound message names the router's public " +
		"address where the phone's own belongs: a response whose top Via is not the Via the phone sent, a 2xx to " +
		"REGISTER whose Contact is not the one the phone registered, or, while the router visibly restores other " +
		"fields, a request whose Request-URI names the public address. The router's ALG rewrote these fields on the " +
		"way out and did not restore them on the way in. Strict phones drop responses whose Via is not theirs, " +
		"re-register in a loop when their Contact is missing from the 200 OK, or reject requests for another address.",
	Fix:  "Turn the router's SIP ALG off (the server then handles NAT traversal with rport and received).",
	Refs: []string{"RFC 3261 §18.1.2", "RFC 3261 §10.2.4", "public report: pjproject #643", "RFC 3665 §3.5"},
	CheckSingle: func(c *SingleContext) []Finding {
		if c.Side != oneside.LAN {
			return nil
		}
		// The phone's requests by top Via branch: a response whose Via the
		// router left rewritten does not share the request's transaction
		// key (it holds sent-by), the branch still matches.
		sent := map[string]*match.Message{}
		var contacts []string // what the phone put in Contact
		restores := false
		for i := range c.Messages {
			m := &c.Messages[i]
			p, _, src, dst := c.msg(m)
			switch {
			case m.Direction == "outbound" && p.IsRequest:
				if b := topBranch(p); b != "" {
					if _, ok := sent[b]; !ok {
						sent[b] = m
					}
				}
				for _, a := range p.Contacts() {
					h, port := uriHostPort(p, a.URI)
					contacts = append(contacts, fmtEndpoint(h, port))
				}
			case m.Direction == "inbound" && !p.IsRequest && !oneside.IsPrivate(src.Addr()):
				if vias := p.Vias(); len(vias) > 0 {
					if rc, ok := vias[0].Received(p.Raw); ok {
						got, ok := oneside.ParseHost(string(p.Bytes(rc.Value)))
						restores = restores || ok && got == dst.Addr() && oneside.IsPrivate(got)
					}
				}
			}
		}
		var out []Finding
		for i := range c.Messages {
			m := &c.Messages[i]
			p, _, src, dst := c.msg(m)
			if m.Direction != "inbound" || m.Retransmission || oneside.IsPrivate(src.Addr()) || !oneside.IsPrivate(dst.Addr()) {
				continue // the phone is private on the LAN side; the server is not
			}
			if !p.IsRequest {
				req := sent[topBranch(p)]
				if req == nil || req.Method != m.Method {
					continue
				}
				rp, rframe, _, _ := c.msg(req)
				wh, wport, ok1 := viaSentBy(rp, 0)
				gh, gport, ok2 := viaSentBy(p, 0)
				if ok1 && ok2 && (wh != gh || wport != gport) {
					f := c.singleFinding(m, fmt.Sprintf("The phone sent its %s (frame %d) with Via sent-by %s; this %s comes back "+
						"with %s: the router rewrote the Via on the way out and did not restore it.",
						req.Method, rframe, fmtEndpoint(wh, wport), describe(m), fmtEndpoint(gh, gport)), rframe)
					f.Field, f.Before, f.After = "Via[0].sent-by", fmtEndpoint(wh, wport), fmtEndpoint(gh, gport)
					out = append(out, f)
					continue
				}
				if m.Method == "REGISTER" && m.Status != nil && *m.Status/100 == 2 {
					if f, ok := registerEcho(c, m, p, rp, rframe, dst); ok {
						out = append(out, f)
					}
				}
				continue
			}
			u, _ := sipmsg.ParseURI(p.Raw, p.RequestURI.Off, p.RequestURI.End)
			host, port := uriHostPort(p, u)
			a, ok := oneside.ParseHost(host)
			if !restores || !ok || oneside.IsPrivate(a) || a == src.Addr() {
				continue
			}
			f := c.singleFinding(m, fmt.Sprintf("This %s is addressed to %s, a public address that is not its sender's, "+
				"while other responses show the router restoring the phone's address (received=%s): the router restores "+
				"some fields and not the Request-URI.", describe(m), fmtEndpoint(host, port), dst.Addr()))
			f.Field, f.After = "Request-URI", fmtEndpoint(host, port)
			if len(contacts) > 0 {
				f.Before = contacts[0]
			}
			out = append(out, f)
		}
		return out
	},
}

// registerEcho checks a 2xx to REGISTER: its Contacts should include the
// one the phone registered.
func registerEcho(c *SingleContext, m *match.Message, p, req *sipmsg.Message, reqFrame int, phone netip.AddrPort) (Finding, bool) {
	var mine []string
	for _, a := range req.Contacts() {
		h, port := uriHostPort(req, a.URI)
		mine = append(mine, fmtEndpoint(h, port))
	}
	if len(mine) == 0 {
		return Finding{}, false
	}
	var public string
	for _, a := range p.Contacts() {
		h, port := uriHostPort(p, a.URI)
		ep := fmtEndpoint(h, port)
		for _, x := range mine {
			if x == ep {
				return Finding{}, false
			}
		}
		if ad, ok := oneside.ParseHost(h); ok && !oneside.IsPrivate(ad) && public == "" {
			public = ep
		}
	}
	if public == "" {
		return Finding{}, false
	}
	f := c.singleFinding(m, fmt.Sprintf("The phone registered Contact %s (frame %d); this %s lists %s instead: the router "+
		"rewrote the Contact on the way out and did not restore the registrar's echo, so the phone may not find its "+
		"own binding.", mine[0], reqFrame, describe(m), public), reqFrame)
	f.Field, f.Before, f.After = "Contact[0].uri.host", mine[0], public
	return f, true
}

// topBranch is the branch of p's top Via, "" when none.
func topBranch(p *sipmsg.Message) string {
	vias := p.Vias()
	if len(vias) == 0 {
		return ""
	}
	b, ok := vias[0].Branch(p.Raw)
	if !ok {
		return ""
	}
	return string(p.Bytes(b.Value))
}
