// Package dedupe finds people who are likely registered more than once, in
// different households, and surfaces contact details shared by suspiciously
// many households. It only proposes: every pair comes with a score and the
// reasons behind it, for a caseworker to confirm or dismiss. Nothing is
// merged.
//
// Candidates works in two steps. Blocking gives every person a few keys
// (sounds of surnames and given names combined with the birth year or the
// full birth date, each document number, the sounds of the whole name) and
// only people who share a key are compared. Blocks larger than Options.MaxBlock are skipped
// and counted, so that one very common name cannot make the work quadratic.
// Scoring then weighs the evidence of each pair (names, birth date,
// documents, nationality, sex) as log-odds and turns the sum into a score
// between 0 and 1. See docs/dedupe.md for the method and measured quality.
package dedupe

import (
	"cmp"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Person is one registered person as matching needs them.
type Person struct {
	ID          string
	HouseholdID string
	GivenNames  []string
	Surnames    []string
	// BirthDate is YYYY-MM-DD, YYYY-MM, YYYY or empty.
	BirthDate string
	// Sex is "M", "F", or empty or "X" when unknown.
	Sex string
	// Nationalities are country codes (ISO 3166 alpha-2 or alpha-3; compared
	// as given, upper-cased).
	Nationalities []string
	// DocumentNumbers are passport, identity card or other document numbers;
	// compared upper-cased without spaces, dashes or dots.
	DocumentNumbers []string
}

// LogValue keeps personal data out of logs: only the IDs are shown.
func (p Person) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", p.ID), slog.String("household_id", p.HouseholdID))
}

// Pair is a candidate duplicate: two people of different households. A is
// the smaller ID. Score is between 0 and 1; Reasons name the evidence that
// raised it (see the Reason constants).
type Pair struct {
	A, B    string
	Score   float64
	Reasons []string
}

// Reasons a pair was proposed.
const (
	ReasonDocument        = "document_number"     // a document number in common
	ReasonBirthDate       = "birth_date"          // the same full birth date
	ReasonBirthPartial    = "birth_date_partial"  // birth dates agree as far as both are known
	ReasonBirthNear       = "birth_date_near"     // birth dates one typo apart
	ReasonSurnames        = "surnames"            // the same surnames
	ReasonSurnamesSimilar = "surnames_similar"    // surnames that differ by a typo or a spelling
	ReasonSurnamesSwapped = "surnames_swapped"    // the same surnames in the other order
	ReasonSurnameMissing  = "surname_missing"     // one record lacks a surname the other has
	ReasonGivenNames      = "given_names"         // the same given names
	ReasonGivenSimilar    = "given_names_similar" // given names that differ by a typo or a spelling
	ReasonGivenMissing    = "given_name_missing"  // one record lacks a given name the other has
	ReasonNationality     = "nationality"         // a nationality in common
)

// Options tune Candidates. The zero value uses the defaults.
type Options struct {
	// Threshold is the lowest score reported; default 0.5.
	Threshold float64
	// MaxBlock is the largest block compared; larger blocks are skipped and
	// counted in Stats. Default 1000.
	MaxBlock int
	// Workers is the number of goroutines; default GOMAXPROCS.
	Workers int
	// DuplicateRate is the expected share of people registered twice, which
	// sets the prior odds of a match; default 0.05.
	DuplicateRate float64
}

// Defaults of Options.
const (
	DefaultThreshold     = 0.5
	DefaultMaxBlock      = 1000
	DefaultDuplicateRate = 0.05
)

// Stats describe a run of Match.
type Stats struct {
	People        int
	Keys          int   // blocking keys of all people
	Blocks        int   // keys shared by at least two people and compared
	SkippedBlocks int   // blocks larger than MaxBlock, not compared
	SkippedKeys   int   // people's keys in skipped blocks
	BlockPairs    int64 // pairs within compared blocks, counted once per block
	Comparisons   int64 // pairs scored (once each, after the household and date checks)
	Pairs         int   // pairs at or above the threshold
}

// Result is the outcome of Match.
type Result struct {
	Pairs []Pair
	Stats Stats
}

// Candidates returns the likely duplicate pairs among people, across
// households, best first. See Match.
func Candidates(people []Person, opts Options) []Pair {
	return Match(people, opts).Pairs
}

// Match returns the pairs of people of different households whose score
// reaches opts.Threshold, sorted by score (highest first) then by IDs, with
// statistics of the run. People with an empty HouseholdID are each taken as
// their own household.
func Match(people []Person, opts Options) Result {
	if opts.Threshold <= 0 {
		opts.Threshold = DefaultThreshold
	}
	if opts.MaxBlock <= 0 {
		opts.MaxBlock = DefaultMaxBlock
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.DuplicateRate <= 0 || opts.DuplicateRate >= 1 {
		opts.DuplicateRate = DefaultDuplicateRate
	}
	m := &matcher{people: people, opts: opts, minLogit: logit(opts.Threshold)}
	m.prepare()
	m.block()
	m.compare()
	slices.SortFunc(m.pairs, func(x, y Pair) int {
		if c := cmp.Compare(y.Score, x.Score); c != 0 {
			return c
		}
		if c := strings.Compare(x.A, y.A); c != 0 {
			return c
		}
		return strings.Compare(x.B, y.B)
	})
	m.stats.People = len(people)
	m.stats.Pairs = len(m.pairs)
	return Result{Pairs: m.pairs, Stats: m.stats}
}

type matcher struct {
	people   []Person
	opts     Options
	minLogit float64
	prep     []prepared
	entries  []entry
	keyStart []int32 // keys of person i are keys[keyStart[i]:keyStart[i+1]], ascending
	keys     []uint64
	pairs    []Pair
	stats    Stats
}

// entry is one blocking key of one person, with what the comparison loop
// checks first, so that most pairs are set aside without loading the
// people.
type entry struct {
	key       uint64
	household uint64
	person    int32
	date      uint32 // packDate of the birth date, with hasDocs
}

// hasDocs marks in entry.date a person with a document number.
const hasDocs = 1 << 31

// packDate packs a date as year<<9 | month<<5 | day.
func packDate(year, month, day int) uint32 {
	if year < 0 || year >= 1<<22 {
		return 0
	}
	return uint32(year)<<9 | uint32(month)<<5 | uint32(day)
}

// packedConflict is datesConflict on packed dates.
func packedConflict(x, y uint32) bool {
	if x == y {
		return false
	}
	a := date{year: int(x >> 9 & (1<<22 - 1)), month: int(x >> 5 & 15), day: int(x & 31)}
	b := date{year: int(y >> 9 & (1<<22 - 1)), month: int(y >> 5 & 15), day: int(y & 31)}
	return datesConflict(a, b)
}

// parallel runs f over [0, n) in chunks on the workers.
func (m *matcher) parallel(n int, f func(worker, lo, hi int)) {
	workers := m.opts.Workers
	if workers > n {
		workers = max(n, 1)
	}
	const chunk = 4096
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				lo := int(next.Add(chunk)) - chunk
				if lo >= n {
					return
				}
				f(w, lo, min(lo+chunk, n))
			}
		}(w)
	}
	wg.Wait()
}

// prepare folds every person, counts how many people bear each name word,
// weighs the words, and lists the blocking keys.
func (m *matcher) prepare() {
	m.prep = make([]prepared, len(m.people))
	m.parallel(len(m.people), func(w, lo, hi int) {
		for i := lo; i < hi; i++ {
			m.prep[i].fill(&m.people[i])
		}
	})
	counts := m.countWords()
	n := len(m.people)
	perWorker := make([][]entry, m.opts.Workers)
	m.parallel(len(m.people), func(w, lo, hi int) {
		buf := perWorker[w]
		for i := lo; i < hi; i++ {
			p := &m.prep[i]
			g, size := group(p), n
			if gs := int(counts.groups[g]); g != 0 && gs >= minGroup {
				size = gs
			} else {
				g = 0
			}
			p.givenWeight = weigh(p.given, counts.given, g, size)
			p.surWeight = weigh(p.surnames, counts.sur, g, size)
			date := packDate(p.birth.year, p.birth.month, p.birth.day)
			if len(p.docs) > 0 {
				date |= hasDocs
			}
			for _, k := range p.blockingKeys() {
				buf = append(buf, entry{key: k, household: p.household, person: int32(i), date: date})
			}
		}
		perWorker[w] = buf
	})
	total := 0
	for _, b := range perWorker {
		total += len(b)
	}
	m.entries = make([]entry, 0, total)
	for _, b := range perWorker {
		m.entries = append(m.entries, b...)
	}
	m.stats.Keys = total
}

// groupWord is a name word within a group of people: those of one first
// nationality (0 for everyone).
type groupWord struct {
	group uint64
	word  string
}

// wordCounts counts the people bearing each word, overall and within each
// group, for given names and surnames apart.
type wordCounts struct {
	given, sur map[groupWord]int32
	groups     map[uint64]int32 // people in each group
}

// minGroup is the size a group needs for its own word frequencies to be
// used; smaller groups use the frequencies of everyone.
const minGroup = 1000

func group(p *prepared) uint64 {
	if len(p.nats) == 0 {
		return 0
	}
	return p.nats[0]
}

// countWords counts the people bearing each given-name and surname word.
func (m *matcher) countWords() wordCounts {
	part := make([]wordCounts, m.opts.Workers)
	for w := range part {
		part[w] = wordCounts{map[groupWord]int32{}, map[groupWord]int32{}, map[uint64]int32{}}
	}
	count := func(c map[groupWord]int32, ts []token, g uint64) {
		for k, t := range ts {
			if !seenBefore(ts, k) {
				c[groupWord{0, t.word}]++
				if g != 0 {
					c[groupWord{g, t.word}]++
				}
			}
		}
	}
	m.parallel(len(m.prep), func(w, lo, hi int) {
		c := part[w]
		for i := lo; i < hi; i++ {
			p := &m.prep[i]
			g := group(p)
			c.groups[g]++
			count(c.given, p.given, g)
			count(c.sur, p.surnames, g)
		}
	})
	total := part[0]
	for _, c := range part[1:] {
		for k, v := range c.given {
			total.given[k] += v
		}
		for k, v := range c.sur {
			total.sur[k] += v
		}
		for k, v := range c.groups {
			total.groups[k] += v
		}
	}
	return total
}

func seenBefore(ts []token, k int) bool {
	for _, t := range ts[:k] {
		if t.word == ts[k].word {
			return true
		}
	}
	return false
}

// weigh sets the weight of each word from its count in group g of size n
// and returns their sum.
func weigh(ts []token, counts map[groupWord]int32, g uint64, n int) float64 {
	var sum float64
	for i := range ts {
		if seenBefore(ts, i) {
			ts[i].weight = wRepeatedWord
		} else {
			ts[i].weight = wordWeight(int(counts[groupWord{g, ts[i].word}]), n)
		}
		sum += ts[i].weight
	}
	return sum
}

// block sorts the entries by key, marks oversized blocks, and builds each
// person's ascending list of keys in blocks that will be compared.
func (m *matcher) block() {
	sortEntries(m.entries)
	counts := make([]int32, len(m.people)+1)
	for lo := 0; lo < len(m.entries); {
		hi := lo + 1
		for hi < len(m.entries) && m.entries[hi].key == m.entries[lo].key {
			hi++
		}
		size := hi - lo
		switch {
		case size > m.opts.MaxBlock:
			m.stats.SkippedBlocks++
			m.stats.SkippedKeys += size
			for i := lo; i < hi; i++ {
				m.entries[i].person = -1
			}
		case size >= 2:
			m.stats.Blocks++
			m.stats.BlockPairs += int64(size) * int64(size-1) / 2
			for i := lo; i < hi; i++ {
				counts[m.entries[i].person+1]++
			}
		default:
			m.entries[lo].person = -1
		}
		lo = hi
	}
	for i := 1; i < len(counts); i++ {
		counts[i] += counts[i-1]
	}
	m.keyStart = counts
	m.keys = make([]uint64, counts[len(counts)-1])
	fill := make([]int32, len(m.people))
	copy(fill, counts[:len(m.people)])
	// Entries are sorted by key, so each person's keys arrive ascending.
	w := 0
	for _, e := range m.entries {
		if e.person < 0 {
			continue
		}
		m.keys[fill[e.person]] = e.key
		fill[e.person]++
		m.entries[w] = e
		w++
	}
	m.entries = m.entries[:w]
}

// firstCommonKey returns the smallest key that people a and b share.
func (m *matcher) firstCommonKey(a, b int32) uint64 {
	ka := m.keys[m.keyStart[a]:m.keyStart[a+1]]
	kb := m.keys[m.keyStart[b]:m.keyStart[b+1]]
	if len(ka) > 0 && len(kb) > 0 && ka[0] == kb[0] {
		return ka[0]
	}
	i, j := 0, 0
	for i < len(ka) && j < len(kb) {
		switch {
		case ka[i] == kb[j]:
			return ka[i]
		case ka[i] < kb[j]:
			i++
		default:
			j++
		}
	}
	return 0
}

// compare scores every pair within each block, once: a pair sharing several
// keys is scored only in the block of the smallest.
func (m *matcher) compare() {
	var starts []int
	for lo := 0; lo < len(m.entries); {
		starts = append(starts, lo)
		hi := lo + 1
		for hi < len(m.entries) && m.entries[hi].key == m.entries[lo].key {
			hi++
		}
		lo = hi
	}
	starts = append(starts, len(m.entries))
	results := make([][]Pair, m.opts.Workers)
	comparisons := make([]int64, m.opts.Workers)
	m.parallel(len(starts)-1, func(w, lo, hi int) {
		sc := scorer{prior: priorLogOdds(len(m.people), m.opts.DuplicateRate)}
		out := results[w]
		for b := lo; b < hi; b++ {
			block := m.entries[starts[b]:starts[b+1]]
			key := block[0].key
			for i := 0; i < len(block); i++ {
				ea := &block[i]
				pa := ea.person
				a := &m.prep[pa]
				for j := i + 1; j < len(block); j++ {
					eb := &block[j]
					if ea.household == eb.household && ea.household != 0 {
						continue
					}
					pb := eb.person
					if packedConflict(ea.date&^hasDocs, eb.date&^hasDocs) &&
						(ea.date&eb.date&hasDocs == 0 || !shareAny(a.docs, m.prep[pb].docs)) {
						continue
					}
					if m.firstCommonKey(pa, pb) != key {
						continue
					}
					bp := &m.prep[pb]
					comparisons[w]++
					z, ok := sc.score(a, bp, m.minLogit)
					if !ok {
						continue
					}
					out = append(out, m.pair(pa, pb, z, sc.reasons))
				}
			}
		}
		results[w] = out
	})
	for w := range results {
		m.pairs = append(m.pairs, results[w]...)
		m.stats.Comparisons += comparisons[w]
	}
}

func (m *matcher) pair(a, b int32, z float64, reasons []string) Pair {
	ida, idb := m.people[a].ID, m.people[b].ID
	if idb < ida {
		ida, idb = idb, ida
	}
	return Pair{A: ida, B: idb, Score: sigmoid(z), Reasons: slices.Clone(reasons)}
}

// sortEntries sorts by key with an LSD radix sort on 16-bit digits.
func sortEntries(e []entry) {
	if len(e) < 1<<12 {
		slices.SortFunc(e, func(x, y entry) int { return cmp.Compare(x.key, y.key) })
		return
	}
	tmp := make([]entry, len(e))
	src, dst := e, tmp
	for shift := uint(0); shift < 64; shift += 16 {
		var count [1 << 16]int
		for _, x := range src {
			count[(x.key>>shift)&0xffff]++
		}
		sum := 0
		for i := range count {
			c := count[i]
			count[i] = sum
			sum += c
		}
		for _, x := range src {
			d := (x.key >> shift) & 0xffff
			dst[count[d]] = x
			count[d]++
		}
		src, dst = dst, src
	}
	// Four passes: the result is back in e.
}

// prepared is a person folded for matching.
type prepared struct {
	household   uint64 // a hash of the household ID; 0 for none
	given       []token
	surnames    []token
	givenWeight float64 // the sum of the weights of the given-name words
	surWeight   float64
	birth       date
	sex         byte
	nats        []uint64 // hashes of the nationalities
	docs        []uint64 // hashes of the document keys, also blocking keys
}

type token struct {
	word, sound string
	weight      float64 // log-odds of agreeing on this word, from how many people bear it
}

func (p *prepared) fill(src *Person) {
	if src.HouseholdID != "" {
		p.household = newHash('h').str(src.HouseholdID).sum()
	}
	p.given = tokens(src.GivenNames)
	p.surnames = tokens(src.Surnames)
	p.birth = parseDate(src.BirthDate)
	switch strings.ToUpper(strings.TrimSpace(src.Sex)) {
	case "M":
		p.sex = 'M'
	case "F":
		p.sex = 'F'
	}
	for _, n := range src.Nationalities {
		if n = strings.ToUpper(strings.TrimSpace(n)); n != "" {
			p.nats = append(p.nats, newHash('c').str(n).sum())
		}
	}
	for _, d := range src.DocumentNumbers {
		if d = DocumentKey(d); d != "" {
			p.docs = append(p.docs, newHash('d').str(d).sum())
		}
	}
}

func tokens(parts []string) []token {
	words := Tokens(parts)
	out := make([]token, len(words))
	for i, w := range words {
		out[i] = token{word: w, sound: Phonetic(w)}
	}
	return out
}

// compareConcat compares the words of a and b run together, as strings.
func compareConcat(a, b []token) int {
	i, j := 0, 0 // word indexes
	x, y := 0, 0 // byte offsets in a[i], b[j]
	for {
		for i < len(a) && x == len(a[i].word) {
			i, x = i+1, 0
		}
		for j < len(b) && y == len(b[j].word) {
			j, y = j+1, 0
		}
		switch {
		case i == len(a) && j == len(b):
			return 0
		case i == len(a):
			return -1
		case j == len(b):
			return 1
		}
		if c := cmp.Compare(a[i].word[x], b[j].word[y]); c != 0 {
			return c
		}
		x++
		y++
	}
}

// DocumentKey normalises a document number for comparison: upper case,
// letters and digits only. Numbers of fewer than 4 characters are ignored
// (returned empty): they identify nothing.
func DocumentKey(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z':
			b = append(b, c-'a'+'A')
		case ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9'):
			b = append(b, c)
		}
	}
	if len(b) < 4 {
		return ""
	}
	return string(b)
}

// date is a birth date; a zero month or day is unknown, a zero year an
// unknown date.
type date struct{ year, month, day int }

// parseDate reads YYYY-MM-DD, YYYY-MM or YYYY; anything else is unknown. A
// month or day out of range is dropped with what follows it.
func parseDate(s string) date {
	year, month, day := parseDateParts(s)
	return date{year, month, day}
}

func parseDateParts(s string) (year, month, day int) {
	s = strings.TrimSpace(s)
	num := func(t string) int {
		n := 0
		for i := 0; i < len(t); i++ {
			if t[i] < '0' || t[i] > '9' {
				return -1
			}
			n = n*10 + int(t[i]-'0')
		}
		return n
	}
	if len(s) < 4 || (len(s) != 4 && len(s) != 7 && len(s) != 10) {
		return 0, 0, 0
	}
	if year = num(s[:4]); year <= 0 {
		return 0, 0, 0
	}
	if len(s) >= 7 {
		if s[4] != '-' {
			return 0, 0, 0
		}
		if month = num(s[5:7]); month < 1 || month > 12 {
			return year, 0, 0
		}
	}
	if len(s) == 10 {
		if s[7] != '-' {
			return year, month, 0
		}
		if day = num(s[8:10]); day < 1 || day > 31 {
			return year, month, 0
		}
	}
	return year, month, day
}

// blockingKeys returns the person's keys, hashed.
func (p *prepared) blockingKeys() []uint64 {
	keys := make([]uint64, 0, 4+3*len(p.surnames)+len(p.docs))
	var first token
	initial := byte(0)
	if len(p.given) > 0 && p.given[0].sound != "" {
		first = p.given[0]
		initial = first.sound[0]
	}
	if p.birth.year != 0 {
		for _, s := range p.surnames {
			if len(s.sound) < 2 {
				continue
			}
			keys = append(keys, newHash('s').str(s.sound).byte(initial).int(p.birth.year).sum())
			if first.sound != "" {
				keys = append(keys, newHash('i').str(first.sound).byte(s.sound[0]).int(p.birth.year).sum())
			}
		}
	}
	if p.birth.day != 0 {
		for k, g := range p.given {
			if k == 2 {
				break
			}
			keys = append(keys, newHash('g').str(g.sound).int(p.birth.year).int(p.birth.month).int(p.birth.day).sum())
		}
		for _, s := range p.surnames {
			if len(s.sound) < 2 {
				continue
			}
			keys = append(keys, newHash('b').str(s.sound).int(p.birth.year).int(p.birth.month).int(p.birth.day).sum())
			if first.sound != "" {
				keys = append(keys, newHash('m').str(first.sound).str(s.sound).int(p.birth.month).int(p.birth.day).sum())
			}
		}
	}
	keys = append(keys, p.docs...)
	if first.sound != "" && len(p.surnames) > 0 {
		h := newHash('n').str(first.sound)
		var buf [4]string
		sounds := buf[:0]
		for _, s := range p.surnames {
			sounds = append(sounds, s.sound)
		}
		slices.Sort(sounds)
		for _, s := range slices.Compact(sounds) {
			h = h.str(s)
		}
		keys = append(keys, h.sum())
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// hash is FNV-1a over tagged fields.
type hash uint64

func newHash(kind byte) hash { return hash(14695981039346656037).byte(kind) }

func (h hash) byte(c byte) hash { return (h ^ hash(c)) * 1099511628211 }

func (h hash) str(s string) hash {
	for i := 0; i < len(s); i++ {
		h = h.byte(s[i])
	}
	return h.byte(0)
}

func (h hash) int(n int) hash {
	for i := 0; i < 4; i++ {
		h = h.byte(byte(n >> (8 * i)))
	}
	return h
}

func (h hash) sum() uint64 {
	if h == 0 {
		return 1 // 0 means "no common key"
	}
	return uint64(h)
}
