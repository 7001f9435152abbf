package analyze

import (
	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/inventory"
	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/rules"
)

// Limits bound every table the pipeline keeps, so that memory follows
// what is live in the captures, never their length or what a hostile file
// claims. What a limit refuses or evicts is counted, and the report says
// so in a warning. A zero field means its default ([DefaultLimits]); the
// CLI lets users raise them.
type Limits struct {
	// Capture bounds the decoder of each side: IP fragments and TCP
	// streams (see capture.Limits for each field).
	Capture capture.Limits
	// MaxFlows bounds each side's inventory flow table
	// (inventory.MaxFlows).
	MaxFlows int
	// MaxPending bounds the packets of one side waiting for their twin
	// (correlate.DefaultMaxPending).
	MaxPending int
	// MaxMappings bounds the NAT mapping table
	// (correlate.DefaultMaxMappings).
	MaxMappings int
	// MaxSIPBytes bounds the SIP payload kept per side for matching
	// (correlate.DefaultMaxSIPBytes).
	MaxSIPBytes int
	// MaxSIPPairs bounds the SIP message pairs listed for matching
	// (correlate.DefaultMaxSIPPairs).
	MaxSIPPairs int
	// MaxMessages bounds the messages matched, diffed and reported in
	// single-capture analysis (match.DefaultMaxMessages); MaxSIPBytes and
	// MaxSIPPairs too only bound single-capture analysis, which keeps the
	// capture's messages up to the first past any of the three (the lower
	// of MaxMessages and MaxSIPPairs, MaxSIPBytes of SIP text) and none
	// after it. Paired analysis streams its SIP through a spool and keeps
	// no message past its dialog.
	MaxMessages int
	// MaxOpenDialogs bounds the dialogs open at once in paired analysis
	// (match.DefaultMaxOpenDialogs).
	MaxOpenDialogs int
	// MaxStreams bounds the RTP streams open at once in paired analysis
	// (correlate.DefaultMaxStreams): a stream is done, and listed, once
	// silent for correlate.StreamIdle; past the bound the streams silent
	// longest are done early. The media section lists every stream.
	MaxStreams int
	// MaxPlans bounds the calls' media plans that may still claim an RTP
	// stream at once, in paired analysis (rules.DefaultMaxPlans).
	MaxPlans int
}

// DefaultLimits are the limits a zero Limits stands for.
func DefaultLimits() Limits {
	return Limits{
		Capture:     capture.DefaultLimits(),
		MaxFlows:    inventory.MaxFlows,
		MaxPending:  correlate.DefaultMaxPending,
		MaxMappings: correlate.DefaultMaxMappings,
		MaxSIPBytes: correlate.DefaultMaxSIPBytes,
		MaxSIPPairs: correlate.DefaultMaxSIPPairs,
		MaxMessages: match.DefaultMaxMessages,

		MaxOpenDialogs: match.DefaultMaxOpenDialogs,
		MaxStreams:     correlate.DefaultMaxStreams,
		MaxPlans:       rules.DefaultMaxPlans,
	}
}

// withDefaults fills each zero field of l with its default.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	l.Capture = l.Capture.WithDefaults()
	for _, f := range []struct{ v, def *int }{
		{&l.MaxFlows, &d.MaxFlows}, {&l.MaxPending, &d.MaxPending}, {&l.MaxMappings, &d.MaxMappings},
		{&l.MaxSIPBytes, &d.MaxSIPBytes}, {&l.MaxSIPPairs, &d.MaxSIPPairs}, {&l.MaxMessages, &d.MaxMessages}, {&l.MaxOpenDialogs, &d.MaxOpenDialogs},
		{&l.MaxStreams, &d.MaxStreams}, {&l.MaxPlans, &d.MaxPlans},
	} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	return l
}
