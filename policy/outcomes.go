package policy

import "github.com/senda-platform/senda/profile"

// Outcomes without texts, for bulk work that stores what the pack can
// explain again later (every criterion's state and the questions the
// undecided ones need) and has no use for explanations in a language.

// The state of one criterion in a ProgramOutcome.
const (
	StateFailed    uint8 = 0
	StatePassed    uint8 = 1
	StateUndecided uint8 = 2
)

// ProgramOutcome is one programme's outcome for one person, as Screen's
// Result without its texts.
type ProgramOutcome struct {
	Program string
	Result  Outcome
	// States holds one state per criterion of the Result, in its order:
	// the open criterion first, then those in effect on the date.
	States []uint8
	// Needs holds, for each undecided criterion in States' order, the
	// questions whose answers would decide it (as CriterionResult.Needs).
	Needs [][]string
}

// Outcomes screens one person as Screen does and returns the outcomes
// without texts, in the same order. They are valid until the next call.
func (sc *Screener) Outcomes(person *profile.Person, h *profile.Household) []ProgramOutcome {
	s := sc.s
	s.load(person, h, sc.day)
	out, states, needs := sc.outs[:0], sc.states[:0], sc.needs[:0]
	for _, pr := range sc.progs {
		start, nstart := len(states), len(needs)
		failed, unknown := false, false
		if pr.from <= s.day && s.day <= pr.to {
			states = append(states, StatePassed)
		} else {
			states, failed = append(states, StateFailed), true
		}
		for _, c := range pr.criteria {
			if c.from > s.day || s.day > c.to {
				continue
			}
			switch v := s.eval(c); {
			case v.k == vBool && v.b:
				states = append(states, StatePassed)
			case v.k == vBool:
				states, failed = append(states, StateFailed), true
			default:
				states, unknown = append(states, StateUndecided), true
				needs = append(needs, s.needsOf(c, v.u).paths)
			}
		}
		r := Eligible
		switch {
		case failed:
			r = Ineligible
		case unknown:
			r = NeedsInfo
		}
		out = append(out, ProgramOutcome{Program: pr.info.ID, Result: r, States: states[start:len(states):len(states)], Needs: needs[nstart:len(needs):len(needs)]})
	}
	// The slices above point into states and needs as they were when
	// taken; when appending moved them, point them at the final arrays.
	k, n := 0, 0
	for i := range out {
		ls, ln := len(out[i].States), len(out[i].Needs)
		out[i].States, out[i].Needs = states[k:k+ls:k+ls], needs[n:n+ln:n+ln]
		k, n = k+ls, n+ln
	}
	sc.outs, sc.states, sc.needs = out, states, needs
	return out
}
