package jsontext

import (
	"bytes"
	"encoding/json"
	"testing"
)

// checkString holds String, of a string and of its bytes, to
// encoding/json.
func checkString(t *testing.T, s string) {
	t.Helper()
	want, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := String([]byte("x"), s); !bytes.Equal(got[1:], want) || got[0] != 'x' {
		t.Errorf("String(%q) = %s, want x%s", s, got, want)
	}
	if got := String(nil, []byte(s)); !bytes.Equal(got, want) {
		t.Errorf("String([]byte(%q)) = %s, want %s", s, got, want)
	}
}

func TestString(t *testing.T) {
	for _, s := range []string{
		"", "RFC 3261 §8.1.1.8", "é", "a€b", "😀", "日本語 text",
		"\u2028", "a\u2029b", "\xff", "é\xff", "\xc3", "a\xc3", "\xe2\x82", "\xed\xa0\x80", // a surrogate
		"<>&", "\"\\", "\x00\x1f\x7f", "tab\tnl\n", "é<",
	} {
		checkString(t, s)
	}
}

// FuzzString: String writes what encoding/json writes, for any bytes.
func FuzzString(f *testing.F) {
	for _, s := range []string{"RFC 3261 §18.2.1", "é\u2028", "\xff\xfe", "<a&b>"} {
		f.Add(s)
	}
	f.Fuzz(checkString)
}
