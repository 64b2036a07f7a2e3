package dedupe

import (
	"flag"
	"fmt"
	"testing"
)

var qualitySeed = flag.Uint64("dedupe.seed", 1, "seed of the synthetic registrations of TestQuality")

// TestQuality measures precision and recall on 20,000 synthetic people of
// whom about 950 were registered twice.
func TestQuality(t *testing.T) {
	s := generate(20_000, *qualitySeed)
	res := Match(s.people, Options{})
	q := evaluate(res.Pairs, s.truth)
	t.Logf("people %d, true pairs %d, proposed %d, true positives %d, false positives %d, missed %d",
		len(s.people), len(s.truth), len(res.Pairs), q.truePos, q.falsePos, q.falseNeg)
	t.Logf("precision %.4f recall %.4f; stats %+v", q.precision, q.recall, res.Stats)
	if testing.Verbose() {
		logMistakes(t, s, res.Pairs)
	}
	if q.precision < 0.9 {
		t.Errorf("precision %.4f, want >= 0.9", q.precision)
	}
	if q.recall < 0.85 {
		t.Errorf("recall %.4f, want >= 0.85", q.recall)
	}
}

func logMistakes(t *testing.T, s synthetic, pairs []Pair) {
	m := &matcher{people: s.people, opts: Options{Workers: 1, Threshold: DefaultThreshold, DuplicateRate: DefaultDuplicateRate}}
	m.prepare()
	index := map[string]int{}
	for i := range s.people {
		index[s.people[i].ID] = i
	}
	show := func(p *Person) string {
		return fmt.Sprintf("%v %v %s %s %v %v", p.GivenNames, p.Surnames, p.BirthDate, p.Sex, p.Nationalities, p.DocumentNumbers)
	}
	found := map[[2]string]bool{}
	fp := 0
	for _, p := range pairs {
		found[[2]string{p.A, p.B}] = true
		if !s.truth[[2]string{p.A, p.B}] && fp < 25 {
			fp++
			t.Logf("FP %.3f %v\n    %s\n    %s", p.Score, p.Reasons, show(&s.people[index[p.A]]), show(&s.people[index[p.B]]))
		}
	}
	fn := 0
	for k := range s.truth {
		if found[k] || fn >= 40 {
			continue
		}
		fn++
		a, b := index[k[0]], index[k[1]]
		pa, pb := &m.prep[a], &m.prep[b]
		sc := scorer{prior: priorLogOdds(len(s.people), DefaultDuplicateRate)}
		z, _ := sc.score(pa, pb, -100)
		blocked := shareAny(pa.blockingKeys(), pb.blockingKeys())
		t.Logf("FN %.3f blocked together %v %v\n    %s\n    %s", sigmoid(z), blocked, sc.reasons, show(&s.people[a]), show(&s.people[b]))
	}
}
