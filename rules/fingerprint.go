package rules

import (
	"cmp"
	"math"
	"slices"

	"github.com/sipalg/sipalg/analyze/correlate"
)

// profile is what one router's ALG is known to do: the rules it raises,
// the rules it never raises, its NAT's mapping behaviour, and how to turn
// its ALG off (from the seed and vendor documentation).
type profile struct {
	id, title string
	expect    []string
	forbid    []string
	// symmetric: 1 address-and-port-dependent, -1 not, 0 either.
	symmetric int
	disable   string
	// prior scales the score of a profile known from hearsay only.
	prior float64
}

var profiles = []profile{
	{id: "st530", title: "a Thomson/Technicolor ST530 v6",
		expect: []string{"CALLID-REWRITTEN", "BLIND-REPLACE", "MAPPING-MISMATCH"}, symmetric: 1,
		disable: "telnet to the router, then: connection unbind application=SIP port=5060 ; saveall"},
	{id: "zyxel660", title: "a ZyXEL 660 family router",
		expect: []string{"MAPPING-MISMATCH", "VIA-MAPPED", "CONTACT-MAPPED", "SDP-MEDIA-MAPPED"},
		forbid: []string{"CALLID-REWRITTEN", "BLIND-REPLACE"}, symmetric: 1,
		disable: "telnet to the router, menu 24 (System Maintenance), 8 (Command Interpreter Mode), then: ip nat service sip active 0"},
	{id: "wgr614", title: "a Netgear WGR614v9 or DGN2000",
		expect: []string{"REFER-TO-MISMATCH", "VIA-MAPPED", "CONTACT-MAPPED"},
		forbid: []string{"CALLID-REWRITTEN", "BLIND-REPLACE"}, symmetric: -1,
		disable: "WAN Setup menu, NAT Filtering: tick \"Disable SIP ALG\""},
	{id: "wrv200", title: "a Linksys WRV200",
		expect: []string{"CALLID-REWRITTEN", "REFER-TO-MISMATCH"}, forbid: []string{"BLIND-REPLACE"}, symmetric: 1,
		disable: "no switch is documented for the WRV200; move SIP to a port other than 5060 or use TLS, or replace the router"},
	{id: "peplink", title: "a Peplink multi-WAN router",
		expect:  []string{"VIA-MAPPED", "CONTACT-MAPPED", "SDP-CONNECTION-MAPPED"},
		forbid:  []string{"FROM-TO-REWRITTEN"},
		disable: "open http://<router>/cgi-bin/MANGA/support.cgi and click \"Disable\" under \"SIP ALG Support\""},
	{id: "linux-nf_nat_sip", title: "the Linux kernel's nf_nat_sip helper (OpenWrt and most Linux-based routers)",
		expect: []string{"VIA-MAPPED", "CONTACT-MAPPED", "FROM-TO-REWRITTEN", "INBOUND-RESTORED", "CONTENT-LENGTH-UPDATED", "SDP-CONNECTION-MAPPED"},
		forbid: []string{"CALLID-REWRITTEN", "BLIND-REPLACE", "ALG-AS-PROXY", "REFER-TO-MISMATCH", "MAPPING-MISMATCH",
			"PORT-OUT-OF-RANGE", "PARAM-SEPARATOR-LOST", "CONTENT-LENGTH-STALE"},
		disable: "unload the helper: modprobe -r nf_nat_sip nf_conntrack_sip (OpenWrt: remove kmod-nf-nathelper-extra; nftables: drop the ct helper \"sip\" rule)"},
	{id: "no-alg", title: "a router without a SIP ALG",
		expect:  []string{"ALG-ABSENT"},
		disable: "nothing to turn off; the server must do NAT traversal"},
}

// signature lists the rule IDs that tell ALGs apart; consequences
// (dropped calls, media) depend on more than the ALG and are left out.
func signature() map[string]bool {
	s := map[string]bool{}
	for _, p := range profiles {
		for _, id := range p.expect {
			s[id] = true
		}
		for _, id := range p.forbid {
			s[id] = true
		}
	}
	return s
}

// fingerprints scores every profile against the findings: the Jaccard
// similarity of the expected and observed signature rules, reduced when a
// forbidden rule fired or the NAT's mapping behaviour disagrees.
func fingerprints(c *Context, fs []Finding) []Fingerprint {
	sig := signature()
	seen := map[string]bool{}
	for _, f := range fs {
		if sig[f.Rule] {
			seen[f.Rule] = true
		}
	}
	var out []Fingerprint
	for _, p := range profiles {
		inter, union := 0.0, 0.0
		counted := map[string]bool{}
		for _, id := range p.expect {
			union += weight(id)
			counted[id] = true
			if seen[id] {
				inter += weight(id)
			}
		}
		for id := range seen {
			if !counted[id] && !slices.Contains(p.forbid, id) {
				union += weight(id)
			}
		}
		score := inter / union
		if p.prior > 0 {
			score *= p.prior
		}
		for _, id := range p.forbid {
			if seen[id] {
				score *= 0.3
			}
		}
		switch b := c.Corr.NAT.MappingBehavior; {
		case b == correlate.BehaviorUnknown || b == "" || p.symmetric == 0:
		case (b == correlate.AddressAndPortDependent) != (p.symmetric > 0):
			score *= 0.6
		}
		score = math.Round(score*100) / 100
		if score > 0 {
			out = append(out, Fingerprint{Profile: p.id, Score: score, DisableHint: p.disable})
		}
	}
	slices.SortStableFunc(out, func(a, b Fingerprint) int { return cmp.Compare(b.Score, a.Score) })
	if len(out) > 3 {
		out = out[:3]
	}
	return out
}

func profileTitle(id string) string {
	for _, p := range profiles {
		if p.id == id {
			return p.title
		}
	}
	return id
}

// weight counts the rewrites every working ALG makes half as much as the
// ones that tell ALGs apart.
func weight(id string) float64 {
	switch id {
	case "VIA-MAPPED", "CONTACT-MAPPED", "SDP-CONNECTION-MAPPED", "INBOUND-RESTORED", "CONTENT-LENGTH-UPDATED":
		return 0.5
	}
	return 1
}
