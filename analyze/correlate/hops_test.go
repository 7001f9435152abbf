package correlate

import (
	"strings"
	"testing"
)

func TestHops(t *testing.T) {
	type pairs struct {
		dir      direction
		lan, wan uint8
		n        int
	}
	cases := []struct {
		name     string
		pairs    []pairs
		hops     int // -1: null
		atRouter string
		wanFar   bool
		reason   string
	}{
		{"router's interfaces", []pairs{{dirOutbound, 64, 63, 100}, {dirInbound, 63, 64, 90}}, 1, "true", false, "the router's own two interfaces"},
		{"server two hops away", []pairs{{dirOutbound, 64, 62, 100}, {dirInbound, 52, 54, 90}}, 2, "false", true, "WAN capture was taken 2 hops away"},
		{"LAN capture not at the phone", []pairs{{dirOutbound, 63, 61, 100}}, 2, "false", false, "taken 2 hops apart"},
		{"outbound only", []pairs{{dirOutbound, 128, 127, 10}}, 1, "true", false, "in 10 of 10"},
		{"asymmetric", []pairs{{dirOutbound, 64, 62, 100}, {dirInbound, 61, 64, 100}}, 3, "false", true, "asymmetric path: 2 hop(s) outbound, 3 inbound"},
		{"a few odd pairs", []pairs{{dirOutbound, 64, 63, 99}, {dirOutbound, 64, 60, 1}}, 1, "true", false, "in 99 of 100"},
		{"varying", []pairs{{dirOutbound, 64, 63, 50}, {dirOutbound, 64, 62, 50}}, -1, "null", false, "vary (outbound: 1 in 50, 2 in 50"},
		{"TTLs went up", []pairs{{dirOutbound, 63, 64, 10}}, -1, "null", false, "not a hop count"},
		{"no decrement", []pairs{{dirOutbound, 64, 64, 10}, {dirInbound, 64, 64, 10}}, 0, "null", false, "nothing between the capture points decrements"},
		{"unknown TTLs", []pairs{{dirOutbound, 0, 64, 10}}, -1, "null", false, "no twin packet"},
		{"out of range", []pairs{{dirOutbound, 255, 1, 10}}, -1, "null", false, "out of range in 10"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var h hopCounter
			for _, p := range tc.pairs {
				for range p.n {
					h.add(p.dir, p.lan, p.wan)
				}
			}
			var c Clock
			h.finish(&c)
			hops := -1
			if c.Hops != nil {
				hops = *c.Hops
			}
			at := "null"
			if c.CapturedAtRouter != nil {
				at = map[bool]string{true: "true", false: "false"}[*c.CapturedAtRouter]
			}
			if hops != tc.hops || at != tc.atRouter || c.WANFar != tc.wanFar || !strings.Contains(c.HopsReason, tc.reason) {
				t.Errorf("hops %d, captured_at_router %s, WANFar %v, reason %q; want %d, %s, %v, %q", hops, at, c.WANFar, c.HopsReason, tc.hops, tc.atRouter, tc.wanFar, tc.reason)
			}
			if c.Away() != (at == "false") || c.AtRouter() != (at == "true") {
				t.Errorf("Away %v AtRouter %v with captured_at_router %s", c.Away(), c.AtRouter(), at)
			}
		})
	}
}
