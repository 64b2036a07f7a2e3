package appointments

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/audit"
	"github.com/senda-platform/senda/internal/households"
	"github.com/senda-platform/senda/internal/store"
)

// Intake groups commits: requests wait in a queue and a writer commits as
// many as are waiting (up to IntakeBatch) in one transaction, so that one
// flush to disk acknowledges them all. A request is answered only after its
// transaction committed. When a transaction fails, its requests are retried
// one by one so that one bad request cannot sink the others.
//
// The transaction appends each accepted request to the intake journal and
// writes nothing else, so that a commit writes a few pages at the end of
// one table. The journal is folded into appointment_requests and the audit
// trail (see fold) when intake has been quiet for foldQuiet, before a
// household's requests are read or withdrawn, and when the window closes.

type intakeItem struct {
	ctx       context.Context
	c         Caller
	household string // as asked: empty for the caller's only household
	row       store.RequestRow
	subject   string
	zone      *time.Location
	done      chan struct{}

	version  int // of the household, as checked
	id       string
	replaced bool
	at       time.Time
	err      error
}

func (s *Service) startIntake() {
	s.intake = make(chan *intakeItem, 4*s.cfg.IntakeBatch)
	s.stop = make(chan struct{})
	for range s.cfg.IntakeWriters {
		s.wg.Add(1)
		go s.runIntake()
	}
}

func (s *Service) enqueue(ctx context.Context, it *intakeItem) error {
	s.intakeOnce.Do(s.startIntake)
	select {
	case s.intake <- it:
	case <-ctx.Done():
		return &senda.Error{Code: senda.CodeUnavailable, Key: "error.unavailable", Err: ctx.Err()}
	case <-s.stop:
		return &senda.Error{Code: senda.CodeUnavailable, Key: "error.unavailable"}
	}
	// Wait for the commit even if the caller gives up: the request may be
	// in the transaction already.
	<-it.done
	return nil
}

func (s *Service) runIntake() {
	defer s.wg.Done()
	batch := make([]*intakeItem, 0, s.cfg.IntakeBatch)
	timer := time.NewTimer(foldQuiet)
	defer timer.Stop()
	gather := time.NewTimer(s.cfg.IntakeGather)
	gather.Stop()
	busy := false
	var last time.Time // when the previous commit began
	for {
		// Armed only while this process has journaled rows to fold.
		var quiet <-chan time.Time
		if s.unfolded.Load() > 0 {
			timer.Reset(foldQuiet)
			quiet = timer.C
		}
		select {
		case <-quiet:
			s.foldQuietly()
			continue
		case it := <-s.intake:
			batch = append(batch[:0], it)
		case <-s.stop:
			for {
				select {
				case it := <-s.intake:
					it.err = &senda.Error{Code: senda.CodeUnavailable, Key: "error.unavailable"}
					close(it.done)
				default:
					return
				}
			}
		}
		busy = s.gather(&batch, busy, gather, last)
		last = time.Now()
		s.commitBatch(batch)
	}
}

// gather adds the requests waiting to batch, up to IntakeBatch. While
// requests arrive together (busy: the previous batch held more than one),
// it waits for more until IntakeGather after the previous commit began
// (last), so that a busy writer commits at most once per IntakeGather and
// one commit acknowledges many: a commit costs a flush to disk and a fixed
// share of processor time whatever it holds. Counting from the previous
// commit makes the wait adapt: when commits are quick it fills the rest of
// the period, and once a commit takes the whole period (the machine is
// saturated) the requests that queued meanwhile go at once. At a trickle a
// request is committed at once. It reports whether this batch holds more
// than one request.
func (s *Service) gather(batch *[]*intakeItem, busy bool, timer *time.Timer, last time.Time) bool {
	var until <-chan time.Time
	defer timer.Stop()
	for len(*batch) < s.cfg.IntakeBatch {
		select {
		case it := <-s.intake:
			*batch = append(*batch, it)
			continue
		default:
		}
		if !busy || s.cfg.IntakeGather < 0 {
			break
		}
		if until == nil {
			wait := time.Until(last.Add(s.cfg.IntakeGather))
			if wait <= 0 {
				break
			}
			timer.Reset(wait)
			until = timer.C
		}
		select {
		case it := <-s.intake:
			*batch = append(*batch, it)
		case <-until:
			return len(*batch) > 1
		case <-s.stop:
			return len(*batch) > 1
		}
	}
	return len(*batch) > 1
}

// commitBatch writes a batch in one transaction and wakes its requests.
func (s *Service) commitBatch(batch []*intakeItem) {
	live := batch[:0:0]
	for _, it := range batch {
		if it.ctx.Err() != nil {
			it.err = &senda.Error{Code: senda.CodeUnavailable, Key: "error.unavailable", Err: it.ctx.Err()}
			close(it.done)
			continue
		}
		live = append(live, it)
	}
	if len(live) == 0 {
		return
	}
	// Every writer takes row locks in the same order, so that two batches
	// (on this node or another) never wait on each other in a circle; the
	// stable sort keeps a household's later request after its earlier one.
	sort.SliceStable(live, func(i, j int) bool {
		a, b := live[i].row, live[j].row
		return a.ServiceDate < b.ServiceDate || a.ServiceDate == b.ServiceDate && a.HouseholdID < b.HouseholdID
	})
	ctx := context.Background()
	// Prepared outside the transaction: on SQLite the transaction holds the
	// only writer connection.
	stmts, err := s.intakeStatements()
	if err == nil && s.commitOpen(ctx, stmts, live) {
		return
	}
	if err == nil {
		err = s.writeInTransaction(ctx, stmts, live)
	}
	if err != nil && len(live) > 1 && stmts != nil {
		for _, it := range live {
			if err := s.writeInTransaction(ctx, stmts, []*intakeItem{it}); err != nil {
				it.err = err
			}
			close(it.done)
		}
		return
	}
	for _, it := range live {
		if err != nil {
			it.err = err
		}
		close(it.done)
	}
}

// writeInTransaction stores items with writeBatch in a transaction of its
// own.
func (s *Service) writeInTransaction(ctx context.Context, stmts *store.IntakeStatements, items []*intakeItem) error {
	start := time.Now()
	err := s.DB.Update(ctx, func(tx *store.Tx) error { return s.writeBatch(ctx, tx, stmts, items) })
	outcome := IntakeStored
	if err != nil {
		outcome = IntakeFailed
	}
	s.observe(IntakeTransaction, outcome, len(items), start)
	return err
}

// writeBatch checks the requests of a batch against their households and
// draws and appends those accepted to the intake journal. A request refused
// for a reason of its own gets its error and the batch goes on.
func (s *Service) writeBatch(ctx context.Context, tx *store.Tx, stmts *store.IntakeStatements, items []*intakeItem) error {
	open := map[string]bool{} // by date, once its draw is read
	var tr trail
	asking, err := s.check(ctx, tx.Now, items,
		func(named, owners []string) (map[string]store.IntakeHousehold, map[string][]store.IntakeHousehold, error) {
			return s.kept(tx.IntakeFacts(ctx, stmts, named, owners))
		},
		func(ids []string) (map[string]store.HouseholdRow, error) { return tx.HouseholdsByID(ctx, ids) })
	if err != nil {
		return err
	}
	var taking []*intakeItem
	for _, it := range asking {
		date := it.row.ServiceDate
		isOpen, read := open[date]
		if !read {
			d, err := s.drawForIntake(ctx, tx, stmts, date, &tr)
			if err != nil {
				return err
			}
			isOpen = d.OpenAt(tx.Now)
			open[date] = isOpen
			if isOpen {
				tx.OnCommit(func() { s.knowOpen(d) })
			}
		}
		if !isOpen {
			it.err = s.closedError(tx.Now, date, it.zone)
			continue
		}
		taking = append(taking, it)
	}
	// Sending again replaces the household's request for the date, under
	// its id: the latest one, in the journal or already folded.
	slots := make([]store.RequestSlot, len(taking))
	for i, it := range taking {
		slots[i] = store.RequestSlot{Date: it.row.ServiceDate, Household: it.row.HouseholdID}
	}
	known, err := tx.LiveRequestIDs(ctx, stmts, slots)
	if err != nil {
		return err
	}
	journal := make([]store.IntakeRow, len(taking))
	for i, it := range taking {
		if id, ok := known[slots[i]]; ok {
			it.row.ID, it.replaced = id, true
		}
		known[slots[i]] = it.row.ID
		it.id, it.at = it.row.ID, tx.Now
		journal[i] = journalRow(it)
	}
	if err := tx.AppendIntake(ctx, stmts, journal); err != nil {
		return err
	}
	tx.OnCommit(func() { s.unfolded.Add(int64(len(journal))) })
	// Only a draw created here leaves entries.
	return tr.flush(ctx, tx)
}

// How the intake writer stored a batch, and with what outcome (see
// Service.ObserveIntake).
const (
	// IntakeRemembered: one statement, on households remembered.
	IntakeRemembered = "remembered"
	// IntakeRead: the households read, then one statement.
	IntakeRead = "read"
	// IntakeTransaction: the writer's own transaction.
	IntakeTransaction = "transaction"

	// IntakeStored: stored (requests refused for reasons of their own
	// included).
	IntakeStored = "stored"
	// IntakeClosed: a draw was not open after all.
	IntakeClosed = "closed"
	// IntakeChanged: a household changed since it was remembered.
	IntakeChanged = "changed"
	// IntakeFailed: a statement failed.
	IntakeFailed = "failed"
)

// observe tells ObserveIntake of a batch begun at start.
func (s *Service) observe(path, outcome string, requests int, start time.Time) {
	if s.ObserveIntake != nil {
		s.ObserveIntake(path, outcome, requests, time.Since(start))
	}
}

// Actions of the audit entries of requests.
const (
	actionRequest = "appointment.request"
	actionReplace = "appointment.request.replace"
)

// journalRow is the journal row of an accepted request.
func journalRow(it *intakeItem) store.IntakeRow {
	action := actionRequest
	if it.replaced {
		action = actionReplace
	}
	a := actor(it.c)
	return store.IntakeRow{Request: it.row, Action: action, Subject: it.subject,
		ActorID: a.ID, ActorRole: a.Role, ActorScope: a.Scope, OnBehalfOf: a.OnBehalfOf, Remote: a.Remote, RequestID: a.RequestID}
}

// commitOpen stores a batch without a transaction of the writer's own: it
// checks the requests against their households, as remembered (see
// keepFacts) or else read, and stores those accepted with AppendIntakeOpen,
// which checks that their draws are still open and their households still
// as checked. On PostgreSQL that is one round trip, or two when a household
// must be read, where writeBatch's transaction takes six. It applies only
// while every draw the batch asks for is known open (see knowOpen); it
// reports false, having stored nothing, when one is not, when a household
// changed (it is then forgotten), or when a statement failed: the batch
// then goes through writeBatch, which creates draws, reads the households,
// refuses requests for closed draws and retries. (Should the store have
// committed a batch whose answer was lost, writeBatch stores each of its
// requests again as a replacement of itself, under the same id.)
func (s *Service) commitOpen(ctx context.Context, stmts *store.IntakeStatements, items []*intakeItem) bool {
	now, start := s.DB.Now(), time.Now()
	remembered, reread := false, false
	facts := func(named, owners []string) (map[string]store.IntakeHousehold, map[string][]store.IntakeHousehold, error) {
		if !reread {
			if byID, byOwner, ok := s.rememberedFacts(named, owners); ok {
				remembered = true
				return byID, byOwner, nil
			}
		}
		return s.kept(s.DB.IntakeFacts(ctx, stmts, named, owners))
	}
	read := func(ids []string) (rows map[string]store.HouseholdRow, err error) {
		err = s.DB.View(ctx, func(tx *store.Tx) error {
			rows, err = tx.HouseholdsByID(ctx, ids)
			return err
		})
		return rows, err
	}
	asking, err := s.check(ctx, now, items, facts, read)
	// A request is refused only on its household as read: the store checks
	// the remembered households of those accepted, not of those refused.
	if err == nil && remembered && len(asking) < len(items) {
		reread = true
		asking, err = s.check(ctx, now, items, facts, read)
	}
	path := IntakeRead
	if remembered && !reread {
		path = IntakeRemembered
	}
	if err != nil {
		s.observe(path, IntakeFailed, len(items), start)
		return false
	}
	dates := map[string]bool{}
	for _, it := range asking {
		if !s.knownOpen(it.row.ServiceDate, now) {
			return false
		}
		dates[it.row.ServiceDate] = true
	}
	// Households just read need no second look.
	journal := make([]store.IntakeRow, len(asking))
	var checks []store.HouseholdCheck
	if path == IntakeRemembered {
		checks = make([]store.HouseholdCheck, len(asking))
	}
	for i, it := range asking {
		journal[i] = journalRow(it)
		if checks != nil {
			checks[i].Version = it.version
			if it.household == "" {
				checks[i].OnlyOf = owner(it.c)
			}
		}
	}
	ids, replaced, err := s.DB.AppendIntakeOpen(ctx, stmts, now, actionReplace, journal, checks)
	if err != nil {
		outcome := IntakeFailed
		switch {
		case errors.Is(err, store.ErrIntakeClosed):
			s.forgetOpen(dates)
			outcome = IntakeClosed
		case errors.Is(err, store.ErrIntakeStale):
			s.forgetFacts(asking)
			outcome = IntakeChanged
		}
		s.observe(path, outcome, len(items), start)
		return false
	}
	for i, it := range asking {
		it.row.ID, it.replaced = ids[i], replaced[i]
		it.id, it.at = ids[i], now
	}
	s.unfolded.Add(int64(len(journal)))
	s.observe(path, IntakeStored, len(items), start)
	for _, it := range items {
		close(it.done)
	}
	return true
}

// check checks the requests of a batch against their households (read with
// facts) and eligibility (deciding with read where no decision is kept). It
// sets each refused request's error and returns the others, each with its
// household's id, size, registration time and audit subject.
func (s *Service) check(ctx context.Context, now time.Time, items []*intakeItem,
	facts func(named, owners []string) (map[string]store.IntakeHousehold, map[string][]store.IntakeHousehold, error),
	read func(ids []string) (map[string]store.HouseholdRow, error)) ([]*intakeItem, error) {
	var named, owners []string
	for _, it := range items {
		if it.household != "" {
			named = append(named, it.household)
		} else if own := owner(it.c); own != "" {
			owners = append(owners, own)
		}
	}
	byID, byOwner, err := facts(named, owners)
	if err != nil {
		return nil, err
	}
	found := make([]store.IntakeHousehold, len(items))
	var hs []store.HouseholdRow
	for i, it := range items {
		it.err, it.id, it.replaced = nil, "", false
		if found[i], it.err = s.admit(it, byID, byOwner); it.err == nil {
			hs = append(hs, found[i].HouseholdRow)
		}
	}
	verdicts, err := s.eligible(ctx, now, hs, read)
	if err != nil {
		return nil, err
	}
	var asking []*intakeItem
	for i, it := range items {
		if it.err != nil {
			continue
		}
		h := found[i]
		if v := verdicts[h.ID]; !v.ok {
			it.err = &senda.Error{Code: senda.CodeConflict, Key: "appointments.not_eligible", Args: map[string]any{"reasons": strings.Join(v.reasons, ", ")}}
			continue
		}
		it.row.HouseholdID, it.row.Size, it.row.RegisteredAt, it.version = h.ID, h.Size, h.CreatedAt.Truncate(time.Second), h.Version
		it.subject = subject(h.HouseholdRow)
		asking = append(asking, it)
	}
	return asking, nil
}

// kept remembers the households just read (see keepFacts) and passes them
// on.
func (s *Service) kept(byID map[string]store.IntakeHousehold, byOwner map[string][]store.IntakeHousehold, err error) (map[string]store.IntakeHousehold, map[string][]store.IntakeHousehold, error) {
	if err == nil {
		s.keepFacts(byID, byOwner)
	}
	return byID, byOwner, err
}

// keepFacts remembers households as read (those that hold no live
// appointment, without their documents; one that does is forgotten), and
// each owner's only household, so that commitOpen checks the next requests
// for them without reading them: AppendIntakeOpen then checks that they did
// not change since.
func (s *Service) keepFacts(byID map[string]store.IntakeHousehold, byOwner map[string][]store.IntakeHousehold) {
	var hs []store.HouseholdRow
	var held []string
	owners := map[string]string{}
	for _, h := range byID {
		if h.Held {
			held = append(held, h.ID)
		} else {
			hs = append(hs, h.HouseholdRow)
		}
	}
	for own, list := range byOwner {
		for _, h := range list {
			if h.Held {
				held = append(held, h.ID)
			}
		}
		if len(list) == 1 && !list[0].Held {
			hs = append(hs, list[0].HouseholdRow)
			owners[own] = list[0].ID
		}
	}
	s.keepHouseholds(hs, owners, held)
}

// keepHouseholds remembers households, without their documents, and the
// household each of owners asks for; it forgets the households drop.
func (s *Service) keepHouseholds(hs []store.HouseholdRow, owners map[string]string, drop []string) {
	s.verdictMu.Lock()
	defer s.verdictMu.Unlock()
	for _, id := range drop {
		delete(s.households, id)
	}
	if s.households == nil || len(s.households)+len(hs) > maxVerdicts {
		s.households = make(map[string]store.HouseholdRow)
	}
	for _, h := range hs {
		h.Data = nil
		s.households[h.ID] = h
	}
	if len(owners) > 0 && (s.owned == nil || len(s.owned)+len(owners) > maxVerdicts) {
		s.owned = make(map[string]string)
	}
	for own, id := range owners {
		s.owned[own] = id
	}
}

// rememberedFacts answers as IntakeFacts would, from the households kept
// (none of which held an appointment when read), provided that it holds
// every household named and the only household of every owner.
func (s *Service) rememberedFacts(named, owners []string) (byID map[string]store.IntakeHousehold, byOwner map[string][]store.IntakeHousehold, ok bool) {
	s.verdictMu.Lock()
	defer s.verdictMu.Unlock()
	byID, byOwner = make(map[string]store.IntakeHousehold, len(named)), make(map[string][]store.IntakeHousehold, len(owners))
	for _, id := range named {
		h, ok := s.households[id]
		if !ok {
			return nil, nil, false
		}
		byID[id] = store.IntakeHousehold{HouseholdRow: h}
	}
	for _, own := range owners {
		h, ok := s.households[s.owned[own]]
		if !ok || h.OwnerAccount != own {
			return nil, nil, false
		}
		byOwner[own] = []store.IntakeHousehold{{HouseholdRow: h}}
	}
	return byID, byOwner, true
}

// forgetFacts forgets the households of items, one of which changed since
// it was read, and which household their owners ask for.
func (s *Service) forgetFacts(items []*intakeItem) {
	s.verdictMu.Lock()
	defer s.verdictMu.Unlock()
	for _, it := range items {
		delete(s.households, it.row.HouseholdID)
		if it.household == "" {
			delete(s.owned, owner(it.c))
		}
	}
}

// knowOpen remembers a draw found open, for commitOpen.
func (s *Service) knowOpen(d store.DrawRow) {
	s.drawMu.Lock()
	defer s.drawMu.Unlock()
	if s.openDraws == nil {
		s.openDraws = map[string]store.DrawRow{}
	}
	s.openDraws[d.ServiceDate] = d
}

// knownOpen says whether the draw of date was found open, and is still by
// its times at now. A draw past its close is forgotten.
func (s *Service) knownOpen(date string, now time.Time) bool {
	s.drawMu.Lock()
	defer s.drawMu.Unlock()
	d, ok := s.openDraws[date]
	if ok && !now.Before(d.ClosesAt) {
		delete(s.openDraws, date)
	}
	return ok && d.OpenAt(now)
}

// forgetOpen forgets the draws of dates, one of which the store found not
// open.
func (s *Service) forgetOpen(dates map[string]bool) {
	s.drawMu.Lock()
	defer s.drawMu.Unlock()
	for date := range dates {
		delete(s.openDraws, date)
	}
}

// admit finds the household a request is for (the one named, or the
// caller's only household) among those the batch read, and checks that the
// caller acts for it and that it may ask: registered and holding no live
// appointment. (Eligibility is decided for the whole batch next.)
func (s *Service) admit(it *intakeItem, byID map[string]store.IntakeHousehold, byOwner map[string][]store.IntakeHousehold) (store.IntakeHousehold, error) {
	own := owner(it.c)
	var h store.IntakeHousehold
	if it.household == "" {
		list := byOwner[own]
		if own == "" || len(list) != 1 {
			return h, invalid("body.household_id", "appointments.household_required", nil)
		}
		h = list[0]
	} else {
		var ok bool
		// The helper's consent was checked before the request queued.
		if h, ok = byID[it.household]; !ok || own == "" || h.OwnerAccount != own {
			return h, notFound()
		}
	}
	if h.Status != "submitted" {
		return h, conflict("appointments.household_draft", nil)
	}
	// A household that holds an appointment waits until it is used or
	// given back. (Should one be committed next to this transaction, the
	// close leaves the request out of the draw.)
	if h.Held {
		return h, conflict("appointments.has_appointment", nil)
	}
	return h, nil
}

// verdict is an eligibility decision on one version of a household, on one
// day.
type verdict struct {
	version int
	day     string
	ok      bool
	reasons []string
}

// maxVerdicts bounds the eligibility decisions kept in memory.
const maxVerdicts = 100_000

// verdictOf returns the decision kept for a household, if it is for the
// day and for the household's version (any version when version is 0:
// households start at 1).
func (s *Service) verdictOf(id string, version int, day string) (verdict, bool) {
	s.verdictMu.Lock()
	defer s.verdictMu.Unlock()
	v, ok := s.verdicts[id]
	return v, ok && (version == 0 || v.version == version) && v.day == day
}

// keepVerdicts remembers decisions, and which household each owner asks
// for.
func (s *Service) keepVerdicts(vs map[string]verdict, owners map[string]string) {
	s.verdictMu.Lock()
	defer s.verdictMu.Unlock()
	if s.verdicts == nil || len(s.verdicts)+len(vs) > maxVerdicts {
		s.verdicts = make(map[string]verdict)
	}
	if s.owned == nil || len(s.owned)+len(owners) > maxVerdicts {
		s.owned = make(map[string]string)
	}
	for id, v := range vs {
		s.verdicts[id] = v
	}
	for own, id := range owners {
		s.owned[own] = id
	}
}

// decide opens a household's document and decides its eligibility.
func (s *Service) decide(ctx context.Context, row store.HouseholdRow, day string) (verdict, error) {
	doc, err := households.Open(s.Keys, row)
	if err != nil {
		return verdict{}, err
	}
	ok, reasons, err := s.Eligibility(ctx, doc)
	return verdict{version: row.Version, day: day, ok: ok, reasons: reasons}, err
}

// prepareVerdict decides, before a request queues, the eligibility of the
// household it is for, unless a decision for the day is kept: the first
// request of a household reads it (and answers not_found or
// household_required as the writer would).
func (s *Service) prepareVerdict(ctx context.Context, c Caller, id string, now time.Time) error {
	day := now.UTC().Format(time.DateOnly)
	known := id
	if known == "" {
		s.verdictMu.Lock()
		known = s.owned[owner(c)]
		s.verdictMu.Unlock()
	}
	if known != "" {
		if _, ok := s.verdictOf(known, 0, day); ok {
			return nil
		}
	}
	h, err := s.requester(ctx, c, id)
	if err != nil {
		return err
	}
	v, err := s.decide(ctx, h, day)
	if err != nil {
		return err
	}
	var owners map[string]string
	if id == "" {
		owners = map[string]string{owner(c): h.ID}
	}
	s.keepVerdicts(map[string]verdict{h.ID: v}, owners)
	s.keepHouseholds([]store.HouseholdRow{h}, nil, nil)
	return nil
}

// eligible decides whether each of the households may request
// appointments. Decisions are kept for the household's version and the
// day (the request path makes them, in parallel); the documents of
// households without a current one are read here, in one statement.
func (s *Service) eligible(ctx context.Context, now time.Time, hs []store.HouseholdRow, read func(ids []string) (map[string]store.HouseholdRow, error)) (map[string]verdict, error) {
	day := now.UTC().Format(time.DateOnly)
	out := make(map[string]verdict, len(hs))
	var open []string
	for _, h := range hs {
		if v, ok := s.verdictOf(h.ID, h.Version, day); ok {
			out[h.ID] = v
		} else {
			open = append(open, h.ID)
		}
	}
	if len(open) == 0 {
		return out, nil
	}
	rows, err := read(open)
	if err != nil {
		return nil, err
	}
	made := make(map[string]verdict, len(rows))
	for _, row := range rows {
		v, err := s.decide(ctx, row, day)
		if err != nil {
			return nil, err
		}
		out[row.ID], made[row.ID] = v, v
	}
	s.keepVerdicts(made, nil)
	return out, nil
}

// intakeStatements returns the intake's prepared statements (prepared by
// New, released by Close).
func (s *Service) intakeStatements() (*store.IntakeStatements, error) {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if s.stmts == nil {
		return nil, &senda.Error{Code: senda.CodeUnavailable, Key: "error.unavailable"}
	}
	return s.stmts, nil
}

// drawForIntake returns the draw of a date, creating it (and its
// commitment) if the scheduled job has not, and holds a share lock on it on
// PostgreSQL so that the close waits for this transaction.
func (s *Service) drawForIntake(ctx context.Context, tx *store.Tx, stmts *store.IntakeStatements, date string, tr *trail) (store.DrawRow, error) {
	d, err := tx.IntakeDraw(ctx, stmts, date)
	if store.IsNotFound(err) {
		if err := s.insertDraw(ctx, tx, date, tr); err != nil {
			return d, err
		}
		d, err = tx.IntakeDraw(ctx, stmts, date)
	}
	return d, err
}

// Folding the intake journal.
const (
	// foldQuiet is how long intake stays quiet before a writer folds the
	// journal.
	foldQuiet = 500 * time.Millisecond
	// foldChunk bounds the journal rows one statement takes (and memory
	// holds); a quiet fold commits each chunk on its own and stops as soon
	// as a request waits.
	foldChunk = 2000
)

// fold moves rows of the intake journal (all of them, or household's) into
// appointment_requests and the audit trail, in commit order, inside tx; at
// most about limit rows when limit > 0. It returns how many it moved. Each
// audit entry keeps the time its request was made.
func (s *Service) fold(ctx context.Context, tx *store.Tx, household string, limit int) (int, error) {
	stmts, err := s.intakeStatements()
	if err != nil {
		return 0, err
	}
	moved := 0
	for limit <= 0 || moved < limit {
		rows, err := tx.TakeIntake(ctx, household, foldChunk)
		if err != nil || len(rows) == 0 {
			return moved, err
		}
		reqs := make([]store.RequestRow, len(rows))
		entries := make([]audit.Entry, len(rows))
		for i, r := range rows {
			reqs[i] = r.Request
			entries[i] = audit.Entry{At: r.At, ActorID: r.ActorID, ActorRole: r.ActorRole, ActorScope: r.ActorScope, OnBehalfOf: r.OnBehalfOf,
				Action: r.Action, RecordType: "appointment_request", RecordID: r.Request.ID, Subject: r.Subject,
				Fields: []string{"preferences", "size"}, Remote: r.Remote, RequestID: r.RequestID}
		}
		if _, _, err := tx.UpsertRequests(ctx, stmts, reqs); err != nil {
			return moved, err
		}
		if _, err := audit.AppendMany(ctx, tx, entries); err != nil {
			return moved, err
		}
		moved += len(rows)
		if len(rows) < foldChunk {
			return moved, nil
		}
	}
	return moved, nil
}

// Settle folds the whole intake journal, so that appointment_requests and
// the audit trail hold every request made so far.
func (s *Service) Settle(ctx context.Context) error {
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		_, err := s.fold(ctx, tx, "", 0)
		return err
	})
	if err == nil {
		s.unfolded.Store(0)
	}
	return err
}

// settleHousehold folds a household's rows of the journal.
func (s *Service) settleHousehold(ctx context.Context, tx *store.Tx, household string) error {
	_, err := s.fold(ctx, tx, household, 0)
	return err
}

// foldQuietly folds the journal a chunk per transaction while no request
// waits.
func (s *Service) foldQuietly() {
	ctx := context.Background()
	for len(s.intake) == 0 {
		var moved int
		err := s.DB.Update(ctx, func(tx *store.Tx) (err error) {
			moved, err = s.fold(ctx, tx, "", foldChunk)
			return err
		})
		if err != nil {
			s.Log.Warn("appointments: fold the intake journal", "error", err)
			return
		}
		if moved < foldChunk {
			s.unfolded.Store(0)
			return
		}
	}
}
