package stats

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/senda-platform/senda"
)

// Engine answers queries over loaded datasets, each held as a Table. It is
// safe for concurrent use; loading a dataset under a key it already holds
// replaces it.
type Engine struct {
	mu     sync.RWMutex
	tables map[string]*Table
}

// NewEngine returns an empty Engine.
func NewEngine() *Engine { return &Engine{tables: map[string]*Table{}} }

// Load builds the Table of an encounter dataset and holds it under its key.
func (e *Engine) Load(ds *Dataset) error {
	t, err := NewTable(ds.Rows)
	if err != nil {
		return err
	}
	e.LoadTable(ds.Key, t)
	return nil
}

// LoadTable holds a table of any schema under key.
func (e *Engine) LoadTable(key string, t *Table) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.tables[key] = t
}

// Datasets returns the keys of the loaded datasets, sorted.
func (e *Engine) Datasets() []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return slices.Sorted(maps.Keys(e.tables))
}

// Table returns the table loaded under key (code not_found if none).
func (e *Engine) Table(key string) (*Table, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	t, ok := e.tables[key]
	if !ok {
		return nil, senda.Errorf(senda.CodeNotFound, "stats.query.unknown_dataset", map[string]any{"dataset": key})
	}
	return t, nil
}

// dataset picks the table a query reads: the one it names; else
// DefaultDataset if loaded; else the only one loaded. Several datasets are
// never summed: they overlap.
func (e *Engine) dataset(name string) (string, *Table, error) {
	if name != "" {
		t, err := e.Table(name)
		return name, t, err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if t, ok := e.tables[DefaultDataset]; ok {
		return DefaultDataset, t, nil
	}
	switch len(e.tables) {
	case 0:
		return "", nil, senda.Errorf(senda.CodeNotFound, "stats.query.no_dataset", nil)
	case 1:
		for k, t := range e.tables {
			return k, t, nil
		}
	}
	return "", nil, senda.Errorf(senda.CodeInvalid, "stats.query.dataset_ambiguous",
		map[string]any{"datasets": strings.Join(slices.Sorted(maps.Keys(e.tables)), ", ")})
}

// Result is the answer to a query: one row per combination of the By
// dimensions that has data, sorted by those dimensions (months and years
// in time order, labels by bytes); a single total row when By is empty.
type Result struct {
	Dataset  string
	By       []string // grouping dimensions
	Kinds    []Kind   // kind of each By dimension
	Measure  string   // name of the summed column, "encounters"
	Extra    []string // comparison columns, in order
	Rows     []ResultRow
	Warnings []senda.FieldError // filter values that match nothing
}

// ResultRow is one group: its By values, its sum and its comparison values.
type ResultRow struct {
	Values []string
	Count  int64
	Extra  []Value
}

// Columns returns the header of the result: By, the measure, Extra.
func (r *Result) Columns() []string {
	out := slices.Clone(r.By)
	out = append(out, r.Measure)
	return append(out, r.Extra...)
}

// Query runs q on the dataset it names (see dataset). Errors: invalid for a
// dimension the dataset lacks, not_found for an unknown dataset.
func (e *Engine) Query(q Query) (Result, error) {
	name, t, err := e.dataset(q.Dataset)
	if err != nil {
		return Result{}, err
	}
	s := t.schema
	p, fields := t.prepare(q)
	if len(fields) > 0 {
		return Result{}, &senda.Error{Code: senda.CodeInvalid, Key: "stats.query.invalid", Fields: fields}
	}
	res := Result{Dataset: name, By: slices.Clone(q.By), Measure: s.Measure, Warnings: p.warnings}
	for _, i := range p.by {
		res.Kinds = append(res.Kinds, s.Dimensions[i].Kind)
	}
	lo, hi := t.rowRange(q.From, q.To)
	g, err := t.aggregate(p.by, p.allowed, lo, hi)
	if err != nil {
		return Result{}, err
	}
	var keys []int64
	g.each(func(k, v int64) {
		keys = append(keys, k)
		row := ResultRow{Count: v, Values: make([]string, len(p.by))}
		for j, d := range p.by {
			row.Values[j] = t.cols[d].values[g.code(k, j)]
		}
		res.Rows = append(res.Rows, row)
	})
	if len(p.by) == 0 && len(res.Rows) == 0 {
		keys = append(keys, 0)
		res.Rows = append(res.Rows, ResultRow{Values: []string{}})
	}
	if len(q.Compare) > 0 {
		if err := t.compare(&res, q.Compare, p, g, keys); err != nil {
			return Result{}, err
		}
	}
	return res, nil
}

// prepared is a query resolved against a table.
type prepared struct {
	by       []int
	allowed  [][]bool // per dimension: allowed codes, or nil for all
	warnings []senda.FieldError
}

func (t *Table) prepare(q Query) (prepared, []senda.FieldError) {
	s := t.schema
	var (
		p      = prepared{allowed: make([][]bool, len(s.Dimensions))}
		fields []senda.FieldError
	)
	for _, d := range q.By {
		i := s.Index(d)
		if i < 0 {
			fields = append(fields, senda.FieldError{Location: "by", Key: "stats.query.unknown_dimension", Args: map[string]any{"dimension": d, "allowed": strings.Join(s.Names(), ", ")}})
			continue
		}
		p.by = append(p.by, i)
	}
	for _, f := range q.Where {
		i := s.Index(f.Dim)
		if i < 0 {
			fields = append(fields, senda.FieldError{Location: "where", Key: "stats.query.unknown_dimension", Args: map[string]any{"dimension": f.Dim, "allowed": strings.Join(s.Names(), ", ")}})
			continue
		}
		col := &t.cols[i]
		allowed := make([]bool, len(col.values))
		for _, v := range f.Values {
			lv := strings.ToLower(v)
			hit := false
			for c := range col.values {
				if col.fold[c] == lv || (col.alt != nil && col.alt[c] == lv) {
					allowed[c] = true
					hit = true
				}
			}
			if !hit {
				p.warnings = append(p.warnings, senda.FieldError{Location: "where", Key: "stats.query.no_match", Args: map[string]any{"dimension": f.Dim, "value": v}})
			}
		}
		if p.allowed[i] != nil { // the same dimension twice: OR
			for c, ok := range p.allowed[i] {
				allowed[c] = allowed[c] || ok
			}
		}
		p.allowed[i] = allowed
	}
	if (q.From != 0 || q.To != 0) && t.period < 0 {
		fields = append(fields, senda.FieldError{Location: "from", Key: "stats.query.no_period", Args: map[string]any{"schema": s.Name}})
	}
	for _, c := range q.Compare {
		if key := compareNeeds(s, q.By, c); key != "" {
			fields = append(fields, senda.FieldError{Location: "compare", Key: key, Args: map[string]any{"compare": string(c)}})
		}
	}
	return p, fields
}

// rowRange returns the rows of the months from..to (zero: open end).
func (t *Table) rowRange(from, to Month) (int, int) {
	if t.period < 0 {
		return 0, len(t.counts)
	}
	keys := t.cols[t.period].keys
	lo, hi := 0, len(keys)
	if from != 0 {
		lo, _ = slices.BinarySearch(keys, int64(from))
	}
	if to != 0 {
		hi, _ = slices.BinarySearch(keys, int64(to)+1)
	}
	if lo >= hi {
		return 0, 0
	}
	return t.start[lo], t.start[hi]
}

// Aggregation. Each grouping dimension d gets a radix (the product of the
// cardinalities of the grouping dimensions after it), so a group's key is
// the mixed-radix number of its codes and ascending keys are the result's
// sort order. Every dimension that is grouped or filtered gets a lookup
// table from code to its share of the key; a code a filter rejects maps to
// excluded, a large negative number, so a row is kept iff its key is not
// negative. Keys stay below maxKey, and up to maxDims excluded shares
// cannot overflow.
const (
	maxKey   = int64(1) << 56
	excluded = -(int64(1) << 57)
)

// maxDense is the most groups counted in a dense array; more go to a map.
// Tests lower it.
var maxDense int64 = 1 << 22

type groups struct {
	card   []int64
	radix  []int64
	dense  []int64
	seen   []bool // which dense groups have rows, when counts can be zero
	sparse map[int64]int64
}

func (g *groups) get(k int64) int64 {
	if g.sparse != nil {
		return g.sparse[k]
	}
	return g.dense[k]
}

// code returns the code of the i-th grouping dimension in key k.
func (g *groups) code(k int64, i int) int { return int(k / g.radix[i] % g.card[i]) }

// each calls fn for every group that has rows, in ascending key order.
func (g *groups) each(fn func(k, v int64)) {
	if g.sparse != nil {
		for _, k := range slices.Sorted(maps.Keys(g.sparse)) {
			fn(k, g.sparse[k])
		}
		return
	}
	for k, v := range g.dense {
		if v != 0 || (g.seen != nil && g.seen[k]) {
			fn(int64(k), v)
		}
	}
}

func (t *Table) aggregate(by []int, allowed [][]bool, lo, hi int) (*groups, error) {
	g := &groups{card: make([]int64, len(by)), radix: make([]int64, len(by))}
	size := int64(1)
	for j := len(by) - 1; j >= 0; j-- {
		c := max(int64(len(t.cols[by[j]].values)), 1)
		g.card[j], g.radix[j] = c, size
		if size > maxKey/c {
			return nil, senda.Errorf(senda.CodeInvalid, "stats.query.too_many_groups", nil)
		}
		size *= c
	}
	var (
		cols [][]uint32
		luts [][]int64
	)
	for d := range t.cols {
		j := slices.Index(by, d)
		if j < 0 && allowed[d] == nil {
			continue
		}
		lut := make([]int64, len(t.cols[d].values))
		for c := range lut {
			if j >= 0 {
				lut[c] = int64(c) * g.radix[j]
			}
			if allowed[d] != nil && !allowed[d][c] {
				lut[c] = excluded
			}
		}
		cols = append(cols, t.cols[d].codes[lo:hi])
		luts = append(luts, lut)
	}
	cnt := t.counts[lo:hi]
	if size > maxDense {
		g.sparse = map[int64]int64{}
		aggGeneral(g, cnt, cols, luts)
		return g, nil
	}
	g.dense = make([]int64, size)
	if t.hasZero {
		g.seen = make([]bool, size)
		aggGeneral(g, cnt, cols, luts)
		return g, nil
	}
	switch len(cols) {
	case 0:
		var s int64
		for _, n := range cnt {
			s += n
		}
		g.dense[0] = s
	case 1:
		agg1(g.dense, cnt, cols[0], luts[0])
	case 2:
		agg2(g.dense, cnt, cols[0], cols[1], luts[0], luts[1])
	case 3:
		agg3(g.dense, cnt, cols[0], cols[1], cols[2], luts[0], luts[1], luts[2])
	case 4:
		agg4(g.dense, cnt, cols[0], cols[1], cols[2], cols[3], luts[0], luts[1], luts[2], luts[3])
	default:
		aggGeneral(g, cnt, cols, luts)
	}
	return g, nil
}

func agg1(acc, cnt []int64, a []uint32, la []int64) {
	a = a[:len(cnt)]
	for i, n := range cnt {
		if k := la[a[i]]; k >= 0 {
			acc[k] += n
		}
	}
}

// The kernels below handle four rows per step: fewer loop and bounds
// checks, more independent loads in flight.

func agg2(acc, cnt []int64, a, b []uint32, la, lb []int64) {
	n := len(cnt)
	a, b = a[:n], b[:n]
	i := 0
	for ; i+4 <= n; i += 4 {
		k0 := la[a[i]] + lb[b[i]]
		k1 := la[a[i+1]] + lb[b[i+1]]
		k2 := la[a[i+2]] + lb[b[i+2]]
		k3 := la[a[i+3]] + lb[b[i+3]]
		add4(acc, cnt[i:i+4], k0, k1, k2, k3)
	}
	for ; i < n; i++ {
		if k := la[a[i]] + lb[b[i]]; k >= 0 {
			acc[k] += cnt[i]
		}
	}
}

func agg3(acc, cnt []int64, a, b, c []uint32, la, lb, lc []int64) {
	n := len(cnt)
	a, b, c = a[:n], b[:n], c[:n]
	i := 0
	for ; i+4 <= n; i += 4 {
		k0 := la[a[i]] + lb[b[i]] + lc[c[i]]
		k1 := la[a[i+1]] + lb[b[i+1]] + lc[c[i+1]]
		k2 := la[a[i+2]] + lb[b[i+2]] + lc[c[i+2]]
		k3 := la[a[i+3]] + lb[b[i+3]] + lc[c[i+3]]
		add4(acc, cnt[i:i+4], k0, k1, k2, k3)
	}
	for ; i < n; i++ {
		if k := la[a[i]] + lb[b[i]] + lc[c[i]]; k >= 0 {
			acc[k] += cnt[i]
		}
	}
}

func agg4(acc, cnt []int64, a, b, c, d []uint32, la, lb, lc, ld []int64) {
	n := len(cnt)
	a, b, c, d = a[:n], b[:n], c[:n], d[:n]
	i := 0
	for ; i+4 <= n; i += 4 {
		k0 := la[a[i]] + lb[b[i]] + lc[c[i]] + ld[d[i]]
		k1 := la[a[i+1]] + lb[b[i+1]] + lc[c[i+1]] + ld[d[i+1]]
		k2 := la[a[i+2]] + lb[b[i+2]] + lc[c[i+2]] + ld[d[i+2]]
		k3 := la[a[i+3]] + lb[b[i+3]] + lc[c[i+3]] + ld[d[i+3]]
		add4(acc, cnt[i:i+4], k0, k1, k2, k3)
	}
	for ; i < n; i++ {
		if k := la[a[i]] + lb[b[i]] + lc[c[i]] + ld[d[i]]; k >= 0 {
			acc[k] += cnt[i]
		}
	}
}

// add4 adds four counts at their keys, skipping negative (filtered) keys.
func add4(acc, cnt []int64, k0, k1, k2, k3 int64) {
	cnt = cnt[:4]
	if k0|k1|k2|k3 >= 0 {
		acc[k0] += cnt[0]
		acc[k1] += cnt[1]
		acc[k2] += cnt[2]
		acc[k3] += cnt[3]
		return
	}
	for j, k := range [4]int64{k0, k1, k2, k3} {
		if k >= 0 {
			acc[k] += cnt[j]
		}
	}
}

func aggGeneral(g *groups, cnt []int64, cols [][]uint32, luts [][]int64) {
	for i, n := range cnt {
		var k int64
		for j, col := range cols {
			k += luts[j][col[i]]
		}
		if k < 0 {
			continue
		}
		if g.sparse != nil {
			g.sparse[k] += n
			continue
		}
		g.dense[k] += n
		if g.seen != nil {
			g.seen[k] = true
		}
	}
}

// Value is one cell of a comparison column: an integer, a decimal, a text,
// a boolean, or null (not applicable).
type Value struct {
	kind valueKind
	i    int64
	f    float64
	s    string
}

type valueKind uint8

const (
	vNull valueKind = iota
	vInt
	vFloat
	vString
	vBool
)

func intValue(n int64) Value     { return Value{kind: vInt, i: n} }
func floatValue(f float64) Value { return Value{kind: vFloat, f: f} }
func stringValue(s string) Value { return Value{kind: vString, s: s} }
func boolValue(b bool) Value {
	if b {
		return Value{kind: vBool, i: 1}
	}
	return Value{kind: vBool}
}

// IsNull reports whether the value is not applicable.
func (v Value) IsNull() bool { return v.kind == vNull }

// Any returns the value as nil, int64, float64, string or bool.
func (v Value) Any() any {
	switch v.kind {
	case vInt:
		return v.i
	case vFloat:
		return v.f
	case vString:
		return v.s
	case vBool:
		return v.i == 1
	}
	return nil
}

// String formats the value as CSV and tables show it: "" for null,
// decimals with two places.
func (v Value) String() string {
	switch v.kind {
	case vInt:
		return strconv.FormatInt(v.i, 10)
	case vFloat:
		return strconv.FormatFloat(v.f, 'f', 2, 64)
	case vString:
		return v.s
	case vBool:
		return strconv.FormatBool(v.i == 1)
	}
	return ""
}

// MarshalJSON writes null, a number, a string or a boolean.
func (v Value) MarshalJSON() ([]byte, error) {
	switch v.kind {
	case vInt, vFloat, vBool:
		return []byte(v.String()), nil
	case vString:
		return json.Marshal(v.s)
	}
	return []byte("null"), nil
}
