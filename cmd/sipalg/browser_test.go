package main

// The browser tests drive headless Chromium through chromedp (the Chrome
// DevTools Protocol over a pipe, pure Go). browser wraps the few calls
// they make: navigate and wait for the report's script, evaluate
// JavaScript, take a screenshot, and collect what a page must never do.

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// browserCallTimeout bounds one call to the browser: a report page that
// needs longer is broken.
const browserCallTimeout = 60 * time.Second

// chromiumPath finds the browser: $SIPALG_CHROMIUM, else Debian's
// /usr/bin/chromium, else chromium or google-chrome on $PATH.
func chromiumPath() string {
	if p := os.Getenv("SIPALG_CHROMIUM"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser is one headless Chromium with one page.
type browser struct {
	t   *testing.T
	ctx context.Context // the page's chromedp context

	mu sync.Mutex
	// problems collects uncaught exceptions and console/CSP errors.
	problems []string
}

// startChromium starts the browser with one page of the given viewport, or
// skips the test when no Chromium is installed.
func startChromium(t *testing.T, width, height int) *browser {
	t.Helper()
	bin := chromiumPath()
	if bin == "" {
		t.Skip("Chromium not installed (apt-get install chromium, or set SIPALG_CHROMIUM): browser test skipped")
	}
	var stderr syncBuffer
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(width, height),
		chromedp.Flag("hide-scrollbars", true), chromedp.Flag("mute-audio", true),
		chromedp.Flag("force-device-scale-factor", "1"),
		chromedp.CombinedOutput(&stderr))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	b := &browser{t: t, ctx: ctx}
	t.Cleanup(func() {
		cancel() // closes the browser
		cancelAlloc()
		if t.Failed() && stderr.Len() > 0 {
			var keep []string // D-Bus complaints of a headless container are noise
			for _, l := range strings.Split(stderr.String(), "\n") {
				if !strings.Contains(l, "dbus") {
					keep = append(keep, l)
				}
			}
			t.Logf("chromium output (tail): %s", tail(strings.Join(keep, "\n"), 2000))
		}
	})
	// The first call starts the browser, which lives as long as the context
	// of that call: it must be ctx itself, not one with a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	if err := chromedp.Listen(ctx, b.event); err != nil {
		t.Fatal(err)
	}
	for _, step := range []func(context.Context) error{
		func(ctx context.Context) error { _, err := chromedp.Call(ctx, log.Enable, struct{}{}); return err },
		func(ctx context.Context) error {
			_, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
				Width: int64(width), Height: int64(height), DeviceScaleFactor: 1})
			return err
		},
	} {
		tctx, cancel := context.WithTimeout(ctx, browserCallTimeout)
		err := step(tctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// syncBuffer is the browser's output, written by chromedp's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Len() int { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Len() }

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// event records what a page must never do: throw, or log an error (a
// Content-Security-Policy violation is logged as one).
func (b *browser) event(ev any) {
	var p string
	switch e := ev.(type) {
	case *runtime.EventExceptionThrown:
		if d := e.ExceptionDetails; d != nil {
			p = "exception: " + d.Text
			if d.Exception != nil {
				p += " " + d.Exception.Description
			}
		}
	case *log.EventEntryAdded:
		if e.Entry != nil && e.Entry.Level == log.EntryLevelError {
			p = "console error: " + e.Entry.Text + " " + e.Entry.URL
		}
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError {
			var args []string
			for _, a := range e.Args {
				args = append(args, a.Description+string(a.Value))
			}
			p = "console.error called: " + strings.Join(args, " ")
		}
	}
	if p != "" {
		b.mu.Lock()
		b.problems = append(b.problems, p)
		b.mu.Unlock()
	}
}

// do runs steps with the call timeout.
func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(b.ctx, browserCallTimeout)
	defer cancel()
	return chromedp.Do(ctx, steps...)
}

// navigate loads url and waits until the report's script has run (it sets
// data-ready on <html>).
func (b *browser) navigate(url string) {
	b.t.Helper()
	if err := b.do(chromedp.Navigate(url)); err != nil {
		b.t.Fatalf("navigate %s: %v", url, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var ready string
		if err := b.eval(`document.readyState === 'complete' && document.documentElement.getAttribute('data-ready') || ''`, &ready); err == nil && ready == "1" {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.t.Fatalf("%s: the report's script did not finish in 30 s; problems: %q", url, b.takeProblems())
}

// eval runs a JavaScript expression (a promise is awaited, as a user's
// gesture) and decodes its JSON-able value into out.
func (b *browser) eval(expr string, out any) error {
	ctx, cancel := context.WithTimeout(b.ctx, browserCallTimeout)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise, func(p *runtime.EvaluateParams) {
		gesture := true
		p.UserGesture = &gesture
	}))
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

func (b *browser) mustEval(expr string, out any) {
	b.t.Helper()
	if err := b.eval(expr, out); err != nil {
		b.t.Fatalf("evaluate: %v", err)
	}
}

// screenshot writes a PNG of the page: the viewport's width, from y down
// to the end of the page or maxHeight pixels.
func (b *browser) screenshot(path string, y, maxHeight int) {
	b.t.Helper()
	var size struct{ W, H float64 }
	b.mustEval(`({W: document.documentElement.clientWidth, H: document.documentElement.scrollHeight})`, &size)
	ctx, cancel := context.WithTimeout(b.ctx, browserCallTimeout)
	defer cancel()
	beyond := true
	shot, err := chromedp.Call(ctx, page.CaptureScreenshot, page.CaptureScreenshotParams{
		Format: page.CaptureScreenshotFormatPng, CaptureBeyondViewport: &beyond,
		Clip: &page.Viewport{X: 0, Y: float64(y), Width: size.W, Height: min(size.H-float64(y), float64(maxHeight)), Scale: 1},
	})
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(path, shot.Data, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func (b *browser) takeProblems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.problems
	b.problems = nil
	return p
}

// TestBrowserSeesPageErrors proves the collector the browser tests rely
// on: an uncaught exception and a console.error on a page are reported.
func TestBrowserSeesPageErrors(t *testing.T) {
	path := t.TempDir() + "/errors.html"
	page := `<!doctype html><html><body><script>
console.error("logged on purpose");
setTimeout(() => { throw new Error("thrown on purpose"); }, 0);
setTimeout(() => document.documentElement.setAttribute("data-ready", "1"), 10);
</script></body></html>`
	if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	b := startChromium(t, 800, 600)
	b.navigate("file://" + path)
	time.Sleep(100 * time.Millisecond) // events arrive after the page's script
	got := strings.Join(b.takeProblems(), "\n")
	for _, want := range []string{"logged on purpose", "thrown on purpose"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems %q: nothing about %q", got, want)
		}
	}
}
