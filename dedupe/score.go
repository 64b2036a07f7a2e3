package dedupe

import "math"

// The score follows the Fellegi-Sunter model: each piece of evidence adds
// its weight log(m/u), where m is the chance of seeing it when the two
// records are the same person and u the chance when they are two people
// taken at random, and the sum, started at the prior log-odds that two
// people taken at random are the same, is turned into a probability by the
// logistic function. Weights of names come from the data (how many people
// bear the word); the others are the constants below. They were set by
// reasoning about registrations and checked against synthetic data (see
// docs/dedupe.md).
const (
	wDocument      = 12.0 // a document number in common: the same number by chance is rare
	wDocumentOther = -1.5 // both have documents, none in common (one may hold a passport and a card)

	wDateFull     = 9.5  // the same full date: m 0.9, u about 1/20,000
	wDateNear     = 4.0  // full dates one typo apart: m 0.05, u about 1/1,000
	wDateMonth    = 6.0  // partial dates: the same year and month
	wDateYear     = 3.5  // partial dates: the same year
	wDateSameYear = -4.0 // full dates of the same year that differ otherwise
	wDateConflict = -8.0 // full dates of different years
	wYearConflict = -8.0 // different years, one date partial
	wYearNear     = -1.5 // years one digit apart, one date partial

	mName         = 0.9   // chance a word of a name is recorded the same both times
	wNameClose    = -1.1  // added to a word's weight when it matches with a typo (similarity >= simClose)
	wNameLoose    = -2.3  // ... or with more changes (similarity >= simLoose)
	wNameMismatch = -3.0  // a word with no counterpart as similar as simFloor
	wNameMissing  = -1.0  // a word with no counterpart at all (one record has fewer)
	wNoneAlike    = -12.0 // names known on both sides and no word alike: siblings, twins, namesakes
	maxWordWeight = 9.0   // a word is at most this much evidence however rare
	wRepeatedWord = 0.5   // a word repeated in the same name (Silva Silva) adds little the second time

	simClose = 0.93
	simLoose = 0.87
	simFloor = 0.80

	wNationality         = 0.5  // a nationality in common (names already tell much of it)
	wNationalityConflict = -2.7 // both known, none in common
	wSexAgree            = 0.7
	wSexConflict         = -4.0 // both known and different
)

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

func logit(p float64) float64 {
	if p >= 1 {
		return math.Inf(1)
	}
	return math.Log(p / (1 - p))
}

// priorLogOdds is the log-odds that two people taken at random among n are
// the same person when a share rate of them are registered twice.
func priorLogOdds(n int, rate float64) float64 {
	if n < 2 {
		n = 2
	}
	return math.Log(2 * rate / float64(n))
}

// wordWeight is the weight of agreeing on a word that count of n people
// bear.
func wordWeight(count, n int) float64 {
	if count < 1 {
		count = 1
	}
	return min(math.Log(mName*float64(n)/float64(count)), maxWordWeight)
}

// scorer scores pairs; it keeps a reasons buffer between calls.
type scorer struct {
	prior   float64
	reasons []string
}

// score returns the log-odds that a and b are the same person and whether
// it reaches minLogit. It stops early when the evidence left cannot reach
// minLogit. On success s.reasons holds the reasons.
func (s *scorer) score(a, b *prepared, minLogit float64) (float64, bool) {
	s.reasons = s.reasons[:0]
	z := s.prior
	if len(a.docs) > 0 && len(b.docs) > 0 {
		if shareAny(a.docs, b.docs) {
			z += wDocument
			s.reasons = append(s.reasons, ReasonDocument)
		} else {
			z += wDocumentOther
		}
	}
	dz, reason := dateEvidence(a.birth, b.birth)
	z += dz
	if reason != "" {
		s.reasons = append(s.reasons, reason)
	}
	if a.sex != 0 && b.sex != 0 {
		if a.sex == b.sex {
			z += wSexAgree
		} else {
			z += wSexConflict
		}
	}
	if len(a.nats) > 0 && len(b.nats) > 0 {
		if shareAny(a.nats, b.nats) {
			z += wNationality
			s.reasons = append(s.reasons, ReasonNationality)
		} else {
			z += wNationalityConflict
		}
	}
	if z+min(a.surWeight, b.surWeight)+min(a.givenWeight, b.givenWeight) < minLogit {
		return z, false
	}
	z += s.names(a.surnames, b.surnames, true)
	if z+min(a.givenWeight, b.givenWeight) < minLogit {
		return z, false
	}
	z += s.names(a.given, b.given, false)
	return z, z >= minLogit
}

func shareAny[T comparable](a, b []T) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

// datesConflict reports whether two birth dates tell two people apart: two
// full dates neither equal nor one typo apart, or two years more than one
// digit apart. Such pairs are not scored unless they share a document.
func datesConflict(a, b date) bool {
	if a.year == 0 || b.year == 0 {
		return false
	}
	if a.year != b.year && digitsApart(a.year, b.year) > 1 {
		return true
	}
	if a.day == 0 || b.day == 0 {
		return false
	}
	return !(a.year == b.year && a.month == b.month && a.day == b.day) && !oneTypo(a, b)
}

// dateEvidence weighs two birth dates.
func dateEvidence(a, b date) (float64, string) {
	if a.year == 0 || b.year == 0 {
		return 0, ""
	}
	if a.day != 0 && b.day != 0 {
		switch {
		case a.year == b.year && a.month == b.month && a.day == b.day:
			return wDateFull, ReasonBirthDate
		case oneTypo(a, b):
			return wDateNear, ReasonBirthNear
		case a.year == b.year:
			return wDateSameYear, ""
		}
		return wDateConflict, ""
	}
	if a.year != b.year {
		if digitsApart(a.year, b.year) == 1 {
			return wYearNear, ""
		}
		return wYearConflict, ""
	}
	if a.month != 0 && b.month != 0 {
		if a.month == b.month {
			return wDateMonth, ReasonBirthPartial
		}
		return wDateSameYear, ""
	}
	return wDateYear, ReasonBirthPartial
}

// oneTypo reports whether two full dates differ by day and month swapped,
// by one day, or in one digit of their YYYYMMDD spelling.
func oneTypo(a, b date) bool {
	if a.year == b.year && a.month == b.day && a.day == b.month {
		return true
	}
	if d := dayNumber(a) - dayNumber(b); d == 1 || d == -1 {
		return true
	}
	return digitsApart(a.year*10000+a.month*100+a.day, b.year*10000+b.month*100+b.day) == 1
}

// digitsApart counts the decimal places where a and b differ.
func digitsApart(a, b int) int {
	diffs := 0
	for a > 0 || b > 0 {
		if a%10 != b%10 {
			diffs++
		}
		a /= 10
		b /= 10
	}
	return diffs
}

// dayNumber counts days from 1 March of year 0 (proleptic Gregorian), so
// that neighbouring days across a month or year differ by one.
func dayNumber(p date) int {
	y, m := p.year, p.month
	if m <= 2 {
		y--
		m += 12
	}
	return 365*y + y/4 - y/100 + y/400 + (153*(m-3)+2)/5 + p.day
}

// names weighs two lists of name words and records the reasons. Each word
// of the shorter list is matched to the most similar unused word of the
// longer; a match adds the weight of the more common of the two words, less
// a discount for a typo; a word without a similar counterpart, or without
// any, takes a penalty. Lists whose words run together the same
// (Jean-Baptiste, Jeanbaptiste) count as the same.
func (s *scorer) names(a, b []token, surnames bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	order := compareConcat(a, b)
	if len(a) > len(b) || (len(a) == len(b) && order > 0) {
		// The shorter list first; between lists of one length, a fixed
		// order, so that the greedy matching is symmetric.
		a, b = b, a
	}
	exact, similar, gone := ReasonGivenNames, ReasonGivenSimilar, ReasonGivenMissing
	if surnames {
		exact, similar, gone = ReasonSurnames, ReasonSurnamesSimilar, ReasonSurnameMissing
	}
	if order == 0 && len(a) != len(b) {
		s.reasons = append(s.reasons, exact)
		return max(sumWeights(a), sumWeights(b))
	}
	var used [8]bool
	z := 0.0
	allExact, anyMatch, swapped := true, false, false
	for i, x := range a {
		best, bestJ := -1.0, -1
		for j, y := range b {
			if j < len(used) && used[j] {
				continue
			}
			if sim := tokenSimilarity(x, y); sim > best {
				best, bestJ = sim, j
			}
		}
		if bestJ < 0 {
			continue
		}
		if bestJ < len(used) {
			used[bestJ] = true
		}
		w := min(x.weight, b[bestJ].weight)
		switch {
		case best >= 0.999:
			z += w
			anyMatch = true
		case best >= simClose:
			z += max(w+wNameClose, 0)
			anyMatch, allExact = true, false
		case best >= simLoose:
			z += max(w+wNameLoose, 0)
			anyMatch, allExact = true, false
		case best >= simFloor:
			// alike, but too far apart to count for or against
			anyMatch, allExact = true, false
			continue
		default:
			z += wNameMismatch
			allExact = false
			continue
		}
		if i == 0 && bestJ != 0 {
			swapped = true
		}
	}
	if anyMatch {
		if allExact {
			s.reasons = append(s.reasons, exact)
		} else {
			s.reasons = append(s.reasons, similar)
		}
		if swapped && surnames {
			s.reasons = append(s.reasons, ReasonSurnamesSwapped)
		}
	}
	if !anyMatch {
		return wNoneAlike
	}
	if missing := len(b) - len(a); missing > 0 {
		z += float64(missing) * wNameMissing
		if anyMatch {
			s.reasons = append(s.reasons, gone)
		}
	}
	return z
}

func sumWeights(ts []token) float64 {
	var sum float64
	for _, t := range ts {
		sum += t.weight
	}
	return sum
}

// tokenSimilarity is 1 for the same word; 0.85 for an initial and a word it
// starts; otherwise the Jaro-Winkler similarity, raised to 0.95 for words of
// 4 letters or more one edit apart (a letter replaced, dropped, added, or two
// neighbours swapped), to 0.90 for words of 7 letters or more two edits
// apart, to 0.93 for words that sound the same and look alike, and to 0.87
// for words that sound the same, look different and are about as long (Jean,
// Yan).
func tokenSimilarity(x, y token) float64 {
	if x.word == y.word {
		return 1
	}
	if len(x.word) == 1 || len(y.word) == 1 {
		if x.word[0] == y.word[0] {
			return 0.85
		}
		return 0
	}
	j := jaroWinkler(x.word, y.word)
	if j >= 0.95 {
		return j
	}
	shortest := min(len(x.word), len(y.word))
	if shortest >= 4 {
		switch d := editDistance(x.word, y.word, 2); {
		case d <= 1:
			return 0.95
		case d == 2 && shortest >= 7:
			j = max(j, 0.90)
		}
	}
	if x.sound == y.sound {
		switch {
		case j >= simFloor:
			j = max(j, simClose)
		case len(x.word)-len(y.word) <= 1 && len(y.word)-len(x.word) <= 1:
			j = max(j, simLoose) // Jean, Yan
		}
	}
	return j
}

// editDistance returns the optimal string alignment distance of a and b
// (substitutions, insertions, deletions and transpositions of neighbours),
// or limit+1 when it exceeds limit.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	if len(a) > 32 || len(b) > 32 {
		return limit + 1
	}
	var rows [3][33]int
	prev2, prev, cur := &rows[0], &rows[1], &rows[2]
	for j := 0; j <= len(b); j++ {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			best = min(best, v)
		}
		if best > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	if prev[len(b)] > limit {
		return limit + 1
	}
	return prev[len(b)]
}
