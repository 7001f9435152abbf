package main

// Finding the cases of `sipalg batch`: case directories, directories of
// them, and CSV manifests.

import (
	"encoding/csv"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// A case directory holds lan.EXT and wan.EXT (two captures), or only one
// of them (single-capture analysis, inferred), or
// capture.EXT (one capture whose interfaces are named lan and wan).
const (
	lanPrefix     = "lan."
	wanPrefix     = "wan."
	capturePrefix = "capture."
)

// batchCase is one case to analyse. Err, when set, is why it cannot be
// (a missing side): the case is reported as failed, the others go on.
type batchCase struct {
	Name     string
	LAN, WAN string // two captures, or one of them alone (single-sided)
	Capture  string // or one capture with interfaces lan and wan
	Err      error
}

// single returns the one capture of a case that has only one side, and
// the side; ok is false for a case with both.
func (c batchCase) single() (path, side string, ok bool) {
	switch {
	case c.Capture != "" || c.Err != nil:
	case c.LAN != "" && c.WAN == "":
		return c.LAN, "lan", true
	case c.WAN != "" && c.LAN == "":
		return c.WAN, "wan", true
	}
	return "", "", false
}

// isCapture reports whether name is a capture of the given case role:
// the prefix, then a capture file ending (the content decides the
// format).
func isCapture(name, prefix string) bool {
	if !strings.HasPrefix(name, prefix) {
		return false
	}
	for _, ext := range [...]string{".pcap", ".pcapng", ".cap", ".pcap.gz", ".pcapng.gz", ".cap.gz"} {
		if name == prefix[:len(prefix)-1]+ext {
			return true
		}
	}
	return false
}

// readCaseDir reads dir as a case directory; ok is false when it holds no
// case capture at all.
func readCaseDir(dir, name string) (c batchCase, ok bool, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return c, false, err
	}
	var lans, wans, caps []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		switch n := e.Name(); {
		case isCapture(n, lanPrefix):
			lans = append(lans, n)
		case isCapture(n, wanPrefix):
			wans = append(wans, n)
		case isCapture(n, capturePrefix):
			caps = append(caps, n)
		}
	}
	c = batchCase{Name: name}
	switch {
	case len(lans)+len(wans)+len(caps) == 0:
		return c, false, nil
	case len(caps) > 0 && len(lans)+len(wans) > 0:
		c.Err = fmt.Errorf("%s holds both %s and lan./wan. captures: keep one layout", dir, caps[0])
	case len(caps) > 1:
		c.Err = fmt.Errorf("%s holds %d capture.* files (%s): keep one", dir, len(caps), strings.Join(caps, ", "))
	case len(caps) == 1:
		c.Capture = filepath.Join(dir, caps[0])
	case len(lans) > 1 || len(wans) > 1:
		c.Err = fmt.Errorf("%s holds several captures of one side (%s): keep one lan.* and one wan.*", dir, strings.Join(append(lans, wans...), ", "))
	case len(wans) == 0:
		c.LAN = filepath.Join(dir, lans[0]) // one side only: single-capture analysis
	case len(lans) == 0:
		c.WAN = filepath.Join(dir, wans[0])
	default:
		c.LAN, c.WAN = filepath.Join(dir, lans[0]), filepath.Join(dir, wans[0])
	}
	return c, true, nil
}

// findCases turns the batch arguments into cases sorted by name; notes
// are remarks for stderr (directories skipped). A path that is neither a
// case, a directory of cases nor a manifest is an error.
func findCases(paths []string) (cases []batchCase, notes []string, err error) {
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, nil, err
		}
		var found []batchCase
		if st.IsDir() {
			found, notes, err = casesInDir(p, notes)
		} else {
			found, err = casesInManifest(p)
		}
		if err != nil {
			return nil, nil, err
		}
		cases = append(cases, found...)
	}
	sort.SliceStable(cases, func(i, j int) bool { return cases[i].Name < cases[j].Name })
	for i := 1; i < len(cases); i++ {
		if cases[i].Name == cases[i-1].Name {
			return nil, nil, fmt.Errorf("two cases are named %q: case names must be unique (they name the reports)", cases[i].Name)
		}
	}
	return cases, notes, nil
}

// dirName is the case name of a directory: its base name.
func dirName(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return filepath.Base(abs)
	}
	return filepath.Base(filepath.Clean(dir))
}

func casesInDir(dir string, notes []string) ([]batchCase, []string, error) {
	c, ok, err := readCaseDir(dir, dirName(dir))
	if err != nil {
		return nil, notes, err
	}
	if ok {
		return []batchCase{c}, notes, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, notes, err
	}
	var cases []batchCase
	var skipped []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		c, ok, err := readCaseDir(filepath.Join(dir, e.Name()), e.Name())
		if err != nil {
			return nil, notes, err
		}
		if ok {
			cases = append(cases, c)
		} else {
			skipped = append(skipped, e.Name())
		}
	}
	if len(cases) == 0 {
		return nil, notes, fmt.Errorf("%s is not a case directory (no lan.* and wan.* captures, nor a capture.*) and none of its subdirectories is one", dir)
	}
	if len(skipped) > 0 {
		notes = append(notes, fmt.Sprintf("%s: %d subdirectories hold no case: %s", dir, len(skipped), strings.Join(skipped, ", ")))
	}
	return cases, notes, nil
}

// casesInManifest reads a CSV manifest: name,lan,wan per line, an
// optional header line "name,lan,wan", # comments; relative paths are
// relative to the manifest's directory.
func casesInManifest(path string) ([]batchCase, error) {
	if !strings.EqualFold(filepath.Ext(path), ".csv") {
		return nil, fmt.Errorf("%s is a file, not a case directory nor a manifest (a .csv file of name,lan,wan lines)", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	base := filepath.Dir(path)
	rel := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(base, p)
	}
	var cases []batchCase
	for first := true; ; first = false {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		line, _ := r.FieldPos(0)
		if first && len(rec) == 3 && strings.EqualFold(rec[0], "name") && strings.EqualFold(rec[1], "lan") && strings.EqualFold(rec[2], "wan") {
			continue
		}
		if len(rec) != 3 {
			return nil, fmt.Errorf("%s:%d: want 3 fields (name,lan,wan), got %d", path, line, len(rec))
		}
		name := strings.TrimSpace(rec[0])
		if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
			return nil, fmt.Errorf("%s:%d: case name %q is not usable as a file name", path, line, name)
		}
		c := batchCase{Name: name}
		lan, wan := strings.TrimSpace(rec[1]), strings.TrimSpace(rec[2])
		switch {
		case lan == "" && wan == "":
			c.Err = fmt.Errorf("%s:%d: case %s names no capture", path, line, name)
		case lan != "" && wan != "":
			c.LAN, c.WAN = rel(lan), rel(wan)
		case lan != "":
			c.LAN = rel(lan) // one side only: single-capture analysis
		default:
			c.WAN = rel(wan)
		}
		cases = append(cases, c)
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("%s lists no case", path)
	}
	return cases, nil
}

// shard is a --shard K/N: this run takes the cases whose name hashes to
// K of N. K counts from 0.
type shard struct{ k, n uint32 }

func parseShard(s string) (shard, error) {
	bad := fmt.Errorf("--shard must be K/N with 0 <= K < N, K counting from 0 (e.g. 0/4 to 3/4), not %q", s)
	ks, ns, ok := strings.Cut(s, "/")
	if !ok {
		return shard{}, bad
	}
	k, err1 := strconv.ParseUint(ks, 10, 32)
	n, err2 := strconv.ParseUint(ns, 10, 32)
	if err1 != nil || err2 != nil || n == 0 || k >= n {
		return shard{}, bad
	}
	return shard{uint32(k), uint32(n)}, nil
}

// owns reports whether the case named name belongs to the shard: FNV-1a
// (32 bit) of the name, modulo N, is K. The hash depends on the name
// alone, so every machine splits an archive the same way.
func (s shard) owns(name string) bool {
	if s.n <= 1 {
		return true
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	return h.Sum32()%s.n == s.k
}

func (s shard) String() string {
	if s.n == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.k, s.n)
}
