package policy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/policy"
)

func screenJSONL(t *testing.T, in string, programs ...string) ([]string, error) {
	t.Helper()
	var out bytes.Buffer
	err := policy.ScreenJSONL(context.Background(), shippedPack(t), day("2023-06-01"), programs, strings.NewReader(in), &out)
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if out.Len() == 0 {
		lines = nil
	}
	return lines, err
}

func TestScreenJSONLLineFormat(t *testing.T) {
	in := `{"id":"a","nationality":"VE","current_country":"CO","role":"principal","has_passport":true,"passport_expiry_date":"2027-01-01","us_supporter_with_i134a":true,"us_removal_order_dates":[],"irregular_entries":[],"interdicted_at_sea_dates":[],"other_nationalities":[],"permanent_residence_countries":[],"refugee_status_countries":[],"birth_date":"1990"}`
	lines, err := screenJSONL(t, in+"\n", "chnv_parole")
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 {
		t.Fatalf("got %d lines, want 1", len(lines))
	}
	want := `{"id":"a","program":"chnv_parole","result":"eligible","criteria":[{"id":"open","passed":true,"explanation":"The programme was open on the screening date (it runs from 2022-10-18 to 2025-03-24)."},{"id":"nationality","passed":true,"explanation":`
	if !strings.HasPrefix(lines[0], want) {
		t.Errorf("got line\n%s\nwant it to start with\n%s", lines[0], want)
	}
	if !strings.HasSuffix(lines[0], `],"policy_version":"2025.1"}`) {
		t.Errorf("got line\n%s\nwant it to end with the policy version", lines[0])
	}
	// Exactly the documented keys, in order.
	dec := json.NewDecoder(strings.NewReader(lines[0]))
	var keys []string
	depth := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		default:
			if s, ok := tok.(string); ok && depth == 1 && dec.More() {
				keys = append(keys, s)
				if _, err := dec.Token(); err != nil { // the value, or the opening of one
					t.Fatal(err)
				}
			}
		}
		if depth == 1 && len(keys) > 0 && keys[len(keys)-1] == "criteria" {
			break
		}
	}
	if diff := cmp.Diff([]string{"id", "program", "result", "criteria"}, keys); diff != "" {
		t.Errorf("top-level keys (-want +got):\n%s", diff)
	}
	var line struct {
		Criteria []map[string]any `json:"criteria"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &line); err != nil {
		t.Fatal(err)
	}
	for _, c := range line.Criteria {
		if len(c) != 3 || c["id"] == nil || c["explanation"] == nil {
			t.Errorf("got criterion %v, want exactly id, passed, explanation", c)
		}
		if _, ok := c["passed"]; !ok {
			t.Errorf("criterion %v has no passed", c)
		}
	}
}

func TestScreenJSONLMatchesScreen(t *testing.T) {
	pack := shippedPack(t)
	p, h := chnvBase()
	p.Nationality = nil // one criterion needs information
	line, err := json.Marshal(profileLine(p, h))
	if err != nil {
		t.Fatal(err)
	}
	lines, err := screenJSONL(t, string(line)+"\n")
	if err != nil {
		t.Fatal(err)
	}
	res := pack.Screen(p, h, day("2023-06-01"))
	if len(lines) != len(res) {
		t.Fatalf("got %d lines, want %d", len(lines), len(res))
	}
	for i, r := range res {
		var got struct {
			ID, Program, Result string
			Criteria            []struct {
				ID          string
				Passed      *bool
				Explanation string
			}
			PolicyVersion string `json:"policy_version"`
		}
		if err := json.Unmarshal([]byte(lines[i]), &got); err != nil {
			t.Fatal(err)
		}
		if got.ID != p.ID || got.Program != r.Program || got.Result != string(r.Result) || got.PolicyVersion != r.PolicyVersion {
			t.Errorf("line %d: got %s %s %s %s, want %s %s %s %s", i, got.ID, got.Program, got.Result, got.PolicyVersion, p.ID, r.Program, r.Result, r.PolicyVersion)
		}
		if len(got.Criteria) != len(r.Criteria) {
			t.Fatalf("line %d: got %d criteria, want %d", i, len(got.Criteria), len(r.Criteria))
		}
		for k, c := range r.Criteria {
			g := got.Criteria[k]
			if g.ID != c.ID || g.Explanation != c.Explanation || (g.Passed == nil) != (c.Passed == nil) || (g.Passed != nil && *g.Passed != *c.Passed) {
				t.Errorf("line %d criterion %s: got %+v, want %+v", i, c.ID, g, c)
			}
		}
	}
}

func TestScreenJSONLBadLines(t *testing.T) {
	good := `{"id":"ok","nationality":"HN"}`
	in := strings.Join([]string{
		good,
		`{"id":"p2","birth_date":"1990-13"}`,
		``,
		`{"id":"p4","colour":"blue"}`,
		`{"id":"p5","nationality":5}`,
		`not json`,
		`{"id":"p7","household":{"members":[{"nationality":"venezuela"}]}}`,
		`{"nationality":"VE"}`,
		`{"id":"p9"} {"id":"p10"}`,
		good,
	}, "\n")
	lines, err := screenJSONL(t, in, "h2a")
	var se *senda.Error
	if !errors.As(err, &se) || se.Code != senda.CodeInvalid || se.Key != policy.KeyBadLines {
		t.Fatalf("got error %v, want an invalid %s error", err, policy.KeyBadLines)
	}
	if se.Args["count"] != 7 {
		t.Errorf("got count %v, want 7", se.Args["count"])
	}
	var locs []string
	for _, f := range se.Fields {
		locs = append(locs, f.Location+" "+f.Key)
	}
	wantLocs := []string{
		"line 2: birth_date profile.partial_date",
		"line 4: colour profile.unknown_field",
		"line 5: nationality profile.json_type",
		"line 6 profile.json_syntax",
		"line 7: household.members[0].nationality profile.pattern",
		"line 8: id profile.required",
		"line 9 profile.json_syntax",
	}
	if diff := cmp.Diff(wantLocs, locs); diff != "" {
		t.Errorf("error locations (-want +got):\n%s", diff)
	}
	if len(lines) != 9 {
		t.Fatalf("got %d output lines, want 9 (2 results, 7 errors):\n%s", len(lines), strings.Join(lines, "\n"))
	}
	if !strings.HasPrefix(lines[0], `{"id":"ok","program":"h2a"`) || !strings.HasPrefix(lines[8], `{"id":"ok","program":"h2a"`) {
		t.Errorf("the good lines were not screened in order:\n%s\n%s", lines[0], lines[8])
	}
	wantErr := `{"line":2,"id":"p2","error":"profile.invalid","fields":[{"location":"birth_date","key":"profile.partial_date"}]}`
	if lines[1] != wantErr {
		t.Errorf("got error line\n%s\nwant\n%s", lines[1], wantErr)
	}
	for _, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Errorf("output line is not JSON: %s", l)
		}
	}
}

func TestScreenJSONLLongLine(t *testing.T) {
	long := `{"id":"x","current_city":"` + strings.Repeat("a", policy.MaxLineBytes) + `"}`
	lines, err := screenJSONL(t, long+"\n"+`{"id":"y"}`+"\n", "ead_parolee")
	if err == nil {
		t.Fatal("got no error for a line longer than MaxLineBytes")
	}
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `{"line":1,"error":"profile.line_too_long"`) || !strings.HasPrefix(lines[1], `{"id":"y"`) {
		t.Errorf("got lines %.200q", lines)
	}
}

func TestScreenJSONLUnknownProgram(t *testing.T) {
	lines, err := screenJSONL(t, `{"id":"a"}`+"\n", "h2a", "no_such_programme")
	var se *senda.Error
	if !errors.As(err, &se) || se.Key != policy.KeyUnknownProgram || se.Args["program"] != "no_such_programme" {
		t.Fatalf("got %v, want %s naming the programme", err, policy.KeyUnknownProgram)
	}
	if len(lines) != 0 {
		t.Errorf("got %d lines before the refusal, want none", len(lines))
	}
}

type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	w.n++
	return 0, errors.New("disk full")
}

func TestScreenJSONLWriteError(t *testing.T) {
	in := strings.Repeat(`{"id":"a"}`+"\n", 2000)
	err := policy.ScreenJSONL(context.Background(), shippedPack(t), day("2024-01-01"), nil, strings.NewReader(in), &failingWriter{})
	var se *senda.Error
	if !errors.As(err, &se) || se.Key != policy.KeyWrite {
		t.Fatalf("got %v, want a %s error", err, policy.KeyWrite)
	}
}

func TestScreenJSONLCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := strings.Repeat(`{"id":"a"}`+"\n", 2000)
	err := policy.ScreenJSONL(ctx, shippedPack(t), day("2024-01-01"), nil, strings.NewReader(in), io.Discard)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}
