package correlate

import (
	"errors"
	"fmt"
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
}

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
			fp.inv[i], warns[i], errs[i] = scanFirst(src, opt, s, fp.keys[i], &failed)
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
func scanFirst(src capture.Source, opt Options, s *sampler, keys *sipKeys, failed *atomic.Bool) (*inventory.Summary, []string, error) {
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
	warns = append(warns, r.Notes()...)
	var sum *inventory.Summary
	if inv != nil {
		sum = inv.Summary(r, &sc.D.Stats)
		sum.Interface = src.Iface.Label()
	}
	return sum, warns, nil
}
