package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// seedCorpus adds the small captures of the shared corpus as seeds, when
// the corpus is present.
func seedCorpus(f *testing.F, max int, add func([]byte)) {
	files, _ := filepath.Glob("../../../shared/corpus/pcap/*")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil || len(b) > max {
			continue
		}
		add(b)
	}
}

// FuzzReader: any bytes given as a capture file either fail with an
// InputError at open, or read to the end without panicking, with records
// inside the file, frame numbers counting up from 1, and any error an
// InputError naming a position.
func FuzzReader(f *testing.F) {
	frame := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00, 0x45}
	f.Add(pcapFile(binary.LittleEndian, false, layers.LinkTypeEthernet, testRec{ts: 1, data: frame}))
	f.Add(pcapFile(binary.BigEndian, true, layers.LinkTypeRaw, testRec{ts: 1, data: frame}))
	n := &ngBuilder{order: binary.LittleEndian}
	n.shb()
	n.idb(layers.LinkTypeEthernet, "eth0", 9)
	n.epb(0, 5, frame)
	f.Add(n.b.Bytes())
	seedCorpus(f, 16<<10, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), "fuzz")
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("open error is not an InputError: %v", err)
			}
			return
		}
		var rec Record
		for i := 1; ; i++ {
			err := r.Next(&rec)
			if err == io.EOF {
				return
			}
			if err != nil {
				var ie *InputError
				if !errors.As(err, &ie) {
					t.Fatalf("record %d: error is not an InputError: %v", i, err)
				}
				return
			}
			if rec.Frame != i {
				t.Fatalf("frame %d, want %d", rec.Frame, i)
			}
			if !r.Compressed() && (rec.Offset < 0 || rec.Offset+int64(len(rec.Data)) > int64(len(data))) {
				t.Fatalf("record %d at %d+%d lies outside the %d-byte file", i, rec.Offset, len(rec.Data), len(data))
			}
			if i > len(data) {
				t.Fatalf("more records than bytes")
			}
		}
	})
}

// FuzzDecodeFrame: any frame of any supported link type decodes without
// panicking, twice in a row through one Decoder, payloads lie inside the
// frame or the reassembly buffers, and the fast path gives exactly what
// the parser path gives.
func FuzzDecodeFrame(f *testing.F) {
	for _, lt := range []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2, layers.LinkTypeRaw, layers.LinkTypeNull} {
		f.Add(uint16(lt), []byte{0x45, 0, 0, 28, 0, 1, 0x20, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0x13, 0xc4, 0x13, 0xc4, 0, 8, 0, 0})
	}
	for _, fr := range fastPathFrames(f) {
		f.Add(uint16(fr.lt), fr.data)
	}
	f.Fuzz(func(t *testing.T, lt uint16, data []byte) {
		d := NewDecoder(DefaultLimits())
		slow := NewDecoder(DefaultLimits())
		slow.noFast = true
		var p, q Packet
		for i := 1; i <= 2; i++ {
			rec := Record{Frame: i, TS: int64(i), LinkType: layers.LinkType(lt), Data: data, CapLen: len(data), OrigLen: len(data)}
			ok := d.Decode(&rec, &p)
			if ok && len(p.Payload) > 65535 {
				t.Fatalf("payload of %d bytes", len(p.Payload))
			}
			if okSlow := slow.Decode(&rec, &q); ok != okSlow || ok && !samePacket(&p, &q) {
				t.Fatalf("fast path %v %+v, parser path %v %+v", ok, p, okSlow, q)
			}
		}
		if !reflect.DeepEqual(d.Stats, slow.Stats) {
			t.Fatalf("stats: fast path %+v, parser path %+v", d.Stats, slow.Stats)
		}
		d.Flush()
	})
}

// samePacket compares two decoded packets field by field and by payload
// bytes.
func samePacket(a, b *Packet) bool {
	return a.Frame == b.Frame && a.FirstFrame == b.FirstFrame && a.Fragments == b.Fragments && a.TS == b.TS &&
		a.Iface == b.Iface && a.Proto == b.Proto && a.Src == b.Src && a.Dst == b.Dst && a.WireLen == b.WireLen &&
		a.TCPFlags == b.TCPFlags && bytes.Equal(a.Payload, b.Payload) && len(a.SIP) == len(b.SIP)
}
