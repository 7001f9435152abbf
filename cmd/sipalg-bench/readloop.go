package main

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/sipalg/sipalg/analyze/capture"
)

// readLoopResult is what the bare loop saw of one file.
type readLoopResult struct {
	packets, udp, tcp int
	bytes             int64
	err               error
}

// readLoop is the baseline every analyze figure is compared with: the
// records read without copying (capture.Reader hands out slices of its
// buffer) and decoded by one gopacket DecodingLayerParser down to UDP and
// TCP, nothing else. It reads with capture.Reader, sipalg's own reader,
// not gopacket's pcapgo readers, which copy every record and measured 1.5
// to 2.3 times slower (docs/decisions.md).
func readLoop(path string) readLoopResult {
	var res readLoopResult
	r, err := capture.Open(path)
	if err != nil {
		res.err = err
		return res
	}
	defer r.Close()
	var (
		eth   layers.Ethernet
		dot1q layers.Dot1Q
		ip4   layers.IPv4
		ip6   layers.IPv6
		udp   layers.UDP
		tcp   layers.TCP
		pay   gopacket.Payload
	)
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &dot1q, &ip4, &ip6, &udp, &tcp, &pay)
	parser.IgnoreUnsupported = true
	decoded := make([]gopacket.LayerType, 0, 8)
	var rec capture.Record
	for {
		if err := r.Next(&rec); err != nil {
			if !errors.Is(err, io.EOF) {
				res.err = err
			}
			return res
		}
		res.packets++
		res.bytes += int64(rec.CapLen)
		_ = parser.DecodeLayers(rec.Data, &decoded) // errors count as nothing here, as in a bare loop
		for _, t := range decoded {
			switch t {
			case layers.LayerTypeUDP:
				res.udp++
			case layers.LayerTypeTCP:
				res.tcp++
			}
		}
	}
}

// runReadLoop reads every file given, each in its own goroutine (as
// analyze reads its two sides), or with -seq one after the other, and
// prints the totals.
func runReadLoop(args []string, stdout, stderr io.Writer) int {
	seq := len(args) > 0 && args[0] == "-seq"
	if seq {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: sipalg-bench readloop [-seq] FILE...")
		return 2
	}
	res := make([]readLoopResult, len(args))
	var wg sync.WaitGroup
	for i, p := range args {
		if seq {
			res[i] = readLoop(p)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i] = readLoop(p)
		}()
	}
	wg.Wait()
	var total readLoopResult
	for i, r := range res {
		if r.err != nil {
			fmt.Fprintf(stderr, "sipalg-bench: %s: %v\n", args[i], r.err)
			return 1
		}
		total.packets += r.packets
		total.udp += r.udp
		total.tcp += r.tcp
		total.bytes += r.bytes
	}
	fmt.Fprintf(stdout, "%d packets (%d UDP, %d TCP), %d bytes captured\n", total.packets, total.udp, total.tcp, total.bytes)
	return 0
}
