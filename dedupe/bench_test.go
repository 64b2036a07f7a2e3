package dedupe

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the processor time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCandidates1M matches 1,000,000 synthetic people (about 47,600 of
// them second registrations of another) and reports seconds per run (wall
// clock and processor time, which tells more on a shared machine), the
// pairs proposed, precision, recall and the work done.
func BenchmarkCandidates1M(b *testing.B) {
	s := generate(1_000_000, 7)
	b.ReportAllocs()
	b.ResetTimer()
	var res Result
	start, startCPU := time.Now(), cpuTime()
	for i := 0; i < b.N; i++ {
		res = Match(s.people, Options{})
	}
	elapsed, cpu := time.Since(start), cpuTime()-startCPU
	b.StopTimer()
	q := evaluate(res.Pairs, s.truth)
	n := float64(b.N)
	b.ReportMetric(elapsed.Seconds()/n, "s/run")
	b.ReportMetric(cpu.Seconds()/n, "cpu-s/run")
	b.ReportMetric(float64(len(res.Pairs)), "pairs")
	b.ReportMetric(float64(len(s.truth)), "true-pairs")
	b.ReportMetric(q.precision, "precision")
	b.ReportMetric(q.recall, "recall")
	b.ReportMetric(float64(res.Stats.BlockPairs), "block-pairs")
	b.ReportMetric(float64(res.Stats.Comparisons), "comparisons")
	b.ReportMetric(float64(res.Stats.SkippedBlocks), "skipped-blocks")
}
