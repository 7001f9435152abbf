package rules

import (
	"fmt"
	"strings"

	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/match"
)

// InboundRestored recognises an inbound message whose addresses the router
// rewrote back to the LAN values, consistently with the mapping.
var InboundRestored = &Rule{
	ID: "INBOUND-RESTORED", Verdict: Correct, Severity: SevInfo, Since: "v0.1",
	Title: "Inbound message rewritten back to the LAN values",
	Text: "On the way in, the router turned its public address back into the phone's private one (in the " +
		"Request-URI, a response's Via, an echoed Contact), exactly undoing its outbound rewrite. The phone sees its " +
		"own addresses, as if there were no NAT.",
	Fix:  "Nothing to fix.",
	Refs: []string{"RFC 3665 §3.5", "Linux nf_nat_sip (reply direction)"},
	Claim: func(c *Context, m *match.Message, ch *fielddiff.Change) (string, bool) {
		if m.Direction != "inbound" {
			return "", false
		}
		// An exact undoing of an outbound change of the same dialog: the
		// first of the same field if there is one, else the first.
		var undone *fielddiff.Change
		if ch.After != nil {
			head, _, rest := fieldPath(ch.Field)
			for _, o := range c.outChangesOf(m.Dialog) {
				if string(o.Before) != string(ch.After) || string(o.After) != string(ch.Before) {
					continue
				}
				same := false
				if oh, _, or := fieldPath(o.Field); oh == head && or == rest {
					same = true
				}
				if undone == nil || same {
					undone = o
				}
				if same {
					break
				}
			}
		}
		if undone != nil {
			// Concatenated, not fmt.Sprintf: a SIP-heavy capture has
			// one per inbound message (issue 15).
			return ch.Field + " went back from " + string(ch.Before) + " to " + string(ch.After) +
				", undoing the outbound rewrite of " + undone.Field + ".", true
		}
		// Or Via received/rport set back to the phone's own address and port.
		if head, idx, rest := fieldPath(ch.Field); head == "Via" && idx == 0 && ch.Kind == fielddiff.Changed {
			switch rest {
			case "received":
				if a, ok := parseAddr(string(ch.After)); ok && a == m.LANDst.Addr() {
					return fmt.Sprintf("Via received went back from %s to the phone's address %s.", ch.Before, ch.After), true
				}
			case "rport":
				if atoiPort(string(ch.After)) == int(m.LANDst.Port()) && atoiPort(string(ch.Before)) == int(m.WANDst.Port()) {
					return fmt.Sprintf("Via rport went back from the public port %s to the phone's port %s.", ch.Before, ch.After), true
				}
			}
		}
		// Or an address rewritten from the public endpoint the packet was
		// sent to back to the LAN endpoint it was delivered to.
		if !isAddressField(ch.Field) || ch.Kind != fielddiff.Changed {
			return "", false
		}
		return restoredAddress(c, m, string(ch.Before), string(ch.After))
	},
}

// restoredAddress reports whether before names the router's public side and
// after the LAN destination of the inbound packet, with the same port
// relation.
func restoredAddress(c *Context, m *match.Message, before, after string) (string, bool) {
	lan, wan := m.LANDst, m.WANDst
	if !lan.IsValid() || !wan.IsValid() {
		return "", false
	}
	bl, al := ipLiterals(before), ipLiterals(after)
	if len(bl) == 0 || len(al) == 0 {
		return "", false
	}
	b, ok1 := parseAddr(bl[0])
	a, ok2 := parseAddr(al[0])
	if !ok1 || !ok2 || a != lan.Addr() || !(b == wan.Addr() || c.IsPublic(b)) {
		return "", false
	}
	// Where a port is written, it must be the LAN destination's.
	if i := strings.Index(after, al[0]+":"); i >= 0 {
		rest := after[i+len(al[0])+1:]
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if atoiPort(rest[:j]) != int(lan.Port()) {
			return "", false
		}
	}
	return fmt.Sprintf("%s went from %s to %s, the LAN endpoint the router delivered the message to.", "address", before, after), true
}

// sameField compares field paths without their indexes.
func sameField(a, b string) bool {
	ha, _, ra := fieldPath(a)
	hb, _, rb := fieldPath(b)
	return ha == hb && ra == rb
}
