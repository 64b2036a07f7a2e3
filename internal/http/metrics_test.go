package http

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// Jobs and intake batches are counted by their labels, with their sizes
// and durations in histograms.
func TestMetricsOfJobsAndIntake(t *testing.T) {
	m := NewMetrics(nil)
	m.ObserveJob("appointments.close", "done", 2*time.Second)
	m.ObserveIntake("remembered", "stored", 12, 3*time.Millisecond)
	m.ObserveIntake("remembered", "stored", 20, 2*time.Millisecond)
	m.ObserveIntake("remembered", "changed", 5, time.Millisecond)
	m.ObserveIntake("transaction", "stored", 5, 4*time.Millisecond)
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range families {
		if !strings.HasPrefix(f.GetName(), "senda_job") && !strings.HasPrefix(f.GetName(), "senda_intake") {
			continue
		}
		for _, s := range f.GetMetric() {
			var labels []string
			for _, l := range s.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			v := fmt.Sprint(s.GetCounter().GetValue())
			if h := s.GetHistogram(); h != nil {
				v = fmt.Sprintf("%d/%v", h.GetSampleCount(), h.GetSampleSum())
			}
			got = append(got, f.GetName()+"{"+strings.Join(labels, ",")+"} "+v)
		}
	}
	slices.Sort(got)
	want := []string{
		"senda_intake_batch_duration_seconds{path=remembered} 3/0.006",
		"senda_intake_batch_duration_seconds{path=transaction} 1/0.004",
		"senda_intake_batch_requests{path=remembered} 3/37",
		"senda_intake_batch_requests{path=transaction} 1/5",
		"senda_intake_batches_total{outcome=changed,path=remembered} 1",
		"senda_intake_batches_total{outcome=stored,path=remembered} 2",
		"senda_intake_batches_total{outcome=stored,path=transaction} 1",
		"senda_job_duration_seconds{kind=appointments.close} 1/2",
		"senda_job_runs_total{kind=appointments.close,outcome=done} 1",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
