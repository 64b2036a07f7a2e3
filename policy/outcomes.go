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
	if sc.states == nil {
		// Room for every criterion of every programme, so that appending
		// never moves the arrays the outcomes point into.
		n := 0
		for _, pr := range sc.progs {
			n += 1 + len(pr.criteria)
		}
		sc.states, sc.needs = make([]uint8, 0, n), make([][]string, 0, n)
	}
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
		out = append(out, ProgramOutcome{Program: pr.info.ID, Result: outcomeOf(failed, unknown),
			States: states[start:len(states):len(states)], Needs: needs[nstart:len(needs):len(needs)]})
	}
	sc.outs = out
	return out
}

// Outcome is r without its texts.
func (r *Result) Outcome() ProgramOutcome {
	o := ProgramOutcome{Program: r.Program, Result: r.Result, States: make([]uint8, len(r.Criteria))}
	for k, c := range r.Criteria {
		switch {
		case c.Passed == nil:
			o.States[k] = StateUndecided
			o.Needs = append(o.Needs, c.Needs)
		case *c.Passed:
			o.States[k] = StatePassed
		default:
			o.States[k] = StateFailed
		}
	}
	return o
}

// outcomeOf is a programme's outcome: ineligible if a criterion failed,
// else needs_info if one is undecided, else eligible.
func outcomeOf(failed, unknown bool) Outcome {
	switch {
	case failed:
		return Ineligible
	case unknown:
		return NeedsInfo
	}
	return Eligible
}
