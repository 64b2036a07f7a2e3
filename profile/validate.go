package profile

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/senda-platform/senda"
)

// Validation message keys, one per kind of problem. Args carry "field" and,
// where it helps, "value", "max" or "allowed".
const (
	KeyInvalid     = "profile.invalid"      // the Error's own key
	KeyRequired    = "profile.required"     // a required field is empty
	KeyPattern     = "profile.pattern"      // a code does not have its expected form
	KeyDate        = "profile.date"         // not a real YYYY-MM-DD date
	KeyPartialDate = "profile.partial_date" // not a real YYYY, YYYY-MM or YYYY-MM-DD date
	KeyEnum        = "profile.enum"         // not one of the allowed values
	KeyTooLong     = "profile.too_long"     // text longer than allowed
	KeyTooMany     = "profile.too_many"     // list longer than allowed
	KeyRange       = "profile.range"        // number out of range
	KeyPrincipals  = "profile.principals"   // more than one principal in a household
)

// Validate checks p against the schema: codes, dates, allowed values and
// limits. It returns nil or a *senda.Error (code invalid, key
// profile.invalid) whose Fields name every field to fix, with locations like
// "birth_date" or "household.members[1].nationality".
func (p Profile) Validate() error {
	var errs []senda.FieldError
	errs = validateStruct(reflect.ValueOf(&p.Person).Elem(), "", errs)
	if p.Household != nil {
		errs = validateStruct(reflect.ValueOf(p.Household).Elem(), "household.", errs)
		principals := 0
		if p.Role != nil && *p.Role == RolePrincipal {
			principals++
		}
		for _, m := range p.Household.Members {
			if m.Relationship != nil && *m.Relationship == RelPrincipal {
				principals++
			}
		}
		if principals > 1 {
			errs = append(errs, fieldErr("household.members", KeyPrincipals, map[string]any{"count": principals}))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return &senda.Error{Code: senda.CodeInvalid, Key: KeyInvalid, Fields: errs}
}

// Validate checks the person alone; see Profile.Validate.
func (p Person) Validate() error { return Profile{Person: p}.Validate() }

type fieldRule struct {
	index    int
	name     string
	typ      reflect.Type // field type
	required bool
	enum     []string
	match    func(string) bool
	pattern  string
	date     bool
	partial  bool
	maxLen   int
	maxItems int
	min, max *int64
}

var (
	rulesMu sync.Mutex
	rules   = map[reflect.Type][]fieldRule{}
)

func rulesFor(t reflect.Type) []fieldRule {
	rulesMu.Lock()
	defer rulesMu.Unlock()
	if r, ok := rules[t]; ok {
		return r
	}
	var out []fieldRule
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		r := fieldRule{index: i, name: name, typ: f.Type}
		r.required = f.Type.Kind() != reflect.Pointer && f.Type.Kind() != reflect.Slice &&
			!strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero")
		if e := f.Tag.Get("enum"); e != "" {
			r.enum = strings.Split(e, ",")
		}
		if p := f.Tag.Get("pattern"); p != "" {
			r.pattern = p
			r.match = matcher(p)
		}
		base := f.Type
		for base.Kind() == reflect.Pointer || base.Kind() == reflect.Slice {
			base = base.Elem()
		}
		r.date = base == reflect.TypeFor[Date]()
		r.partial = base == reflect.TypeFor[PartialDate]()
		r.maxLen = tagInt(f, "maxLength")
		r.maxItems = tagInt(f, "maxItems")
		if v, err := strconv.ParseInt(f.Tag.Get("minimum"), 10, 64); err == nil {
			r.min = &v
		}
		if v, err := strconv.ParseInt(f.Tag.Get("maximum"), 10, 64); err == nil {
			r.max = &v
		}
		out = append(out, r)
	}
	rules[t] = out
	return out
}

func tagInt(f reflect.StructField, tag string) int {
	n, err := strconv.Atoi(f.Tag.Get(tag))
	if err != nil {
		return 0
	}
	return n
}

// matcher returns a fast check for the schema's patterns, and a regexp for
// any other.
func matcher(p string) func(string) bool {
	switch p {
	case "^[A-Z]{2}$":
		return IsCountry
	case "^[A-Z]{2}-[A-Z0-9]{1,3}$":
		return IsRegion
	case `^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$`:
		return func(s string) bool { return PartialDate(s).Valid() }
	}
	re := regexp.MustCompile(p)
	return re.MatchString
}

// IsCountry reports whether s has the form of an ISO 3166-1 alpha-2 code.
func IsCountry(s string) bool {
	return len(s) == 2 && upper(s[0]) && upper(s[1])
}

// IsRegion reports whether s has the form of an ISO 3166-2 subdivision code
// such as "MX-CHH".
func IsRegion(s string) bool {
	if len(s) < 4 || len(s) > 6 || !IsCountry(s[:2]) || s[2] != '-' {
		return false
	}
	for i := 3; i < len(s); i++ {
		if !upper(s[i]) && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}

func upper(c byte) bool { return c >= 'A' && c <= 'Z' }

func validateStruct(v reflect.Value, prefix string, errs []senda.FieldError) []senda.FieldError {
	for _, r := range rulesFor(v.Type()) {
		f := v.Field(r.index)
		loc := prefix + r.name
		switch f.Kind() {
		case reflect.Pointer:
			if f.IsNil() {
				continue
			}
			errs = r.check(f.Elem(), loc, errs)
		case reflect.Slice:
			if r.maxItems > 0 && f.Len() > r.maxItems {
				errs = append(errs, fieldErr(loc, KeyTooMany, map[string]any{"max": r.maxItems}))
				continue
			}
			for i := 0; i < f.Len(); i++ {
				errs = r.check(f.Index(i), fmt.Sprintf("%s[%d]", loc, i), errs)
			}
		default:
			if r.required && f.IsZero() {
				errs = append(errs, fieldErr(loc, KeyRequired, nil))
				continue
			}
			if f.Kind() == reflect.String && f.Len() == 0 && !r.required {
				continue
			}
			errs = r.check(f, loc, errs)
		}
	}
	return errs
}

func (r fieldRule) check(v reflect.Value, loc string, errs []senda.FieldError) []senda.FieldError {
	switch v.Kind() {
	case reflect.Struct:
		return validateStruct(v, loc+".", errs)
	case reflect.String:
		s := v.String()
		switch {
		case r.date && !Date(s).Valid():
			return append(errs, fieldErr(loc, KeyDate, map[string]any{"value": clip(s)}))
		case r.partial && !PartialDate(s).Valid():
			return append(errs, fieldErr(loc, KeyPartialDate, map[string]any{"value": clip(s)}))
		case r.match != nil && !r.partial && !r.match(s):
			return append(errs, fieldErr(loc, KeyPattern, map[string]any{"value": clip(s), "pattern": r.pattern}))
		case r.enum != nil && !contains(r.enum, s):
			return append(errs, fieldErr(loc, KeyEnum, map[string]any{"value": clip(s), "allowed": strings.Join(r.enum, ",")}))
		case r.maxLen > 0 && utf8.RuneCountInString(s) > r.maxLen:
			return append(errs, fieldErr(loc, KeyTooLong, map[string]any{"max": r.maxLen}))
		}
	case reflect.Int:
		n := v.Int()
		if (r.min != nil && n < *r.min) || (r.max != nil && n > *r.max) {
			return append(errs, fieldErr(loc, KeyRange, map[string]any{"value": n}))
		}
	}
	return errs
}

func fieldErr(loc, key string, args map[string]any) senda.FieldError {
	if args == nil {
		args = map[string]any{}
	}
	args["field"] = loc
	return senda.FieldError{Location: loc, Key: key, Args: args}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// clip keeps a rejected value short enough to echo back.
func clip(s string) string {
	if len(s) > 40 {
		s = s[:40]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		return s + "…"
	}
	return s
}
