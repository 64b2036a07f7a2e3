package appointments

import (
	"testing"
	"time"
)

// The intake writer waits for company only while requests arrive together:
// a lone request is committed at once, and a busy writer fills its batch
// with requests that arrive while it gathers.
func TestGather(t *testing.T) {
	s := &Service{cfg: Config{IntakeBatch: 4, IntakeGather: time.Hour}, intake: make(chan *intakeItem, 8)}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	item := func() *intakeItem { return &intakeItem{} }

	t.Run("a trickle is not held back", func(t *testing.T) {
		batch := []*intakeItem{item()}
		if busy := s.gather(&batch, false, timer, time.Now()); busy || len(batch) != 1 {
			t.Fatalf("got %d requests, busy %v: want the lone one, not busy", len(batch), busy)
		}
		s.intake <- item()
		batch = []*intakeItem{item()}
		if busy := s.gather(&batch, false, timer, time.Now()); !busy || len(batch) != 2 {
			t.Fatalf("got %d requests, busy %v: want the two waiting, busy", len(batch), busy)
		}
	})
	t.Run("a busy writer waits for late arrivals", func(t *testing.T) {
		go func() {
			for range 3 {
				time.Sleep(5 * time.Millisecond)
				s.intake <- item()
			}
		}()
		batch := []*intakeItem{item()}
		if busy := s.gather(&batch, true, timer, time.Now()); !busy || len(batch) != 4 {
			t.Fatalf("got %d requests, busy %v: want a full batch of 4", len(batch), busy)
		}
	})
	t.Run("a full batch goes at once", func(t *testing.T) {
		for range 6 {
			s.intake <- item()
		}
		batch := []*intakeItem{item()}
		if s.gather(&batch, true, timer, time.Now()); len(batch) != 4 || len(s.intake) != 3 {
			t.Fatalf("got %d requests with %d left waiting: want 4 and 3", len(batch), len(s.intake))
		}
	})
	t.Run("the wait counts from the previous commit", func(t *testing.T) {
		s := &Service{cfg: Config{IntakeBatch: 4, IntakeGather: time.Hour}, intake: make(chan *intakeItem, 8)}
		arrive := func() {
			go func() {
				time.Sleep(5 * time.Millisecond)
				s.intake <- item()
			}()
		}
		// The previous commit began longer ago than the gathering time:
		// what waits goes at once.
		arrive()
		batch := []*intakeItem{item()}
		if busy := s.gather(&batch, true, timer, time.Now().Add(-2*time.Hour)); busy || len(batch) != 1 {
			t.Fatalf("got %d requests, busy %v: want the lone one at once", len(batch), busy)
		}
		// Within the period, the arrival joins.
		batch = []*intakeItem{item()}
		s.cfg.IntakeBatch = 2
		if busy := s.gather(&batch, true, timer, time.Now().Add(-time.Minute)); !busy || len(batch) != 2 {
			t.Fatalf("got %d requests, busy %v: want the late arrival too", len(batch), busy)
		}
	})
	t.Run("the gathering time is bounded", func(t *testing.T) {
		s := &Service{cfg: Config{IntakeBatch: 4, IntakeGather: time.Millisecond}, intake: make(chan *intakeItem, 8)}
		batch := []*intakeItem{item(), item()}
		if busy := s.gather(&batch, true, timer, time.Now()); !busy || len(batch) != 2 {
			t.Fatalf("got %d requests, busy %v: want the 2 gathered", len(batch), busy)
		}
	})
}
