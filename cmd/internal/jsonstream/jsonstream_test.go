package jsonstream

import (
	"bytes"
	"encoding/json"
	"math"
	"net/netip"
	"testing"
	"time"
)

func reference(t *testing.T, v any) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

type ptrMarshal struct{ n int }

func (p *ptrMarshal) MarshalJSON() ([]byte, error) { return []byte(`{"ptr":true}`), nil }

type valMarshal struct{ n int }

func (v valMarshal) MarshalText() ([]byte, error) { return []byte("text<&>"), nil }

type inner struct {
	A     string            `json:"a"`
	B     *int              `json:"b"`
	C     []int             `json:"c,omitempty"`
	D     map[string]int    `json:"d"`
	E     float64           `json:"e"`
	F     []byte            `json:"f"`
	G     time.Time         `json:"g"`
	H     netip.AddrPort    `json:"h"`
	I     any               `json:"i"`
	J     ptrMarshal        `json:"j"`
	K     valMarshal        `json:"k"`
	L     time.Time         `json:"l,omitzero"`
	M     struct{}          `json:"m"`
	N     []struct{ X int } `json:"n"`
	skip  int
	Dash  int `json:"-"`
	NoTag string
}

type embedded struct {
	inner
	Z int `json:"z"`
}

type stringOpt struct {
	N int `json:"n,string"`
}

func TestEncodeMatchesEncoder(t *testing.T) {
	seven := 7
	full := inner{A: "x<y>&\u2028é", B: &seven, C: []int{1, 2}, D: map[string]int{"b": 2, "a": 1}, E: 1e21, F: []byte{0, 1, 2},
		G: time.Date(2026, 1, 15, 10, 0, 0, 123456789, time.UTC), H: netip.MustParseAddrPort("[fd00::1]:5060"),
		I: []any{1.5, "s", nil, map[string]any{}}, L: time.Unix(5, 0), N: []struct{ X int }{{1}, {2}}, NoTag: "t"}
	for _, v := range []any{
		nil, 1, "s", []int{}, []int(nil), map[string]int{}, math.MaxInt64, 0.1,
		inner{}, &inner{}, full, &full, []inner{full, {}}, []*inner{&full, nil},
		struct{ P *inner }{}, struct {
			P *inner `json:"p,omitempty"`
		}{}, embedded{inner: full, Z: 3}, &stringOpt{N: 5}, []stringOpt{{1}},
		struct{ A, B []inner }{A: []inner{}, B: nil}, [2]int{1, 2}, struct{ X [0]int }{},
	} {
		want := reference(t, v)
		var b bytes.Buffer
		if err := Encode(&b, v); err != nil {
			t.Fatalf("%T: %v", v, err)
		}
		if b.String() != want {
			t.Errorf("%T:\n got %s\nwant %s", v, b.String(), want)
		}
	}
}

func TestEncodeError(t *testing.T) {
	var b bytes.Buffer
	if err := Encode(&b, struct{ C chan int }{}); err == nil {
		t.Error("no error for a channel")
	}
	if err := Encode(&b, []float64{math.NaN()}); err == nil {
		t.Error("no error for NaN")
	}
}

// spooled streams its List from elements written ahead, indented for
// elemPrefix, as a streamed report's spools hold them.
type spooled struct {
	Head       string  `json:"head"`
	List       []inner `json:"list"`
	Tail       int     `json:"tail"`
	elemPrefix string
}

func (s *spooled) StreamJSONField(name string) (func(func([]byte) error) error, string, bool) {
	if name != "list" {
		return nil, "", false
	}
	return func(yield func([]byte) error) error {
		for i := range s.List {
			b, err := json.MarshalIndent(&s.List[i], s.elemPrefix, "  ")
			if err != nil {
				return err
			}
			if err := yield(b); err != nil {
				return err
			}
		}
		return nil
	}, s.elemPrefix, true
}

// TestStreamedField: elements indented for where the list sits are
// written as they come; others (compact, or for another depth) are
// re-indented; either way the document is the Encoder's.
func TestStreamedField(t *testing.T) {
	seven := 7
	list := []inner{{A: "x<&>\u2028", B: &seven, C: []int{1}, N: []struct{ X int }{{1}}}, {}}
	for _, v := range []any{
		&spooled{Head: "h", List: list, Tail: 3, elemPrefix: "    "},
		&spooled{Head: "h", List: list, Tail: 3, elemPrefix: ""},
		&spooled{Head: "h", List: list, Tail: 3, elemPrefix: "      "},
		&spooled{Head: "h", List: nil, Tail: 3, elemPrefix: "    "},
		[]*spooled{{List: list, elemPrefix: "    "}},
	} {
		// The Encoder sees the list as the value it is (an empty one as
		// the [] a stream without elements writes).
		ref := v
		if s, ok := v.(*spooled); ok && s.List == nil {
			ref = &spooled{Head: s.Head, List: []inner{}, Tail: s.Tail}
		}
		want := reference(t, ref)
		var b bytes.Buffer
		if err := Encode(&b, v); err != nil {
			t.Fatal(err)
		}
		if b.String() != want {
			t.Errorf("%+v:\n got %s\nwant %s", v, b.String(), want)
		}
	}
}
