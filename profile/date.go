package profile

import (
	"time"
)

// Date is a calendar date written YYYY-MM-DD. It carries no time of day and
// no time zone.
type Date string

// PartialDate is a calendar date that may be known only to the year (YYYY) or
// the month (YYYY-MM).
type PartialDate string

// DateOf returns the calendar date of t in t's location.
func DateOf(t time.Time) Date {
	return Date(t.Format(time.DateOnly))
}

// Valid reports whether d is a real calendar date between years 1 and 9999.
func (d Date) Valid() bool {
	_, _, _, ok := parseYMD(string(d))
	return ok
}

// Time returns midnight UTC at the start of d.
func (d Date) Time() (time.Time, bool) {
	y, m, day, ok := parseYMD(string(d))
	if !ok {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC), true
}

// Days returns the number of days from 1970-01-01 to d (negative before).
func (d Date) Days() (int, bool) {
	y, m, day, ok := parseYMD(string(d))
	if !ok {
		return 0, false
	}
	return DaysFromCivil(y, m, day), true
}

// Valid reports whether d is a valid YYYY, YYYY-MM or YYYY-MM-DD date.
func (d PartialDate) Valid() bool {
	_, _, ok := d.Range()
	return ok
}

// Range returns the earliest and the latest full date d may stand for: the
// date itself when it is complete, the first and last day of its month or
// year when it is partial.
func (d PartialDate) Range() (first, last Date, ok bool) {
	s := string(d)
	switch len(s) {
	case 10:
		if _, _, _, ok := parseYMD(s); !ok {
			return "", "", false
		}
		return Date(s), Date(s), true
	case 7:
		if s[4] != '-' {
			return "", "", false
		}
		y, ok1 := digits(s[0:4])
		m, ok2 := digits(s[5:7])
		if !ok1 || !ok2 || y < 1 || m < 1 || m > 12 {
			return "", "", false
		}
		return civilDate(y, m, 1), civilDate(y, m, daysIn(y, m)), true
	case 4:
		y, ok := digits(s)
		if !ok || y < 1 {
			return "", "", false
		}
		return civilDate(y, 1, 1), civilDate(y, 12, 31), true
	}
	return "", "", false
}

// AgeRange returns the youngest and the oldest age in whole years a person
// born on birth may have on the date on. For a complete birth date both are
// equal. A birthday on 29 February is reached on 1 March in common years.
func AgeRange(birth PartialDate, on Date) (minAge, maxAge int, ok bool) {
	first, last, ok := birth.Range()
	if !ok {
		return 0, 0, false
	}
	oy, om, od, ok := parseYMD(string(on))
	if !ok {
		return 0, 0, false
	}
	return ageOn(last, oy, om, od), ageOn(first, oy, om, od), true
}

// ageOn returns the age in whole years on (oy, om, od) of a person born on
// the valid date b.
func ageOn(b Date, oy, om, od int) int {
	by, bm, bd, _ := parseYMD(string(b))
	age := oy - by
	if om < bm || (om == bm && od < bd) {
		age--
	}
	return age
}

// DaysFromCivil returns the number of days from 1970-01-01 to the proleptic
// Gregorian date y-m-d.
func DaysFromCivil(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func civilDate(y, m, d int) Date {
	return Date(time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Format(time.DateOnly))
}

func parseYMD(s string) (y, m, d int, ok bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, 0, 0, false
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || y < 1 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, 0, 0, false
	}
	return y, m, d, true
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// CivilFromDays returns the proleptic Gregorian date of the day days after
// 1970-01-01 (the inverse of DaysFromCivil).
func CivilFromDays(days int) (y, m, d int) {
	z := days + 719468
	era := z
	if era < 0 {
		era -= 146096
	}
	era /= 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// DayRange returns, as days since 1970-01-01, the earliest and the latest
// full date d may stand for (see Range), without allocating.
func (d PartialDate) DayRange() (first, last int, ok bool) {
	s := string(d)
	switch len(s) {
	case 10:
		y, m, day, ok := parseYMD(s)
		if !ok {
			return 0, 0, false
		}
		n := DaysFromCivil(y, m, day)
		return n, n, true
	case 7:
		if s[4] != '-' {
			return 0, 0, false
		}
		y, ok1 := digits(s[0:4])
		m, ok2 := digits(s[5:7])
		if !ok1 || !ok2 || y < 1 || m < 1 || m > 12 {
			return 0, 0, false
		}
		return DaysFromCivil(y, m, 1), DaysFromCivil(y, m, daysIn(y, m)), true
	case 4:
		y, ok := digits(s)
		if !ok || y < 1 {
			return 0, 0, false
		}
		return DaysFromCivil(y, 1, 1), DaysFromCivil(y, 12, 31), true
	}
	return 0, 0, false
}
