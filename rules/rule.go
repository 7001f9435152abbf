package rules

import (
	"github.com/sipalg/sipalg/analyze/fielddiff"
	"github.com/sipalg/sipalg/analyze/match"
)

// Rule is one entry of the catalog: a stable ID, the verdict it gives and
// the text a support engineer reads. A rule about one rewritten field has
// a Claim; a rule about a message, a dialog or the whole capture has a
// Check. IDs are never renamed or reused.
type Rule struct {
	ID       string
	Verdict  Verdict
	Severity Severity
	// Title is one line; Text a paragraph on what the finding means and
	// why it matters; Fix what the user does about it.
	Title, Text, Fix string
	// Refs cite the seed's router cases, RFC sections and public reports.
	Refs []string
	// Since is the first version with the rule.
	Since string

	// Claim reports whether the rule explains change ch of message m, and
	// the explanation for this instance ("" for the rule's Text).
	Claim func(c *Context, m *match.Message, ch *fielddiff.Change) (string, bool)
	// Check returns the rule's findings about messages, dialogs or the
	// capture; the engine fills in the rule's ID, verdict, severity and
	// references.
	Check func(c *Context) []Finding
	// Capture marks a Check about the whole capture: it runs once, after
	// every dialog, on the mappings and the aggregates the Evaluator
	// kept (Context.Messages then holds the dropped messages only).
	// Other Checks run on each dialog as it closes and must look no
	// further than its messages.
	Capture bool
	// CheckSingle is Check for single-capture analysis (SingleCatalog):
	// the rule sees one side of the router only.
	CheckSingle func(c *SingleContext) []Finding
}

// claimOrder lists the field rules, most specific first: the first whose
// Claim accepts a change gives the change its verdict.
func claimOrder() []*Rule {
	return []*Rule{
		PortOutOfRange,
		ParamSeparatorLost,
		ContentLengthStale,
		ContentLengthUpdated,
		MalformedAfterRewrite,
		AuthDigestBroken,
		CallIDRewritten,
		ReferToMismatch,
		BlindReplace,
		InboundRestored,
		ViaReceivedCorrupted,
		FromToRewritten,
		ViaMapped,
		ContactMapped,
		SDPConnectionMapped,
		SDPOriginMapped,
		SDPMediaMapped,
		SDPRTCPMapped,
		SDPCandidateMapped,
		MappingMismatch,
		ALGAsProxy,
	}
}

// checkOrder lists the rules about messages, dialogs and the capture.
func checkOrder() []*Rule {
	return []*Rule{
		ReferToMismatch,
		SDPPartialRewrite,
		ICECandidateMismatch,
		NATHidden,
		BindingShorterThanRefresh,
		InboundDropped,
		ALGDropped,
		MappingChanged,
		InboundMisdelivered,
		MediaPinholeClosed,
		MediaOneWay,
		MediaLossAtRouter,
		DoubleNAT,
		TransportInconsistent,
		ALGAsProxy,
		PrivateAddressLeaked,
		ALGAbsent,
	}
}

// Catalog returns every rule, in the order of DESIGN.md's catalog: the
// correct rewrites, the bad ones, then warnings and information.
func Catalog() []*Rule {
	return []*Rule{
		ViaMapped, ContactMapped, SDPConnectionMapped, SDPOriginMapped, SDPMediaMapped,
		SDPRTCPMapped, ContentLengthUpdated, InboundRestored, SDPCandidateMapped,
		CallIDRewritten, BlindReplace, ReferToMismatch, ParamSeparatorLost, PortOutOfRange,
		MappingMismatch, ContentLengthStale, SDPPartialRewrite, NATHidden,
		BindingShorterThanRefresh, InboundDropped, MalformedAfterRewrite, AuthDigestBroken,
		ICECandidateMismatch, ViaReceivedCorrupted, ALGDropped, MappingChanged,
		InboundMisdelivered, MediaPinholeClosed, MediaOneWay, MediaLossAtRouter,
		UnexplainedRewrite, TransportInconsistent, DoubleNAT, ALGAsProxy, FromToRewritten,
		PrivateAddressLeaked, ALGAbsent,
	}
}

// Lookup returns the rule with the given ID, from the catalog or the
// single-capture catalog.
func Lookup(id string) (*Rule, bool) {
	for _, r := range append(Catalog(), SingleCatalog()...) {
		if r.ID == id {
			return r, true
		}
	}
	return nil, false
}
