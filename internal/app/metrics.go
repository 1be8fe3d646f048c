package app

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/jobs"
)

// metrics is the Prometheus registry of one App (not the global one, so
// several Apps in one test process do not collide).
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(d *db.DB, r *jobs.Runner) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kizukai_http_requests_total", Help: "HTTP requests by route pattern and status.",
	}, []string{"route", "status"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "kizukai_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
	}, []string{"route"})
	m.reg.MustRegister(m.requests, m.latency,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		jobsCollector{r},
	)
	w, rd := d.Pools()
	m.reg.MustRegister(collectors.NewDBStatsCollector(w, string(d.Dialect())+"_write"))
	if rd != w {
		m.reg.MustRegister(collectors.NewDBStatsCollector(rd, string(d.Dialect())+"_read"))
	}
	return m
}

func (m *metrics) observe(route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// jobsCollector exposes the job runner's counters.
type jobsCollector struct{ r *jobs.Runner }

var jobsDesc = prometheus.NewDesc("kizukai_jobs_total", "Job runs by outcome since the process started.", []string{"outcome"}, nil)

func (c jobsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- jobsDesc }

func (c jobsCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.r.Stats()
	for outcome, v := range map[string]uint64{"worked": s.Worked, "completed": s.Completed, "retried": s.Retried,
		"failed": s.Failed, "snoozed": s.Snoozed, "rescued": s.Rescued} {
		ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.CounterValue, float64(v), outcome)
	}
}
