package rules

import "github.com/sipalg/sipalg/analyze/jsontext"

// Verdict is what a finding says about a rewrite or a behaviour.
type Verdict string

// Verdicts, from DESIGN.md.
const (
	Correct Verdict = "correct"
	Bad     Verdict = "bad"
	Warning Verdict = "warning"
	Info    Verdict = "info"
)

// Rank orders verdicts for --fail-on: bad > warning > info, correct.
func (v Verdict) Rank() int {
	switch v {
	case Bad:
		return 3
	case Warning:
		return 2
	case Info:
		return 1
	}
	return 0
}

// Severity is how much a finding hurts calls.
type Severity string

// Severities, from DESIGN.md.
const (
	Critical Severity = "critical"
	Major    Severity = "major"
	Minor    Severity = "minor"
	SevInfo  Severity = "info"
)

// Finding is one verdict on one rewritten field, one message, one dialog
// or the whole capture. Frames and the message ID are nil where the finding
// is not about one message.
type Finding struct {
	Rule        string   `json:"rule"`
	Verdict     Verdict  `json:"verdict"`
	Severity    Severity `json:"severity"`
	Direction   string   `json:"direction"`
	MessageID   *int     `json:"message_id"`
	LANFrame    *int     `json:"lan_frame"`
	WANFrame    *int     `json:"wan_frame"`
	Method      string   `json:"method"`
	Field       string   `json:"field"`
	Before      string   `json:"before"`
	After       string   `json:"after"`
	Explanation string   `json:"explanation"`
	Refs        []string `json:"refs"`
	// Frames lists the evidence frames of a single-capture finding (the
	// message, its retransmissions, the ICMP errors, the RTP...), in the
	// one capture; omitted in paired analysis, where lan_frame and
	// wan_frame say it.
	Frames []int `json:"frames,omitempty"`

	// notLoss marks a finding of a loss rule whose cause is not where a
	// packet was lost (an SDP address the far end cannot reach): where
	// the captures were taken does not change it.
	notLoss bool
	// order breaks ties between findings of one rule on one field and
	// message: the media rules' findings come in the order of the streams
	// they are about in the media section (its place, plus one), whatever
	// order the calls are judged in; 0 for the rest, which keep the order
	// they were made in.
	order uint64
}

// Fingerprint is one router profile that fits the findings, with the
// advice on turning its ALG off.
type Fingerprint struct {
	Profile     string  `json:"profile"`
	Score       float64 `json:"score"`
	DisableHint string  `json:"disable_hint"`
	// Evidence lists the rules raised that point to this profile: the
	// behaviour that sets it apart from the others (empty for
	// [Undetermined] and for a profile the findings merely leave
	// possible).
	Evidence []string `json:"evidence"`
}

// Summary is the report's verdict section.
type Summary struct {
	ALGDetected         bool   `json:"alg_detected"`
	Correct             int    `json:"correct"`
	Bad                 int    `json:"bad"`
	Warnings            int    `json:"warnings"`
	IncomingCallsAtRisk bool   `json:"incoming_calls_at_risk"`
	Summary             string `json:"summary"`
	// NoneCompared is set when the captures held SIP but no message could
	// be compared across the router (a snap length cut what pairing
	// needs): no ALG detected then means unknown, not absent.
	NoneCompared bool `json:"-"`
}

// AppendJSON appends f as json.MarshalIndent(f, prefix, "  ") writes it,
// without reflection (a SIP-heavy report writes millions; issue 15).
// TestFindingAppendJSON holds it to encoding/json.
func (f *Finding) AppendJSON(dst []byte, prefix string) []byte {
	o := jsontext.NewObject(dst, prefix)
	o.Key("rule")
	o.Buf = jsontext.String(o.Buf, f.Rule)
	o.Key("verdict")
	o.Buf = jsontext.String(o.Buf, string(f.Verdict))
	o.Key("severity")
	o.Buf = jsontext.String(o.Buf, string(f.Severity))
	o.Key("direction")
	o.Buf = jsontext.String(o.Buf, f.Direction)
	o.Key("message_id")
	o.Buf = jsontext.IntPtr(o.Buf, f.MessageID)
	o.Key("lan_frame")
	o.Buf = jsontext.IntPtr(o.Buf, f.LANFrame)
	o.Key("wan_frame")
	o.Buf = jsontext.IntPtr(o.Buf, f.WANFrame)
	o.Key("method")
	o.Buf = jsontext.String(o.Buf, f.Method)
	o.Key("field")
	o.Buf = jsontext.String(o.Buf, f.Field)
	o.Key("before")
	o.Buf = jsontext.String(o.Buf, f.Before)
	o.Key("after")
	o.Buf = jsontext.String(o.Buf, f.After)
	o.Key("explanation")
	o.Buf = jsontext.String(o.Buf, f.Explanation)
	o.Key("refs")
	o.Strings(f.Refs, f.Refs == nil)
	if len(f.Frames) > 0 {
		o.Key("frames")
		o.Ints(f.Frames, false)
	}
	return o.End()
}
