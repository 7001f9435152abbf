package oneside

import (
	"fmt"
	"math"
	"net/netip"
	"time"

	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/correlate"
)

// answerWait is how long the capture must go on after an unanswered
// request, sent once, before it counts as unanswered rather than unknown:
// RFC 3261 Timer A retransmits after 500 ms, so 4 s without a
// retransmission or an answer is a capture that saw enough.
const answerWait = 4 * time.Second

// probe finds every inbound SIP request over UDP and what became of it,
// and bounds the UDP mapping timeout from them.
func (r *Result) probe(sc *scanned) {
	msgs := r.Match.Messages
	byTx := map[int][]int{}
	for i := range msgs {
		byTx[msgs[i].Transaction] = append(byTx[msgs[i].Transaction], i)
	}
	type pair struct{ src, dst netip.AddrPort }
	icmp := map[pair][]Unreachable{}
	for _, u := range sc.unreach {
		if u.Proto == capture.ProtoUDP {
			icmp[pair{u.Src, u.Dst}] = append(icmp[pair{u.Src, u.Dst}], u)
		}
	}
	for i := range msgs {
		m := &msgs[i]
		p, frame, src, dst := Msg(m)
		if p == nil || !p.IsRequest || m.Direction != "inbound" || m.Retransmission || m.Proto != "udp" || m.Method == "ACK" {
			continue
		}
		pr := Probe{MessageID: m.ID, Method: m.Method, Frames: []int{frame}, TS: m.TS, Src: src, Dst: dst, IdleAny: -1, IdleOut: -1}
		if g, ok := sc.gapsByFrame[frame]; ok {
			pr.IdleAny, pr.IdleOut = secs(g.dstAny), secs(g.dstToSrc)
		}
		last := m.TS
		answered := false
		for _, j := range byTx[m.Transaction] {
			o := &msgs[j]
			if j <= i {
				continue
			}
			op, of, _, _ := Msg(o)
			switch {
			case op != nil && op.IsRequest && o.Retransmission && o.Method == m.Method && o.CSeq == m.CSeq && o.Direction == "inbound":
				pr.Frames = append(pr.Frames, of)
				last = o.TS
			case op != nil && !op.IsRequest && o.Direction == "outbound" && o.Method == m.Method:
				answered = true
			}
		}
		for _, u := range icmp[pair{src, dst}] {
			if u.TS >= m.TS && u.TS <= last+int64(icmpWindow) {
				pr.ICMPFrames = append(pr.ICMPFrames, u.Frame)
			}
		}
		switch {
		case r.Side == LAN || answered:
			pr.Outcome = Answered
		case len(pr.ICMPFrames) > 0:
			pr.Outcome = Refused
		case len(pr.Frames) > 1 || sc.end-last >= int64(answerWait):
			pr.Outcome = Unanswered
		default:
			pr.Outcome = Unknown
		}
		r.Probes = append(r.Probes, pr)
	}
	r.NAT.UDPTimeout, r.Timeout = timeoutBounds(r.Probes, r.Side)
}

// timeoutBounds bounds the UDP mapping timeout from the probes: the
// longest silence after which a request still got through, and the
// shortest silence of the phone after which one did not.
func timeoutBounds(probes []Probe, side Side) (correlate.Bounds, TimeoutEvidence) {
	var b correlate.Bounds
	var ev TimeoutEvidence
	for i := range probes {
		pr := &probes[i]
		switch pr.Outcome {
		case Answered:
			if pr.IdleAny < correlate.MinIdleBound.Seconds() || b.Lower != nil && pr.IdleAny <= *b.Lower {
				continue
			}
			v := pr.IdleAny
			b.Lower = &v
			how := "the phone answered it"
			if side == LAN {
				how = "it reached the LAN side"
			}
			ev.Lower = fmt.Sprintf("the %s at frame %d to %s came after %s of silence on that endpoint and %s: the mapping was alive", pr.Method, pr.Frames[0], pr.Dst, fmtSecs(v), how)
		case Refused, Unanswered:
			if pr.IdleOut < minExpiryGap.Seconds() || b.Upper != nil && pr.IdleOut >= *b.Upper {
				continue
			}
			v := pr.IdleOut
			b.Upper = &v
			what := fmt.Sprintf("went unanswered, %d copies (%s)", len(pr.Frames), framesText(pr.Frames))
			if pr.Outcome == Refused {
				what = fmt.Sprintf("was refused with ICMP unreachable (%s)", framesText(pr.ICMPFrames))
			}
			ev.Upper = fmt.Sprintf("the %s at frame %d to %s, %s after it last sent to %s, %s", pr.Method, pr.Frames[0], pr.Dst, fmtSecs(v), pr.Src, what)
			if pr.Outcome == Unanswered {
				ev.Upper += ", unless the phone was gone"
			}
		}
	}
	return b, ev
}

func secs(ns int64) float64 {
	if ns < 0 {
		return -1
	}
	return math.Round(float64(ns)/1e3) / 1e6
}

// fmtSecs writes a duration in seconds for an explanation: "13 s",
// "0.9 s".
func fmtSecs(v float64) string {
	if v >= 10 {
		return fmt.Sprintf("%.0f s", v)
	}
	return fmt.Sprintf("%.1f s", v)
}

// frameList writes frames as "3, 5, 9" (at most 8, then "…").
func frameList(fs []int) string {
	s := ""
	for i, f := range fs {
		if i == 8 {
			return s + ", …"
		}
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprint(f)
	}
	return s
}

// framesText writes "frame 3" or "frames 3, 5, 9".
func framesText(fs []int) string {
	if len(fs) == 1 {
		return fmt.Sprintf("frame %d", fs[0])
	}
	return "frames " + frameList(fs)
}
