package oneside

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/sipalg/sipalg/analyze/correlate"
)

// socketKey is one UA socket as the UA itself names it (its Via sent-by)
// and the remote it talked to.
type socketKey struct {
	declared netip.AddrPort
	remote   netip.AddrPort
}

// mappings builds the mapping table and the NAT section: for each endpoint
// of a host behind the router, the flows it had with hosts across the
// router, and for the other side of each mapping what the capture tells
// (the private Via sent-by on the WAN side, the server's received/rport on
// the LAN side).
func (r *Result) mappings(sc *scanned) {
	type agg struct {
		m     correlate.Mapping
		kinds [4]int
	}
	byEP := map[epKey]*agg{}
	var order []epKey
	for _, f := range sc.flowList {
		ua, remote, out, in := f.A, f.B, f.PacketsAB, f.PacketsBA
		switch {
		case r.IsUA(f.A.Addr()) && !r.IsUA(f.B.Addr()):
		case r.IsUA(f.B.Addr()) && !r.IsUA(f.A.Addr()):
			ua, remote, out, in = f.B, f.A, f.PacketsBA, f.PacketsAB
		default:
			continue
		}
		if r.Side == LAN && IsPrivate(remote.Addr()) {
			continue // stays on the LAN
		}
		k := epKey{protoNum(f.Proto), ua}
		a := byEP[k]
		if a == nil {
			a = &agg{m: correlate.Mapping{Proto: f.Proto, Remotes: []netip.AddrPort{}}}
			if r.Side == LAN {
				a.m.LAN = ua
			} else {
				a.m.WAN = ua
			}
			a.m.FirstSeen = time.Unix(0, f.First).UTC()
			a.m.LastSeen = time.Unix(0, f.Last).UTC()
			byEP[k] = a
			order = append(order, k)
		}
		if len(a.m.Remotes) < 256 && !slices.Contains(a.m.Remotes, remote) {
			a.m.Remotes = append(a.m.Remotes, remote)
		}
		if t := time.Unix(0, f.First).UTC(); t.Before(a.m.FirstSeen) {
			a.m.FirstSeen = t
		}
		if t := time.Unix(0, f.Last).UTC(); t.After(a.m.LastSeen) {
			a.m.LastSeen = t
		}
		a.m.PacketsOut += out
		a.m.PacketsIn += in
		a.kinds[f.Kind()] += f.PacketsAB + f.PacketsBA
	}
	// The other side of each SIP mapping, and the sockets for the
	// mapping behaviour.
	other := map[netip.AddrPort]netip.AddrPort{}
	sockets := map[socketKey]netip.AddrPort{}
	for i := range r.Match.Messages {
		m := &r.Match.Messages[i]
		p, _, src, dst := Msg(m)
		if p == nil || m.Proto != "udp" {
			continue
		}
		vias := p.Vias()
		if len(vias) == 0 {
			continue
		}
		v := vias[0]
		host, ok := ParseHost(string(p.Bytes(v.Host)))
		port := ViaPort(p, v)
		if !ok || port <= 0 || port > 65535 {
			continue
		}
		declared := netip.AddrPortFrom(host, uint16(port))
		switch {
		case r.Side == WAN && m.Direction == "outbound" && p.IsRequest:
			if IsPrivate(host) {
				other[src] = declared
			}
			sockets[socketKey{declared, dst}] = src
		case r.Side == LAN && m.Direction == "inbound" && !p.IsRequest:
			rc, ok1 := v.Received(p.Raw)
			rp, ok2 := v.RPort(p.Raw)
			got, okA := ParseHost(string(p.Bytes(rc.Value)))
			n, okP := atoi(p.Bytes(rp.Value))
			if ok1 && ok2 && okA && okP && !IsPrivate(got) && n > 0 && n <= 65535 {
				pub := netip.AddrPortFrom(got, uint16(n))
				other[dst] = pub
				sockets[socketKey{dst, src}] = pub
			}
		}
	}
	for _, k := range order {
		a := byEP[k]
		m := &a.m
		best := correlate.KindOther
		for _, kd := range []correlate.Kind{correlate.KindSIP, correlate.KindRTP, correlate.KindRTCP} {
			if a.kinds[kd] > a.kinds[best] {
				best = kd
			}
		}
		m.Kind = best
		if r.Side == WAN {
			m.LAN = other[m.WAN]
		} else {
			m.WAN = other[m.LAN]
		}
		ua := m.WAN
		if r.Side == LAN {
			ua = m.LAN
		}
		for _, pr := range r.Probes {
			if pr.Dst != ua || m.Proto != "udp" {
				continue
			}
			switch pr.Outcome {
			case Answered:
				if pr.IdleAny > m.MaxIdleS {
					m.MaxIdleS = pr.IdleAny
					if v := pr.IdleAny; v >= correlate.MinIdleBound.Seconds() {
						m.Lifetime.Lower = &v
					}
				}
			case Refused, Unanswered:
				m.DroppedInbound += len(pr.Frames)
				if pr.IdleOut >= minExpiryGap.Seconds() {
					m.Expired = true
					if m.Lifetime.Upper == nil || pr.IdleOut < *m.Lifetime.Upper {
						v := pr.IdleOut
						m.Lifetime.Upper = &v
					}
				}
			}
		}
		slices.SortFunc(m.Remotes, netip.AddrPort.Compare)
		r.Mappings = append(r.Mappings, *m)
	}
	slices.SortStableFunc(r.Mappings, func(a, b correlate.Mapping) int {
		return cmp.Or(cmp.Compare(a.Proto, b.Proto), a.WAN.Compare(b.WAN), a.LAN.Compare(b.LAN), a.FirstSeen.Compare(b.FirstSeen))
	})
	if r.Mappings == nil {
		r.Mappings = []correlate.Mapping{}
	}
	r.natSection(sockets)
}

// natSection fills what the capture tells of the NAT besides the timeout.
func (r *Result) natSection(sockets map[socketKey]netip.AddrPort) {
	n := &r.NAT
	n.PublicAddresses = []netip.Addr{}
	add := func(a netip.Addr) {
		if a.IsValid() && !IsPrivate(a) && !slices.Contains(n.PublicAddresses, a) {
			n.PublicAddresses = append(n.PublicAddresses, a)
		}
	}
	kept, changed := 0, 0
	for _, m := range r.Mappings {
		add(m.WAN.Addr())
		if m.LAN.IsValid() && m.WAN.IsValid() {
			if m.LAN.Port() == m.WAN.Port() {
				kept++
			} else {
				changed++
			}
		}
	}
	slices.SortFunc(n.PublicAddresses, netip.Addr.Compare)
	switch {
	case kept+changed == 0:
	case changed == 0:
		n.PortPreservation = boolp(true)
	case kept == 0:
		n.PortPreservation = boolp(false)
	default:
		n.PortPreservation = boolp(kept > changed)
		r.Warnings = append(r.Warnings, fmt.Sprintf("port preservation: %d endpoints kept their port, %d did not", kept, changed))
	}
	// Mapping behaviour: one UA socket seen at the public side with two
	// remotes.
	type seen struct {
		remote netip.AddrPort
		pub    netip.AddrPort
	}
	bySocket := map[netip.AddrPort][]seen{}
	var keys []socketKey
	for k := range sockets {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b socketKey) int {
		return cmp.Or(a.declared.Compare(b.declared), a.remote.Compare(b.remote))
	})
	for _, k := range keys {
		bySocket[k.declared] = append(bySocket[k.declared], seen{k.remote, sockets[k]})
	}
	var eim, dep string
	for _, k := range keys {
		ss := bySocket[k.declared]
		for i := range ss {
			for j := i + 1; j < len(ss); j++ {
				a, b := ss[i], ss[j]
				if a.remote.Addr() == b.remote.Addr() {
					continue
				}
				if a.pub == b.pub && eim == "" {
					eim = fmt.Sprintf("the UA socket %s reached %s and %s from the same public %s", k.declared, a.remote, b.remote, a.pub)
				}
				if a.pub != b.pub && dep == "" {
					dep = fmt.Sprintf("the UA socket %s reached %s from %s and %s from %s", k.declared, a.remote, a.pub, b.remote, b.pub)
				}
			}
		}
	}
	switch {
	case eim != "" && dep == "":
		n.MappingBehavior, n.BehaviorReason = correlate.EndpointIndependent, "inferred from one side: "+eim
	case dep != "" && eim == "":
		n.MappingBehavior, n.BehaviorReason = correlate.AddressAndPortDependent, "inferred from one side: "+dep+" (address-dependent not excluded)"
	case dep != "":
		n.MappingBehavior, n.BehaviorReason = correlate.BehaviorUnknown, "conflicting evidence: "+eim+"; but "+dep
	default:
		n.MappingBehavior, n.BehaviorReason = correlate.BehaviorUnknown, "one capture: no UA socket was seen reaching two remote addresses with its public side known"
	}
}

func boolp(v bool) *bool { return &v }

func protoNum(s string) uint8 {
	if s == "tcp" {
		return 6
	}
	return 17
}

func atoi(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 6 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
