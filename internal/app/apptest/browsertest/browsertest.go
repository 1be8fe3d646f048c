// Package browsertest holds what the browser tests of the admin UI and the
// public pages share.
package browsertest

import (
	"context"
	"time"

	"github.com/chromedp/chromedp"
)

// Capture takes a full-page screenshot of the tab in ctx. Chromium
// sometimes never delivers the frame a capture waits for when it comes
// right after a same-document update (a fetch that fills a preview, with
// other tabs busy), and the capture then waits until the tab's deadline.
// So Capture first lets the page paint (two animation frames, bounded: a
// tab that paints no frames is tried anyway), bounds each capture, and
// tries three times.
func Capture(ctx context.Context) ([]byte, error) {
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
