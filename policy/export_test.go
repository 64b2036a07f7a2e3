package policy

import (
	"fmt"
	"time"

	"cel.dev/cel-go/common/types"

	"github.com/senda-platform/senda/profile"
)

// CrossCheck evaluates every criterion of p in effect on asOf with the
// compact evaluator and with cel-go's interpreter, and describes each
// disagreement. It also reports criteria the compact evaluator does not
// compile.
func CrossCheck(p *Pack, person profile.Person, h profile.Household, asOf time.Time) []string {
	s := newScreener(p)
	s.load(&person, &h, dayOf(asOf))
	s.loadCEL()
	var out []string
	for _, pr := range p.programs {
		for _, c := range pr.criteria {
			name := pr.info.ID + "." + c.info.ID
			if c.c.fast == nil {
				out = append(out, name+": not compiled by the compact evaluator")
				continue
			}
			s.fs.steps = 0
			fast := c.c.fast(&s.fs)
			cel, _, err := c.c.prg.Eval(&s.act)
			got, want := describeFast(fast), describeCEL(p, cel, err)
			if got != want {
				out = append(out, fmt.Sprintf("%s: compact %s, cel-go %s", name, got, want))
			}
		}
	}
	return out
}

func describeFast(v val) string {
	switch v.k {
	case vBool:
		return fmt.Sprint(v.b)
	case vUnknown:
		return fmt.Sprintf("unknown%v", maskPaths(v.u))
	}
	return fmt.Sprintf("kind %d", v.k)
}

func describeCEL(p *Pack, v any, err error) string {
	if err != nil {
		return "error " + err.Error()
	}
	switch v := v.(type) {
	case types.Bool:
		return fmt.Sprint(bool(v))
	case *types.Unknown:
		var mask uint64
		for _, id := range v.IDs() {
			if f, ok := p.env.s.byID[id]; ok {
				mask |= f.bit
			}
		}
		return fmt.Sprintf("unknown%v", maskPaths(mask))
	}
	return fmt.Sprintf("%T %v", v, v)
}

func maskPaths(mask uint64) []string {
	var out []string
	s := profileSchema()
	for id := int64(1); id < 64; id++ {
		if mask&(1<<uint(id)) != 0 {
			out = append(out, s.byID[id].path)
		}
	}
	return out
}

// OneRule returns load, which makes a person current, and eval, which
// evaluates the criterion crit of programme prog for the current person
// on asOf with the engine's evaluator.
func OneRule(p *Pack, prog, crit string, asOf time.Time) (load func(*profile.Person, *profile.Household), eval func() bool) {
	s := newScreener(p)
	day := dayOf(asOf)
	var c *criterion
	for _, cr := range p.byID[prog].criteria {
		if cr.info.ID == crit {
			c = cr
		}
	}
	if c == nil {
		panic("no criterion " + prog + "." + crit)
	}
	return func(person *profile.Person, h *profile.Household) { s.load(person, h, day) },
		func() bool { v := s.eval(c); return v.k == vBool && v.b }
}

// DecodeLine decodes one JSON line as ScreenJSONL does.
func DecodeLine(line []byte) (profile.Profile, error) {
	var p profile.Profile
	if fe := decodeProfile(line, &p); fe != nil {
		return p, fmt.Errorf("%s: %s", fe.Location, fe.Key)
	}
	return p, nil
}
