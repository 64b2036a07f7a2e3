package eligibility

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/senda-platform/senda/household"
	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/households"
	"github.com/senda-platform/senda/internal/seal"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/profile"
)

var (
	caseworkerMX = households.Caller{Principal: access.Principal{TokenID: "cw-mx", Kind: "token", Role: access.Caseworker, Scope: "MX"}}
	caseworkerGT = households.Caller{Principal: access.Principal{TokenID: "cw-gt", Kind: "token", Role: access.Caseworker, Scope: "GT"}}
	managerAll   = households.Caller{Principal: access.Principal{TokenID: "pm", Kind: "token", Role: access.ProgrammeManager, Scope: "*"}}
	managerGT    = households.Caller{Principal: access.Principal{TokenID: "pm-gt", Kind: "token", Role: access.ProgrammeManager, Scope: "GT"}}
	adminAll     = households.Caller{Principal: access.Principal{TokenID: "admin", Kind: "token", Role: access.Admin, Scope: "*"}}
)

// newService returns a service on db whose clock reads now.
func newService(t testing.TB, db *store.DB, now string) *Service {
	t.Helper()
	keys := seal.New()
	hh := &households.Service{DB: db, Keys: keys, ActsFor: func(context.Context, string, string) (bool, error) { return false, nil }}
	s := New(db, keys, hh, nil)
	s.Now = func() time.Time { return day(now) }
	s.CheckEvery = 0
	return s
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// family is the four-person household of the household tests: a
// Venezuelan couple and two children in Ciudad Juárez.
func family(t testing.TB) *household.Household {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "households", "testdata", "family.json"))
	if err != nil {
		t.Fatal(err)
	}
	var h household.Household
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return &h
}

// register saves h as c and returns it.
func register(t testing.TB, s *Service, c households.Caller, h *household.Household) *household.Household {
	t.Helper()
	out, err := s.Households.Save(context.Background(), c, h, "")
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	return out
}

// shippedSource returns the shipped version as one file, with its version
// and effective date replaced and each edit (old, new) applied once.
func shippedSource(t testing.TB, s *Service, version, effective string, edits ...string) []byte {
	t.Helper()
	_, src, err := s.Source(context.Background(), "2025.1")
	if err != nil {
		t.Fatal(err)
	}
	text := string(src)
	text = strings.Replace(text, `version: "2025.1"`, `version: "`+version+`"`, 1)
	text = strings.Replace(text, "effective_from: 2021-03-09", "effective_from: "+effective, 1)
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(text, edits[i]) {
			t.Fatalf("the shipped pack has no %q", edits[i])
		}
		text = strings.Replace(text, edits[i], edits[i+1], 1)
	}
	return []byte(text)
}

// genProfile draws a profile with every kind of answer: not answered,
// answered, empty lists and lists with items, with a household or not.
func genProfile(t *rapid.T, id string) profile.Profile {
	var p profile.Profile
	fill(t, reflect.ValueOf(&p).Elem(), "p")
	p.ID = id
	return p
}

var (
	countries = []string{"VE", "CU", "HT", "NI", "CO", "MX", "US", "GT", "EC", "SV", "HN", "CR", "PA", "UA"}
	dates     = []string{"2019-02-28", "2021-03-08", "2022-10-19", "2023-01-06", "2023-06-11", "2023-07-31", "2024-03-04", "2025-11-08", "2027-01-01"}
	partials  = []string{"1950", "1990-05", "2005", "2005-05", "2007-06-15", "2010-01-31", "2020-12"}
	words     = []string{"principal", "spouse", "child", "parent", "other", "sibling", "irregular", "regular", "parolee", "tps", "none", "F1", "IR", "usc", "lpr", "h2a", "h2b", "Ciudad Juárez", "São Paulo"}
)

// fill sets v (a struct field named name) to a random value of its type.
func fill(t *rapid.T, v reflect.Value, name string) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			fill(t, v.Field(i), name+"."+v.Type().Field(i).Name)
		}
	case reflect.Pointer:
		if rapid.IntRange(0, 2).Draw(t, name+"?") == 0 {
			return
		}
		e := reflect.New(v.Type().Elem())
		fill(t, e.Elem(), name)
		v.Set(e)
	case reflect.Slice:
		switch rapid.IntRange(0, 3).Draw(t, name+"#") {
		case 0:
			return
		case 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			return
		}
		n := rapid.IntRange(1, 4).Draw(t, name+"n")
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			fill(t, s.Index(i), fmt.Sprintf("%s[%d]", name, i))
		}
		v.Set(s)
	case reflect.String:
		var pool []string
		switch {
		case strings.Contains(name, "BirthDate"):
			pool = partials
		case strings.Contains(name, "Date"):
			pool = dates
		case strings.Contains(name, "Countr") || strings.Contains(name, "Nationalit"):
			pool = countries
		case strings.Contains(name, "Region"):
			pool = []string{"MX-CHH", "MX-CHP", "MX-JAL", "GT-01"}
		default:
			pool = append(words, countries...)
		}
		v.SetString(rapid.SampledFrom(pool).Draw(t, name))
	case reflect.Bool:
		v.SetBool(rapid.Bool().Draw(t, name))
	case reflect.Int:
		v.SetInt(int64(rapid.IntRange(-3, 1000).Draw(t, name)))
	default:
		t.Fatalf("fill: %s of kind %s", name, v.Kind())
	}
}
