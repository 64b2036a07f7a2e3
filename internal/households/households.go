// Package households runs registration: it validates a household, seals it,
// gives it a receipt number, keeps blind indexes for exact search, scopes
// every read and write to the caller, and records each in the audit trail.
package households

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/household"
	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/audit"
	"github.com/senda-platform/senda/internal/seal"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/receipt"
)

// Service is the household registry.
type Service struct {
	DB   *store.DB
	Keys *seal.Keyring
	// ActsFor reports whether a helper holds an applicant's live consent.
	ActsFor func(ctx context.Context, helperID, applicantID string) (bool, error)
}

// Caller is who acts, with what is needed for the audit trail.
type Caller struct {
	access.Principal
	Remote    string
	RequestID string
	// OnBehalfOf is the applicant account a helper acts for.
	OnBehalfOf string
}

func (c Caller) actor() audit.Actor {
	return audit.Actor{ID: c.Actor(), Role: string(c.Role), Scope: string(c.Scope), OnBehalfOf: c.OnBehalfOf, Remote: c.Remote, RequestID: c.RequestID}
}

// staff roles that work with households within their scope.
func staffRole(r access.Role) bool { return r == access.Admin || r == access.Caseworker }

func notFound() error { return &senda.Error{Code: senda.CodeNotFound, Key: "error.not_found"} }

// visible reports whether c may see h. Anything else answers not_found,
// exactly like a household that does not exist.
func (s *Service) visible(ctx context.Context, c Caller, h store.HouseholdRow) (bool, error) {
	switch {
	case staffRole(c.Role):
		return c.Scope.Contains(h.Place), nil
	case c.Role == access.Applicant:
		return h.OwnerAccount != "" && h.OwnerAccount == c.AccountID, nil
	case c.Role == access.Helper:
		if h.OwnerAccount == "" || h.OwnerAccount != c.OnBehalfOf || s.ActsFor == nil {
			return false, nil
		}
		return s.ActsFor(ctx, c.AccountID, h.OwnerAccount)
	}
	return false, nil
}

func place(id string) string { return "households.data/" + id }

// open unseals a stored household.
func (s *Service) open(r store.HouseholdRow) (*household.Household, error) { return Open(s.Keys, r) }

// Open unseals a stored household document with keys, with the row's
// columns (id, receipt, status, version, place, update time) set.
func Open(keys *seal.Keyring, r store.HouseholdRow) (*household.Household, error) {
	b, err := keys.Open(r.Data, place(r.ID))
	if err != nil {
		return nil, senda.Wrap(err, "household.sealed")
	}
	var h household.Household
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, senda.Wrap(err, "household.sealed")
	}
	h.ID, h.Receipt, h.Status, h.Version, h.Place, h.Updated = r.ID, r.Receipt, r.Status, r.Version, r.Place, r.UpdatedAt
	return &h, nil
}

// indexes returns the blind-index entries of a household.
func (s *Service) indexes(h *household.Household) []store.IndexEntry {
	var out []store.IndexEntry
	for _, m := range h.Members {
		for _, d := range m.Documents {
			if d.Number != "" {
				out = append(out, store.IndexEntry{Kind: "document", Value: s.Keys.Index("document", d.Number), MemberID: m.ID})
			}
		}
		if m.Phone != "" {
			out = append(out, store.IndexEntry{Kind: "phone", Value: s.Keys.Index("phone", m.Phone), MemberID: m.ID})
		}
		if m.Email != "" {
			out = append(out, store.IndexEntry{Kind: "email", Value: s.Keys.Index("email", m.Email), MemberID: m.ID})
		}
	}
	if a := h.Address; a != nil && a.Line1 != "" {
		key := strings.ToLower(strings.Join(strings.Fields(a.Line1+" "+a.Line2+" "+a.City+" "+a.State+" "+a.ZIP), " "))
		out = append(out, store.IndexEntry{Kind: "address", Value: s.Keys.Index("address", key)})
	}
	return out
}

func row(h *household.Household) store.HouseholdRow {
	nat := ""
	if p := h.Principal(); p != nil && p.Screening.Nationality != nil {
		nat = *p.Screening.Nationality
	}
	status := h.Status
	if status == "" {
		status = "submitted"
	}
	return store.HouseholdRow{ID: h.ID, Place: h.Place, Status: status, Size: h.Size(), Nationality: nat}
}

// sealed returns the stored document: everything but the columns kept beside it.
func (s *Service) sealed(h *household.Household) []byte {
	c := *h
	c.Receipt, c.Status, c.Version, c.Updated = "", "", 0, c.Updated.UTC()
	b, _ := json.Marshal(c)
	return s.Keys.Seal(b, place(h.ID))
}

// Save creates (h.ID empty) or updates a household. Draft households are
// validated only for what they contain. idemKey, when set, makes the call
// safe to repeat: the same key with the same body returns the first result
// and writes nothing.
func (s *Service) Save(ctx context.Context, c Caller, h *household.Household, idemKey string) (*household.Household, error) {
	h.Normalize()
	draft := h.Status == "draft"
	if h.Status != "" && h.Status != "draft" && h.Status != "submitted" {
		return nil, &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid", Fields: []senda.FieldError{{Location: "status", Key: "validation.one_of", Args: map[string]any{"options": "draft, submitted"}}}}
	}
	if err := h.Validate(draft); err != nil {
		return nil, err
	}
	if (c.Role == access.Applicant || c.Role == access.Helper) && (c.AccountID == "" || c.Role == access.Helper && c.OnBehalfOf == "") {
		// Applicant records belong to an account: a token, or a helper not
		// naming whom they act for, cannot hold one.
		return nil, &senda.Error{Code: senda.CodeForbidden, Key: "error.forbidden"}
	}
	if c.Role == access.Helper {
		ok, err := s.ActsFor(ctx, c.AccountID, c.OnBehalfOf)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, &senda.Error{Code: senda.CodeForbidden, Key: "error.forbidden"}
		}
	}
	if h.ID == "" && c.Role != access.Applicant && h.Consent == nil && !staffRole(c.Role) {
		return nil, &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid", Fields: []senda.FieldError{{Location: "consent", Key: "household.consent_required"}}}
	}
	if staffRole(c.Role) && h.Place != "" && !c.Scope.Contains(h.Place) {
		return nil, &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid", Fields: []senda.FieldError{{Location: "place", Key: "household.place_scope"}}}
	}
	if h.Place == "" {
		if staffRole(c.Role) && c.Scope != "*" {
			h.Place = string(c.Scope)
		} else {
			return nil, &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid", Fields: []senda.FieldError{{Location: "place", Key: "household.place"}}}
		}
	}
	body, _ := json.Marshal(h)
	reqHash := sha(string(body))
	key := ""
	if idemKey != "" {
		key = sha(c.Actor() + "\x00" + idemKey)
	}
	var out *household.Household
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		if key != "" {
			prev, err := tx.GetIdempotency(ctx, key)
			if err == nil {
				if prev.RequestHash != reqHash {
					return &senda.Error{Code: senda.CodeConflict, Key: "household.idempotency_reused"}
				}
				r, err := tx.Household(ctx, prev.HouseholdID)
				if err != nil {
					return err
				}
				out, err = s.open(r)
				return err
			}
			if !store.IsNotFound(err) {
				return err
			}
		}
		var err error
		if h.ID == "" {
			out, err = s.create(ctx, tx, c, h)
		} else {
			out, err = s.update(ctx, tx, c, h)
		}
		if err != nil {
			return err
		}
		if key != "" {
			return tx.PutIdempotency(ctx, store.Idempotency{Key: key, RequestHash: reqHash, HouseholdID: out.ID, Version: out.Version})
		}
		return nil
	})
	return out, err
}

func (s *Service) create(ctx context.Context, tx *store.Tx, c Caller, h *household.Household) (*household.Household, error) {
	h.ID = store.NewID()
	for i := range h.Members {
		h.Members[i].ID = store.NewID()
	}
	prefix := strings.SplitN(h.Place, "/", 2)[0]
	seq, err := tx.NextReceipt(ctx, prefix)
	if err != nil {
		return nil, err
	}
	rec, err := receipt.New(prefix, seq)
	if err != nil {
		return nil, senda.Wrap(err, "household.receipt")
	}
	h.Updated = tx.Now
	r := row(h)
	r.Receipt, r.CreatedBy, r.Data = rec, c.Actor(), s.sealed(h)
	switch c.Role {
	case access.Applicant:
		r.OwnerAccount = c.AccountID
	case access.Helper:
		r.OwnerAccount = c.OnBehalfOf
	}
	if h.ExternalID != "" {
		r.ExternalKey = sha(h.Place + "\x00" + h.ExternalID)
	}
	if err := tx.InsertHousehold(ctx, r); err != nil {
		return nil, err
	}
	if err := tx.ReplaceIndex(ctx, h.ID, s.indexes(h)); err != nil {
		return nil, err
	}
	e := c.actor().Entry("household.create")
	e.RecordType, e.RecordID, e.Subject, e.Fields = "household", h.ID, subject(r), []string{"*"}
	if _, err := audit.Append(ctx, tx, e); err != nil {
		return nil, err
	}
	h.Receipt, h.Status, h.Version = rec, r.Status, 1
	return h, nil
}

func (s *Service) update(ctx context.Context, tx *store.Tx, c Caller, h *household.Household) (*household.Household, error) {
	cur, err := tx.Household(ctx, h.ID)
	if store.IsNotFound(err) {
		return nil, notFound()
	}
	if err != nil {
		return nil, err
	}
	if ok, err := s.visible(ctx, c, cur); err != nil || !ok {
		if err != nil {
			return nil, err
		}
		return nil, notFound()
	}
	if h.Version != 0 && h.Version != cur.Version {
		return nil, &senda.Error{Code: senda.CodeConflict, Key: "error.conflict"}
	}
	old, err := s.open(cur)
	if err != nil {
		return nil, err
	}
	// Members keep their ids; new members get one.
	known := map[string]bool{}
	for _, m := range old.Members {
		known[m.ID] = true
	}
	for i := range h.Members {
		if !known[h.Members[i].ID] {
			h.Members[i].ID = store.NewID()
		}
	}
	if !staffRole(c.Role) {
		h.Place = cur.Place // only staff move a record between offices
	}
	h.Updated = tx.Now
	r := row(h)
	r.Data = s.sealed(h)
	if err := tx.UpdateHousehold(ctx, r, cur.Version, c.Actor()); err != nil {
		return nil, err
	}
	if err := tx.ReplaceIndex(ctx, h.ID, s.indexes(h)); err != nil {
		return nil, err
	}
	e := c.actor().Entry("household.update")
	e.RecordType, e.RecordID, e.Subject, e.Fields = "household", h.ID, subject(cur), changedFields(old, h)
	if _, err := audit.Append(ctx, tx, e); err != nil {
		return nil, err
	}
	h.Receipt, h.Status, h.Version = cur.Receipt, r.Status, cur.Version+1
	return h, nil
}

// subject is whom a household record is about, for the applicant's view of
// who saw their data: the owner account, else the household.
func subject(r store.HouseholdRow) string {
	if r.OwnerAccount != "" {
		return r.OwnerAccount
	}
	return r.ID
}

// changedFields names the top-level fields that differ, per member.
func changedFields(a, b *household.Household) []string {
	var out []string
	ja, _ := json.Marshal(a.Address)
	jb, _ := json.Marshal(b.Address)
	if string(ja) != string(jb) {
		out = append(out, "us_address")
	}
	if a.Place != b.Place {
		out = append(out, "place")
	}
	am := map[string]household.Member{}
	for _, m := range a.Members {
		am[m.ID] = m
	}
	for i, m := range b.Members {
		o, ok := am[m.ID]
		if !ok {
			out = append(out, "members["+itoa(i)+"]")
			continue
		}
		var fo, fn map[string]any
		bo, _ := json.Marshal(o)
		bn, _ := json.Marshal(m)
		json.Unmarshal(bo, &fo)
		json.Unmarshal(bn, &fn)
		for k, v := range fn {
			x, _ := json.Marshal(v)
			y, _ := json.Marshal(fo[k])
			if string(x) != string(y) {
				out = append(out, "members["+itoa(i)+"]."+k)
			}
		}
	}
	if out == nil {
		out = []string{}
	}
	return out
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// Get reads a household the caller may see, recording the read.
func (s *Service) Get(ctx context.Context, c Caller, id string) (*household.Household, error) {
	var out *household.Household
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
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
		if out, err = s.open(r); err != nil {
			return err
		}
		e := c.actor().Entry("household.read")
		e.RecordType, e.RecordID, e.Subject, e.Fields = "household", id, subject(r), []string{"*"}
		_, err = audit.Append(ctx, tx, e)
		return err
	})
	return out, err
}

// Summary is a household in a list: no names.
type Summary struct {
	ID          string `json:"id"`
	Receipt     string `json:"receipt"`
	Place       string `json:"place"`
	Status      string `json:"status"`
	Size        int    `json:"size"`
	Nationality string `json:"nationality,omitempty"`
}

// List returns summaries of the households the caller may see.
func (s *Service) List(ctx context.Context, c Caller, after string, limit int) ([]Summary, error) {
	f := store.HouseholdFilter{After: after, Limit: limit}
	switch {
	case staffRole(c.Role):
		f.Scope = string(c.Scope)
	case c.Role == access.Applicant && c.AccountID != "":
		f.Scope, f.Owner = "*", c.AccountID
	case c.Role == access.Helper && c.OnBehalfOf != "":
		if ok, err := s.ActsFor(ctx, c.AccountID, c.OnBehalfOf); err != nil || !ok {
			return []Summary{}, err
		}
		f.Scope, f.Owner = "*", c.OnBehalfOf
	default:
		return []Summary{}, nil
	}
	out := []Summary{}
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		rows, err := tx.Households(ctx, f)
		for _, r := range rows {
			out = append(out, Summary{ID: r.ID, Receipt: r.Receipt, Place: r.Place, Status: r.Status, Size: r.Size, Nationality: r.Nationality})
		}
		return err
	})
	return out, err
}

// FindByDocument returns the households (that the caller may see) holding a
// document number, through the blind index.
func (s *Service) FindBy(ctx context.Context, c Caller, kind, value string) ([]Summary, error) {
	switch kind {
	case "document":
		value = household.NormalizeDocument(value)
	case "phone":
		value = household.NormalizePhone(value)
	default:
		return nil, &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid", Fields: []senda.FieldError{{Location: "kind", Key: "validation.one_of", Args: map[string]any{"options": "document, phone"}}}}
	}
	out := []Summary{}
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		ids, err := tx.FindIndexed(ctx, kind, s.Keys.Index(kind, value))
		if err != nil {
			return err
		}
		for _, id := range ids {
			r, err := tx.Household(ctx, id)
			if err != nil {
				return err
			}
			if ok, _ := s.visible(ctx, c, r); ok {
				out = append(out, Summary{ID: r.ID, Receipt: r.Receipt, Place: r.Place, Status: r.Status, Size: r.Size, Nationality: r.Nationality})
			}
		}
		return nil
	})
	return out, err
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// IsInvalid reports whether err is a validation error.
func IsInvalid(err error) bool {
	var se *senda.Error
	return errors.As(err, &se) && se.Code == senda.CodeInvalid
}
