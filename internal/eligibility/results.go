package eligibility

import (
	"encoding/binary"
	"errors"
	"sync"
	"time"

	"github.com/senda-platform/senda/policy"
	"github.com/senda-platform/senda/profile"
)

// Stored results are compact: what the pack of the version that decided
// can rebuild. For each member, each programme screened, by its index in
// the pack, and the outcome of each criterion in effect on the screening
// date (in the pack's order: which criteria those are depends only on the
// pack and the date), two bits each, followed by the questions each
// undecided criterion needs. Explanations and hints are rebuilt from the
// pack in any language when the results are read.
//
//	results := format:byte(1) members:uvarint member*
//	member  := id:string role:string results:uvarint result*
//	result  := program:uvarint criteria:uvarint states:bytes(ceil(criteria/4)) needs*
//	needs   := (for each undecided criterion) count:uvarint field:uvarint*   (index in policy.FieldPaths)

const resultsFormat = 1

const (
	stateFailed    = policy.StateFailed
	statePassed    = policy.StatePassed
	stateUndecided = policy.StateUndecided
)

var (
	fieldPaths     = policy.FieldPaths()
	fieldPathIndex = func() map[string]int {
		m := make(map[string]int, len(fieldPaths))
		for i, p := range fieldPaths {
			m[p] = i
		}
		return m
	}()
)

// packInfo is what encoding and decoding results needs of one pack.
type packInfo struct {
	pack      *policy.Pack
	progIndex map[string]int
	progIDs   []string
	probes    sync.Map // profile.Date -> []policy.Result
}

var packInfos sync.Map // *policy.Pack -> *packInfo

func infoOf(p *policy.Pack) *packInfo {
	if v, ok := packInfos.Load(p); ok {
		return v.(*packInfo)
	}
	pi := &packInfo{pack: p, progIndex: map[string]int{}}
	for i, pr := range p.Programs() {
		pi.progIndex[pr.ID] = i
		pi.progIDs = append(pi.progIDs, pr.ID)
	}
	v, _ := packInfos.LoadOrStore(p, pi)
	return v.(*packInfo)
}

// index returns the index of a programme in the pack; hint is where it
// should be when a screening for every programme gave the results, which
// come in the pack's order.
func (pi *packInfo) index(program string, hint int) int {
	if hint < len(pi.progIDs) && pi.progIDs[hint] == program {
		return hint
	}
	return pi.progIndex[program]
}

// probe returns the results of a person who answered nothing, on asOf, for
// every programme: they list the criteria in effect, and their texts.
func (pi *packInfo) probe(asOf profile.Date) []policy.Result {
	if v, ok := pi.probes.Load(asOf); ok {
		return v.([]policy.Result)
	}
	t, _ := asOf.Time()
	rs := pi.pack.Screen(profile.Person{}, profile.Household{}, t)
	v, _ := pi.probes.LoadOrStore(asOf, rs)
	return v.([]policy.Result)
}

// appendResultsHeader starts the compact results of a household of n
// members; appendMemberResults follows for each member.
func appendResultsHeader(b []byte, n int) []byte {
	b = append(b, resultsFormat)
	return binary.AppendUvarint(b, uint64(n))
}

// appendMemberResults appends one member's results (see
// appendMemberOutcomes).
func appendMemberResults(b []byte, pi *packInfo, id, role string, rs []policy.Result) []byte {
	os := make([]policy.ProgramOutcome, len(rs))
	for i := range rs {
		os[i] = rs[i].Outcome()
	}
	return appendMemberOutcomes(b, pi, id, role, os)
}

// appendMemberOutcomes appends one member's results, from their outcomes.
func appendMemberOutcomes(b []byte, pi *packInfo, id, role string, os []policy.ProgramOutcome) []byte {
	b = appendString(b, id)
	b = appendString(b, role)
	b = binary.AppendUvarint(b, uint64(len(os)))
	for i := range os {
		o := &os[i]
		b = binary.AppendUvarint(b, uint64(pi.index(o.Program, i)))
		b = binary.AppendUvarint(b, uint64(len(o.States)))
		at := len(b)
		for range (len(o.States) + 3) / 4 {
			b = append(b, 0)
		}
		for k, st := range o.States {
			b[at+k/4] |= st << (2 * (k % 4))
		}
		for _, needs := range o.Needs {
			b = binary.AppendUvarint(b, uint64(len(needs)))
			for _, p := range needs {
				b = binary.AppendUvarint(b, uint64(fieldPathIndex[p]))
			}
		}
	}
	return b
}

// errResults is returned for stored results that the pack cannot read.
var errResults = errors.New("eligibility: stored results do not match their policy version")

// MemberResults are the results of one member of a household.
type MemberResults struct {
	MemberID string `json:"member_id" doc:"The member's id in the household"`
	Role     string `json:"role" enum:"principal,spouse,child,parent,other" doc:"Who the member is in the household"`
	// Name is the member's given names, for pages; never in the API.
	Name    string          `json:"-"`
	Results []policy.Result `json:"results" doc:"One result per programme"`
}

// decodeResults rebuilds the results stored by encodeResults, screened on
// asOf with pack, with texts in lang.
func decodeResults(b []byte, pi *packInfo, asOf profile.Date, lang string) ([]MemberResults, error) {
	d := &decoder{b: b}
	if len(b) == 0 || b[0] != resultsFormat {
		return nil, errResults
	}
	d.off = 1
	probe := pi.probe(asOf)
	byProg := make(map[string]*policy.Result, len(probe))
	for i := range probe {
		byProg[probe[i].Program] = &probe[i]
	}
	nm := d.length()
	var out []MemberResults
	for range nm {
		m := MemberResults{MemberID: clone(d.string()), Role: clone(d.string())}
		nr := d.length()
		for range nr {
			pi64 := d.uvarint()
			nc64 := d.uvarint()
			nc := int(min(nc64, 1<<16))
			if d.err != nil || pi64 >= uint64(len(pi.progIDs)) || nc64 > 1<<16 {
				return nil, errResults
			}
			pr := byProg[pi.progIDs[pi64]]
			if pr == nil || len(pr.Criteria) != nc || d.off+(nc+3)/4 > len(b) {
				return nil, errResults
			}
			r := pr.Clone()
			states := b[d.off : d.off+(nc+3)/4]
			d.off += (nc + 3) / 4
			failed, undecided := false, false
			passed := make([]bool, nc)
			for k := range r.Criteria {
				c := &r.Criteria[k]
				c.Passed, c.Needs = &passed[k], nil
				switch (states[k/4] >> (2 * (k % 4))) & 3 {
				case stateFailed:
					failed = true
				case statePassed:
					passed[k] = true
				default:
					c.Passed = nil
					undecided = true
				}
			}
			for k := range r.Criteria {
				c := &r.Criteria[k]
				if c.Passed != nil {
					continue
				}
				nn := d.length()
				for range nn {
					fi := d.uvarint()
					if fi >= uint64(len(fieldPaths)) {
						return nil, errResults
					}
					c.Needs = append(c.Needs, fieldPaths[fi])
				}
			}
			switch {
			case failed:
				r.Result = policy.Ineligible
			case undecided:
				r.Result = policy.NeedsInfo
			default:
				r.Result = policy.Eligible
			}
			m.Results = append(m.Results, r.Localize(lang))
		}
		if d.err != nil {
			return nil, errResults
		}
		out = append(out, m)
	}
	if d.err != nil || d.off != len(b) {
		return nil, errResults
	}
	return out, nil
}

func clone(s string) string { return string([]byte(s)) }

// today is the calendar date of t in UTC.
func today(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
