package stats

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/senda-platform/senda"
)

// Kind tells how a dimension's values are written, ordered and compared.
type Kind uint8

// Dimension kinds.
const (
	// Label is free text, ordered by bytes and matched case-insensitively.
	Label Kind = iota
	// Period is a calendar month written YYYY-MM, ordered chronologically.
	// A schema has at most one; it is the dimension --from and --to cut.
	Period
	// Year is an integer year (a fiscal year), ordered numerically.
	Year
)

// Dimension is one named dimension of a dataset.
type Dimension struct {
	Name string
	Kind Kind
	// Code, when set, gives each label a second name that filters also
	// match: for citizenship, its ISO 3166-1 alpha-2 code.
	Code func(label string) string
}

// Schema names the dimensions of a dataset and its measure, the counted
// quantity summed by queries ("encounters"). The engine knows nothing else
// about a dataset, so other counts (operational numbers) use it too.
type Schema struct {
	Name       string
	Dimensions []Dimension
	Measure    string
}

// Index returns the position of the named dimension, or -1.
func (s *Schema) Index(name string) int {
	for i, d := range s.Dimensions {
		if d.Name == name {
			return i
		}
	}
	return -1
}

// Names returns the dimension names in schema order.
func (s *Schema) Names() []string {
	out := make([]string, len(s.Dimensions))
	for i, d := range s.Dimensions {
		out[i] = d.Name
	}
	return out
}

func (s *Schema) period() int {
	for i, d := range s.Dimensions {
		if d.Kind == Period {
			return i
		}
	}
	return -1
}

func (s *Schema) check() error {
	seen := map[string]bool{s.Measure: true}
	periods := 0
	for _, d := range s.Dimensions {
		if d.Name == "" || seen[d.Name] {
			return fmt.Errorf("stats: schema %q: empty or repeated name %q", s.Name, d.Name)
		}
		seen[d.Name] = true
		if d.Kind == Period {
			periods++
		}
	}
	if periods > 1 || s.Measure == "" || len(s.Dimensions) > maxDims {
		return fmt.Errorf("stats: schema %q: want at most one period dimension, a measure and at most %d dimensions", s.Name, maxDims)
	}
	return nil
}

// maxDims bounds the dimensions of a schema so that composite keys cannot
// overflow (see plan).
const maxDims = 32

// Builder collects rows of a Schema into a Table. It is not safe for
// concurrent use.
type Builder struct {
	schema *Schema
	index  []map[string]uint32
	values [][]string
	codes  [][]uint32
	counts []int64
}

// NewBuilder returns a Builder for rows of s. It panics if s is malformed
// (a programming error: schemas are declared in code).
func NewBuilder(s *Schema) *Builder {
	if err := s.check(); err != nil {
		panic(err)
	}
	b := &Builder{schema: s}
	n := len(s.Dimensions)
	b.index = make([]map[string]uint32, n)
	b.values = make([][]string, n)
	b.codes = make([][]uint32, n)
	for i := range b.index {
		b.index[i] = make(map[string]uint32)
	}
	return b
}

// Grow makes room for n more rows.
func (b *Builder) Grow(n int) {
	for i := range b.codes {
		b.codes[i] = slices.Grow(b.codes[i], n)
	}
	b.counts = slices.Grow(b.counts, n)
}

// Add appends one row: one value per dimension, in schema order, and its
// count. Period values are YYYY-MM, Year values decimal integers; counts
// are not negative. Errors are *senda.Error with code invalid.
func (b *Builder) Add(values []string, count int64) error {
	if len(values) != len(b.schema.Dimensions) {
		return senda.Errorf(senda.CodeInvalid, "stats.table.wrong_arity", map[string]any{"want": len(b.schema.Dimensions), "got": len(values)})
	}
	if count < 0 {
		return senda.Errorf(senda.CodeInvalid, "stats.table.negative_count", map[string]any{"count": count})
	}
	for i, v := range values {
		c, ok := b.index[i][v]
		if !ok {
			if err := checkValue(b.schema.Dimensions[i], v); err != nil {
				return err
			}
			c = uint32(len(b.values[i]))
			b.index[i][v] = c
			b.values[i] = append(b.values[i], v)
		}
		b.codes[i] = append(b.codes[i], c)
	}
	b.counts = append(b.counts, count)
	return nil
}

func checkValue(d Dimension, v string) error {
	switch d.Kind {
	case Period:
		if _, err := ParseMonth(v); err != nil {
			return senda.Errorf(senda.CodeInvalid, "stats.table.bad_month", map[string]any{"dimension": d.Name, "value": v})
		}
	case Year:
		if _, err := strconv.Atoi(v); err != nil {
			return senda.Errorf(senda.CodeInvalid, "stats.table.bad_year", map[string]any{"dimension": d.Name, "value": v})
		}
	}
	return nil
}

// Build returns the Table of the rows added so far. The Builder must not be
// used afterwards.
func (b *Builder) Build() *Table {
	s := b.schema
	t := &Table{schema: s, cols: make([]column, len(s.Dimensions)), period: s.period()}
	n := len(b.counts)
	for i, d := range s.Dimensions {
		vals := b.values[i]
		order := make([]uint32, len(vals)) // new code -> old code
		for j := range order {
			order[j] = uint32(j)
		}
		keys := make([]int64, len(vals))
		for j, v := range vals {
			switch d.Kind {
			case Period:
				m, _ := ParseMonth(v)
				keys[j] = int64(m)
			case Year:
				y, _ := strconv.Atoi(v)
				keys[j] = int64(y)
			}
		}
		slices.SortFunc(order, func(x, y uint32) int {
			if d.Kind != Label {
				return compareInt(keys[x], keys[y])
			}
			return strings.Compare(vals[x], vals[y])
		})
		remap := make([]uint32, len(vals)) // old code -> new code
		col := column{values: make([]string, len(vals)), keys: make([]int64, len(vals)), fold: make([]string, len(vals))}
		for nc, oc := range order {
			remap[oc] = uint32(nc)
			col.values[nc] = vals[oc]
			col.keys[nc] = keys[oc]
			col.fold[nc] = strings.ToLower(vals[oc])
			if d.Code != nil {
				if col.alt == nil {
					col.alt = make([]string, len(vals))
				}
				col.alt[nc] = strings.ToLower(d.Code(vals[oc]))
			}
		}
		codes := b.codes[i]
		for r, c := range codes {
			codes[r] = remap[c]
		}
		col.codes = codes
		t.cols[i] = col
	}
	t.counts = b.counts
	for _, c := range t.counts {
		if c == 0 {
			t.hasZero = true
			break
		}
	}
	if t.period >= 0 {
		t.sortByPeriod()
	} else {
		t.start = []int{0, n}
	}
	*b = Builder{}
	return t
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Table is the columnar, read-only form of a dataset: one dictionary-encoded
// code column per dimension (codes numbered in value order) and a count
// column, rows sorted by month so that a month range is one contiguous
// slice. A Table is safe for concurrent readers.
type Table struct {
	schema  *Schema
	cols    []column
	counts  []int64
	period  int   // index of the Period dimension, or -1
	start   []int // rows of period code c are start[c]:start[c+1]
	hasZero bool
}

type column struct {
	values []string // code -> value, in value order
	keys   []int64  // code -> Month (Period) or year (Year)
	fold   []string // code -> lower-case value
	alt    []string // code -> lower-case Dimension.Code, or nil
	codes  []uint32 // row -> code
}

func (t *Table) sortByPeriod() {
	p := t.cols[t.period]
	card := len(p.values)
	start := make([]int, card+1)
	for _, c := range p.codes {
		start[c+1]++
	}
	for i := 1; i <= card; i++ {
		start[i] += start[i-1]
	}
	sorted := true
	for i := 1; i < len(p.codes); i++ {
		if p.codes[i] < p.codes[i-1] {
			sorted = false
			break
		}
	}
	t.start = start
	if sorted {
		return
	}
	n := len(t.counts)
	pos := make([]int, n) // row -> new position
	next := slices.Clone(start[:card])
	for r, c := range p.codes {
		pos[r] = next[c]
		next[c]++
	}
	for i := range t.cols {
		out := make([]uint32, n)
		for r, c := range t.cols[i].codes {
			out[pos[r]] = c
		}
		t.cols[i].codes = out
	}
	counts := make([]int64, n)
	for r, c := range t.counts {
		counts[pos[r]] = c
	}
	t.counts = counts
}

// Schema returns the table's schema.
func (t *Table) Schema() *Schema { return t.schema }

// Len returns the number of rows.
func (t *Table) Len() int { return len(t.counts) }

// Values returns the distinct values of a dimension in value order, or nil
// for an unknown dimension.
func (t *Table) Values(dim string) []string {
	i := t.schema.Index(dim)
	if i < 0 {
		return nil
	}
	return slices.Clone(t.cols[i].values)
}

// Span returns the first and last month of the table, or zeros if it has no
// period dimension or no rows.
func (t *Table) Span() (first, last Month) {
	if t.period < 0 || len(t.cols[t.period].keys) == 0 {
		return 0, 0
	}
	k := t.cols[t.period].keys
	return Month(k[0]), Month(k[len(k)-1])
}

// Total returns the sum of all counts.
func (t *Table) Total() int64 {
	var s int64
	for _, c := range t.counts {
		s += c
	}
	return s
}

// codeOfKey returns the code whose key (Month or year) is k, by binary
// search, or -1.
func (c *column) codeOfKey(k int64) int {
	i, ok := slices.BinarySearch(c.keys, k)
	if !ok {
		return -1
	}
	return i
}
