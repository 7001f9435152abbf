package rules

import (
	"fmt"
	"net/netip"

	"github.com/sipalg/sipalg/analyze/match"
)

// PrivateAddressLeaked recognises a private address left in Via or
// Contact on the WAN side.
var PrivateAddressLeaked = &Rule{
	ID: "PRIVATE-ADDRESS-LEAKED", Verdict: Info, Severity: SevInfo, Since: "v0.1",
	Title: "Private address left in Via or Contact on the WAN side",
	Text: "Messages left the router with the phone's private address in Via or Contact. That is not an ALG bug " +
		"by itself: a server that does NAT traversal (rport, received, Contact rewriting, media latching) handles it, " +
		"and this is what every phone behind a router without an ALG sends. The server must do NAT traversal.",
	Fix:     "Make sure the server or SBC has NAT traversal enabled (force rport, fix Contact, latch media).",
	Refs:    []string{"RFC 3581", "RFC 6314", "RFC 7362"},
	Capture: true,
	Check: func(c *Context) []Finding {
		first := c.agg.leakFirst
		if first == nil {
			return nil
		}
		f := messageFinding(first, fmt.Sprintf("%d outbound message(s) left the router with a private address (first: %s in this %s).", c.agg.leaks, c.agg.leakWhere, describe(first)))
		f.Field = "Via/Contact"
		f.After = c.agg.leakWhere
		return []Finding{f}
	},
}

// isPrivate reports whether host is an address no one can reach from the
// Internet: RFC 1918, RFC 6598 shared space, link-local, ULA, loopback.
func isPrivate(host string) bool {
	a, ok := parseAddr(host)
	if !ok {
		return false
	}
	return a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || cgnat.Contains(a)
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// observeLeak counts the outbound messages that left with a private
// address in Via or Contact and keeps the first.
func (a *aggregates) observeLeak(m *match.Message) {
	if m.Direction != "outbound" || m.WAN == nil || m.Retransmission {
		return
	}
	w := ""
	if h, _, ok := viaSentBy(m.WAN, 0); ok && leaked(h, m) {
		w = "Via " + h
	}
	for _, ct := range m.WAN.Contacts() {
		if h, _ := uriHostPort(m.WAN, ct.URI); leaked(h, m) && w == "" {
			w = "Contact " + h
		}
	}
	if w == "" {
		return
	}
	a.leaks++
	if a.leakFirst == nil || m.ID < a.leakFirst.ID {
		l := light(m)
		a.leakFirst, a.leakWhere = &l, w
	}
}

// leaked reports whether host, on the WAN side of outbound m, is a private
// address that crossed unrewritten: not the router's own WAN address that
// its ALG wrote behind a second NAT (DOUBLE-NAT says that), seen from
// beyond that NAT or on the router's own WAN.
func leaked(host string, m *match.Message) bool {
	if !isPrivate(host) {
		return false
	}
	a, ok := parseAddr(host)
	if !ok || a == m.LANSrc.Addr() {
		return true
	}
	return !behindNAT(a, m.WANSrc) && a != m.WANSrc.Addr()
}
