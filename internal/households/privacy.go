package households

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/dedupe"
	"github.com/senda-platform/senda/household"
	"github.com/senda-platform/senda/internal/audit"
	"github.com/senda-platform/senda/internal/store"
)

// Everything is what Senda holds about a household, for its applicant to
// download: the household now, every earlier version, and who saw or changed
// it.
type Everything struct {
	Household *household.Household   `json:"household"`
	Versions  []*household.Household `json:"versions"`
	Access    []audit.Entry          `json:"access_log"`
}

// Export returns everything held about a household the caller may see, and
// records the export.
func (s *Service) Export(ctx context.Context, c Caller, id string) (*Everything, error) {
	h, err := s.Get(ctx, c, id)
	if err != nil {
		return nil, err
	}
	out := &Everything{Household: h, Versions: []*household.Household{}, Access: []audit.Entry{}}
	err = s.DB.Update(ctx, func(tx *store.Tx) error {
		vs, err := tx.HouseholdVersions(ctx, id)
		if err != nil {
			return err
		}
		for _, v := range vs {
			b, err := s.Keys.Open(v.Data, place(id))
			if err != nil {
				return senda.Wrap(err, "household.sealed")
			}
			var old household.Household
			if err := json.Unmarshal(b, &old); err != nil {
				return senda.Wrap(err, "household.sealed")
			}
			old.Version = v.Version
			out.Versions = append(out.Versions, &old)
		}
		e := c.actor().Entry("export.household")
		e.RecordType, e.RecordID, e.Fields, e.Reason = "household", id, []string{"*"}, "data subject access request"
		r, err := tx.Household(ctx, id)
		if err != nil {
			return err
		}
		e.Subject = subject(r)
		_, err = audit.Append(ctx, tx, e)
		return err
	})
	if err != nil {
		return nil, err
	}
	out.Access, err = audit.Search(ctx, s.DB, audit.Filter{RecordType: "household", RecordID: id, Limit: 10000})
	return out, err
}

// Retention decides whether a household must still be kept; it returns a
// reason when it must. Appointments and decisions add their checks.
type Retention func(ctx context.Context, tx *store.Tx, householdID string) (keep bool, reason string, err error)

// Delete erases a household the caller may see once every retention check
// allows it, leaving nothing orphaned; the deletion itself is audited.
func (s *Service) Delete(ctx context.Context, c Caller, id string, checks ...Retention) error {
	return s.DB.Update(ctx, func(tx *store.Tx) error {
		r, err := tx.Household(ctx, id)
		if store.IsNotFound(err) {
			return notFound()
		}
		if err != nil {
			return err
		}
		if ok, err := s.visible(ctx, c, r); err != nil || !ok {
			if err != nil {
				return err
			}
			return notFound()
		}
		for _, check := range checks {
			keep, reason, err := check(ctx, tx, id)
			if err != nil {
				return err
			}
			if keep {
				return &senda.Error{Code: senda.CodeConflict, Key: "household.retained", Args: map[string]any{"reason": reason}}
			}
		}
		if err := tx.DeleteHousehold(ctx, id); err != nil {
			return err
		}
		e := c.actor().Entry("household.delete")
		e.RecordType, e.RecordID, e.Subject, e.Fields = "household", id, subject(r), []string{"*"}
		_, err = audit.Append(ctx, tx, e)
		return err
	})
}

// FindDuplicates scores likely-same-person pairs across all households and
// records new candidates for review; nothing is merged. It returns the
// number of candidate pairs.
func (s *Service) FindDuplicates(ctx context.Context, threshold float64) (int, error) {
	var people []dedupe.Person
	owner := map[string]string{}
	err := s.DB.EachHousehold(ctx, func(r store.HouseholdRow) error {
		h, err := s.open(r)
		if err != nil {
			return err
		}
		for _, m := range h.Members {
			p := dedupe.Person{ID: m.ID, HouseholdID: h.ID, GivenNames: strings.Fields(m.GivenNames), Surnames: m.Surnames,
				BirthDate: string(m.BirthDate), Sex: m.Sex}
			if m.Screening.Nationality != nil {
				p.Nationalities = append(p.Nationalities, *m.Screening.Nationality)
			}
			p.Nationalities = append(p.Nationalities, m.Screening.OtherNationalities...)
			for _, d := range m.Documents {
				p.DocumentNumbers = append(p.DocumentNumbers, d.Number)
			}
			people = append(people, p)
			owner[m.ID] = h.ID
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	pairs := dedupe.Candidates(people, dedupe.Options{Threshold: threshold})
	err = s.DB.Update(ctx, func(tx *store.Tx) error {
		for _, p := range pairs {
			a, b := p.A, p.B
			if a > b {
				a, b = b, a
			}
			reasons, _ := json.Marshal(p.Reasons)
			if err := tx.UpsertPair(ctx, store.Pair{ID: store.NewID(), AHousehold: owner[a], AMember: a, BHousehold: owner[b], BMember: b,
				Score: p.Score, Reasons: string(reasons)}); err != nil {
				return err
			}
		}
		return nil
	})
	return len(pairs), err
}

// PairView is a candidate pair as a caseworker sees it.
type PairView struct {
	ID      string    `json:"id"`
	Score   float64   `json:"score"`
	Reasons []string  `json:"reasons"`
	Status  string    `json:"status"`
	A       PairSide  `json:"a"`
	B       PairSide  `json:"b"`
	Created time.Time `json:"created_at"`
}

// PairSide is one person of a pair.
type PairSide struct {
	Household string `json:"household"`
	Receipt   string `json:"receipt"`
	Member    string `json:"member"`
	Name      string `json:"name"`
	BirthDate string `json:"birth_date,omitempty"`
}

// Pairs lists open pairs whose two households the caller may both see.
func (s *Service) Pairs(ctx context.Context, c Caller, status string, limit int) ([]PairView, error) {
	out := []PairView{}
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		ps, err := tx.Pairs(ctx, status, limit)
		if err != nil {
			return err
		}
		for _, p := range ps {
			v := PairView{ID: p.ID, Score: p.Score, Status: p.Status, Created: p.CreatedAt}
			json.Unmarshal([]byte(p.Reasons), &v.Reasons)
			ok := true
			for _, side := range []struct {
				h, m string
				out  *PairSide
			}{{p.AHousehold, p.AMember, &v.A}, {p.BHousehold, p.BMember, &v.B}} {
				r, err := tx.Household(ctx, side.h)
				if err != nil {
					return err
				}
				if vis, _ := s.visible(ctx, c, r); !vis {
					ok = false
					break
				}
				h, err := s.open(r)
				if err != nil {
					return err
				}
				*side.out = PairSide{Household: r.ID, Receipt: r.Receipt, Member: side.m}
				for _, m := range h.Members {
					if m.ID == side.m {
						side.out.Name = strings.TrimSpace(m.GivenNames + " " + strings.Join(m.Surnames, " "))
						side.out.BirthDate = string(m.BirthDate)
					}
				}
			}
			if !ok {
				continue
			}
			e := c.actor().Entry("duplicates.read")
			e.RecordType, e.RecordID, e.Fields = "duplicate_pair", p.ID, []string{"name", "birth_date"}
			if _, err := audit.Append(ctx, tx, e); err != nil {
				return err
			}
			out = append(out, v)
		}
		return nil
	})
	return out, err
}

// Decide confirms or dismisses a pair; confirming records the decision and
// keeps both households as they are (no automatic merge).
func (s *Service) Decide(ctx context.Context, c Caller, id, decision string) error {
	if decision != "confirmed" && decision != "dismissed" {
		return &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid", Fields: []senda.FieldError{{Location: "decision", Key: "validation.one_of", Args: map[string]any{"options": "confirmed, dismissed"}}}}
	}
	return s.DB.Update(ctx, func(tx *store.Tx) error {
		p, err := tx.Pair(ctx, id)
		if store.IsNotFound(err) {
			return notFound()
		}
		if err != nil {
			return err
		}
		for _, hid := range []string{p.AHousehold, p.BHousehold} {
			r, err := tx.Household(ctx, hid)
			if err != nil {
				return err
			}
			if ok, _ := s.visible(ctx, c, r); !ok {
				return notFound()
			}
		}
		if err := tx.DecidePair(ctx, id, decision, c.Actor()); err != nil {
			return err
		}
		e := c.actor().Entry("duplicates." + decision)
		e.RecordType, e.RecordID = "duplicate_pair", id
		_, err = audit.Append(ctx, tx, e)
		return err
	})
}
