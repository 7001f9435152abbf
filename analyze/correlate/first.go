package correlate

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/sipalg/sipalg/analyze/capture"
	"github.com/sipalg/sipalg/analyze/inventory"
)

// firstPass is what the first pass found of both sides.
type firstPass struct {
	inv   [2]*inventory.Summary // with Options.Inventory
	keys  [2]*sipKeys           // for the second pass to replay
	warns []string
	// spans are each capture's first and last timestamp (own clock, Unix
	// ns; zero when it has none): what a stream's counts and the capture
	// window (pairer.runs) rest on.
	spans [2]span
	// hosts is, per side, the addresses seen (see pairer.runs).
	hosts [2]*hostTimes
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
			fp.inv[i], warns[i], errs[i] = scanFirst(src, opt, s, fp.keys[i], &failed, &fp.spans[i], fp.hosts[i])
			if errs[i] != nil {
				failed.Store(true)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs[0], errs[1]); err != nil {
		return nil, err
	}
	fp.warns = append(warns[0], warns[1]...)
	return &fp, nil
}

// scanFirst is the first pass over one side; it gives up, with no error
// of its own, once failed is set.
func scanFirst(src capture.Source, opt Options, s *sampler, keys *sipKeys, failed *atomic.Bool, sp *span, hosts *hostTimes) (*inventory.Summary, []string, error) {
	r, err := capture.OpenSource(src)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	sc := capture.NewScanner(r, opt.Limits)
	var memo parseMemo
	keys.parse = memo.parse
	var inv *inventory.Counter
	if opt.Inventory {
		inv = inventory.NewCounter(r, opt.MaxFlows)
		inv.Parse = memo.parse
	}
	sample := func(e event, _ []byte) bool {
		s.add(&e)
		return true
	}
	for n, p := 0, sc.Next(); p != nil; n, p = n+1, sc.Next() {
		if n%4096 == 0 && failed.Load() {
			return nil, nil, nil
		}
		memo.m = nil // the buffer a message was parsed from is reused
		if sp.first == 0 || p.TS < sp.first {
			sp.first = p.TS
		}
		sp.last = max(sp.last, p.TS)
		// Only UDP and TCP: an ICMP error from the router's public
		// address did not come from the LAN (see pairer.runs).
		if p.Proto == capture.ProtoUDP || p.Proto == capture.ProtoTCP {
			hosts.add(p.Src.Addr(), p.Dst.Addr(), p.TS)
		}
		if inv != nil {
			inv.Add(p)
		}
		packetEvents(p, keys, false, sample)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	var warns []string
	if t := r.Truncated(); t != nil {
		warns = append(warns, fmt.Sprintf("%s: %s", src, t.String()))
	}
	var sum *inventory.Summary
	if inv != nil {
		sum = inv.Summary(r, &sc.D.Stats)
		sum.Interface = src.Iface.Label()
	}
	return sum, warns, nil
}

// hostTimes is what the first pass keeps of one side's addresses: each
// source's first and last packet time, and the destinations, at most
// maxSources of each. The last source and destination are remembered, so
// that a run of packets of one flow costs no map operation.
type hostTimes struct {
	src      map[netip.Addr]*[2]int64
	dst      map[netip.Addr]bool
	lastSrc  netip.Addr
	lastSpan *[2]int64
	lastDst  netip.Addr
}

func newHostTimes() *hostTimes {
	return &hostTimes{src: map[netip.Addr]*[2]int64{}, dst: map[netip.Addr]bool{}}
}

func (h *hostTimes) add(src, dst netip.Addr, ts int64) {
	if src != h.lastSrc || h.lastSpan == nil {
		f := h.src[src]
		if f == nil {
			if len(h.src) >= maxSources {
				return
			}
			f = &[2]int64{ts, ts}
			h.src[src] = f
		}
		h.lastSrc, h.lastSpan = src, f
	}
	h.lastSpan[0], h.lastSpan[1] = min(h.lastSpan[0], ts), max(h.lastSpan[1], ts)
	if dst != h.lastDst {
		if len(h.dst) < maxSources {
			h.dst[dst] = true
		}
		h.lastDst = dst
	}
}

// names reports whether the side saw a as a source or destination.
func (h *hostTimes) names(a netip.Addr) bool { return h.src[a] != nil || h.dst[a] }
