package appointments

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/reference"
)

// SlotSpec is one slot of a template or override: capacity in persons from
// a local start time.
type SlotSpec struct {
	Start    string `json:"start" pattern:"^[0-2][0-9]:[0-5][0-9]$" doc:"Local start time at the location, HH:MM" example:"08:00"`
	Capacity int    `json:"capacity" minimum:"0" maximum:"100000" doc:"Persons the slot takes"`
}

// Week is a weekly capacity template: the slots of each weekday. A day
// left out takes no one.
type Week struct {
	Sun []SlotSpec `json:"sun,omitempty"`
	Mon []SlotSpec `json:"mon,omitempty"`
	Tue []SlotSpec `json:"tue,omitempty"`
	Wed []SlotSpec `json:"wed,omitempty"`
	Thu []SlotSpec `json:"thu,omitempty"`
	Fri []SlotSpec `json:"fri,omitempty"`
	Sat []SlotSpec `json:"sat,omitempty"`
}

var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func (w *Week) day(d time.Weekday) *[]SlotSpec {
	return [7]*[]SlotSpec{&w.Sun, &w.Mon, &w.Tue, &w.Wed, &w.Thu, &w.Fri, &w.Sat}[d]
}

// Place is where a location sits for role scopes: COUNTRY/CODE, such as
// US/POE-SYS.
func Place(code string) string {
	l, ok := reference.Location(code)
	if !ok {
		return ""
	}
	return l.Country + "/" + l.Code
}

var zones sync.Map // location code -> *time.Location

// zoneOf returns a location's time zone.
func zoneOf(code string) *time.Location {
	if z, ok := zones.Load(code); ok {
		return z.(*time.Location)
	}
	loc := time.UTC
	if l, ok := reference.Location(code); ok {
		if z, err := l.Zone(); err == nil {
			loc = z
		}
	}
	zones.Store(code, loc)
	return loc
}

// location checks a location code and returns it in canonical case.
func location(field, code string) (string, error) {
	l, ok := reference.Location(code)
	if !ok {
		return "", invalid(field, "appointments.location_unknown", map[string]any{"code": code})
	}
	return l.Code, nil
}

// manages checks that c may set capacity and closures at a location.
func manages(c Caller, code string) error {
	if c.Role != access.Admin && c.Role != access.ProgrammeManager {
		return forbidden("appointments.manage_scope")
	}
	if !c.Scope.Contains(Place(code)) {
		return forbidden("appointments.manage_scope")
	}
	return nil
}

func checkSpecs(field string, specs []SlotSpec) ([]SlotSpec, error) {
	var fields []senda.FieldError
	seen := map[string]bool{}
	out := make([]SlotSpec, 0, len(specs))
	if len(specs) > 96 {
		fields = append(fields, senda.FieldError{Location: field, Key: "validation.max_items", Args: map[string]any{"max": 96}})
	}
	for i, sp := range specs {
		loc := field + "[" + strconv.Itoa(i) + "]"
		c, ok := parseClock(sp.Start)
		if !ok {
			fields = append(fields, senda.FieldError{Location: loc + ".start", Key: "appointments.slot_start"})
			continue
		}
		if seen[c.String()] {
			fields = append(fields, senda.FieldError{Location: loc + ".start", Key: "appointments.slot_duplicate"})
		}
		seen[c.String()] = true
		if sp.Capacity < 0 || sp.Capacity > 100000 {
			fields = append(fields, senda.FieldError{Location: loc + ".capacity", Key: "validation.max", Args: map[string]any{"max": 100000}})
		}
		out = append(out, SlotSpec{Start: c.String(), Capacity: sp.Capacity})
	}
	if len(fields) > 0 {
		return nil, &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid", Fields: fields}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out, nil
}

// Template returns the weekly template of a location.
func (s *Service) Template(ctx context.Context, code string) (Week, error) {
	var w Week
	code, err := location("path.code", code)
	if err != nil {
		return w, err
	}
	err = s.DB.View(ctx, func(tx *store.Tx) error {
		days, err := tx.TemplateDays(ctx, code)
		for _, d := range days {
			var specs []SlotSpec
			if err := json.Unmarshal([]byte(d.Slots), &specs); err != nil {
				return senda.Wrap(err, "appointments.template_stored")
			}
			*w.day(time.Weekday(d.Weekday)) = specs
		}
		return err
	})
	return w, err
}

// SetTemplate replaces the weekly template of a location. Dates whose slots
// are already laid out and that have no override follow it, as long as no
// slot drops below the persons it holds.
func (s *Service) SetTemplate(ctx context.Context, c Caller, code string, w Week) (Week, error) {
	code, err := location("path.code", code)
	if err != nil {
		return w, err
	}
	if err := manages(c, code); err != nil {
		return w, err
	}
	var fields []senda.FieldError
	for d := range 7 {
		specs, err := checkSpecs("body."+dayNames[d], *w.day(time.Weekday(d)))
		if err != nil {
			fields = append(fields, err.(*senda.Error).Fields...)
			continue
		}
		*w.day(time.Weekday(d)) = specs
	}
	if len(fields) > 0 {
		return w, &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid", Fields: fields}
	}
	err = s.DB.Update(ctx, func(tx *store.Tx) error {
		for d := range 7 {
			specs := *w.day(time.Weekday(d))
			if len(specs) == 0 {
				if err := tx.DeleteTemplateDay(ctx, code, d); err != nil {
					return err
				}
				continue
			}
			b, _ := json.Marshal(specs)
			if err := tx.PutTemplateDay(ctx, store.CapacityRow{Location: code, Weekday: d, Slots: string(b), UpdatedBy: c.Actor()}); err != nil {
				return err
			}
		}
		if err := s.resync(ctx, tx, code); err != nil {
			return err
		}
		return record(ctx, tx, c, "capacity.template", "location", code, "", "template")
	})
	return w, err
}

// SetOverride sets the slots of a location on one date, replacing its
// template that day; no slots closes the day to new appointments.
func (s *Service) SetOverride(ctx context.Context, c Caller, code, date string, specs []SlotSpec) ([]SlotSpec, error) {
	code, err := location("path.code", code)
	if err != nil {
		return nil, err
	}
	if _, err := ParseDate(date); err != nil {
		return nil, invalid("path.date", "validation.date", nil)
	}
	if err := manages(c, code); err != nil {
		return nil, err
	}
	if specs, err = checkSpecs("body.slots", specs); err != nil {
		return nil, err
	}
	err = s.DB.Update(ctx, func(tx *store.Tx) error {
		b, _ := json.Marshal(specs)
		if err := tx.PutOverride(ctx, store.CapacityRow{Location: code, ServiceDate: date, Slots: string(b), UpdatedBy: c.Actor()}); err != nil {
			return err
		}
		if err := s.syncIfLaidOut(ctx, tx, code, date); err != nil {
			return err
		}
		return record(ctx, tx, c, "capacity.override", "location", code+"/"+date, "", "slots")
	})
	return specs, err
}

// DeleteOverride removes a date override: the template applies again.
func (s *Service) DeleteOverride(ctx context.Context, c Caller, code, date string) error {
	code, err := location("path.code", code)
	if err != nil {
		return err
	}
	if _, err := ParseDate(date); err != nil {
		return invalid("path.date", "validation.date", nil)
	}
	if err := manages(c, code); err != nil {
		return err
	}
	return s.DB.Update(ctx, func(tx *store.Tx) error {
		ok, err := tx.DeleteOverride(ctx, code, date)
		if err != nil {
			return err
		}
		if !ok {
			return notFound()
		}
		if err := s.syncIfLaidOut(ctx, tx, code, date); err != nil {
			return err
		}
		return record(ctx, tx, c, "capacity.override_delete", "location", code+"/"+date, "", "slots")
	})
}

// planned returns the slots a location should have on a date: its override,
// else its weekly template.
func planned(ctx context.Context, tx *store.Tx, code, date string) ([]SlotSpec, error) {
	ov, err := tx.Overrides(ctx, code, date, date)
	if err != nil {
		return nil, err
	}
	var specs []SlotSpec
	if len(ov) > 0 {
		err := json.Unmarshal([]byte(ov[0].Slots), &specs)
		return specs, err
	}
	days, err := tx.TemplateDays(ctx, code)
	if err != nil {
		return nil, err
	}
	t, _ := time.Parse(DateLayout, date)
	for _, d := range days {
		if d.Weekday == int(t.Weekday()) {
			err := json.Unmarshal([]byte(d.Slots), &specs)
			return specs, err
		}
	}
	return nil, nil
}

// syncIfLaidOut re-lays the slots of a location on a date when that date's
// slots are already in the slots table.
func (s *Service) syncIfLaidOut(ctx context.Context, tx *store.Tx, code, date string) error {
	ok, err := tx.Materialized(ctx, date)
	if err != nil || !ok {
		return err
	}
	return s.sync(ctx, tx, code, date)
}

// resync re-lays the slots of a location on every date from today that is
// already laid out.
func (s *Service) resync(ctx context.Context, tx *store.Tx, code string) error {
	today := tx.Now.In(zoneOf(code)).Format(DateLayout)
	slots, err := tx.SlotsBetween(ctx, code, today, "9999-12-31")
	if err != nil {
		return err
	}
	dates := map[string]bool{}
	for _, sl := range slots {
		dates[sl.ServiceDate] = true
	}
	for d := range 62 {
		date := addDays(today, d)
		if ok, err := tx.Materialized(ctx, date); err != nil {
			return err
		} else if ok {
			dates[date] = true
		}
	}
	keys := make([]string, 0, len(dates))
	for d := range dates {
		keys = append(keys, d)
	}
	sort.Strings(keys)
	for _, d := range keys {
		if err := s.sync(ctx, tx, code, d); err != nil {
			return err
		}
	}
	return nil
}

// sync makes the stored slots of a location on a date match its plan. A
// slot that holds persons cannot drop below them or go away: that is a
// conflict (close it instead, and its appointments move).
func (s *Service) sync(ctx context.Context, tx *store.Tx, code, date string) error {
	specs, err := planned(ctx, tx, code, date)
	if err != nil {
		return err
	}
	loc := zoneOf(code)
	want := map[int64]int{}
	for _, sp := range specs {
		c, _ := parseClock(sp.Start)
		want[store.Micros(c.on(date, loc))] = sp.Capacity
	}
	have, err := tx.SlotsOn(ctx, date, code)
	if err != nil {
		return err
	}
	seen := map[int64]bool{}
	for _, sl := range have {
		at := store.Micros(sl.Start)
		seen[at] = true
		capacity, keep := want[at]
		switch {
		case !keep:
			ok, err := tx.DeleteEmptySlot(ctx, code, sl.Start)
			if err != nil {
				return err
			}
			if !ok {
				return conflict("appointments.slot_booked", map[string]any{"location": code, "start": sl.Start.In(loc).Format("2006-01-02 15:04")})
			}
		case capacity != sl.Capacity:
			ok, err := tx.SetSlotCapacity(ctx, code, sl.Start, capacity)
			if err != nil {
				return err
			}
			if !ok {
				return conflict("appointments.capacity_below_booked", map[string]any{"location": code, "start": sl.Start.In(loc).Format("2006-01-02 15:04"), "booked": sl.Used + sl.Held})
			}
		}
	}
	if len(want) == len(seen) {
		return nil
	}
	closures, err := tx.Closures(ctx, code, tx.Now.AddDate(0, 0, -1), true)
	if err != nil {
		return err
	}
	for at, capacity := range want {
		if seen[at] {
			continue
		}
		start := store.FromMicros(at)
		if err := tx.InsertSlot(ctx, store.SlotRow{Location: code, Start: start, ServiceDate: date, Capacity: capacity, ClosureID: closing(closures, start)}); err != nil {
			return err
		}
	}
	return nil
}

// closing returns the id of an open closure that covers a slot start, or "".
func closing(closures []store.ClosureRow, start time.Time) string {
	for _, c := range closures {
		if c.ReopenedAt.IsZero() && !start.Before(c.From) && start.Before(c.Until) && covers(c, start) {
			return c.ID
		}
	}
	return ""
}

// covers reports whether a closure's list of local start times includes
// start (an empty list covers every slot).
func covers(c store.ClosureRow, start time.Time) bool {
	if c.Starts == "" {
		return true
	}
	hm := start.In(zoneOf(c.Location)).Format("15:04")
	for _, s := range strings.Split(c.Starts, ",") {
		if s == hm {
			return true
		}
	}
	return false
}

// layOut puts the slots of every location on a date into the slots table,
// once: from then on they are counted there.
func (s *Service) layOut(ctx context.Context, tx *store.Tx, date string) error {
	first, err := tx.MarkMaterialized(ctx, date)
	if err != nil || !first {
		return err
	}
	locs := map[string]bool{}
	days, err := tx.TemplateDays(ctx, "")
	if err != nil {
		return err
	}
	for _, d := range days {
		locs[d.Location] = true
	}
	ovs, err := tx.Overrides(ctx, "", date, date)
	if err != nil {
		return err
	}
	for _, o := range ovs {
		locs[o.Location] = true
	}
	codes := make([]string, 0, len(locs))
	for l := range locs {
		codes = append(codes, l)
	}
	sort.Strings(codes)
	for _, code := range codes {
		if err := s.sync(ctx, tx, code, date); err != nil {
			return err
		}
	}
	return nil
}

// LayOut puts the slots of every location on a date into the slots table
// now, from their templates and overrides; the close of the date's window
// (or a move to that date) does it otherwise. Doing it twice does nothing.
func (s *Service) LayOut(ctx context.Context, date string) error {
	if _, err := ParseDate(date); err != nil {
		return err
	}
	return s.DB.Update(ctx, func(tx *store.Tx) error { return s.layOut(ctx, tx, date) })
}

// SlotView is a slot as programme managers see it.
type SlotView struct {
	Location    string    `json:"location"`
	ServiceDate string    `json:"service_date"`
	Start       time.Time `json:"start"`
	LocalStart  string    `json:"local_start" doc:"Start in the location's time, HH:MM"`
	Capacity    int       `json:"capacity"`
	Booked      int       `json:"booked" doc:"Persons holding appointments"`
	Held        int       `json:"held" doc:"Free seats set aside for a draw that has closed and not yet run"`
	Free        int       `json:"free"`
	Suspended   bool      `json:"suspended"`
	ClosureID   string    `json:"closure_id,omitempty"`
	Planned     bool      `json:"planned" doc:"True when the date's slots are not laid out yet: shown from the template or override"`
}

// Capacity returns the slots of a location between two dates (at most 62
// days): laid-out slots with their counts, others from the plan.
func (s *Service) Capacity(ctx context.Context, code, from, to string) ([]SlotView, error) {
	code, err := location("path.code", code)
	if err != nil {
		return nil, err
	}
	f, err1 := ParseDate(from)
	t, err2 := ParseDate(to)
	if err1 != nil || err2 != nil || t.Before(f) || t.Sub(f) > 62*24*time.Hour {
		return nil, invalid("query.to", "appointments.date_range", map[string]any{"max": 62})
	}
	loc := zoneOf(code)
	out := []SlotView{}
	err = s.DB.View(ctx, func(tx *store.Tx) error {
		closures, err := tx.Closures(ctx, code, f.AddDate(0, 0, -2), true)
		if err != nil {
			return err
		}
		for d := from; d <= to; d = addDays(d, 1) {
			laid, err := tx.Materialized(ctx, d)
			if err != nil {
				return err
			}
			if laid {
				slots, err := tx.SlotsOn(ctx, d, code)
				if err != nil {
					return err
				}
				for _, sl := range slots {
					out = append(out, SlotView{Location: code, ServiceDate: d, Start: sl.Start, LocalStart: sl.Start.In(loc).Format("15:04"),
						Capacity: sl.Capacity, Booked: sl.Used, Held: sl.Held, Free: sl.Free(), Suspended: sl.ClosureID != "", ClosureID: sl.ClosureID})
				}
				continue
			}
			specs, err := planned(ctx, tx, code, d)
			if err != nil {
				return err
			}
			for _, sp := range specs {
				c, _ := parseClock(sp.Start)
				start := c.on(d, loc)
				cl := closing(closures, start)
				out = append(out, SlotView{Location: code, ServiceDate: d, Start: start.UTC(), LocalStart: sp.Start, Capacity: sp.Capacity,
					Free: sp.Capacity, Suspended: cl != "", ClosureID: cl, Planned: true})
			}
		}
		return nil
	})
	return out, err
}
