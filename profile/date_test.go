package profile

import (
	"testing"
	"time"

	"pgregory.net/rapid"
)

func TestCivilFromDaysInvertsDaysFromCivil(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		days := rapid.IntRange(-800000, 3000000).Draw(t, "days")
		y, m, d := CivilFromDays(days)
		if got := DaysFromCivil(y, m, d); got != days {
			t.Fatalf("DaysFromCivil(CivilFromDays(%d)) = %d", days, got)
		}
		want := time.Unix(int64(days)*86400, 0).UTC()
		if y != want.Year() || m != int(want.Month()) || d != want.Day() {
			t.Fatalf("got %04d-%02d-%02d, want %s", y, m, d, want.Format(time.DateOnly))
		}
	})
}

func TestDayRangeMatchesRange(t *testing.T) {
	for _, s := range []PartialDate{"2024", "2024-02", "2023-02", "2000-02-29", "1999-12-31", "2024-13", "20x4", "2023-02-29", ""} {
		first, last, ok := s.Range()
		f, l, ok2 := s.DayRange()
		if ok != ok2 {
			t.Errorf("%q: got ok %v, want %v", s, ok2, ok)
			continue
		}
		if !ok {
			continue
		}
		wf, _ := first.Days()
		wl, _ := last.Days()
		if f != wf || l != wl {
			t.Errorf("%q: got days %d..%d, want %d..%d", s, f, l, wf, wl)
		}
	}
}

func TestAgeRange(t *testing.T) {
	for _, c := range []struct {
		birth    PartialDate
		on       Date
		min, max int
	}{
		{"2005-06-01", "2023-06-01", 18, 18},
		{"2005-06-02", "2023-06-01", 17, 17},
		{"2005", "2023-06-01", 17, 18},
		{"2005-05", "2023-06-01", 18, 18},
		{"2004-02-29", "2022-02-28", 17, 17},
		{"2004-02-29", "2022-03-01", 18, 18},
	} {
		lo, hi, ok := AgeRange(c.birth, c.on)
		if !ok || lo != c.min || hi != c.max {
			t.Errorf("AgeRange(%s, %s) = %d, %d, %v; want %d, %d", c.birth, c.on, lo, hi, ok, c.min, c.max)
		}
	}
}
