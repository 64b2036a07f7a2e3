// Package eligibility runs the policy engine for Senda's users: the
// applicant's self-screening, the caseworker's screening of a household
// (stored with the policy version that decided), versions of the policy
// uploaded as drafts and published with an effective date, what-if reports
// over every registered household before publishing, and bulk runs that
// read compact screening profiles from the store and write results in
// batches.
package eligibility

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/audit"
	"github.com/senda-platform/senda/internal/households"
	"github.com/senda-platform/senda/internal/seal"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/policy"
	"github.com/senda-platform/senda/profile"
)

// Message keys of the service's errors (the policy and profile packages
// have their own).
const (
	KeyEffectiveInPast = "policy.effective_in_past" // a draft may not take effect before today
	KeyNotDraft        = "policy.not_draft"         // the pack is already published
	KeyPackTooLarge    = "policy.pack_too_large"
	KeyStoredResults   = "policy.stored_results" // stored results the policy versions cannot read
)

// MaxPackBytes is the largest pack file Upload accepts.
const MaxPackBytes = 1 << 20

// Source of a version.
const (
	SourceShipped   = "shipped"
	SourcePublished = "published"
)

// Service is eligibility. Its zero value is not usable: build it with New.
type Service struct {
	DB   *store.DB
	Keys *seal.Keyring
	// Households checks who may see a household and reads it (with the
	// audit trail).
	Households *households.Service
	Log        *slog.Logger
	// Now is the clock; "today" is its calendar date in UTC.
	Now func() time.Time
	// CheckEvery is how often the service looks for versions published by
	// another node.
	CheckEvery time.Duration

	mu      sync.Mutex
	reg     *policy.Registry
	meta    map[string]versionMeta // by version
	parsed  map[string]*policy.Pack
	state   publishedState
	checked time.Time
}

type versionMeta struct {
	source      string
	publishedAt time.Time
	publishedBy string
	packID      string
}

type publishedState struct {
	count int
	last  time.Time
}

// New returns the service. The policy versions are loaded on first use:
// the shipped packs and every version published in the store.
func New(db *store.DB, keys *seal.Keyring, hh *households.Service, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{DB: db, Keys: keys, Households: hh, Log: log, Now: func() time.Time { return time.Now().UTC() },
		CheckEvery: time.Second, parsed: map[string]*policy.Pack{}}
}

// Today is the service's current calendar date, midnight UTC.
func (s *Service) Today() time.Time { return today(s.Now()) }

func managerRole(r access.Role) bool { return r == access.ProgrammeManager || r == access.Admin }

func forbidden() error { return &senda.Error{Code: senda.CodeForbidden, Key: "error.forbidden"} }

func actor(c households.Caller) audit.Actor {
	return audit.Actor{ID: c.Actor(), Role: string(c.Role), Scope: string(c.Scope), OnBehalfOf: c.OnBehalfOf, Remote: c.Remote, RequestID: c.RequestID}
}

// Registry returns the policy versions in effect: the shipped packs and
// every published version. A version published by another node is picked
// up within CheckEvery. A stored version that does not load (refused by
// this build) is logged and left out: the service keeps the versions it
// has.
func (s *Service) Registry(ctx context.Context) (*policy.Registry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if s.reg != nil && now.Sub(s.checked) < s.CheckEvery {
		return s.reg, nil
	}
	var st publishedState
	err := s.DB.View(ctx, func(tx *store.Tx) (err error) {
		st.count, st.last, err = tx.PublishedPolicyState(ctx)
		return err
	})
	if err != nil {
		if s.reg != nil {
			s.Log.Warn("policy versions not checked", "err", err)
			return s.reg, nil
		}
		return nil, err
	}
	s.checked = now
	if s.reg != nil && st == s.state {
		return s.reg, nil
	}
	reg, meta, err := s.load(ctx)
	if err != nil {
		if s.reg != nil {
			s.Log.Warn("policy versions not reloaded", "err", err)
			return s.reg, nil
		}
		return nil, err
	}
	s.reg, s.meta, s.state = reg, meta, st
	return reg, nil
}

// load builds the registry from the shipped packs and the published rows.
func (s *Service) load(ctx context.Context) (*policy.Registry, map[string]versionMeta, error) {
	shipped, err := policy.Shipped()
	if err != nil {
		return nil, nil, err
	}
	reg, err := policy.NewRegistry(shipped.Packs()...)
	if err != nil {
		return nil, nil, err
	}
	meta := map[string]versionMeta{}
	for _, p := range shipped.Packs() {
		meta[p.Version()] = versionMeta{source: SourceShipped}
	}
	var rows []store.PolicyPackRow
	if err := s.DB.View(ctx, func(tx *store.Tx) (err error) {
		rows, err = tx.PolicyPacks(ctx, "published")
		return err
	}); err != nil {
		return nil, nil, err
	}
	for _, r := range rows {
		p, err := s.parse(r)
		if err == nil {
			err = reg.Add(p)
		}
		if err != nil {
			s.Log.Error("published policy version refused; the versions already loaded stay in effect",
				"pack", r.ID, "version", r.Version, "err", describe(err))
			continue
		}
		meta[p.Version()] = versionMeta{source: SourcePublished, publishedAt: r.PublishedAt, publishedBy: r.PublishedBy, packID: r.ID}
	}
	return reg, meta, nil
}

// parse compiles a stored pack, once per row.
func (s *Service) parse(r store.PolicyPackRow) (*policy.Pack, error) {
	if p, ok := s.parsed[r.ID]; ok {
		return p, nil
	}
	p, err := policy.Parse(r.FileName, []byte(r.Source))
	if err != nil {
		return nil, err
	}
	s.parsed[r.ID] = p
	return p, nil
}

func (s *Service) parseLocked(r store.PolicyPackRow) (*policy.Pack, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.parse(r)
}

// describe renders an error with its field errors, for logs.
func describe(err error) string {
	var b strings.Builder
	b.WriteString(err.Error())
	if se, ok := err.(*senda.Error); ok {
		for _, f := range se.Fields {
			if m, ok := f.Args["message"]; ok {
				b.WriteString(" (" + f.Location + ": " + strings.TrimSpace(anyString(m)) + ")")
			}
		}
	}
	return b.String()
}

func anyString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

// Version describes one policy version.
type Version struct {
	Version       string       `json:"version" doc:"Names every result the version decides"`
	EffectiveFrom profile.Date `json:"effective_from" doc:"First screening date the version applies to"`
	Source        string       `json:"source" enum:"shipped,published" doc:"Shipped with Senda or published by a programme manager"`
	PublishedAt   time.Time    `json:"published_at,omitzero"`
	InEffect      bool         `json:"in_effect" doc:"Whether this is the version in effect today"`
	Description   string       `json:"description" doc:"In the language of the request"`
	Programs      []ProgramRef `json:"programs"`
}

// ProgramRef names a programme of a version.
type ProgramRef struct {
	ID            string       `json:"id"`
	Name          string       `json:"name" doc:"In the language of the request"`
	EffectiveFrom profile.Date `json:"effective_from"`
	EffectiveTo   profile.Date `json:"effective_to,omitempty"`
}

func programRefs(p *policy.Pack, lang string) []ProgramRef {
	var out []ProgramRef
	for _, pr := range p.Programs() {
		out = append(out, ProgramRef{ID: pr.ID, Name: pr.Name.In(lang), EffectiveFrom: pr.EffectiveFrom, EffectiveTo: pr.EffectiveTo})
	}
	return out
}

// Versions lists the policy versions, oldest effective date first, with
// texts in lang.
func (s *Service) Versions(ctx context.Context, lang string) ([]Version, error) {
	reg, err := s.Registry(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	meta := s.meta
	s.mu.Unlock()
	current, _ := reg.At(s.Today())
	out := []Version{}
	for _, p := range reg.Packs() {
		m := meta[p.Version()]
		out = append(out, Version{Version: p.Version(), EffectiveFrom: p.EffectiveFrom(), Source: m.source, PublishedAt: m.publishedAt,
			InEffect: p == current, Description: p.Description().In(lang), Programs: programRefs(p, lang)})
	}
	return out, nil
}

// Draft is a pack uploaded through the console.
type Draft struct {
	ID            string       `json:"id"`
	Version       string       `json:"version"`
	EffectiveFrom profile.Date `json:"effective_from"`
	Status        string       `json:"status" enum:"draft,published"`
	FileName      string       `json:"file_name"`
	SHA256        string       `json:"sha256" doc:"Of the file as uploaded"`
	CreatedBy     string       `json:"created_by"`
	CreatedAt     time.Time    `json:"created_at"`
	PublishedBy   string       `json:"published_by,omitempty"`
	PublishedAt   time.Time    `json:"published_at,omitzero"`
	Programs      []string     `json:"programs"`
}

func draftOf(r store.PolicyPackRow, p *policy.Pack) Draft {
	d := Draft{ID: r.ID, Version: r.Version, EffectiveFrom: profile.Date(r.EffectiveFrom), Status: r.Status, FileName: r.FileName,
		SHA256: r.SHA256, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, PublishedBy: r.PublishedBy, PublishedAt: r.PublishedAt, Programs: []string{}}
	if p != nil {
		for _, pr := range p.Programs() {
			d.Programs = append(d.Programs, pr.ID)
		}
	}
	return d
}

// Drafts lists the uploaded packs, drafts and published, oldest first.
func (s *Service) Drafts(ctx context.Context, c households.Caller) ([]Draft, error) {
	if !managerRole(c.Role) {
		return nil, forbidden()
	}
	var rows []store.PolicyPackRow
	if err := s.DB.View(ctx, func(tx *store.Tx) (err error) {
		rows, err = tx.PolicyPacks(ctx, "")
		return err
	}); err != nil {
		return nil, err
	}
	out := []Draft{}
	for _, r := range rows {
		p, _ := s.parseLocked(r)
		out = append(out, draftOf(r, p))
	}
	return out, nil
}

// cleanFileName keeps the base name of an uploaded file, as a .yaml name.
func cleanFileName(name string) string {
	name = path.Base(strings.ReplaceAll(strings.TrimSpace(name), "\\", "/"))
	var b strings.Builder
	for _, r := range name {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			b.WriteRune(r)
		}
	}
	name = b.String()
	if len(name) > 80 {
		name = name[len(name)-80:]
	}
	if !strings.HasSuffix(name, ".yaml") && !strings.HasSuffix(name, ".yml") {
		name = strings.TrimSuffix(name, ".") + ".yaml"
	}
	if strings.HasPrefix(name, ".") {
		name = "pack" + name
	}
	return name
}

// Upload checks a pack file and keeps it as a draft. A pack that does not
// load is refused (code invalid, key policy.invalid_pack) with one field
// error per problem, each naming the file, programme and criterion; so is
// a version string or an effective date a version already has (code
// conflict). Nothing in effect changes until the draft is published.
func (s *Service) Upload(ctx context.Context, c households.Caller, fileName string, data []byte) (*Draft, error) {
	if !managerRole(c.Role) {
		return nil, forbidden()
	}
	if len(data) > MaxPackBytes {
		return nil, senda.Errorf(senda.CodeInvalid, KeyPackTooLarge, map[string]any{"max": MaxPackBytes})
	}
	fileName = cleanFileName(fileName)
	p, err := policy.Parse(fileName, data)
	if err != nil {
		return nil, err
	}
	reg, err := s.Registry(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkAddable(reg, p); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	r := store.PolicyPackRow{ID: store.NewID(), Version: p.Version(), EffectiveFrom: string(p.EffectiveFrom()), Status: "draft",
		FileName: fileName, Source: string(data), SHA256: hex.EncodeToString(sum[:]), CreatedBy: c.Actor()}
	err = s.DB.Update(ctx, func(tx *store.Tx) error {
		if err := tx.InsertPolicyPack(ctx, r); err != nil {
			return err
		}
		r.CreatedAt = tx.Now
		e := actor(c).Entry("pack.upload")
		e.RecordType, e.RecordID, e.Fields = "policy_pack", r.ID, []string{"source"}
		_, err := audit.Append(ctx, tx, e)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.parsed[r.ID] = p
	s.mu.Unlock()
	d := draftOf(r, p)
	return &d, nil
}

// checkAddable refuses a pack whose version string or effective date a
// version of reg already has.
func checkAddable(reg *policy.Registry, p *policy.Pack) error {
	trial, err := policy.NewRegistry(reg.Packs()...)
	if err != nil {
		return err
	}
	return trial.Add(p)
}

// draft reads an uploaded pack and compiles it.
func (s *Service) draft(ctx context.Context, id string) (store.PolicyPackRow, *policy.Pack, error) {
	var r store.PolicyPackRow
	err := s.DB.View(ctx, func(tx *store.Tx) (err error) {
		r, err = tx.PolicyPack(ctx, id)
		return err
	})
	if err != nil {
		if store.IsNotFound(err) {
			return r, nil, &senda.Error{Code: senda.CodeNotFound, Key: "error.not_found"}
		}
		return r, nil, err
	}
	p, err := s.parseLocked(r)
	return r, p, err
}

// Publish makes a draft a version in effect from its effective date. The
// date may not be before today: what was in effect on a past date stays
// as it was, and results already stored keep naming the version that
// decided them. A version string or date another version has is a
// conflict.
func (s *Service) Publish(ctx context.Context, c households.Caller, id string) (*Draft, error) {
	if !managerRole(c.Role) {
		return nil, forbidden()
	}
	r, p, err := s.draft(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Status != "draft" {
		return nil, senda.Errorf(senda.CodeConflict, KeyNotDraft, map[string]any{"version": r.Version})
	}
	t := s.Today()
	if string(p.EffectiveFrom()) < string(profile.DateOf(t)) {
		return nil, senda.Errorf(senda.CodeInvalid, KeyEffectiveInPast, map[string]any{"effective_from": string(p.EffectiveFrom()), "today": string(profile.DateOf(t))})
	}
	reg, err := s.Registry(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkAddable(reg, p); err != nil {
		return nil, err
	}
	err = s.DB.Update(ctx, func(tx *store.Tx) error {
		if err := tx.PublishPolicyPack(ctx, id, c.Actor()); err != nil {
			return err
		}
		r.Status, r.PublishedBy, r.PublishedAt = "published", c.Actor(), tx.Now
		e := actor(c).Entry("pack.publish")
		e.RecordType, e.RecordID, e.Fields = "policy_pack", id, []string{"status"}
		_, err := audit.Append(ctx, tx, e)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.checked = time.Time{} // reload now
	s.mu.Unlock()
	if _, err := s.Registry(ctx); err != nil {
		return nil, err
	}
	d := draftOf(r, p)
	return &d, nil
}

// At returns the version in effect on the date of asOf.
func (s *Service) At(ctx context.Context, asOf time.Time) (*policy.Pack, error) {
	reg, err := s.Registry(ctx)
	if err != nil {
		return nil, err
	}
	return reg.At(asOf)
}

// sortedKeys returns the keys of m, sorted.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
