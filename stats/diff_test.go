package stats

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func cell(m Month, cit string, n int64) Row {
	code, _ := CitizenshipCode(cit)
	return Row{Month: m, FiscalYear: m.FiscalYear(), Component: ComponentUSBP, Region: RegionSouthwest,
		Demographic: "Single Adults", Citizenship: cit, CitizenshipISO: code, Title: "Title 8", EncounterType: "Apprehensions", Encounters: n}
}

func TestDiffAndMerge(t *testing.T) {
	jan, feb, mar := MonthOf(2024, time.January), MonthOf(2024, time.February), MonthOf(2024, time.March)
	old := []Row{
		cell(jan, "Mexico", 100), cell(jan, "Guatemala", 50),
		cell(feb, "Mexico", 200), cell(feb, "Guatemala", 60), cell(feb, "Honduras", 7),
	}
	// The new release revises February and adds March; it does not cover
	// January, which stays as it was.
	new := []Row{
		cell(feb, "Mexico", 210), cell(feb, "Guatemala", 60), cell(feb, "Other", 3),
		cell(mar, "Mexico", 150),
	}
	got := Diff(old, new)
	want := Changes{
		Months:  []Month{feb, mar},
		Added:   []Row{cell(feb, "Other", 3), cell(mar, "Mexico", 150)},
		Removed: []Row{cell(feb, "Honduras", 7)},
		Changed: []Change{{Row: cell(feb, "Mexico", 210), Old: 200, New: 210}},
		Totals:  []MonthTotal{{feb, 267, 273}, {mar, 0, 150}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Diff (-want +got):\n%s", diff)
	}
	merged := Merge(old, new)
	wantMerged := []Row{
		cell(jan, "Guatemala", 50), cell(jan, "Mexico", 100),
		cell(feb, "Guatemala", 60), cell(feb, "Mexico", 210), cell(feb, "Other", 3),
		cell(mar, "Mexico", 150),
	}
	if diff := cmp.Diff(wantMerged, merged); diff != "" {
		t.Errorf("Merge (-want +got):\n%s", diff)
	}
	if d := Diff(merged, new); len(d.Added)+len(d.Removed)+len(d.Changed) != 0 {
		t.Errorf("Diff after Merge = %+v, want no changes", d)
	}
}

func TestDiffEmptyNew(t *testing.T) {
	got := Diff([]Row{cell(MonthOf(2024, 1), "Mexico", 1)}, nil)
	if diff := cmp.Diff(Changes{}, got); diff != "" {
		t.Errorf("Diff with an empty release (-want +got):\n%s", diff)
	}
}
