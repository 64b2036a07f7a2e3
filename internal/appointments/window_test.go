package appointments

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/senda-platform/senda"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// The window opens at 12:00 and closes at 23:59 New York time, for the next
// day, across daylight-saving changes.
func TestWindowBoundaries(t *testing.T) {
	w, err := newWindow(Default())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		now      string
		wantDate string
		wantOpen bool
		wantNext string // next opening when closed, UTC
	}{
		{"a second before opening", "2025-03-01T11:59:59-05:00", "2025-03-02", false, "2025-03-01T17:00:00Z"},
		{"at the opening", "2025-03-01T12:00:00-05:00", "2025-03-02", true, ""},
		{"the last second", "2025-03-01T23:58:59-05:00", "2025-03-02", true, ""},
		{"at the closing", "2025-03-01T23:59:00-05:00", "2025-03-02", false, "2025-03-02T17:00:00Z"},
		{"after midnight", "2025-03-02T00:30:00-05:00", "2025-03-03", false, "2025-03-02T17:00:00Z"},
		// 9 March 2025: clocks go forward at 02:00; noon is 16:00 UTC.
		{"spring forward, before", "2025-03-09T11:59:59-04:00", "2025-03-10", false, "2025-03-09T16:00:00Z"},
		{"spring forward, opening", "2025-03-09T12:00:00-04:00", "2025-03-10", true, ""},
		{"night before spring forward", "2025-03-08T23:59:30-05:00", "2025-03-09", false, "2025-03-09T16:00:00Z"},
		// 2 November 2025: clocks go back at 02:00; noon is 17:00 UTC.
		{"fall back, 01:30 the second time", "2025-11-02T01:30:00-05:00", "2025-11-03", false, "2025-11-02T17:00:00Z"},
		{"fall back, closing", "2025-11-02T23:59:00-05:00", "2025-11-03", false, "2025-11-03T17:00:00Z"},
		{"fall back, open", "2025-11-02T12:00:00-05:00", "2025-11-03", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := at(tc.now)
			date, open := w.at(now)
			if date != tc.wantDate || open != tc.wantOpen {
				t.Errorf("at %s: got %s open=%v, want %s open=%v", tc.now, date, open, tc.wantDate, tc.wantOpen)
			}
			if !open {
				if got := w.nextOpening(now).UTC().Format(time.RFC3339); got != tc.wantNext {
					t.Errorf("next opening: got %s, want %s", got, tc.wantNext)
				}
			}
		})
	}
}

func TestWindowLeadDaysAndOtherZone(t *testing.T) {
	cfg := Default()
	cfg.LeadDays = 3
	cfg.WindowZone, cfg.WindowOpens, cfg.WindowCloses = "America/Mexico_City", "08:00", "20:00"
	w, err := newWindow(cfg)
	if err != nil {
		t.Fatal(err)
	}
	date, open := w.at(at("2025-06-10T09:00:00-06:00"))
	if date != "2025-06-13" || !open {
		t.Fatalf("got %s open=%v, want 2025-06-13 open", date, open)
	}
	o, c := w.bounds("2025-06-13")
	if o.UTC().Format(time.RFC3339) != "2025-06-10T14:00:00Z" || c.UTC().Format(time.RFC3339) != "2025-06-11T02:00:00Z" {
		t.Fatalf("bounds: %v %v", o.UTC(), c.UTC())
	}
	for _, bad := range []Config{
		{WindowZone: "Mars/Olympus", WindowOpens: "12:00", WindowCloses: "13:00"},
		{WindowZone: "UTC", WindowOpens: "12:00", WindowCloses: "11:00"},
		{WindowZone: "UTC", WindowOpens: "12:60", WindowCloses: "13:00"},
		{WindowZone: "UTC", WindowOpens: "12:00", WindowCloses: "13:00", LeadDays: -1},
	} {
		if _, err := newWindow(bad); err == nil {
			t.Errorf("window %+v accepted", bad)
		}
	}
}

// A request outside the window gets the next opening in the applicant's
// own time zone, whatever daylight-saving rule it follows.
func TestClosedErrorNamesTheNextOpeningInTheApplicantsZone(t *testing.T) {
	s := &Service{}
	var err error
	if s.window, err = newWindow(Default()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		now, zone, want string
	}{
		// Mexico City keeps standard time all year: 16:00 UTC is 10:00 CST.
		{"2025-03-09T08:00:00-04:00", "America/Mexico_City", "2025-03-09 10:00 CST (America/Mexico_City)"},
		// Tijuana follows the United States: 09:00 PDT.
		{"2025-03-09T08:00:00-04:00", "America/Tijuana", "2025-03-09 09:00 PDT (America/Tijuana)"},
		{"2025-03-01T23:59:00-05:00", "America/New_York", "2025-03-02 12:00 EST (America/New_York)"},
		{"2025-03-01T23:59:00-05:00", "America/Guatemala", "2025-03-02 11:00 CST (America/Guatemala)"},
	} {
		loc, _ := time.LoadLocation(tc.zone)
		now := at(tc.now)
		date, _ := s.window.at(now)
		err := s.closedError(now, date, loc)
		se, ok := err.(*senda.Error)
		if !ok || se.Code != senda.CodeConflict || se.Key != "appointments.window_closed" {
			t.Fatalf("got %v", err)
		}
		if got := se.Args["next_open"]; got != tc.want {
			t.Errorf("%s in %s: got %q, want %q", tc.now, tc.zone, got, tc.want)
		}
	}
}

func TestCodes(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		c := NewCode()
		if seen[c] {
			t.Fatalf("code %s drawn twice", c)
		}
		seen[c] = true
		got, ok := NormalizeCode(FormatCode(c))
		if !ok || got != c {
			t.Fatalf("code %s: normalised to %q %v", c, got, ok)
		}
		if got, ok := NormalizeCode(" " + lower(FormatCode(c)) + " "); !ok || got != c {
			t.Fatalf("lower-case %s: %q %v", c, got, ok)
		}
		// Every single substitution and every swap of two different
		// neighbours is caught.
		for i := range len(c) {
			for _, r := range codeAlphabet {
				if byte(r) == c[i] {
					continue
				}
				bad := c[:i] + string(r) + c[i+1:]
				if _, ok := NormalizeCode(bad); ok {
					t.Fatalf("%s accepted for %s", bad, c)
				}
			}
			if i+1 < len(c) && c[i] != c[i+1] {
				bad := c[:i] + string(c[i+1]) + string(c[i]) + c[i+2:]
				// Luhn mod N misses only the swap of the first and last
				// symbols of the alphabet (2 and Z).
				if _, ok := NormalizeCode(bad); ok && !(c[i] == '2' && c[i+1] == 'Z' || c[i] == 'Z' && c[i+1] == '2') {
					t.Fatalf("transposition %s of %s accepted", bad, c)
				}
			}
		}
	}
	for _, bad := range []string{"", "ABCD-EFGH", "0BCD-EFGH-J", "ABCD-EFGH-JK", "ÁBCD-EFGH-J"} {
		if _, ok := NormalizeCode(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// The window keeps the last day it computed; whatever order instants and
// dates are asked in, it answers as computing afresh would, across
// daylight-saving changes and in zones far from UTC.
func TestWindowRemembersItsLastDayFaithfully(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, zone := range []string{"America/New_York", "Pacific/Kiritimati", "Pacific/Pago_Pago", "America/Santiago"} {
		cfg := Default()
		cfg.WindowZone, cfg.LeadDays = zone, 1+rng.IntN(3)
		w, err := newWindow(cfg)
		if err != nil {
			t.Fatal(err)
		}
		start := at("2025-01-01T00:00:00Z")
		now := start
		for range 20000 {
			// Mostly small steps, as the clock goes, and some jumps.
			if rng.IntN(10) == 0 {
				now = start.Add(time.Duration(rng.Int64N(int64(2 * 365 * 24 * time.Hour))))
			} else {
				now = now.Add(time.Duration(rng.Int64N(int64(3 * time.Hour))))
			}
			req := now.In(w.zone).Format(DateLayout)
			wantDate := addDays(req, w.lead)
			o, c := w.opens.on(req, w.zone), w.closes.on(req, w.zone)
			if date, open := w.at(now); date != wantDate || open != (!now.Before(o) && now.Before(c)) {
				t.Fatalf("%s at %s: got %s %v, want %s (%s to %s)", zone, now, date, open, wantDate, o, c)
			}
			other := addDays(wantDate, rng.IntN(5)-2)
			oreq := addDays(other, -w.lead)
			if go_, gc := w.bounds(other); !go_.Equal(w.opens.on(oreq, w.zone)) || !gc.Equal(w.closes.on(oreq, w.zone)) {
				t.Fatalf("%s bounds of %s: got %s to %s", zone, other, go_, gc)
			}
		}
	}
}
