package rules

import (
	"fmt"

	"github.com/sipalg/sipalg/analyze/correlate"
)

// MediaPinholeClosed recognises RTP that crossed the router and then
// stopped crossing mid-call while it still arrived.
var MediaPinholeClosed = &Rule{
	ID: "MEDIA-PINHOLE-CLOSED", Verdict: Bad, Severity: Major, Since: "v0.1",
	Title: "RTP stopped crossing the router mid-call",
	Text: "Inbound RTP was forwarded to the phone for a while, then kept arriving at the router's public side and " +
		"was no longer forwarded: the ALG closed the media pinhole (an inactivity timer during hold or mute, or a " +
		"maximum call duration). Audio is lost while the call stays up.",
	Fix:     "Turn the router's SIP ALG off, or raise its media inactivity timer (Junos: inactive-media-timeout).",
	Refs:    []string{"Junos SIP ALG inactive-media-timeout"},
	Capture: true,
	Check: func(c *Context) []Finding {
		var out []Finding
		for i := range c.Corr.Mappings {
			mp := &c.Corr.Mappings[i]
			if mp.Kind != correlate.KindRTP || mp.PacketsIn == 0 || mp.DroppedInbound < minPinholeDrops {
				continue
			}
			out = append(out, Finding{Direction: "inbound", Field: "rtp", Before: mp.WAN.String(), After: mp.LAN.String(),
				Explanation: fmt.Sprintf("%d inbound RTP packet(s) to %s were forwarded to %s, then %d more arrived and were dropped.",
					mp.PacketsIn, mp.WAN, mp.LAN, mp.DroppedInbound)})
		}
		return out
	},
}

// minPinholeDrops is the fewest dropped inbound RTP packets taken as a
// closed pinhole rather than loss: 10 packets are 200 ms of G.711.
const minPinholeDrops = 10
