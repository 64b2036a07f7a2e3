package stats

import (
	"encoding/csv"
	"io"
	"slices"
	"strconv"

	"github.com/senda-platform/senda"
)

// DefaultThreshold is the default small-cell threshold: published cells
// with 0 < count < 10 are suppressed.
const DefaultThreshold = 10

// Suppressed marks what a two-way table withholds: body cells, row totals,
// column totals and the grand total.
type Suppressed struct {
	Cells     [][]bool
	RowTotals []bool
	ColTotals []bool
	Total     bool
}

// Count returns the number of withheld entries.
func (s Suppressed) Count() int {
	n := 0
	for _, r := range s.Cells {
		for _, h := range r {
			if h {
				n++
			}
		}
	}
	for _, h := range append(slices.Clone(s.RowTotals), s.ColTotals...) {
		if h {
			n++
		}
	}
	if s.Total {
		n++
	}
	return n
}

// Suppress decides which entries of a two-way table of counts (at least
// one row and one column, all rows as long) are withheld when it is
// published with its row totals, column totals and grand total.
//
// Primary suppression withholds every body cell with 0 < count <
// threshold (zeros are published: they disclose no one). Complementary
// suppression then repeats, until nothing changes, two rules over the table
// extended by its margins, where every row and every column (the totals
// row and column included) is one equation "body = total":
//
//  1. a row or column with exactly one withheld entry gets a second: its
//     smallest positive published body entry, else its total;
//  2. a withheld entry whose equations do not tie it to a cycle of other
//     withheld entries (a bridge of the bipartite graph of rows and
//     columns whose edges are the withheld entries) could be solved from
//     the published numbers; the smallest published entry that closes a
//     cycle through it is withheld too, body cells before margins.
//
// Zeros are complements only when nothing else is left: withheld entries
// of a line that add up to zero would all be known to be zero.
//
// With no bridge left, no withheld entry is determined by the published
// numbers through any linear combination of the row, column and total
// equations. Bounds (counts are not negative) can still narrow a withheld
// cell to a range; they cannot pin it.
func Suppress(cells [][]int64, threshold int64) Suppressed {
	m := len(cells)
	if m == 0 || len(cells[0]) == 0 {
		return Suppressed{}
	}
	n := len(cells[0])
	// The extended grid: row m holds the column totals, column n the row
	// totals, [m][n] the grand total.
	grid := make([][]int64, m+1)
	hid := make([][]bool, m+1)
	for i := range grid {
		grid[i] = make([]int64, n+1)
		hid[i] = make([]bool, n+1)
	}
	for i, r := range cells {
		for j, v := range r {
			grid[i][j] = v
			grid[i][n] += v
			grid[m][j] += v
			grid[m][n] += v
			hid[i][j] = v > 0 && v < threshold
		}
	}
	for {
		if lineRule(grid, hid) {
			continue
		}
		if !bridgeRule(grid, hid) {
			break
		}
	}
	s := Suppressed{Cells: make([][]bool, m), RowTotals: make([]bool, m), ColTotals: make([]bool, n), Total: hid[m][n]}
	for i := 0; i < m; i++ {
		s.Cells[i] = hid[i][:n:n]
		s.RowTotals[i] = hid[i][n]
	}
	for j := 0; j < n; j++ {
		s.ColTotals[j] = hid[m][j]
	}
	return s
}

// entry is a position in the extended grid.
type entry struct{ i, j int }

// better reports whether entry a of the grid is a better complement than b:
// positive body cells, then positive margins, then zeros (a withheld zero
// in a line whose withheld entries add up to zero would give them all
// away), smaller first, then position.
func better(grid [][]int64, a, b entry) bool {
	m, n := len(grid)-1, len(grid[0])-1
	rank := func(e entry) (int, int64) {
		r := 0
		if e.i == m || e.j == n {
			r = 1
		}
		if grid[e.i][e.j] == 0 {
			r += 2
		}
		return r, grid[e.i][e.j]
	}
	ra, va := rank(a)
	rb, vb := rank(b)
	if ra != rb {
		return ra < rb
	}
	if va != vb {
		return va < vb
	}
	if a.i != b.i {
		return a.i < b.i
	}
	return a.j < b.j
}

// lineRule applies rule 1 to the first line with a single withheld entry
// and reports whether it withheld anything.
func lineRule(grid [][]int64, hid [][]bool) bool {
	m, n := len(grid)-1, len(grid[0])-1
	for line := 0; line < m+1+n+1; line++ {
		var ents []entry
		if line <= m {
			for j := 0; j <= n; j++ {
				ents = append(ents, entry{line, j})
			}
		} else {
			for i := 0; i <= m; i++ {
				ents = append(ents, entry{i, line - m - 1})
			}
		}
		k := 0
		for _, e := range ents {
			if hid[e.i][e.j] {
				k++
			}
		}
		if k != 1 {
			continue
		}
		best := entry{-1, -1}
		for _, e := range ents {
			if !hid[e.i][e.j] && (best.i < 0 || betterInLine(grid, ents, e, best)) {
				best = e
			}
		}
		hid[best.i][best.j] = true
		return true
	}
	return false
}

// betterInLine orders the published entries of one line as complements:
// the smallest positive body entry, else the line's total (its last
// entry), else a zero.
func betterInLine(grid [][]int64, line []entry, a, b entry) bool {
	total := line[len(line)-1]
	rank := func(e entry) int {
		switch {
		case grid[e.i][e.j] == 0:
			return 2
		case e == total:
			return 1
		}
		return 0
	}
	if ra, rb := rank(a), rank(b); ra != rb {
		return ra < rb
	}
	va, vb := grid[a.i][a.j], grid[b.i][b.j]
	if va != vb {
		return va < vb
	}
	return a.i < b.i || (a.i == b.i && a.j < b.j)
}

// bridgeRule applies rule 2 to the first bridge and reports whether it
// withheld anything. Nodes 0..m are rows, m+1..m+n+1 columns.
func bridgeRule(grid [][]int64, hid [][]bool) bool {
	m, n := len(grid)-1, len(grid[0])-1
	for i := 0; i <= m; i++ {
		for j := 0; j <= n; j++ {
			if !hid[i][j] {
				continue
			}
			side := reach(hid, entry{i, j}, i)
			if side[m+1+j] {
				continue // another path joins the two ends: on a cycle
			}
			best := entry{-1, -1}
			for a := 0; a <= m; a++ {
				for b := 0; b <= n; b++ {
					if hid[a][b] || side[a] == side[m+1+b] {
						continue
					}
					if e := (entry{a, b}); best.i < 0 || better(grid, e, best) {
						best = e
					}
				}
			}
			if best.i < 0 {
				continue // cannot happen once rule 1 is stable
			}
			hid[best.i][best.j] = true
			return true
		}
	}
	return false
}

// reach returns the nodes reachable from row node start along withheld
// entries, not using entry skip.
func reach(hid [][]bool, skip entry, start int) []bool {
	m, n := len(hid)-1, len(hid[0])-1
	seen := make([]bool, m+n+2)
	seen[start] = true
	stack := []int{start}
	for len(stack) > 0 {
		u := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		visit := func(v int) {
			if !seen[v] {
				seen[v] = true
				stack = append(stack, v)
			}
		}
		if u <= m {
			for j := 0; j <= n; j++ {
				if hid[u][j] && (entry{u, j}) != skip {
					visit(m + 1 + j)
				}
			}
		} else {
			j := u - m - 1
			for i := 0; i <= m; i++ {
				if hid[i][j] && (entry{i, j}) != skip {
					visit(i)
				}
			}
		}
	}
	return seen
}

// SuppressList decides what a one-way table (a list of counts published
// with its total) withholds: every count with 0 < count < threshold; if
// that is exactly one, also the smallest other positive count, or the
// total when there is none. One equation with two or more unknowns
// determines none of them.
func SuppressList(counts []int64, threshold int64) (cells []bool, total bool) {
	cells = make([]bool, len(counts))
	k := 0
	for i, v := range counts {
		if v > 0 && v < threshold {
			cells[i] = true
			k++
		}
	}
	if k != 1 {
		return cells, false
	}
	best := -1
	for i, v := range counts {
		if !cells[i] && v > 0 && (best < 0 || v < counts[best]) {
			best = i
		}
	}
	if best < 0 {
		return cells, true
	}
	cells[best] = true
	return cells, false
}

// Crosstab is an aggregate ready to publish: counts by one dimension
// (rows) and optionally a second (columns), with totals, after small-cell
// suppression. A one-way table has no Cols; its Cells have one column and
// it has no row totals.
type Crosstab struct {
	Dataset   string
	Rows      string // row dimension
	Cols      string // column dimension, "" for a one-way table
	Measure   string
	RowLabels []string
	RowCodes  []string // the rows' codes (citizenship: ISO alpha-2), if the dimension has them
	ColLabels []string
	Cells     [][]int64
	RowTotals []int64
	ColTotals []int64
	Total     int64
	Threshold int64
	Hidden    Suppressed
}

// Crosstab aggregates q's dataset (with q's filters and range; q.By and
// q.Compare are ignored) by rows and cols (cols may be "") and suppresses
// small cells. threshold <= 0 means DefaultThreshold. Every combination of
// the row and column values present in the filtered data is a cell; a
// combination with no rows is a published zero.
func (e *Engine) Crosstab(q Query, rows, cols string, threshold int64) (*Crosstab, error) {
	if threshold <= 0 {
		threshold = DefaultThreshold
	}
	if rows == "" || rows == cols {
		return nil, &senda.Error{Code: senda.CodeInvalid, Key: "stats.query.invalid", Fields: []senda.FieldError{{Location: "rows", Key: "stats.export.bad_dimensions", Args: map[string]any{"rows": rows, "cols": cols}}}}
	}
	q.By = []string{rows}
	if cols != "" {
		q.By = append(q.By, cols)
	}
	q.Compare = nil
	res, err := e.Query(q)
	if err != nil {
		return nil, err
	}
	t, err := e.Table(res.Dataset)
	if err != nil {
		return nil, err
	}
	ct := &Crosstab{Dataset: res.Dataset, Rows: rows, Cols: cols, Measure: res.Measure, Threshold: threshold}
	ri, ci := map[string]int{}, map[string]int{}
	for _, r := range res.Rows {
		if _, ok := ri[r.Values[0]]; !ok {
			ri[r.Values[0]] = -1
			ct.RowLabels = append(ct.RowLabels, r.Values[0])
		}
		if cols != "" {
			if _, ok := ci[r.Values[1]]; !ok {
				ci[r.Values[1]] = -1
				ct.ColLabels = append(ct.ColLabels, r.Values[1])
			}
		}
	}
	d := t.schema.Dimensions[t.schema.Index(rows)]
	sortLabels(ct.RowLabels, t, rows)
	for i, l := range ct.RowLabels {
		ri[l] = i
		if d.Code != nil {
			ct.RowCodes = append(ct.RowCodes, d.Code(l))
		}
	}
	if cols == "" {
		ct.ColLabels = []string{res.Measure}
	} else {
		sortLabels(ct.ColLabels, t, cols)
	}
	for j, l := range ct.ColLabels {
		ci[l] = j
	}
	ct.Cells = make([][]int64, len(ct.RowLabels))
	for i := range ct.Cells {
		ct.Cells[i] = make([]int64, len(ct.ColLabels))
	}
	for _, r := range res.Rows {
		j := 0
		if cols != "" {
			j = ci[r.Values[1]]
		}
		ct.Cells[ri[r.Values[0]]][j] += r.Count
	}
	ct.ColTotals = make([]int64, len(ct.ColLabels))
	for _, r := range ct.Cells {
		var s int64
		for j, v := range r {
			s += v
			ct.ColTotals[j] += v
		}
		if cols != "" {
			ct.RowTotals = append(ct.RowTotals, s)
		}
		ct.Total += s
	}
	if len(ct.RowLabels) == 0 {
		return ct, nil
	}
	if cols == "" {
		list := make([]int64, len(ct.Cells))
		for i, r := range ct.Cells {
			list[i] = r[0]
		}
		hc, ht := SuppressList(list, threshold)
		ct.Hidden = Suppressed{Cells: make([][]bool, len(list)), ColTotals: []bool{ht}, Total: ht}
		for i, h := range hc {
			ct.Hidden.Cells[i] = []bool{h}
		}
		return ct, nil
	}
	ct.Hidden = Suppress(ct.Cells, threshold)
	return ct, nil
}

// sortLabels orders values of a dimension as the table does (months and
// years in time order, labels by bytes).
func sortLabels(vals []string, t *Table, dim string) {
	order := map[string]int{}
	for i, v := range t.cols[t.schema.Index(dim)].values {
		order[v] = i
	}
	slices.SortFunc(vals, func(a, b string) int { return order[a] - order[b] })
}

// SuppressedMark is what published tables show in place of a withheld
// number.
const SuppressedMark = "x"

// WriteCrosstabCSV writes a crosstab for publication: a header (the row
// dimension, an "iso" column when the rows have codes, the column labels,
// "total"), one line per row with its total, and a last line "total" with
// the column totals and grand total. A one-way table has the header (row
// dimension, [iso,] measure) and a last "total" line. Withheld entries are
// SuppressedMark.
func WriteCrosstabCSV(w io.Writer, ct *Crosstab) error {
	cw := csv.NewWriter(w)
	num := func(v int64, hidden bool) string {
		if hidden {
			return SuppressedMark
		}
		return strconv.FormatInt(v, 10)
	}
	head := []string{ct.Rows}
	if ct.RowCodes != nil {
		head = append(head, "iso")
	}
	head = append(head, ct.ColLabels...)
	twoWay := ct.Cols != ""
	if twoWay {
		head = append(head, "total")
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for i, l := range ct.RowLabels {
		rec := []string{l}
		if ct.RowCodes != nil {
			rec = append(rec, ct.RowCodes[i])
		}
		for j, v := range ct.Cells[i] {
			rec = append(rec, num(v, ct.Hidden.Cells[i][j]))
		}
		if twoWay {
			rec = append(rec, num(ct.RowTotals[i], ct.Hidden.RowTotals[i]))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	rec := []string{"total"}
	if ct.RowCodes != nil {
		rec = append(rec, "")
	}
	for j, v := range ct.ColTotals {
		h := len(ct.Hidden.ColTotals) > j && ct.Hidden.ColTotals[j]
		rec = append(rec, num(v, h))
	}
	if twoWay {
		rec = append(rec, num(ct.Total, ct.Hidden.Total))
	}
	if err := cw.Write(rec); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}
