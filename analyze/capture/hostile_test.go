package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// Hostile inputs generated here rather than committed: each must end in
// analysis or an InputError, never a panic, a hang or unbounded memory.

func scanAll(t *testing.T, file []byte) (*Scanner, int, error) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(file), "hostile")
	if err != nil {
		return nil, 0, err
	}
	sc := NewScanner(r, DefaultLimits())
	n := 0
	for p := sc.Next(); p != nil; p = sc.Next() {
		n++
	}
	return sc, n, sc.Err()
}

func TestHostilePcapng(t *testing.T) {
	frame := udp4Frame(t, "10.0.0.1", 5060, "10.0.0.2", 5060, []byte("x"))
	t.Run("huge-block-length", func(t *testing.T) {
		n := &ngBuilder{order: binary.LittleEndian}
		n.shb()
		n.idb(layers.LinkTypeEthernet, "", 0)
		b := n.b.Bytes()
		b = binary.LittleEndian.AppendUint32(b, ngBlockEPB)
		b = binary.LittleEndian.AppendUint32(b, 0x7ffffff0) // 2 GiB claimed
		b = append(b, make([]byte, 64)...)
		_, _, err := scanAll(t, b)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Offset != int64(n.b.Len()) || !strings.Contains(err.Error(), "impossible length") {
			t.Fatalf("err %v, want an impossible-length error at offset %d", err, n.b.Len())
		}
	})
	t.Run("bad-byte-order-magic", func(t *testing.T) {
		n := &ngBuilder{order: binary.LittleEndian}
		n.shb()
		b := n.b.Bytes()
		copy(b[8:], []byte{1, 2, 3, 4})
		_, err := NewReader(bytes.NewReader(b), "x")
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "byte-order") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("unknown-blocks-skipped", func(t *testing.T) {
		n := &ngBuilder{order: binary.BigEndian}
		n.shb()
		n.idb(layers.LinkTypeEthernet, "", 0)
		n.block(0x12345678, []byte("junk"))
		n.epb(0, 1, frame)
		sc, got, err := scanAll(t, n.b.Bytes())
		if err != nil || got != 1 || sc.R.SkippedBlocks()["unknown type 0x12345678"] != 1 {
			t.Fatalf("err %v, %d packets, skipped %v", err, got, sc.R.SkippedBlocks())
		}
	})
	t.Run("epb-caplen-beyond-block", func(t *testing.T) {
		n := &ngBuilder{order: binary.LittleEndian}
		n.shb()
		n.idb(layers.LinkTypeEthernet, "", 0)
		body := make([]byte, 20)
		binary.LittleEndian.PutUint32(body[12:], 5000)
		n.block(ngBlockEPB, append(body, frame...))
		_, _, err := scanAll(t, n.b.Bytes())
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("idb-option-beyond-block", func(t *testing.T) {
		// An if_name option claiming 300 bytes where the block holds 8,
		// then a tsresol option the reader must not reach: the name is
		// not read from the bytes after the block (the next EPB), the
		// packet that follows is still read, and a note names the file,
		// the block and the option.
		n := &ngBuilder{order: binary.LittleEndian}
		n.shb()
		body := make([]byte, 8)
		n.order.PutUint16(body[0:], uint16(layers.LinkTypeEthernet))
		opt := n.option(ngOptIfName, []byte("eth0wan0"))
		n.order.PutUint16(opt[2:], 300)
		body = append(body, opt...)
		body = append(body, n.option(ngOptIfTsresol, []byte{9})...)
		n.block(ngBlockIDB, body)
		idbOff := 28 // after the 28-byte SHB
		n.epb(0, 1_000_000, frame)
		sc, got, err := scanAll(t, n.b.Bytes())
		if err != nil || got != 1 {
			t.Fatalf("err %v, %d packets; want the packet after the damaged block read", err, got)
		}
		if ifs := sc.R.Interfaces(); len(ifs) != 1 || ifs[0].Name != "" {
			t.Errorf("interfaces %+v: want one, its name not read from past the option's block", ifs)
		}
		notes := sc.R.Notes()
		want := fmt.Sprintf("hostile: pcapng interface description block 2 (offset %d): option 2 claims 300 byte(s), only 16 left", idbOff)
		if len(notes) != 1 || !strings.Contains(notes[0], want) {
			t.Errorf("notes %q, want one with %q", notes, want)
		}
	})
	t.Run("idb-option-beyond-block-repeated", func(t *testing.T) {
		n := &ngBuilder{order: binary.LittleEndian}
		n.shb()
		for i := 0; i < 3*maxNotes; i++ {
			body := make([]byte, 8)
			n.order.PutUint16(body[0:], uint16(layers.LinkTypeEthernet))
			opt := n.option(ngOptIfName, []byte("x"))
			n.order.PutUint16(opt[2:], 65535)
			n.block(ngBlockIDB, append(body, opt...))
		}
		sc, _, err := scanAll(t, n.b.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		notes := sc.R.Notes()
		if len(notes) != maxNotes+1 || !strings.Contains(notes[maxNotes], fmt.Sprintf("%d more damaged", 2*maxNotes)) {
			t.Errorf("notes %q: want %d and a count of the rest", notes, maxNotes)
		}
	})
	t.Run("many-interfaces", func(t *testing.T) {
		n := &ngBuilder{order: binary.LittleEndian}
		n.shb()
		for i := 0; i < maxInterfaces+1; i++ {
			n.idb(layers.LinkTypeEthernet, "", 0)
		}
		_, _, err := scanAll(t, n.b.Bytes())
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("err %v", err)
		}
	})
}

func TestHostileIPHeaders(t *testing.T) {
	good := udp4Frame(t, "10.0.0.1", 5060, "10.0.0.2", 5060, []byte("OPTIONS sip:x SIP/2.0\r\n\r\n"))
	var recs []testRec
	lie := func(mod func(f []byte)) {
		f := bytes.Clone(good)
		mod(f)
		recs = append(recs, testRec{ts: int64(len(recs)+1) * 1e9, data: f})
	}
	lie(func(f []byte) { f[14] = 0x4f })                                    // IHL 15: options beyond the packet
	lie(func(f []byte) { f[14] = 0x41 })                                    // IHL 1
	lie(func(f []byte) { binary.BigEndian.PutUint16(f[16:], 65535) })       // total length beyond the frame
	lie(func(f []byte) { binary.BigEndian.PutUint16(f[16:], 10) })          // total length below the header
	lie(func(f []byte) { binary.BigEndian.PutUint16(f[14+20+4:], 65535) })  // UDP length lies
	lie(func(f []byte) { f[14] = 0x65 })                                    // version 6 in an IPv4 ethertype
	lie(func(f []byte) { binary.BigEndian.PutUint16(f[20:], 0x2000|8191) }) // MF, offset 65528
	// IPv6 whose payload length lies.
	ip := ip6("fd00::1", "fd00::2", layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: 1, DstPort: 2}
	u.SetNetworkLayerForChecksum(ip)
	v6 := serialize(t, eth(layers.EthernetTypeIPv6), ip, u)
	binary.BigEndian.PutUint16(v6[14+4:], 60000)
	recs = append(recs, testRec{ts: 99e9, data: v6})
	for cut := 1; cut < len(good); cut += 7 {
		recs = append(recs, testRec{ts: 100e9 + int64(cut), data: good[:cut]})
	}
	file := pcapFile(binary.LittleEndian, false, layers.LinkTypeEthernet, recs...)
	sc, _, err := scanAll(t, file)
	if err != nil {
		t.Fatal(err)
	}
	if sc.D.Stats.Frames != len(recs) {
		t.Errorf("%d frames decoded of %d", sc.D.Stats.Frames, len(recs))
	}
}

// TestHostileTCP: one stream carrying 10k messages, and a stream with gaps.
func TestHostileTCP(t *testing.T) {
	m := sipMsg("MESSAGE", 1, "hi")
	var stream strings.Builder
	for i := 0; i < 10000; i++ {
		stream.WriteString(m)
	}
	data := stream.String()
	var recs []testRec
	seq := uint32(1)
	recs = append(recs, testRec{ts: 1, data: tcp4Frame(t, "10.0.0.1", 4000, "10.0.0.2", 5060, 0, true, false, nil)})
	for off := 0; off < len(data); off += 1400 {
		end := min(off+1400, len(data))
		if (off/1400)%97 == 50 {
			seq += uint32(end - off) // a gap: this segment was never captured
			continue
		}
		recs = append(recs, testRec{ts: int64(off + 2), data: tcp4Frame(t, "10.0.0.1", 4000, "10.0.0.2", 5060, seq, false, false, []byte(data[off:end]))})
		seq += uint32(end - off)
	}
	file := pcapFile(binary.LittleEndian, false, layers.LinkTypeEthernet, recs...)
	r, _ := NewReader(bytes.NewReader(file), "tcp")
	sc := NewScanner(r, DefaultLimits())
	msgs := 0
	for p := sc.Next(); p != nil; p = sc.Next() {
		for _, sm := range p.SIP {
			msgs++
			// After a gap, "hi" (a body without CRLF) and the next start
			// line can read as one start line: no framer can tell.
			if !bytes.HasPrefix(sm.Data, []byte("MESSAGE ")) && !bytes.HasPrefix(sm.Data, []byte("hiMESSAGE ")) {
				t.Fatalf("message %d framed wrong: %.40q", msgs, sm.Data)
			}
		}
	}
	if sc.Err() != nil {
		t.Fatal(sc.Err())
	}
	// Each gap loses the messages it touches and the stream resynchronises
	// at a message start.
	if msgs < 9000 || msgs > 10000 {
		t.Errorf("%d messages framed, want most of 10000", msgs)
	}
	if sc.D.Stats.TCPGaps == 0 {
		t.Errorf("gaps not counted: %+v", sc.D.Stats)
	}
	if sc.D.tcpTab.buffered != 0 {
		t.Errorf("%d bytes still buffered after the capture ended", sc.D.tcpTab.buffered)
	}
}

func TestHostileEmptyAndTiny(t *testing.T) {
	for n := 0; n < 24; n++ {
		b := pcapFile(binary.LittleEndian, false, layers.LinkTypeEthernet)[:n]
		_, err := NewReader(bytes.NewReader(b), "tiny")
		var ie *InputError
		if !errors.As(err, &ie) {
			t.Errorf("%d bytes: err %v, want an InputError", n, err)
		}
	}
	// A header and nothing else: a valid, empty capture.
	_, got, err := scanAll(t, pcapFile(binary.LittleEndian, false, layers.LinkTypeEthernet))
	if err != nil || got != 0 {
		t.Errorf("empty capture: %d packets, err %v", got, err)
	}
	_ = io.EOF
}

// TestHostileTCPLongLine is the regression test for a hang the hostile
// suite found (issue 9): a SIP message over TCP whose header line runs
// to 1 MB. Past MaxSIPMessage the framer dropped the message and then,
// resynchronising inside the rest of the line (no newline in the buffer,
// so no place to resume), went round forever on the same bytes. The line
// is dropped, and the next message is framed.
func TestHostileTCPLongLine(t *testing.T) {
	long := "MESSAGE sip:b@x SIP/2.0\r\nX-Long: " + strings.Repeat("b", 1<<20) + "\r\nContent-Length: 0\r\n\r\n"
	data := long + sipMsg("MESSAGE", 2, "after")
	recs := []testRec{{ts: 1, data: tcp4Frame(t, "10.0.0.1", 4000, "10.0.0.2", 5060, 0, true, false, nil)}}
	seq := uint32(1)
	for off := 0; off < len(data); off += 1400 {
		end := min(off+1400, len(data))
		recs = append(recs, testRec{ts: int64(off + 2), data: tcp4Frame(t, "10.0.0.1", 4000, "10.0.0.2", 5060, seq, false, false, []byte(data[off:end]))})
		seq += uint32(end - off)
	}
	file := pcapFile(binary.LittleEndian, false, layers.LinkTypeEthernet, recs...)
	r, err := NewReader(bytes.NewReader(file), "long")
	if err != nil {
		t.Fatal(err)
	}
	sc := NewScanner(r, DefaultLimits())
	done := make(chan []string)
	go func() {
		var got []string
		for p := sc.Next(); p != nil; p = sc.Next() {
			for _, m := range p.SIP {
				got = append(got, string(m.Data))
			}
		}
		done <- got
	}()
	select {
	case got := <-done:
		if len(got) != 1 || !strings.HasSuffix(got[0], "after") {
			t.Errorf("framed %d messages, want only the one after the long line: %.60q", len(got), got)
		}
		if sc.D.Stats.SIPTooLarge != 1 || sc.D.Stats.TCPBytesDropped < 1<<20 {
			t.Errorf("stats %+v", sc.D.Stats)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("framing a 1 MB line did not finish")
	}
}
