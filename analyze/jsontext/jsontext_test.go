package jsontext

import (
	"bytes"
	"encoding/json"
	"math"
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

// TestFloat64 holds Float64 to encoding/json, around the exponent
// cutoffs and at the extremes.
func TestFloat64(t *testing.T) {
	for _, f := range []float64{0, math.Copysign(0, -1), 1, -1, 0.037, 0.191, 12.5, 100, 1e20, 1e21, 123456789e13,
		1e-6, 9.99e-7, 1e-7, -1e-7, 1.5e-300, math.MaxFloat64, math.SmallestNonzeroFloat64, 1.0 / 3} {
		want, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := Float64(nil, f); !ok || !bytes.Equal(got, want) {
			t.Errorf("Float64(%v) = %s, %v; want %s", f, got, ok, want)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if got, ok := Float64([]byte("x"), f); ok || string(got) != "x" {
			t.Errorf("Float64(%v) = %q, %v; want x, false", f, got, ok)
		}
	}
}
