package stats

import (
	"fmt"
	"strconv"
	"time"
)

// Month is a calendar month, counted as year*12 + (month-1). The zero Month
// stands for "not set" (the year 0 is never valid data).
type Month int32

// MonthOf returns the Month of a calendar year and month (1-12).
func MonthOf(year int, m time.Month) Month {
	return Month(year*12 + int(m) - 1)
}

// Year returns the calendar year.
func (m Month) Year() int { return int(m) / 12 }

// CalendarMonth returns the month of the year, 1-12.
func (m Month) CalendarMonth() time.Month { return time.Month(int(m)%12 + 1) }

// FiscalYear returns the US federal fiscal year that holds the month: it
// starts on 1 October, so October-December count toward the next year.
func (m Month) FiscalYear() int {
	if m.CalendarMonth() >= time.October {
		return m.Year() + 1
	}
	return m.Year()
}

// FiscalMonth returns the month's position in its fiscal year: 1 for
// October through 12 for September.
func (m Month) FiscalMonth() int {
	return (int(m.CalendarMonth())+2)%12 + 1
}

// String formats the month as YYYY-MM.
func (m Month) String() string {
	return fmt.Sprintf("%04d-%02d", m.Year(), int(m.CalendarMonth()))
}

// FiscalMonthOf returns the calendar month of a fiscal year and a calendar
// month name: FiscalMonthOf(2024, time.December) is December 2023.
func FiscalMonthOf(fiscalYear int, m time.Month) Month {
	if m >= time.October {
		return MonthOf(fiscalYear-1, m)
	}
	return MonthOf(fiscalYear, m)
}

// ParseMonth parses a calendar month written YYYY-MM (years 1000-9999).
func ParseMonth(s string) (Month, error) {
	if len(s) != 7 || s[4] != '-' {
		return 0, fmt.Errorf("month %q: want YYYY-MM", s)
	}
	y, err1 := strconv.Atoi(s[:4])
	mo, err2 := strconv.Atoi(s[5:])
	if err1 != nil || err2 != nil || y < 1000 || mo < 1 || mo > 12 || s[0] == '+' || s[5] == '+' || s[0] == '-' || s[5] == '-' {
		return 0, fmt.Errorf("month %q: want YYYY-MM", s)
	}
	return MonthOf(y, time.Month(mo)), nil
}

var monthAbbrev = map[string]time.Month{
	"JAN": time.January, "FEB": time.February, "MAR": time.March, "APR": time.April,
	"MAY": time.May, "JUN": time.June, "JUL": time.July, "AUG": time.August,
	"SEP": time.September, "OCT": time.October, "NOV": time.November, "DEC": time.December,
}
