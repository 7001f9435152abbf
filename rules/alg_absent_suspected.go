package rules

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/oneside"
)

// ALGAbsentSuspected recognises, in one capture, a phone whose private
// addresses cross the NAT unchanged.
var ALGAbsentSuspected = &Rule{
	ID: "ALG-ABSENT-SUSPECTED", Verdict: Info, Severity: SevInfo, Since: "v0.2",
	Title: "No sign of a SIP ALG: private addresses cross the NAT unchanged",
	Text: "On the WAN side, the phone's messages arrive from the router's public address with the phone's private " +
		"address still in Via and Contact: nothing rewrote them. On the LAN side, the server's responses come back " +
		"with the Via the phone wrote and the server's own received=/rport= naming the public address: nothing " +
		"restored or hid the NAT. Not a fault: NAT traversal is then the server's job (answer to the source " +
		"address and port, RFC 3581; route requests to where the REGISTER came from; latch media, RFC 7362), and " +
		"the registrar can see the NAT and keep the mapping alive.",
	Fix:  "Nothing to fix on the router. Make sure the server or SBC does NAT traversal (force rport, fix Contact, latch media).",
	Refs: []string{"RFC 3581", "RFC 6314", "RFC 7362", "RFC 4787 REQ-10"},
	CheckSingle: func(c *SingleContext) []Finding {
		type agg struct {
			first  *match.Message
			fields []string
			n      int
			frames []int
			mixed  bool
		}
		by := map[netip.Addr]*agg{}
		var order []netip.Addr
		note := func(h netip.Addr, m *match.Message, frame int, fields []string) {
			a := by[h]
			if a == nil {
				a = &agg{first: m, fields: fields}
				by[h] = a
				order = append(order, h)
			}
			a.n++
			if len(a.frames) < 10 {
				a.frames = append(a.frames, frame)
			}
		}
		for i := range c.Messages {
			m := &c.Messages[i]
			p, frame, src, dst := c.msg(m)
			if m.Retransmission {
				continue
			}
			switch {
			case c.Side == oneside.WAN && m.Direction == "outbound" && !oneside.IsPrivate(src.Addr()):
				if len(c.signalledPublic(m)) > 0 {
					if a := by[src.Addr()]; a != nil {
						a.mixed = true
					} else {
						by[src.Addr()] = &agg{mixed: true}
					}
					continue
				}
				var fields []string
				for _, fa := range c.privateOwn(m) {
					if fa.Field == "Via[0].sent-by" || strings.HasPrefix(fa.Field, "Contact[") {
						fields = append(fields, fmt.Sprintf("%s %s", fa.Field, fa.Endpoint()))
					}
				}
				if len(fields) > 0 {
					note(src.Addr(), m, frame, fields)
				}
			case c.Side == oneside.LAN && m.Direction == "inbound" && !p.IsRequest && !oneside.IsPrivate(src.Addr()):
				vias := p.Vias()
				if len(vias) == 0 {
					continue
				}
				rc, ok := vias[0].Received(p.Raw)
				got, okA := oneside.ParseHost(string(p.Bytes(rc.Value)))
				wrote, okW := oneside.ParseHost(string(p.Bytes(vias[0].Host)))
				switch {
				case !ok || !okA || !okW:
				case oneside.IsPrivate(got):
					if a := by[dst.Addr()]; a != nil {
						a.mixed = true
					} else {
						by[dst.Addr()] = &agg{mixed: true}
					}
				case wrote == dst.Addr() && got != dst.Addr():
					text := fmt.Sprintf("Via sent-by %s:%d as the phone wrote it, received=%s", wrote, oneside.ViaPort(p, vias[0]), got)
					if rp, ok := vias[0].RPort(p.Raw); ok && !rp.Value.IsZero() {
						text += ", rport=" + string(p.Bytes(rp.Value))
					}
					note(dst.Addr(), m, frame, []string{text})
				}
			}
		}
		var out []Finding
		for _, h := range order {
			a := by[h]
			if a.mixed || a.first == nil {
				continue
			}
			var text string
			if c.Side == oneside.WAN {
				text = fmt.Sprintf("%d message(s) from %s, the router's public address, still carry the phone's private "+
					"address (first, this %s: %s): no SIP ALG rewrote them.", a.n, h, describe(a.first), strings.Join(a.fields, ", "))
			} else {
				text = fmt.Sprintf("%d response(s) reach the phone at %s with the Via it wrote and the server's own view of "+
					"the NAT (first, this %s: %s): no SIP ALG hid or restored it.", a.n, h, describe(a.first), a.fields[0])
			}
			f := c.singleFinding(a.first, text, a.frames...)
			f.Field, f.After = "Via[0]", a.fields[0]
			if c.Side == oneside.LAN {
				f.Field = "Via[0].received"
			}
			out = append(out, f)
		}
		return out
	},
}
