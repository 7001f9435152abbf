package analyze_test

import (
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/sipalg/sipalg/analyze"
)

func TestProfSIPHeavy(t *testing.T) {
	dir := os.Getenv("SH_DIR")
	if dir == "" {
		t.Skip("no SH_DIR")
	}
	stop := make(chan bool)
	go func() {
		var peak uint64
		for {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak {
				peak = ms.HeapInuse
				h, _ := os.Create("/tmp/sh/peak.prof")
				pprof.Lookup("heap").WriteTo(h, 0)
				h.Close()
				t.Log("peak heap inuse MiB", peak>>20)
			}
		}
	}()
	defer close(stop)
	f, _ := os.Create("/tmp/sh/cpu.prof")
	pprof.StartCPUProfile(f)
	rep, err := analyze.Run(dir+"/lan.pcap", dir+"/wan.pcap", analyze.Options{Stream: true})
	pprof.StopCPUProfile()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Log("heap sys MiB", ms.HeapSys>>20, "total alloc MiB", ms.TotalAlloc>>20)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep.Verdict)
	h, _ := os.Create("/tmp/sh/heap.prof")
	pprof.WriteHeapProfile(h)
	h.Close()
}

func init() { runtime.MemProfileRate = 64 << 10 }
