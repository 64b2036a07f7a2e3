package appointments

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/senda-platform/senda"
)

// DateLayout is how service dates are written.
const DateLayout = "2006-01-02"

// ParseDate checks a service date written YYYY-MM-DD.
func ParseDate(s string) (time.Time, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil || t.Format(DateLayout) != s {
		return time.Time{}, invalid("service_date", "validation.date", nil)
	}
	return t, nil
}

// addDays returns the date n days after date (both YYYY-MM-DD).
func addDays(date string, n int) string {
	t, err := time.Parse(DateLayout, date)
	if err != nil {
		panic("appointments: bad date " + date)
	}
	return t.AddDate(0, 0, n).Format(DateLayout)
}

// clock is a local time of day.
type clock struct{ h, m int }

func parseClock(s string) (clock, bool) {
	hs, ms, ok := strings.Cut(s, ":")
	if !ok || len(hs) != 2 || len(ms) != 2 {
		return clock{}, false
	}
	h, err1 := strconv.Atoi(hs)
	m, err2 := strconv.Atoi(ms)
	if err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 {
		return clock{}, false
	}
	return clock{h, m}, true
}

func (c clock) String() string { return fmt.Sprintf("%02d:%02d", c.h, c.m) }

// on returns the instant of c on date in loc. A time that does not exist
// (skipped by a daylight-saving change) moves forward with the change.
func (c clock) on(date string, loc *time.Location) time.Time {
	t, _ := time.Parse(DateLayout, date)
	return time.Date(t.Year(), t.Month(), t.Day(), c.h, c.m, 0, 0, loc)
}

// window is the daily request window.
type window struct {
	zone          *time.Location
	opens, closes clock
	lead          int
	last          *atomic.Pointer[windowDay] // the day asked about last, computed once
}

// windowDay is what at and bounds answer for one requesting day: from its
// local midnight (from) to the next (to), the service date and its
// window's opening and closing.
type windowDay struct {
	from, to      time.Time
	date          string
	opens, closes time.Time
}

// day returns the windowDay holding now (or, when date is not empty, the
// one of that service date), computing it only when the last one does not.
func (w window) day(now time.Time, date string) *windowDay {
	if d := w.last.Load(); d != nil && (date == "" && !now.Before(d.from) && now.Before(d.to) || date != "" && date == d.date) {
		return d
	}
	var req string
	if date == "" {
		req = now.In(w.zone).Format(DateLayout)
		date = addDays(req, w.lead)
	} else {
		req = addDays(date, -w.lead)
	}
	t, _ := time.Parse(DateLayout, req)
	d := &windowDay{date: date, opens: w.opens.on(req, w.zone), closes: w.closes.on(req, w.zone),
		from: time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, w.zone), to: time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, w.zone)}
	w.last.Store(d)
	return d
}

func newWindow(cfg Config) (window, error) {
	zone, err := time.LoadLocation(cfg.WindowZone)
	if err != nil || cfg.WindowZone == "" {
		return window{}, fmt.Errorf("appointments: window time zone %q: %v", cfg.WindowZone, err)
	}
	o, ok1 := parseClock(cfg.WindowOpens)
	c, ok2 := parseClock(cfg.WindowCloses)
	if !ok1 || !ok2 || c.h*60+c.m <= o.h*60+o.m {
		return window{}, fmt.Errorf("appointments: window %q to %q: want HH:MM, opening before closing on the same day", cfg.WindowOpens, cfg.WindowCloses)
	}
	if cfg.LeadDays < 0 || cfg.LeadDays > 60 {
		return window{}, fmt.Errorf("appointments: lead days %d: want 0..60", cfg.LeadDays)
	}
	return window{zone: zone, opens: o, closes: c, lead: cfg.LeadDays, last: new(atomic.Pointer[windowDay])}, nil
}

// bounds returns when the window for a service date opens and closes.
func (w window) bounds(serviceDate string) (opens, closes time.Time) {
	d := w.day(time.Time{}, serviceDate)
	return d.opens, d.closes
}

// at returns the service date whose window holds now, if one does.
func (w window) at(now time.Time) (string, bool) {
	d := w.day(now, "")
	return d.date, !now.Before(d.opens) && now.Before(d.closes)
}

// next returns the service date of the next window to close at or after
// now: the open one, or the next to open.
func (w window) next(now time.Time) string {
	req := now.In(w.zone).Format(DateLayout)
	date := addDays(req, w.lead)
	if _, c := w.bounds(date); now.Before(c) {
		return date
	}
	return addDays(date, 1)
}

// nextOpening returns the first window opening after now.
func (w window) nextOpening(now time.Time) time.Time {
	req := now.In(w.zone).Format(DateLayout)
	o := w.opens.on(req, w.zone)
	if o.After(now) {
		return o
	}
	return w.opens.on(addDays(req, 1), w.zone)
}

// Window is the request window of a service date.
type Window struct {
	ServiceDate string    `json:"service_date" doc:"The day of the appointments, YYYY-MM-DD"`
	OpensAt     time.Time `json:"opens_at" doc:"When requests open"`
	ClosesAt    time.Time `json:"closes_at" doc:"When requests close (not included)"`
	Open        bool      `json:"open" doc:"Whether requests are taken now"`
	TimeZone    string    `json:"time_zone" doc:"The time zone the times are written in"`
}

// WindowAt returns the window open at now, or the next one to open, with
// its times written in zone (the window's own zone when empty or unknown).
func (s *Service) WindowAt(now time.Time, zone string) Window {
	loc := s.zoneOr(zone)
	date := s.window.next(now)
	o, c := s.window.bounds(date)
	return Window{ServiceDate: date, OpensAt: o.In(loc), ClosesAt: c.In(loc), Open: !now.Before(o) && now.Before(c), TimeZone: loc.String()}
}

// WindowFor returns the window of a service date.
func (s *Service) WindowFor(now time.Time, date, zone string) Window {
	loc := s.zoneOr(zone)
	o, c := s.window.bounds(date)
	return Window{ServiceDate: date, OpensAt: o.In(loc), ClosesAt: c.In(loc), Open: !now.Before(o) && now.Before(c), TimeZone: loc.String()}
}

func (s *Service) zoneOr(zone string) *time.Location {
	if loc, ok := loadZone(zone); ok {
		return loc
	}
	return s.window.zone
}

var zoneCache sync.Map // IANA name -> *time.Location

// loadZone loads a time zone by name, once per name.
func loadZone(name string) (*time.Location, bool) {
	if name == "" || len(name) > 64 {
		return nil, false
	}
	if l, ok := zoneCache.Load(name); ok {
		return l.(*time.Location), true
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	zoneCache.Store(name, l)
	return l, true
}

// closedError says the window for date is closed and when the next one
// opens, in the applicant's time zone.
func (s *Service) closedError(now time.Time, date string, loc *time.Location) error {
	next := s.window.nextOpening(now).In(loc)
	nextDate := addDays(next.In(s.window.zone).Format(DateLayout), s.window.lead)
	return &senda.Error{Code: senda.CodeConflict, Key: "appointments.window_closed", Args: map[string]any{
		"service_date":      date,
		"next_open":         next.Format("2006-01-02 15:04 MST") + " (" + loc.String() + ")",
		"next_open_at":      next.Format(time.RFC3339),
		"next_service_date": nextDate,
		"time_zone":         loc.String(),
	}}
}
