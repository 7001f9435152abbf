package oneside

import "fmt"

// limits notes what this capture in particular cannot show.
func (r *Result) limits(sc *scanned) {
	note := func(format string, args ...any) { r.Limits = append(r.Limits, fmt.Sprintf(format, args...)) }
	uas := 0
	for _, h := range r.Hosts {
		if h.Role == RoleUA {
			uas++
		}
	}
	if len(r.Match.Messages) == 0 {
		note("No SIP in this capture: there is nothing to judge.")
		return
	}
	if uas == 0 {
		note("No SIP endpoint behind the router could be told apart from the remote ones (none registers, none shows a NAT): no message has a direction, and the rules about outbound or inbound messages had nothing to judge.")
	}
	rtp := false
	for _, f := range sc.flowList {
		rtp = rtp || f.RTP > 0
	}
	if !rtp {
		note("No RTP in this capture: whether media went where the SDP said was not checked.")
	}
	probes := 0
	for _, p := range r.Probes {
		if p.Outcome != Unknown {
			probes++
		}
	}
	if probes == 0 {
		note("No inbound request over UDP reached a host behind the router after a pause: nothing bounds the UDP mapping timeout.")
	}
}
