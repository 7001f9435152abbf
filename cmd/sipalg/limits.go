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
		"sip-bytes":     {&l.MaxSIPBytes, "bytes of SIP kept per side for matching"},
		"sip-pairs":     {&l.MaxSIPPairs, "SIP message pairs listed for matching"},
		"messages":      {&l.MaxMessages, "SIP messages matched, diffed and reported"},
		"frag-sets":     {&l.Capture.MaxFragSets, "IP datagrams under reassembly at once"},
		"frags":         {&l.Capture.MaxFragsPerSet, "fragments of one IP datagram"},
		"tcp-streams":   {&l.Capture.MaxTCPStreams, "TCP directions tracked at once"},
		"stream-buffer": {&l.Capture.MaxStreamBuffer, "bytes buffered for one TCP direction"},
		"tcp-buffered":  {&l.Capture.MaxTCPBuffered, "bytes buffered by all TCP streams"},
		"sip-message":   {&l.Capture.MaxSIPMessage, "largest SIP message framed over TCP, in bytes"},
	}
}

// addLimitFlag declares --limit on fs.
func addLimitFlag(fs *pflag.FlagSet) *[]string {
	return fs.StringArray("limit", nil, "change a bound, NAME=N (k, M, G multiply by 1024), repeatable; --limit help lists them")
}

// parseLimits turns --limit values into analyze.Limits; a bound not named
// keeps its default. help is set when the user asked for the list.
func parseLimits(specs []string) (l analyze.Limits, help bool, err error) {
	fields := limitFields(&l)
	for _, s := range specs {
		if s == "help" {
			return l, true, nil
		}
		name, val, ok := strings.Cut(s, "=")
		f, known := fields[name]
		if !ok || !known {
			return l, false, fmt.Errorf("--limit %q: want NAME=N with NAME one of %s", s, strings.Join(limitNames(), ", "))
		}
		n, err := parseSize(val)
		if err != nil || n <= 0 {
			return l, false, fmt.Errorf("--limit %s: %q is not a positive number", name, val)
		}
		*f.v = n
	}
	return l, false, nil
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
