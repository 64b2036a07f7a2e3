package draw

import (
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/senda-platform/senda"
)

// parseTime parses YYYY-MM-DDTHH:MM:SSZ or, when offset is true, also
// YYYY-MM-DDTHH:MM:SS±hh:mm (hh at most 23), returning the instant in UTC.
func parseTime(s string, offset bool) (time.Time, bool) {
	if len(s) < 20 || !digitsAt(s, 0, 4) || s[4] != '-' || !digitsAt(s, 5, 2) || s[7] != '-' ||
		!digitsAt(s, 8, 2) || s[10] != 'T' || !digitsAt(s, 11, 2) || s[13] != ':' ||
		!digitsAt(s, 14, 2) || s[16] != ':' || !digitsAt(s, 17, 2) {
		return time.Time{}, false
	}
	zone := s[19:]
	var off int
	switch {
	case zone == "Z":
	case offset && len(zone) == 6 && (zone[0] == '+' || zone[0] == '-') && digitsAt(zone, 1, 2) &&
		zone[3] == ':' && digitsAt(zone, 4, 2):
		h, m := num(zone, 1, 2), num(zone, 4, 2)
		if h > 23 || m > 59 {
			return time.Time{}, false
		}
		off = h*3600 + m*60
		if zone[0] == '-' {
			off = -off
		}
	default:
		return time.Time{}, false
	}
	y, mo, d := num(s, 0, 4), num(s, 5, 2), num(s, 8, 2)
	h, mi, sec := num(s, 11, 2), num(s, 14, 2), num(s, 17, 2)
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC)
	return t.Add(-time.Duration(off) * time.Second), true
}

func num(s string, i, n int) int {
	v := 0
	for _, c := range []byte(s[i : i+n]) {
		v = v*10 + int(c-'0')
	}
	return v
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

func digitsAt(s string, i, n int) bool {
	for _, c := range []byte(s[i : i+n]) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// validate checks the values of a record, whether decoded or built in Go,
// and returns every problem found (at most MaxFieldErrors).
func validate(rec *Record) []senda.FieldError {
	fs, _ := check(rec)
	return fs
}

// check is validate that also returns the requests in id order (see
// idOrder) when it got that far.
func check(rec *Record) ([]senda.FieldError, []int32) {
	var fs []senda.FieldError
	add := func(loc, key string, args map[string]any) {
		fs = appendField(fs, senda.FieldError{Location: loc, Key: key, Args: args})
	}
	at := func(list string, i int, field string) string {
		return list + "[" + strconv.Itoa(i) + "]" + field
	}
	if rec.Format != FormatV1 {
		add("format", "draw.field.value", map[string]any{"want": FormatV1})
	}
	if d, err := time.Parse(dateLayout, rec.ServiceDate); err != nil || d.Format(dateLayout) != rec.ServiceDate {
		add("service_date", "draw.field.date", map[string]any{"want": "YYYY-MM-DD"})
	}
	if !isHex(rec.Commitment, 64, 64) {
		add("commitment", "draw.field.hex", map[string]any{"length": 64})
	}
	if !isHex(rec.Seed, 64, 64) {
		add("seed", "draw.field.hex", map[string]any{"length": 64})
	}
	if rec.RequestsRoot != "" && !isHex(rec.RequestsRoot, 64, 64) {
		add("requests_root", "draw.field.hex", map[string]any{"length": 64})
	}
	if b := rec.Beacon; b != nil {
		if b.Source == "" || len(b.Source) > MaxSourceBytes || !isText(b.Source) {
			add("beacon.source", "draw.field.text", map[string]any{"max": MaxSourceBytes})
		}
		if b.Round < 0 || b.Round > maxRound {
			add("beacon.round", "draw.field.range", map[string]any{"min": 0, "max": int64(maxRound)})
		}
		if !isHex(b.Value, 2, 2*MaxBeaconBytes) {
			add("beacon.value", "draw.field.hex", map[string]any{"min": 2, "max": 2 * MaxBeaconBytes})
		}
	}
	if rec.PriorityShareBP < 0 || rec.PriorityShareBP > 10000 {
		add("priority_share_bp", "draw.field.range", map[string]any{"min": 0, "max": 10000})
	}
	if len(rec.Slots) > MaxSlots {
		add("slots", "draw.field.count", map[string]any{"max": MaxSlots})
		return fs, nil
	}
	for i, s := range rec.Slots {
		if !isCode(s.Location) {
			add(at("slots", i, ".location"), "draw.field.code", map[string]any{"max": MaxCodeBytes})
		}
		if !isInstant(s.Start) {
			add(at("slots", i, ".start"), "draw.field.time", map[string]any{"want": "RFC 3339 in whole seconds"})
		}
		if s.Capacity < 0 || s.Capacity > MaxCapacity {
			add(at("slots", i, ".capacity"), "draw.field.range", map[string]any{"min": 0, "max": MaxCapacity})
		}
	}
	if len(rec.Requests) > MaxRequests {
		add("requests", "draw.field.count", map[string]any{"max": MaxRequests})
		return fs, nil
	}
	for i, r := range rec.Requests {
		if !isID(r.ID) {
			add(at("requests", i, ".id"), "draw.field.id", map[string]any{"max": MaxIDBytes})
		}
		if r.Size < 1 || r.Size > MaxSize {
			add(at("requests", i, ".size"), "draw.field.range", map[string]any{"min": 1, "max": MaxSize})
		}
		if !isInstant(r.RegisteredAt) {
			add(at("requests", i, ".registered_at"), "draw.field.time", map[string]any{"want": timeLayout})
		}
		if n := len(r.Preferences); n < 1 || n > MaxPreferences {
			add(at("requests", i, ".preferences"), "draw.field.count", map[string]any{"min": 1, "max": MaxPreferences})
		}
		for j, code := range r.Preferences[:min(len(r.Preferences), MaxPreferences)] {
			if !isCode(code) {
				add(at("requests", i, ".preferences["+strconv.Itoa(j)+"]"), "draw.field.code", map[string]any{"max": MaxCodeBytes})
			} else if slices.Contains(r.Preferences[:j], code) {
				add(at("requests", i, ".preferences["+strconv.Itoa(j)+"]"), "draw.request.duplicate_preference", nil)
			}
		}
	}
	order := idOrder(rec.Requests)
	for k := 1; k < len(order); k++ {
		first := k - 1
		for k < len(order) && rec.Requests[order[k]].ID == rec.Requests[order[first]].ID {
			if isID(rec.Requests[order[k]].ID) {
				add(at("requests", int(order[k]), ".id"), "draw.request.duplicate_id",
					map[string]any{"first": at("requests", int(order[first]), "")})
			}
			k++
		}
	}
	if len(rec.Allocations) > MaxRequests {
		add("allocations", "draw.field.count", map[string]any{"max": MaxRequests})
		return fs, order
	}
	for i, a := range rec.Allocations {
		if !isID(a.Request) {
			add(at("allocations", i, ".request"), "draw.field.id", map[string]any{"max": MaxIDBytes})
		}
		if !isCode(a.Location) {
			add(at("allocations", i, ".location"), "draw.field.code", map[string]any{"max": MaxCodeBytes})
		}
		if !isInstant(a.Start) {
			add(at("allocations", i, ".start"), "draw.field.time", map[string]any{"want": "RFC 3339 in whole seconds"})
		}
		if a.Phase != PhasePriority && a.Phase != PhaseLottery {
			add(at("allocations", i, ".phase"), "draw.field.value", map[string]any{"want": "priority|lottery"})
		}
	}
	return fs, order
}

func isHex(s string, minLen, maxLen int) bool {
	if len(s) < minLen || len(s) > maxLen || len(s)%2 != 0 {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// isID reports whether s is a request id: 1 to MaxIDBytes printable ASCII
// characters other than space and '|'.
func isID(s string) bool {
	if len(s) < 1 || len(s) > MaxIDBytes {
		return false
	}
	for _, c := range []byte(s) {
		if c < 0x21 || c > 0x7e || c == '|' {
			return false
		}
	}
	return true
}

// isCode reports whether s is a location code: 1 to MaxCodeBytes printable
// ASCII characters other than space, '|' and ','.
func isCode(s string) bool {
	if len(s) < 1 || len(s) > MaxCodeBytes {
		return false
	}
	for _, c := range []byte(s) {
		if c < 0x21 || c > 0x7e || c == '|' || c == ',' {
			return false
		}
	}
	return true
}

// isText reports whether s is valid UTF-8 without control characters.
func isText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) {
			return false
		}
	}
	return true
}

// isInstant reports whether t is a whole second between years 1 and 9999
// in UTC.
func isInstant(t time.Time) bool {
	u := t.UTC()
	return t.Nanosecond() == 0 && u.Year() >= 1 && u.Year() <= 9999
}
