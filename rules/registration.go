package rules

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/sipmsg"
)

// registration is what the capture shows of one phone's registration: the
// REGISTER dialog, the mapping it used, how often it refreshes, and how
// often something keeps the mapping alive in between.
type registration struct {
	dialog  int
	first   *match.Message // the first REGISTER
	mapping *correlate.Mapping
	// expires is the registration interval granted (200 OK Contact
	// ;expires or Expires) or asked for, in seconds; 0 when unknown.
	expires    int
	expiresSrc string
	// cadence is the observed interval between REGISTER refreshes
	// (seconds); 0 when fewer than two were seen.
	cadence float64
	// keepalive is the estimated interval of traffic keeping the mapping
	// alive between refreshes (OPTIONS, CRLF pings...); 0 when none seen.
	keepalive    float64
	keepaliveSrc string
	// outbound is set when the phone registered with RFC 5626 outbound
	// (a Contact ;reg-id); flowTimer is the 2xx's Flow-Timer (s).
	outbound  bool
	flowTimer int
}

// refresh is the longest the mapping is expected to sit idle.
func (r *registration) refresh() (float64, string) {
	best, src := 0.0, ""
	switch {
	case r.cadence > 0:
		best, src = r.cadence, fmt.Sprintf("the phone re-registers every %s (observed)", secs(r.cadence))
	case r.expires > 0:
		best, src = float64(r.expires), fmt.Sprintf("the registration refreshes every %d s (%s)", r.expires, r.expiresSrc)
	default:
		best, src = 3600, "registration interval unknown, 3600 s assumed (RFC 3261 §10.2.1.1 default)"
	}
	if r.keepalive > 0 && r.keepalive < best {
		return r.keepalive, src + fmt.Sprintf(", keepalive every ≈%s (%s)", secs(r.keepalive), r.keepaliveSrc)
	}
	return best, src + ", no keepalive seen"
}

// observeRegistration takes from m what registrations() needs: the
// first REGISTER of each dialog, the Expires asked for and granted, the
// times of the refreshes, RFC 5626 outbound.
func (a *aggregates) observeRegistration(c *Context, m *match.Message) {
	if m.Method != "REGISTER" || m.Direction != "outbound" && m.Status == nil {
		return
	}
	r := a.regs[m.Dialog]
	if r == nil && m.Status == nil && m.Direction == "outbound" && (m.LAN != nil || m.State == match.Outside && m.WAN != nil) {
		// A REGISTER outside the LAN capture's time (seen on the WAN
		// only) still starts the registration: its mapping is the one its
		// WAN source belongs to.
		first := light(m)
		r = &registration{dialog: m.Dialog, first: &first}
		r.mapping = c.outboundMapping(m)
		a.regs[m.Dialog] = r
	}
	if r == nil {
		return
	}
	p := m.LAN
	if p == nil {
		p = m.WAN
	}
	if p == nil {
		return
	}
	switch {
	case m.Status == nil && !m.Retransmission:
		a.regTimes[m.Dialog] = appendTime(a.regTimes[m.Dialog], m.TS)
		for _, ct := range p.Contacts() {
			if _, ok := ct.Param(p.Raw, "reg-id"); ok {
				r.outbound = true
			}
		}
		if r.expires == 0 {
			if n, ok := requestedExpires(p); ok {
				r.expires, r.expiresSrc = n, "asked for in the REGISTER"
			}
		}
	case m.Status != nil && *m.Status >= 200 && *m.Status < 300:
		if n, ok := requestedExpires(p); ok {
			r.expires, r.expiresSrc = n, fmt.Sprintf("granted in the %d OK", *m.Status)
		}
		if v := p.HeaderValue("Flow-Timer"); v != nil {
			if n, err := strconv.Atoi(strings.TrimSpace(string(v))); err == nil && n > 0 {
				r.flowTimer = n
			}
		}
	}
}

// registrations returns the registrations in the capture, in the order of
// their first REGISTER, once per Context: how often each is refreshed
// (the median gap between its REGISTERs) and kept alive.
func (c *Context) registrations() []*registration {
	if c.regs != nil {
		return *c.regs
	}
	out := make([]*registration, 0, len(c.agg.regs))
	for _, r := range c.agg.regs {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *registration) int { return cmp.Compare(a.first.ID, b.first.ID) })
	for _, r := range out {
		ts := c.agg.regTimes[r.dialog]
		var gaps []float64
		for k := 1; k < len(ts); k++ {
			// Gaps under 5 s are the challenge round trip, not a refresh.
			if g := float64(ts[k]-ts[k-1]) / 1e9; g > 5 {
				gaps = append(gaps, g)
			}
		}
		if len(gaps) > 0 {
			slices.Sort(gaps)
			r.cadence = gaps[len(gaps)/2]
		}
		r.keepalive, r.keepaliveSrc = c.keepalive(r)
	}
	c.regs = &out
	return out
}

// keepalive estimates how often something other than REGISTER refreshes
// the registration's mapping: outbound SIP requests from the phone (OPTIONS
// pings), inbound requests the registrar sends (NAT pings that got
// through), and non-SIP packets on the mapping (CRLF keepalives, STUN).
func (c *Context) keepalive(r *registration) (float64, string) {
	if r.mapping == nil {
		return 0, ""
	}
	ts := c.agg.pings[r.mapping.WAN]
	sipOut := c.agg.sipOut[r.mapping.WAN]
	if g, ok := medianGap(ts); ok {
		return g, "OPTIONS/NOTIFY pings"
	}
	if r.outbound {
		// RFC 5626 §4.4.1: keepalives at 80-100% of Flow-Timer, or
		// every 95-120 s by default over UDP.
		if r.flowTimer > 0 {
			return float64(r.flowTimer), fmt.Sprintf("RFC 5626 outbound, Flow-Timer %d s", r.flowTimer)
		}
		return 120, "RFC 5626 outbound, default keepalive interval"
	}
	if extra := r.mapping.PacketsOut - sipOut; extra >= 2 {
		span := r.mapping.LastSeen.Sub(r.mapping.FirstSeen).Seconds()
		if span > 0 {
			return span / float64(extra), strconv.Itoa(extra) + " non-SIP packets on the SIP mapping (CRLF/STUN keepalives)"
		}
	}
	return 0, ""
}

// observeKeepalive counts, per public endpoint, the SIP that left from it
// and the times of the OPTIONS/NOTIFY pings from or to it (m is a message
// of a dialog whose first request was method). Kept per endpoint as the
// messages pass: looked up per registration it was quadratic (issue 15).
func (a *aggregates) observeKeepalive(m *match.Message, method string) {
	if m.Direction == "outbound" && m.LANFrame != nil && m.WANSrc.IsValid() {
		a.sipOut[m.WANSrc]++
	}
	if m.Status != nil || m.Retransmission || method != "OPTIONS" && method != "NOTIFY" {
		return
	}
	switch {
	case m.Direction == "outbound" && m.WANSrc.IsValid():
		a.pings[m.WANSrc] = appendTime(a.pings[m.WANSrc], m.TS)
	case m.Direction == "inbound" && m.State == match.Matched && m.WANDst.IsValid():
		a.pings[m.WANDst] = appendTime(a.pings[m.WANDst], m.TS)
	}
}

// requestedExpires reads the registration interval from a REGISTER or its
// 2xx: the first Contact's ;expires, else the Expires header.
func requestedExpires(p *sipmsg.Message) (int, bool) {
	if p == nil {
		return 0, false
	}
	for _, a := range p.Contacts() {
		if prm, ok := a.Param(p.Raw, "expires"); ok {
			if n, err := strconv.Atoi(strings.TrimSpace(string(p.Bytes(prm.Value)))); err == nil {
				return n, true
			}
		}
	}
	if v := p.HeaderValue("Expires"); v != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(v))); err == nil {
			return n, true
		}
	}
	return 0, false
}

// outboundMapping is the NAT mapping an outbound message used: by its LAN
// source (with an address-dependent NAT the LAN endpoint has one per
// remote), or for one seen on the WAN side only (outside the LAN capture)
// by its WAN source; nil when none is known.
func (c *Context) outboundMapping(m *match.Message) *correlate.Mapping {
	if m.LAN == nil {
		if ms := c.byWAN[lanKey{m.Proto, m.WANSrc}]; len(ms) > 0 {
			return ms[len(ms)-1]
		}
		return nil
	}
	for _, mp := range c.MappingOf(m.Proto, m.LANSrc) {
		if !m.WANSrc.IsValid() || mp.WAN == m.WANSrc {
			return mp
		}
	}
	return nil
}

// timeoutBounds returns the bounds on how long the registration's mapping
// survives idle: its own lifetime when it expired, else the NAT's.
func (c *Context) timeoutBounds(r *registration) correlate.Bounds {
	if r.mapping != nil && r.mapping.Expired && r.mapping.Lifetime.Upper != nil {
		return r.mapping.Lifetime
	}
	return c.Corr.NAT.UDPTimeout
}

// refreshCovered reports whether every registration's mapping is known to
// outlive the interval between refreshes.
func refreshCovered(c *Context) bool {
	for _, r := range c.registrations() {
		b := c.timeoutBounds(r)
		iv, _ := r.refresh()
		if b.Lower == nil || *b.Lower < iv {
			return false
		}
	}
	return true
}

// secs writes a duration in seconds as support engineers quote timers:
// "60 s", "1.2 s".
func secs(v float64) string {
	if v >= 10 || v == float64(int64(v)) {
		return fmt.Sprintf("%.0f s", v)
	}
	return fmt.Sprintf("%.1f s", v)
}

// medianGap returns the median interval, in seconds, between the times ts
// (Unix ns, any order; sorted in place); false with fewer than two.
func medianGap(ts []int64) (float64, bool) {
	if len(ts) < 2 {
		return 0, false
	}
	slices.Sort(ts)
	gaps := make([]float64, 0, len(ts)-1)
	for k := 1; k < len(ts); k++ {
		gaps = append(gaps, float64(ts[k]-ts[k-1])/1e9)
	}
	slices.Sort(gaps)
	return gaps[len(gaps)/2], true
}
