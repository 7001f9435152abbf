package capture

import (
	"errors"
	"io"
)

// Scanner reads a capture file and decodes it, one [Packet] at a time.
type Scanner struct {
	R   *Reader
	D   *Decoder
	rec Record
	pkt Packet
	err error
}

// NewScanner scans the capture of r with the given limits.
func NewScanner(r *Reader, lim Limits) *Scanner {
	return &Scanner{R: r, D: NewDecoder(lim)}
}

// Next returns the next packet, or nil at the end of the capture or on an
// error ([Scanner.Err] tells which). The packet and the bytes it points to
// are valid until the next call.
func (s *Scanner) Next() *Packet {
	if s.err != nil {
		return nil
	}
	for {
		err := s.R.Next(&s.rec)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				s.err = err
			}
			s.D.Flush()
			s.err = errOr(s.err, io.EOF)
			return nil
		}
		if s.D.Decode(&s.rec, &s.pkt) {
			return &s.pkt
		}
	}
}

// Record is the record last read; valid until the next call to Next.
func (s *Scanner) Record() *Record { return &s.rec }

// Err is the error that ended the scan, or nil at a clean end of file.
func (s *Scanner) Err() error {
	if errors.Is(s.err, io.EOF) {
		return nil
	}
	return s.err
}

func errOr(err, alt error) error {
	if err != nil {
		return err
	}
	return alt
}
