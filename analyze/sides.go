package analyze

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/correlate"
)

// ErrSidesSwapped is returned (wrapped in a *SidesSwappedError) when the
// capture given as the LAN side holds the router's WAN side and the other
// its LAN side.
var ErrSidesSwapped = errors.New("analyze: LAN and WAN captures swapped")

// SidesSwappedError says which files to swap and why.
type SidesSwappedError struct {
	LAN, WAN capture.Source
	// Evidence is what gave it away, e.g. "the NAT maps 203.0.113.1:5060
	// on the side given as LAN to 192.168.1.10:5060 on the side given as
	// WAN".
	Evidence string
}

func (e *SidesSwappedError) Error() string {
	fix := fmt.Sprintf("swap them: --lan %s --wan %s", e.WAN.Path, e.LAN.Path)
	if e.LAN.Path == e.WAN.Path {
		fix = "swap --lan-if and --wan-if"
	}
	return fmt.Sprintf("the capture given as LAN (%s) holds the router's WAN side and the one given as WAN (%s) its LAN side: %s; %s",
		e.LAN, e.WAN, e.Evidence, fix)
}

func (e *SidesSwappedError) Unwrap() error { return ErrSidesSwapped }

// sidesSwapped looks at the NAT mappings for captures given the wrong way
// round: a NAT translates private addresses (RFC 1918, RFC 4193) on its
// LAN side to others on its WAN side, so mappings from a non-private
// address on the side given as LAN to a private one on the side given as
// WAN are the router seen backwards. It reports the evidence when such
// mappings outnumber the ones the right way round.
//
// Stopping (exit 2) rather than analysing with the sides exchanged is a
// decision (2026-12, issue 16): every frame number and file name in the
// report would otherwise refer to the other file than the one the user
// named, batch manifests would keep the wrong names, and the fix is one
// edit of the command line. A router whose both sides are private (behind
// a second NAT in RFC 1918 space) gives no such evidence and is analysed
// as given.
func sidesSwapped(res *correlate.Result) (string, bool) {
	var fwd, back int
	var example *correlate.Mapping
	for i := range res.Mappings {
		m := &res.Mappings[i]
		l, w := private(m.LAN.Addr()), private(m.WAN.Addr())
		switch {
		case l && !w:
			fwd++
		case !l && w:
			back++
			if example == nil {
				example = m
			}
		}
	}
	if back == 0 || back <= fwd {
		return "", false
	}
	return fmt.Sprintf("%d of %d NAT mapping(s) translate a public address on the side given as LAN to a private one "+
		"on the side given as WAN (e.g. %s → %s)", back, len(res.Mappings), example.LAN, example.WAN), true
}

// private reports whether a is in private address space (RFC 1918, RFC
// 4193 ULA) or link-local: where a NAT's LAN side lives, never its WAN.
func private(a netip.Addr) bool {
	return a.IsPrivate() || a.IsLinkLocalUnicast()
}
