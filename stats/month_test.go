package stats

import (
	"testing"
	"time"
)

func TestFiscalMonthOf(t *testing.T) {
	tests := []struct {
		fy   int
		m    time.Month
		want string
		fm   int
	}{
		{2024, time.December, "2023-12", 3},
		{2024, time.October, "2023-10", 1},
		{2024, time.September, "2024-09", 12},
		{2024, time.February, "2024-02", 5},
		{2025, time.January, "2025-01", 4},
		{2000, time.October, "1999-10", 1},
	}
	for _, tt := range tests {
		got := FiscalMonthOf(tt.fy, tt.m)
		if got.String() != tt.want {
			t.Errorf("FiscalMonthOf(%d, %v) = %v, want %v", tt.fy, tt.m, got, tt.want)
		}
		if got.FiscalYear() != tt.fy {
			t.Errorf("FiscalMonthOf(%d, %v).FiscalYear() = %d, want %d", tt.fy, tt.m, got.FiscalYear(), tt.fy)
		}
		if got.FiscalMonth() != tt.fm {
			t.Errorf("FiscalMonthOf(%d, %v).FiscalMonth() = %d, want %d", tt.fy, tt.m, got.FiscalMonth(), tt.fm)
		}
	}
}

func TestParseMonth(t *testing.T) {
	good := map[string]Month{"2024-02": MonthOf(2024, time.February), "1999-12": MonthOf(1999, time.December)}
	for s, want := range good {
		got, err := ParseMonth(s)
		if err != nil || got != want {
			t.Errorf("ParseMonth(%q) = %v, %v; want %v, nil", s, got, err, want)
		}
	}
	for _, s := range []string{"", "2024-13", "2024-00", "2024-2", "24-02", "2024/02", "0999-01", "2024-+1", "+024-01", "abcd-01"} {
		if _, err := ParseMonth(s); err == nil {
			t.Errorf("ParseMonth(%q): got no error, want one", s)
		}
	}
}
