package rules

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/match"
)

// SDPRTCPMapped recognises an a=rtcp attribute rewritten consistently with
// the RTCP flow's mapping.
var SDPRTCPMapped = &Rule{
	ID: "SDP-RTCP-MAPPED", Verdict: Correct, Severity: SevInfo, Since: "v0.1",
	Title: "SDP a=rtcp rewritten consistently",
	Text: "The router rewrote the a=rtcp attribute to the public port (and address) its NAT gave the RTCP flow, " +
		"consistent with the rest of the SDP.",
	Fix:  "Nothing to fix.",
	Refs: []string{"RFC 3605"},
	Claim: func(c *Context, m *match.Message, ch *fielddiff.Change) (string, bool) {
		if m.Direction != "outbound" || ch.Kind != fielddiff.Changed || !strings.HasPrefix(ch.Field, "sdp.") || !strings.Contains(ch.Field, "a[rtcp]") {
			return "", false
		}
		lanPort, lanAddr, ok1 := rtcpValue(string(ch.Before))
		wanPort, wanAddr, ok2 := rtcpValue(string(ch.After))
		if !ok1 || !ok2 {
			return "", false
		}
		if !lanAddr.IsValid() {
			// a=rtcp without an address: the c= address applies.
			_, _, rest := fieldPath(ch.Field)
			if lan, ok := c.sdpMediaLAN(m, mediaIndex(rest)); ok {
				lanAddr = lan.Addr()
			}
		}
		mapped, ok := c.mediaMapping(netip.AddrPortFrom(lanAddr, uint16(lanPort)), remoteOf(m))
		if !ok || int(mapped.Port()) != wanPort || wanAddr.IsValid() && wanAddr != mapped.Addr() {
			return "", false
		}
		return fmt.Sprintf("a=rtcp now names port %d, the public port of the RTCP flow (%s).", wanPort, mapped), true
	},
}

// rtcpValue parses an a=rtcp value: "port [IN IP4 addr]".
func rtcpValue(v string) (port int, addr netip.Addr, ok bool) {
	v = strings.TrimPrefix(v, "rtcp:")
	f := strings.Fields(v)
	if len(f) == 0 {
		return 0, addr, false
	}
	port = atoiPort(f[0])
	if port < 0 {
		return 0, addr, false
	}
	if len(f) == 4 {
		addr, _ = parseAddr(f[3])
	}
	return port, addr, true
}
