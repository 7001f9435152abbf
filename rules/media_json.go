package rules

import (
	"encoding/json"
	"net/netip"
	"time"

	"github.com/sipalg/sipalg/analyze/jsontext"
)

// AppendJSON appends r as json.MarshalIndent(r, prefix, "  ") writes it,
// without reflection, and returns what that returns: a row encoding/json
// cannot write (a loss or a delay that is not a number, a time out of
// RFC 3339's years) is handed to it, for its error.
//
// Why (2026-12, issue 15): a streamed report spools each media row as
// it is final; encoding/json's reflection and re-indenting were 2.7% of
// the 73k SIP-heavy pair's CPU (14,720 rows). TestAppendJSONIsEncodingJSON
// (package analyze) holds it to encoding/json.
func (r *MediaStream) AppendJSON(dst []byte, prefix string) ([]byte, error) {
	start := len(dst)
	ok := true
	float := func(b []byte, f float64) []byte {
		b, fine := jsontext.Float64(b, f)
		ok = ok && fine
		return b
	}
	o := jsontext.NewObject(dst, prefix)
	o.Key("dialog")
	o.Buf = jsontext.IntPtr(o.Buf, r.Dialog)
	o.Key("ssrc")
	o.Buf = jsontext.String(o.Buf, r.SSRC)
	o.Key("direction")
	o.Buf = jsontext.String(o.Buf, r.Direction)
	o.Key("lan")
	o.Buf = appendAddrPortJSON(o.Buf, r.LAN)
	o.Key("wan")
	o.Buf = appendAddrPortJSON(o.Buf, r.WAN)
	o.Key("remote")
	o.Buf = appendAddrPortJSON(o.Buf, &r.Remote)
	for _, tt := range [2]struct {
		key string
		t   time.Time
	}{{"first_seen", r.FirstSeen}, {"last_seen", r.LastSeen}} {
		o.Key(tt.key)
		b, err := tt.t.MarshalJSON()
		if err != nil {
			ok = false
			break
		}
		o.Buf = append(o.Buf, b...)
	}
	for _, n := range [3]struct {
		key string
		n   int
	}{{"entered", r.Entered}, {"left", r.Left}, {"lost_at_router", r.LostAtRouter}} {
		o.Key(n.key)
		o.Buf = jsontext.Int(o.Buf, n.n)
	}
	o.Key("loss_pct")
	o.Buf = float(o.Buf, r.LossPct)
	for _, n := range [4]struct {
		key string
		n   int
	}{{"max_loss_burst", r.MaxLossBurst}, {"duplicated", r.Duplicated}, {"reordered", r.Reordered}, {"stopped_crossing", r.StoppedCrossing}} {
		o.Key(n.key)
		o.Buf = jsontext.Int(o.Buf, n.n)
	}
	o.Key("router_delay_ms")
	if d := r.RouterDelay; d == nil {
		o.Buf = append(o.Buf, "null"...)
	} else {
		in := jsontext.NewObject(o.Buf, prefix+jsontext.Indent)
		in.Key("p50")
		in.Buf = float(in.Buf, d.P50)
		in.Key("p99")
		in.Buf = float(in.Buf, d.P99)
		in.Key("max")
		in.Buf = float(in.Buf, d.Max)
		o.Buf = in.End()
	}
	o.Key("jitter_added_ms")
	o.Buf = float(o.Buf, r.JitterAddedMS)
	o.Key("one_way")
	o.Buf = jsontext.Bool(o.Buf, r.OneWay)
	o.Key("rtcp_entered")
	o.Buf = jsontext.Int(o.Buf, r.RTCPEntered)
	o.Key("rtcp_left")
	o.Buf = jsontext.Int(o.Buf, r.RTCPLeft)
	if !ok {
		b, err := json.MarshalIndent(r, prefix, jsontext.Indent)
		return append(dst[:start], b...), err
	}
	return o.End(), nil
}

// appendAddrPortJSON appends *p as encoding/json writes it (its text),
// or null.
func appendAddrPortJSON(dst []byte, p *netip.AddrPort) []byte {
	if p == nil {
		return append(dst, "null"...)
	}
	var buf [64]byte
	return jsontext.String(dst, p.AppendTo(buf[:0]))
}
