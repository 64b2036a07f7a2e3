package policy

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"

	"github.com/senda-platform/senda/profile"
)

// The CEL types built from the profile types. Each Go struct of package
// profile becomes a CEL object type whose fields carry the JSON names:
//
//	senda.Person    <- profile.Person (without id)
//	senda.Household <- profile.Household
//	senda.Member    <- profile.Member (without id)
//	senda.Entry     <- profile.Entry
//
// Field types map as: text -> string, yes/no -> bool, number -> int,
// profile.Date -> timestamp (midnight UTC), profile.PartialDate ->
// senda.PartialDate (usable only through the age functions), lists -> list of
// the element type.
const (
	personTypeName      = "senda.Person"
	householdTypeName   = "senda.Household"
	memberTypeName      = "senda.Member"
	entryTypeName       = "senda.Entry"
	partialDateTypeName = "senda.PartialDate"
)

var partialDateType = types.NewOpaqueType(partialDateTypeName)

type fieldKind int

const (
	kindString fieldKind = iota
	kindBool
	kindInt
	kindDate
	kindPartialDate
	kindStringList
	kindDateList
	kindStructList
)

// field is one field of a CEL object type.
type field struct {
	name     string // JSON name
	path     string // question path, e.g. "household.members.birth_date"
	id       int64  // expression id of the Unknown reported when it is not answered
	index    int    // Go struct field index
	kind     fieldKind
	celType  *types.Type
	elem     *structType // element type of a struct list
	maxItems int
	maxLen   int                // longest text the schema allows; 0 when unbounded
	valid    func(string) bool  // the schema's pattern, when it has one
	enum     map[string]ref.Val // interned values of an enum field
	unknown  *types.Unknown
	ft       *types.FieldType

	// For the compact evaluator (see fast.go).
	bit      uint64  // 1 << id: the field in an unknown mask
	off      uintptr // offset of the Go field in its struct
	goPtr    bool    // the Go field is a pointer
	elemSize uintptr // size of one element of a struct list
	unk      val     // the unknown value "not answered"
}

// structType is a CEL object type backed by a profile struct.
type structType struct {
	name    string
	celType *types.Type
	goType  reflect.Type
	fields  []*field
	byName  map[string]*field
}

// Unknown ids: 1..n name fields; these two are special.
const (
	undecidedID int64 = 1 << 40 // undecided(): no question can settle it
)

type schema struct {
	person, household, member, entry *structType
	byID                             map[int64]*field
	structs                          map[string]*structType
}

var (
	schemaOnce sync.Once
	theSchema  *schema
)

func profileSchema() *schema {
	schemaOnce.Do(func() {
		s := &schema{byID: map[int64]*field{}, structs: map[string]*structType{}}
		var next int64 = 1
		s.entry = s.build(entryTypeName, reflect.TypeFor[profile.Entry](), "irregular_entries.", &next)
		s.member = s.build(memberTypeName, reflect.TypeFor[profile.Member](), "household.members.", &next)
		s.person = s.build(personTypeName, reflect.TypeFor[profile.Person](), "", &next)
		s.household = s.build(householdTypeName, reflect.TypeFor[profile.Household](), "household.", &next)
		theSchema = s
	})
	return theSchema
}

func (s *schema) build(name string, t reflect.Type, prefix string, next *int64) *structType {
	st := &structType{name: name, celType: types.NewObjectType(name), goType: t, byName: map[string]*field{}}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		jname, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if jname == "" || jname == "-" || jname == "id" {
			continue
		}
		f := &field{name: jname, path: prefix + jname, id: *next, index: i, off: sf.Offset,
			goPtr: sf.Type.Kind() == reflect.Pointer}
		*next++
		if f.id >= 64 {
			panic("policy: the profile has more fields than an unknown mask holds; widen the mask")
		}
		f.bit = 1 << uint(f.id)
		f.unk = unknownVal(f.bit)
		ft := sf.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft == reflect.TypeFor[profile.Date]():
			f.kind, f.celType = kindDate, types.TimestampType
		case ft == reflect.TypeFor[profile.PartialDate]():
			f.kind, f.celType = kindPartialDate, partialDateType
		case ft.Kind() == reflect.String:
			f.kind, f.celType = kindString, types.StringType
		case ft.Kind() == reflect.Bool:
			f.kind, f.celType = kindBool, types.BoolType
		case ft.Kind() == reflect.Int:
			f.kind, f.celType = kindInt, types.IntType
		case ft.Kind() == reflect.Slice && ft.Elem() == reflect.TypeFor[profile.Date]():
			f.kind, f.celType = kindDateList, types.NewListType(types.TimestampType)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.String:
			f.kind, f.celType = kindStringList, types.NewListType(types.StringType)
		case ft.Kind() == reflect.Slice && ft.Elem() == reflect.TypeFor[profile.Entry]():
			f.kind, f.elem, f.elemSize = kindStructList, s.entry, ft.Elem().Size()
			f.celType = types.NewListType(s.entry.celType)
		case ft.Kind() == reflect.Slice && ft.Elem() == reflect.TypeFor[profile.Member]():
			f.kind, f.elem, f.elemSize = kindStructList, s.member, ft.Elem().Size()
			f.celType = types.NewListType(s.member.celType)
		default:
			panic(fmt.Sprintf("policy: profile field %s.%s has a type with no CEL mapping", t.Name(), sf.Name))
		}
		if n, err := fmt.Sscan(sf.Tag.Get("maxItems"), &f.maxItems); n != 1 || err != nil {
			f.maxItems = 0
		}
		if e := sf.Tag.Get("enum"); e != "" {
			f.enum = map[string]ref.Val{}
			for _, v := range strings.Split(e, ",") {
				f.enum[v] = types.String(v)
				f.maxLen = max(f.maxLen, len(v))
			}
		}
		switch sf.Tag.Get("pattern") {
		case "^[A-Z]{2}$":
			f.maxLen, f.valid = 2, profile.IsCountry
		case "^[A-Z]{2}-[A-Z0-9]{1,3}$":
			f.maxLen, f.valid = 6, profile.IsRegion
		}
		if n, err := fmt.Sscan(sf.Tag.Get("maxLength"), &f.maxLen); n != 1 || err != nil {
			_ = n
		}
		f.unknown = types.NewUnknown(f.id, nil)
		idx := len(st.fields)
		f.ft = &types.FieldType{
			Type: f.celType,
			IsSet: func(o any) bool {
				v, ok := o.(*view)
				return ok && v.vals[idx] != nil
			},
			GetFrom: func(o any) (any, error) {
				v, ok := o.(*view)
				if !ok {
					return nil, fmt.Errorf("policy: field %s read on %T", f.name, o)
				}
				if x := v.vals[idx]; x != nil {
					return x, nil
				}
				return f.unknown, nil
			},
		}
		st.fields = append(st.fields, f)
		st.byName[jname] = f
		s.byID[f.id] = f
	}
	s.structs[name] = st
	return st
}

// provider adds the profile object types to CEL's type registry.
type provider struct {
	*types.Registry
	s *schema
}

func (p *provider) FindStructType(name string) (*types.Type, bool) {
	if st, ok := p.s.structs[name]; ok {
		return types.NewTypeTypeWithParam(st.celType), true
	}
	return p.Registry.FindStructType(name)
}

func (p *provider) FindStructFieldNames(name string) ([]string, bool) {
	if st, ok := p.s.structs[name]; ok {
		names := make([]string, 0, len(st.fields))
		for _, f := range st.fields {
			names = append(names, f.name)
		}
		return names, true
	}
	return p.Registry.FindStructFieldNames(name)
}

func (p *provider) FindStructFieldType(name, fieldName string) (*types.FieldType, bool) {
	if st, ok := p.s.structs[name]; ok {
		f, ok := st.byName[fieldName]
		if !ok {
			return nil, false
		}
		return f.ft, true
	}
	return p.Registry.FindStructFieldType(name, fieldName)
}

// NewValue refuses to build profile objects inside expressions.
func (p *provider) NewValue(name string, fields map[string]ref.Val) ref.Val {
	if _, ok := p.s.structs[name]; ok {
		return types.NewErr("policy: %s values cannot be built in an expression", name)
	}
	return p.Registry.NewValue(name, fields)
}

// needsOf turns the ids of an Unknown into sorted, distinct question paths.
func (s *schema) needsOf(u *types.Unknown) []string {
	var out []string
	for _, id := range u.IDs() {
		if f, ok := s.byID[id]; ok {
			out = append(out, f.path)
		}
	}
	sort.Strings(out)
	return compactStrings(out)
}

func compactStrings(s []string) []string {
	if len(s) < 2 {
		return s
	}
	j := 1
	for i := 1; i < len(s); i++ {
		if s[i] != s[j-1] {
			s[j] = s[i]
			j++
		}
	}
	return s[:j]
}

// FieldPaths returns the question path of every profile field the CEL
// environment exposes, sorted. Needs in results are drawn from this set.
func FieldPaths() []string {
	s := profileSchema()
	out := make([]string, 0, len(s.byID))
	for _, f := range s.byID {
		out = append(out, f.path)
	}
	sort.Strings(out)
	return out
}
