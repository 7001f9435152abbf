package capture

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket/layers"
)

// Record is one packet record as stored in the file. Data aliases the
// reader's buffer and is valid only until the next call to [Reader.Next].
type Record struct {
	Frame    int   // 1-based, counting packet records only (Wireshark's numbering)
	Offset   int64 // byte offset of the record (or block) in the decompressed stream
	TS       int64 // Unix time in nanoseconds
	CapLen   int   // bytes stored
	OrigLen  int   // bytes on the wire
	Iface    int   // index into [Reader.Interfaces]
	LinkType layers.LinkType
	Data     []byte
}

// Interface is one capture interface: one per pcap file, one per pcapng
// Interface Description Block (numbered across sections).
type Interface struct {
	Name     string
	LinkType layers.LinkType
	Snaplen  int
	Section  int
}

// Truncation says where a file that was cut short ends.
type Truncation struct {
	Record int   // the record that is incomplete
	Offset int64 // where it starts
	Have   int   // bytes of it present
	Want   int   // bytes it should have
}

func (t *Truncation) String() string {
	return fmt.Sprintf("file cut short: record %d at byte offset %d has %d of %d bytes; analysed the %d records before it",
		t.Record, t.Offset, t.Have, t.Want, t.Record-1)
}

// Reader reads the records of one capture file.
type Reader struct {
	name       string
	closer     io.Closer
	gz         *gzip.Reader
	async      *asyncReader // inflates ahead, for a large gzip'd input; stopped by Close
	in         byteSource
	format     Format
	compressed bool
	ifaces     []Interface
	frame      int
	block      int // pcapng blocks read, for error positions
	truncated  *Truncation
	skipped    map[string]int // pcapng blocks skipped, by kind
	notes      []string       // readable but damaged structures, at most maxNotes
	notesMore  int            // notes past maxNotes, counted
	filter     IfaceFilter    // records of other interfaces are skipped

	// pcap
	be       bool // big-endian pcap or pcapng section
	nanos    bool
	linkType layers.LinkType
	snaplen  int

	// pcapng
	ng ngState
}

// readBufferSize is the bufio size: large enough that every record up to
// maxRecordLen is handed out without a copy; pcapgo's 4 KiB default costs
// about 2x in throughput (measured, gopacket v1.7.7). No larger: each
// refill is a read(2) that copies the whole buffer, and a buffer of 1 MiB
// pushed the first pass's per-flow tables out of the processor's cache
// (2026-12, issue 15: 320 KiB instead of 1 MiB took the large RTP pair's
// first pass from 822 to 715 ms, and the bare read+decode loop from 0.71
// to 0.64 s; medians of 10 alternated runs).
const readBufferSize = 320 << 10

// inputSize is the number of bytes rd holds, when it can tell: a file,
// or a bytes or strings reader.
func inputSize(rd io.Reader) (int64, bool) {
	switch v := rd.(type) {
	case interface{ Stat() (os.FileInfo, error) }:
		if st, err := v.Stat(); err == nil && st.Mode().IsRegular() {
			return st.Size(), true
		}
	case interface{ Len() int }:
		return int64(v.Len()), true
	}
	return 0, false
}

// bufferFor sizes the read buffer for an input of size bytes: the whole
// input when it is small, so that reading many small captures (the fuzz
// targets, batch runs over small cases) does not allocate and clear
// readBufferSize for each (issue 9: FuzzReader ran 10 times faster).
func bufferFor(size int64) int {
	return int(min(max(size+16, 4096), readBufferSize))
}

// Open opens a capture file by path.
func Open(path string) (*Reader, error) {
	return OpenSource(Source{Path: path})
}

// NewReader reads a capture from rd; name is used in errors and warnings.
//
// A large gzip'd input is inflated ahead in a goroutine that Close stops:
// close every Reader.
func NewReader(rd io.Reader, name string) (_ *Reader, err error) {
	r := &Reader{name: name, skipped: map[string]int{}}
	defer func() {
		if err != nil && r.async != nil {
			r.async.Close()
		}
	}()
	size, sized := inputSize(rd)
	bufSize := readBufferSize
	if sized {
		bufSize = bufferFor(size)
	}
	br := bufio.NewReaderSize(rd, bufSize)
	head, err := br.Peek(16)
	if len(head) == 0 {
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		return nil, &InputError{File: name, Msg: "the file is empty (0 bytes)", Err: ErrEmpty}
	}
	if len(head) >= 2 && head[0] == gzipMagic0 && head[1] == gzipMagic1 {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, &InputError{File: name, Msg: "gzip header unreadable: " + err.Error(), Err: ErrCorrupt}
		}
		r.gz = gz
		r.compressed = true
		if sized {
			// Captures compress 2 to 10 times; a buffer too small for a
			// record costs a copy, never a wrong result.
			bufSize = bufferFor(16 * size)
		}
		var inflated io.Reader = gz
		if !sized || size >= asyncMinInput {
			r.async = newAsyncReader(gz)
			inflated = r.async
		}
		br = bufio.NewReaderSize(inflated, bufSize)
		head, err = br.Peek(16)
		if len(head) == 0 {
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, &InputError{File: name, Msg: "gzip data unreadable: " + err.Error(), Err: ErrCorrupt}
			}
			return nil, &InputError{File: name, Msg: "gzip-compressed, but empty inside", Err: ErrEmpty}
		}
	}
	r.in = byteSource{br: br}
	format, order, what, err := sniff(head)
	if err != nil {
		if r.compressed {
			what = "gzip-compressed, and inside: " + what
		}
		return nil, &InputError{File: name, Msg: what, Err: err}
	}
	r.format = format
	switch format {
	case FormatPcap, FormatPcapNs:
		r.be = order == binary.BigEndian
		r.nanos = format == FormatPcapNs
		err = r.readPcapHeader()
	case FormatPcapNG:
		err = r.readFirstSection()
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Close releases the file.
func (r *Reader) Close() error {
	if r.async != nil {
		r.async.Close()
		r.async = nil
	}
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

// Name is the file name given to Open or NewReader.
func (r *Reader) Name() string { return r.name }

// Format is the file's capture format.
func (r *Reader) Format() Format { return r.format }

// Compressed reports whether the file was gzip-compressed.
func (r *Reader) Compressed() bool { return r.compressed }

// Interfaces lists the capture interfaces seen so far (pcapng files may
// declare more as they go).
func (r *Reader) Interfaces() []Interface { return r.ifaces }

// Truncated says where the file was cut short, or nil.
func (r *Reader) Truncated() *Truncation { return r.truncated }

// SkippedBlocks counts pcapng blocks that carry no packets and were
// skipped, by kind.
func (r *Reader) SkippedBlocks() map[string]int { return r.skipped }

// maxNotes bounds the notes a Reader keeps: a hostile file may repeat one
// defect in every block; the rest are counted.
const maxNotes = 8

func (r *Reader) note(format string, args ...any) {
	if len(r.notes) >= maxNotes {
		r.notesMore++
		return
	}
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

// Notes describes the damaged but readable structures met so far (a
// pcapng option longer than its block, ...), with file, block and byte
// offset; what they affected was skipped, never read past its block.
func (r *Reader) Notes() []string {
	if r.notesMore == 0 {
		return r.notes
	}
	return append(r.notes[:len(r.notes):len(r.notes)], fmt.Sprintf("%s: %d more damaged structure(s) like these", r.name, r.notesMore))
}

// Offset is the number of (decompressed) bytes consumed so far.
func (r *Reader) Offset() int64 { return r.in.off }

// Next reads the next packet record into rec (of the selected interface,
// when the reader was opened with [OpenSource]). It returns io.EOF at the end
// of the file, including the end of a file cut short (see [Reader.Truncated]),
// and an [*InputError] for a record it cannot read.
func (r *Reader) Next(rec *Record) error {
	for {
		err := r.next(rec)
		if err != nil || r.filter.By == AllIfaces || r.filter.match(rec, r.ifaces) {
			return err
		}
	}
}

func (r *Reader) next(rec *Record) error {
	if r.truncated != nil {
		return io.EOF
	}
	if r.format == FormatPcapNG {
		return r.nextNG(rec)
	}
	return r.nextPcap(rec)
}

func (r *Reader) corrupt(record int, off int64, format string, args ...any) error {
	return &InputError{File: r.name, Record: record, Offset: off, Msg: fmt.Sprintf(format, args...), Err: ErrCorrupt}
}

// ioError turns an error from the byte source into what Next returns: a
// cut at the end of the file becomes a Truncation and io.EOF; a gzip
// stream that is corrupt inside becomes an InputError.
func (r *Reader) ioError(err error, record int, off int64, have, want int) error {
	if errors.Is(err, io.EOF) && have == 0 {
		return io.EOF
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		r.truncated = &Truncation{Record: record, Offset: off, Have: have, Want: want}
		return io.EOF
	}
	if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) {
		return &InputError{File: r.name, Record: record, Offset: off, Msg: "gzip stream corrupt: " + err.Error(), Err: ErrCorrupt}
	}
	return fmt.Errorf("%s: record %d at byte offset %d: %w", r.name, record, off, err)
}

// byteSource hands out byte ranges of the stream without copying where the
// buffer allows: a slice stays valid until the next call.
type byteSource struct {
	br      *bufio.Reader
	pending int
	off     int64
	scratch []byte
}

// next returns the next n bytes. When the stream ends first it returns the
// bytes there were and io.EOF (none) or io.ErrUnexpectedEOF (some).
func (s *byteSource) next(n int) ([]byte, error) {
	if s.pending > 0 {
		d, _ := s.br.Discard(s.pending) // Peek already proved these bytes are buffered
		s.pending -= d
	}
	if n <= s.br.Size() {
		b, err := s.br.Peek(n)
		s.pending = len(b)
		s.off += int64(len(b))
		if len(b) < n {
			if len(b) == 0 && (err == nil || errors.Is(err, io.EOF)) {
				return nil, io.EOF
			}
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return b, err
		}
		return b, nil
	}
	if cap(s.scratch) < n {
		s.scratch = make([]byte, n)
	}
	b := s.scratch[:n]
	got, err := io.ReadFull(s.br, b)
	s.off += int64(got)
	return b[:got], err
}

// skip discards n bytes.
func (s *byteSource) skip(n int64) (int64, error) {
	if s.pending > 0 {
		d, _ := s.br.Discard(s.pending)
		s.pending -= d
	}
	var done int64
	for done < n {
		step := min(n-done, 1<<30)
		d, err := s.br.Discard(int(step))
		done += int64(d)
		s.off += int64(d)
		if err != nil {
			return done, err
		}
	}
	return done, nil
}
