package policy

import (
	"embed"
	"io/fs"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/profile"
)

// The packs shipped with Senda: each entry of packs/ (a .yaml file or a
// directory of them) is one version.
//
//go:embed packs
var shippedFS embed.FS

// ShippedDir is the directory of the shipped packs inside ShippedFS.
const ShippedDir = "packs"

// ShippedFS returns the file system holding the shipped packs under
// ShippedDir.
func ShippedFS() fs.FS { return shippedFS }

var (
	shippedOnce sync.Once
	shipped     *Registry
	shippedErr  error
)

// Shipped returns the registry of the packs shipped with Senda, loaded and
// compiled once. The packs are illustrative and must be checked against the
// official sources before real use.
func Shipped() (*Registry, error) {
	shippedOnce.Do(func() { shipped, shippedErr = LoadRegistry(shippedFS, ShippedDir) })
	return shipped, shippedErr
}

// Registry holds several versions of the policy and chooses the one in
// effect on a date. Publishing a version adds it; versions are never
// replaced, so a result keeps naming the version that decided it. A
// Registry is safe for concurrent use.
type Registry struct {
	mu    sync.RWMutex
	packs []*Pack // by effective date, oldest first
}

// Message keys of registry errors.
const (
	KeyNoPackInEffect = "policy.no_pack_in_effect" // no version applies to the date
	KeyUnknownVersion = "policy.unknown_version"
	KeyVersionExists  = "policy.version_exists"
	KeyDateTaken      = "policy.effective_date_taken"
)

// NewRegistry returns a registry holding packs.
func NewRegistry(packs ...*Pack) (*Registry, error) {
	r := &Registry{}
	for _, p := range packs {
		if err := r.Add(p); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// LoadRegistry loads every pack in dir of fsys: each .yaml file and each
// directory in it is one version. Problems in several packs are reported
// together in one *senda.Error.
func LoadRegistry(fsys fs.FS, dir string) (*Registry, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, &senda.Error{Code: senda.CodeNotFound, Key: KeyReadFile, Args: map[string]any{"file": dir}, Err: err}
	}
	r := &Registry{}
	var fields []senda.FieldError
	for _, e := range entries {
		if !e.IsDir() && !isYAML(e.Name()) {
			continue
		}
		p, err := Load(fsys, path.Join(dir, e.Name()))
		if err != nil {
			if se, ok := err.(*senda.Error); ok && se.Code == senda.CodeInvalid {
				fields = append(fields, se.Fields...)
				continue
			}
			return nil, err
		}
		if err := r.Add(p); err != nil {
			return nil, err
		}
	}
	if len(fields) > 0 {
		return nil, &senda.Error{Code: senda.CodeInvalid, Key: KeyInvalidPack, Args: map[string]any{"file": dir}, Fields: fields}
	}
	if len(r.packs) == 0 {
		return nil, &senda.Error{Code: senda.CodeNotFound, Key: KeyReadFile, Args: map[string]any{"file": dir, "message": "no pack in " + dir}}
	}
	return r, nil
}

// Add publishes p. It is refused (code conflict) when the registry already
// holds its version or another version effective from the same date.
func (r *Registry) Add(p *Pack) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, q := range r.packs {
		if q.version == p.version {
			return senda.Errorf(senda.CodeConflict, KeyVersionExists, map[string]any{"version": p.version})
		}
		if q.effectiveFrom == p.effectiveFrom {
			return senda.Errorf(senda.CodeConflict, KeyDateTaken, map[string]any{"version": p.version,
				"other": q.version, "effective_from": string(p.effectiveFrom)})
		}
	}
	packs := append(slices.Clone(r.packs), p)
	sort.Slice(packs, func(i, j int) bool { return packs[i].effectiveFrom < packs[j].effectiveFrom })
	r.packs = packs
	return nil
}

// At returns the version in effect on the calendar date of asOf: the one
// with the latest effective_from on or before it. It fails with code
// not_found when every version starts later.
func (r *Registry) At(asOf time.Time) (*Pack, error) {
	d := profile.DateOf(asOf)
	r.mu.RLock()
	defer r.mu.RUnlock()
	for i := len(r.packs) - 1; i >= 0; i-- {
		if r.packs[i].effectiveFrom <= d {
			return r.packs[i], nil
		}
	}
	return nil, senda.Errorf(senda.CodeNotFound, KeyNoPackInEffect, map[string]any{"as_of": string(d)})
}

// Version returns the pack with version v.
func (r *Registry) Version(v string) (*Pack, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, p := range r.packs {
		if p.version == strings.TrimSpace(v) {
			return p, nil
		}
	}
	return nil, senda.Errorf(senda.CodeNotFound, KeyUnknownVersion, map[string]any{"version": v})
}

// Packs returns every version, oldest effective date first.
func (r *Registry) Packs() []*Pack {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Clone(r.packs)
}

// OpenRegistry opens the policy for a command line: the shipped packs when
// path is empty; the pack in path when it is a .yaml file or a directory
// of .yaml files only; and when path is a directory with subdirectories, a
// directory of versions, each subdirectory and each .yaml file in it being
// one pack.
func OpenRegistry(path string) (*Registry, error) {
	if path == "" {
		return Shipped()
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, &senda.Error{Code: senda.CodeNotFound, Key: KeyReadFile, Args: map[string]any{"file": path}, Err: err}
	}
	if st.IsDir() {
		entries, err := os.ReadDir(path)
		if err != nil {
			return nil, &senda.Error{Code: senda.CodeNotFound, Key: KeyReadFile, Args: map[string]any{"file": path}, Err: err}
		}
		for _, e := range entries {
			if e.IsDir() {
				return LoadRegistry(os.DirFS(path), ".")
			}
		}
	}
	p, err := LoadFile(path)
	if err != nil {
		return nil, err
	}
	return NewRegistry(p)
}
