package appointments

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/draw"
	"github.com/senda-platform/senda/internal/store"
)

// The draw of a service date goes through four statuses, each step its own
// transaction and each guarded by the status before it, so that a step runs
// once however often and wherever it is triggered:
//
//	open       the seed is drawn and sealed; its commitment is public
//	closed     the window closed: slots and requests are frozen and the
//	           requests root is public
//	drawn      the beacon (if any) is recorded and the allocation, the
//	           appointments and the slot counts are written in one
//	           transaction
//	published  the seed is revealed: anyone can recompute the draw

// DrawInfo is the state of a draw, without personal data.
type DrawInfo struct {
	ServiceDate     string       `json:"service_date"`
	Status          string       `json:"status" enum:"open,closed,drawn,published"`
	Commitment      string       `json:"commitment" doc:"Hex SHA-256 of the secret seed, published before the window opened"`
	OpensAt         time.Time    `json:"opens_at"`
	ClosesAt        time.Time    `json:"closes_at"`
	PriorityShareBP int          `json:"priority_share_bp"`
	RequestsRoot    string       `json:"requests_root,omitempty" doc:"Fixes the list of requests; published at the close"`
	Requests        int          `json:"requests"`
	Beacon          *draw.Beacon `json:"beacon,omitempty"`
	BeaconNote      string       `json:"beacon_note,omitempty" doc:"Why there is no beacon, when there is none"`
	Guarantee       string       `json:"guarantee" enum:"pending,seed_and_beacon,seed_only" doc:"seed_only: the draw rests on the secrecy of the seed alone"`
	Allocations     int          `json:"allocations"`
	Seed            string       `json:"seed,omitempty" doc:"Revealed after the draw"`
	ClosedAt        *time.Time   `json:"closed_at,omitempty"`
	DrawnAt         *time.Time   `json:"drawn_at,omitempty"`
	PublishedAt     *time.Time   `json:"published_at,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func drawInfo(d store.DrawRow) DrawInfo {
	out := DrawInfo{ServiceDate: d.ServiceDate, Status: d.Status, Commitment: d.Commitment, OpensAt: d.OpensAt, ClosesAt: d.ClosesAt,
		PriorityShareBP: d.PriorityShareBP, RequestsRoot: d.RequestsRoot, Requests: d.RequestCount, BeaconNote: d.BeaconNote,
		Allocations: d.AllocationCount, ClosedAt: timePtr(d.ClosedAt), DrawnAt: timePtr(d.DrawnAt), PublishedAt: timePtr(d.PublishedAt), Guarantee: "pending"}
	if d.BeaconValue != "" {
		out.Beacon = &draw.Beacon{Source: d.BeaconSource, Round: d.BeaconRound, Value: d.BeaconValue}
		out.Guarantee = "seed_and_beacon"
	} else if d.BeaconNote != "" {
		out.Guarantee = "seed_only"
	}
	if d.Status == "published" {
		out.Seed = d.RevealedSeed
	}
	return out
}

func seedPlace(date string) string { return "draws.seed/" + date }

// insertDraw draws the secret seed of a date and stores it sealed with its
// commitment, unless the draw exists.
func (s *Service) insertDraw(ctx context.Context, tx *store.Tx, date string, tr *trail) error {
	seed := make([]byte, 32)
	if _, err := rand.Read(seed); err != nil {
		return senda.Wrap(err, "appointments.seed")
	}
	opens, closes := s.window.bounds(date)
	created, err := tx.InsertDraw(ctx, store.DrawRow{ServiceDate: date, Commitment: draw.Commitment(seed), Seed: s.Keys.Seal(seed, seedPlace(date)),
		OpensAt: opens, ClosesAt: closes, PriorityShareBP: s.cfg.PriorityShareBP})
	if err != nil || !created {
		return err
	}
	if err := s.queueClose(ctx, tx, date); err != nil {
		return err
	}
	tr.add(System, "draw.commit", "draw", date, "", "commitment")
	return nil
}

// CommitDraw draws the seed of a date and publishes its commitment; a draw that
// exists is left as it is.
func (s *Service) CommitDraw(ctx context.Context, date string) (DrawInfo, error) {
	if _, err := ParseDate(date); err != nil {
		return DrawInfo{}, err
	}
	var d store.DrawRow
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		var tr trail
		if err := s.insertDraw(ctx, tx, date, &tr); err != nil {
			return err
		}
		var err error
		if d, err = tx.Draw(ctx, date, ""); err != nil {
			return err
		}
		return tr.flush(ctx, tx)
	})
	return drawInfo(d), err
}

// Draw returns the state of the draw of a date.
func (s *Service) Draw(ctx context.Context, date string) (DrawInfo, error) {
	if _, err := ParseDate(date); err != nil {
		return DrawInfo{}, invalid("path.service_date", "validation.date", nil)
	}
	var d store.DrawRow
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		d, err = tx.Draw(ctx, date, "")
		if store.IsNotFound(err) {
			return notFound()
		}
		return err
	})
	return drawInfo(d), err
}

// Draws lists the draws between two dates, newest first.
func (s *Service) Draws(ctx context.Context, from, to string) ([]DrawInfo, error) {
	out := []DrawInfo{}
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		ds, err := tx.Draws(ctx, from, to)
		for _, d := range ds {
			out = append(out, drawInfo(d))
		}
		return err
	})
	return out, err
}

var errNotDue = &senda.Error{Code: senda.CodeConflict, Key: "appointments.draw_not_due"}

// CloseDraw freezes the slots and requests of a date once its window has
// closed, and publishes the requests root. Free seats of the date, and
// seats released from earlier draws that start late enough, are held for
// this draw. It reports whether it closed the draw now (false: it was
// closed before).
func (s *Service) CloseDraw(ctx context.Context, c Caller, date string) (bool, error) {
	closed := false
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		var tr trail
		d, err := tx.Draw(ctx, date, "update")
		if store.IsNotFound(err) {
			if err := s.insertDraw(ctx, tx, date, &tr); err != nil {
				return err
			}
			d, err = tx.Draw(ctx, date, "update")
		}
		if err != nil {
			return err
		}
		if d.Status != "open" {
			return tr.flush(ctx, tx)
		}
		if tx.Now.Before(d.ClosesAt) {
			return errNotDue
		}
		// Every request of the window, journaled or folded, is in.
		if _, err := s.fold(ctx, tx, "", 0); err != nil {
			return err
		}
		if err := s.layOut(ctx, tx, date); err != nil {
			return err
		}
		if _, err := tx.ExcludeHeldRequests(ctx, date); err != nil {
			return err
		}
		if err := s.freezeSlots(ctx, tx, date); err != nil {
			return err
		}
		root, n, err := s.freezeRequests(ctx, tx, date)
		if err != nil {
			return err
		}
		ok, err := tx.SetDrawStatus(ctx, date, "open", "closed", map[string]any{"requests_root": root, "request_count": n})
		if err != nil || !ok {
			return err
		}
		if s.cfg.Beacon == nil {
			if err := tx.SetDrawBeacon(ctx, date, "", 0, "", "no beacon configured"); err != nil {
				return err
			}
		}
		closed = true
		tr.add(c, "draw.close", "draw", date, "", "requests_root", "slots")
		return tr.flush(ctx, tx)
	})
	return closed, err
}

// freezeSlots holds the free seats of the draw's slots and writes them in
// record order: the date's own slots by location and start, then seats
// released from earlier draws by start.
func (s *Service) freezeSlots(ctx context.Context, tx *store.Tx, date string) error {
	own, err := tx.SlotsOn(ctx, date, "")
	if err != nil {
		return err
	}
	again, err := tx.FreeSlotsFrom(ctx, tx.Now.Add(s.cfg.MinNotice), date)
	if err != nil {
		return err
	}
	pos := 0
	for _, sl := range append(own, again...) {
		if sl.ClosureID != "" || sl.Free() <= 0 {
			continue
		}
		held, err := tx.HoldSlot(ctx, sl.Location, sl.Start, date)
		if err != nil {
			return err
		}
		if held <= 0 {
			continue
		}
		if err := tx.InsertDrawSlot(ctx, date, store.DrawSlotRow{Position: pos, Location: sl.Location, Start: sl.Start, Capacity: held}); err != nil {
			return err
		}
		pos++
	}
	return nil
}

// freezeRequests writes the live requests of a date, in id order, as the
// draw's snapshot and returns their root and count.
func (s *Service) freezeRequests(ctx context.Context, tx *store.Tx, date string) (string, int, error) {
	var f frozen
	err := tx.EachRequest(ctx, date, "live", func(r store.RequestRow) error {
		f.reqs = append(f.reqs, draw.Request{ID: r.ID, Size: r.Size, RegisteredAt: r.RegisteredAt.Truncate(time.Second).UTC(), Preferences: strings.Split(r.Preferences, ",")})
		f.households = append(f.households, r.HouseholdID)
		return nil
	})
	if err != nil {
		return "", 0, err
	}
	order := make([]int, len(f.reqs))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return f.reqs[order[a]].ID < f.reqs[order[b]].ID })
	var sorted frozen
	for k, i := range order {
		// Ids are 128 random bits; should two ever meet, the later one is
		// left out of the draw rather than break it.
		if k > 0 && f.reqs[i].ID == sorted.reqs[len(sorted.reqs)-1].ID {
			if _, err := tx.SetRequestStatus(ctx, date, f.households[i], "live", "void"); err != nil {
				return "", 0, err
			}
			continue
		}
		sorted.reqs = append(sorted.reqs, f.reqs[i])
		sorted.households = append(sorted.households, f.households[i])
	}
	for c := 0; c*chunkSize < len(sorted.reqs); c++ {
		end := min((c+1)*chunkSize, len(sorted.reqs))
		if err := tx.InsertDrawChunk(ctx, date, c, encodeChunk(sorted.reqs[c*chunkSize:end], sorted.households[c*chunkSize:end])); err != nil {
			return "", 0, err
		}
	}
	return draw.RequestsRoot(sorted.reqs), len(sorted.reqs), nil
}

// loadDraw reads what a draw was frozen with. Chunks are decoded on
// another goroutine while the next ones are read.
func loadDraw(ctx context.Context, tx *store.Tx, date string, count int) ([]draw.Slot, *frozen, error) {
	rows, err := tx.DrawSlots(ctx, date)
	if err != nil {
		return nil, nil, err
	}
	slots := make([]draw.Slot, len(rows))
	for i, r := range rows {
		slots[i] = draw.Slot{Location: r.Location, Start: r.Start, Capacity: r.Capacity}
	}
	f := newFrozen(count)
	type job struct {
		at    int
		chunk string
	}
	jobs := make(chan job, 4)
	done := make(chan error, 1)
	n := 0
	go func() {
		var first error
		for j := range jobs {
			if first != nil {
				continue
			}
			end := min(j.at+chunkSize, count)
			k, err := decodeChunk(j.chunk, f.reqs[j.at:end], f.households[j.at:end])
			if err == nil && k != end-j.at {
				err = errChunk
			}
			first = err
		}
		done <- first
	}()
	err = tx.DrawChunks(ctx, date, func(b []byte) error {
		if n >= count {
			return errChunk
		}
		jobs <- job{at: n, chunk: string(b)}
		n += chunkSize
		return nil
	})
	close(jobs)
	if derr := <-done; err == nil {
		err = derr
	}
	if err == nil && (n < count || n-chunkSize >= count && count > 0) {
		err = errChunk
	}
	return slots, f, err
}

// errBeaconPending means the beacon has not produced its value yet.
var errBeaconPending = &senda.Error{Code: senda.CodeUnavailable, Key: "appointments.beacon_pending", Args: map[string]any{"retry_after": 5}}

// settleBeacon records the beacon value produced after the close, or, once
// BeaconTimeout has passed, that there is none.
func (s *Service) settleBeacon(ctx context.Context, d store.DrawRow) error {
	if d.BeaconValue != "" || d.BeaconNote != "" {
		return nil
	}
	if s.cfg.Beacon == nil {
		return s.DB.Update(ctx, func(tx *store.Tx) error {
			return tx.SetDrawBeacon(ctx, d.ServiceDate, "", 0, "", "no beacon configured")
		})
	}
	b, err := s.cfg.Beacon.After(ctx, d.ClosesAt)
	if err == nil {
		err = checkBeacon(b)
	}
	now := s.DB.Now()
	if err != nil && now.Before(d.ClosesAt.Add(s.cfg.BeaconTimeout)) {
		s.Log.Warn("draw beacon not available yet", "service_date", d.ServiceDate, "err", err)
		return errBeaconPending
	}
	return s.DB.Update(ctx, func(tx *store.Tx) error {
		if err != nil {
			return tx.SetDrawBeacon(ctx, d.ServiceDate, "", 0, "", "beacon unavailable: "+string(senda.ErrorCode(err)))
		}
		return tx.SetDrawBeacon(ctx, d.ServiceDate, b.Source, b.Round, b.Value, "")
	})
}

func checkBeacon(b draw.Beacon) error {
	_, err := hex.DecodeString(b.Value)
	if err != nil || b.Value == "" || len(b.Value) > 1024 || strings.ToLower(b.Value) != b.Value || b.Source == "" || len(b.Source) > 256 || b.Round < 0 || b.Round > 1<<53-1 {
		return &senda.Error{Code: senda.CodeUnavailable, Key: "appointments.beacon_invalid", Err: fmt.Errorf("beacon value not usable")}
	}
	return nil
}

// RunDraw draws a closed date: it records the beacon, computes the allocation
// from the frozen inputs and writes the allocations, the appointments and
// the slot counts in one transaction, guarded by the draw's status, so the
// draw runs exactly once and a crash leaves nothing half written. It
// reports whether it ran the draw now.
func (s *Service) RunDraw(ctx context.Context, c Caller, date string) (bool, error) {
	var d store.DrawRow
	err := s.DB.View(ctx, func(tx *store.Tx) (err error) {
		d, err = tx.Draw(ctx, date, "")
		return err
	})
	if store.IsNotFound(err) {
		return false, notFound()
	}
	if err != nil {
		return false, err
	}
	switch d.Status {
	case "open":
		return false, errNotDue
	case "drawn", "published":
		return false, nil
	}
	if err := s.settleBeacon(ctx, d); err != nil {
		return false, err
	}
	var slots []draw.Slot
	var f *frozen
	err = s.DB.View(ctx, func(tx *store.Tx) (err error) {
		if d, err = tx.Draw(ctx, date, ""); err != nil {
			return err
		}
		slots, f, err = loadDraw(ctx, tx, date, d.RequestCount)
		return err
	})
	if err != nil {
		return false, err
	}
	if d.Status != "closed" {
		return false, nil
	}
	allocs, err := s.allocate(d, slots, f)
	if err != nil {
		return false, err
	}
	ran := false
	err = s.DB.Update(ctx, func(tx *store.Tx) error {
		var err error
		ran, err = s.writeDraw(ctx, tx, c, date, f, allocs)
		return err
	})
	return ran, err
}

// allocate computes the allocation of a draw from its frozen inputs.
func (s *Service) allocate(d store.DrawRow, slots []draw.Slot, f *frozen) ([]draw.Allocation, error) {
	seed, err := s.Keys.Open(d.Seed, seedPlace(d.ServiceDate))
	if err != nil {
		return nil, senda.Wrap(err, "appointments.seed_sealed")
	}
	root, err := hex.DecodeString(d.RequestsRoot)
	if err != nil {
		return nil, senda.Wrap(err, "appointments.requests_root")
	}
	var beacon []byte
	if d.BeaconValue != "" {
		beacon, _ = hex.DecodeString(d.BeaconValue)
	}
	return draw.Allocate(slots, f.reqs, draw.LotteryKey(seed, root, beacon), d.PriorityShareBP), nil
}

// writeDraw writes a computed draw, if nobody did it first: the
// allocations, one appointment per allocation (in batches), the seats they
// take and the requests' outcomes, with the draw's audit entry. The message
// to each household and its own audit entry follow in Announce.
func (s *Service) writeDraw(ctx context.Context, tx *store.Tx, c Caller, date string, f *frozen, allocs []draw.Allocation) (bool, error) {
	ok, err := tx.SetDrawStatus(ctx, date, "closed", "drawn", map[string]any{"allocation_count": len(allocs)})
	if err != nil || !ok {
		return false, err
	}
	// Find the allocated requests in the snapshot: one pass, no index.
	at := make(map[string]int, len(allocs))
	for i, a := range allocs {
		at[a.Request] = i
	}
	idx := make([]int, len(allocs))
	for i := range f.reqs {
		if k, ok := at[f.reqs[i].ID]; ok {
			idx[k] = i
		}
	}
	rows := make([]store.DrawAllocationRow, len(allocs))
	hhs := make([]string, len(allocs))
	for k, a := range allocs {
		rows[k] = store.DrawAllocationRow{Position: k, RequestID: a.Request, Location: a.Location, Start: a.Start, Phase: string(a.Phase)}
		hhs[k] = f.households[idx[k]]
	}
	if err := tx.InsertDrawAllocations(ctx, date, rows); err != nil {
		return false, err
	}
	// A household that came to hold another live appointment since it
	// asked keeps that one: its allocation stays in the record and its
	// seat goes back to the pool. The unique index finds them below.
	live := map[string]bool{}
	deadline := tx.Now.Add(s.cfg.ConfirmWindow)
	var appts []store.AppointmentRow
	var voided []string
	for k, a := range allocs {
		hh := hhs[k]
		if live[hh] {
			voided = append(voided, hh)
			continue
		}
		live[hh] = true
		r := &f.reqs[idx[k]]
		appts = append(appts, store.AppointmentRow{ID: store.NewID(), Code: NewCode(), HouseholdID: hh, RequestID: r.ID, DrawDate: date, Position: k,
			Phase: string(a.Phase), ServiceDate: a.Start.In(zoneOf(a.Location)).Format(DateLayout), Location: a.Location, Start: a.Start,
			Size: r.Size, Preferences: strings.Join(r.Preferences, ","), Status: "allocated", ConfirmBy: minTime(deadline, a.Start), Challenge: newChallenge()})
	}
	stored, err := tx.InsertAppointments(ctx, appts)
	if err != nil {
		return false, err
	}
	placed := appts[:0]
next:
	for _, a := range appts {
		// Not stored: its code was taken (one in a trillion: draw another)
		// or its household got a live appointment meanwhile.
		for !stored[a.ID] {
			held, err := tx.HasAppointment(ctx, a.HouseholdID, "allocated", "confirmed")
			if err != nil {
				return false, err
			}
			if held {
				voided = append(voided, a.HouseholdID)
				continue next
			}
			a.Code = NewCode()
			if stored[a.ID], err = tx.InsertAppointment(ctx, a); err != nil {
				return false, err
			}
		}
		placed = append(placed, a)
	}
	type slotKey struct {
		loc string
		at  int64
	}
	use := map[slotKey]int{}
	for _, a := range placed {
		use[slotKey{a.Location, store.Micros(a.Start)}] += a.Size
	}
	uses := make([]store.SlotUse, 0, len(use))
	for k, n := range use {
		uses = append(uses, store.SlotUse{Location: k.loc, Start: store.FromMicros(k.at), Persons: n})
	}
	if err := tx.UseHeldMany(ctx, date, uses); err != nil {
		return false, err
	}
	if err := tx.SetRequestsStatus(ctx, date, voided, "live", "void"); err != nil {
		return false, err
	}
	if err := tx.ReleaseHolds(ctx, date); err != nil {
		return false, err
	}
	var tr trail
	// A closure that came after the close may have suspended slots the
	// draw filled: those appointments move now, in the same transaction.
	if _, err := s.relocateDraw(ctx, tx, c, date, &tr); err != nil {
		return false, err
	}
	if err := s.afterDraw(ctx, tx, date); err != nil {
		return false, err
	}
	// Each household is told, and its own audit entry written, by a job
	// the transaction queues: the draw's write stays short.
	if _, err := tx.EnqueueJob(ctx, store.Job{Kind: JobAnnounce, Payload: payload(date), UniqueKey: JobAnnounce + ":" + date, MaxAttempts: 50}); err != nil {
		return false, err
	}
	tr.add(c, "draw.run", "draw", date, "", "allocations")
	return true, tr.flush(ctx, tx)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// subjectOf returns the audit subject of a household id.
func (s *Service) subjectOf(ctx context.Context, tx *store.Tx, householdID string) string {
	h, err := tx.Household(ctx, householdID)
	if err != nil {
		return householdID
	}
	return subject(h)
}

// Announce tells each household its draw placed, in its language, and
// records the allocation in the household's audit trail, once per
// appointment (in batches, each its own transaction). It returns how many
// it announced.
func (s *Service) Announce(ctx context.Context, date string) (int, error) {
	n := 0
	for {
		var batch int
		err := s.DB.Update(ctx, func(tx *store.Tx) error {
			list, err := tx.Unannounced(ctx, date, 200)
			if err != nil {
				return err
			}
			batch = len(list)
			ids := make([]string, len(list))
			for i, a := range list {
				ids[i] = a.HouseholdID
			}
			known, err := tx.HouseholdsByID(ctx, ids)
			if err != nil {
				return err
			}
			var tr trail
			for _, a := range list {
				if ok, err := tx.MarkAnnounced(ctx, a.ID); err != nil || !ok {
					if err != nil {
						return err
					}
					continue
				}
				subj := a.HouseholdID
				if h, ok := known[a.HouseholdID]; ok {
					subj = subject(h)
					if a.Status == "allocated" {
						params := slotParams("", a.Location, a.Start)
						params["code"], params["confirm_by"] = FormatCode(a.Code), a.ConfirmBy.In(zoneOf(a.Location)).Format("2006-01-02 15:04")
						if _, err := s.notifyHousehold(ctx, tx, h, "appointments.msg.allocated", params); err != nil {
							return err
						}
					}
				}
				tr.add(System, "appointment.allocate", "appointment", a.ID, subj, "location", "start", "status")
			}
			return tr.flush(ctx, tx)
		})
		if err != nil {
			return n, err
		}
		n += batch
		if batch < 200 {
			return n, nil
		}
	}
}

// PublishDraw reveals the seed of a drawn date. It reports whether it did now.
func (s *Service) PublishDraw(ctx context.Context, c Caller, date string) (bool, error) {
	done := false
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		d, err := tx.Draw(ctx, date, "update")
		if err != nil {
			return err
		}
		if d.Status != "drawn" {
			return nil
		}
		seed, err := s.Keys.Open(d.Seed, seedPlace(date))
		if err != nil {
			return senda.Wrap(err, "appointments.seed_sealed")
		}
		ok, err := tx.SetDrawStatus(ctx, date, "drawn", "published", map[string]any{"revealed_seed": hex.EncodeToString(seed)})
		if err != nil || !ok {
			return err
		}
		done = true
		return record(ctx, tx, c, "draw.publish", "draw", date, "", "seed")
	})
	return done, err
}

// Execute runs every step of a date's draw that is due now: commitment,
// close, beacon, draw, publication, announcements. Running it again does
// nothing more.
func (s *Service) Execute(ctx context.Context, c Caller, date string) (DrawInfo, error) {
	if _, err := ParseDate(date); err != nil {
		return DrawInfo{}, err
	}
	info, err := s.CommitDraw(ctx, date)
	if err != nil {
		return info, err
	}
	if s.DB.Now().Before(info.ClosesAt) {
		return info, nil
	}
	if _, err := s.CloseDraw(ctx, c, date); err != nil {
		return info, err
	}
	if _, err := s.RunDraw(ctx, c, date); err != nil {
		return info, err
	}
	if _, err := s.PublishDraw(ctx, c, date); err != nil {
		return info, err
	}
	if _, err := s.Announce(ctx, date); err != nil {
		return info, err
	}
	return s.Draw(ctx, date)
}

// Record returns the public draw record of a date in the senda-draw/1
// format: before the close only the commitment, after the close the frozen
// slots and requests with their root (without the seed), and once
// published the whole record, which draw.Verify and senda draw verify
// check.
func (s *Service) Record(ctx context.Context, date string) ([]byte, DrawInfo, error) {
	info, err := s.Draw(ctx, date)
	if err != nil {
		return nil, info, err
	}
	if info.Status == "published" {
		s.recMu.Lock()
		b, ok := s.records[date]
		s.recMu.Unlock()
		if ok {
			return b, info, nil
		}
	}
	if info.Status == "open" {
		var b bytes.Buffer
		fmt.Fprintf(&b, "{\n  \"format\": %q,\n  \"service_date\": %q,\n  \"commitment\": %q\n}\n", draw.FormatV1, date, info.Commitment)
		return b.Bytes(), info, nil
	}
	rec := &draw.Record{Format: draw.FormatV1, ServiceDate: date, Commitment: info.Commitment, RequestsRoot: info.RequestsRoot,
		Beacon: info.Beacon, PriorityShareBP: info.PriorityShareBP}
	err = s.DB.View(ctx, func(tx *store.Tx) error {
		slots, f, err := loadDraw(ctx, tx, date, info.Requests)
		if err != nil {
			return err
		}
		rec.Slots, rec.Requests = slots, f.reqs
		if rec.Slots == nil {
			rec.Slots = []draw.Slot{}
		}
		if rec.Requests == nil {
			rec.Requests = []draw.Request{}
		}
		if info.Status != "published" {
			return nil
		}
		rows, err := tx.DrawAllocations(ctx, date)
		rec.Allocations = make([]draw.Allocation, len(rows))
		for i, r := range rows {
			rec.Allocations[i] = draw.Allocation{Request: r.RequestID, Location: r.Location, Start: r.Start, Phase: draw.Phase(r.Phase)}
		}
		rec.Seed = info.Seed
		return err
	})
	if err != nil {
		return nil, info, err
	}
	var b bytes.Buffer
	if err := draw.Encode(&b, rec); err != nil {
		return nil, info, senda.Wrap(err, "appointments.record")
	}
	out := b.Bytes()
	if info.Status != "published" {
		// Before the reveal the record has no seed.
		out = bytes.Replace(out, []byte(",\n  \"seed\": \"\""), nil, 1)
		return out, info, nil
	}
	s.recMu.Lock()
	if len(s.records) >= 8 {
		for k := range s.records {
			delete(s.records, k)
			break
		}
	}
	s.records[date] = out
	s.recMu.Unlock()
	return out, info, nil
}
