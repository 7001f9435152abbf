package rules

import (
	"strconv"
	"testing"
)

// TestFieldPath holds fieldPath's byte loop to the paths fielddiff writes.
func TestFieldPath(t *testing.T) {
	for _, tt := range []struct {
		f, head string
		idx     int
		rest    string
	}{
		{"Contact[1].uri.host", "Contact", 1, "uri.host"},
		{"Via[0].sent-by", "Via", 0, "sent-by"},
		{"From.uri.host", "From", -1, "uri.host"},
		{"Content-Length", "Content-Length", -1, ""},
		{"sdp.m[0].port", "sdp", -1, "m[0].port"},
		{"sdp.a[rtcp]", "sdp", -1, "a[rtcp]"},
		{"Route[x].uri", "Route", -1, "uri"},
		{"X[2]", "X", 2, ""},
		{"", "", -1, ""},
	} {
		head, idx, rest := fieldPath(tt.f)
		if head != tt.head || idx != tt.idx || rest != tt.rest {
			t.Errorf("fieldPath(%q) = %q, %d, %q; want %q, %d, %q", tt.f, head, idx, rest, tt.head, tt.idx, tt.rest)
		}
	}
}

// TestIsPath: isPath is the comparison with the path built by
// concatenation that it replaces.
func TestIsPath(t *testing.T) {
	fields := []string{"Contact[0].uri.port", "Contact[1].uri.port", "Contact[10].uri.port", "Contact.uri.port",
		"Contact[0].uri.host", "Contact[0].uri.portx", "Contacts[0].uri.port", "To[0].uri.port", "Contact[-1].uri.port", "Contact[0]"}
	for _, f := range fields {
		for _, head := range []string{"Contact", "To", "Cont"} {
			for _, idx := range []int{-2, -1, 0, 1, 10} {
				want := f == head+"["+strconv.Itoa(idx)+"].uri.port"
				if idx == -2 {
					want = f == head+".uri.port"
				}
				if got := isPath(f, head, idx, ".uri.port"); got != want {
					t.Errorf("isPath(%q, %q, %d) = %v, want %v", f, head, idx, got, want)
				}
			}
		}
	}
}
