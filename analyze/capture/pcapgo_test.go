package capture

import (
	"bytes"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// TestReadPcapgoNG reads what pcapgo's pcapng writer (the one --annotate
// uses) writes: an interface declared after packets, a record cut short on
// capture, an odd length that needs padding, nanosecond timestamps.
func TestReadPcapgoNG(t *testing.T) {
	eth := udp4Frame(t, "192.168.1.10", 5060, "198.51.100.10", 5060, []byte("REGISTER sip:x SIP/2.0\r\n\r\n"))
	raw := eth[14:] // the IPv4 packet alone
	const t0 = int64(1768471200)*1e9 + 123456789
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{Name: "lan", Description: "LAN side", LinkType: layers.LinkTypeEthernet},
		pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "sipalg test", Comment: "merged by a test"}})
	if err != nil {
		t.Fatal(err)
	}
	const lan = 0
	write := func(iface int, ts int64, data []byte, orig int, comments ...string) error {
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, ts), CaptureLength: len(data), Length: orig, InterfaceIndex: iface}
		return w.WritePacketWithOptions(ci, data, pcapgo.NgPacketOptions{Comments: comments})
	}
	if err := write(lan, t0, eth, len(eth), "VIA-MAPPED correct Via[0].sent-by: a → b", "second line"); err != nil {
		t.Fatal(err)
	}
	// An interface declared after packets, as the merge does when a new
	// link type shows up.
	wan, err := w.AddInterface(pcapgo.NgInterface{Name: "wan", LinkType: layers.LinkTypeRaw, SnapLength: 65535})
	if err != nil {
		t.Fatal(err)
	}
	if err := write(wan, t0+1, raw, len(raw)+10); err != nil { // cut short on capture
		t.Fatal(err)
	}
	if err := write(lan, t0+2, eth[:3], len(eth), "dropped by the router"); err != nil { // odd length: padding
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
}
