package eligibility

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"

	"github.com/senda-platform/senda/household"
	"github.com/senda-platform/senda/internal/audit"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
	"github.com/senda-platform/senda/policy"
	"github.com/senda-platform/senda/profile"
)

// The edit of the H-2A list's end date that the what-if tests publish.
const (
	h2aUntil2025 = "as_of <= date('2025-11-08')"
	h2aUntil2027 = "as_of <= date('2027-11-08')"
)

// worker is a one-person household with an H-2 job offer.
func worker(place, nationality, category, given string, status string) *household.Household {
	cat := profile.H2Category(category)
	return &household.Household{Place: place, Status: status, Members: []household.Member{{
		Relationship: profile.RelPrincipal, GivenNames: given, Surnames: []string{"Prueba"}, BirthDate: "1991-02-03",
		Screening: profile.Person{Nationality: &nationality, JobOfferH2: profile.Ptr(true), JobOfferH2Category: &cat},
	}}}
}

// The joined shipped version screens exactly as the shipped directory.
func TestSourceOfTheShippedVersionScreensAlike(t *testing.T) {
	db := storetest.New(t, store.SQLite)
	s := newService(t, db, "2026-11-23")
	name, src, err := s.Source(context.Background(), "2025.1")
	if err != nil || name != "2025.1.yaml" {
		t.Fatalf("source: %q %v", name, err)
	}
	joined, err := policy.Parse(name, src)
	if err != nil {
		t.Fatal(describe(err))
	}
	shipped, _ := policy.Shipped()
	orig := shipped.Packs()[0]
	rapid.Check(t, func(t *rapid.T) {
		p := genProfile(t, "x")
		h := profile.Household{}
		if p.Household != nil {
			h = *p.Household
		}
		asOf := day(rapid.SampledFrom([]string{"2022-12-01", "2023-06-12", "2024-08-23", "2026-11-23"}).Draw(t, "as_of"))
		lang := rapid.SampledFrom(profile.Languages).Draw(t, "lang")
		want, got := orig.ScreenLang(lang, p.Person, h, asOf), joined.ScreenLang(lang, p.Person, h, asOf)
		if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(policy.CriterionResult{})); diff != "" {
			t.Fatalf("(-directory +joined):\n%s", diff)
		}
	})
}

// What-if: a draft run over every registered household says who gains or
// loses, by programme, nationality and office, with a sample of receipts;
// names only for the manager whose scope holds the household.
func TestWhatIf(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db, "2026-11-23")
		mx := register(t, s, adminAll, worker("MX", "MX", "h2a", "Ana", ""))
		register(t, s, adminAll, worker("GT", "GT", "h2b", "Bea", ""))
		register(t, s, adminAll, worker("GT", "VE", "h2a", "Carla", ""))
		register(t, s, adminAll, worker("MX", "HN", "h2a", "Dora", "draft"))
		register(t, s, adminAll, family(t))
		d, err := s.Upload(ctx, managerAll, "h2.yaml", shippedSource(t, s, "2026.1", "2026-12-01", h2aUntil2025, h2aUntil2027))
		if err != nil {
			t.Fatal(describe(err))
		}
		w, err := s.WhatIfDraft(ctx, managerAll, d.ID, timeZero)
		if err != nil {
			t.Fatal(err)
		}
		rep := w.Report
		if w.Households != 4 || rep.Screened != 7 || rep.Affected != 1 || rep.AsOf != "2026-12-01" || rep.FromVersion != "2025.1" || rep.ToVersion != "2026.1" {
			t.Fatalf("got %d households, %d screened, %d affected, as of %s, %s -> %s", w.Households, rep.Screened, rep.Affected, rep.AsOf, rep.FromVersion, rep.ToVersion)
		}
		var h2a policy.ProgramDiff
		for _, p := range rep.Programs {
			if p.Program == "h2a" {
				h2a = p
			} else if p.Changed != 0 {
				t.Errorf("%s changed: %+v", p.Program, p)
			}
		}
		if h2a.Gained != 1 || h2a.Lost != 0 || h2a.Changed != 1 {
			t.Errorf("h2a: %+v, want one gained", h2a)
		}
		want := []policy.ChangeCount{{Change: policy.Change{Program: "h2a", From: policy.NeedsInfo, To: policy.Eligible}, Count: 1,
			By: map[string]map[string]int{"nationality": {"MX": 1}, "office": {"MX": 1}}}}
		if diff := cmp.Diff(want, rep.Changes); diff != "" {
			t.Errorf("changes (-want +got):\n%s", diff)
		}
		if len(w.Sample) != 1 || w.Sample[0].Receipt != mx.Receipt || w.Sample[0].Name != "Ana Prueba" || len(rep.Sample) != 0 {
			t.Fatalf("sample: %+v", w.Sample)
		}
		// A manager of GT sees the MX household's receipt, not its name.
		w, err = s.WhatIfDraft(ctx, managerGT, d.ID, day("2026-12-01"))
		if err != nil {
			t.Fatal(err)
		}
		if len(w.Sample) != 1 || w.Sample[0].Name != "" || w.Sample[0].Receipt != mx.Receipt {
			t.Fatalf("sample for GT: %+v", w.Sample)
		}
		// The command line's diff: the same counts, never a name.
		shipped, _ := policy.Shipped()
		to, err := policy.Parse("h2.yaml", shippedSource(t, s, "2026.1", "2026-12-01", h2aUntil2025, h2aUntil2027))
		if err != nil {
			t.Fatal(err)
		}
		cli, err := s.Diff(ctx, adminAll, shipped.Packs()[0], to, day("2026-12-01"))
		if err != nil {
			t.Fatal(err)
		}
		if !cmp.Equal(cli.Report, w.Report) || cli.Sample[0].Name != "" {
			t.Errorf("command-line diff differs: %+v", cli)
		}
		if _, err := s.WhatIfDraft(ctx, caseworkerMX, d.ID, timeZero); code(err) != "forbidden" {
			t.Errorf("caseworker what-if: got %v", err)
		}
		es, err := audit.Search(ctx, db, audit.Filter{Action: "household.read", RecordID: mx.ID, Limit: 10})
		if err != nil || len(es) != 1 || es[0].ActorID != managerAll.Actor() {
			t.Errorf("the name shown is not in the audit trail once: %v %v", es, err)
		}
	})
}

// A bulk run stores for every household what screening it alone gives;
// profiles follow changes to households, and erasing a household erases
// its profiles and results.
func TestRunAll(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db, "2026-11-23")
		fam := register(t, s, caseworkerMX, family(t))
		w := register(t, s, adminAll, worker("MX", "MX", "h2a", "Ana", ""))
		run, err := s.RunAll(ctx, managerAll, timeZero)
		if err != nil {
			t.Fatal(err)
		}
		if run.Households != 2 || run.Profiles != 5 || run.Synced != 2 || run.PolicyVersion != "2025.1" || len(run.Programs) != 12 {
			t.Fatalf("run: %+v", run)
		}
		total := 0
		for _, p := range run.Programs {
			total += p.Eligible + p.Ineligible + p.NeedsInfo
		}
		if total != 5*12 {
			t.Errorf("got %d outcomes, want 60", total)
		}
		stored, err := s.Stored(ctx, caseworkerMX, fam.ID, "ht", 5)
		if err != nil || len(stored) != 1 || stored[0].RunID != run.ID {
			t.Fatalf("stored: %v %v", stored, err)
		}
		single, err := s.ScreenHousehold(ctx, caseworkerMX, fam.ID, "ht")
		if err != nil {
			t.Fatal(err)
		}
		ignore := cmpopts.IgnoreUnexported(policy.CriterionResult{})
		if diff := cmp.Diff(single.Members, stored[0].Members, ignore, cmpopts.IgnoreFields(MemberResults{}, "Name")); diff != "" {
			t.Errorf("bulk and single screening differ (-single +bulk):\n%s", diff)
		}
		// A change to a household is picked up by the next run.
		w.Members[0].Screening.Nationality = profile.Ptr("GT")
		if _, err := s.Households.Save(ctx, adminAll, w, ""); err != nil {
			t.Fatal(err)
		}
		if n, err := s.SyncProfiles(ctx); err != nil || n != 1 {
			t.Fatalf("sync after a change: %d %v", n, err)
		}
		if n, err := s.SyncProfiles(ctx); err != nil || n != 0 {
			t.Fatalf("sync again: %d %v", n, err)
		}
		// Erasure takes the profiles and results along.
		if err := s.Households.Delete(ctx, caseworkerMX, fam.ID); err != nil {
			t.Fatal(err)
		}
		var n int
		db.View(ctx, func(tx *store.Tx) error {
			n, err = tx.CountEligibilityResults(ctx, run.ID)
			return err
		})
		if n != 1 {
			t.Errorf("got %d households with results after erasing one of two, want 1", n)
		}
		if _, err := s.RunAll(ctx, caseworkerMX, timeZero); code(err) != "forbidden" {
			t.Errorf("caseworker run: got %v", err)
		}
	})
}

var timeZero time.Time

// A run brings stale profiles up to date as it reads them, range by
// range: households changed since their profiles were derived, and those
// whose profiles are missing, are screened as they are now, wherever they
// fall among the batches.
func TestRunAllDerivesStaleProfilesAsItReads(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db, "2026-11-23")
		var hs []*household.Household
		for i := range 7 {
			hs = append(hs, register(t, s, adminAll, worker("MX", "MX", "h2a", fmt.Sprintf("W%d", i), "")))
		}
		if run, err := s.RunAll(ctx, managerAll, timeZero); err != nil || run.Synced != 7 || run.Households != 7 {
			t.Fatalf("first run: %+v %v", run, err)
		}
		defer func(scan, sync int) { scanBatch, syncBatch = scan, sync }(scanBatch, syncBatch)
		scanBatch, syncBatch = 2, 1
		sorted := slices.Clone(hs)
		slices.SortFunc(sorted, func(a, b *household.Household) int { return strings.Compare(a.ID, b.ID) })
		for _, i := range []int{1, 4, 6} { // the second of a batch, the first of one, the last household
			sorted[i].Members[0].Screening.Nationality = profile.Ptr("GT")
			if _, err := s.Households.Save(ctx, adminAll, sorted[i], ""); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Update(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `DELETE FROM screening_profiles WHERE household_id = $1`, sorted[2].ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		run, err := s.RunAll(ctx, managerAll, timeZero)
		if err != nil || run.Synced != 4 || run.Households != 7 || run.Profiles != 7 {
			t.Fatalf("second run: %+v %v, want 4 derived again of 7", run, err)
		}
		for i, h := range sorted {
			var rows []store.StoredEligibility
			var cur store.HouseholdRow
			db.View(ctx, func(tx *store.Tx) (err error) {
				if cur, err = tx.Household(ctx, h.ID); err != nil {
					return err
				}
				rows, err = tx.EligibilityResults(ctx, h.ID, 1)
				return err
			})
			if len(rows) != 1 || rows[0].RunID != run.ID || rows[0].HouseholdVersion != cur.Version {
				t.Errorf("household %d: latest results %+v, want of run %s at version %d", i, rows, run.ID, cur.Version)
			}
		}
		if n, err := s.SyncProfiles(ctx); err != nil || n != 0 {
			t.Fatalf("profiles left stale after the run: %d %v", n, err)
		}
	})
}
