package policy

import (
	"reflect"
	"sort"
	"time"
	"unsafe"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"

	"github.com/senda-platform/senda/profile"
)

// Outcome is the result of screening one person for one programme.
type Outcome string

// Outcomes. A programme is ineligible if any criterion failed; otherwise it
// needs information if any criterion could not be decided; otherwise it is
// eligible. "Eligible" means the person meets the published threshold
// criteria to be considered, never that they will be approved.
const (
	Eligible   Outcome = "eligible"
	Ineligible Outcome = "ineligible"
	NeedsInfo  Outcome = "needs_info"
)

// CriterionResult is the outcome of one criterion.
type CriterionResult struct {
	ID string `json:"id"`
	// Passed is true or false, or nil when an answer the criterion needs is
	// missing (see Needs).
	Passed *bool `json:"passed"`
	// Explanation says why, in the language asked for.
	Explanation string `json:"explanation"`
	// Hint says what the person can do; empty when the criterion passed.
	Hint string `json:"hint,omitempty"`
	// Needs lists the profile fields (question paths, see
	// profile.QuestionKey) whose answers would decide an undecided
	// criterion, sorted. It is empty for a criterion a caseworker must
	// decide. The slice is shared between results: do not modify it.
	Needs []string `json:"needs,omitempty"`

	crit *criterion
	prog *program
}

// Result is the outcome of screening one person for one programme, with the
// outcome of every criterion in effect and the policy version that decided.
// A Result is a value: publishing a new pack version does not change it.
type Result struct {
	Program       string            `json:"program"`
	Result        Outcome           `json:"result"`
	Criteria      []CriterionResult `json:"criteria"`
	PolicyVersion string            `json:"policy_version"`
	AsOf          profile.Date      `json:"as_of"`
	Lang          string            `json:"lang"`
}

// Localize returns r with its explanations and hints in lang.
func (r Result) Localize(lang string) Result {
	out := r
	out.Lang = baseLangOrDefault(lang)
	out.Criteria = make([]CriterionResult, len(r.Criteria))
	for i, c := range r.Criteria {
		out.Criteria[i] = c
		out.Criteria[i].Explanation, out.Criteria[i].Hint = c.texts(out.Lang)
	}
	return out
}

func baseLangOrDefault(lang string) string {
	b := baseLang(lang)
	for _, l := range profile.Languages {
		if b == l {
			return b
		}
	}
	return DefaultLang
}

func (c CriterionResult) texts(lang string) (explanation, hint string) {
	var pass, fail, h Text
	switch {
	case c.crit != nil:
		if c.Passed == nil {
			return c.crit.unknownText(lang, c.Needs), c.crit.info.Hint.In(lang)
		}
		pass, fail, h = c.crit.info.Pass, c.crit.info.Fail, c.crit.info.Hint
	case c.prog != nil:
		pass, fail, h = c.prog.openPass, c.prog.openFail, c.prog.openHint
	default:
		return c.Explanation, c.Hint
	}
	switch {
	case c.Passed == nil:
		return c.Explanation, c.Hint
	case *c.Passed:
		return pass.In(lang), ""
	}
	return fail.In(lang), h.In(lang)
}

// Screen screens one person, with their household, for the given programmes
// (all of the pack's when none are given; unknown ids are skipped) on the
// calendar date of asOf, with texts in English. Results follow the order of
// programs, or the pack's order.
//
// Screen never fails: an answer that is not valid (a date that does not
// exist, a value outside its list, a list longer than the schema allows)
// counts as not answered. Validate profiles first (profile.Profile.Validate)
// to report such answers to the person.
func (p *Pack) Screen(person profile.Person, h profile.Household, asOf time.Time, programs ...string) []Result {
	return p.ScreenLang(DefaultLang, person, h, asOf, programs...)
}

// ScreenLang is Screen with explanations and hints in lang.
func (p *Pack) ScreenLang(lang string, person profile.Person, h profile.Household, asOf time.Time, programs ...string) []Result {
	s := p.pool.Get().(*screener)
	defer p.pool.Put(s)
	progs := p.selectPrograms(programs)
	s.load(&person, &h, dayOf(asOf))
	return s.run(nil, progs, baseLangOrDefault(lang))
}

func (p *Pack) selectPrograms(ids []string) []*program {
	if len(ids) == 0 {
		return p.programs
	}
	out := make([]*program, 0, len(ids))
	seen := map[string]bool{}
	for _, id := range ids {
		if pr, ok := p.byID[id]; ok && !seen[id] {
			seen[id] = true
			out = append(out, pr)
		}
	}
	return out
}

// activation gives criteria evaluated by cel-go their three variables.
type activation struct {
	person, household, asOf ref.Val
}

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case varPerson:
		return a.person, true
	case varHousehold:
		return a.household, true
	case varAsOf:
		return a.asOf, true
	}
	return nil, false
}

func (a *activation) Parent() interpreter.Activation { return nil }

// screener holds the reusable state of one goroutine: the person and
// household as compact values (and, only when a criterion needs cel-go, as
// CEL views).
type screener struct {
	pack *Pack
	day  int

	arena     arena
	person    obj
	household obj
	fs        fstate
	rawPerson *profile.Person
	rawHouse  *profile.Household
	celLoaded bool
	b         builder
	celPerson view
	celHouse  view
	act       activation
	bulkSlab  slab         // reused by ScreenJSONL and Diff
	civil     profile.Date // the screening date of civilDay
	civilDay  int
	needs     map[needsKey]*needs // this screener's view of the criteria's needs caches
	lastNeeds []needsKey          // by criterion index: the mask it last met here
	lastFound []*needs            // and its needs
}

// needsKey names the needs of one criterion for one unknown mask.
type needsKey struct {
	c    *criterion
	mask uint64
}

// maxScreenerNeeds bounds a screener's needs map; it starts over when full.
const maxScreenerNeeds = 4096

// needsOf returns the needs of mask for c from the screener's own map,
// which no other goroutine touches, before the criterion's shared cache.
func (s *screener) needsOf(c *criterion, mask uint64) *needs {
	if s.lastNeeds == nil {
		s.lastNeeds, s.lastFound = make([]needsKey, s.pack.numCriteria), make([]*needs, s.pack.numCriteria)
	}
	k := needsKey{c, mask}
	if s.lastNeeds[c.index] == k {
		return s.lastFound[c.index]
	}
	n, ok := s.needs[k]
	if !ok {
		n = c.needsFor(mask, s.pack.env.s)
		if s.needs == nil || len(s.needs) >= maxScreenerNeeds {
			s.needs = make(map[needsKey]*needs)
		}
		s.needs[k] = n
	}
	s.lastNeeds[c.index], s.lastFound[c.index] = k, n
	return n
}

func newScreener(p *Pack) *screener {
	sc := p.env.s
	s := &screener{pack: p, b: builder{adapter: p.env.prov.Registry}}
	s.person = obj{st: sc.person, vals: make([]val, len(sc.person.fields))}
	s.household = obj{st: sc.household, vals: make([]val, len(sc.household.fields))}
	s.fs = fstate{person: objVal(&s.person), household: objVal(&s.household), locals: make([]val, p.maxSlots)}
	s.celPerson = view{st: sc.person, vals: make([]ref.Val, len(sc.person.fields))}
	s.celHouse = view{st: sc.household, vals: make([]ref.Val, len(sc.household.fields))}
	s.act = activation{person: &s.celPerson, household: &s.celHouse}
	return s
}

var emptyHousehold profile.Household

func (s *screener) load(person *profile.Person, h *profile.Household, day int) {
	if h == nil {
		h = &emptyHousehold
	}
	s.arena.reset()
	s.arena.fill(&s.person, unsafe.Pointer(person), s.pack.fastFields)
	s.arena.fill(&s.household, unsafe.Pointer(h), s.pack.fastFields)
	s.day = day
	s.fs.asOf = timeVal(int64(day) * secondsPerDay)
	s.fs.principal, s.fs.principalKnown = val{}, false
	s.rawPerson, s.rawHouse = person, h
	s.celLoaded = false
}

// loadCEL builds the CEL views, for criteria cel-go evaluates.
func (s *screener) loadCEL() {
	s.b.fill(&s.celPerson, reflect.ValueOf(s.rawPerson).Elem())
	s.b.fill(&s.celHouse, reflect.ValueOf(s.rawHouse).Elem())
	s.act.asOf = dateValue(s.day)
	s.celLoaded = true
}

// eval evaluates one criterion: true, false, or an unknown mask.
func (s *screener) eval(c *criterion) val {
	if c.c.fast != nil {
		s.fs.steps = 0
		return c.c.fast(&s.fs)
	}
	if !s.celLoaded {
		s.loadCEL()
	}
	out, _, err := c.c.prg.Eval(&s.act)
	switch {
	case err == nil && out == types.True:
		return vTrue
	case err == nil && out == types.False:
		return vFalse
	}
	// Unknown: an answer is missing. Errors cannot happen for expressions
	// the loader accepted; they are reported as undecided rather than
	// guessed.
	var mask uint64
	if u, ok := out.(*types.Unknown); ok {
		for _, id := range u.IDs() {
			if f, ok := s.pack.env.s.byID[id]; ok {
				mask |= f.bit
			}
		}
	}
	if mask == 0 {
		mask = undecidedBit
	}
	return unknownVal(mask)
}

// slab holds the criteria results of one call to run.
type slab struct {
	passed []bool
	crs    []CriterionResult
}

// run appends to dst the results of the loaded person for progs.
func (s *screener) run(dst []Result, progs []*program, lang string) []Result {
	return s.runInto(dst, nil, progs, lang)
}

// runInto is run with the criteria results in sl (reused) or, when sl is
// nil, in a fresh slab.
func (s *screener) runInto(dst []Result, sl *slab, progs []*program, lang string) []Result {
	if s.civilDay != s.day || s.civil == "" {
		s.civil, s.civilDay = civil(s.day), s.day
	}
	asOf := s.civil
	li := langIndex(lang)
	total := 0
	for _, pr := range progs {
		total++
		for _, c := range pr.criteria {
			if c.from <= s.day && s.day <= c.to {
				total++
			}
		}
	}
	// One slab for every criterion of every programme.
	var passed []bool
	var crs []CriterionResult
	if sl != nil {
		if cap(sl.crs) < total {
			sl.passed, sl.crs = make([]bool, total), make([]CriterionResult, total)
		}
		passed, crs = sl.passed[:total], sl.crs[:total]
		clear(passed)
	} else {
		passed, crs = make([]bool, total), make([]CriterionResult, total)
	}
	k := 0
	for _, pr := range progs {
		start := k
		res := Result{Program: pr.info.ID, PolicyVersion: s.pack.version, AsOf: asOf, Lang: lang}
		var failed, unknown bool

		open := pr.from <= s.day && s.day <= pr.to
		passed[k] = open
		crs[k] = CriterionResult{ID: OpenCriterion, Passed: &passed[k], prog: pr}
		if open {
			crs[k].Explanation = pr.openPass.at(li)
		} else {
			failed = true
			crs[k].Explanation, crs[k].Hint = pr.openFail.at(li), pr.openHint.at(li)
		}
		k++
		for _, c := range pr.criteria {
			if c.from > s.day || s.day > c.to {
				continue
			}
			cr := &crs[k]
			*cr = CriterionResult{ID: c.info.ID, crit: c}
			switch v := s.eval(c); {
			case v.k == vBool && v.b:
				passed[k] = true
				cr.Passed = &passed[k]
				cr.Explanation = c.info.Pass.at(li)
			case v.k == vBool:
				cr.Passed = &passed[k]
				cr.Explanation, cr.Hint = c.info.Fail.at(li), c.info.Hint.at(li)
				failed = true
			default:
				n := s.needsOf(c, v.u)
				cr.Needs = n.paths
				cr.Explanation, cr.Hint = n.text[li], c.info.Hint.at(li)
				unknown = true
			}
			k++
		}
		res.Result = outcomeOf(failed, unknown)
		res.Criteria = crs[start:k:k]
		dst = append(dst, res)
	}
	return dst
}

// Screener screens many people in a row for one date, language and set of
// programmes, reusing its memory: the results of a call are valid until
// the next call (use Result.Clone to keep one). A Screener is not safe for
// concurrent use; use one per goroutine.
type Screener struct {
	pack  *Pack
	s     *screener
	progs []*program
	lang  string
	day   int
	res   []Result
	slab  slab
	// reused by Outcomes
	outs   []ProgramOutcome
	states []uint8
	needs  [][]string
}

// NewScreener returns a Screener for the calendar date of asOf, texts in
// lang and the given programmes (all of the pack's when none are given;
// unknown ids are skipped).
func (p *Pack) NewScreener(asOf time.Time, lang string, programs ...string) *Screener {
	return &Screener{pack: p, s: newScreener(p), progs: p.selectPrograms(programs),
		lang: baseLangOrDefault(lang), day: dayOf(asOf)}
}

// Screen screens one person with their household (nil when not given); see
// Pack.Screen.
func (sc *Screener) Screen(person *profile.Person, h *profile.Household) []Result {
	sc.s.load(person, h, sc.day)
	sc.res = sc.s.runInto(sc.res[:0], &sc.slab, sc.progs, sc.lang)
	return sc.res
}

// Clone returns a copy of r that shares no memory with a Screener.
func (r Result) Clone() Result {
	out := r
	out.Criteria = make([]CriterionResult, len(r.Criteria))
	passed := make([]bool, len(r.Criteria))
	for i, c := range r.Criteria {
		out.Criteria[i] = c
		if c.Passed != nil {
			passed[i] = *c.Passed
			out.Criteria[i].Passed = &passed[i]
		}
	}
	return out
}

// needs is what an undecided criterion says for one set of missing
// answers: the question paths and the explanation in each language.
type needs struct {
	mask  uint64
	paths []string
	text  [numLangs]string
}

// needsFor returns (and caches) the needs of mask for c.
func (c *criterion) needsFor(mask uint64, s *schema) *needs {
	if n, ok := c.needsCache.Load(mask); ok {
		return n.(*needs)
	}
	n := &needs{mask: mask}
	for id := int64(1); id < 64; id++ {
		if mask&(1<<uint(id)) != 0 {
			if f, ok := s.byID[id]; ok {
				n.paths = append(n.paths, f.path)
			}
		}
	}
	sort.Strings(n.paths)
	n.paths = compactStrings(n.paths)
	for i, lang := range profile.Languages {
		n.text[i] = c.unknownText(lang, n.paths)
	}
	actual, _ := c.needsCache.LoadOrStore(mask, n)
	return actual.(*needs)
}

func civil(day int) profile.Date {
	y, m, d := profile.CivilFromDays(day)
	return profile.Date(string([]byte{
		byte('0' + y/1000%10), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10), '-',
		byte('0' + m/10), byte('0' + m%10), '-', byte('0' + d/10), byte('0' + d%10)}))
}
