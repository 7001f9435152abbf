package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/sipalg/sipalg/fixtures/benchgen"
)

// sample is one timed run of a child process.
type sample struct {
	wall, cpu time.Duration
	rssKiB    int64
}

// stats are the medians of several samples.
type stats struct {
	wall, cpu time.Duration
	rssKiB    int64
	runs      int
}

func median[T int64 | time.Duration | float64](v []T) T {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

type bencher struct {
	dir    string
	runs   int
	sipalg string
	self   string
	log    io.Writer
	out    io.Writer
	// probe, when set, is measured before each round of rounds, which
	// leaves the results in probes and the rounds' ratios in roundRatios.
	probe       func() time.Duration
	probes      []time.Duration
	roundRatios [][]float64
}

// measure runs argv runs times (stdout discarded) under /usr/bin/time,
// and returns the medians.
func (b *bencher) measure(runs int, argv ...string) (stats, error) {
	st, _, err := b.rounds(runs, argv)
	if err != nil {
		return stats{}, err
	}
	return st[0], nil
}

// rounds runs each of cmds once a round, in turn, for runs rounds, and
// returns the medians of each and, for each command after the first, the
// median and range of its time over the first's in the same round.
//
// Why (2026-12, issue 15): this VM's speed drifts by tens of percent
// over minutes (the bare loop took 0.49 s, then 0.9 s, with nothing else
// running); timed one after the other, all runs of one command then all
// of the next, a ratio compared two speeds of the machine. Taken in turn,
// each ratio compares runs seconds apart.
func (b *bencher) rounds(runs int, cmds ...[]string) ([]stats, []ratio, error) {
	walls := make([][]time.Duration, len(cmds))
	cpus := make([][]time.Duration, len(cmds))
	rss := make([][]int64, len(cmds))
	rs := make([][]float64, len(cmds))
	b.probes = b.probes[:0]
	for range runs {
		if b.probe != nil {
			b.probes = append(b.probes, b.probe())
		}
		for k, argv := range cmds {
			s, err := b.once(argv)
			if err != nil {
				return nil, nil, err
			}
			walls[k], cpus[k], rss[k] = append(walls[k], s.wall), append(cpus[k], s.cpu), append(rss[k], s.rssKiB)
			if k > 0 {
				rs[k] = append(rs[k], s.wall.Seconds()/walls[0][len(walls[0])-1].Seconds())
			}
		}
	}
	b.roundRatios = rs
	st := make([]stats, len(cmds))
	ratios := make([]ratio, len(cmds))
	for k := range cmds {
		st[k] = stats{wall: median(walls[k]), cpu: median(cpus[k]), rssKiB: median(rss[k]), runs: runs}
		if k > 0 {
			ratios[k] = ratio{median(rs[k]), slices.Min(rs[k]), slices.Max(rs[k])}
		}
	}
	return st, ratios, nil
}

// ratio is a median of ratios of times taken in the same rounds, and
// their range.
type ratio struct{ med, lo, hi float64 }

func (r ratio) String() string {
	return fmt.Sprintf("%.2f× (%.2f–%.2f)", r.med, r.lo, r.hi)
}

// once runs argv once under /usr/bin/time. The peak RSS comes from
// /usr/bin/time: the rusage of a child this process forks counts the
// memory of the fork before exec, that is of this harness.
func (b *bencher) once(argv []string) (sample, error) {
	tf, err := os.CreateTemp("", "sipalg-bench-time")
	if err != nil {
		return sample{}, err
	}
	tf.Close()
	defer os.Remove(tf.Name())
	cmd := exec.Command("/usr/bin/time", append([]string{"-o", tf.Name(), "-f", "%M %U %S"}, argv...)...)
	var errb bytes.Buffer
	cmd.Stdout = io.Discard
	cmd.Stderr = &errb
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return sample{}, fmt.Errorf("%s: %v: %s", strings.Join(argv, " "), err, errb.String())
	}
	out, err := os.ReadFile(tf.Name())
	if err != nil {
		return sample{}, err
	}
	var kib int64
	var user, sys float64
	if _, err := fmt.Sscan(string(out), &kib, &user, &sys); err != nil {
		return sample{}, fmt.Errorf("/usr/bin/time said %q: %v", out, err)
	}
	cpu := time.Duration((user + sys) * 1e9)
	fmt.Fprintf(b.log, "  %-60.60s %6.2fs wall %6.2fs cpu %5d MiB\n", strings.Join(argv, " "), wall.Seconds(), cpu.Seconds(), kib>>10)
	return sample{wall: wall, cpu: cpu, rssKiB: kib}, nil
}

// warm reads files once, untimed, so that every timed run finds them in
// the page cache (a first run would otherwise time the disk).
func (b *bencher) warm(paths ...string) {
	for _, p := range paths {
		if f, err := os.Open(p); err == nil {
			io.Copy(io.Discard, f)
			f.Close()
		}
	}
}

// shell runs a shell command line (for zcat > /dev/null).
func (b *bencher) shell(runs int, line string) (stats, error) {
	return b.measure(runs, "sh", "-c", line)
}

func (b *bencher) analyze(runs int, lan, wan string) (stats, error) {
	return b.measure(runs, b.analyzeArgv(lan, wan)...)
}

func (b *bencher) analyzeArgv(lan, wan string) []string {
	return []string{b.sipalg, "analyze", "--lan", lan, "--wan", wan, "--format", "json", "-o", os.DevNull}
}

func (b *bencher) readloop(runs int, files ...string) (stats, error) {
	return b.measure(runs, b.readloopArgv(files...)...)
}

func (b *bencher) readloopArgv(files ...string) []string {
	return append([]string{b.self, "readloop"}, files...)
}

func fileSize(paths ...string) int64 {
	var n int64
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil {
			n += st.Size()
		}
	}
	return n
}

// row prints one result line of a table.
func (b *bencher) row(what string, s stats, packets int64, bytes int64, base time.Duration) {
	ratio := "—"
	if base > 0 {
		ratio = fmt.Sprintf("%.2f×", s.wall.Seconds()/base.Seconds())
	}
	fmt.Fprintf(b.out, "| %s | %d | %.2f s | %.2f s | %.2fM | %.0f | %.1f MiB | %s |\n",
		what, s.runs, s.wall.Seconds(), s.cpu.Seconds(), float64(packets)/s.wall.Seconds()/1e6, float64(bytes)/s.wall.Seconds()/1e6, float64(s.rssKiB)/1024, ratio)
}

func (b *bencher) header(title string) {
	fmt.Fprintf(b.out, "\n### %s\n\n| run | runs | wall (median) | CPU user+sys | packets/s | MB/s | peak RSS | ratio |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n", title)
}

func runBench(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sipalg-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", filepath.Join(os.TempDir(), "sipalg-bench"), "where the generated captures are cached")
	runs := fs.Int("runs", 3, "runs per measurement (medians are printed)")
	sipalg := fs.String("sipalg", "bin/sipalg", "the sipalg binary to time")
	only := fs.String("only", "large,small,flat,formats,sipheavy", "sections to run: large, small (with tshark), flat, formats, sipheavy (with sngrep and tshark)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "sipalg-bench: %v\n", err)
		return 1
	}
	b := &bencher{dir: *dir, runs: *runs, sipalg: *sipalg, self: self, log: stderr, out: stdout}
	fmt.Fprintf(stdout, "## sipalg-bench on %d CPUs, %s, captures in %s\n", runtime.NumCPU(), runtime.Version(), *dir)
	for _, s := range strings.Split(*only, ",") {
		var err error
		switch strings.TrimSpace(s) {
		case "large":
			err = b.large()
		case "small":
			err = b.small()
		case "flat":
			err = b.flat()
		case "formats":
			err = b.formats()
		case "sipheavy":
			err = b.sipHeavy()
		default:
			err = fmt.Errorf("unknown section %q", s)
		}
		if err != nil {
			fmt.Fprintf(stderr, "sipalg-bench: %v\n", err)
			return 1
		}
	}
	return 0
}

func largeSet(call time.Duration, f benchgen.Format, gz bool) dataset {
	c := benchgen.Default()
	c.Call, c.Format = call, f
	return dataset{cfg: c, gzip: gz}
}

// large: analyze of the 400-call, 180 s pair against the bare loop.
func (b *bencher) large() error {
	lan, wan, m, err := ensure(b.dir, largeSet(180*time.Second, benchgen.Pcap, false), b.log)
	if err != nil {
		return err
	}
	pk, by := int64(2*m.Counts.Packets), m.Counts.LANBytes+m.Counts.WANBytes
	b.warm(lan, wan)
	b.header(fmt.Sprintf("Large pair: %d calls of %s, %d packets and %.0f MB per side", m.Config.Phones, m.Config.Call, m.Counts.Packets, float64(m.Counts.LANBytes)/1e6))
	// In turn, a round at a time: the ratio is the target (issue 15).
	b.probe = crossCore
	st, rs, err := b.rounds(b.runs, b.readloopArgv(lan, wan), b.readloopArgv("-seq", lan, wan), b.analyzeArgv(lan, wan))
	b.probe = nil
	if err != nil {
		return err
	}
	base, seq, an := st[0], st[1], st[2]
	b.row("bare read+decode loop, both files in parallel", base, pk, by, 0)
	b.row("bare read+decode loop, one file after the other", seq, pk, by, base.wall)
	b.row("sipalg analyze --format json", an, pk, by, base.wall)
	fmt.Fprintf(b.out, "\nanalyze / bare loop, the median of the rounds' ratios (the loop and analyze run in turn, %d rounds): %s (both files in parallel), %.2f× (one after the other, medians).\n",
		b.runs, rs[2], an.wall.Seconds()/seq.wall.Seconds())
	fmt.Fprintf(b.out, "Load average after the runs: %s (2 cores: above 2, other processes took turns with these).\n", loadAvg())
	var near, apart []float64
	for i, rt := range b.probes {
		if rt < apartRoundTrip {
			near = append(near, b.roundRatios[2][i])
		} else {
			apart = append(apart, b.roundRatios[2][i])
		}
	}
	fmt.Fprintf(b.out, "Cross-core round trip before each round (ns): %v. analyze / bare loop in the rounds that began with the vCPUs near each other (under %d ns): %s; apart: %s (see docs/performance.md: while apart, analyze's second pass, goroutines handing batches to each other, can run slower; the state can also change within a round).\n",
		nanos(b.probes), apartRoundTrip.Nanoseconds(), medianOf(near), medianOf(apart))
	return nil
}

// small: the ~50 MB pair, with tshark; tshark's time is extrapolated per
// byte to the large pair.
func (b *bencher) small() error {
	c := benchgen.Default()
	c.Phones = 12
	lan, wan, m, err := ensure(b.dir, dataset{cfg: c}, b.log)
	if err != nil {
		return err
	}
	pk, by := int64(2*m.Counts.Packets), m.Counts.LANBytes+m.Counts.WANBytes
	b.warm(lan, wan)
	b.header(fmt.Sprintf("Small pair: %d calls of %s, %d packets and %.0f MB per side", m.Config.Phones, m.Config.Call, m.Counts.Packets, float64(m.Counts.LANBytes)/1e6))
	base, err := b.readloop(b.runs, lan, wan)
	if err != nil {
		return err
	}
	b.row("bare read+decode loop, both files in parallel", base, pk, by, 0)
	an, err := b.analyze(b.runs, lan, wan)
	if err != nil {
		return err
	}
	b.row("sipalg analyze --format json", an, pk, by, base.wall)
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		fmt.Fprintln(b.out, "\ntshark is not installed: no tshark comparison.")
		return nil
	}
	// Both files one after the other, as a user would run it.
	line := fmt.Sprintf("%s -r %s -Y sip -T fields -e sip.Call-ID > /dev/null && %s -r %s -Y sip -T fields -e sip.Call-ID > /dev/null", tshark, lan, tshark, wan)
	ts, err := b.shell(b.runs, line)
	if err != nil {
		return err
	}
	b.row("tshark -Y sip -T fields -e sip.Call-ID, both files", ts, pk, by, base.wall)
	fmt.Fprintf(b.out, "\ntshark / analyze on this pair: %.1f×; tshark costs %.2f ns per capture byte.\n",
		ts.wall.Seconds()/an.wall.Seconds(), float64(ts.wall.Nanoseconds())/float64(by))
	if _, _, lm, err := ensure(b.dir, largeSet(180*time.Second, benchgen.Pcap, false), io.Discard); err == nil {
		lby := lm.Counts.LANBytes + lm.Counts.WANBytes
		fmt.Fprintf(b.out, "Large pair %.0f MB: tshark extrapolated %.0f s.\n", float64(lby)/1e6, float64(ts.wall.Nanoseconds())/float64(by)*float64(lby)/1e9)
	}
	return nil
}

// flat: peak RSS of analyze on 60 s, 180 s and 540 s calls.
func (b *bencher) flat() error {
	b.header("Memory flatness: 400 calls of 60 s, 180 s, 540 s")
	var rss []int64
	for _, d := range []time.Duration{60 * time.Second, 180 * time.Second, 540 * time.Second} {
		lan, wan, m, err := ensure(b.dir, largeSet(d, benchgen.Pcap, false), b.log)
		if err != nil {
			return err
		}
		b.warm(lan, wan)
		runs := b.runs
		if d > 180*time.Second {
			runs = max(1, runs/2)
		}
		an, err := b.analyze(runs, lan, wan)
		if err != nil {
			return err
		}
		b.row(fmt.Sprintf("analyze, calls of %s (%d packets per side)", d, m.Counts.Packets), an, int64(2*m.Counts.Packets), m.Counts.LANBytes+m.Counts.WANBytes, 0)
		rss = append(rss, an.rssKiB)
	}
	lo, hi := slices.Min(rss), slices.Max(rss)
	fmt.Fprintf(b.out, "\nPeak RSS spread: %.1f–%.1f MiB, max/min %.3f.\n", float64(lo)/1024, float64(hi)/1024, float64(hi)/float64(lo))
	return nil
}

// formats: the 60 s pair as pcap, pcapng and gzip'd pcap; zcat for the
// gzip comparison.
func (b *bencher) formats() error {
	type fset struct {
		name     string
		lan, wan string
		m        meta
	}
	var sets []fset
	for _, d := range []dataset{largeSet(60*time.Second, benchgen.Pcap, false), largeSet(60*time.Second, benchgen.PcapNG, false), largeSet(60*time.Second, benchgen.Pcap, true)} {
		lan, wan, m, err := ensure(b.dir, d, b.log)
		if err != nil {
			return err
		}
		sets = append(sets, fset{strings.TrimPrefix(d.fileExt(), "."), lan, wan, m})
	}
	m := sets[0].m
	pk, by := int64(m.Counts.Packets), m.Counts.LANBytes
	b.header(fmt.Sprintf("Formats: the LAN side of 400 calls of 60 s (%d packets, %.0f MB as pcap)", m.Counts.Packets, float64(m.Counts.LANBytes)/1e6))
	var pcapLoop stats
	for i, s := range sets {
		b.warm(s.lan, s.wan)
		st, err := b.readloop(b.runs, s.lan)
		if err != nil {
			return err
		}
		if i == 0 {
			pcapLoop = st
		}
		b.row("bare loop, "+s.name, st, pk, by, pcapLoop.wall)
	}
	zc, err := b.shell(b.runs, "zcat "+sets[2].lan+" > /dev/null")
	if err != nil {
		return err
	}
	b.row("zcat "+filepath.Base(sets[2].lan)+" > /dev/null", zc, pk, by, pcapLoop.wall)
	for _, s := range sets {
		st, err := b.measure(b.runs, b.sipalg, "flows", "--format", "json", s.lan)
		if err != nil {
			return err
		}
		b.row("sipalg flows --format json, "+s.name, st, pk, by, pcapLoop.wall)
	}
	b.header("Formats: analyze of the pair (400 calls of 60 s)")
	var pcapAn stats
	for i, s := range sets {
		st, err := b.analyze(b.runs, s.lan, s.wan)
		if err != nil {
			return err
		}
		if i == 0 {
			pcapAn = st
		}
		b.row("analyze, "+s.name, st, 2*pk, 2*by, pcapAn.wall)
	}
	zc2, err := b.shell(b.runs, "zcat "+sets[2].lan+" > /dev/null & zcat "+sets[2].wan+" > /dev/null & wait")
	if err != nil {
		return err
	}
	b.row("zcat both files in parallel > /dev/null", zc2, 2*pk, 2*by, pcapAn.wall)
	return nil
}

// sipHeavySet is a SIP-heavy pair of issue 15: 230 phones behind one
// router with a correct ALG, each placing one-second calls one after the
// other, one every 90 s, and registering every 60 s. 11 calls a phone
// give about 25,000 SIP messages a side, 32 about 73,000, 320 about
// 730,000.
func sipHeavySet(calls int) dataset {
	c := benchgen.Default()
	c.Phones, c.Call, c.Calls, c.CallEvery = 230, time.Second, calls, 90*time.Second
	return dataset{cfg: c}
}

// sipHeavy: analyze of the 25k and 73k SIP-heavy pairs next to sngrep and
// tshark over the same two files, then the 730k pair for memory only.
func (b *bencher) sipHeavy() error {
	sngrep, serr := exec.LookPath("sngrep")
	tshark, terr := exec.LookPath("tshark")
	var missing []string
	if serr != nil || terr != nil {
		missing = append(missing, "sngrep", "tshark")
	}
	// The HTML report's load time is measured in Chromium (htmlLoad).
	if _, err := exec.LookPath("chromium"); err != nil {
		missing = append(missing, "chromium")
	}
	if len(missing) > 0 {
		b.install(missing...)
		sngrep, serr = exec.LookPath("sngrep")
		tshark, terr = exec.LookPath("tshark")
	}
	for _, calls := range []int{11, 32} {
		lan, wan, m, err := ensure(b.dir, sipHeavySet(calls), b.log)
		if err != nil {
			return err
		}
		pk, by := int64(2*m.Counts.Packets), m.Counts.LANBytes+m.Counts.WANBytes
		b.warm(lan, wan)
		b.header(fmt.Sprintf("SIP-heavy pair: %d phones, %d calls of %s each, %d SIP messages, %d packets and %.0f MB per side",
			m.Config.Phones, m.Config.Calls, m.Config.Call, m.Counts.SIPMessages, m.Counts.Packets, float64(m.Counts.LANBytes)/1e6))
		// In turn, a round at a time: the ratios are the targets.
		type rival struct {
			name, row, line string
			err             error
		}
		rivals := []rival{
			// Each file on its own, one after the other, as a user would:
			// given two -I, sngrep 1.6 takes many times as long.
			{"sngrep", "sngrep -N -q -I, both files", fmt.Sprintf("%s -N -q -I %s && %s -N -q -I %s", sngrep, lan, sngrep, wan), serr},
			{"tshark", "tshark -Y sip -T fields -e sip.Call-ID, both files", fmt.Sprintf("%s -r %s -Y sip -T fields -e sip.Call-ID > /dev/null && %s -r %s -Y sip -T fields -e sip.Call-ID > /dev/null", tshark, lan, tshark, wan), terr},
		}
		cmds := [][]string{b.analyzeArgv(lan, wan)}
		for _, r := range rivals {
			if r.err == nil {
				cmds = append(cmds, []string{"sh", "-c", r.line})
			}
		}
		st, rs, err := b.rounds(b.runs, cmds...)
		if err != nil {
			return err
		}
		an := st[0]
		b.row("sipalg analyze --format json (both sides)", an, pk, by, 0)
		k := 1
		var ratios []string
		for _, r := range rivals {
			if r.err != nil {
				ratios = append(ratios, fmt.Sprintf(" %s is not installed.", r.name))
				continue
			}
			b.row(r.row, st[k], pk, by, an.wall)
			ratios = append(ratios, fmt.Sprintf(" %s / analyze: %s in wall time (the median of the rounds' ratios), %.2f× in CPU time (medians).", r.name, rs[k], st[k].cpu.Seconds()/an.cpu.Seconds()))
			k++
		}
		fmt.Fprintf(b.out, "\n%.1f µs of CPU per SIP message per side (analyze's CPU / %d messages).%s", float64(an.cpu.Microseconds())/float64(2*m.Counts.SIPMessages), 2*m.Counts.SIPMessages, strings.Join(ratios, ""))
		fmt.Fprintln(b.out)
		fmt.Fprintf(b.out, "Load average after the runs: %s (2 cores: above 2, other processes took turns with these).\n", loadAvg())
		if err := b.reportSizes(lan, wan); err != nil {
			return err
		}
	}
	// Memory only: one run, its JSON report written to a file and read
	// back for the messages it lists.
	lan, wan, m, err := ensure(b.dir, sipHeavySet(320), b.log)
	if err != nil {
		return err
	}
	b.warm(lan, wan)
	b.header(fmt.Sprintf("SIP-heavy pair for memory: %d phones, %d calls each, %d SIP messages, %d packets and %.0f MB per side",
		m.Config.Phones, m.Config.Calls, m.Counts.SIPMessages, m.Counts.Packets, float64(m.Counts.LANBytes)/1e6))
	f, err := os.CreateTemp(b.dir, "report-*.json")
	if err != nil {
		return err
	}
	f.Close()
	defer os.Remove(f.Name())
	an, err := b.measure(1, b.sipalg, "analyze", "--lan", lan, "--wan", wan, "--fail-on", "never", "--format", "json", "-o", f.Name())
	if err != nil {
		return err
	}
	b.row("sipalg analyze --format json -o FILE (both sides)", an, int64(2*m.Counts.Packets), m.Counts.LANBytes+m.Counts.WANBytes, 0)
	return b.reportCheck(f.Name(), m.Counts.SIPMessages)
}

// install installs the Debian packages pkgs (the tools the SIP-heavy
// section compares with or measures in), when root with apt-get.
func (b *bencher) install(pkgs ...string) {
	if _, err := exec.LookPath("apt-get"); err != nil || os.Geteuid() != 0 {
		fmt.Fprintf(b.log, "%s missing, and not root with apt-get: not compared or measured without them\n", strings.Join(pkgs, ", "))
		return
	}
	fmt.Fprintf(b.log, "installing %s (apt-get) ...\n", strings.Join(pkgs, ", "))
	cmd := exec.Command("apt-get", append([]string{"install", "-y", "--no-install-recommends"}, pkgs...)...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	cmd.Stdout, cmd.Stderr = b.log, b.log
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(b.log, "apt-get: %v\n", err)
	}
}

// reportSizes writes the table, JSON and HTML reports of a pair once each
// and prints their sizes (the table's in lines: what a person scrolls).
func (b *bencher) reportSizes(lan, wan string) error {
	dir, err := os.MkdirTemp(b.dir, "reports-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Fprint(b.out, "\nReports:")
	for _, f := range []string{"table", "json", "html"} {
		out := filepath.Join(dir, "report."+f)
		cmd := exec.Command(b.sipalg, "analyze", "--lan", lan, "--wan", wan, "--fail-on", "never", "--format", f, "-o", out)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %v: %s", strings.Join(cmd.Args, " "), err, errb.String())
		}
		data, err := os.ReadFile(out)
		if err != nil {
			return err
		}
		if len(data) < 1e6 {
			fmt.Fprintf(b.out, " %s %.1f kB", f, float64(len(data))/1e3)
		} else {
			fmt.Fprintf(b.out, " %s %.1f MB", f, float64(len(data))/1e6)
		}
		if f == "table" {
			fmt.Fprintf(b.out, " (%d lines)", bytes.Count(data, []byte("\n")))
		}
		if f == "html" {
			if err := b.htmlLoad(out); err != nil {
				fmt.Fprintf(b.out, " (not loaded in Chromium: %v)", err)
			}
		}
	}
	fmt.Fprintln(b.out, ".")
	// The annotated capture: both captures merged with their comments,
	// its memory flat in the messages like the reports'.
	out := filepath.Join(dir, "annotated.pcapng")
	an, err := b.measure(1, b.sipalg, "analyze", "--lan", lan, "--wan", wan, "--fail-on", "never", "--format", "json", "-o", os.DevNull, "--annotate", out)
	if err != nil {
		return err
	}
	fmt.Fprintf(b.out, "\nThe annotated capture (--annotate, with --format json): %.1f MB in %.2f s, %.1f MiB peak RSS.\n", float64(fileSize(out))/1e6, an.wall.Seconds(), float64(an.rssKiB)/1024)
	// The WAN capture alone: the one-sided analysis keeps every message
	// (up to its limits), so its memory is not flat; this is its cost.
	one, err := b.measure(1, b.sipalg, "analyze", "--wan", wan, "--fail-on", "never", "--format", "json", "-o", os.DevNull)
	if err != nil {
		return err
	}
	fmt.Fprintf(b.out, "The WAN capture alone (--wan, one-sided, --format json): %.2f s, %.2f s of CPU, %.1f MiB peak RSS.\n", one.wall.Seconds(), one.cpu.Seconds(), float64(one.rssKiB)/1024)
	return nil
}

// reportCheck reads a JSON report back as a stream: how many messages
// each side has in it (want, the generator's count, for both) and the
// report's warnings, which name any limit reached.
func (b *bencher) reportCheck(path string, want int) error {
	c, err := countReport(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(b.out, "\nThe JSON report (%.0f MB) lists %d messages seen on the LAN side and %d on the WAN side, of %d per side; %d warning(s)",
		float64(fileSize(path))/1e6, c.lan, c.wan, want, len(c.warnings))
	for _, w := range c.warnings {
		fmt.Fprintf(b.out, "; %q", w)
	}
	fmt.Fprintln(b.out, ".")
	return nil
}

type reportCount struct {
	lan, wan int
	warnings []string
}

// countReport reads a JSON report element by element (a report of a
// million messages is over a gigabyte).
func countReport(path string) (reportCount, error) {
	var c reportCount
	f, err := os.Open(path)
	if err != nil {
		return c, err
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(f, 1<<20))
	if _, err := dec.Token(); err != nil { // {
		return c, err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return c, err
		}
		switch tok {
		case "messages":
			if _, err := dec.Token(); err != nil { // [
				return c, err
			}
			for dec.More() {
				var m struct {
					LAN json.RawMessage `json:"lan_frame"`
					WAN json.RawMessage `json:"wan_frame"`
				}
				if err := dec.Decode(&m); err != nil {
					return c, err
				}
				if len(m.LAN) > 0 && string(m.LAN) != "null" {
					c.lan++
				}
				if len(m.WAN) > 0 && string(m.WAN) != "null" {
					c.wan++
				}
			}
			if _, err := dec.Token(); err != nil { // ]
				return c, err
			}
		case "warnings":
			if err := dec.Decode(&c.warnings); err != nil {
				return c, err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return c, err
			}
		}
	}
	return c, nil
}

// htmlLoad opens an HTML report in headless Chromium through the browser
// test of cmd/sipalg (go test, from the source tree make bench runs in)
// and prints what it measured: the time until the page's script is done
// and the dialogs it lists.
func (b *bencher) htmlLoad(path string) error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return err
	}
	if _, err := os.Stat("cmd/sipalg/html_browser_test.go"); err != nil {
		return fmt.Errorf("not run from the source tree")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	cmd := exec.Command(goBin, "test", "./cmd/sipalg", "-run", "^TestHTMLLoadTime$", "-count=1", "-v", "-args", "-html-report", abs)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%v: %s", err, tail(out.String(), 400))
	}
	for _, l := range strings.Split(out.String(), "\n") {
		if _, m, ok := strings.Cut(l, "HTML load: "); ok {
			fmt.Fprintf(b.out, " (%s)", m)
			return nil
		}
		if strings.Contains(l, "SKIP") {
			return fmt.Errorf("%s", strings.TrimSpace(l))
		}
	}
	return fmt.Errorf("no measurement in: %s", tail(out.String(), 400))
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// loadAvg is the first three fields of /proc/loadavg, or "unknown": the
// figures of a shared machine are read with it.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
