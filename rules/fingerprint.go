package rules

import (
	"cmp"
	"math"
	"net/netip"
	"slices"
	"strings"

	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/match"
)

// Undetermined is the profile ranked first when the evidence fits several
// router profiles and tells none of them apart.
const Undetermined = "undetermined"

// undeterminedHint is the advice when the router's make is not known: no
// single vendor's menu, which would be a guess.
const undeterminedHint = "the captures do not tell which router this is: look in its NAT, firewall or VoIP settings " +
	"for \"SIP ALG\", \"SIP Helper\", \"SIP Transformations\" or \"SIP Inspection\" and turn it off " +
	"(each candidate's own advice is listed with it)"

// profile is what one router's ALG is known to do, from the seed, vendor
// documentation or the kernel's source. Only behaviour that sets a router
// apart counts as evidence for it: the rewrites every correct ALG makes
// (VIA-MAPPED, CONTACT-MAPPED, SDP-CONNECTION-MAPPED, INBOUND-RESTORED,
// CONTENT-LENGTH-UPDATED, NAT-HIDDEN...) fit every ALG and name none.
type profile struct {
	// short names the router in a list of candidates.
	id, title, short string
	// marks are the rules raised by what this router does and the other
	// profiles' documented behaviour does not: the evidence that names it.
	marks []string
	// always are marks the router shows whenever the captures give it
	// the chance (see chances); absent despite a chance, the profile is
	// ruled out.
	always []string
	// never are rules it does not raise; one raised rules it out.
	never []string
	// symmetric: 1 address-and-port-dependent, -1 not, 0 either.
	symmetric int
	disable   string
	// hearsay: the seed knows this router by name only, nothing of its
	// behaviour. It can be listed as possible, never ranked above a
	// profile whose behaviour was observed.
	hearsay bool
}

// rewrites lists every rule raised for a field a router changed: the
// no-ALG profile never raises any of them.
var rewrites = []string{"VIA-MAPPED", "CONTACT-MAPPED", "SDP-CONNECTION-MAPPED", "SDP-ORIGIN-MAPPED", "SDP-MEDIA-MAPPED",
	"SDP-RTCP-MAPPED", "SDP-CANDIDATE-MAPPED", "CONTENT-LENGTH-UPDATED", "INBOUND-RESTORED", "NAT-HIDDEN", "FROM-TO-REWRITTEN",
	"CALLID-REWRITTEN", "BLIND-REPLACE", "REFER-TO-MISMATCH", "MAPPING-MISMATCH", "PORT-OUT-OF-RANGE", "PARAM-SEPARATOR-LOST",
	"CONTENT-LENGTH-STALE", "ALG-AS-PROXY", "UNEXPLAINED-REWRITE", "VIA-RECEIVED-CORRUPTED", "AUTH-DIGEST-BROKEN"}

var profiles = []profile{
	// Seed: "dumb text replacement" of the private address everywhere,
	// the Call-ID included; symmetric NAT.
	{id: "st530", title: "a Thomson/Technicolor ST530 v6", short: "Thomson ST530",
		marks: []string{"CALLID-REWRITTEN", "BLIND-REPLACE"}, always: []string{"CALLID-REWRITTEN"}, symmetric: 1,
		disable: "telnet to the router, then: connection unbind application=SIP port=5060 ; saveall"},
	// Seed: "wrong values are inserted into SIP headers"; symmetric NAT.
	{id: "zyxel660", title: "a ZyXEL 660 family router", short: "ZyXEL 660",
		marks: []string{"MAPPING-MISMATCH"}, never: []string{"CALLID-REWRITTEN", "BLIND-REPLACE"}, symmetric: 1,
		disable: "telnet to the router, menu 24 (System Maintenance), 8 (Command Interpreter Mode), then: ip nat service sip active 0"},
	// Seed: Call-ID left alone (correct), the call-id in Refer-To
	// rewritten; not symmetric.
	{id: "wgr614", title: "a Netgear WGR614v9 or DGN2000", short: "Netgear WGR614/DGN2000",
		marks: []string{"REFER-TO-MISMATCH"}, never: []string{"CALLID-REWRITTEN", "BLIND-REPLACE"}, symmetric: -1,
		disable: "WAN Setup menu, NAT Filtering: tick \"Disable SIP ALG\""},
	// Seed: Call-ID rewritten, the %-escaped copy in Refer-To not;
	// symmetric NAT.
	{id: "wrv200", title: "a Linksys WRV200", short: "Linksys WRV200",
		marks: []string{"CALLID-REWRITTEN", "REFER-TO-MISMATCH"}, always: []string{"CALLID-REWRITTEN"},
		never: []string{"BLIND-REPLACE"}, symmetric: 1,
		disable: "no switch is documented for the WRV200; move SIP to a port other than 5060 or use TLS, or replace the router"},
	// Seed: the name and the menu that disables it, nothing else.
	{id: "peplink", title: "a Peplink multi-WAN router", short: "Peplink (known by name only)", hearsay: true,
		disable: "open http://<router>/cgi-bin/MANGA/support.cgi and click \"Disable\" under \"SIP ALG Support\""},
	// nf_nat_sip.c: map_sip_addr() rewrites From and To when they name
	// the flow's own address; it never touches the Call-ID or Refer-To,
	// and recomputes Content-Length.
	{id: "linux-nf_nat_sip", title: "the Linux kernel's nf_nat_sip helper (OpenWrt and most Linux-based routers)", short: "Linux nf_nat_sip",
		marks: []string{"FROM-TO-REWRITTEN"},
		never: []string{"CALLID-REWRITTEN", "BLIND-REPLACE", "ALG-AS-PROXY", "REFER-TO-MISMATCH", "MAPPING-MISMATCH",
			"PORT-OUT-OF-RANGE", "PARAM-SEPARATOR-LOST", "CONTENT-LENGTH-STALE"},
		disable: "unload the helper: modprobe -r nf_nat_sip nf_conntrack_sip (OpenWrt: remove kmod-nf-nathelper-extra; nftables: drop the ct helper \"sip\" rule)"},
	{id: "no-alg", title: "a router without a SIP ALG", short: "no ALG",
		marks: []string{"ALG-ABSENT"}, never: rewrites,
		disable: "nothing to turn off; the server must do NAT traversal"},
}

// fit is how one profile fares against the findings.
type fit struct {
	p        *profile
	score    float64
	evidence []string
	// ruledOut: a rule it never raises was raised, a behaviour it always
	// shows was missing where the captures gave it the chance, or the
	// NAT's mapping behaviour is not the router's.
	ruledOut bool
	// defectsUnseen: its marks include a bad rewrite the captures do
	// not show (possible, but less likely than a profile without one).
	defectsUnseen bool
}

// fingerprints ranks the router profiles by the behaviour that tells them
// apart (see profile). A profile is named — ranked first — when its marks
// were seen, nothing rules it out and no other profile comes close;
// otherwise the first entry is [Undetermined], followed by every profile
// the findings leave possible, hearsay ones last.
//
// The inputs are the rules raised (the representatives of each finding
// kind) and a few booleans (aggregates.chances), folded as dialogs close.
func fingerprints(c *Context, fs []Finding) []Fingerprint {
	seen := map[string]bool{}
	for _, f := range fs {
		seen[f.Rule] = true
	}
	chance := c.agg.chances
	distinctive := map[string]bool{}
	for _, p := range profiles {
		for _, id := range p.marks {
			distinctive[id] = true
		}
	}
	observed := map[string]bool{}
	for id := range seen {
		if distinctive[id] {
			observed[id] = true
		}
	}
	fits := make([]fit, 0, len(profiles))
	for i := range profiles {
		fits = append(fits, judge(&profiles[i], seen, observed, chance, c.Corr.NAT.MappingBehavior))
	}
	slices.SortStableFunc(fits, func(a, b fit) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(a.rank(), b.rank())
	})
	top := fits[0]
	determined := top.score >= 0.5 && !top.ruledOut && !top.p.hearsay && (len(fits) == 1 || top.score-fits[1].score >= 0.15)
	var out []Fingerprint
	if determined {
		for _, f := range fits {
			if f.score > 0 && len(out) < 3 {
				out = append(out, f.fingerprint())
			}
		}
		return out
	}
	out = append(out, Fingerprint{Profile: Undetermined, DisableHint: undeterminedHint, Evidence: []string{}})
	for _, f := range fits {
		if !f.ruledOut {
			out = append(out, f.fingerprint())
		}
	}
	return out
}

// judge scores p: the Jaccard similarity of its marks and the
// distinctive rules observed (0 for a profile with no marks), reduced when
// something rules it out.
func judge(p *profile, seen, observed map[string]bool, chance map[string]bool, behavior string) fit {
	f := fit{p: p, evidence: []string{}}
	inter, union := 0.0, 0.0
	for _, id := range p.marks {
		union++
		if observed[id] {
			inter++
			f.evidence = append(f.evidence, id)
		} else if r, ok := Lookup(id); ok && r.Verdict == Bad {
			f.defectsUnseen = true
		}
	}
	for id := range observed {
		if !slices.Contains(p.marks, id) {
			union++
		}
	}
	if union > 0 {
		f.score = inter / union
	}
	for _, id := range p.never {
		f.ruledOut = f.ruledOut || seen[id]
	}
	for _, id := range p.always {
		f.ruledOut = f.ruledOut || chance[id] && !seen[id]
	}
	switch {
	case behavior == correlate.BehaviorUnknown || behavior == "" || p.symmetric == 0:
	case (behavior == correlate.AddressAndPortDependent) != (p.symmetric > 0):
		f.ruledOut = true
	}
	if f.ruledOut {
		f.score *= 0.3
	}
	f.score = math.Round(f.score*100) / 100
	return f
}

// rank orders profiles of equal score: one whose documented behaviour
// fits what was seen, then one whose known defects did not show, then
// one known from hearsay only.
func (f fit) rank() int {
	switch {
	case f.p.hearsay:
		return 2
	case f.defectsUnseen:
		return 1
	}
	return 0
}

func (f fit) fingerprint() Fingerprint {
	return Fingerprint{Profile: f.p.id, Score: f.score, DisableHint: f.p.disable, Evidence: f.evidence}
}

// observeChances notes, for the rules in profiles' always lists, whether
// the captures gave the router the chance to raise them: CALLID-REWRITTEN
// when an outbound message's LAN Call-ID holds the address it was sent
// from (a text-replacing ALG rewrites that).
func (a *aggregates) observeChances(m *match.Message) {
	if a.chances["CALLID-REWRITTEN"] || m.Direction != "outbound" || m.CallIDLAN == "" || m.CallIDWAN == "" || !m.LANSrc.IsValid() {
		return
	}
	for _, lit := range ipLiterals(m.CallIDLAN) {
		if ad, err := netip.ParseAddr(lit); err == nil && ad.Unmap() == m.LANSrc.Addr().Unmap() {
			if a.chances == nil {
				a.chances = map[string]bool{}
			}
			a.chances["CALLID-REWRITTEN"] = true
		}
	}
}

// ProfileIDs lists the router profiles fingerprints rank.
func ProfileIDs() []string {
	ids := make([]string, 0, len(profiles))
	for _, p := range profiles {
		ids = append(ids, p.id)
	}
	return ids
}

// ProfileTitle is how the verdict names a profile.
func ProfileTitle(id string) string { return profileTitle(id) }

func profileTitle(id string) string {
	for _, p := range profiles {
		if p.id == id {
			return p.title
		}
	}
	return id
}

// candidatesText names the profiles after an [Undetermined] entry, for the
// summary: "Linux nf_nat_sip, ZyXEL 660 or Peplink (known by name only)".
func candidatesText(fps []Fingerprint) string {
	var names []string
	for _, fp := range fps {
		for _, p := range profiles {
			if p.id == fp.Profile && p.id != "no-alg" {
				names = append(names, p.short)
			}
		}
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
