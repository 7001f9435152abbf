package main

import (
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
	"time"
)

// crossCore measures how long two goroutines on two threads take to
// hand a value back and forth through one cache line: the median of
// five bursts of 100,000 round trips, in ns.
//
// Why (2026-12, issue 15): this machine's two vCPUs sit near each other
// most of the time (a round trip of 70-130 ns) and, for minutes at a
// time, far apart (330-390 ns). The bare read loop and analyze's first
// pass (each side on its own core, nothing shared) do not notice; the
// second pass, goroutines handing batches to each other, takes 0.7
// s instead of 0.45 s on the large RTP pair. The large section prints
// the round trip so that its ratio can be read with the state it was
// measured in.
func crossCore() time.Duration {
	if runtime.GOMAXPROCS(0) < 2 {
		return 0
	}
	const n = 100_000
	var rts []time.Duration
	for range 5 {
		var x atomic.Int64
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := int64(1); i < 2*n; i += 2 {
				for x.Load() != i {
				}
				x.Store(i + 1)
			}
		}()
		t0 := time.Now()
		for i := int64(0); i < 2*n; i += 2 {
			for x.Load() != i {
			}
			x.Store(i + 1)
		}
		<-done
		rts = append(rts, time.Since(t0)/n)
	}
	slices.Sort(rts)
	return rts[len(rts)/2]
}

// apartRoundTrip separates the two states crossCore tells apart on the
// development machine.
const apartRoundTrip = 200 * time.Nanosecond

func nanos(ds []time.Duration) []int64 {
	out := make([]int64, len(ds))
	for i, d := range ds {
		out[i] = d.Nanoseconds()
	}
	return out
}

// medianOf describes the median of rs and how many there are.
func medianOf(rs []float64) string {
	if len(rs) == 0 {
		return "no round"
	}
	s := slices.Clone(rs)
	slices.Sort(s)
	return fmt.Sprintf("%.2f× (%d rounds, %.2f–%.2f)", s[len(s)/2], len(s), s[0], s[len(s)-1])
}
