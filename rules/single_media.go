package rules

import (
	"net/netip"
	"strconv"

	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/oneside"
	"github.com/sipalg/sipalg/analyze/sdp"
)

// sdpMedia is the connection address and port of one media section of
// an SDP: the media-level c= or else the session's.
type sdpMedia struct {
	addr  netip.Addr
	port  int // -1 when invalid
	field string
	text  string
}

// sdpMediaList returns the active media sections' addresses (port 0, a
// declined stream, is skipped); index i of the result is media section i,
// zero when it has no usable address.
func sdpMediaList(s *sdp.Session) []sdpMedia {
	if s == nil {
		return nil
	}
	out := make([]sdpMedia, len(s.Media))
	for i := range s.Media {
		md := &s.Media[i]
		mc := sdpMedia{port: md.PortNum}
		var conn sdp.Conn
		switch {
		case len(md.Conns) > 0:
			conn, mc.field = md.Conns[0], "sdp.m["+strconv.Itoa(i)+"].c"
		case s.HasConn:
			conn, mc.field = s.Conn, "sdp.c"
		default:
			continue
		}
		if a, ok := oneside.ParseHost(string(s.Bytes(conn.Addr))); ok && md.PortNum != 0 {
			mc.addr, mc.text = a, string(s.Bytes(conn.Span))
		}
		out[i] = mc
	}
	return out
}

// peerMedia returns the media endpoint of section idx that the other party
// of m's dialog announced (the first SDP sent the other way), if any.
func (c *SingleContext) peerMedia(m *match.Message, idx int) (netip.AddrPort, bool) {
	_, _, src, _ := c.msg(m)
	for _, i := range c.index().byDialog[m.Dialog] {
		o := &c.Messages[i]
		_, _, osrc, _ := c.msg(o)
		if osrc.Addr() == src.Addr() {
			continue
		}
		mcs := sdpMediaList(c.SDP(o))
		if idx < len(mcs) && mcs[idx].addr.IsValid() && mcs[idx].port > 0 {
			return netip.AddrPortFrom(mcs[idx].addr, uint16(mcs[idx].port)), true
		}
	}
	return netip.AddrPort{}, false
}

// rtpFlows returns the RTP flows from host a to remote, and a flow with
// the announced endpoint at one end, found in the capture (the last).
func (c *SingleContext) rtpFlows(a netip.Addr, remote, announced netip.AddrPort) (from []*oneside.Flow, toAnnounced *oneside.Flow) {
	x := c.index()
	for _, i := range x.rtp[remote] {
		f := c.Flows[i]
		switch {
		case f.A.Addr() == a && f.B == remote && f.PacketsAB > 0, f.B.Addr() == a && f.A == remote && f.PacketsBA > 0:
			from = append(from, f)
		}
	}
	if to := x.rtp[announced]; len(to) > 0 {
		toAnnounced = c.Flows[to[len(to)-1]]
	}
	return from, toAnnounced
}

// uaSide returns, for a flow with one end at host a, that end, the
// packets it sent, and the frame of its first packet at or after ts (its
// first packet at all when none).
func uaSide(f *oneside.Flow, a netip.Addr, ts int64) (ep netip.AddrPort, sent, frame int) {
	ab := f.A.Addr() == a
	ep, sent, frame = f.B, f.PacketsBA, f.FirstFrameBA
	if ab {
		ep, sent, frame = f.A, f.PacketsAB, f.FirstFrameAB
	}
	if b, ok := f.Burst(ab, ts); ok {
		frame = b.Frame
	}
	return ep, sent, frame
}

// towards returns the frame of the first packet sent to endpoint to on f
// at or after ts, and how many were sent to it.
func towards(f *oneside.Flow, to netip.AddrPort, ts int64) (frame, n int) {
	ab := f.B == to
	frame, n = f.FirstFrameBA, f.PacketsBA
	if ab {
		frame, n = f.FirstFrameAB, f.PacketsAB
	}
	if b, ok := f.Burst(ab, ts); ok {
		frame = b.Frame
	}
	return frame, n
}
