package rules

import (
	"fmt"
	"time"
)

// MediaPinholeClosed recognises an RTP stream that crossed the router and
// then stopped crossing mid-call while it still arrived: a tail of lost
// packets, not scattered loss (that is MEDIA-LOSS-AT-ROUTER).
var MediaPinholeClosed = &Rule{
	ID: "MEDIA-PINHOLE-CLOSED", Verdict: Bad, Severity: Major, Since: "v0.1",
	Title: "RTP stopped crossing the router mid-call",
	Text: "An RTP stream crossed the router for a while, then kept arriving on the side it enters and was no " +
		"longer forwarded, up to its end: the router closed the media pinhole (an ALG inactivity timer during " +
		"hold or mute, a maximum call duration, a mapping expired or flushed). Audio is lost while the call " +
		"stays up. Only a run of at least 10 packets (200 ms of 20 ms packets) after the last that crossed, " +
		"before the hang-up and while both captures ran, counts: scattered loss is MEDIA-LOSS-AT-ROUTER.",
	Fix:     "Turn the router's SIP ALG off, or raise its media inactivity timer (Junos: inactive-media-timeout).",
	Refs:    []string{"Junos SIP ALG inactive-media-timeout"},
	Capture: true,
	Check: func(c *Context) []Finding {
		var out []Finding
		for _, r := range c.media() {
			if !pinholeClosed(c, &r) {
				continue
			}
			s := r.Stream
			f := Finding{Direction: r.Direction, Field: "rtp",
				Explanation: fmt.Sprintf("RTP stream %s (%s, %s): %d packet(s) crossed the router, then the last %d that entered (%s, from %s on) were not forwarded.",
					r.SSRC, r.Direction, streamEnds(&r), r.Left-r.Duplicated, r.StoppedCrossing,
					s.TailEnd.Sub(s.TailStart).Round(time.Millisecond), s.TailStart.Format("15:04:05.000"))}
			if r.Direction == "outbound" {
				f.LANFrame = intp(s.TailFrame)
			} else {
				f.WANFrame = intp(s.TailFrame)
			}
			f.order = uint64(r.index) + 1
			out = append(out, f)
		}
		return out
	},
}

// minPinholeDrops is the fewest packets lost after a stream's last
// crossing taken as a closed pinhole rather than loss: 10 packets are
// 200 ms of G.711, and at the 5 % random loss of a badly overloaded
// router ten in a row happen about once in 10^13 packets.
const minPinholeDrops = 10

// pinholeClosed reports whether r stopped crossing while it went on
// entering: a tail of at least minPinholeDrops lost packets, before the
// call's BYE. Packets entering after the capture of the side they leave
// by stopped are not counted lost (correlate), so a capture cut short
// makes no tail.
func pinholeClosed(c *Context, r *MediaStream) bool {
	s := r.Stream
	if !crossed(r) || r.StoppedCrossing < minPinholeDrops {
		return false
	}
	if p := c.planOf(r); p != nil && p.bye != 0 && s.TailStart.UnixNano() >= p.bye {
		return false // media after the hang-up
	}
	return true
}
