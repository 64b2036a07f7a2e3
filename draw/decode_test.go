package draw_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/draw"
)

// validJSON is a small valid input record; its seed hashes to its
// commitment.
const validJSON = `{
  "format": "senda-draw/1",
  "service_date": "2025-03-01",
  "commitment": "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925",
  "seed": "0000000000000000000000000000000000000000000000000000000000000000",
  "slots": [
    {"location":"ELP","start":"2025-03-01T09:00:00-06:00","capacity":3},
    {"location":"NOG","start":"2025-03-01T08:00:00-07:00","capacity":2}
  ],
  "requests": [
    {"id":"R1","size":2,"registered_at":"2025-02-01T12:00:00Z","preferences":["ELP","NOG"]},
    {"id":"R2","size":1,"registered_at":"2025-02-02T12:00:00Z","preferences":["NOG"]}
  ]
}`

type fieldKey struct{ Location, Key string }

func fieldsOf(t *testing.T, err error) []fieldKey {
	t.Helper()
	var e *senda.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v, want a *senda.Error", err)
	}
	if e.Code != senda.CodeInvalid {
		t.Errorf("code: got %s, want invalid", e.Code)
	}
	var out []fieldKey
	for _, f := range e.Fields {
		out = append(out, fieldKey{f.Location, f.Key})
	}
	return out
}

func TestDecodeValid(t *testing.T) {
	rec, err := draw.Decode(strings.NewReader(validJSON))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if rec.PriorityShareBP != draw.DefaultPriorityShareBP {
		t.Errorf("priority_share_bp: got %d, want the default %d", rec.PriorityShareBP, draw.DefaultPriorityShareBP)
	}
	if got, want := rec.Slots[0].Start, mustTime(t, "2025-03-01T15:00:00Z"); !got.Equal(want) {
		t.Errorf("slots[0].start: got %v, want %v", got, want)
	}
	if rec.Beacon != nil || rec.Allocations != nil || rec.RequestsRoot != "" {
		t.Errorf("got beacon %v, allocations %v, root %q; want none", rec.Beacon, rec.Allocations, rec.RequestsRoot)
	}
	out, err := draw.Run(rec)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	var buf bytes.Buffer
	if err := draw.Encode(&buf, out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `{"location":"ELP","start":"2025-03-01T15:00:00Z","capacity":3}`) {
		t.Errorf("Encode: slot start not written in UTC:\n%s", buf.String())
	}
}

func TestDecodeNullBeacon(t *testing.T) {
	in := strings.Replace(validJSON, `"slots"`, `"beacon": null, "slots"`, 1)
	rec, err := draw.Decode(strings.NewReader(in))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if rec.Beacon != nil {
		t.Errorf("beacon: got %+v, want nil", rec.Beacon)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(string) string
		want []fieldKey
	}{
		{
			name: "unknown and repeated keys",
			edit: func(s string) string {
				return strings.Replace(s, `"format": "senda-draw/1",`, `"format": "senda-draw/1", "format": "x", "extra": [1, {"a": 2}],`, 1)
			},
			want: []fieldKey{{"format", "draw.field.duplicate_key"}, {"extra", "draw.field.unknown"}},
		},
		{
			name: "every bad field at once",
			edit: func(s string) string {
				s = strings.Replace(s, `"capacity":3`, `"capacity":-1`, 1)
				s = strings.Replace(s, `"size":2`, `"size":1.5`, 1)
				s = strings.Replace(s, `"registered_at":"2025-02-02T12:00:00Z"`, `"registered_at":"2025-02-02T12:00:00+00:00"`, 1)
				s = strings.Replace(s, `"preferences":["NOG"]`, `"preferences":["NOG","NOG"]`, 1)
				s = strings.Replace(s, `"service_date": "2025-03-01"`, `"service_date": "2025-02-30"`, 1)
				return strings.Replace(s, `"seed": "00`, `"seed": "0A`, 1)
			},
			want: []fieldKey{
				{"requests[0].size", "draw.field.type"},
				{"requests[1].registered_at", "draw.field.time"},
				{"service_date", "draw.field.date"},
				{"seed", "draw.field.hex"},
				{"slots[0].capacity", "draw.field.range"},
				{"requests[1].preferences[1]", "draw.request.duplicate_preference"},
			},
		},
		{
			name: "missing fields",
			edit: func(s string) string {
				s = strings.Replace(s, `"format": "senda-draw/1",`, ``, 1)
				return strings.Replace(s, `"id":"R2",`, ``, 1)
			},
			want: []fieldKey{{"requests[1].id", "draw.field.required"}, {"format", "draw.field.required"}},
		},
		{
			name: "duplicate request id",
			edit: func(s string) string { return strings.Replace(s, `"id":"R2"`, `"id":"R1"`, 1) },
			want: []fieldKey{{"requests[1].id", "draw.request.duplicate_id"}},
		},
		{
			name: "wrong types",
			edit: func(s string) string {
				s = strings.Replace(s, `"slots": [`, `"priority_share_bp": "2500", "slots": [`, 1)
				return strings.Replace(s, `"preferences":["NOG"]`, `"preferences":"NOG"`, 1)
			},
			want: []fieldKey{{"priority_share_bp", "draw.field.type"}, {"requests[1].preferences", "draw.field.type"}},
		},
		{
			name: "out of range and bad codes",
			edit: func(s string) string {
				s = strings.Replace(s, `"slots": [`, `"priority_share_bp": 10001, "slots": [`, 1)
				s = strings.Replace(s, `"size":1`, `"size":0`, 1)
				s = strings.Replace(s, `"id":"R1"`, `"id":"R|1"`, 1)
				return strings.Replace(s, `"location":"NOG"`, `"location":"N,G"`, 1)
			},
			want: []fieldKey{
				{"priority_share_bp", "draw.field.range"},
				{"slots[1].location", "draw.field.code"},
				{"requests[0].id", "draw.field.id"},
				{"requests[1].size", "draw.field.range"},
			},
		},
		{
			name: "too many preferences, none at all",
			edit: func(s string) string {
				s = strings.Replace(s, `["ELP","NOG"]`, `["ELP","NOG","SYS","CAL"]`, 1)
				return strings.Replace(s, `["NOG"]`, `[]`, 1)
			},
			want: []fieldKey{{"requests[0].preferences", "draw.field.count"}, {"requests[1].preferences", "draw.field.count"}},
		},
		{
			name: "syntax error",
			edit: func(s string) string { return strings.Replace(s, `"capacity":2}`, `"capacity":2,}`, 1) },
			want: []fieldKey{{"line 8, column 72", "draw.json.syntax"}},
		},
		{
			name: "trailing data",
			edit: func(s string) string { return s + ` {}` },
			want: []fieldKey{{"line 14, column 3", "draw.json.trailing"}},
		},
		{
			name: "not an object",
			edit: func(string) string { return `[1,2]` },
			want: []fieldKey{{"", "draw.field.type"}},
		},
		{
			name: "invalid UTF-8",
			edit: func(s string) string { return strings.Replace(s, `R2`, "R\xff", 1) },
			want: []fieldKey{{"line 12, column 13", "draw.json.utf8"}},
		},
		{
			name: "time with fraction, lowercase z, out-of-range offset",
			edit: func(s string) string {
				s = strings.Replace(s, `09:00:00-06:00`, `09:00:00.5Z`, 1)
				s = strings.Replace(s, `08:00:00-07:00`, `08:00:00-24:00`, 1)
				return strings.Replace(s, `2025-02-01T12:00:00Z`, `2025-02-01t12:00:00z`, 1)
			},
			want: []fieldKey{{"slots[0].start", "draw.field.time"}, {"slots[1].start", "draw.field.time"}, {"requests[0].registered_at", "draw.field.time"}},
		},
		{
			name: "bad beacon",
			edit: func(s string) string {
				return strings.Replace(s, `"slots"`, `"beacon": {"source":"","round":-1,"value":"ABC"}, "slots"`, 1)
			},
			want: []fieldKey{{"beacon.source", "draw.field.text"}, {"beacon.round", "draw.field.range"}, {"beacon.value", "draw.field.hex"}},
		},
		{
			name: "bad allocation",
			edit: func(s string) string {
				return strings.Replace(s, `"slots"`, `"allocations": [{"request":"R1","location":"ELP","start":"2025-03-01T15:00:00Z","phase":"first"}, 3], "slots"`, 1)
			},
			want: []fieldKey{{"allocations[1]", "draw.field.type"}, {"allocations[0].phase", "draw.field.value"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := draw.Decode(strings.NewReader(tt.edit(validJSON)))
			if err == nil {
				t.Fatal("Decode: got no error")
			}
			if diff := cmp.Diff(tt.want, fieldsOf(t, err)); diff != "" {
				t.Errorf("field errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeTooManyErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{`)
	for i := range 300 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"k` + strings.Repeat("x", i) + `":1`)
	}
	b.WriteString(`}`)
	_, err := draw.Decode(strings.NewReader(b.String()))
	fields := fieldsOf(t, err)
	if len(fields) != draw.MaxFieldErrors+1 {
		t.Fatalf("got %d field errors, want %d", len(fields), draw.MaxFieldErrors+1)
	}
	if got := fields[draw.MaxFieldErrors].Key; got != "draw.too_many_errors" {
		t.Errorf("last field error: got %s, want draw.too_many_errors", got)
	}
}

func TestRunRejectsWrongSeed(t *testing.T) {
	rec, err := draw.Decode(strings.NewReader(strings.Replace(validJSON, `"seed": "00`, `"seed": "01`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = draw.Run(rec)
	if diff := cmp.Diff([]fieldKey{{"seed", "draw.seed_mismatch"}}, fieldsOf(t, err)); diff != "" {
		t.Errorf("field errors (-want +got):\n%s", diff)
	}
}

func TestRunValidatesGoRecords(t *testing.T) {
	rec := newRecord("go", 2500, []draw.Slot{{Location: "A", Start: mustTime(t, "2025-03-01T09:00:00.5Z"), Capacity: 1}},
		[]draw.Request{{ID: "R1", Size: 1, RegisteredAt: mustTime(t, "2025-02-01T00:00:00Z")}})
	_, err := draw.Run(rec)
	want := []fieldKey{{"slots[0].start", "draw.field.time"}, {"requests[0].preferences", "draw.field.count"}}
	if diff := cmp.Diff(want, fieldsOf(t, err)); diff != "" {
		t.Errorf("field errors (-want +got):\n%s", diff)
	}
}

func TestVerifyDifferences(t *testing.T) {
	rec, err := draw.Decode(strings.NewReader(validJSON))
	if err != nil {
		t.Fatal(err)
	}
	good, err := draw.Run(rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := draw.Verify(good); err != nil {
		t.Fatalf("Verify(Run(rec)): %v", err)
	}
	tests := []struct {
		name string
		edit func(r *draw.Record)
		want string
	}{
		{"seed", func(r *draw.Record) { r.Seed = strings.Repeat("1", 64) }, "commitment: seed does not hash to commitment"},
		{"root", func(r *draw.Record) { r.RequestsRoot = strings.Repeat("a", 64) },
			"requests_root: got " + strings.Repeat("a", 64) + ", want " + good.RequestsRoot},
		{"request changed", func(r *draw.Record) { r.Requests[1].Size = 2 }, "requests_root: got " + good.RequestsRoot},
		{"one missing", func(r *draw.Record) { r.Allocations = r.Allocations[:1] },
			`allocations[1]: got none, want {"request":"R1","location":"ELP","start":"2025-03-01T15:00:00Z","phase":"lottery"}`},
		{"one extra", func(r *draw.Record) {
			r.Allocations = append(r.Allocations, draw.Allocation{Request: "R9", Location: "ELP", Start: r.Slots[0].Start, Phase: draw.PhaseLottery})
		}, `allocations[2]: got {"request":"R9","location":"ELP","start":"2025-03-01T15:00:00Z","phase":"lottery"}, want none`},
		{"phase", func(r *draw.Record) { r.Allocations[0].Phase = draw.PhaseLottery },
			`allocations[0]: got {"request":"R2","location":"NOG","start":"2025-03-01T15:00:00Z","phase":"lottery"}, want {"request":"R2","location":"NOG","start":"2025-03-01T15:00:00Z","phase":"priority"}`},
		{"no allocations", func(r *draw.Record) { r.Allocations = nil }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := *good
			bad.Requests = append([]draw.Request(nil), good.Requests...)
			bad.Allocations = append([]draw.Allocation(nil), good.Allocations...)
			tt.edit(&bad)
			err := draw.Verify(&bad)
			if err == nil {
				t.Fatal("Verify: got nil, want a difference")
			}
			if tt.want == "" {
				if diff := cmp.Diff([]fieldKey{{"allocations", "draw.field.required"}}, fieldsOf(t, err)); diff != "" {
					t.Errorf("field errors (-want +got):\n%s", diff)
				}
				return
			}
			var d *draw.Difference
			if !errors.As(err, &d) {
				t.Fatalf("got %v, want a *draw.Difference", err)
			}
			if !strings.HasPrefix(d.Error(), tt.want) {
				t.Errorf("difference: got %q, want %q", d.Error(), tt.want)
			}
		})
	}
}

func TestEncodeEscapes(t *testing.T) {
	rec, err := draw.Decode(strings.NewReader(validJSON))
	if err != nil {
		t.Fatal(err)
	}
	source := "quote \" backslash \\ tab \t é \u2028 \U0001F600 del \x7f"
	rec.Beacon = &draw.Beacon{Source: source, Round: 1, Value: "00"}
	var buf bytes.Buffer
	if err := draw.Encode(&buf, rec); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"source":"quote \" backslash \\ tab \t é`) {
		t.Errorf("Encode: source not escaped as JSON requires:\n%s", buf.String())
	}
	// The tab and DEL are control characters: Decode rejects the source,
	// but the text must still be valid JSON holding the same string.
	var std struct{ Beacon struct{ Source string } }
	if err := json.Unmarshal(buf.Bytes(), &std); err != nil {
		t.Fatalf("Encode wrote invalid JSON: %v", err)
	}
	if std.Beacon.Source != source {
		t.Errorf("source: got %q, want %q", std.Beacon.Source, source)
	}
}
