// Command sipalg is a forensics analyzer for SIP ALG routers: given
// captures of the same traffic on both sides of a NAT router it reports what
// the router's SIP Application Layer Gateway rewrote, and whether each
// rewrite is right.
//
// Usage:
//
//	sipalg analyze --lan LAN --wan WAN [--format table|json|html] [-o FILE] [--annotate OUT.pcapng] [--fail-on bad|warning|never]
//	sipalg analyze --capture BOTH --lan-if NAME|ID --wan-if NAME|ID [...]
//	sipalg analyze --wan WAN | --lan LAN [--format table|json] [-o FILE] [--fail-on ...]
//	sipalg batch [--jobs N] [--format table|json] [-o DIR] [--fail-on ...] [--shard K/N] PATH...
//	sipalg flows [--format table|json] FILE
//	sipalg rules [--format table|json|markdown]
//	sipalg version
//
// Exit codes: 0 success, 1 findings at or above --fail-on, 2 usage error
// or unreadable input.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/sipalg/sipalg/analyze/oneside"
)

// Exit codes, as DESIGN.md defines them.
const (
	exitOK       = 0
	exitFindings = 1
	exitError    = 2
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

// softMemoryLimit is the memory at which the Go garbage collector starts
// working harder (GOMEMLIMIT overrides it). sipalg's live heap is what is
// open in the captures — flows, mappings, RTP streams, open dialogs,
// spool buffers: 25 to 50 MiB for a busy router's hour — and with the
// collector's default pacing the heap grows to twice that between
// collections. 100 MiB keeps a run under 128 MiB of RSS; set lower (52
// MiB kept the large RTP pair under 64 MiB) it made the collector run
// continuously on a SIP-heavy pair whose live heap came near it, at four
// times the CPU (issue 15, docs/performance.md). It is soft: a capture
// that needs more memory gets it.
const softMemoryLimit = 100 << 20

// oneSidedGCPercent is the collector's pacing for a one-sided analysis,
// whose live heap is not flat: it holds every SIP message of the capture
// (about 6 KB each, up to 64 MiB of SIP text; analyze/oneside). Under the
// soft limit such a heap made the collector run continuously: the 73k
// SIP-heavy pair's WAN side took 7.8 s and 12.9 s of CPU in 432 MiB;
// without the limit 3.4 s and 3.3 s in 788 MiB at the default pacing,
// 3.4 s and 3.6 s in 599 MiB at this one (2026-12, issue 15).
const oneSidedGCPercent = 50

// oneSidedMemoryLimit is the soft memory limit of a one-sided analysis
// that keeps the default 64 MiB of SIP text: above the live heap that much
// makes (some 130,000 messages, about 800 MiB), so that the collector
// never runs continuously, and what the pacing alone would let it grow
// to, 1.2 GiB, is held near it. More SIP text kept (--limit sip-bytes)
// raises it in proportion.
const oneSidedMemoryLimit = 1 << 30

// oneSidedMemory sets the collector for a one-sided analysis that keeps
// up to sipBytes of SIP text (0: the default), unless GOMEMLIMIT or GOGC
// says otherwise (see oneSidedGCPercent); the process stays so.
func oneSidedMemory(sipBytes int) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(max(oneSidedMemoryLimit, int64(sipBytes)*(oneSidedMemoryLimit/oneside.DefaultMaxSIPBytes)))
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(oneSidedGCPercent)
	}
}

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(softMemoryLimit)
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `sipalg — what your router's SIP ALG did to your calls

Usage:
  sipalg analyze --lan LAN --wan WAN [--format table|json|html] [-o FILE]
                 [--annotate OUT.pcapng] [--fail-on bad|warning|never]
                                   what the router's SIP ALG did, with verdicts
  sipalg analyze --capture BOTH --lan-if NAME|ID --wan-if NAME|ID [...]
                                   the same, from one capture of both interfaces
  sipalg analyze --wan WAN | --lan LAN [--format table|json] [...]
                                   one side only: what it suggests, inferred
  sipalg batch [--jobs N] [--format table|json] [-o DIR] [--shard K/N] PATH...
                                   many cases in parallel, one summary row each
  sipalg flows [--format table|json] FILE
                                   what one capture holds
  sipalg rules [--format table|json|markdown]
                                   the rule catalog
  sipalg version                   print the version

Exit codes: 0 nothing at or above --fail-on (default bad), 1 findings at or
above it, 2 usage error or unreadable input.

Run 'sipalg COMMAND --help' for a command's flags.
`

// run is the whole program; it returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitError
	}
	switch args[0] {
	case "analyze":
		return runAnalyze(args[1:], stdout, stderr)
	case "batch":
		return runBatch(args[1:], stdout, stderr)
	case "flows":
		return runFlows(args[1:], stdout, stderr)
	case "rules":
		return runRules(args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintf(stdout, "sipalg %s\n", toolVersion())
		return exitOK
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "sipalg: unknown command %q\n\n%s", args[0], usage)
	return exitError
}

func toolVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
