package main

// This file holds every use of tablewriter: rendering only, no analysis.

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"

	"github.com/sipalg/sipalg/analyze"
	"github.com/sipalg/sipalg/analyze/inventory"
)

func renderFlows(w io.Writer, s *inventory.Summary) error {
	format := string(s.Format)
	if s.Compressed {
		format += " (gzip)"
	}
	var lts []string
	for name, n := range s.LinkTypes {
		lts = append(lts, fmt.Sprintf("%s ×%d", name, n))
	}
	sort.Strings(lts)
	fmt.Fprintf(w, "File:        %s\n", s.File)
	fmt.Fprintf(w, "Format:      %s, %d interface(s)\n", format, len(s.Interfaces))
	fmt.Fprintf(w, "Link types:  %s\n", strings.Join(lts, ", "))
	fmt.Fprintf(w, "Packets:     %d (%d bytes)\n", s.Packets, s.Bytes)
	if s.First != 0 {
		fmt.Fprintf(w, "Time span:   %s … %s (%s)\n", time.Unix(0, s.First).UTC().Format("2006-01-02 15:04:05.000000"),
			time.Unix(0, s.Last).UTC().Format("15:04:05.000000"), time.Duration(s.Last-s.First).Round(time.Millisecond))
	}
	fmt.Fprintf(w, "SIP:         %d message(s) (%d UDP, %d TCP) in %d frame(s), %d with parse errors\n",
		s.SIPMessages, s.SIPMessagesUDP, s.SIPMessagesTCP, s.SIPFrames, s.SIPMessagesWithErrors)
	if len(s.Diagnostics) > 0 {
		var ds []string
		for code, n := range s.Diagnostics {
			ds = append(ds, fmt.Sprintf("%s ×%d", code, n))
		}
		sort.Strings(ds)
		fmt.Fprintf(w, "Diagnostics: %s\n", strings.Join(ds, ", "))
	}
	fmt.Fprintln(w)
	t := tablewriter.NewWriter(w)
	// Eight narrow columns fit an 80-column terminal for IPv4 flows.
	t.Header("Proto", "Source", "Destination", "Kind", "Pkts →/←", "Bytes →/←", "Dur")
	for _, f := range s.Flows {
		if err := t.Append(f.Proto, f.A.String(), f.B.String(), string(f.Kind),
			strconv.Itoa(f.PacketsAB)+"/"+strconv.Itoa(f.PacketsBA),
			strconv.FormatInt(f.BytesAB, 10)+"/"+strconv.FormatInt(f.BytesBA, 10),
			time.Duration(f.Last-f.First).Round(time.Second).String()); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	for _, warn := range s.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	return nil
}

func renderAnalyze(w io.Writer, r *analyze.Report) error {
	fmt.Fprintf(w, "LAN: %s (%d packets, %d SIP)\n", r.Inputs["lan"].File, r.Inputs["lan"].Packets, r.Inputs["lan"].SIPMessages)
	fmt.Fprintf(w, "WAN: %s (%d packets, %d SIP)\n\n", r.Inputs["wan"].File, r.Inputs["wan"].Packets, r.Inputs["wan"].SIPMessages)
	c := r.Clock
	fmt.Fprintf(w, "Clock:   WAN = LAN %+.6f s, drift %.1f ppm, from %d packet pairs; router latency p50 %.3f ms, max %.3f ms\n",
		c.OffsetS, c.DriftPPM, c.MatchedPairs, c.RouterLatency.P50, c.RouterLatency.Max)
	n := r.NAT
	var pubs []string
	for _, a := range n.PublicAddresses {
		pubs = append(pubs, a.String())
	}
	pp := "unknown"
	if n.PortPreservation != nil {
		pp = strconv.FormatBool(*n.PortPreservation)
	}
	fmt.Fprintf(w, "NAT:     public %s, mapping %s, ports preserved: %s\n", strings.Join(pubs, ", "), n.MappingBehavior, pp)
	if n.BehaviorReason != "" {
		fmt.Fprintf(w, "         (%s)\n", n.BehaviorReason)
	}
	fmt.Fprintf(w, "UDP timeout: %s\n\n", bounds(n.UDPTimeout.Lower, n.UDPTimeout.Upper))
	t := tablewriter.NewWriter(w)
	t.Header("Kind", "LAN", "WAN", "Out/In", "Max idle", "Lifetime")
	for _, m := range r.Mappings {
		life := bounds(m.Lifetime.Lower, m.Lifetime.Upper)
		if m.Expired {
			life += " expired"
		}
		if m.DroppedInbound > 0 {
			life += fmt.Sprintf(", %d in dropped", m.DroppedInbound)
		}
		if err := t.Append(m.Proto+"/"+m.Kind.String(), m.LAN.String(), m.WAN.String(),
			fmt.Sprintf("%d/%d", m.PacketsOut, m.PacketsIn), fmt.Sprintf("%.1fs", m.MaxIdleS), life); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	return nil
}

// bounds prints an interval whose ends may be unknown.
func bounds(lo, hi *float64) string {
	f := func(v *float64) string {
		if v == nil {
			return "?"
		}
		return strconv.FormatFloat(*v, 'f', 1, 64) + "s"
	}
	if lo == nil && hi == nil {
		return "unknown"
	}
	return "[" + f(lo) + ", " + f(hi) + "]"
}
