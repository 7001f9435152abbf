// Command sipalg-bench generates the benchmark captures of issue 9 and
// times `sipalg analyze` on them next to a bare read+decode loop, tshark
// and zcat. `make bench` runs it; docs/performance.md holds its figures.
//
// Usage:
//
//	sipalg-bench [-dir DIR] [-runs N] [-sipalg BIN] [-only LIST]   run the benchmarks
//	sipalg-bench gen [-phones N] [-call D] [-calls N -every D] [-format pcap|pcapng] [-gzip] -o DIR
//	sipalg-bench readloop [-seq] FILE...                           the bare read+decode loop
//	sipalg-bench phases LAN WAN                                    time and memory of each stage
//
// Captures are written under -dir (default /tmp/sipalg-bench), one
// directory per configuration, and only when missing: generation is
// deterministic, so a directory that exists holds the same bytes.
//
// Exit codes: 0 success, 1 a run failed, 2 usage error.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "gen":
			return runGen(args[1:], stdout, stderr)
		case "readloop":
			return runReadLoop(args[1:], stdout, stderr)
		case "phases":
			return runPhases(args[1:], stdout, stderr)
		case "-h", "--help", "help":
			fmt.Fprintln(stdout, "usage: sipalg-bench [-dir DIR] [-runs N] [-sipalg BIN] [-only LIST] | gen ... | readloop FILE...")
			return 0
		}
	}
	return runBench(args, stdout, stderr)
}
