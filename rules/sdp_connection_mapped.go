package rules

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/match"
)

// SDPConnectionMapped recognises an SDP c= rewritten to the router's
// public address.
var SDPConnectionMapped = &Rule{
	ID: "SDP-CONNECTION-MAPPED", Verdict: Correct, Severity: SevInfo, Since: "v0.1",
	Title: "SDP c= rewritten to the public address",
	Text: "The router replaced the private address in the SDP connection line with its public address, so the far " +
		"end sends media to the router. Whether the port is right too is judged on the m= line.",
	Fix:  "Nothing to fix.",
	Refs: []string{"RFC 4566 §5.7", "RFC 3665 §3.5"},
	Claim: func(c *Context, m *match.Message, ch *fielddiff.Change) (string, bool) {
		if m.Direction != "outbound" || ch.Kind != fielddiff.Changed {
			return "", false
		}
		_, _, rest := fieldPath(ch.Field)
		if ch.Field != "sdp.c" && !(strings.HasPrefix(rest, "m[") && strings.HasSuffix(rest, ".c")) {
			return "", false
		}
		a, ok := connAddr(string(ch.After))
		if !ok || !c.IsPublic(a) {
			return "", false
		}
		return fmt.Sprintf("c= now carries %s, the router's public address.", a), true
	},
}

// connAddr returns the address of a c= or o= value ("IN IP4 a.b.c.d" or
// the o= fields ending in it), without a "/ttl" suffix.
func connAddr(v string) (a netip.Addr, ok bool) {
	f := strings.Fields(v)
	if len(f) == 0 {
		return a, false
	}
	last := f[len(f)-1]
	if i := strings.IndexByte(last, '/'); i >= 0 {
		last = last[:i]
	}
	return parseAddr(last)
}
