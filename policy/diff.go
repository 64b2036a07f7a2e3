package policy

import (
	"container/heap"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/senda-platform/senda/profile"
)

// DiffSampleSize is the largest number of affected people a DiffReport
// names.
const DiffSampleSize = 50

// AttrNationality is the breakdown key Diff fills from each person's
// nationality ("" when not answered); other keys come from the attrs the
// iterator yields (for example "office").
const AttrNationality = "nationality"

// Change is a programme's outcome for one person under the old pack (From)
// and the new one (To).
type Change struct {
	Program string  `json:"program"`
	From    Outcome `json:"from"`
	To      Outcome `json:"to"`
}

// ChangeCount counts the people who make one Change, with breakdowns by
// nationality and by each attribute: key -> value -> count.
type ChangeCount struct {
	Change
	Count int                       `json:"count"`
	By    map[string]map[string]int `json:"by"`
}

// Breakdown writes the counts of one breakdown (By[key]) largest first,
// ties by value: "VE 3, CU 1". A person whose value was not answered is
// counted under unanswered.
func (c ChangeCount) Breakdown(key, unanswered string) string {
	type kv struct {
		k string
		v int
	}
	var l []kv
	for k, v := range c.By[key] {
		if k == "" {
			k = unanswered
		}
		l = append(l, kv{k, v})
	}
	sort.Slice(l, func(i, j int) bool {
		if l[i].v != l[j].v {
			return l[i].v > l[j].v
		}
		return l[i].k < l[j].k
	})
	parts := make([]string, len(l))
	for i, x := range l {
		parts[i] = x.k + " " + strconv.Itoa(x.v)
	}
	return strings.Join(parts, ", ")
}

// ProgramDiff sums up one programme.
type ProgramDiff struct {
	Program string `json:"program"`
	Gained  int    `json:"gained"`  // people who become eligible
	Lost    int    `json:"lost"`    // people who stop being eligible
	Changed int    `json:"changed"` // people whose outcome changes in any way
}

// Affected names one person whose outcome changes, with every change.
type Affected struct {
	ID      string   `json:"id"`
	Changes []Change `json:"changes"`
}

// DiffReport says what publishing a new pack would change on one date:
// who would gain or lose eligibility, counted by programme, transition,
// nationality and attribute, with a sample of the people affected (the
// DiffSampleSize smallest ids, so the sample does not depend on the order
// people are read in).
type DiffReport struct {
	FromVersion string        `json:"from_version"`
	ToVersion   string        `json:"to_version"`
	AsOf        profile.Date  `json:"as_of"`
	Screened    int           `json:"screened"`
	Affected    int           `json:"affected"`           // people with at least one change
	Programs    []ProgramDiff `json:"programs"`           // programmes in both packs, by id
	Changes     []ChangeCount `json:"changes"`            // by programme, then from, then to
	OnlyFrom    []string      `json:"only_from,omitzero"` // programmes only in the old pack
	OnlyTo      []string      `json:"only_to,omitzero"`   // programmes only in the new pack
	Sample      []Affected    `json:"sample"`
}

// Diff screens everyone iterate yields with both packs on asOf and reports
// the differences, for the programmes both packs have. iterate calls yield
// once per person, with attributes for the breakdowns (for example
// {"office": "SMO-GT"}), and stops when yield returns false.
func Diff(from, to *Pack, asOf time.Time, iterate func(yield func(id string, p profile.Person, h profile.Household, attrs map[string]string) bool)) DiffReport {
	rep := DiffReport{FromVersion: from.version, ToVersion: to.version, AsOf: profile.DateOf(asOf)}
	var common []string
	for _, id := range from.programIDs() {
		if _, ok := to.byID[id]; ok {
			common = append(common, id)
		} else {
			rep.OnlyFrom = append(rep.OnlyFrom, id)
		}
	}
	for _, id := range to.programIDs() {
		if _, ok := from.byID[id]; !ok {
			rep.OnlyTo = append(rep.OnlyTo, id)
		}
	}
	progs := map[string]*ProgramDiff{}
	for _, id := range common {
		rep.Programs = append(rep.Programs, ProgramDiff{Program: id})
	}
	for i := range rep.Programs {
		progs[rep.Programs[i].Program] = &rep.Programs[i]
	}
	counts := map[Change]*ChangeCount{}
	sample := &affectedHeap{}
	fromProgs, toProgs := from.selectPrograms(common), to.selectPrograms(common)
	sf, st := from.pool.Get().(*screener), to.pool.Get().(*screener)
	defer from.pool.Put(sf)
	defer to.pool.Put(st)
	day := dayOf(asOf)
	var ra, rb []Result
	iterate(func(id string, p profile.Person, h profile.Household, attrs map[string]string) bool {
		rep.Screened++
		sf.load(&p, &h, day)
		st.load(&p, &h, day)
		ra = sf.runInto(ra[:0], &sf.bulkSlab, fromProgs, DefaultLang)
		rb = st.runInto(rb[:0], &st.bulkSlab, toProgs, DefaultLang)
		var changes []Change
		for k := range ra {
			a, b := ra[k].Result, rb[k].Result
			if a == b {
				continue
			}
			ch := Change{Program: ra[k].Program, From: a, To: b}
			changes = append(changes, ch)
			pd := progs[ch.Program]
			pd.Changed++
			switch {
			case b == Eligible:
				pd.Gained++
			case a == Eligible:
				pd.Lost++
			}
			cc := counts[ch]
			if cc == nil {
				cc = &ChangeCount{Change: ch, By: map[string]map[string]int{}}
				counts[ch] = cc
			}
			cc.Count++
			nat := ""
			if p.Nationality != nil {
				nat = *p.Nationality
			}
			cc.add(AttrNationality, nat)
			for k, v := range attrs {
				if k != AttrNationality {
					cc.add(k, v)
				}
			}
		}
		if len(changes) > 0 {
			rep.Affected++
			sample.offer(Affected{ID: id, Changes: changes})
		}
		return true
	})
	for _, cc := range counts {
		rep.Changes = append(rep.Changes, *cc)
	}
	sort.Slice(rep.Changes, func(i, j int) bool {
		a, b := rep.Changes[i], rep.Changes[j]
		if a.Program != b.Program {
			return a.Program < b.Program
		}
		if a.From != b.From {
			return a.From < b.From
		}
		return a.To < b.To
	})
	rep.Sample = sample.sorted()
	if rep.Programs == nil {
		rep.Programs = []ProgramDiff{}
	}
	if rep.Changes == nil {
		rep.Changes = []ChangeCount{}
	}
	return rep
}

func (c *ChangeCount) add(key, value string) {
	m := c.By[key]
	if m == nil {
		m = map[string]int{}
		c.By[key] = m
	}
	m[value]++
}

// affectedHeap keeps the DiffSampleSize smallest ids (a max-heap by id).
type affectedHeap []Affected

func (h affectedHeap) Len() int           { return len(h) }
func (h affectedHeap) Less(i, j int) bool { return h[i].ID > h[j].ID }
func (h affectedHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *affectedHeap) Push(x any)        { *h = append(*h, x.(Affected)) }
func (h *affectedHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (h *affectedHeap) offer(a Affected) {
	if h.Len() < DiffSampleSize {
		heap.Push(h, a)
		return
	}
	if a.ID < (*h)[0].ID {
		(*h)[0] = a
		heap.Fix(h, 0)
	}
}

func (h *affectedHeap) sorted() []Affected {
	out := append([]Affected{}, (*h)...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
