package eligibility

import (
	"context"
	"time"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/household"
	"github.com/senda-platform/senda/internal/audit"
	"github.com/senda-platform/senda/internal/households"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/policy"
	"github.com/senda-platform/senda/profile"
)

// ScreenProfile screens one profile, as a person screens themself: with
// the version in effect on asOf (today when zero), texts in lang, for the
// given programmes (every programme when none). Nothing is stored. An
// invalid answer is refused (code invalid, key profile.invalid) with every
// field to fix; an unknown programme id too (key policy.unknown_program).
func (s *Service) ScreenProfile(ctx context.Context, p profile.Profile, asOf time.Time, lang string, programs ...string) ([]policy.Result, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if asOf.IsZero() {
		asOf = s.Today()
	}
	pack, err := s.At(ctx, asOf)
	if err != nil {
		return nil, err
	}
	for _, id := range programs {
		if _, ok := pack.Program(id); !ok {
			return nil, senda.Errorf(senda.CodeInvalid, policy.KeyUnknownProgram, map[string]any{"program": id, "version": pack.Version()})
		}
	}
	h := profile.Household{}
	if p.Household != nil {
		h = *p.Household
	}
	return pack.ScreenLang(lang, p.Person, h, asOf, programs...), nil
}

// HouseholdResults is one screening of a household: every member's results
// with the version that decided.
type HouseholdResults struct {
	HouseholdID   string          `json:"household_id"`
	Receipt       string          `json:"receipt"`
	RunID         string          `json:"run_id" doc:"Identifies this screening"`
	PolicyVersion string          `json:"policy_version" doc:"The policy version that decided"`
	AsOf          profile.Date    `json:"as_of" doc:"The screening date"`
	ScreenedAt    time.Time       `json:"screened_at"`
	Members       []MemberResults `json:"members"`
}

func roleName(p *profile.Profile) string {
	if p.Role == nil {
		return string(profile.RoleOther)
	}
	return string(*p.Role)
}

// ScreenHousehold screens a household the caller may see (anything else is
// not found) with the version in effect today, stores the results with
// their version and returns them with texts in lang. Reading the household
// and storing the results are recorded in the audit trail.
func (s *Service) ScreenHousehold(ctx context.Context, c households.Caller, id, lang string) (*HouseholdResults, error) {
	h, err := s.Households.Get(ctx, c, id)
	if err != nil {
		return nil, err
	}
	asOf := s.Today()
	pack, err := s.At(ctx, asOf)
	if err != nil {
		return nil, err
	}
	pi := infoOf(pack)
	out := &HouseholdResults{HouseholdID: h.ID, Receipt: h.Receipt, RunID: store.NewID(), PolicyVersion: pack.Version(), AsOf: profile.DateOf(asOf)}
	names := map[string]string{}
	for _, m := range h.Members {
		names[m.ID] = m.GivenNames
	}
	profiles := h.Profiles()
	buf := appendResultsHeader(nil, len(profiles))
	for i := range profiles {
		p := &profiles[i]
		hh := profile.Household{}
		if p.Household != nil {
			hh = *p.Household
		}
		rs := pack.ScreenLang(lang, p.Person, hh, asOf)
		role := roleName(p)
		buf = appendMemberResults(buf, pi, p.ID, role, rs)
		out.Members = append(out.Members, MemberResults{MemberID: p.ID, Role: role, Name: names[p.ID], Results: rs})
	}
	err = s.DB.Update(ctx, func(tx *store.Tx) error {
		row, err := tx.Household(ctx, id)
		if err != nil {
			return err
		}
		out.ScreenedAt = tx.Now
		run := store.EligibilityRun{ID: out.RunID, Kind: "household", PolicyVersion: pack.Version(), AsOf: string(out.AsOf),
			StartedBy: c.Actor(), FinishedAt: tx.Now, Households: 1, Profiles: len(profiles)}
		if err := tx.InsertEligibilityRun(ctx, run); err != nil {
			return err
		}
		sealed := s.Keys.Seal(buf, store.EligibilityResultPlace(id, run.ID))
		if err := tx.InsertEligibilityResults(ctx, []store.EligibilityResultRow{{HouseholdID: id, RunID: run.ID, HouseholdVersion: row.Version, Data: sealed}}); err != nil {
			return err
		}
		e := actor(c).Entry("eligibility.screen")
		e.RecordType, e.RecordID, e.Subject, e.Fields = "household", id, subjectOf(row), []string{"eligibility"}
		_, err = audit.Append(ctx, tx, e)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// subjectOf is whom a household record is about, as the audit trail names
// it: the owner account, else the household.
func subjectOf(r store.HouseholdRow) string {
	if r.OwnerAccount != "" {
		return r.OwnerAccount
	}
	return r.ID
}

// Stored returns the stored results of a household the caller may see,
// newest first (at most limit), each rebuilt with the version that decided
// it and texts in lang. Publishing later versions does not change them.
func (s *Service) Stored(ctx context.Context, c households.Caller, id, lang string, limit int) ([]HouseholdResults, error) {
	h, err := s.Households.Get(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	var rows []store.StoredEligibility
	if err := s.DB.View(ctx, func(tx *store.Tx) (err error) {
		rows, err = tx.EligibilityResults(ctx, id, limit)
		return err
	}); err != nil {
		return nil, err
	}
	reg, err := s.Registry(ctx)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, m := range h.Members {
		names[m.ID] = m.GivenNames
	}
	out := []HouseholdResults{}
	for _, r := range rows {
		hr, err := s.decodeStored(reg, r, lang)
		if err != nil {
			return nil, err
		}
		hr.Receipt = h.Receipt
		for i := range hr.Members {
			hr.Members[i].Name = names[hr.Members[i].MemberID]
		}
		out = append(out, *hr)
	}
	return out, nil
}

func (s *Service) decodeStored(reg *policy.Registry, r store.StoredEligibility, lang string) (*HouseholdResults, error) {
	pack, err := reg.Version(r.Run.PolicyVersion)
	if err != nil {
		return nil, &senda.Error{Code: senda.CodeUnavailable, Key: KeyStoredResults, Args: map[string]any{"version": r.Run.PolicyVersion}, Err: err}
	}
	pt, err := s.Keys.Open(r.Data, store.EligibilityResultPlace(r.HouseholdID, r.RunID))
	if err != nil {
		return nil, senda.Wrap(err, KeyStoredResults)
	}
	ms, err := decodeResults(pt, infoOf(pack), profile.Date(r.Run.AsOf), lang)
	if err != nil {
		return nil, &senda.Error{Code: senda.CodeInternal, Key: KeyStoredResults, Args: map[string]any{"version": r.Run.PolicyVersion}, Err: err}
	}
	return &HouseholdResults{HouseholdID: r.HouseholdID, RunID: r.RunID, PolicyVersion: r.Run.PolicyVersion, AsOf: profile.Date(r.Run.AsOf),
		ScreenedAt: r.Run.StartedAt, Members: ms}, nil
}

// principalName is the principal's given names and first surname, for
// the what-if sample of a manager whose scope holds the household.
func principalName(h *household.Household) string {
	p := h.Principal()
	if p == nil {
		return ""
	}
	name := p.GivenNames
	if len(p.Surnames) > 0 {
		name += " " + p.Surnames[0]
	}
	return name
}
