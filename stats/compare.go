package stats

import (
	"math"
	"slices"
	"strconv"
)

// compare adds the comparison columns to res. Comparisons read the whole
// dataset (with the query's filters, except those on month and year
// dimensions, and without its --from/--to range) so that the month before
// --from, or last year's month, still counts.
func (t *Table) compare(res *Result, cs []Compare, p prepared, g *groups, keys []int64) error {
	s := t.schema
	pi, yi := -1, -1 // positions in p.by of the period and the first year dimension
	var years []int  // positions in p.by of year dimensions
	for j, d := range p.by {
		switch s.Dimensions[d].Kind {
		case Period:
			pi = j
		case Year:
			years = append(years, j)
			if yi < 0 {
				yi = j
			}
		}
	}
	var full *groups
	needFull := slices.ContainsFunc(cs, func(c Compare) bool { return c != CompareShare })
	if needFull {
		allowed := slices.Clone(p.allowed)
		for d, dim := range s.Dimensions {
			if dim.Kind != Label {
				allowed[d] = nil
			}
		}
		var err error
		if full, err = t.aggregate(p.by, allowed, 0, len(t.counts)); err != nil {
			return err
		}
	}
	// at returns the full-data value of key k moved to period code c,
	// summed over the year dimensions (a fiscal year follows from its month).
	at := func(k int64, c int) int64 {
		k += int64(c-g.code(k, pi)) * g.radix[pi]
		var sum func(k int64, i int) int64
		sum = func(k int64, i int) int64 {
			if i == len(years) {
				return full.get(k)
			}
			j := years[i]
			base := k - int64(g.code(k, j))*g.radix[j]
			var s int64
			for y := int64(0); y < g.card[j]; y++ {
				s += sum(base+y*g.radix[j], i+1)
			}
			return s
		}
		return sum(k, 0)
	}
	var months []int64
	if t.period >= 0 {
		months = t.cols[t.period].keys
	}
	change := func(cur, prev int64, ok bool) []Value {
		if !ok {
			return []Value{{}, {}, {}}
		}
		out := []Value{intValue(prev), intValue(cur - prev), {}}
		if prev != 0 {
			out[2] = floatValue(round2(100 * float64(cur-prev) / float64(prev)))
		}
		return out
	}
	for _, c := range cs {
		switch c {
		case CompareMoM:
			res.Extra = append(res.Extra, "mom_prev", "mom_change", "mom_pct")
		case CompareYoY:
			res.Extra = append(res.Extra, "yoy_prev", "yoy_change", "yoy_pct")
		case CompareRank:
			res.Extra = append(res.Extra, "rank", "rank_of")
		case CompareRecord:
			res.Extra = append(res.Extra, "record_month", "record_"+s.Measure, "is_record")
		case CompareShare:
			res.Extra = append(res.Extra, "share_pct")
		}
	}
	var shareTotals map[string]int64
	shareKey := func(r ResultRow) string {
		var b []byte
		for j := range p.by {
			if s.Dimensions[p.by[j]].Kind != Label {
				b = strconv.AppendQuote(b, r.Values[j])
			}
		}
		return string(b)
	}
	if slices.Contains(cs, CompareShare) {
		shareTotals = map[string]int64{}
		for _, r := range res.Rows {
			shareTotals[shareKey(r)] += r.Count
		}
	}
	for ri := range res.Rows {
		r := &res.Rows[ri]
		k := keys[ri]
		for _, c := range cs {
			switch c {
			case CompareMoM:
				m := Month(months[g.code(k, pi)])
				pc := t.cols[t.period].codeOfKey(int64(m - 1))
				if pc < 0 {
					r.Extra = append(r.Extra, change(0, 0, false)...)
				} else {
					r.Extra = append(r.Extra, change(at(k, g.code(k, pi)), at(k, pc), true)...)
				}
			case CompareYoY:
				if pi >= 0 {
					m := Month(months[g.code(k, pi)])
					pc := t.cols[t.period].codeOfKey(int64(m - 12))
					if pc < 0 {
						r.Extra = append(r.Extra, change(0, 0, false)...)
					} else {
						r.Extra = append(r.Extra, change(at(k, g.code(k, pi)), at(k, pc), true)...)
					}
					break
				}
				ycol := &t.cols[p.by[yi]]
				pc := ycol.codeOfKey(ycol.keys[g.code(k, yi)] - 1)
				if pc < 0 {
					r.Extra = append(r.Extra, change(0, 0, false)...)
				} else {
					prev := full.get(k + int64(pc-g.code(k, yi))*g.radix[yi])
					r.Extra = append(r.Extra, change(full.get(k), prev, true)...)
				}
			case CompareRank:
				mc := g.code(k, pi)
				cal := Month(months[mc]).CalendarMonth()
				v := at(k, mc)
				rank, of := int64(1), int64(0)
				for oc, om := range months {
					if Month(om).CalendarMonth() != cal {
						continue
					}
					of++
					if at(k, oc) > v {
						rank++
					}
				}
				r.Extra = append(r.Extra, intValue(rank), intValue(of))
			case CompareRecord:
				mc := g.code(k, pi)
				best, bestC := int64(math.MinInt64), -1
				for oc := 0; oc < mc; oc++ {
					if v := at(k, oc); v > best {
						best, bestC = v, oc
					}
				}
				v := at(k, mc)
				isRecord := bestC >= 0 && v > best
				if bestC < 0 || v > best {
					best, bestC = v, mc
				}
				r.Extra = append(r.Extra, stringValue(Month(months[bestC]).String()), intValue(best), boolValue(isRecord))
			case CompareShare:
				tot := shareTotals[shareKey(*r)]
				if tot == 0 {
					r.Extra = append(r.Extra, Value{})
				} else {
					r.Extra = append(r.Extra, floatValue(round2(100*float64(r.Count)/float64(tot))))
				}
			}
		}
	}
	return nil
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }
