package oneside

import (
	"bytes"
	"fmt"
	"net/netip"
	"time"

	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/inventory"
	"github.com/sipalg/sipalg/analyze/sipmsg"
)

// burstGap is the pause after which a flow's traffic counts as a new
// burst; maxBursts bounds the bursts kept per flow.
const (
	burstGap  = 2 * time.Second
	maxBursts = 64
)

// flowKey names a flow by its two endpoints, lower first.
type flowKey struct {
	proto  uint8
	lo, hi netip.AddrPort
}

func keyOf(proto uint8, a, b netip.AddrPort) flowKey {
	if b.Compare(a) < 0 {
		a, b = b, a
	}
	return flowKey{proto, a, b}
}

// epKey names a transport endpoint.
type epKey struct {
	proto uint8
	ep    netip.AddrPort
}

// dirKey names one direction of a flow.
type dirKey struct {
	proto    uint8
	src, dst netip.AddrPort
}

// gaps is the silence before a UDP SIP message, seen from its destination:
// how long since the destination endpoint saw any packet (either direction,
// any peer), and since it last sent to the message's source. -1 when never.
type gaps struct {
	dstAny, dstToSrc int64
}

// scanned is what the pass over the capture collected.
type scanned struct {
	sip      []correlate.SIPRecord
	sipBytes int
	refused  int
	// refusedTS is when the first message past the limits was sent.
	refusedTS int64
	lim       Limits
	// gapsByFrame holds the gaps of each UDP SIP message, by frame.
	gapsByFrame map[int]gaps
	flows       map[flowKey]*Flow
	flowList    []*Flow
	untracked   int
	// lastEP and lastDir hold, by endpoint and by direction, the index
	// of the last packet's time in lastT: one hash a packet for a key
	// already seen, not a lookup and a store (2026-12, issue 15: touch
	// was 1.1 s of the 730k SIP-heavy pair's WAN side, 8.4 million
	// packets).
	lastEP   map[epKey]int32
	lastDir  map[dirKey]int32
	lastT    []int64
	unreach  []Unreachable
	end      int64 // last timestamp
	warnings []string
}

// scan reads the capture once.
func scan(src capture.Source, lim Limits) (*scanned, error) {
	r, err := capture.OpenSource(src)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	s := &scanned{
		lim:         lim,
		gapsByFrame: map[int]gaps{}, flows: map[flowKey]*Flow{},
		lastEP: map[epKey]int32{}, lastDir: map[dirKey]int32{},
	}
	sc := capture.NewScanner(r, lim.Capture)
	for p := sc.Next(); p != nil; p = sc.Next() {
		s.end = max(s.end, p.TS)
		switch p.Proto {
		case capture.ProtoUDP:
			f := s.flow(p)
			kind := "other"
			switch {
			case sipmsg.IsSIP(p.Payload):
				kind = "sip"
				s.gapsByFrame[p.Frame] = s.gapsBefore(p)
				s.keep(correlate.SIPRecord{Frame: p.Frame, TS: p.TS, Src: p.Src, Dst: p.Dst, Proto: p.Proto, Data: p.Payload})
			case inventory.IsRTCP(p.Payload):
				kind = "rtcp"
			case inventory.IsRTP(p.Payload):
				kind = "rtp"
			}
			if f != nil {
				f.count(kind)
				if len(p.Payload) <= 4 && (len(p.Payload) == 0 || len(bytes.Trim(p.Payload, "\r\n")) == 0) {
					f.Small++
				}
			}
			s.touch(p)
		case capture.ProtoTCP:
			f := s.flow(p)
			for _, m := range p.SIP {
				s.keep(correlate.SIPRecord{Frame: m.Frame, TS: p.TS, Src: p.Src, Dst: p.Dst, Proto: p.Proto, Data: m.Data})
				if f != nil {
					f.SIP++
				}
			}
			if f != nil && len(p.SIP) == 0 && len(p.Payload) > 0 {
				f.Other++
			}
			s.touch(p)
		case capture.ProtoICMP, capture.ProtoICMPv6:
			if u, ok := capture.ParseUnreachable(p); ok {
				s.unreach = append(s.unreach, u)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("oneside: %s: %w", src, err)
	}
	if t := r.Truncated(); t != nil {
		s.warnings = append(s.warnings, fmt.Sprintf("%s: %s", src, t.String()))
	}
	s.warnings = append(s.warnings, r.Notes()...)
	if s.refused > 0 {
		size := fmt.Sprintf("%d bytes", s.lim.MaxSIPBytes)
		if s.lim.MaxSIPBytes%(1<<20) == 0 {
			size = fmt.Sprintf("%d MiB", s.lim.MaxSIPBytes>>20)
		}
		s.warnings = append(s.warnings, fmt.Sprintf("%d SIP message(s), from %s on, were not analysed: past the first %d messages or %s of SIP text the analysis keeps (--limit messages, sip-bytes)",
			s.refused, time.Unix(0, s.refusedTS).UTC().Format(time.RFC3339Nano), s.lim.MaxMessages, size))
	}
	if s.untracked > 0 {
		s.warnings = append(s.warnings, fmt.Sprintf("%d packet(s) of flows beyond the %d-flow table were not tracked", s.untracked, maxFlows))
	}
	return s, nil
}

// keep copies a SIP message: its payload outlives the packet.
func (s *scanned) keep(r correlate.SIPRecord) {
	// Once one is refused, so are all after it: what is analysed is the
	// capture up to a time, which the verdict can name.
	if s.refused > 0 || s.sipBytes+len(r.Data) > s.lim.MaxSIPBytes || len(s.sip) >= s.lim.MaxMessages {
		if s.refused == 0 {
			s.refusedTS = r.TS
		}
		s.refused++
		return
	}
	r.Data = bytes.Clone(r.Data)
	s.sipBytes += len(r.Data)
	s.sip = append(s.sip, r)
}

// flow returns the flow of p, creating it; nil past the table bound.
func (s *scanned) flow(p *capture.Packet) *Flow {
	k := keyOf(p.Proto, p.Src, p.Dst)
	f := s.flows[k]
	if f == nil {
		if len(s.flows) >= maxFlows {
			s.untracked++
			return nil
		}
		proto := "udp"
		if p.Proto == capture.ProtoTCP {
			proto = "tcp"
		}
		f = &Flow{Proto: proto, A: p.Src, B: p.Dst, First: p.TS}
		s.flows[k] = f
		s.flowList = append(s.flowList, f)
	}
	ab := p.Src == f.A
	last := &f.lastBA
	if ab {
		f.PacketsAB++
		if f.FirstFrameAB == 0 {
			f.FirstFrameAB = p.Frame
		}
		last = &f.lastAB
	} else {
		f.PacketsBA++
		if f.FirstFrameBA == 0 {
			f.FirstFrameBA = p.Frame
		}
	}
	if (*last == 0 || p.TS-*last >= int64(burstGap)) && len(f.Bursts) < maxBursts {
		f.Bursts = append(f.Bursts, Burst{TS: p.TS, Frame: p.Frame, AB: ab})
	}
	*last = p.TS
	f.Last = max(f.Last, p.TS)
	return f
}

func (f *Flow) count(kind string) {
	switch kind {
	case "sip":
		f.SIP++
	case "rtp":
		f.RTP++
	case "rtcp":
		f.RTCP++
	default:
		f.Other++
	}
}

// gapsBefore measures the silence before p at its destination, before p
// itself is recorded.
func (s *scanned) gapsBefore(p *capture.Packet) gaps {
	return gaps{dstAny: since(s, s.lastEP, epKey{p.Proto, p.Dst}, p.TS), dstToSrc: since(s, s.lastDir, dirKey{p.Proto, p.Dst, p.Src}, p.TS)}
}

// touch records p in the endpoint and direction tables.
func (s *scanned) touch(p *capture.Packet) {
	stamp(s, s.lastEP, epKey{p.Proto, p.Src}, p.TS)
	stamp(s, s.lastEP, epKey{p.Proto, p.Dst}, p.TS)
	stamp(s, s.lastDir, dirKey{p.Proto, p.Src, p.Dst}, p.TS)
}

// since returns how long before ts table t last saw k, -1 when never.
func since[K comparable](s *scanned, t map[K]int32, k K, ts int64) int64 {
	if i, ok := t[k]; ok {
		return ts - s.lastT[i]
	}
	return -1
}

// stamp records ts as when table t last saw k; a table holds at most
// 2*maxFlows keys, and those past it are not recorded.
func stamp[K comparable](s *scanned, t map[K]int32, k K, ts int64) {
	if i, ok := t[k]; ok {
		s.lastT[i] = ts
	} else if len(t) < 2*maxFlows {
		t[k] = int32(len(s.lastT))
		s.lastT = append(s.lastT, ts)
	}
}
