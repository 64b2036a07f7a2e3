package http

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/senda-platform/senda/internal/store"
)

// Metrics are Senda's Prometheus metrics, in their own registry.
type Metrics struct {
	Registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	jobRuns  *prometheus.CounterVec
	jobTime  *prometheus.HistogramVec

	intakeBatches  *prometheus.CounterVec
	intakeRequests *prometheus.HistogramVec
	intakeTime     *prometheus.HistogramVec
}

// NewMetrics registers the request, database pool, job and process metrics.
func NewMetrics(db *store.DB) *Metrics {
	m := &Metrics{Registry: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "senda_http_requests_total", Help: "HTTP requests by route, method and status."}, []string{"route", "method", "status"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "senda_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}}, []string{"route", "method"})
	m.jobRuns = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "senda_job_runs_total", Help: "Job runs by kind and outcome."}, []string{"kind", "outcome"})
	m.jobTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "senda_job_duration_seconds", Help: "Job run time by kind."}, []string{"kind"})
	m.intakeBatches = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "senda_intake_batches_total",
		Help: "Batches of appointment requests the intake writer tried to store, by path (remembered, read, transaction) and outcome (stored; closed, changed or failed when one statement gave way to the writer's transaction)."},
		[]string{"path", "outcome"})
	m.intakeRequests = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "senda_intake_batch_requests", Help: "Appointment requests per intake batch, by path.",
		Buckets: prometheus.ExponentialBuckets(1, 2, 10)}, []string{"path"})
	m.intakeTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "senda_intake_batch_duration_seconds", Help: "Time to store an intake batch, commit included, by path.",
		Buckets: []float64{.00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}}, []string{"path"})
	m.Registry.MustRegister(m.requests, m.latency, m.jobRuns, m.jobTime, m.intakeBatches, m.intakeRequests, m.intakeTime,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if db != nil {
		m.Registry.MustRegister(collectors.NewDBStatsCollector(db.Writer(), "write"))
		if db.Reader() != db.Writer() {
			m.Registry.MustRegister(collectors.NewDBStatsCollector(db.Reader(), "read"))
		}
		m.Registry.MustRegister(&jobGauge{db: db, desc: prometheus.NewDesc("senda_jobs", "Jobs in the database by status.", []string{"status"}, nil)})
	}
	return m
}

func (m *Metrics) observe(route, method string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route, method).Observe(d.Seconds())
}

// ObserveJob records one job run; give it to jobs.Runner.Observe.
func (m *Metrics) ObserveJob(kind, outcome string, d time.Duration) {
	m.jobRuns.WithLabelValues(kind, outcome).Inc()
	m.jobTime.WithLabelValues(kind).Observe(d.Seconds())
}

// ObserveIntake records one intake batch; give it to
// appointments.Service.ObserveIntake.
func (m *Metrics) ObserveIntake(path, outcome string, requests int, d time.Duration) {
	m.intakeBatches.WithLabelValues(path, outcome).Inc()
	m.intakeRequests.WithLabelValues(path).Observe(float64(requests))
	m.intakeTime.WithLabelValues(path).Observe(d.Seconds())
}

type jobGauge struct {
	db   *store.DB
	desc *prometheus.Desc
}

func (g *jobGauge) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

func (g *jobGauge) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := g.db.JobCounts(ctx)
	if err != nil {
		return
	}
	for _, s := range []string{"queued", "running", "done", "failed"} {
		ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, float64(counts[s]), s)
	}
}
