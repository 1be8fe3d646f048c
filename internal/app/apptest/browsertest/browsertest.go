// Package browsertest holds what the browser tests of the admin UI and the
// public pages share: one headless Chromium per test binary, tabs of it,
// and screenshots.
package browsertest

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// update rewrites docs/screenshots (also with KIZUKAI_UPDATE_SCREENSHOTS=1);
// normal runs only take the screenshots, to prove the pages render.
var update = flag.Bool("update", false, "rewrite docs/screenshots")

const chromiumPath = "/usr/bin/chromium"

// One browser per test binary; each test opens its own tabs.
var browser struct {
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	err    error
}

// Close stops the browser, if one was started; call it from TestMain.
func Close() {
	if browser.cancel != nil {
		browser.cancel()
	}
}

// Tab returns a new tab of the shared headless Chromium at width × height
// (emulating a phone when mobile), in a browser context of its own (its
// own cookies, so two staff can be signed in at once), or skips the test
// when Chromium is absent (fails instead with KIZUKAI_REQUIRE_CHROMIUM=1).
func Tab(t *testing.T, width, height int64, mobile bool) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("KIZUKAI_REQUIRE_CHROMIUM") == "1" {
			t.Fatalf("chromium is required (KIZUKAI_REQUIRE_CHROMIUM=1) but %s is missing", chromiumPath)
		}
		t.Skipf("browser test skipped: %s is missing (apt-get install chromium; set KIZUKAI_REQUIRE_CHROMIUM=1 to fail instead)", chromiumPath)
	}
	browser.once.Do(func() {
		actx, acancel := chromedp.NewExecAllocator(context.Background(),
			chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
			chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("disable-dev-shm-usage", true),
			// Tests run in parallel tabs, and only one is in front: keep
			// the tabs behind it painting and their timers running.
			chromedp.Flag("disable-renderer-backgrounding", true), chromedp.Flag("disable-background-timer-throttling", true),
			chromedp.Flag("disable-backgrounding-occluded-windows", true))
		bctx, bcancel := chromedp.NewContext(actx)
		browser.err = chromedp.Do(bctx) // start the browser once
		browser.ctx, browser.cancel = bctx, func() { bcancel(); acancel() }
	})
	if browser.err != nil {
		t.Fatalf("start chromium: %v", browser.err)
	}
	ctx, cancel := chromedp.NewContext(browser.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 120*time.Second)
	t.Cleanup(cancelTimeout)
	var opts []chromedp.EmulateViewportOption
	if mobile {
		opts = []chromedp.EmulateViewportOption{chromedp.EmulatePortrait, chromedp.EmulateMobile}
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, height, opts...)); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// Shot takes a full-page screenshot of the tab and, when updating, saves
// it as docs/screenshots/<name>.png (the test runs in internal/<package>).
func Shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := capture(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(png) == 0 {
		t.Fatalf("empty screenshot %s", name)
	}
	if !*update && os.Getenv("KIZUKAI_UPDATE_SCREENSHOTS") != "1" {
		return
	}
	dir := filepath.Join("..", "..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// capture takes a full-page screenshot of the tab in ctx. Chromium
// sometimes never delivers the frame a capture waits for when it comes
// right after a same-document update (a fetch that fills a preview, with
// other tabs busy), and the capture then waits until the tab's deadline.
// So capture first lets the page paint (two animation frames, bounded: a
// tab that paints no frames is tried anyway), bounds each capture, and
// tries three times.
func capture(ctx context.Context) ([]byte, error) {
	var err error
	for range 3 {
		fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, _ = chromedp.Run(fctx, chromedp.Evaluate[bool](
			`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, chromedp.EvalAwaitPromise))
		cancel()
		sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		var png []byte
		png, err = chromedp.Run(sctx, chromedp.FullScreenshot(100))
		cancel()
		if err == nil || ctx.Err() != nil {
			return png, err
		}
	}
	return nil, err
}
