package analyze

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/correlate"
	"github.com/sipalg/sipalg/analyze/reportschema"
	"github.com/sipalg/sipalg/fixtures/benchgen"
	"github.com/sipalg/sipalg/fixtures/testcap"
)

// The hostile suite: captures that are empty, cut, lying, crafted or
// simply not captures, each generated here and run through the whole
// pipeline. Each must end in a report or a clear error naming the file
// (and, for a corrupt record, its number and byte offset): never a panic,
// a hang or memory that grows with what the file claims.

// hostileDeadline bounds one analysis of a hostile pair (the race detector
// slows the pipeline about tenfold; these inputs are small). The big
// hostile tests raise it.
var hostileDeadline = 60 * time.Second

// reportSchema is docs/report.schema.json, compiled once for the suite.
var reportSchema = func() func(testing.TB) *jsonschema.Schema {
	once := sync.OnceValues(func() (*jsonschema.Schema, error) { return reportschema.Compile(reportschema.Path()) })
	return func(t testing.TB) *jsonschema.Schema {
		t.Helper()
		s, err := once()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}()

// hostileHeap bounds what one analysis of a hostile pair adds to the Go
// heap.
const hostileHeap = 256 << 20

// outcome is what one analysis of a hostile pair gave.
type outcome struct {
	rep      *Report
	err      error
	lan, wan string
	peakHeap uint64
}

// analyzeBytes writes lan and wan to files and runs the pipeline on them,
// failing the test on a hang or excessive memory.
func analyzeBytes(t *testing.T, lan, wan []byte) outcome {
	t.Helper()
	dir := t.TempDir()
	o := outcome{lan: filepath.Join(dir, "lan.pcap"), wan: filepath.Join(dir, "wan.pcap")}
	if err := os.WriteFile(o.lan, lan, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(o.wan, wan, 0o644); err != nil {
		t.Fatal(err)
	}
	return analyzeFiles(t, o.lan, o.wan)
}

func analyzeFiles(t *testing.T, lan, wan string) outcome {
	t.Helper()
	o := outcome{lan: lan, wan: wan}
	done := make(chan struct{})
	// The bound is on what the analysis adds: the heap the test itself
	// holds (every case's capture, built up front) is measured first and
	// taken off. Counting it made the fragments cases fail now and then
	// on a loaded machine (266 MiB against 256), the collector behind.
	runtime.GC()
	base := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(base)
	var peak atomic.Uint64
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		o.rep, o.err = Run(lan, wan, Options{Version: "test"})
	}()
	select {
	case <-finished:
	case <-time.After(hostileDeadline):
		t.Fatalf("analysis of %s and %s still running after %v", lan, wan, hostileDeadline)
	}
	close(done)
	o.peakHeap = peak.Load() - min(peak.Load(), base[0].Value.Uint64())
	if o.peakHeap > hostileHeap {
		t.Errorf("the analysis added up to %d MiB to the heap (bound %d MiB)", o.peakHeap>>20, hostileHeap>>20)
	}
	if o.rep != nil {
		if o.err != nil {
			t.Errorf("both a report and an error: %v", o.err)
		}
		b, err := json.Marshal(o.rep)
		if err != nil {
			t.Errorf("report does not marshal: %v", err)
		}
		if errs := reportschema.Validate(reportSchema(t), b); len(errs) > 0 {
			t.Errorf("report does not validate against docs/report.schema.json:\n%s", strings.Join(errs, "\n"))
		}
	}
	if o.rep == nil && o.err == nil {
		t.Errorf("neither a report nor an error")
	}
	return o
}

// wantInputError checks that err is an InputError of class want naming
// file; record and off, when >= 0, must match too.
func wantInputError(t *testing.T, err error, want error, file string, record int, off int64) *capture.InputError {
	t.Helper()
	var ie *capture.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("err %v, want an InputError", err)
	}
	if want != nil && !errors.Is(err, want) {
		t.Errorf("err %v, want class %v", err, want)
	}
	if ie.File != file || !strings.Contains(err.Error(), file) {
		t.Errorf("err %q does not name %s", err, file)
	}
	if record >= 0 && ie.Record != record {
		t.Errorf("err %q: record %d, want %d", err, ie.Record, record)
	}
	if off >= 0 && ie.Offset != off {
		t.Errorf("err %q: offset %d, want %d", err, ie.Offset, off)
	}
	return ie
}

// warned reports whether any warning of the report (inputs included)
// contains s.
func (o outcome) warned(s string) bool {
	if o.rep == nil {
		return false
	}
	all := append([]string(nil), o.rep.Warnings...)
	for _, in := range o.rep.Inputs {
		all = append(all, in.Warnings...)
	}
	for _, w := range all {
		if strings.Contains(w, s) {
			return true
		}
	}
	return false
}

func (o outcome) allWarnings() string {
	if o.rep == nil {
		return fmt.Sprint("no report: ", o.err)
	}
	var b strings.Builder
	fmt.Fprintln(&b, o.rep.Warnings)
	for k, in := range o.rep.Inputs {
		fmt.Fprintln(&b, k, in.Warnings)
	}
	return b.String()
}

// basePair is a small pair that correlates: two phones, each registering
// and placing a one-second call through a correct ALG.
func basePair(t testing.TB) (lan, wan []byte) {
	t.Helper()
	cfg := benchgen.Default()
	cfg.Phones, cfg.Call = 2, time.Second
	var l, w bytes.Buffer
	if _, err := benchgen.Write(cfg, &l, &w); err != nil {
		t.Fatal(err)
	}
	return l.Bytes(), w.Bytes()
}

// hostileStart is a time after every packet of basePair (LAN clock).
var hostileStart = benchgen.StartTime.UnixNano() + 10e9

// appendRecords adds pcap records to a pcap file.
func appendRecords(file []byte, recs ...testcap.Rec) []byte {
	f := &testcap.File{}
	for _, r := range recs {
		f.PcapRecord(r)
	}
	return append(bytes.Clone(file), f.Bytes()...)
}

// recs turns frames into records a millisecond apart from hostileStart.
func recs(frames ...[]byte) []testcap.Rec {
	out := make([]testcap.Rec, len(frames))
	for i, f := range frames {
		out[i] = testcap.Rec{TS: hostileStart + int64(i)*1e6, Data: f}
	}
	return out
}

func TestHostileNotACapture(t *testing.T) {
	lan, wan := basePair(t)
	hdr := testcap.Pcap(layers.LinkTypeEthernet)
	cases := []struct {
		name string
		file []byte
		want error
		msg  string
	}{
		{"empty", nil, capture.ErrEmpty, "empty"},
		{"text", []byte("Call-ID: not a capture\r\n"), capture.ErrNotCapture, "text file"},
		{"html", []byte("<!DOCTYPE html><html>"), capture.ErrNotCapture, "HTML"},
		{"binary", []byte{0x13, 0x37, 0, 1, 2, 3, 0xff, 0xfe, 9, 9, 9, 9, 9, 9, 9, 9}, capture.ErrNotCapture, "not a capture format"},
		{"zip", append([]byte("PK\x03\x04\x14\x00\x00\x00\x08\x00"), lan[:64]...), capture.ErrNotCapture, "zip archive"},
		{"xz", append([]byte("\xfd7zXZ\x00\x00\x04\xe6\xd6\xb4\x46"), lan[:64]...), capture.ErrNotCapture, "xz-compressed"},
		{"bzip2", []byte("BZh91AY&SY\x00\x00\x00\x00\x00\x00"), capture.ErrNotCapture, "bzip2"},
		{"gzip-of-text", gzipBytes(t, []byte("hello, not a capture\n")), capture.ErrNotCapture, "gzip-compressed, and inside"},
		{"gzip-empty-inside", gzipBytes(t, nil), capture.ErrEmpty, "empty inside"},
		{"pcap-version-9", func() []byte { b := bytes.Clone(hdr); b[4] = 9; return b }(), capture.ErrCorrupt, "version"},
		{"pcapng-bad-byte-order", func() []byte {
			b := testcap.PcapNG(binary.LittleEndian, layers.LinkTypeEthernet)
			copy(b[8:], "\x01\x02\x03\x04")
			return b
		}(), capture.ErrCorrupt, "byte-order"},
		{"modified-pcap", []byte{0x34, 0xcd, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0}, capture.ErrUnsupportedFormat, "Kuznetzov"},
	}
	for n := 1; n < 24; n++ {
		cases = append(cases, struct {
			name string
			file []byte
			want error
			msg  string
		}{fmt.Sprintf("pcap-header-%d-bytes", n), hdr[:n], nil, ""})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// On either side: the error names the file at fault.
			o := analyzeBytes(t, c.file, wan)
			wantInputError(t, o.err, c.want, o.lan, -1, -1)
			if !strings.Contains(o.err.Error(), c.msg) {
				t.Errorf("err %q does not say %q", o.err, c.msg)
			}
			o = analyzeBytes(t, lan, c.file)
			wantInputError(t, o.err, c.want, o.wan, -1, -1)
		})
	}
	t.Run("directory", func(t *testing.T) {
		dir := t.TempDir()
		o := analyzeFiles(t, dir, dir)
		wantInputError(t, o.err, capture.ErrNotCapture, dir, -1, -1)
	})
	t.Run("missing", func(t *testing.T) {
		o := analyzeFiles(t, filepath.Join(t.TempDir(), "nope.pcap"), filepath.Join(t.TempDir(), "nope2.pcap"))
		if !errors.Is(o.err, os.ErrNotExist) || !strings.Contains(o.err.Error(), "nope.pcap") {
			t.Errorf("err %v", o.err)
		}
	})
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestHostileGzip: a gzip'd pair gives the report of the plain pair; a
// gzip stream corrupt or cut inside gives a positioned error or a
// truncation warning.
func TestHostileGzip(t *testing.T) {
	lan, wan := basePair(t)
	plain := analyzeBytes(t, lan, wan)
	if plain.err != nil {
		t.Fatal(plain.err)
	}
	gz := analyzeBytes(t, gzipBytes(t, lan), gzipBytes(t, wan))
	if gz.err != nil {
		t.Fatal(gz.err)
	}
	if f := gz.rep.Inputs["lan"].Format; f != "pcap+gzip" {
		t.Errorf("format %q", f)
	}
	if len(gz.rep.Messages) != len(plain.rep.Messages) || len(gz.rep.Findings) != len(plain.rep.Findings) || !reflect.DeepEqual(gz.rep.Clock, plain.rep.Clock) {
		t.Errorf("gzip: %d messages, %d findings, clock %+v; plain: %d, %d, %+v",
			len(gz.rep.Messages), len(gz.rep.Findings), gz.rep.Clock, len(plain.rep.Messages), len(plain.rep.Findings), plain.rep.Clock)
	}
	zl := gzipBytes(t, lan)
	t.Run("corrupt-inside", func(t *testing.T) {
		b := bytes.Clone(zl)
		for i := len(b) / 2; i < len(b)/2+16; i++ {
			b[i] ^= 0x55
		}
		o := analyzeBytes(t, b, wan)
		if o.err != nil {
			wantInputError(t, o.err, capture.ErrCorrupt, o.lan, -1, -1)
		}
	})
	t.Run("cut", func(t *testing.T) {
		o := analyzeBytes(t, zl[:len(zl)*2/3], wan)
		if o.err != nil {
			wantInputError(t, o.err, nil, o.lan, -1, -1)
		} else if !o.warned("cut short") {
			t.Errorf("no truncation warning: %s", o.allWarnings())
		}
	})
}

// TestHostileTruncated cuts a small capture, as pcap and as pcapng, at
// every byte of its headers and first record and around every field of
// the others: a cut file header gives a positioned error, a cut record a
// report that says where the file ends, or no twins left at all.
func TestHostileTruncated(t *testing.T) {
	lan, err := os.ReadFile("../fixtures/lab-register-alg/lan.pcap")
	if err != nil {
		t.Skip(err)
	}
	wan, err := os.ReadFile("../fixtures/lab-register-alg/wan.pcap")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	wp := filepath.Join(dir, "wan.pcap")
	if err := os.WriteFile(wp, wan, 0o644); err != nil {
		t.Fatal(err)
	}
	recs, lt, _ := testcap.Records(lan)
	ng := &testcap.File{}
	ng.SHB()
	ng.IDB(lt, "lan0")
	var ngEnds []int // where each block ends
	ngEnds = append(ngEnds, 28, ng.Len())
	for _, r := range recs {
		ng.EPB(r)
		ngEnds = append(ngEnds, ng.Len())
	}
	pcapEnds := []int{24}
	for _, r := range recs {
		pcapEnds = append(pcapEnds, pcapEnds[len(pcapEnds)-1]+16+len(r.Data))
	}
	for _, c := range []struct {
		name      string
		file      []byte
		ends      []int
		headerLen int
	}{{"pcap", lan, pcapEnds, 24}, {"pcapng", ng.Bytes(), ngEnds, 28}} {
		t.Run(c.name, func(t *testing.T) {
			clean := map[int]bool{}
			for _, e := range c.ends {
				clean[e] = true
			}
			cuts := cutPoints(c.ends)
			var reports, noTwins, headerErrs int
			for _, cut := range cuts {
				lp := filepath.Join(dir, fmt.Sprintf("lan-%d.%s", cut, c.name))
				if err := os.WriteFile(lp, c.file[:cut], 0o644); err != nil {
					t.Fatal(err)
				}
				rep, err := Run(lp, wp, Options{})
				switch {
				case err == nil:
					reports++
					if !clean[cut] && !hasWarning(rep, "cut short") {
						t.Errorf("cut at %d: no truncation warning: %v", cut, rep.Warnings)
					}
				case errors.Is(err, correlate.ErrNoTwins):
					noTwins++
				default:
					headerErrs++
					var ie *capture.InputError
					if !errors.As(err, &ie) || ie.File != lp || cut >= c.headerLen {
						t.Errorf("cut at %d: %v", cut, err)
					}
				}
				os.Remove(lp)
			}
			t.Logf("%d cuts: %d reports, %d without twins, %d header errors", len(cuts), reports, noTwins, headerErrs)
			if reports == 0 || headerErrs == 0 {
				t.Errorf("%d reports, %d without twins, %d header errors", reports, noTwins, headerErrs)
			}
		})
	}
}

// cutPoints are the offsets to cut a capture at, given where its header
// and each record or block end: every byte up to the end of the first
// record, and around each field of a record header (the first 28 bytes of
// it) and in the middle and at the end of each later one.
func cutPoints(ends []int) []int {
	var cuts []int
	for c := 0; c < ends[min(1, len(ends)-1)]; c++ {
		cuts = append(cuts, c)
	}
	for i := 1; i+1 < len(ends); i++ {
		start, end := ends[i], ends[i+1]
		for _, c := range []int{start, start + 1, start + 4, start + 8, start + 12, start + 15, start + 16, start + 17, start + 27, (start + end) / 2, end - 4, end - 1} {
			if c < end {
				cuts = append(cuts, c)
			}
		}
	}
	return append(cuts, ends[len(ends)-1])
}

func hasWarning(rep *Report, s string) bool {
	return outcome{rep: rep}.warned(s)
}

// TestHostileRecords: impossible record and block lengths are errors that
// name the record and its offset; unknown block and link types are
// skipped with a warning.
func TestHostileRecords(t *testing.T) {
	lan, wan := basePair(t)
	base, lt, ok := testcap.Records(lan)
	if !ok {
		t.Fatal("base capture unreadable")
	}
	n := len(base)
	t.Run("absurd-pcap-record-length", func(t *testing.T) {
		for _, l := range []uint32{0xffffffff, 0x7fffffff, 262145 + 65535} {
			h := make([]byte, 16)
			binary.LittleEndian.PutUint32(h[0:], uint32(hostileStart/1e9))
			binary.LittleEndian.PutUint32(h[8:], l)
			binary.LittleEndian.PutUint32(h[12:], l)
			o := analyzeBytes(t, append(bytes.Clone(lan), append(h, make([]byte, 100)...)...), wan)
			ie := wantInputError(t, o.err, capture.ErrCorrupt, o.lan, n+1, int64(len(lan)))
			if !strings.Contains(ie.Msg, "impossible record length") {
				t.Errorf("err %v", o.err)
			}
		}
	})
	t.Run("absurd-snaplen", func(t *testing.T) {
		f := &testcap.File{Snaplen: 0xffffffff}
		f.PcapHeader(lt)
		for _, r := range base {
			f.PcapRecord(r)
		}
		if o := analyzeBytes(t, f.Bytes(), wan); o.err != nil {
			t.Fatal(o.err)
		}
	})
	ng := func(order testcap.ByteOrder) *testcap.File {
		f := &testcap.File{Order: order}
		f.SHB()
		f.IDB(lt, "lan0")
		for _, r := range base {
			f.EPB(r)
		}
		return f
	}
	t.Run("pcapng-both-byte-orders", func(t *testing.T) {
		for _, order := range []testcap.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			o := analyzeBytes(t, ng(order).Bytes(), wan)
			if o.err != nil {
				t.Fatal(o.err)
			}
			if o.rep.Inputs["lan"].Packets != n {
				t.Errorf("%d packets, want %d", o.rep.Inputs["lan"].Packets, n)
			}
		}
	})
	t.Run("pcapng-second-section-other-byte-order", func(t *testing.T) {
		f := ng(binary.LittleEndian)
		g := &testcap.File{Order: binary.BigEndian}
		g.SHB()
		g.IDB(layers.LinkTypeEthernet, "lan1")
		g.EPB(testcap.Rec{TS: hostileStart, Data: testcap.UDP("192.168.1.10:5060", "203.0.113.10:5060", []byte("OPTIONS sip:x SIP/2.0\r\n\r\n"))})
		o := analyzeBytes(t, append(f.Bytes(), g.Bytes()...), wan)
		if o.err != nil {
			t.Fatal(o.err)
		}
		if o.rep.Inputs["lan"].Packets != n+1 {
			t.Errorf("%d packets, want %d", o.rep.Inputs["lan"].Packets, n+1)
		}
	})
	badBlock := func(name string, typ, length uint32, wantMsg string) {
		t.Run(name, func(t *testing.T) {
			f := ng(binary.LittleEndian)
			at := int64(f.Len())
			b := binary.LittleEndian.AppendUint32(nil, typ)
			b = binary.LittleEndian.AppendUint32(b, length)
			b = append(b, make([]byte, 64)...)
			o := analyzeBytes(t, append(f.Bytes(), b...), wan)
			ie := wantInputError(t, o.err, capture.ErrCorrupt, o.lan, -1, at)
			if ie.Record <= n || !strings.Contains(ie.Msg, wantMsg) {
				t.Errorf("err %v: want record > %d and %q", o.err, n, wantMsg)
			}
		})
	}
	badBlock("pcapng-block-length-2GiB", 6, 0x7ffffff0, "impossible length")
	badBlock("pcapng-block-length-odd", 6, 37, "impossible length")
	badBlock("pcapng-block-length-too-small", 6, 8, "impossible length")
	badBlock("pcapng-trailing-length-differs", 6, 40, "trailing length")
	t.Run("pcapng-unknown-blocks-and-link-types", func(t *testing.T) {
		f := ng(binary.LittleEndian)
		f.Block(0x12345678, []byte("a block type no one knows"))
		f.Block(0x80000bad, []byte("local use"))
		f.IDB(147, "user0") // LINKTYPE_USER0
		f.EPB(testcap.Rec{TS: hostileStart, Data: []byte("opaque"), Iface: 1})
		f.IDB(layers.LinkType(60000), "")
		f.EPB(testcap.Rec{TS: hostileStart + 1, Data: []byte("opaque too"), Iface: 2})
		o := analyzeBytes(t, f.Bytes(), wan)
		if o.err != nil {
			t.Fatal(o.err)
		}
		for _, w := range []string{"unknown type 0x12345678", "link type", "skipped"} {
			if !o.warned(w) {
				t.Errorf("no warning with %q: %s", w, o.allWarnings())
			}
		}
	})
	t.Run("pcapng-undeclared-interface", func(t *testing.T) {
		f := ng(binary.LittleEndian)
		at := int64(f.Len())
		f.EPB(testcap.Rec{TS: hostileStart, Data: []byte("x"), Iface: 7})
		o := analyzeBytes(t, f.Bytes(), wan)
		wantInputError(t, o.err, capture.ErrCorrupt, o.lan, -1, at)
	})
	t.Run("unknown-link-type-only", func(t *testing.T) {
		o := analyzeBytes(t, testcap.Pcap(147, base...), wan)
		if !errors.Is(o.err, correlate.ErrNoTwins) {
			t.Errorf("err %v, want no twins", o.err)
		}
	})
}

// TestHostilePackets mixes lying, crafted and flooding packets into a pair
// that otherwise correlates: the report must still come, with warnings
// for what could not be used.
func TestHostilePackets(t *testing.T) {
	lan, wan := basePair(t)
	sipA, sipB := "192.168.1.10:5060", "203.0.113.10:5060"
	good := testcap.UDP(sipA, sipB, []byte("OPTIONS sip:x SIP/2.0\r\nCall-ID: lie\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"))
	lie := func(mod func(f []byte)) []byte {
		f := bytes.Clone(good)
		mod(f)
		return f
	}
	sipMsg := func(extra string, body string) []byte {
		return []byte("MESSAGE sip:bob@203.0.113.10 SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bKh\r\n" +
			"From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: hostile@x\r\nCSeq: 1 MESSAGE\r\n" + extra + "\r\n" + body)
	}
	cases := []struct {
		name    string
		lan     []testcap.Rec
		both    []testcap.Rec // added to both sides
		warning string
	}{
		{name: "ip-header-lies", lan: recs(
			lie(func(f []byte) { f[14] = 0x4f }),                                    // IHL 15
			lie(func(f []byte) { f[14] = 0x41 }),                                    // IHL 1
			lie(func(f []byte) { binary.BigEndian.PutUint16(f[16:], 65535) }),       // total length beyond the frame
			lie(func(f []byte) { binary.BigEndian.PutUint16(f[16:], 10) }),          // total length below the header
			lie(func(f []byte) { binary.BigEndian.PutUint16(f[14+20+4:], 65535) }),  // UDP length lies
			lie(func(f []byte) { binary.BigEndian.PutUint16(f[14+20+4:], 3) }),      // UDP length below its header
			lie(func(f []byte) { f[14] = 0x65 }),                                    // version 6 in an IPv4 ethertype
			lie(func(f []byte) { binary.BigEndian.PutUint16(f[20:], 0x2000|8191) }), // MF at offset 65528
			lie(func(f []byte) { f[12], f[13] = 0x86, 0xdd }),                       // IPv4 bytes as IPv6
			func() []byte {
				f := testcap.UDP("[fd00::1]:5060", "[fd00::2]:5060", []byte("x"))
				binary.BigEndian.PutUint16(f[14+4:], 60000) // payload length lies
				return f
			}(),
			func() []byte {
				f := testcap.UDP("[fd00::1]:5060", "[fd00::2]:5060", []byte("x"))
				f[14+6] = 0 // next header: hop-by-hop, then garbage
				return f
			}(),
			good[:14+10], good[:14+20+3], good[:3],
		)},
		{name: "sip-64k-line-udp", lan: recs(testcap.UDP(sipA, sipB, sipMsg("X-Long: "+strings.Repeat("a", 65000)+"\r\n", "")))},
		{name: "sip-10k-headers", lan: recs(testcap.UDP(sipA, sipB, sipMsg(strings.Repeat("a: b\r\n", 10000), "")))},
		{name: "content-length-lies", lan: recs(
			testcap.UDP(sipA, sipB, sipMsg("Content-Length: 99999\r\n", "short")),
			testcap.UDP(sipA, sipB, sipMsg("Content-Length: 0\r\n", "a body nobody announced")),
			testcap.UDP(sipA, sipB, sipMsg("Content-Length: -5\r\n", "x")),
			testcap.UDP(sipA, sipB, sipMsg("Content-Length: 18446744073709551617\r\n", "x")),
			testcap.UDP(sipA, sipB, sipMsg("Content-Length: abc\r\nContent-Length: 3\r\n", "xyz")),
		)},
		{name: "nul-and-non-utf8", lan: recs(
			testcap.UDP(sipA, sipB, sipMsg("Subject: a\x00b\xff\xfe\xc3\x28\r\n", "\x00\x00\xff")),
			testcap.UDP(sipA, sipB, []byte("INVITE sip:\x00@\xff SIP/2.0\r\nCall-ID: \xc0\xaf\r\n\r\n")),
		)},
		{name: "bare-lf", lan: recs(testcap.UDP(sipA, sipB, []byte(strings.ReplaceAll(string(sipMsg("Content-Length: 2\r\n", "hi")), "\r\n", "\n"))))},
		{name: "non-sip-on-5060", lan: recs(
			testcap.UDP(sipA, sipB, []byte{0x80, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}),
			testcap.UDP(sipA, sipB, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")),
			testcap.UDP(sipA, sipB, make([]byte, 1400)),
			testcap.TCP("192.168.1.10:40000", sipB, 1, testcap.SYN, nil),
			testcap.TCP("192.168.1.10:40000", sipB, 2, 0, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")),
			testcap.TCP("192.168.1.10:40001", "203.0.113.10:5061", 2, 0, []byte{0x16, 3, 1, 0, 5, 1, 2, 3, 4, 5}),
		), warning: "TLS"},
		{name: "sip-1MB-line-tcp", both: func() []testcap.Rec {
			line := sipMsg("X-Long: "+strings.Repeat("b", 1<<20)+"\r\n", "")
			var frames [][]byte
			frames = append(frames, testcap.TCP("192.168.1.10:40002", sipB, 0, testcap.SYN, nil))
			seq := uint32(1)
			for off := 0; off < len(line); off += 1400 {
				end := min(off+1400, len(line))
				frames = append(frames, testcap.TCP("192.168.1.10:40002", sipB, seq, 0, line[off:end]))
				seq += uint32(end - off)
			}
			return recs(frames...)
		}(), warning: "over the size limit"},
		{name: "tcp-content-length-lies", both: recs(
			testcap.TCP("192.168.1.10:40003", sipB, 0, testcap.SYN, nil),
			testcap.TCP("192.168.1.10:40003", sipB, 1, 0, sipMsg("Content-Length: 999999999\r\n", "x")),
		), warning: "Content-Length"},
		{name: "tcp-10k-messages-with-gaps", both: func() []testcap.Rec {
			m := sipMsg("Content-Length: 2\r\n", "hi")
			var stream []byte
			for i := 0; i < 10000; i++ {
				stream = append(stream, m...)
			}
			frames := [][]byte{testcap.TCP("192.168.1.10:40004", sipB, 0, testcap.SYN, nil)}
			seq := uint32(1)
			for off := 0; off < len(stream); off += 1400 {
				end := min(off+1400, len(stream))
				if (off/1400)%97 != 50 { // every 97th segment never captured
					frames = append(frames, testcap.TCP("192.168.1.10:40004", sipB, seq, 0, stream[off:end]))
				}
				seq += uint32(end - off)
			}
			return recs(frames...)
		}(), warning: "gap"},
		{name: "fragments-100k-never-completed", lan: func() []testcap.Rec {
			var frames [][]byte
			for i := 0; i < 100000; i++ {
				frames = append(frames, testcap.Fragment4("192.168.1.10", "203.0.113.10", uint16(i), 0, true, layers.IPProtocolUDP, make([]byte, 16)))
			}
			return recs(frames...)
		}(), warning: "never reassembled"},
		{name: "fragments-overlapping", lan: func() []testcap.Rec {
			var frames [][]byte
			payload := testcap.UDP(sipA, sipB, sipMsg("Content-Length: 0\r\n", ""))[14+20:]
			for id := uint16(1); id < 200; id++ {
				frames = append(frames,
					testcap.Fragment4("192.168.1.10", "203.0.113.10", id, 0, true, layers.IPProtocolUDP, payload[:64]),
					testcap.Fragment4("192.168.1.10", "203.0.113.10", id, 32, true, layers.IPProtocolUDP, payload[32:96]),
					testcap.Fragment4("192.168.1.10", "203.0.113.10", id, 8, true, layers.IPProtocolUDP, bytes.Repeat([]byte{'X'}, 64)),
					testcap.Fragment4("192.168.1.10", "203.0.113.10", id, 96, false, layers.IPProtocolUDP, payload[96:]),
					testcap.Fragment4("192.168.1.10", "203.0.113.10", id, 96, false, layers.IPProtocolUDP, payload[96:104]),
				)
				frames = append(frames,
					testcap.Fragment6("fd00::1", "fd00::2", uint32(id), 0, true, layers.IPProtocolUDP, payload[:64]),
					testcap.Fragment6("fd00::1", "fd00::2", uint32(id), 8, true, layers.IPProtocolUDP, payload[8:80]),
					testcap.Fragment6("fd00::1", "fd00::2", uint32(id), 80, false, layers.IPProtocolUDP, payload[80:]))
			}
			// 10,000 fragments of one datagram, and one beyond 64 KiB.
			for i := 0; i < 10000; i++ {
				frames = append(frames, testcap.Fragment4("192.168.1.10", "203.0.113.10", 9999, (i%8000)*8, true, layers.IPProtocolUDP, make([]byte, 8)))
			}
			frames = append(frames, testcap.Fragment4("192.168.1.10", "203.0.113.10", 9998, 65528, false, layers.IPProtocolUDP, make([]byte, 64)))
			return recs(frames...)
		}(), warning: "overlapping"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, w := appendRecords(lan, c.lan...), wan
			if c.both != nil {
				l, w = appendRecords(l, c.both...), appendRecords(wan, c.both...)
			}
			o := analyzeBytes(t, l, w)
			if o.err != nil {
				t.Fatal(o.err)
			}
			if o.rep.Clock.MatchedPairs == 0 {
				t.Errorf("no pairs")
			}
			if c.warning != "" && !o.warned(c.warning) {
				t.Errorf("no warning with %q: %s", c.warning, o.allWarnings())
			}
		})
	}
}

// TestHostileSameFile: the same capture given for both sides (the same
// path, or a copy) is analysed, and the report says the two sides are one.
func TestHostileSameFile(t *testing.T) {
	lan, _ := basePair(t)
	o := analyzeBytes(t, lan, lan)
	if o.err != nil {
		t.Fatal(o.err)
	}
	if !o.warned("same side") {
		t.Errorf("no warning that both captures show the same side: %s", o.allWarnings())
	}
	o2 := analyzeFiles(t, o.lan, o.lan)
	if o2.err != nil {
		t.Fatal(o2.err)
	}
	if !o2.warned("same side") {
		t.Errorf("no warning that both captures show the same side: %s", o2.allWarnings())
	}
}
