package correlate

import (
	"fmt"
	"strings"
)

// Where the captures were taken, from the TTL (IPv4) or hop limit (IPv6)
// of twin packets. Every IP router between the two capture points
// decrements it once, whatever the remote host and its initial TTL, so a
// pair's difference counts the routers between the capture points in the
// direction it crossed: outbound the LAN TTL minus the WAN one, inbound the
// reverse. The router itself is one; captures taken on its own two
// interfaces differ by 1, a WAN capture taken at the server by the hops of
// the path as well.
//
// Why per direction (2026-12, issue 16): the two directions of a path need
// not cross the same routers; a difference seen one way only says nothing
// of the other, and an asymmetric path is reported as such.

// hopsDominant is the share of a direction's pairs that must agree on one
// difference for it to count: a few pairs with another difference (a
// packet routed another way, a TTL-rewriting middlebox on one flow) do not
// unsettle the rest; more than that and the capture points are not told.
const hopsDominant = 0.95

// hopsMax is the largest difference taken as hops: 64 routers is beyond
// any real path (traceroute's default limit is 30); larger or negative
// differences (a side whose TTLs went up) are no hop count.
const hopsMax = 64

// hopCounter tallies the TTL differences of twin pairs per direction, and
// how many outbound LAN packets carry a usual initial TTL (the LAN capture
// then sits on the phone's own link, so the hops beyond the router are on
// the WAN side). Fixed size: it never grows with the capture.
type hopCounter struct {
	out, in              [2*hopsMax + 2]int // by difference + hopsMax; last: out of range
	nOut, nIn            int
	lanInitial, lanTotal int
}

func (h *hopCounter) add(dir direction, lanTTL, wanTTL uint8) {
	if lanTTL == 0 || wanTTL == 0 {
		return // no IP header seen: a TTL of 0 is never forwarded
	}
	d := int(lanTTL) - int(wanTTL)
	hist, n := &h.out, &h.nOut
	if dir == dirInbound {
		d, hist, n = -d, &h.in, &h.nIn
	} else {
		h.lanTotal++
		if initialTTL(lanTTL) {
			h.lanInitial++
		}
	}
	i := d + hopsMax
	if i < 0 || i > 2*hopsMax {
		i = len(hist) - 1
	}
	hist[i]++
	*n++
}

// initialTTL reports whether t is a TTL hosts start with (Linux, macOS,
// BSD, Android, iOS and most phones 64; Windows 128; some network gear
// 255; old stacks 32).
func initialTTL(t uint8) bool { return t == 64 || t == 128 || t == 255 || t == 32 }

// dominant returns the difference that at least hopsDominant of the pairs
// show, if any.
func dominant(hist *[2*hopsMax + 2]int, n int) (int, bool) {
	if n == 0 {
		return 0, false
	}
	best := 0
	for i := range hist[:2*hopsMax+1] {
		if hist[i] > hist[best] {
			best = i
		}
	}
	if float64(hist[best]) < hopsDominant*float64(n) {
		return 0, false
	}
	return best - hopsMax, true
}

// spread describes a histogram: "1 hop in 150 pair(s), 2 in 3".
func spread(hist *[2*hopsMax + 2]int) string {
	var parts []string
	for i := range hist[:2*hopsMax+1] {
		if hist[i] > 0 {
			parts = append(parts, fmt.Sprintf("%d in %d", i-hopsMax, hist[i]))
		}
	}
	if k := hist[2*hopsMax+1]; k > 0 {
		parts = append(parts, fmt.Sprintf("out of range in %d", k))
	}
	return strings.Join(parts, ", ")
}

// finish fills the clock's hops, captured_at_router and their reason.
func (h *hopCounter) finish(c *Clock) {
	o, okO := dominant(&h.out, h.nOut)
	i, okI := dominant(&h.in, h.nIn)
	switch {
	case h.nOut+h.nIn == 0:
		c.HopsReason = "no twin packet with an IP header on both sides"
		return
	case h.nOut > 0 && !okO || h.nIn > 0 && !okI:
		c.HopsReason = fmt.Sprintf("TTL differences between the two captures vary (outbound: %s; inbound: %s): the packets took several paths between the capture points, or something rewrites TTLs", orNone(spread(&h.out)), orNone(spread(&h.in)))
		return
	}
	hops := o
	if !okO || okI && i > o {
		hops = i
	}
	if hops < 0 || okO && o < 0 || okI && i < 0 {
		c.HopsReason = fmt.Sprintf("TTLs are higher on the side a packet reached than on the side it came from (outbound: %s; inbound: %s): not a hop count (sides swapped, or a TTL-rewriting middlebox)", orNone(spread(&h.out)), orNone(spread(&h.in)))
		return
	}
	c.Hops = &hops
	if hops > 0 { // 0: no decrement at all, so the TTLs cannot place the captures
		at := hops == 1
		c.CapturedAtRouter = &at
	}
	var b strings.Builder
	if okO {
		fmt.Fprintf(&b, "outbound TTLs drop by %d between the captures in %d of %d pair(s)", o, h.out[o+hopsMax], h.nOut)
	}
	if okI {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "inbound by %d in %d of %d", i, h.in[i+hopsMax], h.nIn)
	}
	if okO && okI && o != i {
		fmt.Fprintf(&b, " (an asymmetric path: %d hop(s) outbound, %d inbound)", o, i)
	}
	switch {
	case hops == 0:
		b.WriteString(": nothing between the capture points decrements TTLs (a router that does not, or both captures on one side of it)")
	case hops == 1:
		b.WriteString(": the router's own two interfaces")
	case h.lanTotal > 0 && float64(h.lanInitial) >= hopsDominant*float64(h.lanTotal):
		c.WANFar = true
		fmt.Fprintf(&b, "; the LAN side sees the phones' initial TTLs, so the WAN capture was taken %d hops away, beyond the router", hops)
	default:
		fmt.Fprintf(&b, ": the captures were taken %d hops apart", hops)
	}
	c.HopsReason = b.String()
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
