package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// readAll reads every record, copying data.
func readAll(t *testing.T, r *Reader) []Record {
	t.Helper()
	var out []Record
	for {
		var rec Record
		err := r.Next(&rec)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		rec.Data = bytes.Clone(rec.Data)
		out = append(out, rec)
	}
}

func TestPcapFormats(t *testing.T) {
	frame := udp4Frame(t, "192.168.1.10", 5060, "203.0.113.10", 5060, []byte("x"))
	const ts = int64(1700000000)*1e9 + 123456789
	for _, tc := range []struct {
		name   string
		order  binary.ByteOrder
		nanos  bool
		want   Format
		wantTS int64
	}{
		{"le-micro", binary.LittleEndian, false, FormatPcap, ts / 1e3 * 1e3},
		{"be-micro", binary.BigEndian, false, FormatPcap, ts / 1e3 * 1e3},
		{"le-nano", binary.LittleEndian, true, FormatPcapNs, ts},
		{"be-nano", binary.BigEndian, true, FormatPcapNs, ts},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := pcapFile(tc.order, tc.nanos, layers.LinkTypeEthernet, testRec{ts: ts, data: frame}, testRec{ts: ts + 1e9, data: frame, orig: 1500})
			r, err := NewReader(bytes.NewReader(file), tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if r.Format() != tc.want {
				t.Errorf("format %q, want %q", r.Format(), tc.want)
			}
			recs := readAll(t, r)
			if len(recs) != 2 {
				t.Fatalf("%d records, want 2", len(recs))
			}
			if recs[0].TS != tc.wantTS {
				t.Errorf("ts %d, want %d", recs[0].TS, tc.wantTS)
			}
			if recs[0].Frame != 1 || recs[1].Frame != 2 {
				t.Errorf("frames %d,%d", recs[0].Frame, recs[1].Frame)
			}
			if recs[0].Offset != 24 || recs[1].Offset != int64(24+16+len(frame)) {
				t.Errorf("offsets %d,%d", recs[0].Offset, recs[1].Offset)
			}
			if recs[1].OrigLen != 1500 || !bytes.Equal(recs[1].Data, frame) {
				t.Errorf("record 2: orig %d, data differs: %v", recs[1].OrigLen, !bytes.Equal(recs[1].Data, frame))
			}
			if r.Truncated() != nil {
				t.Errorf("truncated: %v", r.Truncated())
			}
		})
	}
}

// TestPcapCapLenAboveOrigLen: records that hold more bytes than were on
// the wire, as in the public capture sip-tls-1.3-and-rtcp.pcap (tshark:
// frame 1 cap_len 92, len 76), are read whole, and so is the record after
// them. pcapgo's Reader refuses such a record after reading its header
// and cannot go on (docs/decisions.md): one reason the pcap reader is ours.
func TestPcapCapLenAboveOrigLen(t *testing.T) {
	frame := udp4Frame(t, "192.168.1.10", 5060, "203.0.113.10", 5060, []byte("REGISTER"))
	file := pcapFile(binary.LittleEndian, false, layers.LinkTypeEthernet,
		testRec{ts: 1e9, data: frame, orig: len(frame) - 16}, testRec{ts: 2e9, data: frame})
	r, err := NewReader(bytes.NewReader(file), "over.pcap")
	if err != nil {
		t.Fatal(err)
	}
	recs := readAll(t, r)
	if len(recs) != 2 || recs[0].CapLen != len(frame) || recs[0].OrigLen != len(frame)-16 || !bytes.Equal(recs[1].Data, frame) || r.Truncated() != nil {
		t.Fatalf("records %+v, truncated %v; want two whole records, the first 16 bytes longer than on the wire", recs, r.Truncated())
	}
}

func TestPcapNGSectionsInterfacesLinkTypes(t *testing.T) {
	ethFrame := udp4Frame(t, "192.168.1.10", 5060, "203.0.113.10", 5060, []byte("lan"))
	rawFrame := ethFrame[14:] // the IPv4 packet alone
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		t.Run(order.String(), func(t *testing.T) {
			n := &ngBuilder{order: order}
			n.shb()
			n.idb(layers.LinkTypeEthernet, "lan0", 9) // nanosecond units
			n.idb(layers.LinkTypeRaw, "wan0", 0)      // default microseconds
			n.epb(0, 1_700_000_000_000_000_001, ethFrame)
			n.epb(1, 1_700_000_000_000_002, rawFrame)
			n.block(ngBlockNRB, []byte{0, 0, 0, 0})
			n.shb()                                         // a second section resets interface numbering
			n.idb(layers.LinkTypeLinuxSLL2, "any", 0x80|20) // 2^-20 s units
			n.epb(0, 3<<20, []byte{0x08, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
			r, err := NewReader(bytes.NewReader(n.b.Bytes()), "x.pcapng")
			if err != nil {
				t.Fatal(err)
			}
			recs := readAll(t, r)
			if len(recs) != 3 {
				t.Fatalf("%d records, want 3", len(recs))
			}
			ifs := r.Interfaces()
			if len(ifs) != 3 || ifs[0].Name != "lan0" || ifs[1].Name != "wan0" || ifs[2].Section != 1 {
				t.Fatalf("interfaces %+v", ifs)
			}
			wantLT := []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeRaw, layers.LinkTypeLinuxSLL2}
			wantIf := []int{0, 1, 2}
			wantTS := []int64{1_700_000_000_000_000_001, 1_700_000_000_000_002_000, 3e9}
			for i, rec := range recs {
				if rec.LinkType != wantLT[i] || rec.Iface != wantIf[i] || rec.TS != wantTS[i] || rec.Frame != i+1 {
					t.Errorf("record %d: link %v iface %d ts %d frame %d; want %v %d %d %d", i, rec.LinkType, rec.Iface, rec.TS, rec.Frame, wantLT[i], wantIf[i], wantTS[i], i+1)
				}
			}
			if got := r.SkippedBlocks()["name resolution"]; got != 1 {
				t.Errorf("skipped NRB %d, want 1", got)
			}
		})
	}
}

func TestGzipInput(t *testing.T) {
	frame := udp4Frame(t, "10.0.0.1", 1, "10.0.0.2", 2, []byte("x"))
	file := pcapFile(binary.LittleEndian, false, layers.LinkTypeEthernet, testRec{ts: 1e9, data: frame})
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(file)
	zw.Close()
	r, err := NewReader(bytes.NewReader(z.Bytes()), "x.pcap.gz")
	if err != nil {
		t.Fatal(err)
	}
	if !r.Compressed() || r.Format() != FormatPcap {
		t.Errorf("compressed %v format %v", r.Compressed(), r.Format())
	}
	if n := len(readAll(t, r)); n != 1 {
		t.Errorf("%d records", n)
	}
	// Cut inside the compressed stream: a truncation, not an error.
	r, err = NewReader(bytes.NewReader(z.Bytes()[:z.Len()-12]), "cut.pcap.gz")
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, r)
}

func TestNotCaptures(t *testing.T) {
	for _, tc := range []struct {
		name    string
		data    []byte
		class   error
		mention string
	}{
		{"empty", nil, ErrEmpty, "empty"},
		{"zip", []byte("PK\x03\x04\x14\x00\x00\x00"), ErrNotCapture, "zip"},
		{"xz", []byte("\xfd7zXZ\x00\x00\x04"), ErrNotCapture, "xz"},
		{"html", []byte("<!DOCTYPE html><html><body>"), ErrNotCapture, "HTML"},
		{"netmon2", []byte("GMBU\x00\x02\x01\x00"), ErrUnsupportedFormat, "editcap -F pcapng"},
		{"snoop", []byte("snoop\x00\x00\x00\x00\x00\x00\x02"), ErrUnsupportedFormat, "snoop"},
		{"text", []byte("hello world, this is text\n"), ErrNotCapture, "text"},
		{"binary", []byte{0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, ErrNotCapture, "de ad be ef"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewReader(bytes.NewReader(tc.data), tc.name+".pcap")
			var ie *InputError
			if !errors.As(err, &ie) || !errors.Is(err, tc.class) {
				t.Fatalf("err %v, want an InputError of class %v", err, tc.class)
			}
			if !strings.Contains(err.Error(), tc.mention) || !strings.HasPrefix(err.Error(), tc.name+".pcap: ") {
				t.Errorf("error %q should name the file and mention %q", err, tc.mention)
			}
		})
	}
}

func TestCorruptRecords(t *testing.T) {
	frame := udp4Frame(t, "10.0.0.1", 1, "10.0.0.2", 2, []byte("x"))
	good := pcapFile(binary.LittleEndian, false, layers.LinkTypeEthernet, testRec{ts: 1e9, data: frame}, testRec{ts: 2e9, data: frame})
	// Record 2 claims an impossible length.
	bad := bytes.Clone(good)
	rec2 := 24 + 16 + len(frame)
	binary.LittleEndian.PutUint32(bad[rec2+8:], 50<<20)
	r, err := NewReader(bytes.NewReader(bad), "bad.pcap")
	if err != nil {
		t.Fatal(err)
	}
	var rec Record
	if err := r.Next(&rec); err != nil {
		t.Fatal(err)
	}
	err = r.Next(&rec)
	var ie *InputError
	if !errors.As(err, &ie) || ie.Record != 2 || ie.Offset != int64(rec2) || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("err %v (%+v), want record 2 at offset %d", err, ie, rec2)
	}

	// pcapng block whose trailer disagrees.
	n := &ngBuilder{order: binary.LittleEndian}
	n.shb()
	n.idb(layers.LinkTypeEthernet, "", 0)
	n.epb(0, 1, frame)
	ng := n.b.Bytes()
	ng[len(ng)-4] ^= 0x10
	r, err = NewReader(bytes.NewReader(ng), "bad.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Next(&rec); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "trailing length") {
		t.Fatalf("err %v, want a trailing-length error", err)
	}

	// pcapng packet block naming an interface that was never declared.
	n = &ngBuilder{order: binary.LittleEndian}
	n.shb()
	n.epb(3, 1, frame)
	r, err = NewReader(bytes.NewReader(n.b.Bytes()), "noif.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Next(&rec); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "interface 3") {
		t.Fatalf("err %v", err)
	}
}

// TestTruncatedEverywhere cuts a file at every byte: the reader returns the
// complete records before the cut and reports the cut, never an error or a
// panic (the file header aside).
func TestTruncatedEverywhere(t *testing.T) {
	frame := udp4Frame(t, "10.0.0.1", 1, "10.0.0.2", 2, []byte("payload"))
	pc := pcapFile(binary.BigEndian, true, layers.LinkTypeEthernet, testRec{ts: 1e9, data: frame}, testRec{ts: 2e9, data: frame})
	n := &ngBuilder{order: binary.LittleEndian}
	n.shb()
	n.idb(layers.LinkTypeEthernet, "eth0", 0)
	n.epb(0, 1, frame)
	n.epb(0, 2, frame)
	for name, file := range map[string][]byte{"pcap": pc, "pcapng": n.b.Bytes()} {
		t.Run(name, func(t *testing.T) {
			r, _ := NewReader(bytes.NewReader(file), "x")
			full := len(readAll(t, r))
			for cut := 1; cut < len(file); cut++ {
				r, err := NewReader(bytes.NewReader(file[:cut]), "x")
				if err != nil {
					var ie *InputError
					if !errors.As(err, &ie) {
						t.Fatalf("cut %d: %v", cut, err)
					}
					continue // the file header itself is cut
				}
				recs := readAll(t, r)
				if len(recs) >= full {
					t.Fatalf("cut %d: %d records from a cut file", cut, len(recs))
				}
				if r.Truncated() == nil && cut != len(file) {
					// A cut exactly between records is indistinguishable
					// from a shorter file.
					if !onRecordBoundary(t, file, cut) {
						t.Errorf("cut %d: no truncation reported", cut)
					}
				}
			}
		})
	}
}

// onRecordBoundary reports whether cut falls between two records or
// blocks, where a cut file is indistinguishable from a shorter one.
func onRecordBoundary(t *testing.T, file []byte, cut int) bool {
	if binary.LittleEndian.Uint32(file) == pcapngBlockSHB {
		for off := 0; off+8 <= len(file); {
			off += int(binary.LittleEndian.Uint32(file[off+4:]))
			if off == cut {
				return true
			}
		}
		return false
	}
	if cut == pcapFileHeaderLen {
		return true
	}
	r, err := NewReader(bytes.NewReader(file), "x")
	if err != nil {
		t.Fatal(err)
	}
	var rec Record
	for r.Next(&rec) == nil {
		if int(r.Offset()) == cut {
			return true
		}
	}
	return false
}
