package rules

import (
	"fmt"

	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/match"
)

// FromToRewritten recognises a From or To URI host or port rewritten.
var FromToRewritten = &Rule{
	ID: "FROM-TO-REWRITTEN", Verdict: Info, Severity: SevInfo, Since: "v0.1",
	Title: "From/To URI host rewritten",
	Text: "The router rewrote the host (or port) of the From or To URI. Nothing routes on From and To, so calls " +
		"work, but a server that identifies a trunk or checks identity by the From host sees a different value. The " +
		"Linux kernel's nf_nat_sip does this whenever the URI names the flow's own address.",
	Fix:  "Usually nothing; if the provider authenticates by From host, turn the ALG off.",
	Refs: []string{"Linux nf_nat_sip.c (map_sip_addr From/To)", "RFC 3261 §20.20, §20.39"},
	Claim: func(c *Context, m *match.Message, ch *fielddiff.Change) (string, bool) {
		head, _, rest := fieldPath(ch.Field)
		if head != "From" && head != "To" || rest != "uri.host" && rest != "uri.port" || ch.Kind != fielddiff.Changed {
			return "", false
		}
		return fmt.Sprintf("%s went from %s to %s.", ch.Field, ch.Before, ch.After), true
	},
}
