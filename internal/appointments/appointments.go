// Package appointments runs Senda's appointments at ports of entry and
// offices: capacity (weekly templates, date overrides, closures), the daily
// request window, the draw of docs/draw/SPEC.md run for real (commitment
// before the window, requests root at the close, optional public beacon,
// allocation in one transaction, then the seed revealed), confirmation with
// pluggable checks, signed passes, calendar files, moves after closures and
// check-in at the port. Every change is audited in the transaction that
// makes it. docs/appointments.md describes the rules.
package appointments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/draw"
	"github.com/senda-platform/senda/household"
	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/audit"
	"github.com/senda-platform/senda/internal/households"
	"github.com/senda-platform/senda/internal/jobs"
	"github.com/senda-platform/senda/internal/seal"
	"github.com/senda-platform/senda/internal/store"
)

// Config sets the rules of the appointment programme. Default gives the
// values of docs/appointments.md; New validates it.
type Config struct {
	// WindowZone is the time zone of the request window (IANA name).
	WindowZone string
	// WindowOpens and WindowCloses are local clock times ("12:00",
	// "23:59") on the request date; requests are taken from the opening
	// instant up to, not including, the closing instant.
	WindowOpens, WindowCloses string
	// LeadDays is how many days after the request date the service date is.
	LeadDays int
	// PriorityShareBP is the share of capacity, in basis points, of the
	// priority phase of the draw.
	PriorityShareBP int
	// ConfirmWindow is how long after the draw an allocated household has
	// to confirm (never past the appointment's start).
	ConfirmWindow time.Duration
	// ExpireAfter is how long after its start a confirmed appointment
	// nobody checked in or marked stops counting as live, so that its
	// household may ask again.
	ExpireAfter time.Duration
	// CommitLead is how long before the window opens the seed is drawn and
	// its commitment published.
	CommitLead time.Duration
	// MinNotice is the least time between a draw and a released seat it
	// offers again.
	MinNotice time.Duration
	// MoveHorizonDays bounds how many later dates a move after a closure
	// looks at.
	MoveHorizonDays int
	// Beacon, when set, supplies a public random value produced after the
	// close (for example drand); BeaconTimeout is how long after the close
	// the draw waits for it before going ahead without one.
	Beacon        Beacon
	BeaconTimeout time.Duration
	// IntakeBatch bounds how many requests one intake transaction commits.
	IntakeBatch int
	// IntakeWriters is how many intake transactions run at once (0: one).
	// SQLite has one writer anyway; on PostgreSQL, where a batch is one
	// round trip, a second writer served fewer requests per second than
	// one, at more processor time per request (docs/appointments.md).
	IntakeWriters int
	// IntakeGather is how long after its previous commit began a busy
	// intake writer waits for more requests to join a transaction before
	// committing it (0: 1 ms; negative: never waits). A writer waits only
	// while requests arrive together, that is when its previous transaction
	// held more than one.
	IntakeGather time.Duration
}

// Default returns the default configuration: the window opens at 12:00 and
// closes at 23:59 in America/New_York for the next day, 25 % priority share,
// 23 hours to confirm.
func Default() Config {
	return Config{
		WindowZone: "America/New_York", WindowOpens: "12:00", WindowCloses: "23:59", LeadDays: 1,
		PriorityShareBP: draw.DefaultPriorityShareBP, ConfirmWindow: 23 * time.Hour, ExpireAfter: 24 * time.Hour, CommitLead: time.Hour,
		MinNotice: 12 * time.Hour, MoveHorizonDays: 14, BeaconTimeout: 10 * time.Minute, IntakeBatch: 512,
	}
}

// Eligibility decides whether a household may request appointments, with
// its reasons (message keys) when it may not.
type Eligibility func(ctx context.Context, h *household.Household) (ok bool, reasons []string, err error)

// InMexico is the default eligibility: the principal applicant is in Mexico
// now (screening.current_country MX).
func InMexico(_ context.Context, h *household.Household) (bool, []string, error) {
	p := h.Principal()
	if p != nil && p.Screening.CurrentCountry != nil && *p.Screening.CurrentCountry == "MX" {
		return true, nil, nil
	}
	return false, []string{"appointments.eligibility.not_in_mexico"}, nil
}

// Service is the appointment programme.
type Service struct {
	DB     *store.DB
	Keys   *seal.Keyring
	Outbox *jobs.Outbox
	Log    *slog.Logger
	// ActsFor reports whether a helper holds an applicant's live consent.
	ActsFor func(ctx context.Context, helperID, applicantID string) (bool, error)
	// Eligibility decides who may request; InMexico by default.
	Eligibility Eligibility
	// Checks run when a household confirms; RegionCheck and LivenessCheck
	// by default.
	Checks []Check
	// ObserveIntake, when set, is told of each batch the intake writer
	// tried to store: how (IntakeRemembered, IntakeRead, IntakeTransaction),
	// with what outcome (IntakeStored; or why one statement gave way to the
	// writer's transaction: IntakeClosed, IntakeChanged, IntakeFailed), how
	// many requests it held and how long it took.
	ObserveIntake func(path, outcome string, requests int, d time.Duration)

	cfg    Config
	window window

	intakeOnce sync.Once
	intake     chan *intakeItem
	stmtMu     sync.Mutex
	stmts      *store.IntakeStatements
	verdictMu  sync.Mutex
	drawMu     sync.Mutex
	openDraws  map[string]store.DrawRow      // draws found open, by date (see commitOpen)
	unfolded   atomic.Int64                  // requests journaled by this process since the journal was last empty
	verdicts   map[string]verdict            // eligibility, by household
	owned      map[string]string             // the household each applicant asks for
	households map[string]store.HouseholdRow // as last read, without their documents (see commitOpen)
	stop       chan struct{}
	wg         sync.WaitGroup

	recMu   sync.Mutex
	records map[string][]byte // published draw records, by date

	keyMu sync.Mutex
	key   *signer
}

// New returns the service. When runner is not nil it registers the jobs
// that run each day's draw on it.
func New(db *store.DB, keys *seal.Keyring, outbox *jobs.Outbox, runner *jobs.Runner, cfg Config) (*Service, error) {
	w, err := newWindow(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.PriorityShareBP < 0 || cfg.PriorityShareBP > 10000 {
		return nil, fmt.Errorf("appointments: priority share %d: want 0..10000 basis points", cfg.PriorityShareBP)
	}
	if cfg.ConfirmWindow <= 0 {
		return nil, fmt.Errorf("appointments: confirm window must be positive")
	}
	if cfg.ExpireAfter <= 0 {
		cfg.ExpireAfter = 24 * time.Hour
	}
	if cfg.IntakeBatch <= 0 {
		cfg.IntakeBatch = 512
	}
	if cfg.IntakeGather == 0 {
		cfg.IntakeGather = time.Millisecond
	}
	if cfg.IntakeWriters <= 0 {
		cfg.IntakeWriters = 1
	}
	if cfg.MoveHorizonDays <= 0 {
		cfg.MoveHorizonDays = 14
	}
	s := &Service{DB: db, Keys: keys, Outbox: outbox, Log: slog.New(slog.DiscardHandler), Eligibility: InMexico,
		Checks: []Check{DefaultRegion(), LivenessCheck{}}, cfg: cfg, window: w, records: map[string][]byte{}}
	// Prepared now, outside any transaction: on SQLite a transaction holds
	// the only writer connection, and the journal is folded inside them.
	st, err := db.PrepareIntake(context.Background())
	if err != nil {
		return nil, err
	}
	s.stmts = st
	if runner != nil {
		s.registerJobs(runner)
	}
	return s, nil
}

// Config returns the service's configuration.
func (s *Service) Config() Config { return s.cfg }

// Close stops the intake writers after the requests in flight.
func (s *Service) Close() {
	if s.stop != nil {
		close(s.stop)
		s.wg.Wait()
	}
	s.stmtMu.Lock()
	if s.stmts != nil {
		s.stmts.Close()
		s.stmts = nil
	}
	s.stmtMu.Unlock()
}

// Caller is who acts, with what the audit trail needs.
type Caller = households.Caller

// System is the caller of background jobs.
var System = Caller{Principal: access.Principal{Kind: "token", TokenID: "system", Role: access.Admin, Scope: "*"}}

func actor(c Caller) audit.Actor {
	return audit.Actor{ID: c.Actor(), Role: string(c.Role), Scope: string(c.Scope), OnBehalfOf: c.OnBehalfOf, Remote: c.Remote, RequestID: c.RequestID}
}

// trail holds a transaction's audit entries until its end. Appending takes
// the trail's lock (on PostgreSQL an advisory lock held to the commit);
// taking it only after every row lock keeps transactions from waiting on
// each other in a circle.
type trail []audit.Entry

func (t *trail) add(c Caller, action, recordType, recordID, subject string, fields ...string) {
	e := actor(c).Entry(action)
	e.RecordType, e.RecordID, e.Subject, e.Fields = recordType, recordID, subject, fields
	*t = append(*t, e)
}

func (t *trail) flush(ctx context.Context, tx *store.Tx) error {
	if _, err := audit.AppendMany(ctx, tx, *t); err != nil {
		return err
	}
	*t = nil
	return nil
}

// record appends an audit entry inside tx.
func record(ctx context.Context, tx *store.Tx, c Caller, action, recordType, recordID, subject string, fields ...string) error {
	e := actor(c).Entry(action)
	e.RecordType, e.RecordID, e.Subject, e.Fields = recordType, recordID, subject, fields
	_, err := audit.Append(ctx, tx, e)
	return err
}

func notFound() error { return &senda.Error{Code: senda.CodeNotFound, Key: "error.not_found"} }

func invalid(location, key string, args map[string]any) *senda.Error {
	return &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid", Fields: []senda.FieldError{{Location: location, Key: key, Args: args}}}
}

func conflict(key string, args map[string]any) *senda.Error {
	return &senda.Error{Code: senda.CodeConflict, Key: key, Args: args}
}

func forbidden(key string) *senda.Error {
	return &senda.Error{Code: senda.CodeForbidden, Key: key}
}

// isCode reports whether err carries code.
func isCode(err error, code senda.Code) bool {
	var se *senda.Error
	return errors.As(err, &se) && se.Code == code
}

// subject is whom a household's records are about: its owner account, else
// the household.
func subject(h store.HouseholdRow) string {
	if h.OwnerAccount != "" {
		return h.OwnerAccount
	}
	return h.ID
}

// householdFor reads a household the caller may act for (its applicant, or
// a helper with consent), or not_found.
func (s *Service) householdFor(ctx context.Context, tx *store.Tx, c Caller, id string) (store.HouseholdRow, error) {
	h, err := tx.Household(ctx, id)
	if store.IsNotFound(err) {
		return h, notFound()
	}
	if err != nil {
		return h, err
	}
	ok, err := s.actsFor(ctx, c, h)
	if err != nil {
		return h, err
	}
	if !ok {
		return h, notFound()
	}
	return h, nil
}

// actsFor reports whether c may act for household h as its applicant or
// helper, or see it as staff whose scope holds it.
func (s *Service) actsFor(ctx context.Context, c Caller, h store.HouseholdRow) (bool, error) {
	switch c.Role {
	case access.Applicant:
		return h.OwnerAccount != "" && h.OwnerAccount == c.AccountID, nil
	case access.Helper:
		if h.OwnerAccount == "" || h.OwnerAccount != c.OnBehalfOf || s.ActsFor == nil {
			return false, nil
		}
		return s.ActsFor(ctx, c.AccountID, h.OwnerAccount)
	case access.Admin, access.Caseworker:
		return c.Scope.Contains(h.Place), nil
	}
	return false, nil
}

// owner returns the applicant account a caller acts as, or "".
func owner(c Caller) string {
	switch c.Role {
	case access.Applicant:
		return c.AccountID
	case access.Helper:
		return c.OnBehalfOf
	}
	return ""
}
