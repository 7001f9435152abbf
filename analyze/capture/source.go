package capture

import (
	"io"
	"os"
	"sync/atomic"
)

// Source is one side of a router as sipalg reads it: a capture file, or
// the packets of one interface of a file that holds both sides.
type Source struct {
	Path string
	// Iface selects one interface; the zero value reads every packet.
	Iface IfaceFilter
	// Progress, when set, counts the bytes read from the file (before
	// gzip decompression), for a progress display. It may be shared by
	// readers running at once.
	Progress *atomic.Int64
}

// String names the source in messages: the path, and the interface when
// one is selected.
func (s Source) String() string {
	if s.Iface.By == AllIfaces {
		return s.Path
	}
	return s.Path + " (" + s.Iface.String() + ")"
}

// OpenSource opens the capture of src. The reader hands out only the
// records of src.Iface, numbered as in the whole file.
func OpenSource(src Source) (*Reader, error) {
	f, err := os.Open(src.Path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.IsDir() {
		f.Close()
		return nil, &InputError{File: src.Path, Msg: "is a directory, not a capture file", Err: ErrNotCapture}
	}
	var rd io.Reader = f
	if src.Progress != nil {
		rd = countingReader{f, src.Progress}
	}
	r, err := NewReader(rd, src.Path)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	r.filter = src.Iface
	return r, nil
}

// countingReader counts the bytes read through it. The capture reader
// reads in 1 MiB chunks, so this costs one atomic add per chunk.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

// Stat passes the file's size on, for the read buffer's size.
func (c countingReader) Stat() (os.FileInfo, error) {
	if s, ok := c.r.(interface{ Stat() (os.FileInfo, error) }); ok {
		return s.Stat()
	}
	return nil, os.ErrInvalid
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
