package analyze

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/sipalg/sipalg/analyze/correlate"
)

// Window is the time both captures ran (the JSON report's
// capture_window): only inside it can a message seen on one side only be
// a drop or a generated message. What lies outside is counted here and
// has the message state "outside".
type Window struct {
	// Start and End bound the overlap, on the LAN clock.
	Start string `json:"start"`
	End   string `json:"end"`
	// LANStartsAfterS is how much later the LAN capture's first packet is
	// than the WAN capture's (negative: earlier); LANEndsBeforeS how much
	// earlier its last packet is (negative: later). Common clock.
	LANStartsAfterS float64 `json:"lan_starts_after_s"`
	LANEndsBeforeS  float64 `json:"lan_ends_before_s"`
	// OutsideLAN and OutsideWAN count the packets seen on that side only,
	// outside the other capture's time; OutsideSIP the SIP messages among
	// them.
	OutsideLAN int `json:"outside_lan_packets"`
	OutsideWAN int `json:"outside_wan_packets"`
	OutsideSIP int `json:"outside_sip_messages"`
}

// captureWindow describes the overlap of the two captures and, when
// something lies outside it, a warning that says what.
func captureWindow(res *correlate.Result) (*Window, string) {
	o := res.Overlap
	w := &Window{
		Start: o.Start.Format(time.RFC3339Nano), End: o.End.Format(time.RFC3339Nano),
		LANStartsAfterS: round3(o.LANFirst.Sub(o.WANFirst).Seconds()),
		LANEndsBeforeS:  round3(o.WANLast.Sub(o.LANLast).Seconds()),
		OutsideLAN:      res.Outside[correlate.SideLANi], OutsideWAN: res.Outside[correlate.SideWANi],
		OutsideSIP: res.OutsideSIP,
	}
	if w.OutsideLAN+w.OutsideWAN == 0 {
		return w, ""
	}
	var when []string
	switch {
	case w.LANStartsAfterS > 0:
		when = append(when, fmt.Sprintf("the LAN capture starts %.1f s after the WAN capture", w.LANStartsAfterS))
	case w.LANStartsAfterS < 0:
		when = append(when, fmt.Sprintf("the WAN capture starts %.1f s after the LAN capture", -w.LANStartsAfterS))
	}
	switch {
	case w.LANEndsBeforeS > 0:
		when = append(when, fmt.Sprintf("the LAN capture ends %.1f s before the WAN capture", w.LANEndsBeforeS))
	case w.LANEndsBeforeS < 0:
		when = append(when, fmt.Sprintf("the WAN capture ends %.1f s before the LAN capture", -w.LANEndsBeforeS))
	}
	if len(when) == 0 {
		when = append(when, "the captures start and end within a second of each other")
	}
	return w, fmt.Sprintf("capture window: %s; %d packet(s) (%d SIP message(s)) seen on one side only lie outside the other "+
		"capture's time (state \"outside\": not dropped, not generated: whether the router forwarded them is not shown; "+
		"conclusions about them rest on the one side seen)", strings.Join(when, "; "), w.OutsideLAN+w.OutsideWAN, w.OutsideSIP)
}

func round3(v float64) float64 {
	if r := math.Round(v*1000) / 1000; r != 0 {
		return r
	}
	return 0 // not -0
}
