package capture

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Format names a capture file format as sipalg reads it.
type Format string

// Formats sipalg reads.
const (
	FormatPcap   Format = "pcap"    // microsecond timestamps
	FormatPcapNs Format = "pcap-ns" // nanosecond timestamps
	FormatPcapNG Format = "pcapng"
)

const (
	pcapMagicMicro   = 0xa1b2c3d4
	pcapMagicNano    = 0xa1b23c4d
	pcapMagicKuznet  = 0xa1b2cd34 // "modified" pcap (Alexey Kuznetzov's patches)
	pcapngBlockSHB   = 0x0a0d0d0a
	pcapngByteOrder  = 0x1a2b3c4d
	gzipMagic0       = 0x1f
	gzipMagic1       = 0x8b
	convertAdvice    = "convert it with: editcap -F pcapng IN OUT.pcapng"
	notCaptureAdvice = "sipalg reads pcap and pcapng captures (optionally gzip-compressed), as written by tcpdump, Wireshark or dumpcap"
)

// sniff says what the first bytes of a file look like. It returns a format
// sipalg reads, or an error message for everything else. head holds at
// least the first 16 bytes of the file where the file has them.
func sniff(head []byte) (Format, binary.ByteOrder, string, error) {
	if len(head) >= 4 {
		le := binary.LittleEndian.Uint32(head)
		be := binary.BigEndian.Uint32(head)
		switch {
		case le == pcapMagicMicro:
			return FormatPcap, binary.LittleEndian, "", nil
		case be == pcapMagicMicro:
			return FormatPcap, binary.BigEndian, "", nil
		case le == pcapMagicNano:
			return FormatPcapNs, binary.LittleEndian, "", nil
		case be == pcapMagicNano:
			return FormatPcapNs, binary.BigEndian, "", nil
		case le == pcapngBlockSHB: // the SHB type is a palindrome
			return FormatPcapNG, nil, "", nil
		case le == pcapMagicKuznet || be == pcapMagicKuznet:
			return "", nil, "a \"modified\" (Kuznetzov) pcap file, which sipalg does not read; " + convertAdvice, ErrUnsupportedFormat
		}
	}
	for _, k := range knownFiles {
		if bytes.HasPrefix(head, k.magic) {
			return "", nil, k.what, k.class
		}
	}
	if looksLikeText(head) {
		trimmed := bytes.TrimLeft(head, " \t\r\n\ufeff")
		if len(trimmed) > 0 && trimmed[0] == '<' {
			return "", nil, "an HTML or XML document (a web page saved under a capture's name?), not a packet capture; " + notCaptureAdvice, ErrNotCapture
		}
		return "", nil, "a text file, not a packet capture; " + notCaptureAdvice, ErrNotCapture
	}
	return "", nil, fmt.Sprintf("not a capture format sipalg recognises (first bytes % x); %s", head[:min(len(head), 8)], notCaptureAdvice), ErrNotCapture
}

var knownFiles = []struct {
	magic []byte
	what  string
	class error
}{
	{[]byte("GMBU"), "a Microsoft Network Monitor 2.x capture; " + convertAdvice, ErrUnsupportedFormat},
	{[]byte("RTSS"), "a Microsoft Network Monitor 1.x capture; " + convertAdvice, ErrUnsupportedFormat},
	{[]byte("snoop\x00\x00\x00"), "a Solaris snoop capture; " + convertAdvice, ErrUnsupportedFormat},
	{[]byte("XCP\x00"), "a Network Associates Sniffer capture; " + convertAdvice, ErrUnsupportedFormat},
	{[]byte("TRSNIFF data    \x1a"), "a Sniffer (DOS) capture; " + convertAdvice, ErrUnsupportedFormat},
	{[]byte("\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), "all zero bytes (an unfinished download or a damaged disk?), not a packet capture", ErrNotCapture},
	{[]byte("PK\x03\x04"), "a zip archive; unzip it and give sipalg the .pcap or .pcapng inside", ErrNotCapture},
	{[]byte("\xfd7zXZ\x00"), "an xz-compressed file; decompress it first (xz -d FILE) and give sipalg the capture inside", ErrNotCapture},
	{[]byte("BZh"), "a bzip2-compressed file; decompress it first (bunzip2 FILE)", ErrNotCapture},
	{[]byte("\x28\xb5\x2f\xfd"), "a zstd-compressed file; decompress it first (zstd -d FILE)", ErrNotCapture},
	{[]byte("7z\xbc\xaf\x27\x1c"), "a 7-Zip archive; extract the capture from it first", ErrNotCapture},
	{[]byte("Rar!"), "a RAR archive; extract the capture from it first", ErrNotCapture},
	{[]byte("%PDF"), "a PDF document, not a packet capture", ErrNotCapture},
	{[]byte("\x7fELF"), "an executable (ELF), not a packet capture", ErrNotCapture},
}

// looksLikeText reports whether head is printable ASCII or UTF-8 text.
func looksLikeText(head []byte) bool {
	if len(head) == 0 {
		return false
	}
	for _, c := range head {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			return false
		}
	}
	return true
}
