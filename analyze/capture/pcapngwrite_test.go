package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gopacket/gopacket/layers"
)

// ngPacketComments walks a little-endian pcapng file and returns the
// opt_comment values of each Enhanced Packet Block, by 1-based frame.
// Reader does not keep comments; this is the test's independent reading.
func ngPacketComments(t *testing.T, b []byte) map[int][]string {
	t.Helper()
	out := map[int][]string{}
	frame := 0
	for off := 0; off < len(b); {
		if len(b)-off < 12 {
			t.Fatalf("block at %d cut short", off)
		}
		typ := binary.LittleEndian.Uint32(b[off:])
		blen := int(binary.LittleEndian.Uint32(b[off+4:]))
		if blen < 12 || blen%4 != 0 || off+blen > len(b) {
			t.Fatalf("block at %d: length %d", off, blen)
		}
		if tl := int(binary.LittleEndian.Uint32(b[off+blen-4:])); tl != blen {
			t.Fatalf("block at %d: trailing length %d, leading %d", off, tl, blen)
		}
		if typ == ngBlockEPB {
			frame++
			body := b[off+8 : off+blen-4]
			capLen := int(binary.LittleEndian.Uint32(body[12:]))
			opts := body[20+(capLen+3)&^3:]
			for len(opts) >= 4 {
				code := binary.LittleEndian.Uint16(opts)
				olen := int(binary.LittleEndian.Uint16(opts[2:]))
				if code == 0 {
					break
				}
				if code == ngOptComment {
					out[frame] = append(out[frame], string(opts[4:4+olen]))
				}
				opts = opts[4+(olen+3)&^3:]
			}
		}
		off += blen
	}
	return out
}

func TestNGWriterReadBack(t *testing.T) {
	eth := udp4Frame(t, "192.168.1.10", 5060, "198.51.100.10", 5060, []byte("REGISTER sip:x SIP/2.0\r\n\r\n"))
	raw := eth[14:] // the IPv4 packet alone
	const t0 = int64(1768471200)*1e9 + 123456789
	var buf bytes.Buffer
	w, err := NewNGWriter(&buf, "merged by a test", "sipalg test")
	if err != nil {
		t.Fatal(err)
	}
	lan, err := w.AddInterface(NGInterface{Name: "lan", Description: "LAN side", LinkType: layers.LinkTypeEthernet})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WritePacket(lan, t0, eth, len(eth), "VIA-MAPPED correct Via[0].sent-by: a → b", "second line"); err != nil {
		t.Fatal(err)
	}
	// An interface declared after packets, as the merge does when a new
	// link type shows up.
	wan, err := w.AddInterface(NGInterface{Name: "wan", LinkType: layers.LinkTypeRaw, Snaplen: 65535})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WritePacket(wan, t0+1, raw, len(raw)+10); err != nil { // cut short on capture
		t.Fatal(err)
	}
	if err := w.WritePacket(lan, t0+2, eth[:3], len(eth), "dropped by the router"); err != nil { // odd length: padding
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}

	r, err := NewReader(bytes.NewReader(buf.Bytes()), "t.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	recs := readAll(t, r)
	if r.Format() != FormatPcapNG || r.Truncated() != nil {
		t.Fatalf("format %v, truncated %v", r.Format(), r.Truncated())
	}
	ifs := r.Interfaces()
	if len(ifs) != 2 || ifs[0].Name != "lan" || ifs[0].LinkType != layers.LinkTypeEthernet || ifs[1].Name != "wan" || ifs[1].LinkType != layers.LinkTypeRaw || ifs[1].Snaplen != 65535 {
		t.Fatalf("interfaces %+v", ifs)
	}
	want := []struct {
		ts    int64
		iface int
		data  []byte
		orig  int
	}{{t0, 0, eth, len(eth)}, {t0 + 1, 1, raw, len(raw) + 10}, {t0 + 2, 0, eth[:3], len(eth)}}
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d", len(recs), len(want))
	}
	for i, w := range want {
		got := recs[i]
		if got.Frame != i+1 || got.TS != w.ts || got.Iface != w.iface || !bytes.Equal(got.Data, w.data) || got.OrigLen != w.orig {
			t.Errorf("record %d: frame %d ts %d iface %d orig %d len %d; want ts %d iface %d orig %d len %d",
				i, got.Frame, got.TS, got.Iface, got.OrigLen, len(got.Data), w.ts, w.iface, w.orig, len(w.data))
		}
	}
	comments := ngPacketComments(t, buf.Bytes())
	if got := comments[1]; len(got) != 2 || got[0] != "VIA-MAPPED correct Via[0].sent-by: a → b" || got[1] != "second line" {
		t.Errorf("frame 1 comments %q", got)
	}
	if got := comments[2]; len(got) != 0 {
		t.Errorf("frame 2 comments %q, want none", got)
	}
	if got := comments[3]; len(got) != 1 || got[0] != "dropped by the router" {
		t.Errorf("frame 3 comments %q", got)
	}
}

func TestNGWriterLimits(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewNGWriter(&buf, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WritePacket(0, 0, []byte{1}, 1); err == nil {
		t.Error("packet on an undeclared interface: no error")
	}
	if _, err := w.AddInterface(NGInterface{Name: "lan", LinkType: layers.LinkTypeEthernet}); err != nil {
		t.Fatal(err)
	}
	if err := w.WritePacket(0, -1, []byte{1}, 1); !errors.Is(err, ErrTimestamp) {
		t.Errorf("negative timestamp: %v, want ErrTimestamp", err)
	}
	// A comment longer than an option can hold is cut at a rune boundary.
	long := strings.Repeat("é", 40000) // 80000 bytes
	buf.Reset()
	w, err = NewNGWriter(&buf, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddInterface(NGInterface{Name: "lan", LinkType: layers.LinkTypeEthernet}); err != nil {
		t.Fatal(err)
	}
	if err := w.WritePacket(0, 5, []byte{1, 2, 3, 4}, 4, long); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	got := ngPacketComments(t, buf.Bytes())[1]
	if len(got) != 1 || len(got[0]) > 0xffff || !utf8.ValidString(got[0]) || !strings.HasPrefix(long, got[0]) || len(got[0]) < 0xffff-1 {
		t.Errorf("long comment: %d bytes, valid %v", len(got[0]), utf8.ValidString(got[0]))
	}
	r, err := NewReader(bytes.NewReader(buf.Bytes()), "t.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	if recs := readAll(t, r); len(recs) != 1 || recs[0].TS != 5 {
		t.Errorf("records %+v", recs)
	}
}
