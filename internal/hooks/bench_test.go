package hooks_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/smtp"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/channel/sms"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/delivery"
)

// benchRecipients is the recall size of the delivery benchmarks:
// KIZUKAI_BENCH_RECIPIENTS (100000 for the figures in docs/performance.md),
// 2000 by default.
func benchRecipients() int {
	if n, err := strconv.Atoi(os.Getenv("KIZUKAI_BENCH_RECIPIENTS")); err == nil && n > 0 {
		return n
	}
	return 2000
}

// BenchmarkRecall measures a whole recall (fan-out, policy, send, ledger)
// to a local generic gateway and to a local SMTP sink, in messages per
// second, next to the raw rate the same sink takes from a minimal client
// with the same concurrency (10 for HTTP: the runner's; 4 for SMTP: the
// email client's connections).
func BenchmarkRecall(b *testing.B) {
	engines := map[string]func(testing.TB) string{
		"sqlite":   func(t testing.TB) string { return "sqlite:" + filepath.Join(t.TempDir(), "k.db") },
		"postgres": dbtest.PostgresSchemaURL,
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		for _, ch := range []string{"sms", "email", "outbox"} {
			b.Run(engine+"/"+ch, func(b *testing.B) {
				if engine == "postgres" && os.Getenv("KIZUKAI_TEST_POSTGRES") == "" {
					b.Skip("KIZUKAI_TEST_POSTGRES not set")
				}
				for range b.N {
					benchRecall(b, engines[engine](b), ch)
				}
			})
		}
	}
}

func benchRecall(b *testing.B, dbURL, ch string) {
	b.StopTimer()
	n := benchRecipients()
	e := apptest.New(b, dbURL, apptest.Options{RealClock: true})
	bd := wire(e)
	var raw float64
	switch ch {
	case "outbox":
		raw = 1
	case "sms":
		gw := newGenericGateway(b, gatewaySecret)
		bd.api(b, "PUT", "/api/v1/channels/sms", map[string]any{"url": gw.URL, "secret": gatewaySecret, "sender_id": "S", "rate_per_second": 10000})
		raw = rawHTTP(b, gw.URL, n, 10)
		gw.mu.Lock()
		gw.posts, gw.first = nil, map[string]int{}
		gw.mu.Unlock()
	case "email":
		sink := newSMTPSink(b)
		bd.api(b, "PUT", "/api/v1/channels/email", map[string]any{"smtp_url": "smtp://" + sink.addr, "from": "info@shop.example",
			"starttls": "none", "rate_per_second": 10000})
		raw = rawSMTP(b, sink.addr, n, 4)
	}
	bd.Do("PUT", "/api/v1/policy", map[string]any{"quiet_start": "00:00", "quiet_end": "00:00"})
	at := time.Now().Add(-240 * time.Hour).UTC().Format(time.RFC3339)
	for start := 0; start < n; start += 1000 {
		var orders []map[string]any
		for i := start; i < min(n, start+1000); i++ {
			orders = append(orders, map[string]any{"external_id": fmt.Sprintf("o%d", i), "ordered_at": at, "channel": "online",
				"customer": map[string]any{"external_id": fmt.Sprintf("c%d", i), "phone": fmt.Sprintf("+8190%08d", 10000000+i),
					"email": fmt.Sprintf("c%d@example.jp", i)},
				"lines": []map[string]any{{"sku": "RC-1", "quantity": 1, "unit_price": 1000}}, "total": 1000})
		}
		if res := bd.Do("POST", "/api/v1/orders/batch", map[string]any{"orders": orders}); res.Status != 200 {
			b.Fatalf("orders: %d", res.Status)
		}
	}
	b.StartTimer()
	t0 := time.Now()
	res := bd.api(b, "POST", "/api/v1/recalls", map[string]any{"sku": "RC-1", "subject": "回収のお知らせ", "body": "{{ customer.name }}様 回収のお知らせです。"})
	id := res.Map(b)["id"].(string)
	// A cheap poll (one indexed count) so that watching does not slow
	// what is watched; the recall's own counts are read once at the end.
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		var left int
		if err := e.App.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM messages WHERE shop_id = $1
AND status IN ('scheduled', 'deferred', 'sending')`, e.Shop.ID).Scan(&left); err != nil {
			b.Fatal(err)
		}
		var status string
		var targeted int
		if err := e.App.DB.QueryRowContext(context.Background(), `SELECT status, targeted FROM campaigns WHERE shop_id = $1 AND id = $2`,
			e.Shop.ID, id).Scan(&status, &targeted); err != nil {
			b.Fatal(err)
		}
		if left == 0 && status == "done" && targeted == n {
			break
		}
		<-tick.C
	}
	el := time.Since(t0)
	b.StopTimer()
	var c delivery.Campaign
	bd.api(b, "GET", "/api/v1/recalls/"+id, nil).JSON(b, &c)
	if c.Sent != n {
		b.Fatalf("recall %+v", c)
	}
	rate := float64(n) / el.Seconds()
	b.ReportMetric(rate, "msgs/s")
	b.ReportMetric(raw, "raw-msgs/s")
	b.ReportMetric(100*rate/raw, "%-of-raw")
}

// rawHTTP is the rate at which the gateway takes n signed posts from
// workers plain clients.
func rawHTTP(b *testing.B, url string, n, workers int) float64 {
	var next atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for range workers {
		wg.Go(func() {
			c := &http.Client{}
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				body := []byte(fmt.Sprintf(`{"id":"raw%d","to":"+819000000000","from":"S","body":"x"}`, i))
				req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
				req.Header.Set("Idempotency-Key", fmt.Sprintf("raw%d", i))
				req.Header.Set(sms.SignatureHeader, sms.Sign([]byte(gatewaySecret), body))
				res, err := c.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_ = res.Body.Close()
			}
		})
	}
	wg.Wait()
	return float64(n) / time.Since(t0).Seconds()
}

// rawSMTP is the rate at which the sink takes n messages from workers
// connections of net/smtp, each reused for every message.
func rawSMTP(b *testing.B, addr string, n, workers int) float64 {
	var next atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for range workers {
		wg.Go(func() {
			c, err := smtp.Dial(addr)
			if err != nil {
				b.Error(err)
				return
			}
			defer c.Close()
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				if err := c.Mail("info@shop.example"); err != nil {
					b.Error(err)
					return
				}
				if err := c.Rcpt("c@example.jp"); err != nil {
					b.Error(err)
					return
				}
				w, err := c.Data()
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = fmt.Fprintf(w, "Subject: x\r\nMessage-ID: <raw%d@shop.example>\r\n\r\nbody\r\n", i)
				if err := w.Close(); err != nil {
					b.Error(err)
					return
				}
				if err := c.Reset(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return float64(n) / time.Since(t0).Seconds()
}
