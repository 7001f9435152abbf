package main

import (
	"fmt"
	"strings"

	"github.com/sipalg/sipalg/analyze"
	"github.com/sipalg/sipalg/analyze/correlate"
)

// Where the captures were taken, in the words the table and the HTML
// report share (clock.hops, clock.captured_at_router).

// latencyLabel names the latency: the router's when the captures are its
// own interfaces (or nothing says otherwise), the path's when they are not.
func latencyLabel(c correlate.Clock) string {
	if c.Away() {
		return "path latency"
	}
	return "router latency"
}

// capturePoints says where the captures were taken when that changes how
// the report reads; "" when they are the router's own interfaces or the
// TTLs do not tell.
func capturePoints(c correlate.Clock) string {
	if !c.Away() {
		return ""
	}
	where := fmt.Sprintf("Captures taken %d hops apart", *c.Hops)
	if c.WANFar {
		where = fmt.Sprintf("WAN capture taken %d hops away", *c.Hops)
	}
	return where + ": latency includes the network path, and a message or packet seen on one side only was lost between the capture points " +
		"or dropped by the router (\"not seen\" in the ladders), or sent by something between them."
}

// stateLabel is a message state as the ladders show it: away from the
// router, a message seen on one side only is "not seen" there, not
// "dropped" or "generated" by the router.
func stateLabel(rep *analyze.Report, state string) string {
	if rep.Clock.Away() && (state == "dropped" || state == "generated") {
		return "not seen"
	}
	return state
}

// natAddresses is the public address list of the NAT line, naming the
// router's own WAN address behind a second NAT.
func natAddresses(n correlate.NAT) string {
	pubs := make([]string, len(n.PublicAddresses))
	for i, a := range n.PublicAddresses {
		pubs[i] = a.String()
	}
	s := orNone(strings.Join(pubs, ", "))
	if len(n.RouterWAN) == 0 {
		return s
	}
	wan := make([]string, len(n.RouterWAN))
	for i, a := range n.RouterWAN {
		wan[i] = a.String()
	}
	up := make([]string, len(n.UpstreamNAT))
	for i, a := range n.UpstreamNAT {
		up[i] = a.String()
	}
	return fmt.Sprintf("%s (behind a second NAT: the router's own WAN address is %s, the far end sees the upstream NAT's %s)",
		s, strings.Join(wan, ", "), orNone(strings.Join(up, ", ")))
}

// noneCompared reports whether the captures hold SIP but no message could
// be paired across the router (a snap length cut what pairing needs).
func noneCompared(rep *analyze.Report) bool {
	for _, m := range rep.Messages {
		if m.State != correlate.StateUnpaired {
			return false
		}
	}
	return len(rep.Messages) > 0
}
