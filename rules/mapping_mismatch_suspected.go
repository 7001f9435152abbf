package rules

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/oneside"
)

// MappingMismatchSuspected recognises, on the WAN side, a Via or Contact
// that names the router's public address with a port other than the one
// the packet left from.
var MappingMismatchSuspected = &Rule{
	ID: "MAPPING-MISMATCH-SUSPECTED", Verdict: Warning, Severity: Critical, Since: "v0.2",
	Title: "Public address with the wrong port in Via or Contact",
	Text: "The Via or Contact names the router's public address, the one this packet came from, but not the port it " +
		"came from: the address was rewritten and the port was not (or was rewritten wrongly). Whatever the far end " +
		"sends to the advertised port (requests to the Contact, responses without rport) hits a port with no mapping " +
		"and is dropped. The seed's ST530 rewrites the address only; the 660 family writes wrong ports. A phone that " +
		"learned its public address with STUN on another socket would look the same.",
	Fix: "Turn the router's SIP ALG off and let the phone or the server handle NAT traversal (rport, STUN, media " +
		"latching); with a symmetric NAT, keep-alives and an outbound proxy help.",
	Refs: []string{"seed: ST530 v6, ZyXEL 660 family (\"wrong values\")", "RFC 4787 §4.1", "RFC 3581"},
	CheckSingle: func(c *SingleContext) []Finding {
		if c.Side != oneside.WAN {
			return nil
		}
		type key struct {
			ep    netip.AddrPort
			field string
			wrote string
		}
		type agg struct {
			first  *match.Message
			wrote  string
			n      int
			frames []int
		}
		by := map[key]*agg{}
		var order []key
		for i := range c.Messages {
			m := &c.Messages[i]
			_, frame, src, _ := c.msg(m)
			if m.Direction != "outbound" || m.Retransmission || m.Proto != "udp" || oneside.IsPrivate(src.Addr()) {
				continue
			}
			for _, fa := range c.signalledPublic(m) {
				if fa.Port == int(src.Port()) || strings.Contains(strings.ToLower(fa.Text), "transport=tcp") {
					continue
				}
				port := fa.Port
				if port < 0 {
					port = 5060
				}
				if port == int(src.Port()) {
					continue
				}
				name := fa.Field
				if j := strings.IndexByte(name, '['); j > 0 {
					name = name[:j]
				}
				k := key{src, name, endpointText(fa.Addr, port)}
				a := by[k]
				if a == nil {
					a = &agg{first: m, wrote: k.wrote}
					by[k] = a
					order = append(order, k)
				}
				a.n++
				if len(a.frames) < 10 {
					a.frames = append(a.frames, frame)
				}
			}
		}
		var out []Finding
		for _, k := range order {
			a := by[k]
			text := fmt.Sprintf("%s says %s, but the %s left the router from %s: the far end will send to port %s, "+
				"which the NAT did not map for this flow. %d message(s) like this.",
				k.field, a.wrote, describe(a.first), k.ep, a.wrote[strings.LastIndexByte(a.wrote, ':')+1:], a.n)
			f := c.singleFinding(a.first, text, a.frames...)
			f.Field = k.field
			if k.field == "Via" {
				f.Field = "Via[0].sent-by"
			} else {
				f.Field = "Contact[0].uri.port"
			}
			f.Before, f.After = k.ep.String(), a.wrote
			out = append(out, f)
		}
		return out
	},
}
