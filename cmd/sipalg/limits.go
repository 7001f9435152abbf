package main

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/sipalg/sipalg/analyze"
)

// limitFields names the bounds a user may raise with --limit NAME=N, each
// with the field of analyze.Limits it sets.
func limitFields(l *analyze.Limits) map[string]struct {
	v    *int
	help string
} {
	type f = struct {
		v    *int
		help string
	}
	return map[string]f{
		"flows":         {&l.MaxFlows, "flows listed per capture"},
		"pending":       {&l.MaxPending, "packets of one side waiting for their twin"},
		"mappings":      {&l.MaxMappings, "NAT mappings"},
		"sip-bytes":     {&l.MaxSIPBytes, "bytes of SIP text kept for analysis (one side only)"},
		"sip-pairs":     {&l.MaxSIPPairs, "SIP messages kept for analysis (one side only; with messages, the lower applies)"},
		"messages":      {&l.MaxMessages, "SIP messages matched, diffed and reported (one side only)"},
		"open-dialogs":  {&l.MaxOpenDialogs, "SIP dialogs open at once (paired)"},
		"streams":       {&l.MaxStreams, "RTP streams open at once (paired; a stream silent for 2 min is done)"},
		"media-plans":   {&l.MaxPlans, "calls' media plans that may still claim an RTP stream (paired)"},
		"frag-sets":     {&l.Capture.MaxFragSets, "IP datagrams under reassembly at once"},
		"frags":         {&l.Capture.MaxFragsPerSet, "fragments of one IP datagram"},
		"tcp-streams":   {&l.Capture.MaxTCPStreams, "TCP directions tracked at once"},
		"stream-buffer": {&l.Capture.MaxStreamBuffer, "bytes buffered for one TCP direction"},
		"tcp-buffered":  {&l.Capture.MaxTCPBuffered, "bytes buffered by all TCP streams"},
		"sip-message":   {&l.Capture.MaxSIPMessage, "largest SIP message framed over TCP, in bytes"},
	}
}

// limitsFlag is --limit NAME=N, repeatable: each value sets one bound of
// Limits as the flag is parsed, so a bad one is a flag error. "help" asks
// for the list of bounds.
type limitsFlag struct {
	limits analyze.Limits
	set    []string
	help   bool
}

// addLimitFlag declares --limit on fs.
func addLimitFlag(fs *pflag.FlagSet) *limitsFlag {
	l := &limitsFlag{}
	fs.Var(l, "limit", "change a bound, NAME=N (k, M, G multiply by 1024), repeatable; --limit help lists them")
	return l
}

func (l *limitsFlag) String() string { return strings.Join(l.set, ",") }

func (l *limitsFlag) Type() string { return "NAME=N" }

// Set applies one NAME=N; a bound not named keeps its default.
func (l *limitsFlag) Set(s string) error {
	if s == "help" {
		l.help = true
		return nil
	}
	name, val, ok := strings.Cut(s, "=")
	f, known := limitFields(&l.limits)[name]
	if !ok || !known {
		return fmt.Errorf("want NAME=N with NAME one of %s", strings.Join(limitNames(), ", "))
	}
	n, err := parseSize(val)
	if err != nil || n <= 0 {
		return fmt.Errorf("%q is not a positive number", val)
	}
	*f.v = n
	l.set = append(l.set, s)
	return nil
}

func limitNames() []string {
	var names []string
	for n := range limitFields(&analyze.Limits{}) {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// parseSize reads "4096", "64k", "256M", "2G".
func parseSize(s string) (int, error) {
	mul := 1
	switch {
	case strings.HasSuffix(s, "k"), strings.HasSuffix(s, "K"):
		mul, s = 1<<10, s[:len(s)-1]
	case strings.HasSuffix(s, "M"):
		mul, s = 1<<20, s[:len(s)-1]
	case strings.HasSuffix(s, "G"):
		mul, s = 1<<30, s[:len(s)-1]
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > (1<<62)/mul {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mul, nil
}

// printLimits lists the bounds with their defaults.
func printLimits(w io.Writer) {
	d := analyze.DefaultLimits()
	fields := limitFields(&d)
	fmt.Fprintln(w, "Bounds --limit NAME=N changes (what a bound refuses or evicts is counted and warned in the report):")
	for _, n := range limitNames() {
		fmt.Fprintf(w, "  %-14s %-10d %s\n", n, *fields[n].v, fields[n].help)
	}
}
