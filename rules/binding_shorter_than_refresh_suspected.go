package rules

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/oneside"
)

// BindingShorterThanRefreshSuspected recognises, on the WAN side, a
// registration refreshed less often than the router's mapping was seen to
// last.
var BindingShorterThanRefreshSuspected = &Rule{
	ID: "BINDING-SHORTER-THAN-REFRESH-SUSPECTED", Verdict: Warning, Severity: Critical, Since: "v0.2",
	Title: "Registration refreshed less often than the mapping lives",
	Text: "The phone refreshes its registration (or sends a keepalive) less often than the router's UDP mapping was " +
		"seen to survive: an inbound request after a shorter silence was refused or went unanswered. For most of " +
		"each registration period the registrar's binding points at a public port the router no longer maps, and " +
		"incoming calls are dropped at the router. The bound comes from one side only: the request may have been " +
		"lost for another reason, which a LAN capture would rule out.",
	Fix: "Make the phone send keepalives (SIP OPTIONS, CRLF pings or RFC 5626 outbound) or re-register more often " +
		"than the router's UDP timeout, raise that timeout (RFC 4787 asks for at least 2 minutes), or turn the ALG " +
		"off so the registrar detects the NAT and pings the phone itself.",
	Refs: []string{"seed: \"30-60 seconds\"", "RFC 4787 REQ-5", "RFC 5626 §4.4", "RFC 3261 §10.2.1.1"},
	CheckSingle: func(c *SingleContext) []Finding {
		if c.Side != oneside.WAN {
			return nil
		}
		var out []Finding
		for _, r := range singleRegistrations(c) {
			upper, why := c.mappingUpper(r.ep)
			if upper <= 0 {
				continue
			}
			iv, how := r.refresh()
			if iv <= 0 || iv <= upper {
				continue
			}
			text := fmt.Sprintf("The phone at %s %s; the router's mapping for it was gone after at most %s idle (%s). "+
				"Incoming calls that arrive more than %s after the phone's last packet will not reach it.",
				r.ep, how, secs(upper), why, secs(upper))
			f := c.singleFinding(r.first, text, r.frames...)
			f.Field = "Expires"
			f.After = fmt.Sprint(r.expires)
			out = append(out, f)
		}
		return out
	},
}

// singleRegistration is one phone endpoint's registration as one capture
// shows it.
type singleRegistration struct {
	ep            netip.AddrPort
	first         *match.Message
	frames        []int
	expires       int
	expiresHow    string
	cadence       float64
	keepalive     float64
	keepaliveHow  string
	registerTimes []int64
}

// refresh is the longest the mapping is expected to sit idle, and how it
// was found; 0 when unknown.
func (r *singleRegistration) refresh() (float64, string) {
	iv, how := 0.0, ""
	switch {
	case r.cadence > 0:
		iv, how = r.cadence, fmt.Sprintf("re-registers every %s (observed)", secs(r.cadence))
	case r.expires > 0:
		iv, how = float64(r.expires), fmt.Sprintf("registers for %d s (%s)", r.expires, r.expiresHow)
	default:
		return 0, ""
	}
	if r.keepalive > 0 && r.keepalive < iv {
		return r.keepalive, how + fmt.Sprintf(" and sends a keepalive every ≈%s (%s)", secs(r.keepalive), r.keepaliveHow)
	}
	return iv, how + " and no keepalive was seen"
}

// singleRegistrations finds each phone endpoint that registers from
// behind the router.
func singleRegistrations(c *SingleContext) []*singleRegistration {
	by := map[netip.AddrPort]*singleRegistration{}
	var order []netip.AddrPort
	for i := range c.Messages {
		m := &c.Messages[i]
		p, frame, src, dst := c.msg(m)
		if m.Method != "REGISTER" {
			continue
		}
		ep := src
		if m.Direction == "inbound" {
			ep = dst
		}
		r := by[ep]
		if r == nil {
			if m.Direction != "outbound" || m.Status != nil {
				continue
			}
			r = &singleRegistration{ep: ep, first: m}
			by[ep] = r
			order = append(order, ep)
		}
		switch {
		case m.Direction == "outbound" && m.Status == nil && !m.Retransmission:
			r.registerTimes = append(r.registerTimes, m.TS)
			if r.expires == 0 {
				if n, ok := requestedExpires(p); ok {
					r.expires, r.expiresHow = n, fmt.Sprintf("asked for in the REGISTER, frame %d", frame)
					r.frames = append(r.frames, frame)
				}
			}
		case m.Direction == "inbound" && m.Status != nil && *m.Status >= 200 && *m.Status < 300:
			if n, ok := requestedExpires(p); ok {
				r.expires, r.expiresHow = n, fmt.Sprintf("granted in the %d, frame %d", *m.Status, frame)
				r.frames = append(r.frames, frame)
			}
		}
	}
	var out []*singleRegistration
	for _, ep := range order {
		r := by[ep]
		var gaps []float64
		for k := 1; k < len(r.registerTimes); k++ {
			if g := float64(r.registerTimes[k]-r.registerTimes[k-1]) / 1e9; g > 5 {
				gaps = append(gaps, g)
			}
		}
		if len(gaps) > 0 {
			slices.Sort(gaps)
			r.cadence = gaps[len(gaps)/2]
		}
		r.keepalive, r.keepaliveHow = c.singleKeepalive(ep)
		out = append(out, r)
	}
	return out
}

// singleKeepalive estimates how often something refreshes ep's mapping
// besides REGISTER: OPTIONS or NOTIFY pings in either direction that got
// through, or tiny UDP packets from the phone (CRLF keep-alives).
func (c *SingleContext) singleKeepalive(ep netip.AddrPort) (float64, string) {
	// Pings are requests outside any call (isPing).
	x := c.index()
	ts := append(append([]int64(nil), x.pings[ep]...), x.answered[ep]...)
	if g, ok := medianGap(ts); ok {
		return g, "OPTIONS/NOTIFY pings"
	}
	for _, i := range x.keepalive[ep] {
		f := c.Flows[i]
		if span := float64(f.Last-f.First) / 1e9; span > 0 {
			return span / float64(f.Small), fmt.Sprintf("%d CRLF keep-alives on the SIP flow", f.Small)
		}
	}
	return 0, ""
}

// mappingUpper returns the upper bound on how long ep's mapping survives
// idle, from its own probes, else from the capture's; 0 when unknown.
func (c *SingleContext) mappingUpper(ep netip.AddrPort) (float64, string) {
	x := c.index()
	if i, ok := x.upper[ep]; ok {
		upper := *c.Mappings[i].Lifetime.Upper
		for _, j := range x.probes[ep] {
			if pr := c.Probes[j]; pr.IdleOut == upper {
				return pr.IdleOut, probeWhy(pr)
			}
		}
		return upper, c.Timeout.Upper
	}
	if u := c.NAT.UDPTimeout.Upper; u != nil {
		return *u, c.Timeout.Upper
	}
	return 0, ""
}

func probeWhy(pr oneside.Probe) string {
	if pr.Outcome == oneside.Refused {
		return fmt.Sprintf("the %s at frame %d was refused with ICMP port unreachable, %s", pr.Method, pr.Frames[0], frameWords(pr.ICMPFrames))
	}
	return fmt.Sprintf("the %s at frame %d went unanswered, %s", pr.Method, pr.Frames[0], frameWords(pr.Frames))
}
