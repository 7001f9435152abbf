package rules

import (
	"encoding/binary"
	"errors"

	"github.com/sipalg/sipalg/analyze/jsontext"
	"github.com/sipalg/sipalg/analyze/record"
)

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

// AppendRecord appends f's binary record to b: what a streamed report
// spools of a finding until it writes it ([AppendRecordJSON]). The
// fields are in the order of f's JSON.
//
// Why (2026-12, issue 15): the spool held each finding as the report
// writes it, indented JSON of some 600 bytes (the 73k SIP-heavy pair's
// 176,410 findings: 106 MB, which past 64 runs of a 2 MiB spool were
// merged and written again, 170 MB in all); the record is some 240
// bytes, written once (53 MB, 56 runs). Writing the spools' files was a
// tenth of the run's CPU; the pair's CPU went from 2.70 s to 2.53 s.
func (f *Finding) AppendRecord(b []byte) []byte {
	var flags byte
	if f.MessageID != nil {
		flags |= recMessageID
	}
	if f.LANFrame != nil {
		flags |= recLANFrame
	}
	if f.WANFrame != nil {
		flags |= recWANFrame
	}
	if f.Refs == nil {
		flags |= recRefsNil
	}
	b = append(b, flags)
	b = record.AppendString(b, f.Rule)
	b = record.AppendString(b, string(f.Verdict))
	b = record.AppendString(b, string(f.Severity))
	b = record.AppendString(b, f.Direction)
	for _, p := range [3]*int{f.MessageID, f.LANFrame, f.WANFrame} {
		if p != nil {
			b = binary.AppendVarint(b, int64(*p))
		}
	}
	for _, s := range [5]string{f.Method, f.Field, f.Before, f.After, f.Explanation} {
		b = record.AppendString(b, s)
	}
	b = binary.AppendUvarint(b, uint64(len(f.Refs)))
	for _, r := range f.Refs {
		b = record.AppendString(b, r)
	}
	b = binary.AppendUvarint(b, uint64(len(f.Frames)))
	for _, n := range f.Frames {
		b = binary.AppendVarint(b, int64(n))
	}
	return b
}

// The flags of a finding's record: which pointers are set, and a nil
// Refs (null in the JSON) from an empty one.
const (
	recMessageID = 1 << iota
	recLANFrame
	recWANFrame
	recRefsNil
)

// errRecord is a finding record that does not decode: the spool was
// damaged.
var errRecord = errors.New("rules: damaged finding record")

// AppendRecordJSON appends the finding of rec, a record
// [Finding.AppendRecord] wrote, as json.MarshalIndent writes the
// finding, without decoding it into one (no string is made).
func AppendRecordJSON(dst, rec []byte, prefix string) ([]byte, error) {
	r := record.NewReader(rec)
	flags := r.Byte()
	o := jsontext.NewObject(dst, prefix)
	for _, k := range [4]string{"rule", "verdict", "severity", "direction"} {
		o.Key(k)
		o.Buf = jsontext.String(o.Buf, r.Bytes())
	}
	for i, k := range [3]string{"message_id", "lan_frame", "wan_frame"} {
		o.Key(k)
		if flags&(recMessageID<<i) == 0 {
			o.Buf = append(o.Buf, "null"...)
			continue
		}
		o.Buf = jsontext.Int(o.Buf, int(r.Varint()))
	}
	for _, k := range [5]string{"method", "field", "before", "after", "explanation"} {
		o.Key(k)
		o.Buf = jsontext.String(o.Buf, r.Bytes())
	}
	o.Key("refs")
	o.List(r.Count(), flags&recRefsNil != 0, func(dst []byte, _ int) []byte { return jsontext.String(dst, r.Bytes()) })
	if n := r.Count(); n > 0 {
		o.Key("frames")
		o.List(n, false, func(dst []byte, _ int) []byte { return jsontext.Int(dst, int(r.Varint())) })
	}
	if !r.Done() {
		return dst, errRecord
	}
	return o.End(), nil
}
