package policy

// The compact evaluator.
//
// cel-go parses, type-checks and bounds the cost of every criterion at
// load. To screen millions of profiles the engine then evaluates the
// checked expression with a small evaluator specialised for the subset of
// CEL a pack may use (see allowedCalls): values are plain structs, an
// unanswered field is an unknown carrying a bit mask of the fields it
// depends on, and nothing is allocated per criterion except the lists that
// filter() and map() build. Its results are those of cel-go's interpreter,
// which the tests check on random profiles for every shipped criterion. An
// expression it cannot compile is evaluated by cel-go instead.

import (
	"errors"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"

	"github.com/senda-platform/senda/profile"
)

type vkind uint8

const (
	vUnknown vkind = iota // u holds the fields it depends on; bit 0 is undecided()
	vBool                 // b
	vInt                  // i
	vString               // p, i: the text (see strVal)
	vTime                 // i: Unix seconds
	vPartial              // i, j: first and last possible day; u: the field's bit (see partialVal)
	vList                 // p, i: the elements (see listVal)
	vObj                  // p: the *obj (see objVal)
)

// val is one value of the compact evaluator. Closures return it by value
// everywhere, so it is kept to four fields and 32 bytes, the largest struct
// the compiler keeps in registers (a larger one is copied through the stack
// at every call): text, lists and objects share one pointer, p, with the
// length of text and lists in i; the last day of a vPartial (the day of a
// four-digit year) fits in the 32 bits next to the kind.
type val struct {
	vhead
	p unsafe.Pointer // vString: the text's bytes; vList: its first element; vObj: the *obj
	i int64
	u uint64
}

type vhead struct {
	k vkind
	b bool
	j int32 // vPartial: the last possible day
}

// The compiler keeps a struct in registers only while it has at most four
// fields and 32 bytes; this does not compile if val grows past 32 bytes.
const _ uintptr = 32 - unsafe.Sizeof(val{})

func intVal(n int64) val      { return val{vhead: vhead{k: vInt}, i: n} }
func timeVal(sec int64) val   { return val{vhead: vhead{k: vTime}, i: sec} }
func unknownVal(u uint64) val { return val{vhead: vhead{k: vUnknown}, u: u} }
func partialVal(first, last int, bit uint64) val {
	return val{vhead: vhead{k: vPartial, j: int32(last)}, i: int64(first), u: bit}
}

func strVal(s string) val {
	return val{vhead: vhead{k: vString}, p: unsafe.Pointer(unsafe.StringData(s)), i: int64(len(s))}
}

// str is the text of a vString.
func (v val) str() string { return unsafe.String((*byte)(v.p), int(v.i)) }

// listVal is the list l; an empty list (nil or not) is an answered "none".
func listVal(l []val) val {
	return val{vhead: vhead{k: vList}, p: unsafe.Pointer(unsafe.SliceData(l)), i: int64(len(l))}
}

// list is the elements of a vList (never to be appended to in place).
func (v val) list() []val { return unsafe.Slice((*val)(v.p), int(v.i)) }

func objVal(o *obj) val { return val{vhead: vhead{k: vObj}, p: unsafe.Pointer(o)} }

// obj is the struct of a vObj.
func (v val) obj() *obj { return (*obj)(v.p) }

// obj is a profile struct: one value per field, in schema order.
type obj struct {
	st   *structType
	vals []val
}

const undecidedBit uint64 = 1

var (
	vTrue      = val{vhead: vhead{k: vBool, b: true}}
	vFalse     = val{vhead: vhead{k: vBool}}
	vUndecided = unknownVal(undecidedBit)
)

func boolVal(b bool) val {
	if b {
		return vTrue
	}
	return vFalse
}

const secondsPerDay = 86400

// --- Building values from profiles -----------------------------------------

// arena hands out value slices that live until the next reset.
type arena struct {
	vals  []val
	used  int
	objs  []obj
	oUsed int
}

func (a *arena) reset() { a.used, a.oUsed = 0, 0 }

func (a *arena) alloc(n int) []val {
	if a.used+n > len(a.vals) {
		a.vals = make([]val, max(1024, 2*len(a.vals), n))
		a.used = 0
	}
	s := a.vals[a.used : a.used+n : a.used+n]
	a.used += n
	return s
}

func (a *arena) obj(st *structType) *obj {
	if a.oUsed == len(a.objs) {
		a.objs = make([]obj, max(64, 2*len(a.objs)))
		a.oUsed = 0
	}
	o := &a.objs[a.oUsed]
	a.oUsed++
	o.st = st
	o.vals = a.alloc(len(st.fields))
	return o
}

// fill sets o's values from the Go struct at base, which has o's type:
// those of the fields in mask (the fields a pack's compiled criteria
// read; the others are left as they were and never read). Answers that
// are not valid count as not answered, as in builder.
func (a *arena) fill(o *obj, base unsafe.Pointer, mask uint64) {
	for i, f := range o.st.fields {
		if f.bit&mask != 0 {
			o.vals[i] = a.value(f, unsafe.Add(base, f.off), mask)
		}
	}
}

func (a *arena) value(f *field, p unsafe.Pointer, mask uint64) val {
	if f.goPtr {
		p = *(*unsafe.Pointer)(p)
		if p == nil {
			return f.unk
		}
	}
	switch f.kind {
	case kindString:
		s := *(*string)(p)
		if !f.validText(s) || (f.enum != nil && f.enum[s] == nil) {
			return f.unk
		}
		return strVal(s)
	case kindBool:
		return boolVal(*(*bool)(p))
	case kindInt:
		return intVal(int64(*(*int)(p)))
	case kindDate:
		d, ok := profile.Date(*(*string)(p)).Days()
		if !ok {
			return f.unk
		}
		return timeVal(int64(d) * secondsPerDay)
	case kindPartialDate:
		first, last, ok := profile.PartialDate(*(*string)(p)).DayRange()
		if !ok {
			return f.unk
		}
		return partialVal(first, last, f.bit)
	}
	// Lists: nil is "not answered", empty is "none". Every list kind has the
	// layout of a slice header.
	hdr := (*[]byte)(p)
	if *hdr == nil {
		return f.unk
	}
	n := len(*hdr)
	if f.maxItems > 0 && n > f.maxItems {
		return f.unk
	}
	out := a.alloc(n)
	switch f.kind {
	case kindStringList:
		for i, s := range *(*[]string)(p) {
			if !f.validText(s) {
				return f.unk
			}
			out[i] = strVal(s)
		}
	case kindDateList:
		for i, s := range *(*[]string)(p) {
			d, ok := profile.Date(s).Days()
			if !ok {
				return f.unk
			}
			out[i] = timeVal(int64(d) * secondsPerDay)
		}
	case kindStructList:
		data := unsafe.Pointer(unsafe.SliceData(*hdr))
		for i := range n {
			o := a.obj(f.elem)
			a.fill(o, unsafe.Add(data, uintptr(i)*f.elemSize), mask)
			out[i] = objVal(o)
		}
	}
	return listVal(out)
}

// --- Evaluation --------------------------------------------------------------

// fstate is the state of one evaluation.
type fstate struct {
	person, household, asOf val
	locals                  []val
	steps                   int
	// principal is principal(household), once principalKnown.
	principal      val
	principalKnown bool
}

// maxSteps bounds the comprehension steps of one evaluation. The load-time
// cost bound already makes it unreachable; it guards the evaluator itself.
const maxSteps = 1 << 20

type efn func(st *fstate) val

// errUnsupported marks an expression the compact evaluator does not handle.
var errUnsupported = errors.New("policy: not supported by the compact evaluator")

type fcompiler struct {
	s      *schema
	types  func(id int64) *types.Type
	scopes []fscope
	slots  int
	used   uint64 // the fields the expression reads (their bits)
}

type fscope struct {
	name string
	slot int
}

// compileFast compiles a checked expression and returns it with the local
// variables it needs and the fields it reads (a mask of their bits); it
// fails with errUnsupported for anything outside the subset.
func compileFast(s *schema, e ast.Expr, typeOf func(id int64) *types.Type) (efn, int, uint64, error) {
	c := &fcompiler{s: s, types: typeOf}
	fn, err := c.node(e)
	if err != nil {
		return nil, 0, 0, err
	}
	return fn, c.slots, c.used, nil
}

func (c *fcompiler) lookup(name string) (int, bool) {
	for i := len(c.scopes) - 1; i >= 0; i-- {
		if c.scopes[i].name == name {
			return c.scopes[i].slot, true
		}
	}
	return 0, false
}

func (c *fcompiler) node(e ast.Expr) (efn, error) {
	switch e.Kind() {
	case ast.LiteralKind:
		switch v := e.AsLiteral().(type) {
		case types.Bool:
			r := boolVal(bool(v))
			return func(*fstate) val { return r }, nil
		case types.Int:
			r := intVal(int64(v))
			return func(*fstate) val { return r }, nil
		case types.String:
			r := strVal(string(v))
			return func(*fstate) val { return r }, nil
		}
		return nil, errUnsupported
	case ast.IdentKind:
		name := e.AsIdent()
		if slot, ok := c.lookup(name); ok {
			return func(st *fstate) val { return st.locals[slot] }, nil
		}
		switch name {
		case varPerson:
			return func(st *fstate) val { return st.person }, nil
		case varHousehold:
			return func(st *fstate) val { return st.household }, nil
		case varAsOf:
			return func(st *fstate) val { return st.asOf }, nil
		}
		return nil, errUnsupported
	case ast.SelectKind:
		return c.sel(e)
	case ast.CallKind:
		return c.call(e)
	case ast.ListKind:
		l := e.AsList()
		if len(l.OptionalIndices()) > 0 {
			return nil, errUnsupported
		}
		elems, err := c.nodes(l.Elements())
		if err != nil {
			return nil, err
		}
		if lit, ok := literalList(l.Elements()); ok {
			return func(*fstate) val { return lit }, nil
		}
		return func(st *fstate) val {
			out := make([]val, len(elems))
			var unk uint64
			for i, el := range elems {
				out[i] = el(st)
				if out[i].k == vUnknown {
					unk |= out[i].u
				}
			}
			if unk != 0 {
				return unknownVal(unk)
			}
			return listVal(out)
		}, nil
	case ast.ComprehensionKind:
		return c.fold(e)
	}
	return nil, errUnsupported
}

// literalVal returns the value of a literal (or of a timestamp literal).
func literalVal(e ast.Expr) (val, bool) {
	switch e.Kind() {
	case ast.LiteralKind:
		switch v := e.AsLiteral().(type) {
		case types.Bool:
			return boolVal(bool(v)), true
		case types.Int:
			return intVal(int64(v)), true
		case types.String:
			return strVal(string(v)), true
		}
	case ast.CallKind:
		call := e.AsCall()
		if call.FunctionName() == "timestamp" && len(call.Args()) == 1 && call.Args()[0].Kind() == ast.LiteralKind {
			if s, ok := call.Args()[0].AsLiteral().(types.String); ok {
				if t, err := time.Parse(time.RFC3339, string(s)); err == nil {
					return timeVal(t.Unix()), true
				}
			}
		}
	}
	return val{}, false
}

// literalList returns the value of a list literal whose elements are all
// literals (such as an inlined pack list).
func literalList(es []ast.Expr) (val, bool) {
	out := make([]val, len(es))
	for i, e := range es {
		if e.Kind() != ast.LiteralKind {
			return val{}, false
		}
		switch v := e.AsLiteral().(type) {
		case types.Bool:
			out[i] = boolVal(bool(v))
		case types.Int:
			out[i] = intVal(int64(v))
		case types.String:
			out[i] = strVal(string(v))
		default:
			return val{}, false
		}
	}
	return listVal(out), true
}

func (c *fcompiler) nodes(es []ast.Expr) ([]efn, error) {
	out := make([]efn, len(es))
	for i, e := range es {
		fn, err := c.node(e)
		if err != nil {
			return nil, err
		}
		out[i] = fn
	}
	return out, nil
}

func (c *fcompiler) sel(e ast.Expr) (efn, error) {
	s := e.AsSelect()
	if s.IsTestOnly() {
		return nil, errUnsupported
	}
	t := c.types(s.Operand().ID())
	if t == nil {
		return nil, errUnsupported
	}
	st, ok := c.s.structs[t.TypeName()]
	if !ok {
		return nil, errUnsupported
	}
	f, ok := st.byName[s.FieldName()]
	if !ok {
		return nil, errUnsupported
	}
	idx := indexOf(st, f)
	c.used |= f.bit
	if o := s.Operand(); o.Kind() == ast.IdentKind {
		name := o.AsIdent()
		if slot, ok := c.lookup(name); ok {
			return func(state *fstate) val {
				v := &state.locals[slot]
				if v.k != vObj {
					if v.k == vUnknown {
						return *v
					}
					return vUndecided
				}
				return v.obj().vals[idx]
			}, nil
		}
		switch name {
		case varPerson:
			return func(state *fstate) val { return state.person.obj().vals[idx] }, nil
		case varHousehold:
			return func(state *fstate) val { return state.household.obj().vals[idx] }, nil
		}
	}
	op, err := c.node(s.Operand())
	if err != nil {
		return nil, err
	}
	return func(state *fstate) val {
		v := op(state)
		if v.k != vObj {
			if v.k == vUnknown {
				return v
			}
			return vUndecided
		}
		return v.obj().vals[idx]
	}, nil
}

func (c *fcompiler) fold(e ast.Expr) (efn, error) {
	cp := e.AsComprehension()
	if cp.HasIterVar2() {
		return nil, errUnsupported
	}
	rng, err := c.node(cp.IterRange())
	if err != nil {
		return nil, err
	}
	init, err := c.node(cp.AccuInit())
	if err != nil {
		return nil, err
	}
	accuSlot := c.slots
	iterSlot := c.slots + 1
	c.slots += 2
	c.scopes = append(c.scopes, fscope{cp.AccuVar(), accuSlot}, fscope{cp.IterVar(), iterSlot})
	defer func() { c.scopes = c.scopes[:len(c.scopes)-2] }()
	cond, err := c.node(cp.LoopCondition())
	if err != nil {
		return nil, err
	}
	step, err := c.node(cp.LoopStep())
	if err != nil {
		return nil, err
	}
	if m, pred := macroOf(cp); m != macroNone {
		// The shapes the exists(), all() and filter() macros expand to,
		// evaluated without the generic condition and step: the same
		// values, step for step, as the generic loop below.
		predFn, err := c.node(pred)
		if err != nil {
			return nil, err
		}
		switch m {
		case macroExists:
			return foldQuantifier(rng, init, predFn, accuSlot, iterSlot, true), nil
		case macroAll:
			return foldQuantifier(rng, init, predFn, accuSlot, iterSlot, false), nil
		case macroFilter:
			return foldFilter(rng, init, predFn, accuSlot, iterSlot), nil
		}
	}
	// The result sees the accumulator but not the iteration variable.
	c.scopes[len(c.scopes)-1].name = ""
	result, err := c.node(cp.Result())
	if err != nil {
		return nil, err
	}
	return func(st *fstate) val {
		r := rng(st)
		if r.k == vUnknown {
			return r
		}
		if r.k != vList {
			return vUndecided
		}
		st.locals[accuSlot] = init(st)
		for _, el := range r.list() {
			st.steps++
			if st.steps > maxSteps {
				return vUndecided
			}
			st.locals[iterSlot] = el
			if cv := cond(st); cv.k != vBool || !cv.b {
				break
			}
			st.locals[accuSlot] = step(st)
		}
		return result(st)
	}, nil
}

type macro int

const (
	macroNone macro = iota
	macroExists
	macroAll
	macroFilter
)

// macroOf recognises the comprehensions of the exists(), all() and
// filter() macros and returns which it is and its predicate.
func macroOf(cp ast.ComprehensionExpr) (macro, ast.Expr) {
	accu, iter := cp.AccuVar(), cp.IterVar()
	isIdent := func(e ast.Expr, name string) bool {
		return e.Kind() == ast.IdentKind && e.AsIdent() == name
	}
	isCall := func(e ast.Expr, fn string, n int) ([]ast.Expr, bool) {
		if e.Kind() != ast.CallKind {
			return nil, false
		}
		call := e.AsCall()
		if call.IsMemberFunction() || call.FunctionName() != fn || len(call.Args()) != n {
			return nil, false
		}
		return call.Args(), true
	}
	isBool := func(e ast.Expr, b bool) bool {
		if e.Kind() != ast.LiteralKind {
			return false
		}
		v, ok := e.AsLiteral().(types.Bool)
		return ok && bool(v) == b
	}
	if !isIdent(cp.Result(), accu) || accu == iter {
		return macroNone, nil
	}
	init, cond, step := cp.AccuInit(), cp.LoopCondition(), cp.LoopStep()
	switch {
	case isBool(init, false):
		// exists: @not_strictly_false(!accu), accu || pred
		if a, ok := isCall(cond, "@not_strictly_false", 1); ok {
			if b, ok := isCall(a[0], "!_", 1); ok && isIdent(b[0], accu) {
				if s, ok := isCall(step, "_||_", 2); ok && isIdent(s[0], accu) {
					return macroExists, s[1]
				}
			}
		}
	case isBool(init, true):
		// all: @not_strictly_false(accu), accu && pred
		if a, ok := isCall(cond, "@not_strictly_false", 1); ok && isIdent(a[0], accu) {
			if s, ok := isCall(step, "_&&_", 2); ok && isIdent(s[0], accu) {
				return macroAll, s[1]
			}
		}
	case init.Kind() == ast.ListKind && len(init.AsList().Elements()) == 0 && isBool(cond, true):
		// filter: pred ? accu + [iter] : accu
		if s, ok := isCall(step, "_?_:_", 3); ok && isIdent(s[2], accu) {
			if add, ok := isCall(s[1], "_+_", 2); ok && isIdent(add[0], accu) && add[1].Kind() == ast.ListKind {
				l := add[1].AsList()
				if len(l.OptionalIndices()) == 0 && len(l.Elements()) == 1 && isIdent(l.Elements()[0], iter) {
					return macroFilter, s[0]
				}
			}
		}
	}
	return macroNone, nil
}

// loopRange checks a loop's range: a list to loop over, or else (ok false)
// what the whole loop is: the range itself when unknown, undecided when it
// is not a list.
func loopRange(r val) (val, bool) {
	switch r.k {
	case vList:
		return r, true
	case vUnknown:
		return r, false
	}
	return vUndecided, false
}

// foldQuantifier is the loop of exists() (decisive true) and all()
// (decisive false): decided as soon as the predicate gives the decisive
// value; otherwise the unknowns met, or the other value.
func foldQuantifier(rng, init, pred efn, accuSlot, iterSlot int, decisive bool) efn {
	other := boolVal(!decisive)
	return func(st *fstate) val {
		r, ok := loopRange(rng(st))
		if !ok {
			return r
		}
		accu := init(st)
		els := r.list()
		for i := range els {
			st.steps++
			if st.steps > maxSteps {
				return vUndecided
			}
			if accu.k == vBool && accu.b == decisive {
				break
			}
			st.locals[accuSlot] = accu
			st.locals[iterSlot] = els[i]
			v := pred(st)
			switch {
			case v.k == vBool && v.b == decisive:
				accu = v
			case accu.k == vBool && v.k == vBool:
				accu = other
			default:
				accu = merge(accu, v)
			}
		}
		return accu
	}
}

// foldFilter is the loop of filter(): the elements the predicate keeps,
// built in one list rather than a new list per element.
func foldFilter(rng, init, pred efn, accuSlot, iterSlot int) efn {
	return func(st *fstate) val {
		r, ok := loopRange(rng(st))
		if !ok {
			return r
		}
		accu := init(st)
		var kept []val // owned by this loop while accu is a list
		els := r.list()
		for i := range els {
			st.steps++
			if st.steps > maxSteps {
				return vUndecided
			}
			el := els[i]
			st.locals[accuSlot] = accu
			st.locals[iterSlot] = el
			v := pred(st)
			switch {
			case v.k != vBool:
				if v.k == vUnknown {
					accu = v
				} else {
					accu = vUndecided
				}
			case !v.b:
			case el.k == vUnknown:
				accu = merge(accu, unknownVal(el.u))
			case accu.k == vUnknown:
			case accu.k != vList:
				accu = vUndecided
			default:
				if kept == nil {
					prev := accu.list()
					kept = make([]val, len(prev), len(prev)+len(els)-i)
					copy(kept, prev)
				}
				kept = append(kept, el)
				accu = listVal(kept)
			}
		}
		return accu
	}
}

// merge returns the unknown of whichever of a and b are unknown.
func merge(a, b val) val {
	switch {
	case a.k == vUnknown && b.k == vUnknown:
		return unknownVal(a.u | b.u)
	case a.k == vUnknown:
		return a
	}
	return b
}

func (c *fcompiler) call(e ast.Expr) (efn, error) {
	call := e.AsCall()
	fn := call.FunctionName()
	var args []ast.Expr
	if call.IsMemberFunction() {
		args = append([]ast.Expr{call.Target()}, call.Args()...)
	} else {
		args = call.Args()
	}
	if fn == "timestamp" {
		if len(args) == 1 && args[0].Kind() == ast.LiteralKind {
			if s, ok := args[0].AsLiteral().(types.String); ok {
				t, err := time.Parse(time.RFC3339, string(s))
				if err == nil {
					r := timeVal(t.Unix())
					return func(*fstate) val { return r }, nil
				}
			}
		}
		return nil, errUnsupported
	}
	if fn == "undecided" && len(args) == 0 {
		return func(*fstate) val { return vUndecided }, nil
	}
	fns, err := c.nodes(args)
	if err != nil {
		return nil, err
	}
	switch len(fns) {
	case 1:
		a := fns[0]
		switch fn {
		case "!_":
			return func(st *fstate) val {
				v := a(st)
				if v.k == vBool {
					return boolVal(!v.b)
				}
				return v
			}, nil
		case "@not_strictly_false":
			return func(st *fstate) val {
				v := a(st)
				if v.k == vBool {
					return v
				}
				return vTrue
			}, nil
		case "size":
			return strict1(a, func(v val) val {
				switch v.k {
				case vList:
					return intVal(int64(len(v.list())))
				case vString:
					return intVal(int64(utf8.RuneCountInString(v.str())))
				}
				return vUndecided
			}), nil
		case "principal":
			f := principalFast(c.s)
			c.used |= c.s.household.byName["members"].bit | c.s.member.byName["relationship"].bit
			if e := args[0]; e.Kind() == ast.IdentKind && e.AsIdent() == varHousehold {
				if _, local := c.lookup(varHousehold); !local {
					// The principal of the screened household, found once
					// per profile.
					return func(st *fstate) val {
						if !st.principalKnown {
							st.principal, st.principalKnown = f(st.household), true
						}
						return st.principal
					}, nil
				}
			}
			return strict1(a, f), nil
		}
	case 2:
		a, b := fns[0], fns[1]
		switch fn {
		case "_&&_":
			return func(st *fstate) val {
				l := a(st)
				if l.k == vBool && !l.b {
					return l
				}
				r := b(st)
				if r.k == vBool && !r.b {
					return r
				}
				if l.k == vBool && r.k == vBool {
					return vTrue
				}
				return merge(l, r)
			}, nil
		case "_||_":
			return func(st *fstate) val {
				l := a(st)
				if l.k == vBool && l.b {
					return l
				}
				r := b(st)
				if r.k == vBool && r.b {
					return r
				}
				if l.k == vBool && r.k == vBool {
					return vFalse
				}
				return merge(l, r)
			}, nil
		case "_==_", "_!=_":
			neq := fn == "_!=_"
			if lit, ok := literalVal(args[1]); ok {
				return func(st *fstate) val {
					x := a(st)
					if x.k == vUnknown {
						return x
					}
					return boolVal(equal(x, lit) != neq)
				}, nil
			}
			return strict2(a, b, func(x, y val) val { return boolVal(equal(x, y) != neq) }), nil
		case "_<_", "_<=_", "_>_", "_>=_":
			test := map[string]func(int) bool{
				"_<_":  func(c int) bool { return c < 0 },
				"_<=_": func(c int) bool { return c <= 0 },
				"_>_":  func(c int) bool { return c > 0 },
				"_>=_": func(c int) bool { return c >= 0 },
			}[fn]
			if lit, ok := literalVal(args[1]); ok && lit.k == vTime {
				// Dates against a date literal, the commonest test.
				switch fn {
				case "_<_":
					return timeCmpConst(a, lit.i, func(x, y int64) bool { return x < y }), nil
				case "_<=_":
					return timeCmpConst(a, lit.i, func(x, y int64) bool { return x <= y }), nil
				case "_>_":
					return timeCmpConst(a, lit.i, func(x, y int64) bool { return x > y }), nil
				default:
					return timeCmpConst(a, lit.i, func(x, y int64) bool { return x >= y }), nil
				}
			}
			return strict2(a, b, func(x, y val) val { return boolVal(test(compare(x, y))) }), nil
		case "@in":
			if args[1].Kind() == ast.ListKind {
				if lit, ok := literalList(args[1].AsList().Elements()); ok {
					return inConst(a, lit), nil
				}
			}
			return strict2(a, b, func(x, l val) val {
				if l.k != vList {
					return vUndecided
				}
				for _, el := range l.list() {
					if equal(x, el) {
						return vTrue
					}
				}
				return vFalse
			}), nil
		case "startsWith", "endsWith", "contains":
			return strict2(a, b, func(x, y val) val {
				if x.k != vString || y.k != vString {
					return vUndecided
				}
				xs, ys := x.str(), y.str()
				switch fn {
				case "startsWith":
					return boolVal(len(xs) >= len(ys) && xs[:len(ys)] == ys)
				case "endsWith":
					return boolVal(len(xs) >= len(ys) && xs[len(xs)-len(ys):] == ys)
				}
				return boolVal(strings.Contains(xs, ys))
			}), nil
		case "_+_":
			return strict2(a, b, func(x, y val) val {
				switch {
				case x.k == vInt && y.k == vInt:
					return intVal(x.i + y.i)
				case x.k == vList && y.k == vList:
					xl, yl := x.list(), y.list()
					out := make([]val, 0, len(xl)+len(yl))
					return listVal(append(append(out, xl...), yl...))
				}
				return vUndecided
			}), nil
		case "add_years", "add_days":
			years := fn == "add_years"
			return strict2(a, b, func(t, n val) val {
				if t.k != vTime || n.k != vInt {
					return vUndecided
				}
				return timeVal(addTime(t.i, int(n.i), years))
			}), nil
		case "age_on":
			return strict2(a, b, func(d, t val) val {
				if d.k != vPartial || t.k != vTime {
					return vUndecided
				}
				lo, hi := ageBounds(d, t)
				if lo != hi {
					return unknownVal(d.u)
				}
				return intVal(int64(lo))
			}), nil
		}
	case 3:
		a, b, cc := fns[0], fns[1], fns[2]
		switch fn {
		case "_?_:_":
			return func(st *fstate) val {
				v := a(st)
				if v.k != vBool {
					if v.k == vUnknown {
						return v
					}
					return vUndecided
				}
				if v.b {
					return b(st)
				}
				return cc(st)
			}, nil
		case "age_at_least", "age_under":
			under := fn == "age_under"
			return func(st *fstate) val {
				d, n, t := a(st), b(st), cc(st)
				if u := d.u&b2u(d.k == vUnknown) | n.u&b2u(n.k == vUnknown) | t.u&b2u(t.k == vUnknown); u != 0 {
					return unknownVal(u)
				}
				if d.k != vPartial || n.k != vInt || t.k != vTime {
					return vUndecided
				}
				lo, hi := ageBounds(d, t)
				switch {
				case lo >= int(n.i):
					return boolVal(!under)
				case hi < int(n.i):
					return boolVal(under)
				}
				return unknownVal(d.u)
			}, nil
		}
	}
	return nil, errUnsupported
}

// timeCmpConst compares a time with a constant.
func timeCmpConst(a efn, c int64, test func(x, y int64) bool) efn {
	return func(st *fstate) val {
		x := a(st)
		if x.k != vTime {
			if x.k == vUnknown {
				return x
			}
			return vUndecided
		}
		return boolVal(test(x.i, c))
	}
}

// inConst tests membership in a constant list: through a set for long
// lists of text, by scanning for short ones.
func inConst(a efn, lit val) efn {
	els := lit.list()
	var set map[string]bool
	if len(els) > 8 {
		set = map[string]bool{}
		for _, el := range els {
			if el.k != vString {
				set = nil
				break
			}
			set[el.str()] = true
		}
	}
	var strs []string // the list, when it is all text
	for _, el := range els {
		if el.k != vString {
			strs = nil
			break
		}
		strs = append(strs, el.str())
	}
	if set == nil && len(strs) == len(els) && len(strs) > 0 {
		return func(st *fstate) val {
			x := a(st)
			switch x.k {
			case vUnknown:
				return x
			case vString:
				for _, s := range strs {
					if x.str() == s {
						return vTrue
					}
				}
			}
			return vFalse
		}
	}
	return func(st *fstate) val {
		x := a(st)
		switch {
		case x.k == vUnknown:
			return x
		case x.k == vString && set != nil:
			return boolVal(set[x.str()])
		}
		for _, el := range els {
			if equal(x, el) {
				return vTrue
			}
		}
		return vFalse
	}
}

func b2u(b bool) uint64 {
	if b {
		return 1<<64 - 1
	}
	return 0
}

func strict1(a efn, f func(val) val) efn {
	return func(st *fstate) val {
		v := a(st)
		if v.k == vUnknown {
			return v
		}
		return f(v)
	}
}

func strict2(a, b efn, f func(x, y val) val) efn {
	return func(st *fstate) val {
		x, y := a(st), b(st)
		if x.k == vUnknown || y.k == vUnknown {
			return merge(x, y)
		}
		return f(x, y)
	}
}

// equal is CEL equality on values of the same static type.
func equal(x, y val) bool {
	if x.k != y.k {
		return false
	}
	switch x.k {
	case vBool:
		return x.b == y.b
	case vInt, vTime:
		return x.i == y.i
	case vString:
		return x.str() == y.str()
	case vPartial:
		return x.i == y.i && x.j == y.j
	case vObj:
		return x.p == y.p
	case vList:
		xl, yl := x.list(), y.list()
		if len(xl) != len(yl) {
			return false
		}
		for i := range xl {
			if !equal(xl[i], yl[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// compare orders two values of the same static orderable type.
func compare(x, y val) int {
	switch x.k {
	case vBool:
		switch {
		case x.b == y.b:
			return 0
		case !x.b:
			return -1
		}
		return 1
	case vInt, vTime:
		switch {
		case x.i < y.i:
			return -1
		case x.i > y.i:
			return 1
		}
		return 0
	case vString:
		xs, ys := x.str(), y.str()
		switch {
		case xs < ys:
			return -1
		case xs > ys:
			return 1
		}
	}
	return 0
}

// addTime adds years or days to a Unix time as time.Time.AddDate does in
// UTC (29 February plus a year is 1 March).
func addTime(sec int64, n int, years bool) int64 {
	if sec%secondsPerDay == 0 {
		days := int(sec / secondsPerDay)
		if !years {
			return int64(days+n) * secondsPerDay
		}
		y, m, d := profile.CivilFromDays(days)
		return int64(profile.DaysFromCivil(y+n, m, d)) * secondsPerDay
	}
	t := time.Unix(sec, 0).UTC()
	if years {
		return t.AddDate(n, 0, 0).Unix()
	}
	return t.AddDate(0, 0, n).Unix()
}

// ageBounds returns the youngest and oldest age a person born on the
// partial date d may have on the day of t.
func ageBounds(d, t val) (lo, hi int) {
	day := t.i / secondsPerDay
	if t.i < 0 && t.i%secondsPerDay != 0 {
		day--
	}
	oy, om, od := profile.CivilFromDays(int(day))
	return ageFrom(int(d.j), oy, om, od), ageFrom(int(d.i), oy, om, od)
}

func ageFrom(birthDay, oy, om, od int) int {
	by, bm, bd := profile.CivilFromDays(birthDay)
	age := oy - by
	if om < bm || (om == bm && od < bd) {
		age--
	}
	return age
}

// principalFast is the compact form of principalOf.
func principalFast(s *schema) func(h val) val {
	membersField := s.household.byName["members"]
	rel := s.member.byName["relationship"]
	membersIdx, relIdx := indexOf(s.household, membersField), indexOf(s.member, rel)
	return func(h val) val {
		if h.k != vObj {
			return vUndecided
		}
		members := h.obj().vals[membersIdx]
		if members.k != vList {
			return membersField.unk
		}
		return principalAmong(members.list(), relIdx, rel, membersField)
	}
}

func principalAmong(members []val, relIdx int, rel, membersField *field) val {
	var (
		unknownRel bool
		found      val
		count      int
	)
	for _, m := range members {
		r := m.obj().vals[relIdx]
		if r.k != vString {
			unknownRel = true
			continue
		}
		if r.str() == "principal" {
			found = m
			count++
		}
	}
	switch {
	case count == 1:
		return found
	case count > 1 || unknownRel:
		return rel.unk
	}
	return membersField.unk
}
