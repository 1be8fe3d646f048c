package sms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
	"time"

	"github.com/kizukai/kizukai/internal/channel"
)

// DefaultTimeout bounds one request to a gateway when the config sets none.
const DefaultTimeout = 10 * time.Second

// maxReply is how much of a gateway's reply is read (and then discarded or
// decoded); the rest is dropped.
const maxReply = 64 << 10

// do sends req with c and reports whether the request was completely
// written before a transport error, which decides between Retryable (not
// sent) and Ambiguous (sent, reply lost).
func do(c *http.Client, req *http.Request) (*http.Response, error) {
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{WroteRequest: func(i httptrace.WroteRequestInfo) {
		if i.Err == nil {
			wrote.Store(true)
		}
	}}
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	res, err := c.Do(req)
	if err == nil {
		return res, nil
	}
	// *url.Error names the URL, which may hold a shop's gateway token in its
	// query: keep only the kind of failure.
	kind := "connection failed"
	if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		kind = "timed out"
	} else if errors.Is(err, context.Canceled) {
		kind = "canceled"
	}
	if wrote.Load() {
		return nil, channel.Ambiguous(fmt.Errorf("request sent, reply lost: %s", kind))
	}
	return nil, channel.Retryable(fmt.Errorf("request not sent: %s", kind))
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// drain reads at most maxReply bytes of res's body and closes it, so the
// connection can be reused.
func drain(res *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxReply))
	_ = res.Body.Close()
}

// temporary4xx are the 4xx replies that mean "not now" rather than "never":
// timeout, an idempotent request still in flight (IETF idempotency-key
// draft), and rate limiting.
func temporary4xx(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusConflict || code == http.StatusTooManyRequests
}

// newHTTPClient returns the client for a provider: the given one, or one
// with the timeout.
func newHTTPClient(c *http.Client, timeout time.Duration) *http.Client {
	if c != nil {
		return c
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &http.Client{Timeout: timeout}
}
