package main

// A minimal Chrome DevTools Protocol client for the browser tests: it
// starts headless Chromium with --remote-debugging-pipe and talks CDP over
// the pipe (file descriptors 3 and 4, messages ended by NUL), so the tests
// need neither a WebSocket library nor node. The calls used are all in the
// stable protocol: Target.createTarget/attachToTarget, Page.navigate,
// Runtime.evaluate, Page.captureScreenshot, Browser.close.
//
// Why not puppeteer-core or playwright-core from npm (2026-11): they would
// add node and a package install to CI for the same dozen calls, and
// chromium --dump-dom cannot click. The pipe is what Playwright itself uses.

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

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

type cdpBrowser struct {
	t       *testing.T
	cmd     *exec.Cmd
	out     *os.File // our end of the browser's fd 3
	mu      sync.Mutex
	nextID  int
	pending map[int]chan cdpMessage
	// problems collects uncaught exceptions and console/CSP errors.
	problems []string
	session  string
	done     chan struct{}
}

type cdpMessage struct {
	ID        int             `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// startChromium starts the browser with one page attached, or skips the
// test when no Chromium is installed.
func startChromium(t *testing.T, width, height int) *cdpBrowser {
	t.Helper()
	bin := chromiumPath()
	if bin == "" {
		t.Skip("Chromium not installed (apt-get install chromium, or set SIPALG_CHROMIUM): browser test skipped")
	}
	inR, inW, err := os.Pipe() // browser reads commands on fd 3
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe() // browser writes replies on fd 4
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
		"--user-data-dir="+t.TempDir(), "--no-first-run", "--no-default-browser-check",
		"--disable-extensions", "--disable-dev-shm-usage", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--hide-scrollbars", "--mute-audio",
		"--force-device-scale-factor=1", fmt.Sprintf("--window-size=%d,%d", width, height),
		"about:blank")
	cmd.ExtraFiles = []*os.File{inR, outW}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	inR.Close()
	outW.Close()
	b := &cdpBrowser{t: t, cmd: cmd, out: inW, pending: map[int]chan cdpMessage{}, done: make(chan struct{})}
	go b.read(outR)
	t.Cleanup(func() {
		b.callSession("", "Browser.close", nil) // best effort; the kill below ends it anyway
		inW.Close()
		select {
		case <-b.done:
		case <-time.After(5 * time.Second):
		}
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() && stderr.Len() > 0 {
			var keep []string // D-Bus complaints of a headless container are noise
			for _, l := range strings.Split(stderr.String(), "\n") {
				if !strings.Contains(l, "dbus") {
					keep = append(keep, l)
				}
			}
			t.Logf("chromium stderr (tail): %s", tail(strings.Join(keep, "\n"), 2000))
		}
	})
	var target struct {
		TargetID string `json:"targetId"`
	}
	b.mustCall("", "Target.createTarget", map[string]any{"url": "about:blank"}, &target)
	var att struct {
		SessionID string `json:"sessionId"`
	}
	b.mustCall("", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &att)
	b.session = att.SessionID
	for _, m := range []string{"Runtime.enable", "Log.enable", "Page.enable"} {
		b.mustCall(b.session, m, nil, nil)
	}
	b.mustCall(b.session, "Emulation.setDeviceMetricsOverride", map[string]any{
		"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}, nil)
	return b
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func (b *cdpBrowser) read(r *os.File) {
	defer close(b.done)
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		raw, err := br.ReadBytes(0)
		if err != nil {
			b.mu.Lock()
			for id, ch := range b.pending {
				close(ch)
				delete(b.pending, id)
			}
			b.mu.Unlock()
			return
		}
		var m cdpMessage
		if err := json.Unmarshal(raw[:len(raw)-1], &m); err != nil {
			continue
		}
		b.mu.Lock()
		if m.ID != 0 {
			if ch, ok := b.pending[m.ID]; ok {
				ch <- m
				delete(b.pending, m.ID)
			}
		} else {
			b.event(m)
		}
		b.mu.Unlock()
	}
}

// event records what a page must never do: throw, or log an error (a
// Content-Security-Policy violation is logged as one).
func (b *cdpBrowser) event(m cdpMessage) {
	switch m.Method {
	case "Runtime.exceptionThrown":
		var p struct {
			Details struct {
				Text      string `json:"text"`
				Exception struct {
					Description string `json:"description"`
				} `json:"exception"`
			} `json:"exceptionDetails"`
		}
		json.Unmarshal(m.Params, &p)
		b.problems = append(b.problems, "exception: "+p.Details.Text+" "+p.Details.Exception.Description)
	case "Log.entryAdded":
		var p struct {
			Entry struct {
				Level, Text, URL string
			} `json:"entry"`
		}
		json.Unmarshal(m.Params, &p)
		if p.Entry.Level == "error" {
			b.problems = append(b.problems, "console error: "+p.Entry.Text+" "+p.Entry.URL)
		}
	case "Runtime.consoleAPICalled":
		var p struct {
			Type string `json:"type"`
		}
		json.Unmarshal(m.Params, &p)
		if p.Type == "error" {
			b.problems = append(b.problems, "console.error called: "+string(m.Params))
		}
	}
}

func (b *cdpBrowser) callSession(session, method string, params any) (json.RawMessage, error) {
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan cdpMessage, 1)
	b.pending[id] = ch
	b.mu.Unlock()
	msg, err := json.Marshal(cdpMessage{ID: id, Method: method, SessionID: session, Params: mustJSON(params)})
	if err != nil {
		return nil, err
	}
	if _, err := b.out.Write(append(msg, 0)); err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return nil, fmt.Errorf("%s: browser closed the pipe", method)
		}
		if m.Error != nil {
			return nil, fmt.Errorf("%s: %s (%d)", method, m.Error.Message, m.Error.Code)
		}
		return m.Result, nil
	case <-time.After(60 * time.Second):
		return nil, fmt.Errorf("%s: no reply in 60 s", method)
	}
}

func mustJSON(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func (b *cdpBrowser) mustCall(session, method string, params, result any) {
	b.t.Helper()
	raw, err := b.callSession(session, method, params)
	if err != nil {
		b.t.Fatal(err)
	}
	if result != nil {
		if err := json.Unmarshal(raw, result); err != nil {
			b.t.Fatalf("%s: %v", method, err)
		}
	}
}

// navigate loads url and waits until the report's script has run (it sets
// data-ready on <html>).
func (b *cdpBrowser) navigate(url string) {
	b.t.Helper()
	b.navigateWithin(url, 30*time.Second)
}

// navigateWithin is navigate with a deadline of its own.
func (b *cdpBrowser) navigateWithin(url string, limit time.Duration) {
	b.t.Helper()
	b.mustCall(b.session, "Page.navigate", map[string]any{"url": url}, nil)
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		var ready string
		if err := b.eval(`document.readyState === 'complete' && document.documentElement.getAttribute('data-ready') || ''`, &ready); err == nil && ready == "1" {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.t.Fatalf("%s: the report's script did not finish in %v; problems: %q", url, limit, b.takeProblems())
}

// eval runs a JavaScript expression (a promise is awaited) and decodes its
// JSON-able value into out.
func (b *cdpBrowser) eval(expr string, out any) error {
	raw, err := b.callSession(b.session, "Runtime.evaluate", map[string]any{
		"expression": expr, "returnByValue": true, "awaitPromise": true, "userGesture": true})
	if err != nil {
		return err
	}
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return err
	}
	if r.ExceptionDetails != nil {
		return errors.New(r.ExceptionDetails.Text + " " + r.ExceptionDetails.Exception.Description)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(r.Result.Value, out)
}

func (b *cdpBrowser) mustEval(expr string, out any) {
	b.t.Helper()
	if err := b.eval(expr, out); err != nil {
		b.t.Fatalf("evaluate: %v", err)
	}
}

// screenshot writes a PNG of the page: the viewport's width, from y down
// to the end of the page or maxHeight pixels.
func (b *cdpBrowser) screenshot(path string, y, maxHeight int) {
	b.t.Helper()
	var size struct{ W, H float64 }
	b.mustEval(`({W: document.documentElement.clientWidth, H: document.documentElement.scrollHeight})`, &size)
	var shot struct {
		Data string `json:"data"`
	}
	b.mustCall(b.session, "Page.captureScreenshot", map[string]any{
		"format": "png", "captureBeyondViewport": true,
		"clip": map[string]any{"x": 0, "y": y, "width": size.W, "height": min(size.H-float64(y), float64(maxHeight)), "scale": 1},
	}, &shot)
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func (b *cdpBrowser) takeProblems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.problems
	b.problems = nil
	return p
}
