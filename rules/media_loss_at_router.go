package rules

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// lossBadPct is the share of a stream's packets the router may lose
// before the loss is graded bad. ITU-T G.107's E-model turns packet loss
// into an equipment impairment Ie-eff = Ie + (95 - Ie)·Ppl/(Ppl/BurstR +
// Bpl); for G.711 G.113 Appendix I gives Ie = 0 and a loss robustness Bpl
// of 4.3 without packet loss concealment, 25.1 with it. At 1 % random
// loss that is Ie-eff ≈ 18 without concealment, enough on its own to take
// the default rating R = 93.2 below 80, the edge of the band G.107/G.109
// call "users satisfied"; with concealment 1 % costs ≈ 3.6 and the
// budget for the whole path is gone by 3-4 %. A router is one hop of that
// path and should lose nothing, so 1 % lost at the router alone is where
// the caller hears it: bad from there, a warning below.
const lossBadPct = 1.0

// MediaLossAtRouter recognises RTP the router itself lost: packets seen
// entering it and never leaving, scattered through a stream that kept
// crossing.
var MediaLossAtRouter = &Rule{
	ID: "MEDIA-LOSS-AT-ROUTER", Verdict: Bad, Severity: Major, Since: "v0.2",
	Title: "The router lost RTP it should have forwarded",
	Text: "RTP packets were captured entering the router and never left it, while the rest of the stream " +
		"crossed: the router itself dropped them (an overloaded CPU or queue, a rate limit, a faulty link on " +
		"the router). The rest of the path is excluded: the packets were captured on both sides of the router. (A " +
		"capture taken further away than the router's own interface, at the SIP server say, moves that point: the " +
		"loss then lies between the two capture points, the router among them.) " +
		"Graded bad from 1 % of a stream's packets — where the ITU-T E-model (G.107, with G.113's loss " +
		"robustness for G.711) puts the call below the \"users satisfied\" rating — and a warning below. A " +
		"stream that stopped crossing altogether is MEDIA-PINHOLE-CLOSED, not loss.",
	Fix: "Look at the router's load and queues while calls run (CPU, QoS, rate limits, link errors); prioritise " +
		"RTP, or replace the router.",
	Refs:    []string{"ITU-T G.107 (E-model, Ie-eff)", "ITU-T G.113 Appendix I (Ie, Bpl)", "RFC 3550 §6.4.1"},
	Capture: true,
	Check: func(c *Context) []Finding {
		var out []Finding
		for _, r := range c.media() {
			if !crossed(&r) {
				continue // never crossed: MEDIA-ONE-WAY
			}
			lost := scatteredLoss(c, &r)
			if lost == 0 {
				continue
			}
			pct := float64(lost) * 100 / float64(r.Entered)
			f := Finding{Direction: r.Direction, Field: "rtp",
				Explanation: fmt.Sprintf("RTP stream %s (%s, %s): the router lost %d of the %d packets that entered it (%.2f %%, longest burst %d)%s.",
					r.SSRC, r.Direction, streamEnds(&r), lost, r.Entered, pct, r.MaxLossBurst, lossVerdictText(pct))}
			if fr := r.Stream.GapFrames; len(fr) > 0 {
				if r.Direction == "outbound" {
					f.LANFrame = intp(fr[0])
				} else {
					f.WANFrame = intp(fr[0])
				}
			}
			if pct < lossBadPct {
				f.Verdict, f.Severity = Warning, Minor
			}
			f.order = uint64(r.index) + 1
			out = append(out, f)
		}
		return out
	},
}

// scatteredLoss is what r lost at the router outside a tail that
// MEDIA-PINHOLE-CLOSED reports.
func scatteredLoss(c *Context, r *MediaStream) int {
	if pinholeClosed(c, r) {
		return r.LostAtRouter - r.StoppedCrossing
	}
	return r.LostAtRouter
}

func lossVerdictText(pct float64) string {
	if pct >= lossBadPct {
		return fmt.Sprintf(": at %g %% or more, loss is audible (ITU-T G.107/G.113)", lossBadPct)
	}
	return fmt.Sprintf(": below %g %%, not audible on its own, but a router should lose nothing", lossBadPct)
}

// streamEnds writes a stream's path: phone, public and far endpoints,
// leaving out one no packet showed.
func streamEnds(r *MediaStream) string {
	ends := []string{}
	for _, ep := range []*netip.AddrPort{r.LAN, r.WAN, &r.Remote} {
		if ep != nil {
			ends = append(ends, ep.String())
		}
	}
	if r.Direction == "inbound" {
		slices.Reverse(ends)
	}
	return strings.Join(ends, " → ")
}
