package eligibility

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/audit"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
	"github.com/senda-platform/senda/policy"
	"github.com/senda-platform/senda/profile"
)

func code(err error) senda.Code { return senda.ErrorCode(err) }

func outcomes(hr *HouseholdResults) map[string]policy.Outcome {
	out := map[string]policy.Outcome{}
	for _, m := range hr.Members {
		for _, r := range m.Results {
			out[m.MemberID+"/"+r.Program] = r.Result
		}
	}
	return out
}

// A caseworker screens a household: every member against every programme,
// with the version that decided; the results are stored, and publishing a
// later version changes neither them nor what was in effect before it.
func TestScreenHouseholdStoresResultsWithTheirVersion(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db, "2026-11-23")
		h := register(t, s, caseworkerMX, family(t))

		first, err := s.ScreenHousehold(ctx, caseworkerMX, h.ID, "es")
		if err != nil {
			t.Fatal(err)
		}
		if first.PolicyVersion != "2025.1" || first.AsOf != "2026-11-23" || len(first.Members) != 4 || first.Receipt != h.Receipt {
			t.Fatalf("got version %q as of %q, %d members, receipt %q", first.PolicyVersion, first.AsOf, len(first.Members), first.Receipt)
		}
		for _, m := range first.Members {
			if len(m.Results) != 12 {
				t.Fatalf("member %s: got %d results, want 12", m.MemberID, len(m.Results))
			}
			for _, r := range m.Results {
				if r.Lang != "es" || r.PolicyVersion != "2025.1" || r.Criteria[0].Explanation == "" {
					t.Fatalf("result %+v not in Spanish or without its version", r)
				}
			}
		}
		if m := first.Members[0]; m.Role != "principal" || m.Name != "María José" {
			t.Errorf("principal: got role %q name %q", m.Role, m.Name)
		}
		// Outside the caller's scope the household does not exist.
		if _, err := s.ScreenHousehold(ctx, caseworkerGT, h.ID, "es"); code(err) != senda.CodeNotFound {
			t.Fatalf("caseworker of GT: got %v, want not_found", err)
		}

		// A new version from tomorrow: the H-2A list of countries extended.
		src := shippedSource(t, s, "2026.1", "2026-11-24", h2aUntil2025, h2aUntil2027)
		d, err := s.Upload(ctx, managerAll, "2026.1.yaml", src)
		if err != nil {
			t.Fatalf("upload: %s", describe(err))
		}
		if _, err := s.Publish(ctx, managerAll, d.ID); err != nil {
			t.Fatalf("publish: %s", describe(err))
		}
		// Today is still decided by 2025.1.
		again, err := s.ScreenHousehold(ctx, caseworkerMX, h.ID, "es")
		if err != nil {
			t.Fatal(err)
		}
		if again.PolicyVersion != "2025.1" || !cmp.Equal(outcomes(again), outcomes(first)) {
			t.Fatalf("publishing a version effective tomorrow changed today's screening: %q %v", again.PolicyVersion, outcomes(again))
		}
		// Tomorrow, 2026.1 decides.
		s.Now = func() time.Time { return day("2026-11-24") }
		later, err := s.ScreenHousehold(ctx, caseworkerMX, h.ID, "en")
		if err != nil {
			t.Fatal(err)
		}
		if later.PolicyVersion != "2026.1" {
			t.Fatalf("tomorrow: got version %q, want 2026.1", later.PolicyVersion)
		}
		// The stored results: newest first, each with its version, the first
		// exactly as it was returned.
		stored, err := s.Stored(ctx, caseworkerMX, h.ID, "es", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(stored) != 3 {
			t.Fatalf("got %d stored screenings, want 3", len(stored))
		}
		if stored[0].PolicyVersion != "2026.1" || stored[2].PolicyVersion != "2025.1" {
			t.Errorf("stored versions: %q, %q, %q", stored[0].PolicyVersion, stored[1].PolicyVersion, stored[2].PolicyVersion)
		}
		if diff := cmp.Diff(first.Members, stored[2].Members, cmpopts.IgnoreUnexported(policy.CriterionResult{})); diff != "" {
			t.Errorf("stored results differ from those returned (-returned +stored):\n%s", diff)
		}
		// Every screening is in the audit trail.
		es, err := audit.Search(ctx, db, audit.Filter{RecordID: h.ID, Action: "eligibility.screen", Limit: 10})
		if err != nil || len(es) != 3 {
			t.Errorf("audit: got %d eligibility.screen entries (%v), want 3", len(es), err)
		}
	})
}

// A pack that does not load is refused naming the file, programme and
// criterion of each problem, and nothing in effect changes.
func TestUploadRefusesABadPack(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db, "2026-11-23")
		before, err := s.Versions(ctx, "en")
		if err != nil {
			t.Fatal(err)
		}
		src := shippedSource(t, s, "2026.1", "2026-12-01", "expr: person.us_supporter_with_i134a", "expr: person.us_supporter_with_i134a + 1")
		_, err = s.Upload(ctx, managerAll, "../../chnv.yaml", src)
		var se *senda.Error
		if !errors.As(err, &se) || se.Code != senda.CodeInvalid || se.Key != policy.KeyInvalidPack || len(se.Fields) == 0 {
			t.Fatalf("got %v, want invalid policy.invalid_pack with fields", err)
		}
		if loc := se.Fields[0].Location; loc != "chnv.yaml: programs[chnv_parole].criteria[supporter]" {
			t.Errorf("got location %q, want the file, programme and criterion", loc)
		}
		// Not a manager: refused before anything is read.
		if _, err := s.Upload(ctx, caseworkerMX, "x.yaml", src); code(err) != senda.CodeForbidden {
			t.Errorf("caseworker upload: got %v", err)
		}
		// A version string already in use.
		if _, err := s.Upload(ctx, managerAll, "x.yaml", shippedSource(t, s, "2025.1", "2026-12-01")); code(err) != senda.CodeConflict {
			t.Errorf("version 2025.1 again: got %v, want conflict", err)
		}
		after, err := s.Versions(ctx, "en")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(before, after); diff != "" {
			t.Errorf("versions changed:\n%s", diff)
		}
		drafts, err := s.Drafts(ctx, managerAll)
		if err != nil || len(drafts) != 0 {
			t.Errorf("drafts after refused uploads: %v %v", drafts, err)
		}
	})
}

// Publishing: not before today, never twice, never on a version string or
// date another version has; another node sees the new version.
func TestPublish(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db, "2026-11-23")
		past, err := s.Upload(ctx, managerAll, "past.yaml", shippedSource(t, s, "2026.0", "2026-11-22"))
		if err != nil {
			t.Fatal(describe(err))
		}
		if _, err := s.Publish(ctx, managerAll, past.ID); code(err) != senda.CodeInvalid {
			t.Fatalf("publish effective yesterday: got %v, want invalid", err)
		}
		a, err := s.Upload(ctx, managerAll, "a.yaml", shippedSource(t, s, "2026.1", "2026-11-23"))
		if err != nil {
			t.Fatal(describe(err))
		}
		b, err := s.Upload(ctx, managerAll, "b.yaml", shippedSource(t, s, "2026.2", "2026-11-23"))
		if err != nil {
			t.Fatal(describe(err))
		}
		if _, err := s.Publish(ctx, caseworkerMX, a.ID); code(err) != senda.CodeForbidden {
			t.Fatalf("caseworker publish: got %v", err)
		}
		other := newService(t, db, "2026-11-23") // another node
		other.Keys = s.Keys
		if p, err := other.At(ctx, day("2026-11-23")); err != nil || p.Version() != "2025.1" {
			t.Fatalf("other node before publishing: %v %v", p, err)
		}
		d, err := s.Publish(ctx, managerAll, a.ID)
		if err != nil || d.Status != "published" {
			t.Fatalf("publish: %v %v", d, err)
		}
		if _, err := s.Publish(ctx, managerAll, a.ID); code(err) != senda.CodeConflict {
			t.Fatalf("publish twice: got %v, want conflict", err)
		}
		if _, err := s.Publish(ctx, managerAll, b.ID); code(err) != senda.CodeConflict {
			t.Fatalf("publish on a date taken: got %v, want conflict", err)
		}
		if p, err := other.At(ctx, day("2026-11-23")); err != nil || p.Version() != "2026.1" {
			t.Fatalf("other node after publishing: %v %v", p, err)
		}
		vs, err := other.Versions(ctx, "fr")
		if err != nil || len(vs) != 2 || vs[1].Source != SourcePublished || !vs[1].InEffect || vs[0].InEffect {
			t.Fatalf("versions: %+v %v", vs, err)
		}
		// The published version's source is what was uploaded.
		name, src, err := other.Source(ctx, "2026.1")
		if err != nil || name != "a.yaml" || !strings.Contains(string(src), `version: "2026.1"`) {
			t.Fatalf("source: %q %v", name, err)
		}
	})
}

// A published version this build refuses (written by a newer node, or
// edited in the database) is left out and logged; the service keeps the
// versions it has.
func TestServiceKeepsItsVersionsWhenAStoredPackIsRefused(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db, "2026-11-23")
		if _, err := s.Registry(ctx); err != nil {
			t.Fatal(err)
		}
		err := db.Update(ctx, func(tx *store.Tx) error {
			r := store.PolicyPackRow{ID: store.NewID(), Version: "2027.1", EffectiveFrom: "2026-11-23", FileName: "bad.yaml",
				Source: "version: \"2027.1\"\nprograms: [{id: x, criteria: [{id: y, expr: 'nope('}]}]\n", SHA256: "-", CreatedBy: "test"}
			if err := tx.InsertPolicyPack(ctx, r); err != nil {
				return err
			}
			return tx.PublishPolicyPack(ctx, r.ID, "test")
		})
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.At(ctx, day("2026-11-23"))
		if err != nil || p.Version() != "2025.1" {
			t.Fatalf("got %v %v, want 2025.1 still in effect", p, err)
		}
		rs, err := s.ScreenProfile(ctx, profile.Profile{Person: profile.Person{ID: "x"}}, time.Time{}, "ht")
		if err != nil || len(rs) != 12 || rs[0].PolicyVersion != "2025.1" || rs[0].Lang != "ht" {
			t.Fatalf("screening: %d results, %v", len(rs), err)
		}
	})
}

// Self-screening validates every answer and refuses unknown programmes.
func TestScreenProfile(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db, "2026-11-23")
		bad := profile.Profile{Person: profile.Person{ID: "x", Nationality: profile.Ptr("Venezuela"), BirthDate: (*profile.PartialDate)(profile.Ptr("1990-13"))}}
		_, err := s.ScreenProfile(ctx, bad, time.Time{}, "es")
		var se *senda.Error
		if !errors.As(err, &se) || se.Key != profile.KeyInvalid || len(se.Fields) != 2 {
			t.Fatalf("got %v, want both answers reported", err)
		}
		if _, err := s.ScreenProfile(ctx, profile.Profile{Person: profile.Person{ID: "x"}}, time.Time{}, "es", "nope"); code(err) != senda.CodeInvalid {
			t.Fatalf("unknown programme: got %v", err)
		}
		paroled := profile.Profile{Person: profile.Person{ID: "x", CurrentCountry: profile.Ptr("US"),
			USImmigrationStatus: profile.Ptr(profile.USParolee), USParoleExpiryDate: (*profile.Date)(profile.Ptr("2027-06-30"))}}
		rs, err := s.ScreenProfile(ctx, paroled, time.Time{}, "pt", "ead_parolee")
		if err != nil || len(rs) != 1 || rs[0].Result != policy.Eligible || rs[0].AsOf != "2026-11-23" {
			t.Fatalf("ead: %+v %v", rs, err)
		}
		if _, err := s.ScreenProfile(ctx, paroled, day("2019-01-01"), "pt"); code(err) != senda.CodeNotFound {
			t.Fatalf("before every version: got %v, want not_found", err)
		}
	})
}
