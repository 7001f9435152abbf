package capture

import (
	"errors"
	"fmt"
)

// Input classes. An [*InputError] wraps one of them, so callers can test
// with errors.Is.
var (
	// ErrNotCapture: the file is not a packet capture at all.
	ErrNotCapture = errors.New("capture: not a packet capture")
	// ErrUnsupportedFormat: a capture format sipalg does not read.
	ErrUnsupportedFormat = errors.New("capture: unsupported capture format")
	// ErrCorrupt: a record or block that cannot be read.
	ErrCorrupt = errors.New("capture: corrupt capture")
	// ErrEmpty: the file holds no bytes.
	ErrEmpty = errors.New("capture: empty file")
)

// InputError is an unreadable-input error with its position. Record is the
// 1-based record (frame or block) number, 0 when the file header itself is
// at fault; Offset is the byte offset in the decompressed stream.
type InputError struct {
	File   string
	Record int
	Offset int64
	Msg    string
	Err    error
}

func (e *InputError) Error() string {
	switch {
	case e.Record > 0:
		return fmt.Sprintf("%s: record %d at byte offset %d: %s", e.File, e.Record, e.Offset, e.Msg)
	case e.Offset > 0:
		return fmt.Sprintf("%s: byte offset %d: %s", e.File, e.Offset, e.Msg)
	default:
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
}

func (e *InputError) Unwrap() error { return e.Err }
