// Package peakheap measures the most heap memory in use over a stretch of
// work, for benchmarks that report peak memory.
package peakheap

import (
	"runtime"
	"sync/atomic"
	"time"
)

// Track samples the heap in use (runtime.MemStats.HeapInuse) every 20 ms
// until the returned function is called, which stops sampling and gives the
// largest value seen, in bytes.
func Track() func() uint64 {
	var peak atomic.Uint64
	stop, done := make(chan struct{}), make(chan struct{})
	sample := func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		if m.HeapInuse > peak.Load() {
			peak.Store(m.HeapInuse)
		}
	}
	go func() {
		defer close(done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		sample()
		return peak.Load()
	}
}
