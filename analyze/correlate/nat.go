package correlate

import (
	"cmp"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"time"
)

// result finishes the second pass: clock refinement, mapping table, NAT
// properties. The Result is a copy, not p.res: a pointer into the pairer
// would keep all of it (streams, mappings, tables, the first pass's SIP
// keys) alive for as long as the Result.
func (p *pairer) result() *Result {
	res := new(Result)
	*res = p.res
	res.Warnings = p.warnings
	ts := func(ns int64) time.Time { return time.Unix(0, ns).UTC() }
	l, w := p.span[SideLANi], p.span[SideWANi]
	// The overlap is where both captures are known to have run (see
	// runs): a side not known to have started at its first packet ran
	// from before the other's.
	start := max(p.ran[SideLANi][0], p.ran[SideWANi][0], min(l[0], w[0]))
	end := min(p.ran[SideLANi][1], p.ran[SideWANi][1], max(l[1], w[1]))
	res.Overlap = Overlap{Start: ts(start), End: ts(end),
		LANFirst: ts(l[0]), LANLast: ts(l[1]), WANFirst: ts(w[0]), WANLast: ts(w[1])}
	p.finishClock(res)
	p.hops.finish(&res.Clock)
	for _, ms := range p.maps {
		if ms.suspectT != 0 {
			p.confirmExpiry(ms)
		}
		m := &ms.m
		m.PacketsOut, m.PacketsIn = ms.out, ms.in
		m.Kind = ms.kind()
		m.FirstSeen = time.Unix(0, ms.first).UTC()
		m.LastSeen = time.Unix(0, ms.last).UTC()
		if ms.survived {
			m.MaxIdleS = round(ns2s(ms.maxIdle), 6)
			if ms.maxIdle >= int64(MinIdleBound) {
				m.Lifetime.Lower = f64(m.MaxIdleS)
			}
		}
		if ms.expiryUpper > 0 {
			m.Lifetime.Upper = f64(round(ns2s(ms.expiryUpper), 6))
		}
		if ms.remotesTruncated {
			res.Warnings = append(res.Warnings, fmt.Sprintf("mapping %s→%s: more than %d remotes, list cut", m.LAN, m.WAN, maxRemotes))
		}
		slices.SortFunc(m.Remotes, func(a, b netip.AddrPort) int { return a.Compare(b) })
		res.Mappings = append(res.Mappings, *m)
	}
	slices.SortStableFunc(res.Mappings, func(a, b Mapping) int {
		return cmp.Or(cmp.Compare(a.Proto, b.Proto), a.LAN.Compare(b.LAN), a.FirstSeen.Compare(b.FirstSeen), a.WAN.Compare(b.WAN))
	})
	if res.Mappings == nil {
		res.Mappings = []Mapping{}
	}
	p.finishNAT(res)
	res.Streams, res.streamAdj = p.streams.result(p.adj), p.adj
	res.Warnings = append(res.Warnings, p.streams.warnings()...)
	if p.unmappedPairs > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d packet pair(s) belong to NAT mappings beyond the %d-mapping table: paired and counted, not listed as mappings", p.unmappedPairs, p.opt.MaxMappings))
	}
	if p.remotesRefused > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d remote endpoint(s) of mappings not listed: more than %d in all", p.remotesRefused, maxRemotesTotal))
	}
	if p.sipPairsRefused > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d SIP message(s) beyond the first %d were paired but not listed for matching", p.sipPairsRefused, p.opt.MaxSIPPairs))
	}
	if n := p.lan.evicted + p.wan.evicted; n > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d packet(s) were still waiting for their twin when the %d-packet bound per side pushed them out: counted as unpaired", n, p.opt.MaxPending))
	}
	switch {
	case res.Paired == 0 || p.sameAddr < res.Paired:
	case p.sameTime == res.Paired:
		res.Warnings = append(res.Warnings, "the two captures hold the same packets at the same times: the same capture given for both sides? Both show the same side of the router")
	default:
		res.Warnings = append(res.Warnings, "no packet changed address or port between the two captures: both were taken on the same side of the router, or it does no NAT")
	}
	return res
}

// kind is the traffic a mapping mostly carried; SIP wins over keep-alives
// and the like on the same port.
func (ms *mstate) kind() Kind {
	best := KindOther
	for _, k := range []Kind{KindSIP, KindRTP, KindRTCP} {
		if ms.kinds[k] > ms.kinds[best] {
			best = k
		}
	}
	return best
}

// finishClock refines the pass-1 offset with every pair's residual and
// derives the router latency.
func (p *pairer) finishClock(res *Result) {
	c := p.clk
	adj := combine(slices.Clone(p.out.v), slices.Clone(p.in.v))
	if math.IsNaN(adj) {
		adj = 0
	}
	p.adj = adj
	off := c.offset + adj
	res.Clock.OffsetS = round(off/1e9, 9)
	res.Clock.DriftPPM = round(c.drift*1e6, 3)
	res.Clock.MatchedPairs = p.out.n + p.in.n
	var lat []float64
	var maxLat float64
	for _, r := range p.out.v {
		lat = append(lat, r-adj)
	}
	for _, r := range p.in.v {
		lat = append(lat, adj-r)
	}
	if p.out.n > 0 {
		maxLat = p.out.max - adj
	}
	if p.in.n > 0 {
		maxLat = max(maxLat, adj-p.in.min)
	}
	if len(lat) > 0 {
		res.Clock.RouterLatency = Latency{P50: round(quantile(lat, 0.5)/1e6, 3), Max: round(maxLat/1e6, 3)}
	}
	if p.out.n == 0 || p.in.n == 0 {
		res.Warnings = append(res.Warnings, "clock: twins in one direction only; the offset includes the router latency")
	}
}

func (p *pairer) finishNAT(res *Result) {
	n := &res.NAT
	n.PublicAddresses = []netip.Addr{}
	for a := range p.public {
		n.PublicAddresses = append(n.PublicAddresses, a)
	}
	slices.SortFunc(n.PublicAddresses, netip.Addr.Compare)

	// Group the mappings by LAN endpoint, in order of creation.
	groups := map[epKey][]*Mapping{}
	var order []epKey
	for i := range res.Mappings {
		m := &res.Mappings[i]
		k := epKey{protoNum(m.Proto), m.LAN}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], m)
	}
	var kept, changed int
	var eim, dep, apd, notAPD string
	for _, k := range order {
		g := groups[k]
		if g[0].WAN.Port() == g[0].LAN.Port() {
			kept++
		} else {
			changed++
		}
		for _, m := range g {
			if r1, r2, ok := twoAddrs(m.Remotes); ok && eim == "" {
				eim = fmt.Sprintf("%s kept %s for %s and %s", m.LAN, m.WAN, r1, r2)
			}
			if r1, r2, ok := samePortsDiffer(m.Remotes); ok && notAPD == "" {
				notAPD = fmt.Sprintf("%s kept %s for %s and %s", m.LAN, m.WAN, r1, r2)
			}
		}
		for i, a := range g {
			for _, b := range g[i+1:] {
				// b was created while a was alive (a had packets after,
				// or b came too soon for a to have expired).
				alive := a.LastSeen.After(b.FirstSeen) || b.FirstSeen.Sub(a.LastSeen) < minExpiryGap
				if !alive || shareRemote(a.Remotes, b.Remotes) {
					continue
				}
				if dep == "" {
					dep = fmt.Sprintf("%s got %s for %s and %s for %s", a.LAN, a.WAN, listAddrs(a.Remotes), b.WAN, listAddrs(b.Remotes))
				}
				if r1, r2, ok := sameAddrOtherPort(a.Remotes, b.Remotes); ok && apd == "" {
					apd = fmt.Sprintf("%s got %s for %s and %s for %s", a.LAN, a.WAN, r1, b.WAN, r2)
				}
			}
		}
	}
	switch {
	case len(order) == 0:
	case changed == 0:
		n.PortPreservation = f64b(true)
	case kept == 0:
		n.PortPreservation = f64b(false)
	default:
		n.PortPreservation = f64b(kept > changed)
		res.Warnings = append(res.Warnings, fmt.Sprintf("port preservation: %d LAN endpoints kept their port, %d did not", kept, changed))
	}
	switch {
	case eim != "" && dep == "":
		n.MappingBehavior, n.BehaviorReason = EndpointIndependent, eim
	case dep != "" && eim == "" && apd != "":
		n.MappingBehavior, n.BehaviorReason = AddressAndPortDependent, apd
	case dep != "" && eim == "" && notAPD != "":
		n.MappingBehavior, n.BehaviorReason = AddressDependent, dep+"; "+notAPD
	case dep != "" && eim == "":
		// A new public port per remote address. RFC 4787 address-dependent
		// would also do that; no LAN endpoint reached two ports of one
		// remote address to tell them apart. Routers that do this are
		// "symmetric" (address-and-port-dependent) in practice.
		n.MappingBehavior, n.BehaviorReason = AddressAndPortDependent, dep+" (address-dependent not excluded: no two ports of one remote address seen)"
	case dep != "" && eim != "":
		n.MappingBehavior, n.BehaviorReason = BehaviorUnknown, "conflicting evidence: "+eim+"; but "+dep
	default:
		n.MappingBehavior, n.BehaviorReason = BehaviorUnknown, "each LAN endpoint talked to only one remote"
	}
	// UDP timeout bounds from all UDP mappings.
	for _, ms := range p.maps {
		if ms.m.Proto != "udp" {
			continue
		}
		if ms.survived && ms.maxIdle >= int64(MinIdleBound) {
			v := round(ns2s(ms.maxIdle), 6)
			if n.UDPTimeout.Lower == nil || v > *n.UDPTimeout.Lower {
				n.UDPTimeout.Lower = f64(v)
			}
		}
		if ms.expiryUpper > 0 {
			v := round(ns2s(ms.expiryUpper), 6)
			if n.UDPTimeout.Upper == nil || v < *n.UDPTimeout.Upper {
				n.UDPTimeout.Upper = f64(v)
			}
		}
	}
	if l, u := n.UDPTimeout.Lower, n.UDPTimeout.Upper; l != nil && u != nil && *l > *u {
		res.Warnings = append(res.Warnings, fmt.Sprintf("udp timeout: a mapping survived %.1f s idle, another expired after %.1f s", *l, *u))
	}
}

func f64b(v bool) *bool { return &v }

func protoNum(s string) uint8 {
	if s == "tcp" {
		return 6
	}
	return 17
}

func twoAddrs(rs []netip.AddrPort) (netip.AddrPort, netip.AddrPort, bool) {
	for i := range rs {
		for j := i + 1; j < len(rs); j++ {
			if rs[i].Addr() != rs[j].Addr() {
				return rs[i], rs[j], true
			}
		}
	}
	return netip.AddrPort{}, netip.AddrPort{}, false
}

func samePortsDiffer(rs []netip.AddrPort) (netip.AddrPort, netip.AddrPort, bool) {
	for i := range rs {
		for j := i + 1; j < len(rs); j++ {
			if rs[i].Addr() == rs[j].Addr() && rs[i].Port() != rs[j].Port() {
				return rs[i], rs[j], true
			}
		}
	}
	return netip.AddrPort{}, netip.AddrPort{}, false
}

func shareRemote(a, b []netip.AddrPort) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

func sameAddrOtherPort(a, b []netip.AddrPort) (netip.AddrPort, netip.AddrPort, bool) {
	for _, x := range a {
		for _, y := range b {
			if x.Addr() == y.Addr() && x.Port() != y.Port() {
				return x, y, true
			}
		}
	}
	return netip.AddrPort{}, netip.AddrPort{}, false
}

func listAddrs(rs []netip.AddrPort) string {
	s := ""
	for i, r := range rs {
		if i > 0 {
			s += ", "
		}
		s += r.String()
	}
	return s
}
