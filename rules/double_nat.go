package rules

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/sipalg/sipalg/analyze/match"
)

// DoubleNAT recognises a router behind a second NAT: its ALG rewrote to
// its own WAN address, a private or shared one, while the far end sees
// the traffic from another, public address.
var DoubleNAT = &Rule{
	ID: "DOUBLE-NAT", Verdict: Warning, Severity: Major, Since: "v0.2",
	Title: "Router behind a second NAT: its ALG writes an address the far end cannot reach",
	Text: "The router's SIP ALG rewrote the phone's address to the router's own WAN address, but that address is " +
		"private (RFC 1918) or carrier-grade-NAT shared space (RFC 6598, 100.64.0.0/10), and the far end sees the " +
		"traffic come from another, public address: a second NAT (the ISP's carrier-grade NAT, or another router) " +
		"sits beyond this one. No rewrite by this router's ALG can be right, because it cannot know the address " +
		"the upstream NAT gives its traffic: responses, requests and media sent to what it wrote go nowhere. " +
		"MAPPING-MISMATCH and SDP-PARTIAL-REWRITE on the same fields are consequences of this, not separate bugs.",
	Fix: "Turn this router's SIP ALG off and let the phone or the server do NAT traversal: rport (RFC 3581) and " +
		"Contact fixing at the server or SBC, STUN/ICE on the phone, SIP outbound (RFC 5626) with keep-alives. Or " +
		"remove a NAT: ask the ISP for a public address, or put the first router in bridge mode.",
	Refs:    []string{"RFC 6598", "RFC 6888", "RFC 3581", "RFC 5626", "RFC 8445"},
	Capture: true,
	Check:   checkDoubleNAT,
}

// DoubleNATEvidence is one endpoint the ALG revealed behind a second NAT:
// the LAN endpoint, the router's own WAN endpoint the ALG wrote for it
// (Intermediate), and the public endpoint the far end saw (FarEnd,
// invalid when none of its packets crossed), with the message and field
// that show it. With the WAN capture beyond the second NAT, the evidence
// is an outbound rewrite (Via[0].sent-by, sdp.m[i]); with it on the
// router's own WAN, the server's Via received/rport (Via[0].received).
type DoubleNATEvidence struct {
	LAN, Intermediate, FarEnd netip.AddrPort
	Field                     string
	Message                   *match.Message
	// Messages counts the outbound messages that show it.
	Messages int
}

// maxDoubleNAT bounds the endpoints DOUBLE-NAT keeps evidence for: a
// router's own WAN endpoints for its phones' SIP and media, far more than
// any real capture shows; the messages that show them are counted.
const maxDoubleNAT = 256

// DoubleNAT returns what the captures show of a second NAT beyond the
// router, one entry per LAN endpoint the ALG revealed, in the order the
// messages were judged; nil when there is none. The report's nat section
// and mapping table are built from it once [Evaluator.Finish] has run.
func (e *Evaluator) DoubleNAT() []DoubleNATEvidence { return e.agg.doubleNAT }

// behindNAT reports whether an ALG's rewrite to a is its own WAN address
// behind another NAT, for a message the far end saw from seen.
func behindNAT(a netip.Addr, seen netip.AddrPort) bool {
	return a.IsValid() && isPrivate(a.String()) && seen.IsValid() && !isPrivate(seen.Addr().String()) && seen.Addr() != a
}

// observeDoubleNAT takes from m, a message of the batch c judges, the
// evidence of a second NAT beyond the router.
func (a *aggregates) observeDoubleNAT(c *Context, m *match.Message) {
	add := func(field string, lan, inter, far netip.AddrPort) {
		i := slices.IndexFunc(a.doubleNAT, func(e DoubleNATEvidence) bool { return e.LAN == lan && e.Intermediate == inter })
		if i < 0 {
			if len(a.doubleNAT) >= maxDoubleNAT {
				return
			}
			l := light(m)
			a.doubleNAT = append(a.doubleNAT, DoubleNATEvidence{LAN: lan, Intermediate: inter, FarEnd: far, Field: field, Message: &l})
			i = len(a.doubleNAT) - 1
		}
		a.doubleNAT[i].Messages++
	}
	if m.State != match.Matched || m.Retransmission || m.LAN == nil || m.WAN == nil {
		return
	}
	if m.Direction == "inbound" {
		// Captured on the router's own WAN (its address private or
		// shared): the server's Via received/rport in a response say
		// where the far end saw the request come from.
		if m.Status == nil {
			return
		}
		vias := m.WAN.Vias()
		if len(vias) == 0 {
			return
		}
		h, _, _ := viaSentBy(m.WAN, 0)
		rcv, ok := vias[0].Received(m.WAN.Raw)
		wan, ok2 := parseAddr(h)
		far, ok3 := parseAddr(string(m.WAN.Bytes(rcv.Value)))
		if !ok || !ok2 || !ok3 || wan != m.WANDst.Addr() {
			return
		}
		port := 0
		if rp, ok := vias[0].RPort(m.WAN.Raw); ok {
			port = atoiPort(string(m.WAN.Bytes(rp.Value)))
		}
		if seen := netip.AddrPortFrom(far, uint16(max(port, 0))); behindNAT(wan, seen) {
			add("Via[0].received", m.LANDst, m.WANDst, seen)
		}
		return
	}
	seen := m.WANSrc
	// The SIP flow: the top Via the ALG rewrote to an address the far end
	// did not see the message come from.
	if lh, lp, ok := viaSentBy(m.LAN, 0); ok {
		if wh, wp, ok := viaSentBy(m.WAN, 0); ok && (wh != lh || wp != lp) {
			if w, ok := parseAddr(wh); ok && behindNAT(w, seen) && validPort(wp) {
				add("Via[0].sent-by", m.LANSrc, netip.AddrPortFrom(w, uint16(wp)), seen)
			}
		}
	}
	// Media: each m= section the ALG rewrote to such an address; what the
	// far end saw is the RTP flow's public endpoint, if any RTP of it
	// crossed.
	ls, ws := c.SDP(m, false), c.SDP(m, true)
	if ls == nil || ws == nil || len(ls.Media) != len(ws.Media) {
		return
	}
	for i := range ws.Media {
		le, ok1 := mediaEndpoint(ls, i)
		we, ok2 := mediaEndpoint(ws, i)
		if !ok1 || !ok2 || le == we || we.Port() == 0 || !behindNAT(we.Addr(), seen) {
			continue
		}
		far, _ := c.mediaMapping(le, remoteOf(m))
		add(fmt.Sprintf("sdp.m[%d]", i), le, we, far)
	}
}

func validPort(p int) bool { return p > 0 && p <= 65535 }

func checkDoubleNAT(c *Context) []Finding {
	var fs []Finding
	for _, e := range c.agg.doubleNAT {
		space := "RFC 1918 private space"
		if cgnat.Contains(e.Intermediate.Addr()) {
			space = "RFC 6598 carrier-grade NAT space"
		}
		var text string
		if e.Field == "Via[0].received" {
			text = fmt.Sprintf("The router's own WAN address is %s (%s), which its ALG writes for %s, but the server's Via "+
				"received/rport in this %s say it saw the request come from %s: a second NAT lies beyond the router, and "+
				"what the far end sends to %s goes nowhere (%d response(s) show it).",
				e.Intermediate.Addr(), space, e.LAN, describe(e.Message), e.FarEnd, e.Intermediate, e.Messages)
		} else {
			seen := fmt.Sprintf("the far end saw its packets come from %s", e.FarEnd)
			if !e.FarEnd.IsValid() {
				seen = fmt.Sprintf("no media of it crossed the router, while the far end saw this %s come from %s", describe(e.Message), e.Message.WANSrc)
			}
			text = fmt.Sprintf("The router's ALG rewrote %s in this %s to %s, the router's own WAN address (%s), but %s: a second NAT lies "+
				"beyond the router, and what the far end sends to %s goes nowhere (%d outbound message(s) show it).",
				e.LAN, describe(e.Message), e.Intermediate, space, seen, e.Intermediate, e.Messages)
		}
		f := messageFinding(e.Message, text)
		f.Field, f.Before, f.After = e.Field, e.LAN.String(), e.Intermediate.String()
		fs = append(fs, f)
	}
	return fs
}

// doubleNATSummary is the verdict's sentence on a second NAT, naming the
// addresses and the consequences that follow from it; "" when there is
// none.
func doubleNATSummary(c *Context, rules map[string]int) string {
	if c.agg == nil || len(c.agg.doubleNAT) == 0 {
		return ""
	}
	ev := c.agg.doubleNAT
	if len(ev) == 0 {
		return ""
	}
	var wan, far []string
	for _, e := range ev {
		if a := e.Intermediate.Addr().String(); !slices.Contains(wan, a) {
			wan = append(wan, a)
		}
		if e.FarEnd.IsValid() {
			if a := e.FarEnd.Addr().String(); !slices.Contains(far, a) {
				far = append(far, a)
			}
		}
	}
	s := fmt.Sprintf("The router sits behind a second NAT (DOUBLE-NAT: its own WAN address %s, while the far end sees %s)",
		strings.Join(wan, ", "), strings.Join(far, ", "))
	var follow []string
	for _, id := range []string{MappingMismatch.ID, SDPPartialRewrite.ID, MediaOneWay.ID} {
		if rules[id] > 0 {
			follow = append(follow, id)
		}
	}
	s += ", so its SIP ALG rewrites to an address the far end cannot reach"
	if len(follow) > 0 {
		s += " (" + strings.Join(follow, ", ") + " follow from that)"
	}
	return s + "; turn the ALG off and let the phone or the server do NAT traversal (rport, STUN/ICE, SIP outbound)"
}

// withoutDoubleNAT drops from the findings router profiles are scored on
// those a second NAT explains: a rewrite to the router's own WAN address
// (MAPPING-MISMATCH, SDP-PARTIAL-REWRITE, MEDIA-ONE-WAY naming it) is
// what every correct ALG does behind a CGNAT, not a vendor's behaviour.
func withoutDoubleNAT(fs []Finding, ev []DoubleNATEvidence) []Finding {
	if len(ev) == 0 {
		return fs
	}
	out := fs[:0:0]
	for _, f := range fs {
		explained := false
		for _, e := range ev {
			a := e.Intermediate.Addr().String()
			explained = explained || (f.Rule == MappingMismatch.ID || f.Rule == SDPPartialRewrite.ID || f.Rule == MediaOneWay.ID) &&
				(strings.Contains(f.After, a) || strings.Contains(f.Explanation, a))
		}
		if !explained {
			out = append(out, f)
		}
	}
	return out
}
