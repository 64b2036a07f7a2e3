package policy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"path"
	"strings"
	"testing"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/policy"
)

// FuzzParse: any input is either refused with an invalid-pack error whose
// every field names the file, or gives a pack that screens without
// failing.
func FuzzParse(f *testing.F) {
	f.Add([]byte(goodPack))
	f.Add([]byte(strings.Replace(goodPack, "person.us_supporter_with_i134a", "person.us_supporter_with_i134a && age_at_least(person.birth_date, 18, as_of)", 1)))
	f.Add([]byte(strings.Replace(goodPack, "person.nationality in lists.four", "cel.bind(n, person.nationality, n in lists.four || principal(household).nationality == n)", 1)))
	f.Add([]byte(strings.Replace(goodPack, "person.nationality in lists.four", "person.irregular_entries.exists(e, e.date > date('2023-01-09'))", 1)))
	f.Add([]byte(""))
	f.Add([]byte("version: [\n"))
	f.Add([]byte("version: x\n---\nversion: y\n"))
	entries, err := fs.ReadDir(policy.ShippedFS(), shippedVersionDir)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(policy.ShippedFS(), path.Join(shippedVersionDir, e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	p0, h0 := chnvBase()
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := policy.Parse("fuzz.yaml", data)
		if err != nil {
			var se *senda.Error
			if !errors.As(err, &se) || se.Code != senda.CodeInvalid || se.Key != policy.KeyInvalidPack || len(se.Fields) == 0 {
				t.Fatalf("got %v, want an invalid-pack error with fields", err)
			}
			for _, fe := range se.Fields {
				if !strings.HasPrefix(fe.Location, "fuzz.yaml") {
					t.Fatalf("field error location %q does not name the file", fe.Location)
				}
			}
			return
		}
		res := p.Screen(p0, h0, day("2024-01-01"))
		if len(res) != len(p.Programs()) {
			t.Fatalf("got %d results for %d programmes", len(res), len(p.Programs()))
		}
		for _, r := range res {
			switch r.Result {
			case policy.Eligible, policy.Ineligible, policy.NeedsInfo:
			default:
				t.Fatalf("got outcome %q", r.Result)
			}
		}
	})
}

// FuzzScreenJSONL: any input gives JSON output lines, one per programme
// for each good line and one per bad line, and at most an invalid
// bad-lines error.
func FuzzScreenJSONL(f *testing.F) {
	for _, s := range []string{
		`{"id":"a","nationality":"VE","current_country":"CO"}`,
		`{"id":"b","household":{"members":[{"relationship":"principal","nationality":"CU","travelling_with":true}]},"role":"spouse"}`,
		`{"id":"c","birth_date":"2005","irregular_entries":[{"country":"MX","date":"2023-02-01"}]}`,
		"{\"id\":\"d\"}\n\n{\"id\":\"e\",\"x\":1}\nnot json\n",
		`{"id":"\u2028\"","current_city":"Ciudad Ju\u00e1rez"}`,
		`{"id":"f","birth_date":"1990-02-30","other_nationalities":null}`,
	} {
		f.Add([]byte(s))
	}
	pack, err := policy.Shipped()
	if err != nil {
		f.Fatal(err)
	}
	p, err := pack.At(day("2024-01-01"))
	if err != nil {
		f.Fatal(err)
	}
	programs := []string{"chnv_parole", "cbp_one_appointment", "usrap_referral"}
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		err := policy.ScreenJSONL(context.Background(), p, day("2024-01-01"), programs, bytes.NewReader(data), &out)
		if err != nil {
			var se *senda.Error
			if !errors.As(err, &se) || se.Key != policy.KeyBadLines {
				t.Fatalf("got %v, want nil or a bad-lines error", err)
			}
		}
		results, errLines := 0, 0
		for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
			if line == "" {
				continue
			}
			var v struct {
				Line    int    `json:"line"`
				Error   string `json:"error"`
				Program string `json:"program"`
			}
			if err := json.Unmarshal([]byte(line), &v); err != nil {
				t.Fatalf("output line is not JSON: %q: %v", line, err)
			}
			if v.Error != "" {
				errLines++
			} else {
				results++
			}
		}
		if results%len(programs) != 0 {
			t.Fatalf("got %d result lines, not a multiple of %d programmes", results, len(programs))
		}
		if (errLines > 0) != (err != nil) {
			t.Fatalf("got %d error lines and error %v", errLines, err)
		}
	})
}
