package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/match"
	"github.com/sipalg/sipalg/cmd/internal/jsonstream"
	"github.com/sipalg/sipalg/rules"
)

// runPhases runs analyze's stages one after the other in this process and
// prints, after each, the time it took, the peak resident memory so far
// (VmHWM) and the live heap: where analyze's time and memory go.
func runPhases(args []string, stdout, stderr io.Writer) int {
	if len(args) != 2 {
		fmt.Fprintln(stderr, "usage: sipalg-bench phases LAN WAN")
		return 2
	}
	fmt.Fprintln(stdout, "| stage | time | peak RSS so far | live heap after |\n| --- | --- | --- | --- |")
	t := time.Now()
	step := func(name string) {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		fmt.Fprintf(stdout, "| %s | %.2f s | %.1f MiB | %.1f MiB |\n", name, time.Since(t).Seconds(), float64(peakRSS())/(1<<20), float64(ms.HeapAlloc)/(1<<20))
		t = time.Now()
	}
	res, err := correlate.Correlate(args[0], args[1], correlate.Options{KeepSIP: true, Inventory: true})
	if err != nil {
		fmt.Fprintf(stderr, "sipalg-bench: %v\n", err)
		return 1
	}
	kept := 0
	for _, r := range append(res.LANSIP, res.WANSIP...) {
		kept += len(r.Data)
	}
	step(fmt.Sprintf("both passes (read, decode, inventory, clock, pairing, mappings; %d SIP messages, %.1f MiB, kept for matching)", len(res.LANSIP)+len(res.WANSIP), float64(kept)/(1<<20)))
	m := match.Build(res, match.Limits{})
	step(fmt.Sprintf("match: %d messages parsed, paired, diffed", len(m.Messages)))
	fs, _, _ := rules.Evaluate(&rules.Input{Correlation: res, Match: m})
	step(fmt.Sprintf("rules: %d findings", len(fs)))
	if err := jsonstream.Encode(io.Discard, struct {
		M []match.Message
		F []rules.Finding
	}{m.Messages, fs}); err != nil {
		fmt.Fprintf(stderr, "sipalg-bench: %v\n", err)
		return 1
	}
	step("JSON of messages and findings, streamed")
	runtime.KeepAlive(res)
	return 0
}

// peakRSS is this process's peak resident set size (VmHWM), in bytes.
func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			var kib int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kib)
			return kib << 10
		}
	}
	return 0
}
