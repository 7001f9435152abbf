package rules

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/oneside"
)

// ALGAsProxySuspected recognises, on the WAN side, requests that look
// handled by a proxy on their way out: a public Via on top of a private
// one, or Max-Forwards below the 70 phones send with no Via to show for it.
var ALGAsProxySuspected = &Rule{
	ID: "ALG-AS-PROXY-SUSPECTED", Verdict: Info, Severity: SevInfo, Since: "v0.2",
	Title: "Router inserted a Via or lowered Max-Forwards",
	Text: "A request from behind the router arrives with two Vias, the top one naming the router's public address " +
		"and the one below it the phone's private address, or with Max-Forwards below the 70 that phones send " +
		"(RFC 3261 §8.1.1.6) and no Via of an element that would have lowered it. The router handled the request " +
		"like a proxy: harmless to most servers, it breaks integrity checks and is a strong fingerprint of the " +
		"ALG's make. A SIP proxy or PBX on the LAN would also add a Via; it would not leave Max-Forwards unexplained.",
	Fix:  "Nothing to fix unless something downstream checks message integrity.",
	Refs: []string{"ibc sip-alg-detector", "RFC 3261 §16.6", "RFC 3261 §8.1.1.6"},
	CheckSingle: func(c *SingleContext) []Finding {
		if c.Side != oneside.WAN {
			return nil
		}
		type agg struct {
			first  *match.Message
			what   string
			n      int
			frames []int
		}
		by := map[netip.Addr]*agg{}
		var order []netip.Addr
		for i := range c.Messages {
			m := &c.Messages[i]
			p, frame, src, _ := c.msg(m)
			if m.Direction != "outbound" || !p.IsRequest || m.Retransmission || oneside.IsPrivate(src.Addr()) || !c.natEvidence(src.Addr()) {
				continue // a PBX or proxy on a public address lowers Max-Forwards as it should
			}
			vias := p.Vias()
			var what []string
			if len(vias) >= 2 {
				top, ok1 := oneside.ParseHost(string(p.Bytes(vias[0].Host)))
				below, ok2 := oneside.ParseHost(string(p.Bytes(vias[1].Host)))
				if ok1 && ok2 && top == src.Addr() && oneside.IsPrivate(below) {
					w := fmt.Sprintf("a Via for %s on top of the phone's own for %s", p.Bytes(vias[0].Host), p.Bytes(vias[1].Host))
					if v := p.HeaderValue("Max-Forwards"); v != nil {
						w += fmt.Sprintf(", and Max-Forwards %s", strings.TrimSpace(string(v)))
					}
					what = append(what, w)
				}
			}
			if v := p.HeaderValue("Max-Forwards"); v != nil && len(vias) == 1 {
				if mf, err := strconv.Atoi(strings.TrimSpace(string(v))); err == nil && mf >= 60 && mf < 70 {
					what = append(what, fmt.Sprintf("Max-Forwards %d with a single Via (phones send 70)", mf))
				}
			}
			if len(what) == 0 {
				continue
			}
			a := by[src.Addr()]
			if a == nil {
				a = &agg{first: m, what: strings.Join(what, ", and ")}
				by[src.Addr()] = a
				order = append(order, src.Addr())
			}
			a.n++
			if len(a.frames) < 10 {
				a.frames = append(a.frames, frame)
			}
		}
		var out []Finding
		for _, h := range order {
			a := by[h]
			f := c.singleFinding(a.first, fmt.Sprintf("This %s from %s carries %s. %d request(s) like this.", describe(a.first), h, a.what, a.n), a.frames...)
			f.Field = "Via"
			if strings.HasPrefix(a.what, "Max-Forwards") {
				f.Field = "Max-Forwards"
			}
			out = append(out, f)
		}
		return out
	},
}
