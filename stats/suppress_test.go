package stats

import (
	"bytes"
	"math/big"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// unknown is a withheld entry of the extended table (row m: column totals,
// column n: row totals).
type unknownEntry struct{ I, J int }

// extended returns the table with its margins and the withheld entries.
func extended(cells [][]int64, s Suppressed) ([][]int64, []unknownEntry) {
	m, n := len(cells), len(cells[0])
	g := make([][]int64, m+1)
	for i := range g {
		g[i] = make([]int64, n+1)
	}
	var unk []unknownEntry
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			v := cells[i][j]
			g[i][j], g[i][n], g[m][j], g[m][n] = v, g[i][n]+v, g[m][j]+v, g[m][n]+v
			if s.Cells[i][j] {
				unk = append(unk, unknownEntry{i, j})
			}
		}
		if s.RowTotals[i] {
			unk = append(unk, unknownEntry{i, n})
		}
	}
	for j := 0; j < n; j++ {
		if s.ColTotals[j] {
			unk = append(unk, unknownEntry{m, j})
		}
	}
	if s.Total {
		unk = append(unk, unknownEntry{m, n})
	}
	return g, unk
}

// lines returns the equations of the extended table: every row and column
// says "body entries sum to the last entry".
func lines(m, n int) [][]unknownEntry {
	var out [][]unknownEntry
	for i := 0; i <= m; i++ {
		var l []unknownEntry
		for j := 0; j <= n; j++ {
			l = append(l, unknownEntry{i, j})
		}
		out = append(out, l)
	}
	for j := 0; j <= n; j++ {
		var l []unknownEntry
		for i := 0; i <= m; i++ {
			l = append(l, unknownEntry{i, j})
		}
		out = append(out, l)
	}
	return out
}

// propagationAttack solves every equation with exactly one unknown, and
// every equation whose unknowns are body entries adding up to zero (counts
// are not negative, so each is zero); it substitutes what it found and
// repeats, and returns what it recovered.
func propagationAttack(g [][]int64, unk []unknownEntry) map[unknownEntry]bool {
	m, n := len(g)-1, len(g[0])-1
	hidden := map[unknownEntry]bool{}
	for _, u := range unk {
		hidden[u] = true
	}
	solved := map[unknownEntry]bool{}
	for changed := true; changed; {
		changed = false
		for _, l := range lines(m, n) {
			var left []unknownEntry
			for _, e := range l {
				if hidden[e] && !solved[e] {
					left = append(left, e)
				}
			}
			total := l[len(l)-1]
			residual := g[total.I][total.J]
			for _, e := range l[:len(l)-1] {
				if !hidden[e] || solved[e] {
					residual -= g[e.I][e.J]
				}
			}
			zeroSum := len(left) > 0 && (!hidden[total] || solved[total]) && residual == 0
			if len(left) == 1 || zeroSum {
				for _, e := range left {
					solved[e] = true
				}
				changed = true
			}
		}
	}
	return solved
}

// linearAttack returns the unknowns that the published numbers determine
// through any linear combination of the equations: unknown e is
// determined iff dropping its column lowers the rank of the coefficient
// matrix (no solution of the homogeneous system moves it).
func linearAttack(m, n int, unk []unknownEntry) []unknownEntry {
	col := map[unknownEntry]int{}
	for k, u := range unk {
		col[u] = k
	}
	var a [][]*big.Rat
	for _, l := range lines(m, n) {
		row := make([]*big.Rat, len(unk))
		for k := range row {
			row[k] = new(big.Rat)
		}
		for idx, e := range l {
			if k, ok := col[e]; ok {
				if idx == len(l)-1 {
					row[k].SetInt64(-1)
				} else {
					row[k].SetInt64(1)
				}
			}
		}
		a = append(a, row)
	}
	full := rank(a, -1)
	var out []unknownEntry
	for k, u := range unk {
		if rank(a, k) < full {
			out = append(out, u)
		}
	}
	return out
}

// rank computes the rank of a (without column skip) by exact elimination.
func rank(a [][]*big.Rat, skip int) int {
	var rows [][]*big.Rat
	for _, r := range a {
		var c []*big.Rat
		for k, v := range r {
			if k != skip {
				c = append(c, new(big.Rat).Set(v))
			}
		}
		rows = append(rows, c)
	}
	if len(rows) == 0 || len(rows[0]) == 0 {
		return 0
	}
	r := 0
	for c := 0; c < len(rows[0]) && r < len(rows); c++ {
		p := -1
		for i := r; i < len(rows); i++ {
			if rows[i][c].Sign() != 0 {
				p = i
				break
			}
		}
		if p < 0 {
			continue
		}
		rows[r], rows[p] = rows[p], rows[r]
		for i := r + 1; i < len(rows); i++ {
			if rows[i][c].Sign() == 0 {
				continue
			}
			f := new(big.Rat).Quo(rows[i][c], rows[r][c])
			for k := c; k < len(rows[i]); k++ {
				rows[i][k].Sub(rows[i][k], new(big.Rat).Mul(f, rows[r][k]))
			}
		}
		r++
	}
	return r
}

func TestAttackersFindLeaks(t *testing.T) {
	// One withheld cell alone in its row is read off the row total.
	g := [][]int64{{1, 2, 3}, {4, 5, 9}, {5, 7, 12}}
	unk := []unknownEntry{{0, 0}}
	if got := propagationAttack(g, unk); !got[unknownEntry{0, 0}] {
		t.Errorf("propagation attacker missed a lone withheld cell")
	}
	if got := linearAttack(2, 2, unk); len(got) != 1 {
		t.Errorf("linear attacker found %v, want the lone cell", got)
	}
	// Two 2x2 rectangles joined by one cell (a bridge): every line has two
	// unknowns, so propagation fails, but the bridge is determined.
	unk = []unknownEntry{{0, 0}, {0, 1}, {1, 0}, {1, 1}, {2, 2}, {2, 3}, {3, 2}, {3, 3}, {1, 2}}
	g = make([][]int64, 5)
	for i := range g {
		g[i] = []int64{1, 1, 1, 1, 4}
	}
	g[4] = []int64{4, 4, 4, 4, 16}
	if got := propagationAttack(g, unk); len(got) != 0 {
		t.Errorf("propagation attacker recovered %v, want nothing", got)
	}
	if diff := cmp.Diff([]unknownEntry{{1, 2}}, linearAttack(4, 4, unk)); diff != "" {
		t.Errorf("linear attacker (-want +got):\n%s", diff)
	}
}

func TestSuppressExample(t *testing.T) {
	cells := [][]int64{
		{120, 3, 45},
		{80, 60, 12},
		{200, 150, 90},
	}
	s := Suppress(cells, 10)
	want := Suppressed{
		Cells:     [][]bool{{false, true, true}, {false, true, true}, {false, false, false}},
		RowTotals: []bool{false, false, false},
		ColTotals: []bool{false, false, false},
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("Suppress (-want +got):\n%s", diff)
	}
}

func TestSuppressSingleColumn(t *testing.T) {
	// With one column, a row's total is its only cell: the row total must
	// go too, and the totals row then needs a second withheld entry.
	s := Suppress([][]int64{{5}, {100}, {200}}, 10)
	_, unk := extended([][]int64{{5}, {100}, {200}}, s)
	if got := linearAttack(3, 1, unk); len(got) != 0 {
		t.Errorf("recoverable entries %v in %+v", got, s)
	}
	if !s.Cells[0][0] {
		t.Errorf("primary cell not withheld: %+v", s)
	}
}

func TestSuppressProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := rapid.IntRange(1, 6).Draw(t, "m")
		n := rapid.IntRange(1, 6).Draw(t, "n")
		threshold := rapid.Int64Range(1, 15).Draw(t, "threshold")
		cells := make([][]int64, m)
		for i := range cells {
			cells[i] = make([]int64, n)
			for j := range cells[i] {
				switch rapid.IntRange(0, 3).Draw(t, "kind") {
				case 0:
					cells[i][j] = 0
				case 1:
					cells[i][j] = rapid.Int64Range(1, 14).Draw(t, "small")
				default:
					cells[i][j] = rapid.Int64Range(1, 500).Draw(t, "big")
				}
			}
		}
		s := Suppress(cells, threshold)
		for i := range cells {
			for j, v := range cells[i] {
				if v > 0 && v < threshold && !s.Cells[i][j] {
					t.Fatalf("cell [%d][%d]=%d below threshold %d is published", i, j, v, threshold)
				}
			}
		}
		g, unk := extended(cells, s)
		for e := range propagationAttack(g, unk) {
			if g[e.I][e.J] > 0 {
				t.Fatalf("propagation attacker recovered %v = %d from %v with %+v", e, g[e.I][e.J], cells, s)
			}
		}
		if got := linearAttack(m, n, unk); len(got) != 0 {
			t.Fatalf("linear attacker recovered %v from %v with %+v", got, cells, s)
		}
		if s2 := Suppress(cells, threshold); !cmp.Equal(s, s2) {
			t.Fatalf("Suppress is not deterministic")
		}
	})
}

func TestSuppressListProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		counts := rapid.SliceOfN(rapid.Int64Range(0, 40), 1, 10).Draw(t, "counts")
		threshold := rapid.Int64Range(1, 15).Draw(t, "threshold")
		cells, total := SuppressList(counts, threshold)
		k := 0
		for i, v := range counts {
			if v > 0 && v < threshold && !cells[i] {
				t.Fatalf("count %d below %d published", v, threshold)
			}
			if cells[i] {
				k++
			}
		}
		// One equation: cells sum to the total. With the total published, a
		// single unknown cell is recoverable; with it withheld, two unknowns
		// (a cell and the total) or none.
		unknowns := k
		if total {
			unknowns++
		}
		if unknowns == 1 {
			t.Fatalf("one unknown in the only equation: counts %v, cells %v, total %v", counts, cells, total)
		}
	})
}

func TestCrosstabExport(t *testing.T) {
	e := nationwideEngine(t)
	q, err := ParseQuery(QueryArgs{Where: []string{"region=Southwest Land Border"}})
	if err != nil {
		t.Fatal(err)
	}
	ct, err := e.Crosstab(q, DimCitizenship, DimFiscalYear, 0)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteCrosstabCSV(&b, ct); err != nil {
		t.Fatal(err)
	}
	// SW rows of the fixture by citizenship and fiscal year. CHINA's 5 is
	// the only primary cell. Its row has no other positive cell, so its row
	// total goes; the column of row totals then gives up its smallest
	// other, HAITI's 12, and HAITI's row its only positive cell, the 12 of
	// FY2024, which also pairs CHINA's cell in the FY2024 column.
	want := "" +
		"citizenship,iso,2024,2025,total\n" +
		"\"CHINA, PEOPLES REPUBLIC OF\",CN,x,0,x\n" +
		"ECUADOR,EC,0,1911,1911\n" +
		"HAITI,HT,x,0,x\n" +
		"HONDURAS,HN,0,459,459\n" +
		"MEXICO,MX,2841,239,3080\n" +
		"VENEZUELA,VE,3047,0,3047\n" +
		"total,,5905,2609,8514\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("crosstab CSV (-want +got):\n%s", diff)
	}
	one, err := e.Crosstab(q, DimCitizenship, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	if err := WriteCrosstabCSV(&b, one); err != nil {
		t.Fatal(err)
	}
	wantOne := "" +
		"citizenship,iso,encounters\n" +
		"\"CHINA, PEOPLES REPUBLIC OF\",CN,x\n" +
		"ECUADOR,EC,1911\n" +
		"HAITI,HT,x\n" +
		"HONDURAS,HN,459\n" +
		"MEXICO,MX,3080\n" +
		"VENEZUELA,VE,3047\n" +
		"total,,8514\n"
	if diff := cmp.Diff(wantOne, b.String()); diff != "" {
		t.Errorf("one-way CSV (-want +got):\n%s", diff)
	}
}
