package main

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// -html-report names an HTML report to open in headless Chromium and
// measure (make bench, section sipheavy, runs it on the reports of the
// SIP-heavy pairs).
var htmlReportPath = flag.String("html-report", "", "an HTML report to load in headless Chromium and measure (TestHTMLLoadTime)")

// TestHTMLLoadTime loads the report named by -html-report and logs, on a
// line starting "HTML load: ", how long the page took until its script
// was done, the file's size, the dialogs and finding rows it lists and
// the page's JavaScript heap. Without the flag it skips: it measures a
// report someone made, it checks nothing of its own beyond the page
// loading without errors.
func TestHTMLLoadTime(t *testing.T) {
	if *htmlReportPath == "" {
		t.Skip("no -html-report FILE: nothing to measure")
	}
	path, err := filepath.Abs(*htmlReportPath)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	b := startChromium(t, 1400, 1000)
	start := time.Now()
	b.navigateWithin("file://"+path, 5*time.Minute)
	load := time.Since(start)
	var got struct {
		Dialogs, Rows int
		HeapMB        float64
	}
	b.mustEval(`({Dialogs: document.querySelectorAll('#dialogs details.dialog').length,
		Rows: document.querySelectorAll('#findings tbody tr').length,
		HeapMB: performance.memory ? performance.memory.usedJSHeapSize / 1e6 : 0})`, &got)
	pageProblems(t, b)
	t.Logf("HTML load: %.2f s in headless Chromium, %.1f MB, %d dialogs and %d finding rows listed, JS heap %.0f MB",
		load.Seconds(), float64(st.Size())/1e6, got.Dialogs, got.Rows, got.HeapMB)
}
