// Package draw is Senda's daily appointment draw: a deterministic, seeded
// allocation of appointment slots that anyone can recompute from the
// published draw record.
//
// Before the request window opens Senda commits to a secret 32-byte seed
// (the commitment is the hex SHA-256 of the seed). When the window closes it
// publishes the requests root, optionally records a public randomness beacon,
// and only then reveals the seed. A share of the capacity (the priority
// budget) goes to the requests registered longest ago; the rest is drawn in
// the order of HMAC-SHA256(K, request id), where K binds the seed, the
// requests root and the beacon. The exact rules are in docs/draw/SPEC.md.
//
// The package is pure: no clock, no randomness, no input or output beyond
// the readers and writers it is given.
package draw

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/senda-platform/senda"
)

// FormatV1 is the value of the "format" field of a draw record.
const FormatV1 = "senda-draw/1"

// DefaultPriorityShareBP is the priority share, in basis points of the total
// capacity, used when a record does not give one.
const DefaultPriorityShareBP = 2500

// Phase says how an allocation was made.
type Phase string

// Phases of the draw.
const (
	PhasePriority Phase = "priority"
	PhaseLottery  Phase = "lottery"
)

// Record is a draw record: the published inputs of one day's draw and, once
// computed, its outcome. It holds no personal data.
//
// Times are instants; they are written in UTC as YYYY-MM-DDTHH:MM:SSZ and
// must be whole seconds. Decode gives a missing priority_share_bp its
// default; in a Record built in Go, PriorityShareBP 0 means no priority
// phase.
type Record struct {
	Format          string       `json:"format"`
	ServiceDate     string       `json:"service_date"`
	Commitment      string       `json:"commitment"`
	Seed            string       `json:"seed"`
	RequestsRoot    string       `json:"requests_root,omitempty"`
	Beacon          *Beacon      `json:"beacon,omitempty"`
	PriorityShareBP int          `json:"priority_share_bp"`
	Slots           []Slot       `json:"slots"`
	Requests        []Request    `json:"requests"`
	Allocations     []Allocation `json:"allocations"`
}

// Beacon is a public randomness value produced after the request window
// closed, for example a drand round. Value is lowercase hex.
type Beacon struct {
	Source string `json:"source"`
	Round  int64  `json:"round"`
	Value  string `json:"value"`
}

// Slot is an appointment slot: Capacity persons at Location from Start.
type Slot struct {
	Location string    `json:"location"`
	Start    time.Time `json:"start"`
	Capacity int       `json:"capacity"`
}

// Request is one request for an appointment: a person or a group of Size
// persons who are never split, with one to three preferred locations in
// order of preference.
type Request struct {
	ID           string    `json:"id"`
	Size         int       `json:"size"`
	RegisteredAt time.Time `json:"registered_at"`
	Preferences  []string  `json:"preferences"`
}

// Allocation places the request with id Request in the slot at Location
// starting at Start.
type Allocation struct {
	Request  string    `json:"request"`
	Location string    `json:"location"`
	Start    time.Time `json:"start"`
	Phase    Phase     `json:"phase"`
}

// Commitment returns the commitment to a seed: its hex SHA-256.
func Commitment(seed []byte) string {
	sum := sha256.Sum256(seed)
	return hex.EncodeToString(sum[:])
}

// RequestsRoot returns the hex SHA-256 of the requests text: one line
// "id|size|registered_at|pref1,pref2,...\n" per request, sorted by id as
// bytes, registered_at in UTC as YYYY-MM-DDTHH:MM:SSZ.
func RequestsRoot(reqs []Request) string {
	return requestsRoot(reqs, idOrder(reqs))
}

func requestsRoot(reqs []Request, order []int32) string {
	h := sha256.New()
	var line []byte
	for _, i := range order {
		r := &reqs[i]
		line = append(line[:0], r.ID...)
		line = append(line, '|')
		line = strconv.AppendInt(line, int64(r.Size), 10)
		line = append(line, '|')
		line = appendTime(line, r.RegisteredAt)
		line = append(line, '|')
		for i, p := range r.Preferences {
			if i > 0 {
				line = append(line, ',')
			}
			line = append(line, p...)
		}
		line = append(line, '\n')
		h.Write(line)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// idOrder returns the indices of reqs sorted by id as bytes, equal ids by
// index. It sorts on the first 8 bytes of each id and compares whole ids
// only when those are equal.
func idOrder(reqs []Request) []int32 {
	type key struct {
		prefix uint64
		i      int32
	}
	keys := make([]key, len(reqs))
	for i := range reqs {
		var b [8]byte
		copy(b[:], reqs[i].ID)
		keys[i] = key{binary.BigEndian.Uint64(b[:]), int32(i)}
	}
	slices.SortFunc(keys, func(x, y key) int {
		if x.prefix != y.prefix {
			if x.prefix < y.prefix {
				return -1
			}
			return 1
		}
		if c := strings.Compare(reqs[x.i].ID, reqs[y.i].ID); c != 0 {
			return c
		}
		return int(x.i - y.i)
	})
	order := make([]int32, len(keys))
	for k, x := range keys {
		order[k] = x.i
	}
	return order
}

// LotteryKey returns K = SHA-256(seed || root || beacon), where root is the
// requests root as 32 raw bytes and beacon the decoded beacon value (empty
// when there is none).
func LotteryKey(seed, root, beacon []byte) []byte {
	h := sha256.New()
	h.Write(seed)
	h.Write(root)
	h.Write(beacon)
	return h.Sum(nil)
}

// Run computes the requests root and the allocations of rec and returns them
// in a new record; rec is not modified. Any requests root or allocations
// already in rec are ignored and replaced. The seed must hash to the
// commitment. Errors are *senda.Error with code invalid.
func Run(rec *Record) (*Record, error) {
	out, fields, seedOK := run(rec)
	switch {
	case len(fields) > 0:
		return nil, invalidRecord(fields)
	case !seedOK:
		return nil, &senda.Error{
			Code: senda.CodeInvalid,
			Key:  "draw.seed_mismatch",
			Fields: []senda.FieldError{{
				Location: "seed",
				Key:      "draw.seed_mismatch",
			}},
			Err: &Difference{Location: "commitment", Reason: "seed does not hash to commitment"},
		}
	}
	return out, nil
}

// run validates rec, checks its seed and, if both pass, computes the draw.
func run(rec *Record) (out *Record, fields []senda.FieldError, seedOK bool) {
	fields, order := check(rec)
	if len(fields) > 0 {
		return nil, fields, false
	}
	seed, _ := hex.DecodeString(rec.Seed)
	if Commitment(seed) != rec.Commitment {
		return nil, nil, false
	}
	out = normalized(rec)
	out.RequestsRoot = requestsRoot(out.Requests, order)
	root, _ := hex.DecodeString(out.RequestsRoot)
	var beacon []byte
	if out.Beacon != nil {
		beacon, _ = hex.DecodeString(out.Beacon.Value)
	}
	key := LotteryKey(seed, root, beacon)
	out.Allocations = Allocate(out.Slots, out.Requests, key, out.PriorityShareBP)
	return out, nil, true
}

// normalized returns a deep copy of rec with every time in UTC.
func normalized(rec *Record) *Record {
	out := *rec
	if rec.Beacon != nil {
		b := *rec.Beacon
		out.Beacon = &b
	}
	out.Slots = make([]Slot, len(rec.Slots))
	for i, s := range rec.Slots {
		s.Start = s.Start.UTC()
		out.Slots[i] = s
	}
	out.Requests = make([]Request, len(rec.Requests))
	for i, r := range rec.Requests {
		r.RegisteredAt = r.RegisteredAt.UTC()
		r.Preferences = slices.Clone(r.Preferences)
		out.Requests[i] = r
	}
	out.Allocations = nil
	return &out
}

// Difference is the first difference Verify found between a published draw
// record and its recomputation. It is the cause (Err) of the *senda.Error
// that Verify returns; its Error text is a readable English default such as
// "allocations[17]: got {...}, want {...}".
type Difference struct {
	Location string // "commitment", "requests_root", "allocations[17]"
	Got      string // the published value, or "none"
	Want     string // the recomputed value, or "none"
	Reason   string // set instead of Got and Want when they do not apply
}

func (d *Difference) Error() string {
	if d.Reason != "" {
		return d.Location + ": " + d.Reason
	}
	return fmt.Sprintf("%s: got %s, want %s", d.Location, d.Got, d.Want)
}

// Verify recomputes a published record and reports the first difference:
// the seed against the commitment, then the requests root against the
// requests, then the allocations one by one in order. It returns nil when
// the record is valid and consistent, otherwise a *senda.Error with code
// invalid: key "draw.invalid_record" with field errors when the record is
// malformed, or key "draw.verify_mismatch" with one field error naming the
// difference and a *Difference as its cause.
func Verify(rec *Record) error {
	got, fields, seedOK := run(rec)
	if rec.RequestsRoot == "" {
		fields = append(fields, senda.FieldError{Location: "requests_root", Key: "draw.field.required"})
	}
	if rec.Allocations == nil {
		fields = append(fields, senda.FieldError{Location: "allocations", Key: "draw.field.required"})
	}
	if len(fields) > 0 {
		return invalidRecord(fields)
	}
	if !seedOK {
		return mismatch("draw.commitment_mismatch", &Difference{
			Location: "commitment", Reason: "seed does not hash to commitment",
		})
	}
	if got.RequestsRoot != rec.RequestsRoot {
		return mismatch("draw.requests_root_mismatch", &Difference{
			Location: "requests_root", Got: rec.RequestsRoot, Want: got.RequestsRoot,
		})
	}
	for i := range max(len(rec.Allocations), len(got.Allocations)) {
		g, w := "none", "none"
		if i < len(rec.Allocations) {
			g = allocationText(rec.Allocations[i])
		}
		if i < len(got.Allocations) {
			w = allocationText(got.Allocations[i])
		}
		if i < len(rec.Allocations) && i < len(got.Allocations) && sameAllocation(rec.Allocations[i], got.Allocations[i]) {
			continue
		}
		return mismatch("draw.allocation_mismatch", &Difference{
			Location: "allocations[" + strconv.Itoa(i) + "]", Got: g, Want: w,
		})
	}
	return nil
}

func sameAllocation(a, b Allocation) bool {
	return a.Request == b.Request && a.Location == b.Location && a.Start.Equal(b.Start) && a.Phase == b.Phase
}

func allocationText(a Allocation) string {
	return string(appendAllocationBytes(nil, a))
}

func mismatch(key string, d *Difference) *senda.Error {
	args := map[string]any{"location": d.Location, "detail": d.Error()}
	if d.Reason == "" {
		args["got"] = d.Got
		args["want"] = d.Want
	}
	return &senda.Error{
		Code:   senda.CodeInvalid,
		Key:    "draw.verify_mismatch",
		Args:   args,
		Fields: []senda.FieldError{{Location: d.Location, Key: key, Args: args}},
		Err:    d,
	}
}

func invalidRecord(fields []senda.FieldError) *senda.Error {
	return &senda.Error{Code: senda.CodeInvalid, Key: "draw.invalid_record", Fields: fields}
}
