package main

import (
	"io"

	"github.com/sipalg/sipalg/cmd/internal/jsonstream"
)

// writeJSON writes v as indented JSON, the form of every JSON output. It
// streams: a report is written message by message, never held whole
// (the bytes are those of json.Encoder with SetIndent("", "  ")).
func writeJSON(w io.Writer, v any) error {
	return jsonstream.Encode(w, v)
}
