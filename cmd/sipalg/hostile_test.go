package main

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestE2EHostile: the built binary on generated hostile captures (the
// whole suite runs against analyze.Run in package analyze): an unreadable
// capture exits 2 with one line on stderr naming the file and, for a
// corrupt record, its number and byte offset; a capture cut short is
// analysed with a warning.
func TestE2EHostile(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "st530", "lan.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	wan := filepath.Join(repoRoot, "fixtures", "st530", "wan.pcap")
	first := 24 + 16 + int(binary.LittleEndian.Uint32(good[24+8:])) // end of record 1
	absurd := append([]byte(nil), good[:first]...)
	absurd = binary.LittleEndian.AppendUint32(absurd, 0)
	absurd = binary.LittleEndian.AppendUint32(absurd, 0)
	absurd = binary.LittleEndian.AppendUint32(absurd, 0xfffffff0)
	absurd = binary.LittleEndian.AppendUint32(absurd, 0xfffffff0)
	dir := t.TempDir()
	for _, c := range []struct {
		name, file string
		data       []byte
		want       string // a regexp stderr must match
	}{
		{"empty", "empty.pcap", nil, `empty\.pcap: the file is empty`},
		{"zip", "cap.zip", []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00rest"), `cap\.zip: a zip archive`},
		{"xz", "cap.pcap.xz", []byte("\xfd7zXZ\x00\x00\x04rest-of-it"), `cap\.pcap\.xz: an xz-compressed file`},
		{"absurd-record", "absurd.pcap", absurd, `absurd\.pcap: record 2 at byte offset [0-9]+: impossible record length`},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, c.file)
			if err := os.WriteFile(p, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := runBinary(t, "analyze", "--lan", p, "--wan", wan, "--format", "json")
			if code != exitError || stdout != "" || strings.Count(strings.TrimSuffix(stderr, "\n"), "\n") > 0 {
				t.Errorf("exit %d, stdout %.40q, stderr %q; want 2, nothing, one line", code, stdout, stderr)
			}
			if !regexp.MustCompile(c.want).MatchString(stderr) {
				t.Errorf("stderr %q does not match %s", stderr, c.want)
			}
		})
	}
	t.Run("cut-short", func(t *testing.T) {
		p := filepath.Join(dir, "cut.pcap")
		if err := os.WriteFile(p, good[:len(good)-7], 0o644); err != nil {
			t.Fatal(err)
		}
		code, stdout, _ := runBinary(t, "analyze", "--lan", p, "--wan", wan, "--format", "json", "--fail-on", "never")
		if code != exitOK || !strings.Contains(stdout, "cut.pcap: file cut short: record") {
			t.Errorf("exit %d; want 0 and a report warning that the file was cut short", code)
		}
		if errs := validateJSON(loadSchema(t), []byte(stdout)); len(errs) > 0 {
			t.Errorf("does not validate against docs/report.schema.json:\n%s", strings.Join(errs, "\n"))
		}
	})
}
