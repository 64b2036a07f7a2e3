package policy

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/ext"
	"cel.dev/cel-go/parser"

	"github.com/senda-platform/senda/profile"
)

// MaxCriterionCost is the largest worst-case cost, in CEL cost units, a
// criterion may have. The bound is computed at load with every list at the
// largest size the profile schema allows (maxItems), which validation
// enforces before evaluation.
const MaxCriterionCost = 20000

// CEL variables every criterion may read.
const (
	varPerson    = "person"
	varHousehold = "household"
	varAsOf      = "as_of"
	listsPrefix  = "lists."
)

// env is the CEL environment of one pack: the profile types, the helper
// functions and the pack's named lists.
type env struct {
	cel    *cel.Env
	s      *schema
	prov   *provider
	inline []*cel.InlineVariable
}

func newEnv(lists map[string][]string) (*env, error) {
	s := profileSchema()
	reg, err := types.NewRegistry()
	if err != nil {
		return nil, err
	}
	prov := &provider{Registry: reg, s: s}
	opts := []cel.EnvOption{
		cel.CustomTypeProvider(prov),
		cel.CustomTypeAdapter(reg),
		cel.ClearMacros(),
		cel.Macros(cel.AllMacro, cel.ExistsMacro, cel.ExistsOneMacro, cel.FilterMacro, cel.MapMacro,
			cel.GlobalMacro("date", 1, expandDate)),
		ext.Bindings(),
		cel.Variable(varPerson, s.person.celType),
		cel.Variable(varHousehold, s.household.celType),
		cel.Variable(varAsOf, cel.TimestampType),
		cel.Function("age_at_least",
			cel.Overload("age_at_least_partialdate_int_timestamp",
				[]*cel.Type{partialDateType, cel.IntType, cel.TimestampType}, cel.BoolType,
				cel.FunctionBinding(func(args ...ref.Val) ref.Val { return ageAtLeast(args, false) }))),
		cel.Function("age_under",
			cel.Overload("age_under_partialdate_int_timestamp",
				[]*cel.Type{partialDateType, cel.IntType, cel.TimestampType}, cel.BoolType,
				cel.FunctionBinding(func(args ...ref.Val) ref.Val { return ageAtLeast(args, true) }))),
		cel.Function("age_on",
			cel.Overload("age_on_partialdate_timestamp",
				[]*cel.Type{partialDateType, cel.TimestampType}, cel.IntType,
				cel.BinaryBinding(ageOn))),
		cel.Function("add_years",
			cel.Overload("add_years_timestamp_int", []*cel.Type{cel.TimestampType, cel.IntType}, cel.TimestampType,
				cel.BinaryBinding(func(t, n ref.Val) ref.Val { return addDate(t, n, true) }))),
		cel.Function("add_days",
			cel.Overload("add_days_timestamp_int", []*cel.Type{cel.TimestampType, cel.IntType}, cel.TimestampType,
				cel.BinaryBinding(func(t, n ref.Val) ref.Val { return addDate(t, n, false) }))),
		cel.Function("principal",
			cel.Overload("principal_household", []*cel.Type{s.household.celType}, s.member.celType,
				cel.UnaryBinding(func(h ref.Val) ref.Val { return principalOf(s, h) }))),
		cel.Function("undecided",
			cel.Overload("undecided", nil, cel.BoolType,
				cel.FunctionBinding(func(...ref.Val) ref.Val { return types.NewUnknown(undecidedID, nil) }))),
	}
	e := &env{s: s, prov: prov}
	names := make([]string, 0, len(lists))
	for name := range lists {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		opts = append(opts, cel.Variable(listsPrefix+name, cel.ListType(cel.StringType)))
	}
	ce, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, err
	}
	e.cel = ce
	for _, name := range names {
		var b strings.Builder
		b.WriteString("[")
		for i, v := range lists[name] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteCEL(v))
		}
		b.WriteString("]")
		lit, iss := ce.Compile(b.String())
		if iss.Err() != nil {
			return nil, iss.Err()
		}
		e.inline = append(e.inline, cel.NewInlineVariable(listsPrefix+name, lit))
	}
	return e, nil
}

// quoteCEL writes s as a CEL string literal.
func quoteCEL(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			fmt.Fprintf(&b, "\\x%02x", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// expandDate turns date('YYYY-MM-DD') into a timestamp constant; the
// argument must be a literal real date.
func expandDate(eh parser.ExprHelper, _ ast.Expr, args []ast.Expr) (ast.Expr, *common.Error) {
	arg := args[0]
	if arg.Kind() == ast.LiteralKind {
		if s, ok := arg.AsLiteral().(types.String); ok && profile.Date(s).Valid() {
			return eh.NewCall("timestamp", eh.NewLiteral(types.String(string(s)+"T00:00:00Z"))), nil
		}
	}
	return nil, eh.NewError(arg.ID(), "date() takes a literal calendar date such as '2023-06-11'")
}

func ageAtLeast(args []ref.Val, negate bool) ref.Val {
	d, ok1 := args[0].(*partialDate)
	n, ok2 := args[1].(types.Int)
	t, ok3 := args[2].(types.Timestamp)
	if !ok1 || !ok2 || !ok3 {
		return types.NoSuchOverloadErr()
	}
	minAge, maxAge := d.ageRange(t.Time)
	switch {
	case minAge >= int(n):
		return types.Bool(!negate)
	case maxAge < int(n):
		return types.Bool(negate)
	}
	return d.unknown
}

func ageOn(b, on ref.Val) ref.Val {
	d, ok1 := b.(*partialDate)
	t, ok2 := on.(types.Timestamp)
	if !ok1 || !ok2 {
		return types.NoSuchOverloadErr()
	}
	minAge, maxAge := d.ageRange(t.Time)
	if minAge != maxAge {
		return d.unknown
	}
	return types.Int(minAge)
}

func addDate(t, n ref.Val, years bool) ref.Val {
	ts, ok1 := t.(types.Timestamp)
	k, ok2 := n.(types.Int)
	if !ok1 || !ok2 {
		return types.NoSuchOverloadErr()
	}
	var out time.Time
	if years {
		// 29 February plus a number of years lands on 1 March in a common
		// year, as time.AddDate does.
		out = ts.AddDate(int(k), 0, 0)
	} else {
		out = ts.AddDate(0, 0, int(k))
	}
	return types.Timestamp{Time: out}
}

// principalOf returns the household member whose relationship is
// "principal". It is unknown (the members' relationships are needed) when
// no member or more than one is the principal and the relationships leave
// it open or contradict each other, and unknown (the members are needed)
// when the members are not given or none can be the principal. The order
// of the members never matters.
func principalOf(s *schema, h ref.Val) ref.Val {
	hv, ok := h.(*view)
	if !ok {
		return types.NoSuchOverloadErr()
	}
	membersField := s.household.byName["members"]
	rel := s.member.byName["relationship"]
	members := hv.vals[indexOf(s.household, membersField)]
	if members == nil {
		return membersField.unknown
	}
	l, _ := listOf(members)
	relIdx := indexOf(s.member, rel)
	var (
		unknownRel bool
		found      ref.Val
		count      int
	)
	for i := types.Int(0); i < l.Size().(types.Int); i++ {
		m := l.Get(i).(*view)
		r := m.vals[relIdx]
		if r == nil {
			unknownRel = true
			continue
		}
		if r.(types.String) == "principal" {
			found = m
			count++
		}
	}
	switch {
	case count == 1:
		return found
	case count > 1 || unknownRel:
		return rel.unknown
	}
	return membersField.unknown
}

func indexOf(st *structType, f *field) int {
	for i, g := range st.fields {
		if g == f {
			return i
		}
	}
	return -1
}

// compiled is a checked, optimised, planned criterion expression.
type compiled struct {
	prg   cel.Program
	fast  efn      // the compact evaluator's plan; nil when cel-go evaluates
	slots int      // local variables fast needs
	used  uint64   // the fields fast reads (their bits)
	reads []string // profile paths the expression reads, sorted
	cost  uint64
}

// exprError is a refusal of an expression: a message key and an English
// detail.
type exprError struct {
	key    string
	detail string
}

func (e *exprError) Error() string { return e.key + ": " + e.detail }

// Message keys of expression refusals.
const (
	KeyExprSyntax    = "policy.expr_syntax"    // CEL does not parse
	KeyExprType      = "policy.expr_type"      // CEL does not type-check against the profile
	KeyExprNotBool   = "policy.expr_not_bool"  // the result is not a bool
	KeyExprDyn       = "policy.expr_dyn"       // some value has no static type
	KeyExprForbidden = "policy.expr_forbidden" // an operation that could fail at run time
	KeyExprLiteral   = "policy.expr_literal"   // a helper argument must be a bounded literal
	KeyExprCost      = "policy.expr_cost"      // the worst-case cost is above MaxCriterionCost
)

func (e *env) compile(src string) (*compiled, *exprError) {
	parsed, iss := e.cel.Parse(src)
	if iss.Err() != nil {
		return nil, &exprError{KeyExprSyntax, iss.Err().Error()}
	}
	checked, iss := e.cel.Check(parsed)
	if iss.Err() != nil {
		return nil, &exprError{KeyExprType, iss.Err().Error()}
	}
	if len(e.inline) > 0 {
		opt, err := cel.NewStaticOptimizer(cel.NewInliningOptimizer(e.inline...))
		if err != nil {
			return nil, &exprError{KeyExprType, err.Error()}
		}
		checked, iss = opt.Optimize(e.cel, checked)
		if iss.Err() != nil {
			return nil, &exprError{KeyExprType, iss.Err().Error()}
		}
	}
	if !checked.OutputType().IsExactType(cel.BoolType) {
		return nil, &exprError{KeyExprNotBool, "the expression gives " + checked.OutputType().String() + ", not bool"}
	}
	native := checked.NativeRep()
	v := &validator{exempt: map[int64]bool{}, reads: map[string]bool{}, s: e.s}
	v.walk(native.Expr(), nil)
	if v.err != nil {
		return nil, v.err
	}
	ids := make([]int64, 0, len(native.TypeMap()))
	for id := range native.TypeMap() {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		if t := native.GetType(id); hasDyn(t) && !v.exempt[id] {
			loc := native.SourceInfo().GetStartLocation(id)
			return nil, &exprError{KeyExprDyn, fmt.Sprintf("the value at column %d has type %v; every value must have a static type", loc.Column()+1, t)}
		}
	}
	est, err := e.cel.EstimateCost(checked, costEstimator{s: e.s})
	if err != nil {
		return nil, &exprError{KeyExprCost, err.Error()}
	}
	if est.Max > MaxCriterionCost {
		return nil, &exprError{KeyExprCost, fmt.Sprintf("worst-case cost %d is above the limit %d", est.Max, MaxCriterionCost)}
	}
	// cel-go evaluates only expressions the compact evaluator cannot
	// compile; it enforces the cost bound at run time as well.
	prg, err := e.cel.Program(checked, cel.EvalOptions(cel.OptOptimize), cel.CostLimit(MaxCriterionCost))
	if err != nil {
		return nil, &exprError{KeyExprType, err.Error()}
	}
	c := &compiled{prg: prg, cost: est.Max}
	if fast, slots, used, err := compileFast(e.s, native.Expr(), native.GetType); err == nil {
		c.fast, c.slots, c.used = fast, slots, used
	}
	for p := range v.reads {
		c.reads = append(c.reads, p)
	}
	sort.Strings(c.reads)
	return c, nil
}

func hasDyn(t *types.Type) bool {
	if t == nil {
		return false
	}
	if t.Kind() == types.DynKind || t.Kind() == types.AnyKind || t.Kind() == types.ErrorKind {
		return true
	}
	for _, p := range t.Parameters() {
		if hasDyn(p) {
			return true
		}
	}
	return false
}

// allowedCalls are the functions and operators a criterion may use: none of
// them can fail at run time on values of the right type.
var allowedCalls = map[string]bool{
	"_&&_": true, "_||_": true, "!_": true, "_?_:_": true,
	"_==_": true, "_!=_": true, "_<_": true, "_<=_": true, "_>_": true, "_>=_": true,
	"@in": true, "size": true, "startsWith": true, "endsWith": true, "contains": true,
	"@not_strictly_false": true,
	"age_at_least":        true, "age_under": true, "age_on": true, "add_years": true, "add_days": true,
	"principal": true, "undecided": true,
}

// literalBounds lists helper arguments that must be int literals within
// bounds: function -> argument index -> [min, max].
var literalBounds = map[string]struct {
	arg      int
	min, max int64
}{
	"age_at_least": {1, 0, 150},
	"age_under":    {1, 0, 150},
	"add_years":    {1, -150, 150},
	"add_days":     {1, -36600, 36600},
}

type validator struct {
	s      *schema
	err    *exprError
	exempt map[int64]bool
	reads  map[string]bool
}

func (v *validator) fail(key, format string, args ...any) {
	if v.err == nil {
		v.err = &exprError{key, fmt.Sprintf(format, args...)}
	}
}

func (v *validator) walk(e ast.Expr, accus []string) {
	if v.err != nil {
		return
	}
	switch e.Kind() {
	case ast.LiteralKind:
	case ast.IdentKind:
	case ast.SelectKind:
		sel := e.AsSelect()
		if sel.IsTestOnly() {
			v.fail(KeyExprForbidden, "has() is not allowed: an unanswered field is handled as unknown")
			return
		}
		v.noteRead(e)
		v.walk(sel.Operand(), accus)
	case ast.CallKind:
		call := e.AsCall()
		fn := call.FunctionName()
		switch {
		case fn == "_+_":
			if id := call.Args()[0]; id.Kind() != ast.IdentKind || !contains(accus, id.AsIdent()) {
				v.fail(KeyExprForbidden, "arithmetic (+) is not allowed; use size(), add_years() or add_days()")
				return
			}
		case fn == "timestamp":
			a := call.Args()
			ok := len(a) == 1 && a[0].Kind() == ast.LiteralKind
			if ok {
				s, isStr := a[0].AsLiteral().(types.String)
				_, perr := time.Parse(time.RFC3339, string(s))
				ok = isStr && perr == nil
			}
			if !ok {
				v.fail(KeyExprForbidden, "timestamp() is not allowed; write dates as date('YYYY-MM-DD')")
				return
			}
		case !allowedCalls[fn]:
			v.fail(KeyExprForbidden, "%s is not allowed: only comparisons, logic, membership, size, string tests and the documented helpers can be used", displayFn(fn))
			return
		}
		if b, ok := literalBounds[fn]; ok {
			a := call.Args()
			lit := a[b.arg]
			n, isInt := types.Int(0), false
			if lit.Kind() == ast.LiteralKind {
				n, isInt = lit.AsLiteral().(types.Int)
			}
			if !isInt || int64(n) < b.min || int64(n) > b.max {
				v.fail(KeyExprLiteral, "argument %d of %s must be a whole number between %d and %d written in the expression", b.arg+1, fn, b.min, b.max)
				return
			}
		}
		if call.IsMemberFunction() {
			v.walk(call.Target(), accus)
		}
		for _, a := range call.Args() {
			v.walk(a, accus)
		}
	case ast.ListKind:
		l := e.AsList()
		if len(l.OptionalIndices()) > 0 {
			v.fail(KeyExprForbidden, "optional list elements are not allowed")
			return
		}
		for _, el := range l.Elements() {
			v.walk(el, accus)
		}
	case ast.ComprehensionKind:
		c := e.AsComprehension()
		r := c.IterRange()
		if r.Kind() == ast.ListKind && len(r.AsList().Elements()) == 0 {
			v.exempt[r.ID()] = true // cel.bind iterates over an empty list
		}
		v.walk(r, accus)
		v.walk(c.AccuInit(), accus)
		inner := append(append([]string(nil), accus...), c.AccuVar())
		v.walk(c.LoopCondition(), inner)
		v.walk(c.LoopStep(), inner)
		v.walk(c.Result(), inner)
	default:
		v.fail(KeyExprForbidden, "map and object literals are not allowed")
	}
}

// noteRead records person.x and household.x selections.
func (v *validator) noteRead(e ast.Expr) {
	sel := e.AsSelect()
	op := sel.Operand()
	if op.Kind() != ast.IdentKind {
		return
	}
	switch op.AsIdent() {
	case varPerson:
		v.reads[sel.FieldName()] = true
	case varHousehold:
		v.reads["household."+sel.FieldName()] = true
	}
}

func displayFn(fn string) string {
	switch fn {
	case "_/_":
		return "division (/)"
	case "_%_":
		return "remainder (%)"
	case "_*_":
		return "multiplication (*)"
	case "_-_", "-_":
		return "subtraction (-)"
	case "_[_]", "_[?_]":
		return "indexing ([])"
	}
	return fn + "()"
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// costEstimator sizes every profile list at its schema maximum.
type costEstimator struct{ s *schema }

func (c costEstimator) EstimateSize(n cost.AstNode) *cost.SizeEstimate {
	p := n.Path()
	if len(p) != 2 {
		return c.textSize(n)
	}
	var st *structType
	switch p[0] {
	case varPerson:
		st = c.s.person
	case varHousehold:
		st = c.s.household
	default:
		return nil
	}
	if f, ok := st.byName[p[1]]; ok && f.maxItems > 0 {
		return &cost.SizeEstimate{Min: 0, Max: uint64(f.maxItems)}
	}
	return c.textSize(n)
}

// textSize bounds the length of a text field read anywhere (person,
// household member, list element): the schema's pattern, enumeration or
// maxLength limits it, and the builder treats longer answers as invalid.
func (c costEstimator) textSize(n cost.AstNode) *cost.SizeEstimate {
	e := n.Expr()
	if e != nil && n.Type() != nil && n.Type().IsExactType(partialDateType) {
		return &cost.SizeEstimate{Min: 1, Max: 1} // compared as one value
	}
	if e == nil || n.Type() == nil || e.Kind() != ast.SelectKind || !n.Type().IsExactType(types.StringType) {
		return nil
	}
	name := e.AsSelect().FieldName()
	size := 0
	for _, st := range []*structType{c.s.person, c.s.household, c.s.member, c.s.entry} {
		if f, ok := st.byName[name]; ok && f.kind == kindString {
			if f.maxLen == 0 {
				return nil
			}
			size = max(size, f.maxLen)
		}
	}
	if size == 0 {
		return nil
	}
	return &cost.SizeEstimate{Min: 0, Max: uint64(size)}
}

func (c costEstimator) EstimateCallCost(string, string, *cost.AstNode, []cost.AstNode) *cost.CallEstimate {
	return nil
}
