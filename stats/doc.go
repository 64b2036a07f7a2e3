// Package stats imports published encounter statistics (CBP's Southwest
// Land Border and Nationwide CSV files, OHSS's USBP workbook) into canonical
// rows, keeps datasets in a columnar in-memory form and answers queries
// over them: sums by dimensions, month and year comparisons, revisions
// between releases, and exports with small-cell suppression.
//
// The engine is generic: a Schema names a dataset's dimensions and
// measure, and any Table of a schema can be queried. Encounter datasets use
// EncounterSchema.
//
// The package is pure: it does no storage and no I/O beyond reading the
// bytes it is given (ParseFile reads one file). See docs/stats.
package stats
