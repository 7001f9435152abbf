// Package analyze runs sipalg's pipeline over the two captures of one router
// and returns the [Report] every output format renders: capture, sip/sdp,
// correlate, match, diff and rules, in that order (DESIGN.md). Rendering is
// not done here.
package analyze

import (
	"fmt"
	"sort"
	"time"

	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/inventory"
	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/analyze/spool"
	"github.com/sipalg/sipalg/rules"
)

// SchemaVersion is the JSON report's schema_version (DESIGN.md).
const SchemaVersion = 1

// Report is the report of one analysis: the JSON contract of DESIGN.md,
// schema_version 1. Every list is non-nil so the JSON has [] rather than
// null.
//
// Mode is ModePaired, or ModeSingleLAN / ModeSingleWAN when one capture
// was analysed alone ([RunSingle]): then every finding is an inference,
// Limits says what the analysis cannot prove and Single what it rests on;
// both are omitted in paired analysis.
type Report struct {
	SchemaVersion int                 `json:"schema_version"`
	Tool          Tool                `json:"tool"`
	Mode          string              `json:"mode"`
	Inputs        map[string]Input    `json:"inputs"`
	Clock         correlate.Clock     `json:"clock"`
	NAT           correlate.NAT       `json:"nat"`
	Mappings      []correlate.Mapping `json:"mappings"`
	Messages      []match.Message     `json:"messages"`
	Findings      []rules.Finding     `json:"findings"`
	// Media lists every RTP stream that crossed (or tried to cross) the
	// router, with what the router did to it; paired analysis only. Nil
	// when streamed (Options.Stream): [Report.StreamJSONField] writes it.
	Media        []rules.MediaStream `json:"media,omitempty"`
	Fingerprints []rules.Fingerprint `json:"fingerprints"`
	Verdict      rules.Summary       `json:"verdict"`
	Warnings     []string            `json:"warnings"`
	Limits       []string            `json:"limits,omitempty"`
	// Window is the time both captures ran and what lies outside it;
	// paired analysis only.
	Window *Window `json:"capture_window,omitempty"`
	Single *Single `json:"single,omitempty"`

	// Dialogs groups Messages for the ladder views; not part of the JSON
	// contract.
	Dialogs []match.Dialog `json:"-"`
	// messages, findings and media hold the report's messages, findings
	// and media section in report order, when they were streamed
	// (Options.Stream without a Sink): messages and findings as records
	// (match.Message.AppendRecord, rules.Finding.AppendRecord), media as
	// its JSON writes them; Messages, Findings and Media are nil then.
	messages, findings, media *spool.Spool
	// streamed is set when the report holds neither its messages nor
	// its findings (Options.Stream).
	streamed bool

	// Unpaired lists packets seen on one side only (dropped or generated
	// by the router; bounded, see correlate.Result), for the annotated
	// capture; not part of the JSON contract.
	Unpaired []correlate.Unpaired `json:"-"`
}

// StreamJSONField writes the messages, findings or media section of a
// streamed report (Options.Stream) element by element, in report order,
// each indented as json.MarshalIndent(v, prefix, "  ") writes it: prefix
// is the one of an element of a list member of the report's top-level
// object. False for any other field, when the report holds them, and for
// a media section without streams (omitted, as the kept report omits
// it). A streamed list can be written once.
func (r *Report) StreamJSONField(name string) (each func(yield func(elem []byte) error) error, prefix string, ok bool) {
	var s *spool.Spool
	switch name {
	case "messages":
		s = r.messages
	case "findings":
		s = r.findings
	case "media":
		s = r.media
		if s != nil && s.Len() == 0 {
			s = nil
		}
	}
	if s == nil {
		return nil, "", false
	}
	// The messages and findings spools hold records
	// (match.Message.AppendRecord, rules.Finding.AppendRecord).
	var toJSON func(dst, rec []byte, prefix string) ([]byte, error)
	switch s {
	case r.messages:
		toJSON = match.AppendRecordJSON
	case r.findings:
		toJSON = rules.AppendRecordJSON
	default:
		return func(yield func([]byte) error) error {
			return s.EachTransient(func(_, v []byte) error { return yield(v) })
		}, elemPrefix, true
	}
	return func(yield func([]byte) error) error {
		var buf []byte
		return s.EachTransient(func(_, v []byte) error {
			var err error
			if buf, err = toJSON(buf[:0], v, elemPrefix); err != nil {
				return fmt.Errorf("analyze: %w", err)
			}
			return yield(buf)
		})
	}, elemPrefix, true
}

// elemPrefix is the indent of an element of a list member of the report:
// the spools hold messages, findings and media entries written for it.
const elemPrefix = "    "

// Streamed reports whether the report's messages and findings were
// streamed (Options.Stream) rather than kept.
func (r *Report) Streamed() bool { return r.streamed }

// Report modes.
const (
	ModePaired    = "paired"
	ModeSingleLAN = "single-lan"
	ModeSingleWAN = "single-wan"
)

// Tool names the program that wrote a report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Input describes one input capture.
type Input struct {
	File string `json:"file"`
	// Interface names the interface read when one file holds both sides
	// (sipalg analyze --capture): its pcapng name or index, or "sll2:" and
	// the Linux interface index; omitted otherwise.
	Interface   string   `json:"interface,omitempty"`
	Format      string   `json:"format"`
	LinkTypes   []string `json:"link_types"`
	Packets     int      `json:"packets"`
	Bytes       int64    `json:"bytes"`
	FirstTS     string   `json:"first_ts"`
	LastTS      string   `json:"last_ts"`
	SIPMessages int      `json:"sip_messages"`
	Warnings    []string `json:"warnings"`
}

func inputOf(s *inventory.Summary) Input {
	in := Input{
		File: s.File, Interface: s.Interface, Format: string(s.Format), Packets: s.Packets, Bytes: s.Bytes,
		FirstTS: rfc3339(s.First), LastTS: rfc3339(s.Last), SIPMessages: s.SIPMessages,
		Warnings: s.Warnings, LinkTypes: []string{},
	}
	if s.Compressed {
		in.Format += "+gzip"
	}
	for name := range s.LinkTypes {
		in.LinkTypes = append(in.LinkTypes, name)
	}
	sort.Strings(in.LinkTypes)
	if in.Warnings == nil {
		in.Warnings = []string{}
	}
	return in
}

func rfc3339(ns int64) string {
	if ns == 0 {
		return ""
	}
	return time.Unix(0, ns).UTC().Format(time.RFC3339Nano)
}
