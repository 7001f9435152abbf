package correlate

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/flowcache"
	"github.com/sipalg/sipalg/analyze/inventory"
)

// firstPass is what the first pass found of both sides.
type firstPass struct {
	inv   [2]*inventory.Summary // with Options.Inventory
	keys  [2]*sipKeys           // for the second pass to replay
	cut   [2]cutCount
	warns []string
	// spans are each capture's first and last timestamp (own clock, Unix
	// ns; zero when it has none): what a stream's counts and the capture
	// window (pairer.runs) rest on.
	spans [2]span
	// hosts is, per side, the addresses seen (see pairer.runs).
	hosts [2]*hostTimes
	// logs are the sides' event logs for the second pass, nil where none
	// could be written (see logWriter); whoever ends the run closes them.
	logs [2]*eventLog
}

// closeLogs closes the event logs the second pass did not take.
func (fp *firstPass) closeLogs() {
	for i, l := range fp.logs {
		l.close()
		fp.logs[i] = nil
	}
}

// cutCount is what a capture's snap length cut on one side.
type cutCount struct {
	snaplen    int // the smallest snap length of the side's interfaces; 0: none
	sip, other int // SIP messages and other UDP datagrams cut
}

type span struct{ first, last int64 }

// readFirst is the first pass: both sides read in parallel, each packet's
// key into its side's sampler (for the clock) and, with Options.Inventory,
// into its side's inventory, so that analyze reads each capture twice in
// all, not three times (issue 9). Errors are the capture's own (an
// InputError names file, record and offset), of both sides.
func readFirst(lan, wan capture.Source, opt Options, ls, ws *sampler) (*firstPass, error) {
	var fp firstPass
	var errs [2]error
	var warns [2][]string
	var wg sync.WaitGroup
	var failed atomic.Bool // one side failed: the other stops early
	for i, src := range []capture.Source{lan, wan} {
		s := ls
		if i == 1 {
			s = ws
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			fp.keys[i] = &sipKeys{}
			fp.hosts[i] = newHostTimes()
			var lw *logWriter
			if !opt.noEventLog {
				lw, _ = newLogWriter(opt.TempDir) // none: the second pass reads the capture
			}
			fp.inv[i], warns[i], errs[i] = scanFirst(src, opt, s, fp.keys[i], &fp.cut[i], &failed, &fp.spans[i], fp.hosts[i], lw)
			if errs[i] != nil {
				failed.Store(true)
			}
			if lw != nil && errs[i] == nil {
				fp.logs[i] = lw.finish()
			} else if lw != nil {
				lw.abandon()
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs[0], errs[1]); err != nil {
		fp.closeLogs()
		return nil, err
	}
	fp.warns = append(warns[0], warns[1]...)
	return &fp, nil
}

// scanFirst is the first pass over one side; it gives up, with no error
// of its own, once failed is set.
func scanFirst(src capture.Source, opt Options, s *sampler, keys *sipKeys, cut *cutCount, failed *atomic.Bool, sp *span, hosts *hostTimes, lw *logWriter) (*inventory.Summary, []string, error) {
	r, err := capture.OpenSource(src)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	sc := capture.NewScanner(r, opt.Limits)
	memo := parseMemo{lite: opt.NoSIPDiagnostics}
	keys.parse = memo.parse
	var inv *inventory.Counter
	if opt.Inventory {
		inv = inventory.NewCounter(r, opt.MaxFlows)
		inv.Parse = memo.parse
		inv.SIPCountOnly = opt.NoSIPDiagnostics
	}
	var warns []string
	sample := func(e *event, data []byte) bool {
		s.add(e)
		if lw != nil {
			lw.event(e, data)
		}
		return true
	}
	var e event
	// The first pass's events are read during sample only: they point
	// to a flow of the packet's own, made anew for each.
	var ep flowKey
	// The first pass numbers each flow as the second would, for the
	// inventory, the host table and the event log to find theirs by
	// number.
	var flows flowIDs
	// The span is counted here and stored at the end: sp is next to the
	// other side's, which its goroutine writes as often.
	var span span
	for n, p := 0, sc.Next(); p != nil; n, p = n+1, sc.Next() {
		if n%4096 == 0 && failed.Load() {
			return nil, nil, nil
		}
		memo.ok = false // the buffer a message was parsed from is reused
		if span.first == 0 || p.TS < span.first {
			span.first = p.TS
		}
		span.last = max(span.last, p.TS)
		var flow int32
		// Only UDP and TCP: an ICMP error from the router's public
		// address did not come from the LAN (see pairer.runs).
		if p.Proto == capture.ProtoUDP || p.Proto == capture.ProtoTCP {
			var first bool
			flow, first = flows.id(p.Proto, p.Src, p.Dst, p.TS)
			hosts.addFlow(flow, first, p.Src.Addr(), p.Dst.Addr(), p.TS)
		}
		sip := inventory.UDPSIP(p)
		// The packet's events before the inventory's count: the twin
		// key, a chain of dependent multiplications (FNV over RTP's
		// header, see udpKey), is computed while the count waits for
		// its record's cache line. ep is written field by field, for
		// the reason packetEvents gives.
		//
		// Why (2026-12, issue 15): first pass alone on the large RTP
		// pair, 1.580 s -> 1.543 s CPU (median of 13 alternated runs;
		// twice), the events last as they were.
		ep.proto, ep.src, ep.dst = p.Proto, p.Src, p.Dst
		packetEvents(p, sip, keys, flow, &ep, &e, sample)
		if inv != nil {
			inv.AddNumbered(p, flow, sip)
		}
		if p.Cut > 0 { // a UDP packet's (capture.Packet.Cut)
			if sip {
				cut.sip++
			} else {
				cut.other++
			}
		}
		if lw != nil && (p.Proto == capture.ProtoICMP || p.Proto == capture.ProtoICMPv6) {
			if u, ok := capture.ParseUnreachable(p); ok {
				lw.unreachable(u, p.Proto)
			}
		}
	}
	*sp = span
	hosts.finish(&flows)
	keys.parse = nil // its memo holds the last message, in the read buffer
	for _, ifc := range r.Interfaces() {
		if ifc.Snaplen > 0 && (cut.snaplen == 0 || ifc.Snaplen < cut.snaplen) {
			cut.snaplen = ifc.Snaplen
		}
	}
	if cut.sip+cut.other > 0 {
		warns = append(warns, cut.warning(src))
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	if t := r.Truncated(); t != nil {
		warns = append(warns, fmt.Sprintf("%s: %s", src, t.String()))
	}
	warns = append(warns, r.Notes()...)
	var sum *inventory.Summary
	if inv != nil {
		sum = inv.Summary(r, &sc.D.Stats)
		sum.Interface = src.Iface.Label()
	}
	return sum, warns, nil
}

// warning says what the snap length cut and what the analysis does about it.
func (c cutCount) warning(src capture.Source) string {
	snap := "its snap length"
	if c.snaplen > 0 {
		snap = fmt.Sprintf("its snap length (%d bytes)", c.snaplen)
	}
	return fmt.Sprintf("%s: the capture was cut by %s: %d SIP message(s) and %d other UDP datagram(s) (RTP and the rest) lost their end. "+
		"SIP is paired by what survives (start line and top Via branch), RTP by its header; fields beyond the cut are not compared, "+
		"and a message or datagram that could not be paired is reported as unpaired, never as dropped or generated by the router",
		src, snap, c.sip, c.other)
}

// hostTimes is what the first pass keeps of one side's addresses: each
// source's first and last packet time, and the destinations, at most
// maxSources of each. The last source and destination are remembered, so
// that a run of packets of one flow costs no lookup.
type hostTimes struct {
	src      *flowcache.Table[netip.Addr, *[2]int64]
	dst      *flowcache.Table[netip.Addr, bool]
	lastSrc  netip.Addr
	lastSpan *[2]int64
	lastDst  netip.Addr
	// byFlow is, by flow number (addFlow), the times of the flow's
	// source, nil when the table of sources was full (it stays full).
	byFlow []*[2]int64
}

func newHostTimes() *hostTimes {
	return &hostTimes{src: flowcache.NewTable[netip.Addr, *[2]int64](maxSources), dst: flowcache.NewTable[netip.Addr, bool](maxSources)}
}

// hashAddr hashes an address for the tables of hostTimes.
func hashAddr(a netip.Addr) uint64 {
	return flowcache.AddrPort(flowcache.Seed(0), netip.AddrPortFrom(a, 0))
}

func (h *hostTimes) add(src, dst netip.Addr, ts int64) {
	if src != h.lastSrc || h.lastSpan == nil {
		hs := hashAddr(src)
		f, _ := h.src.Get(hs, src)
		if f == nil {
			f = &[2]int64{ts, ts}
			if !h.src.Put(hs, src, f) {
				return
			}
		}
		h.lastSrc, h.lastSpan = src, f
	}
	h.lastSpan[0], h.lastSpan[1] = min(h.lastSpan[0], ts), max(h.lastSpan[1], ts)
	if dst != h.lastDst {
		h.dst.Put(hashAddr(dst), dst, true)
		h.lastDst = dst
	}
}

// addFlow is add for a packet of flow number id (0: not numbered); first
// is whether it is the flow's first (see flowIDs.id). The flow's first
// packet looks its source and destination up, the later ones nothing:
// the flowIDs that numbers the flows keeps their times, which finish
// folds into their sources'. A flow's later packets have the same
// addresses, and the tables only grow, so add would find what the first
// found.
//
// Why (2026-12, issue 15): two map lookups per packet, then a write per
// packet to the source's times (small objects that the two sides'
// goroutines may allocate next to each other); then a record of the
// flow's own times, by flow number, a cache miss per packet on the large
// RTP pair, which flowIDs' slot of the flow (read for its number
// anyway) now holds.
func (h *hostTimes) addFlow(id int32, first bool, src, dst netip.Addr, ts int64) {
	if id <= 0 {
		h.add(src, dst, ts)
		return
	}
	if !first {
		return
	}
	h.add(src, dst, ts)
	h.byFlow = growFor(h.byFlow, id)
	if src == h.lastSrc {
		h.byFlow[id] = h.lastSpan
	}
}

// finish folds the numbered flows' times, kept by flows, into their
// sources'.
func (h *hostTimes) finish(flows *flowIDs) {
	flows.times(func(id int32, first, last int64) {
		if int(id) < len(h.byFlow) {
			if sp := h.byFlow[id]; sp != nil {
				sp[0], sp[1] = min(sp[0], first), max(sp[1], last)
			}
		}
	})
}

// names reports whether the side saw a as a source or destination.
func (h *hostTimes) names(a netip.Addr) bool {
	ha := hashAddr(a)
	_, src := h.src.Get(ha, a)
	_, dst := h.dst.Get(ha, a)
	return src || dst
}
