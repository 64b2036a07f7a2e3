package eligibility

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unsafe"

	"github.com/senda-platform/senda/profile"
)

// The compact form of a household's screening profiles: what bulk runs read
// instead of the sealed household document, so that a million profiles are
// read without parsing JSON.
//
//	profiles := count:uvarint profile*
//	struct   := present:uvarint (bit i: field i is set) value* (of the set fields, in order)
//	value    := string: len:uvarint bytes | bool: 0 or 1 | int: varint
//	          | list: count:uvarint value* | pointer to struct: struct
//
// A pointer, or a list, is set when it is not nil: an empty list ("none")
// is set with count 0, a nil one ("I don't know") is not set. The layout
// follows the fields of profile.Profile in declaration order; ProfileFormat
// names it, so that profiles written before the types changed are derived
// again rather than misread.

type fieldKind uint8

const (
	kString    fieldKind = iota // string
	kPtrString                  // *T, T of kind string
	kPtrBool                    // *bool
	kPtrInt                     // *int
	kStrings                    // []T, T of kind string
	kStructs                    // []S
	kPtrStruct                  // *S
)

type fieldCodec struct {
	name string
	off  uintptr
	kind fieldKind
	elem *structCodec // of kStructs and kPtrStruct
}

type structCodec struct {
	typ    reflect.Type
	fields []fieldCodec
	// slab index of the decoder's struct slabs, for kStructs/kPtrStruct
	// elements of this type.
	slab int
}

// sliceHeader is the layout of a Go slice.
type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

var (
	profileCodec  *structCodec
	structCodecs  []*structCodec // by slab index
	ProfileFormat string         // names the compact layout of profile.Profile
)

func init() {
	var sig strings.Builder
	profileCodec = compileStruct(reflect.TypeFor[profile.Profile](), &sig)
	sum := sha256.Sum256([]byte(sig.String()))
	ProfileFormat = "p1-" + hex.EncodeToString(sum[:6])
}

// compileStruct builds the codec of struct type t, flattening embedded
// structs, and writes its layout to sig.
func compileStruct(t reflect.Type, sig *strings.Builder) *structCodec {
	for _, c := range structCodecs {
		if c.typ == t {
			return c
		}
	}
	c := &structCodec{typ: t, slab: len(structCodecs)}
	structCodecs = append(structCodecs, c)
	fmt.Fprintf(sig, "%s{", t)
	c.fields = appendFields(nil, t, 0, sig)
	sig.WriteString("}")
	if len(c.fields) > 64 {
		panic(fmt.Sprintf("eligibility: %s has %d fields; the compact form holds at most 64", t, len(c.fields)))
	}
	return c
}

func appendFields(out []fieldCodec, t reflect.Type, base uintptr, sig *strings.Builder) []fieldCodec {
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			panic("eligibility: unexported field " + t.String() + "." + sf.Name)
		}
		if sf.Anonymous && sf.Type.Kind() == reflect.Struct {
			out = appendFields(out, sf.Type, base+sf.Offset, sig)
			continue
		}
		f := fieldCodec{name: sf.Name, off: base + sf.Offset}
		ft := sf.Type
		switch {
		case ft.Kind() == reflect.String:
			f.kind = kString
		case ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.String:
			f.kind = kPtrString
		case ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Bool:
			f.kind = kPtrBool
		case ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Int:
			f.kind = kPtrInt
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.String:
			f.kind = kStrings
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			f.kind = kStructs
		case ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct:
			f.kind = kPtrStruct
		default:
			panic(fmt.Sprintf("eligibility: field %s.%s of type %s has no compact form", t, sf.Name, ft))
		}
		fmt.Fprintf(sig, "%s:%d;", sf.Name, f.kind)
		if f.kind == kStructs || f.kind == kPtrStruct {
			f.elem = compileStruct(ft.Elem(), sig)
		}
		out = append(out, f)
	}
	return out
}

func (f *fieldCodec) set(p unsafe.Pointer) bool {
	q := unsafe.Add(p, f.off)
	switch f.kind {
	case kString:
		return *(*string)(q) != ""
	case kStrings, kStructs:
		return (*sliceHeader)(q).data != nil
	}
	return *(*unsafe.Pointer)(q) != nil
}

func (c *structCodec) encode(b []byte, p unsafe.Pointer) []byte {
	var present uint64
	for i := range c.fields {
		if c.fields[i].set(p) {
			present |= 1 << i
		}
	}
	b = binary.AppendUvarint(b, present)
	for i := range c.fields {
		if present&(1<<i) == 0 {
			continue
		}
		f := &c.fields[i]
		q := unsafe.Add(p, f.off)
		switch f.kind {
		case kString:
			b = appendString(b, *(*string)(q))
		case kPtrString:
			b = appendString(b, **(**string)(q))
		case kPtrBool:
			if **(**bool)(q) {
				b = append(b, 1)
			} else {
				b = append(b, 0)
			}
		case kPtrInt:
			b = binary.AppendVarint(b, int64(**(**int)(q)))
		case kStrings:
			l := *(*[]string)(q)
			b = binary.AppendUvarint(b, uint64(len(l)))
			for _, s := range l {
				b = appendString(b, s)
			}
		case kStructs:
			h := (*sliceHeader)(q)
			b = binary.AppendUvarint(b, uint64(h.len))
			size := f.elem.typ.Size()
			for k := range h.len {
				b = f.elem.encode(b, unsafe.Add(h.data, uintptr(k)*size))
			}
		case kPtrStruct:
			b = f.elem.encode(b, *(*unsafe.Pointer)(q))
		}
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// EncodeProfiles appends the compact form of ps to b.
func EncodeProfiles(b []byte, ps []profile.Profile) []byte {
	b = binary.AppendUvarint(b, uint64(len(ps)))
	for i := range ps {
		b = profileCodec.encode(b, unsafe.Pointer(&ps[i]))
	}
	return b
}

// errCorrupt is returned for bytes that are not a compact form.
var errCorrupt = errors.New("eligibility: corrupt compact profiles")

// maxDecodeLen bounds a list or text read from the compact form.
const maxDecodeLen = 1 << 20

// decoder decodes compact profiles. Decoded values live in slabs the
// decoder reuses: what Decode returns is valid until the next Reset. Texts
// point into the bytes decoded, which must not change afterwards.
type decoder struct {
	b   []byte
	off int
	err error

	strs    slab[string]
	bools   slab[bool]
	ints    slab[int]
	lists   slab[string]
	structs []structSlab
	out     []profile.Profile
}

func newDecoder() *decoder {
	d := &decoder{structs: make([]structSlab, len(structCodecs))}
	for i, c := range structCodecs {
		d.structs[i].typ = c.typ
	}
	return d
}

// reset makes every slab reusable: values decoded before become invalid.
func (d *decoder) reset() {
	d.strs.reset()
	d.bools.reset()
	d.ints.reset()
	d.lists.reset()
	d.out = d.out[:0]
	for i := range d.structs {
		d.structs[i].reset()
	}
}

// decodeProfiles decodes the compact form in b, appending to the
// decoder's profile buffer, and returns the profiles decoded.
func (d *decoder) decodeProfiles(b []byte) ([]profile.Profile, error) {
	d.b, d.off, d.err = b, 0, nil
	n := d.uvarint()
	if d.err != nil || n > 64 {
		return nil, errCorrupt
	}
	start := len(d.out)
	for range n {
		d.out = append(d.out, profile.Profile{})
	}
	out := d.out[start:]
	for i := range out {
		out[i] = profile.Profile{}
		profileCodec.decode(d, unsafe.Pointer(&out[i]))
	}
	if d.err == nil && d.off != len(d.b) {
		d.err = errCorrupt
	}
	if d.err != nil {
		d.out = d.out[:start]
		return nil, d.err
	}
	return out, nil
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) length() int {
	n := d.uvarint()
	if n > maxDecodeLen || int(n) > len(d.b)-d.off && d.err == nil {
		d.err = errCorrupt
		return 0
	}
	return int(n)
}

func (d *decoder) string() string {
	n := d.length()
	if d.err != nil || n == 0 {
		return ""
	}
	s := unsafe.String(&d.b[d.off], n)
	d.off += n
	return s
}

func (c *structCodec) decode(d *decoder, p unsafe.Pointer) {
	present := d.uvarint()
	if d.err != nil {
		return
	}
	if present>>len(c.fields) != 0 {
		d.err = errCorrupt
		return
	}
	for i := range c.fields {
		if present&(1<<i) == 0 {
			continue
		}
		f := &c.fields[i]
		q := unsafe.Add(p, f.off)
		switch f.kind {
		case kString:
			*(*string)(q) = d.string()
		case kPtrString:
			v := &d.strs.take(1)[0]
			*v = d.string()
			*(**string)(q) = v
		case kPtrBool:
			if d.off >= len(d.b) || d.b[d.off] > 1 {
				d.err = errCorrupt
				return
			}
			v := &d.bools.take(1)[0]
			*v = d.b[d.off] == 1
			d.off++
			*(**bool)(q) = v
		case kPtrInt:
			x, n := binary.Varint(d.b[d.off:])
			if n <= 0 || int64(int(x)) != x {
				d.err = errCorrupt
				return
			}
			d.off += n
			v := &d.ints.take(1)[0]
			*v = int(x)
			*(**int)(q) = v
		case kStrings:
			n := d.length()
			l := d.lists.take(n)
			for k := range l {
				l[k] = d.string()
			}
			*(*[]string)(q) = l
		case kStructs:
			n := d.length()
			data := d.structs[f.elem.slab].take(n)
			size := f.elem.typ.Size()
			for k := range n {
				f.elem.decode(d, unsafe.Add(data, uintptr(k)*size))
			}
			*(*sliceHeader)(q) = sliceHeader{data: data, len: n, cap: n}
		case kPtrStruct:
			data := d.structs[f.elem.slab].take(1)
			f.elem.decode(d, data)
			*(*unsafe.Pointer)(q) = data
		}
		if d.err != nil {
			return
		}
	}
}

// slabChunk is the number of values a slab allocates at a time.
const slabChunk = 4096

// slab hands out values from chunks it keeps between resets.
type slab[T any] struct {
	bufs   [][]T
	ci, at int
}

// take returns n values; they keep whatever they held before.
func (s *slab[T]) take(n int) []T {
	for {
		if s.ci == len(s.bufs) {
			s.bufs = append(s.bufs, make([]T, max(slabChunk, n)))
		}
		buf := s.bufs[s.ci]
		if s.at+n <= len(buf) {
			out := buf[s.at : s.at+n : s.at+n]
			s.at += n
			return out
		}
		s.ci++
		s.at = 0
	}
}

func (s *slab[T]) reset() { s.ci, s.at = 0, 0 }

// structSlab is a slab of structs of a type known at run time. take
// returns zeroed memory for n of them, or a non-nil pointer for n = 0 (an
// empty list).
type structSlab struct {
	typ    reflect.Type
	bufs   []reflect.Value // slices of typ
	ci, at int
}

var zeroLen byte

func (s *structSlab) take(n int) unsafe.Pointer {
	if n == 0 {
		return unsafe.Pointer(&zeroLen)
	}
	for {
		if s.ci == len(s.bufs) {
			s.bufs = append(s.bufs, reflect.MakeSlice(reflect.SliceOf(s.typ), max(slabChunk/16, n), max(slabChunk/16, n)))
		}
		buf := s.bufs[s.ci]
		if s.at+n <= buf.Len() {
			for k := s.at; k < s.at+n; k++ {
				buf.Index(k).SetZero()
			}
			p := buf.Index(s.at).Addr().UnsafePointer()
			s.at += n
			return p
		}
		s.ci++
		s.at = 0
	}
}

func (s *structSlab) reset() { s.ci, s.at = 0, 0 }
