package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/sipalg/sipalg/fixtures/benchgen"
)

// genVersion names the generator's output: bump it when benchgen changes
// what it writes, so cached captures are regenerated.
const genVersion = "g1"

// dataset is one generated pair.
type dataset struct {
	cfg  benchgen.Config
	gzip bool
}

func (d dataset) dirName() string {
	ext := string(d.cfg.Format)
	if d.gzip {
		ext += ".gz"
	}
	calls := ""
	if d.cfg.Calls > 1 {
		calls = fmt.Sprintf("-n%de%ds", d.cfg.Calls, int(d.cfg.CallEvery/time.Second))
	}
	return fmt.Sprintf("%s-p%d-c%ds%s-%s-s%d", genVersion, d.cfg.Phones, int(d.cfg.Call/time.Second), calls, ext, d.cfg.Seed)
}

func (d dataset) fileExt() string {
	ext := "." + string(d.cfg.Format)
	if d.gzip {
		ext += ".gz"
	}
	return ext
}

// meta is written next to a generated pair.
type meta struct {
	Config benchgen.Config `json:"config"`
	Gzip   bool            `json:"gzip"`
	Counts benchgen.Counts `json:"counts"`
}

// ensure returns the pair of d under root, generating it when missing.
func ensure(root string, d dataset, log io.Writer) (lan, wan string, m meta, err error) {
	dir := filepath.Join(root, d.dirName())
	lan, wan = filepath.Join(dir, "lan"+d.fileExt()), filepath.Join(dir, "wan"+d.fileExt())
	if b, err := os.ReadFile(filepath.Join(dir, "meta.json")); err == nil {
		if err := json.Unmarshal(b, &m); err == nil {
			return lan, wan, m, nil
		}
	}
	fmt.Fprintf(log, "generating %s ...\n", dir)
	start := time.Now()
	m, err = generate(dir, d)
	if err != nil {
		return "", "", meta{}, err
	}
	fmt.Fprintf(log, "  %d packets per side, %.0f MB + %.0f MB in %.1f s\n", m.Counts.Packets, float64(m.Counts.LANBytes)/1e6, float64(m.Counts.WANBytes)/1e6, time.Since(start).Seconds())
	return lan, wan, m, nil
}

// generate writes d into dir: the captures first under temporary names,
// meta.json last, so an interrupted run leaves no pair that looks done.
func generate(dir string, d dataset) (meta, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return meta{}, err
	}
	open := func(name string) (*os.File, io.WriteCloser, error) {
		f, err := os.Create(filepath.Join(dir, name+d.fileExt()+".tmp"))
		if err != nil {
			return nil, nil, err
		}
		if !d.gzip {
			return f, nopCloser{f}, nil
		}
		bw := bufio.NewWriterSize(f, 1<<20)
		zw, err := gzip.NewWriterLevel(bw, gzip.DefaultCompression)
		if err != nil {
			f.Close()
			return nil, nil, err
		}
		return f, &gzipFile{zw: zw, bw: bw}, nil
	}
	lf, lw, err := open("lan")
	if err != nil {
		return meta{}, err
	}
	defer lf.Close()
	wf, ww, err := open("wan")
	if err != nil {
		return meta{}, err
	}
	defer wf.Close()
	var c benchgen.Counts
	var werr error
	if d.gzip {
		// Compress the two sides in parallel: gzip is the slow part.
		c, werr = writeParallelGzip(d.cfg, lw, ww)
	} else {
		c, werr = benchgen.Write(d.cfg, lw, ww)
	}
	if err := errors.Join(werr, lw.Close(), ww.Close(), lf.Close(), wf.Close()); err != nil {
		return meta{}, err
	}
	for _, side := range []string{"lan", "wan"} {
		p := filepath.Join(dir, side+d.fileExt())
		if err := os.Rename(p+".tmp", p); err != nil {
			return meta{}, err
		}
	}
	m := meta{Config: d.cfg, Gzip: d.gzip, Counts: c}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return meta{}, err
	}
	return m, os.WriteFile(filepath.Join(dir, "meta.json"), append(b, '\n'), 0o644)
}

// writeParallelGzip runs the generator with each side's compressor in its
// own goroutine, fed through a pipe.
func writeParallelGzip(cfg benchgen.Config, lan, wan io.Writer) (benchgen.Counts, error) {
	lr, lpw := io.Pipe()
	wr, wpw := io.Pipe()
	errc := make(chan error, 2)
	copyTo := func(dst io.Writer, src *io.PipeReader) {
		_, err := io.Copy(dst, src)
		src.CloseWithError(err)
		errc <- err
	}
	go copyTo(lan, lr)
	go copyTo(wan, wr)
	c, err := benchgen.Write(cfg, lpw, wpw)
	lpw.CloseWithError(err)
	wpw.CloseWithError(err)
	return c, errors.Join(err, <-errc, <-errc)
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

type gzipFile struct {
	zw *gzip.Writer
	bw *bufio.Writer
}

func (g *gzipFile) Write(p []byte) (int, error) { return g.zw.Write(p) }

func (g *gzipFile) Close() error { return errors.Join(g.zw.Close(), g.bw.Flush()) }

func runGen(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sipalg-bench gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := benchgen.Default()
	phones := fs.Int("phones", def.Phones, "phones")
	call := fs.Duration("call", def.Call, "media duration of each call")
	calls := fs.Int("calls", 1, "calls per phone, one after the other")
	every := fs.Duration("every", 0, "with -calls above 1: from one call's INVITE to the next's")
	format := fs.String("format", string(def.Format), "pcap or pcapng")
	gz := fs.Bool("gzip", false, "gzip both captures")
	out := fs.String("o", "", "output directory")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: sipalg-bench gen [-phones N] [-call D] [-calls N -every D] [-format pcap|pcapng] [-gzip] -o DIR")
		return 2
	}
	d := dataset{cfg: def, gzip: *gz}
	d.cfg.Phones, d.cfg.Call, d.cfg.Format = *phones, *call, benchgen.Format(*format)
	d.cfg.Calls, d.cfg.CallEvery = *calls, *every
	m, err := generate(*out, d)
	if err != nil {
		fmt.Fprintf(stderr, "sipalg-bench: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%d packets and %d SIP messages per side; %d + %d bytes\n", m.Counts.Packets, m.Counts.SIPMessages, m.Counts.LANBytes, m.Counts.WANBytes)
	return 0
}
