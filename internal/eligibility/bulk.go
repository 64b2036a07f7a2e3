package eligibility

import (
	"context"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/audit"
	"github.com/senda-platform/senda/internal/households"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/policy"
	"github.com/senda-platform/senda/profile"
)

// Batch sizes of bulk work (variables for the tests).
var (
	syncBatch  = 500
	scanBatch  = 1000
	writeBatch = 8000
)

// SyncProfiles derives the compact screening profiles of every household
// whose stored profiles are missing, older than the household or in an
// older format, and returns how many it derived. (Bulk runs do the same as
// they read, range by range: see scan.)
func (s *Service) SyncProfiles(ctx context.Context) (int, error) {
	total := 0
	after := ""
	for {
		var ids []string
		err := s.DB.View(ctx, func(tx *store.Tx) (err error) {
			ids, err = tx.StaleScreeningProfileIDs(ctx, ProfileFormat, after, "", syncBatch)
			return err
		})
		if err != nil || len(ids) == 0 {
			return total, err
		}
		n, err := s.syncIDs(ctx, ids)
		total += n
		if err != nil || len(ids) < syncBatch {
			return total, err
		}
		after = ids[len(ids)-1]
	}
}

// syncIDs derives the compact screening profiles of the households ids
// again (leaving out any erased meanwhile) and returns how many it wrote.
func (s *Service) syncIDs(ctx context.Context, ids []string) (int, error) {
	rows := make([]store.ScreeningProfileRow, 0, len(ids))
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		for _, id := range ids {
			r, err := tx.Household(ctx, id)
			if store.IsNotFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			h, err := households.Open(s.Keys, r)
			if err != nil {
				return err
			}
			ps := h.Profiles()
			rows = append(rows, store.ScreeningProfileRow{HouseholdID: r.ID, HouseholdVersion: r.Version, Status: r.Status, Place: r.Place,
				Members: len(ps), Format: ProfileFormat, Data: s.Keys.Seal(EncodeProfiles(nil, ps), store.ScreeningProfilePlace(r.ID))})
		}
		return nil
	})
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	if err := s.DB.Update(ctx, func(tx *store.Tx) error { return tx.PutScreeningProfiles(ctx, rows) }); err != nil {
		return 0, err
	}
	return len(rows), nil
}

// scan reads the stored screening profiles of every submitted household
// in batches, one reader ahead of workers goroutines, and calls
// fn(worker, batch) for each batch. The first error stops the scan. It
// returns how many households' profiles it derived again first.
//
// Profiles are brought up to date as they are read: with each batch, in
// the same snapshot, the reader asks which households of the batch's range
// of ids have profiles that are missing or stale (see SyncProfiles),
// derives those again and reads the range anew. The check thus runs
// alongside the screening instead of before it.
//
// The reader opens the sealed profiles: each row's Data is the plaintext,
// in a buffer of its batch. With reuse, a batch's rows and buffer are used
// again once fn returns, so fn must keep nothing of them (strings decoded
// from Data included); without, they are fn's to keep.
func (s *Service) scan(ctx context.Context, workers int, reuse bool, fn func(worker int, rows []store.ScreeningProfileRow) error) (synced int, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		once     sync.Once
		firstErr error
	)
	fail := func(err error) {
		once.Do(func() { firstErr = err; cancel() })
	}
	batches := make(chan *batch[store.ScreeningProfileRow], workers+1)
	free := make(chan *batch[store.ScreeningProfileRow], workers+2)
	go func() {
		defer close(batches)
		after := ""
		// The households derived again at this position: a household
		// changed again as soon as derived is screened as it was read
		// rather than derived forever.
		var derived map[string]bool
		var place []byte
		for {
			b := takeBatch(free)
			var next string
			var stale []string
			err := s.DB.View(ctx, func(tx *store.Tx) (err error) {
				next, err = tx.EachScreeningProfile(ctx, after, scanBatch, false, func(r store.ScreeningProfileRow) (err error) {
					place = store.AppendScreeningProfilePlace(place[:0], r.HouseholdID)
					if b.buf, err = s.Keys.OpenAppend(b.buf, r.Data, place); err != nil {
						return senda.Wrap(err, "eligibility.profiles_sealed")
					}
					r.Data = nil
					b.add(r)
					return nil
				})
				if err != nil {
					return err
				}
				stale, err = tx.StaleScreeningProfileIDs(ctx, ProfileFormat, after, next, syncBatch)
				return err
			})
			if err != nil {
				fail(err)
				return
			}
			stale = slices.DeleteFunc(stale, func(id string) bool { return derived[id] })
			if len(stale) > 0 {
				n, err := s.syncIDs(ctx, stale)
				if err != nil {
					fail(err)
					return
				}
				synced += n
				if derived == nil {
					derived = map[string]bool{}
				}
				for _, id := range stale {
					derived[id] = true
				}
				continue
			}
			if len(b.rows) > 0 {
				b.place(func(r *store.ScreeningProfileRow, data []byte) { r.Data = data })
				select {
				case batches <- b:
				case <-ctx.Done():
					return
				}
			}
			if next == "" {
				return
			}
			after, derived = next, nil
		}
	}()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				if ctx.Err() != nil {
					continue
				}
				if err := fn(w, b.rows); err != nil {
					fail(err)
				}
				if reuse {
					select {
					case free <- b:
					default:
					}
				}
			}
		}()
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = &senda.Error{Code: senda.CodeUnavailable, Key: "error.unavailable", Err: ctx.Err()}
	}
	return synced, firstErr
}

// batch is a batch of rows whose data (opened profiles, sealed results)
// lie one after the other in buf: row i's ends at ends[i].
type batch[R any] struct {
	rows []R
	buf  []byte
	ends []int
}

// takeBatch returns a batch given back on free, emptied, or a new one.
func takeBatch[R any](free chan *batch[R]) *batch[R] {
	select {
	case b := <-free:
		b.rows, b.buf, b.ends = b.rows[:0], b.buf[:0], b.ends[:0]
		return b
	default:
		return &batch[R]{}
	}
}

// add appends a row whose data has just been appended to buf.
func (b *batch[R]) add(r R) {
	b.rows, b.ends = append(b.rows, r), append(b.ends, len(b.buf))
}

// place gives each row its data, once buf is complete.
func (b *batch[R]) place(set func(r *R, data []byte)) {
	start := 0
	for i, end := range b.ends {
		set(&b.rows[i], b.buf[start:end:end])
		start = end
	}
}

// ProgramCount counts one programme's outcomes in a run.
type ProgramCount struct {
	Program    string `json:"program"`
	Eligible   int    `json:"eligible"`
	Ineligible int    `json:"ineligible"`
	NeedsInfo  int    `json:"needs_info"`
}

// Run sums up a bulk run.
type Run struct {
	ID            string         `json:"id"`
	PolicyVersion string         `json:"policy_version"`
	AsOf          profile.Date   `json:"as_of"`
	Households    int            `json:"households"`
	Profiles      int            `json:"profiles"`
	Synced        int            `json:"synced" doc:"Households whose screening profiles were derived again first"`
	Programs      []ProgramCount `json:"programs"`
	Elapsed       time.Duration  `json:"-"`
}

// runWorker is the state of one goroutine of a bulk run.
type runWorker struct {
	dec    *decoder
	sc     *policy.Screener
	counts []ProgramCount
	buf    []byte
	place  []byte
	err    error
}

// RunAll screens every submitted household with the version in effect on
// asOf (today when zero) and stores the results, in batches, under one
// run. Programme managers and administrators only.
func (s *Service) RunAll(ctx context.Context, c households.Caller, asOf time.Time) (*Run, error) {
	if !managerRole(c.Role) {
		return nil, forbidden()
	}
	start := time.Now()
	if asOf.IsZero() {
		asOf = s.Today()
	}
	pack, err := s.At(ctx, today(asOf))
	if err != nil {
		return nil, err
	}
	run, err := s.runAll(ctx, c, pack, today(asOf))
	if err != nil {
		return nil, err
	}
	run.Elapsed = time.Since(start)
	return run, nil
}

// runAll is RunAll with the version in effect.
func (s *Service) runAll(ctx context.Context, c households.Caller, pack *policy.Pack, asOf time.Time) (*Run, error) {
	pi := infoOf(pack)
	run := store.EligibilityRun{ID: store.NewID(), Kind: "all", PolicyVersion: pack.Version(), AsOf: string(profile.DateOf(asOf)), StartedBy: c.Actor()}
	if err := s.DB.Update(ctx, func(tx *store.Tx) error {
		if err := tx.InsertEligibilityRun(ctx, run); err != nil {
			return err
		}
		e := actor(c).Entry("eligibility.run")
		e.RecordType, e.RecordID, e.Fields = "eligibility_run", run.ID, []string{"eligibility"}
		_, err := audit.Append(ctx, tx, e)
		return err
	}); err != nil {
		return nil, err
	}
	workers := runtime.GOMAXPROCS(0)
	ws := make([]*runWorker, workers)
	for i := range ws {
		ws[i] = &runWorker{dec: newDecoder(), sc: pack.NewScreener(asOf, policy.DefaultLang), counts: make([]ProgramCount, len(pi.progIDs))}
	}
	// One writer: SQLite has one, and batching rows into few transactions
	// is what makes writing fast on both engines.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Room for two transactions of results: the workers go on while the
	// writer waits for the database.
	toWrite := make(chan *batch[store.EligibilityResultRow], 2*writeBatch/scanBatch+workers)
	// Result batches go back to the workers once written.
	spent := make(chan *batch[store.EligibilityResultRow], 2*writeBatch/scanBatch+workers+2)
	var (
		writeErr             error
		households, profiles int
		countMu              sync.Mutex
	)
	written := make(chan struct{})
	go func() {
		defer close(written)
		var pending []store.EligibilityResultRow
		var held []*batch[store.EligibilityResultRow]
		flush := func() {
			if len(pending) > 0 && writeErr == nil {
				rows := pending
				writeErr = s.DB.Update(ctx, func(tx *store.Tx) error { return tx.InsertEligibilityResults(ctx, rows) })
				if writeErr != nil {
					cancel()
				}
			}
			clear(pending) // drop the references into the batches given back
			pending = pending[:0]
			for _, b := range held {
				select {
				case spent <- b:
				default:
				}
			}
			held = held[:0]
		}
		for b := range toWrite {
			pending, held = append(pending, b.rows...), append(held, b)
			if len(pending) >= writeBatch {
				flush()
			}
		}
		flush()
	}()
	synced, scanErr := s.scan(ctx, workers, true, func(wi int, rows []store.ScreeningProfileRow) error {
		w := ws[wi]
		out := takeBatch(spent)
		n := 0
		for _, r := range rows {
			ps, err := w.dec.decodeProfiles(r.Data)
			if err != nil {
				return senda.Wrap(err, "eligibility.profiles_sealed")
			}
			w.buf = appendResultsHeader(w.buf[:0], len(ps))
			for i := range ps {
				os := w.sc.Outcomes(&ps[i].Person, ps[i].Household)
				w.buf = appendMemberOutcomes(w.buf, pi, ps[i].ID, roleName(&ps[i]), os)
				for k := range os {
					pc := &w.counts[pi.index(os[k].Program, k)]
					switch os[k].Result {
					case policy.Eligible:
						pc.Eligible++
					case policy.Ineligible:
						pc.Ineligible++
					default:
						pc.NeedsInfo++
					}
				}
			}
			n += len(ps)
			w.place = store.AppendEligibilityResultPlace(w.place[:0], r.HouseholdID, run.ID)
			out.buf = s.Keys.SealAppend(out.buf, w.buf, w.place)
			out.add(store.EligibilityResultRow{HouseholdID: r.HouseholdID, RunID: run.ID, HouseholdVersion: r.HouseholdVersion})
		}
		out.place(func(r *store.EligibilityResultRow, data []byte) { r.Data = data })
		w.dec.reset()
		countMu.Lock()
		households += len(rows)
		profiles += n
		countMu.Unlock()
		select {
		case toWrite <- out:
			return nil
		case <-ctx.Done():
			return &senda.Error{Code: senda.CodeUnavailable, Key: "error.unavailable", Err: ctx.Err()}
		}
	})
	close(toWrite)
	<-written
	if writeErr != nil {
		return nil, writeErr
	}
	if scanErr != nil {
		return nil, scanErr
	}
	if err := s.DB.Update(ctx, func(tx *store.Tx) error { return tx.FinishEligibilityRun(ctx, run.ID, households, profiles) }); err != nil {
		return nil, err
	}
	out := &Run{ID: run.ID, PolicyVersion: pack.Version(), AsOf: profile.Date(run.AsOf), Households: households, Profiles: profiles, Synced: synced}
	for i, id := range pi.progIDs {
		pc := ProgramCount{Program: id}
		for _, w := range ws {
			pc.Eligible += w.counts[i].Eligible
			pc.Ineligible += w.counts[i].Ineligible
			pc.NeedsInfo += w.counts[i].NeedsInfo
		}
		out.Programs = append(out.Programs, pc)
	}
	return out, nil
}

// AttrOffice is the what-if breakdown by the place a household's record is
// held (a country or COUNTRY/OFFICE).
const AttrOffice = "office"

// WhatIf says who would gain or lose eligibility if a version replaced the
// one in effect: the policy report (counts by programme and transition,
// with breakdowns by nationality and office) and a sample of the
// households affected.
type WhatIf struct {
	DraftID    string            `json:"draft_id,omitempty"`
	Report     policy.DiffReport `json:"report"`
	Households int               `json:"households" doc:"Households screened"`
	// Sample groups the report's sample of affected people by household.
	Sample []AffectedHousehold `json:"sample"`
}

// AffectedHousehold is a household of the what-if sample.
type AffectedHousehold struct {
	HouseholdID string `json:"household_id"`
	Receipt     string `json:"receipt"`
	Place       string `json:"place"`
	// Name is the principal's name, given only when the caller's scope
	// holds the household.
	Name    string           `json:"name,omitempty"`
	Members []AffectedMember `json:"members"`
}

// AffectedMember is a member whose outcome changes.
type AffectedMember struct {
	MemberID string          `json:"member_id"`
	Changes  []policy.Change `json:"changes"`
}

// WhatIfDraft screens every registered household with the version in
// effect on asOf and with the draft, and reports who would gain or lose
// eligibility. asOf defaults to today, or to the draft's effective date
// when that is later. Names are given for the households in the caller's
// scope; each is recorded in the audit trail.
func (s *Service) WhatIfDraft(ctx context.Context, c households.Caller, draftID string, asOf time.Time) (*WhatIf, error) {
	if !managerRole(c.Role) {
		return nil, forbidden()
	}
	_, to, err := s.draft(ctx, draftID)
	if err != nil {
		return nil, err
	}
	if asOf.IsZero() {
		asOf = s.Today()
		if eff, ok := to.EffectiveFrom().Time(); ok && eff.After(asOf) {
			asOf = eff
		}
	}
	from, err := s.At(ctx, asOf)
	if err != nil {
		return nil, err
	}
	w, err := s.whatIf(ctx, c, from, to, asOf, true)
	if err != nil {
		return nil, err
	}
	w.DraftID = draftID
	return w, nil
}

// Diff screens every registered household with from and to on asOf and
// reports the differences, without names (the command line's what-if).
func (s *Service) Diff(ctx context.Context, c households.Caller, from, to *policy.Pack, asOf time.Time) (*WhatIf, error) {
	if !managerRole(c.Role) {
		return nil, forbidden()
	}
	return s.whatIf(ctx, c, from, to, asOf, false)
}

func (s *Service) whatIf(ctx context.Context, c households.Caller, from, to *policy.Pack, asOf time.Time, names bool) (*WhatIf, error) {
	out := &WhatIf{}
	var scanErr error
	rep := policy.Diff(from, to, asOf, func(yield func(id string, p profile.Person, h profile.Household, attrs map[string]string) bool) {
		dec := newDecoder()
		attrs := map[string]string{}
		stop := false
		// Without reuse: the report keeps strings of the profiles.
		_, scanErr = s.scan(ctx, 1, false, func(_ int, rows []store.ScreeningProfileRow) error {
			if stop {
				return nil
			}
			for _, r := range rows {
				ps, err := dec.decodeProfiles(r.Data)
				if err != nil {
					return senda.Wrap(err, "eligibility.profiles_sealed")
				}
				out.Households++
				attrs[AttrOffice] = r.Place
				for i := range ps {
					hh := profile.Household{}
					if ps[i].Household != nil {
						hh = *ps[i].Household
					}
					if !yield(r.HouseholdID+"/"+ps[i].ID, ps[i].Person, hh, attrs) {
						stop = true
						return nil
					}
				}
			}
			dec.reset()
			return nil
		})
	})
	if scanErr != nil {
		return nil, scanErr
	}
	out.Sample = []AffectedHousehold{}
	byID := map[string]*AffectedHousehold{}
	var order []string
	for _, a := range rep.Sample {
		hid, mid, _ := strings.Cut(a.ID, "/")
		ah := byID[hid]
		if ah == nil {
			ah = &AffectedHousehold{HouseholdID: hid}
			byID[hid] = ah
			order = append(order, hid)
		}
		ah.Members = append(ah.Members, AffectedMember{MemberID: mid, Changes: a.Changes})
	}
	rep.Sample = []policy.Affected{}
	out.Report = rep
	sort.Strings(order)
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		for _, hid := range order {
			ah := byID[hid]
			r, err := tx.Household(ctx, hid)
			if store.IsNotFound(err) {
				continue // erased meanwhile
			}
			if err != nil {
				return err
			}
			ah.Receipt, ah.Place = r.Receipt, r.Place
			if names && c.Scope.Contains(r.Place) {
				h, err := households.Open(s.Keys, r)
				if err != nil {
					return err
				}
				ah.Name = principalName(h)
				e := actor(c).Entry("household.read")
				e.RecordType, e.RecordID, e.Subject, e.Fields = "household", hid, subjectOf(r), []string{"members[0].given_names", "members[0].surnames"}
				if _, err := audit.Append(ctx, tx, e); err != nil {
					return err
				}
			}
			out.Sample = append(out.Sample, *ah)
		}
		e := actor(c).Entry("pack.what_if")
		e.RecordType, e.RecordID, e.Fields = "policy_pack", to.Version(), []string{"eligibility"}
		_, err := audit.Append(ctx, tx, e)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
