package stats

import "slices"

// Changes is what a newer release of a dataset changes. A release replaces
// the months it covers (the months that have at least one row in it);
// months it does not cover are left alone and not reported.
type Changes struct {
	Months  []Month      // months the new release covers, ascending
	Added   []Row        // cells only in the new release
	Removed []Row        // cells of covered months only in the old one
	Changed []Change     // cells in both, with another count
	Totals  []MonthTotal // per covered month, the total before and after
}

// Change is one cell whose count was revised. Row holds the cell's
// dimensions (as in the new release) and its new count.
type Change struct {
	Row      Row
	Old, New int64
}

// MonthTotal is a month's total before (in the old rows) and after (in the
// new rows) a release.
type MonthTotal struct {
	Month         Month
	Before, After int64
}

// Diff compares an old and a new release of the same dataset for the months
// the new one covers. Rows with the same dimensions are summed first. All
// lists are in CompareRows order.
func Diff(old, new []Row) Changes {
	newCells, newOrder := cells(new)
	covered := map[Month]bool{}
	for _, r := range new {
		covered[r.Month] = true
	}
	var ch Changes
	for m := range covered {
		ch.Months = append(ch.Months, m)
	}
	slices.Sort(ch.Months)
	oldCells, oldOrder := cells(old)
	totals := map[Month]*MonthTotal{}
	for _, m := range ch.Months {
		totals[m] = &MonthTotal{Month: m}
	}
	for _, k := range oldOrder {
		o := oldCells[k]
		if !covered[o.Month] {
			continue
		}
		totals[o.Month].Before += o.Encounters
		n, ok := newCells[k]
		switch {
		case !ok:
			ch.Removed = append(ch.Removed, o)
		case n.Encounters != o.Encounters:
			ch.Changed = append(ch.Changed, Change{Row: n, Old: o.Encounters, New: n.Encounters})
		}
	}
	for _, k := range newOrder {
		n := newCells[k]
		totals[n.Month].After += n.Encounters
		if _, ok := oldCells[k]; !ok {
			ch.Added = append(ch.Added, n)
		}
	}
	for _, m := range ch.Months {
		ch.Totals = append(ch.Totals, *totals[m])
	}
	slices.SortFunc(ch.Added, CompareRows)
	slices.SortFunc(ch.Removed, CompareRows)
	slices.SortFunc(ch.Changed, func(a, b Change) int { return CompareRows(a.Row, b.Row) })
	return ch
}

// cells sums rows by cell and returns them with their keys in first-seen
// order.
func cells(rows []Row) (map[cellKey]Row, []cellKey) {
	m := make(map[cellKey]Row, len(rows))
	var order []cellKey
	for _, r := range rows {
		k := r.key()
		if prev, ok := m[k]; ok {
			prev.Encounters += r.Encounters
			m[k] = prev
			continue
		}
		m[k] = r
		order = append(order, k)
	}
	return m, order
}

// Merge applies a newer release to the rows of the same dataset: old rows
// of months the new release covers are dropped, the new rows added. The
// result is in CompareRows order. Neither input is modified.
func Merge(old, new []Row) []Row {
	covered := map[Month]bool{}
	for _, r := range new {
		covered[r.Month] = true
	}
	out := make([]Row, 0, len(old)+len(new))
	for _, r := range old {
		if !covered[r.Month] {
			out = append(out, r)
		}
	}
	out = append(out, new...)
	sortRows(out)
	return out
}
