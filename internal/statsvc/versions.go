package statsvc

import (
	"context"
	"encoding/json"
	"time"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/store"
)

// Dataset is an imported dataset: its current version, what its table holds
// and every version imported.
type Dataset struct {
	Key        string    `json:"key" doc:"Dataset key, e.g. cbp-sw-land-border"`
	Version    int       `json:"version" doc:"Current version"`
	UpdatedAt  time.Time `json:"updated_at"`
	Rows       int       `json:"rows" doc:"Cells held now"`
	FirstMonth string    `json:"first_month"`
	LastMonth  string    `json:"last_month"`
	Total      int64     `json:"total" doc:"Sum of all cells"`
	Versions   []Version `json:"versions"`
}

// Version is one imported release of a dataset.
type Version struct {
	Dataset    string    `json:"dataset"`
	Version    int       `json:"version"`
	Current    bool      `json:"current"`
	File       string    `json:"file" doc:"File name as imported"`
	SHA256     string    `json:"sha256" doc:"SHA-256 of the file's bytes"`
	ImportedAt time.Time `json:"imported_at"`
	FirstMonth string    `json:"first_month"`
	LastMonth  string    `json:"last_month"`
	Months     int       `json:"months" doc:"Months the file covers: they replaced the stored ones"`
	Rows       int       `json:"rows" doc:"Cells in the file"`
	Added      int       `json:"added"`
	Removed    int       `json:"removed"`
	Changed    int       `json:"changed"`
}

// Cell is one cell a version added, removed or revised.
type Cell struct {
	Change         string `json:"change" enum:"added,removed,changed"`
	Month          string `json:"month"`
	FiscalYear     int    `json:"fiscal_year"`
	Component      string `json:"component"`
	Region         string `json:"region"`
	AOR            string `json:"aor"`
	Demographic    string `json:"demographic"`
	Citizenship    string `json:"citizenship"`
	CitizenshipISO string `json:"citizenship_iso"`
	Title          string `json:"title"`
	EncounterType  string `json:"encounter_type"`
	Before         int64  `json:"before" doc:"Count before this version (0 when added)"`
	After          int64  `json:"after" doc:"Count in this version (0 when removed)"`
}

// Diff is what one version changed: each covered month's total before and
// after, and a page of the cells it added, removed or revised.
type Diff struct {
	Version
	Totals     []MonthTotal `json:"totals"`
	Cells      []Cell       `json:"cells"`
	Offset     int          `json:"offset"`
	NextOffset int          `json:"next_offset,omitempty" doc:"Offset of the next page of cells; absent on the last page"`
}

func versionOf(v store.StatsVersion, current int) Version {
	return Version{Dataset: v.Dataset, Version: v.Version, Current: v.Version == current, File: v.File, SHA256: v.SHA256,
		ImportedAt: v.ImportedAt, FirstMonth: v.FirstMonth, LastMonth: v.LastMonth, Months: v.Months, Rows: v.Rows,
		Added: v.Added, Removed: v.Removed, Changed: v.Changed}
}

// Datasets lists the imported datasets with their versions, by key.
func (s *Service) Datasets(ctx context.Context) ([]Dataset, error) {
	e, err := s.Encounters(ctx)
	if err != nil {
		return nil, err
	}
	out := []Dataset{}
	err = s.db.View(ctx, func(tx *store.Tx) error {
		ds, err := tx.StatsDatasets(ctx)
		if err != nil {
			return err
		}
		for _, d := range ds {
			item := Dataset{Key: d.Key, Version: d.Version, UpdatedAt: d.UpdatedAt, Versions: []Version{}}
			if t, err := e.Table(d.Key); err == nil {
				first, last := t.Span()
				item.Rows, item.Total, item.FirstMonth, item.LastMonth = t.Len(), t.Total(), first.String(), last.String()
			}
			vs, err := tx.StatsVersions(ctx, d.Key)
			if err != nil {
				return err
			}
			for _, v := range vs {
				item.Versions = append(item.Versions, versionOf(v, d.Version))
			}
			out = append(out, item)
		}
		return nil
	})
	return out, err
}

// MaxDiffCells bounds one page of a version's changed cells.
const MaxDiffCells = 5000

// VersionDiff returns what version n of dataset key changed, with the
// changed cells from offset, at most limit (<= 0 or more than MaxDiffCells
// means MaxDiffCells). An unknown dataset or version is not_found.
func (s *Service) VersionDiff(ctx context.Context, key string, n, offset, limit int) (*Diff, error) {
	if limit <= 0 || limit > MaxDiffCells {
		limit = MaxDiffCells
	}
	offset = max(offset, 0)
	var d Diff
	err := s.db.View(ctx, func(tx *store.Tx) error {
		v, err := tx.StatsVersion(ctx, key, n)
		if store.IsNotFound(err) {
			return senda.Errorf(senda.CodeNotFound, "stats.version.not_found", map[string]any{"dataset": key, "version": n})
		}
		if err != nil {
			return err
		}
		cur := 0
		all, err := tx.StatsDatasets(ctx)
		if err != nil {
			return err
		}
		for _, x := range all {
			if x.Key == key {
				cur = x.Version
			}
		}
		d.Version = versionOf(v, cur)
		var sum summary
		if err := json.Unmarshal([]byte(v.Summary), &sum); err != nil {
			return senda.Wrap(err, "stats.store.bad_summary")
		}
		d.Totals = sum.Totals
		cells, err := tx.StatsChanges(ctx, key, n, offset, limit+1)
		if err != nil {
			return err
		}
		d.Offset = offset
		if len(cells) > limit {
			cells = cells[:limit]
			d.NextOffset = offset + limit
		}
		d.Cells = make([]Cell, len(cells))
		for i, c := range cells {
			r := c.Row
			d.Cells[i] = Cell{Change: c.Kind, Month: r.Month, FiscalYear: r.FiscalYear, Component: r.Component, Region: r.Region, AOR: r.AOR,
				Demographic: r.Demographic, Citizenship: r.Citizenship, CitizenshipISO: r.CitizenshipISO, Title: r.Title,
				EncounterType: r.EncounterType, Before: c.Old, After: c.New}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if d.Totals == nil {
		d.Totals = []MonthTotal{}
	}
	return &d, nil
}
