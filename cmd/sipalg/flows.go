package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/spf13/pflag"

	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/inventory"
)

func runFlows(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("sipalg flows", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "table", "output format: table or json")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: sipalg flows [--format table|json] FILE\n\nWhat one capture holds: format, link types, flows and what they carry, SIP messages, warnings.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			return exitOK
		}
		fmt.Fprintf(stderr, "sipalg flows: %v\n", err)
		return exitError
	}
	if *format != "table" && *format != "json" {
		fmt.Fprintf(stderr, "sipalg flows: --format must be table or json, not %q\n", *format)
		return exitError
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "sipalg flows: give exactly one capture file")
		return exitError
	}
	s, err := inventory.Read(fs.Arg(0), capture.DefaultLimits())
	if err != nil {
		fmt.Fprintf(stderr, "sipalg: %v\n", err)
		return exitError
	}
	if *format == "json" {
		// The table lists warnings itself; beside JSON on stdout, a person
		// watching the terminal still sees them.
		for _, w := range s.Warnings {
			fmt.Fprintf(stderr, "sipalg: warning: %s\n", w)
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(flowsJSON(s)); err != nil {
			fmt.Fprintf(stderr, "sipalg: %v\n", err)
			return exitError
		}
		return exitOK
	}
	if err := renderFlows(stdout, s); err != nil {
		fmt.Fprintf(stderr, "sipalg: %v\n", err)
		return exitError
	}
	return exitOK
}

// FlowsReport is the JSON form of `sipalg flows`.
type FlowsReport struct {
	File                  string         `json:"file"`
	Format                string         `json:"format"`
	Compressed            bool           `json:"compressed"`
	LinkTypes             []string       `json:"link_types"`
	LinkTypeFrames        map[string]int `json:"link_type_frames"`
	Interfaces            []IfaceJSON    `json:"interfaces"`
	Packets               int            `json:"packets"`
	Bytes                 int64          `json:"bytes"`
	FirstTS               string         `json:"first_ts,omitempty"`
	LastTS                string         `json:"last_ts,omitempty"`
	DurationS             float64        `json:"duration_s"`
	SIPMessages           int            `json:"sip_messages"`
	SIPMessagesUDP        int            `json:"sip_messages_udp"`
	SIPMessagesTCP        int            `json:"sip_messages_tcp"`
	SIPFrames             int            `json:"sip_frames"`
	SIPMessagesWithErrors int            `json:"sip_messages_with_errors"`
	Diagnostics           map[string]int `json:"diagnostics"`
	Flows                 []FlowJSON     `json:"flows"`
	Warnings              []string       `json:"warnings"`
}

// IfaceJSON is one capture interface.
type IfaceJSON struct {
	Index    int    `json:"index"`
	Name     string `json:"name,omitempty"`
	LinkType string `json:"link_type"`
}

// FlowJSON is one bidirectional flow; src sent the first packet seen.
type FlowJSON struct {
	Proto       string  `json:"proto"`
	Src         string  `json:"src"`
	Dst         string  `json:"dst"`
	Kind        string  `json:"kind"`
	Packets     int     `json:"packets"`
	PacketsOut  int     `json:"packets_src_to_dst"`
	PacketsIn   int     `json:"packets_dst_to_src"`
	BytesOut    int64   `json:"bytes_src_to_dst"`
	BytesIn     int64   `json:"bytes_dst_to_src"`
	FirstSeen   string  `json:"first_seen"`
	LastSeen    string  `json:"last_seen"`
	DurationS   float64 `json:"duration_s"`
	SIPMessages int     `json:"sip_messages"`
}

func rfc3339(ns int64) string {
	if ns == 0 {
		return ""
	}
	return time.Unix(0, ns).UTC().Format(time.RFC3339Nano)
}

func flowsJSON(s *inventory.Summary) FlowsReport {
	r := FlowsReport{
		File:                  s.File,
		Format:                string(s.Format),
		Compressed:            s.Compressed,
		LinkTypeFrames:        s.LinkTypes,
		Packets:               s.Packets,
		Bytes:                 s.Bytes,
		FirstTS:               rfc3339(s.First),
		LastTS:                rfc3339(s.Last),
		DurationS:             float64(s.Last-s.First) / 1e9,
		SIPMessages:           s.SIPMessages,
		SIPMessagesUDP:        s.SIPMessagesUDP,
		SIPMessagesTCP:        s.SIPMessagesTCP,
		SIPFrames:             s.SIPFrames,
		SIPMessagesWithErrors: s.SIPMessagesWithErrors,
		Diagnostics:           s.Diagnostics,
		Flows:                 []FlowJSON{},
		Warnings:              s.Warnings,
	}
	if r.Warnings == nil {
		r.Warnings = []string{}
	}
	for name := range s.LinkTypes {
		r.LinkTypes = append(r.LinkTypes, name)
	}
	sort.Strings(r.LinkTypes)
	for i, ifc := range s.Interfaces {
		r.Interfaces = append(r.Interfaces, IfaceJSON{Index: i, Name: ifc.Name, LinkType: inventory.LinkTypeName(ifc.LinkType)})
	}
	for _, f := range s.Flows {
		r.Flows = append(r.Flows, FlowJSON{
			Proto: f.Proto, Src: f.A.String(), Dst: f.B.String(), Kind: string(f.Kind),
			Packets: f.PacketsAB + f.PacketsBA, PacketsOut: f.PacketsAB, PacketsIn: f.PacketsBA,
			BytesOut: f.BytesAB, BytesIn: f.BytesBA,
			FirstSeen: rfc3339(f.First), LastSeen: rfc3339(f.Last), DurationS: float64(f.Last-f.First) / 1e9,
			SIPMessages: f.SIPMessages,
		})
	}
	return r
}
