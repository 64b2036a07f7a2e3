package policy

import (
	"fmt"
	"reflect"
	"sync"
	"time"
	"unicode/utf8"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"

	"github.com/senda-platform/senda/profile"
)

// view is the CEL value of a profile struct: one pre-converted CEL value
// per field, nil for "not answered". Views are built once per person and
// read by every criterion without further allocation.
type view struct {
	st   *structType
	vals []ref.Val
}

func (v *view) ConvertToNative(t reflect.Type) (any, error) {
	return nil, fmt.Errorf("policy: %s cannot be converted to %v", v.st.name, t)
}

func (v *view) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return v.st.celType
	}
	return types.NewErr("policy: %s cannot be converted to %v", v.st.name, t)
}

func (v *view) Equal(o ref.Val) ref.Val { return types.Bool(v == o) }
func (v *view) Type() ref.Type          { return v.st.celType }
func (v *view) Value() any              { return v }

// partialDate is the CEL value of a profile.PartialDate: the earliest and
// latest full dates it may stand for.
type partialDate struct {
	first, last [3]int // year, month, day
	unknown     *types.Unknown
}

func (d *partialDate) ConvertToNative(t reflect.Type) (any, error) {
	return nil, fmt.Errorf("policy: %s cannot be converted to %v", partialDateTypeName, t)
}

func (d *partialDate) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return partialDateType
	}
	return types.NewErr("policy: %s cannot be converted to %v", partialDateTypeName, t)
}

func (d *partialDate) Equal(o ref.Val) ref.Val {
	p, ok := o.(*partialDate)
	return types.Bool(ok && p.first == d.first && p.last == d.last)
}
func (d *partialDate) Type() ref.Type { return partialDateType }
func (d *partialDate) Value() any     { return d }

// ageRange returns the youngest and oldest possible age on the date of t.
func (d *partialDate) ageRange(t time.Time) (minAge, maxAge int) {
	y, m, day := t.Date()
	return ageAt(d.last, y, int(m), day), ageAt(d.first, y, int(m), day)
}

func ageAt(b [3]int, y, m, d int) int {
	age := y - b[0]
	if m < b[1] || (m == b[1] && d < b[2]) {
		age--
	}
	return age
}

// The date table holds the CEL timestamp of every day from 1900 to 2199 so
// that dates are converted without allocating.
var (
	dateTableOnce sync.Once
	dateTable     []ref.Val
	dateTableMin  = profile.DaysFromCivil(1900, 1, 1)
	dateTableMax  = profile.DaysFromCivil(2199, 12, 31)
)

func dateValue(days int) ref.Val {
	if days < dateTableMin || days > dateTableMax {
		return types.Timestamp{Time: time.Unix(int64(days)*86400, 0).UTC()}
	}
	dateTableOnce.Do(func() {
		dateTable = make([]ref.Val, dateTableMax-dateTableMin+1)
		for i := range dateTable {
			dateTable[i] = types.Timestamp{Time: time.Unix(int64(i+dateTableMin)*86400, 0).UTC()}
		}
	})
	return dateTable[days-dateTableMin]
}

// codes interns every two-letter upper-case code (country codes).
var codes = func() []ref.Val {
	out := make([]ref.Val, 26*26)
	for i := range out {
		out[i] = types.String([]byte{byte('A' + i/26), byte('A' + i%26)})
	}
	return out
}()

func stringValue(s string) ref.Val {
	if profile.IsCountry(s) {
		return codes[int(s[0]-'A')*26+int(s[1]-'A')]
	}
	return types.String(s)
}

var emptyList = types.NewRefValList(types.DefaultTypeAdapter, []ref.Val{})

// builder turns profile values into views. Answers that are not valid (a
// date that does not exist, a value outside its enumeration, a list longer
// than the schema allows) count as not answered.
type builder struct {
	adapter types.Adapter
}

func (b *builder) fill(v *view, rv reflect.Value) {
	for i, f := range v.st.fields {
		v.vals[i] = b.value(f, rv.Field(f.index))
	}
}

func (b *builder) value(f *field, fv reflect.Value) ref.Val {
	if fv.Kind() == reflect.Pointer {
		if fv.IsNil() {
			return nil
		}
		fv = fv.Elem()
	}
	switch f.kind {
	case kindString:
		s := fv.String()
		if f.enum != nil {
			return f.enum[s] // nil when not allowed
		}
		if !f.validText(s) {
			return nil
		}
		return stringValue(s)
	case kindBool:
		return types.Bool(fv.Bool())
	case kindInt:
		return types.Int(fv.Int())
	case kindDate:
		days, ok := profile.Date(fv.String()).Days()
		if !ok {
			return nil
		}
		return dateValue(days)
	case kindPartialDate:
		return newPartialDate(profile.PartialDate(fv.String()), f.unknown)
	}
	// Lists: nil is "not answered", empty is "none".
	if fv.IsNil() {
		return nil
	}
	n := fv.Len()
	if f.maxItems > 0 && n > f.maxItems {
		return nil
	}
	if n == 0 {
		return emptyList
	}
	vals := make([]ref.Val, n)
	for i := 0; i < n; i++ {
		ev := fv.Index(i)
		switch f.kind {
		case kindStringList:
			s := ev.String()
			if !f.validText(s) {
				return nil
			}
			vals[i] = stringValue(s)
		case kindDateList:
			days, ok := profile.Date(ev.String()).Days()
			if !ok {
				return nil
			}
			vals[i] = dateValue(days)
		case kindStructList:
			ew := &view{st: f.elem, vals: make([]ref.Val, len(f.elem.fields))}
			b.fill(ew, ev)
			vals[i] = ew
		}
	}
	return types.NewRefValList(b.adapter, vals)
}

// validText reports whether s is a valid answer for the text field f: not
// empty, of the schema's form and no longer than the schema allows. The
// cost bound of every criterion relies on the length limit.
func (f *field) validText(s string) bool {
	switch {
	case s == "":
		return false
	case f.valid != nil:
		return f.valid(s)
	case f.maxLen > 0:
		return len(s) <= f.maxLen || utf8.RuneCountInString(s) <= f.maxLen
	}
	return true
}

func newPartialDate(s profile.PartialDate, unknown *types.Unknown) ref.Val {
	first, last, ok := s.Range()
	if !ok {
		return nil
	}
	d := &partialDate{unknown: unknown}
	t1, _ := first.Time()
	t2, _ := last.Time()
	d.first = [3]int{t1.Year(), int(t1.Month()), t1.Day()}
	d.last = [3]int{t2.Year(), int(t2.Month()), t2.Day()}
	return d
}

// listOf returns the elements of a CEL list value built by the builder.
func listOf(v ref.Val) (traits.Lister, bool) {
	l, ok := v.(traits.Lister)
	return l, ok
}
