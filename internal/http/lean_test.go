package http

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"

	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/appointments"
)

// asHuma returns what huma makes of body as an appointment request's input:
// the status, and the input when it accepts it.
func asHuma(t testing.TB) func(body string) (int, appointments.RequestInput) {
	s := New(Config{Log: slog.New(slog.DiscardHandler), Version: "test"})
	type in struct{ Body appointments.RequestInput }
	Register(s, access.Public, huma.Operation{OperationID: "echo-request-input", Method: "POST", Path: "/echo"},
		func(ctx context.Context, in *in) (*struct{ Body appointments.RequestInput }, error) {
			return &struct{ Body appointments.RequestInput }{in.Body}, nil
		})
	h := s.Handler()
	return func(body string) (int, appointments.RequestInput) {
		req := httptest.NewRequest("POST", "/echo", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		var got appointments.RequestInput
		if w.Code == http.StatusOK {
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("echo: %v %s", err, w.Body)
			}
		}
		return w.Code, got
	}
}

var leanSeeds = []string{
	`{"preferences":["POE-SYS","POE-CLX"]}`,
	` { "preferences" : [ "POE-SYS" ] , "time_zone" : "America/Tijuana" } `,
	`{"household_id":"01J0000000000000000000000","preferences":["POE-SYS","POE-CLX","POE-ELP"],"service_date":"2025-03-02"}`,
	`{"preferences":["a"],"preferences":["b","c"]}`,
	`{"preferences":["\u00e9\ud83d\ude00","x\"y"]}`,
	`{"preferences":[]}`,
	`{"preferences":["a","b","c","d"]}`,
	`{"preferences":null}`,
	`{"preferences":["a",null]}`,
	`{"preferences":["a",1]}`,
	`{"Preferences":["a"]}`,
	`{"preferences":["a"],"$schema":"x"}`,
	`{"preferences":["a"],"extra":1}`,
	`{"preferences":["a"]} {}`,
	`{"preferences":["a"]}x`,
	`[{"preferences":["a"]}]`,
	`{"preferences":["a"],"service_date":"2025-02-30"}`,
	`{"preferences":["a"],"service_date":null}`,
	`{"preferences":["a"],"household_id":"` + strings.Repeat("é", 64) + `"}`,
	`{"preferences":["a"],"household_id":"` + strings.Repeat("é", 65) + `"}`,
	`{"preferences":["a"],"time_zone":7}`,
	`{"preferences":["a"],"preferences":"b"}`,
	"{\"preferences\":[\"\xff\"]}",
	`{}`,
	``,
	`null`,
}

// What the lean path accepts, huma accepts too, and decodes the same way;
// what it refuses goes to huma, which says what to fix.
func TestLeanRequestInputAsHuma(t *testing.T) {
	huma := asHuma(t)
	accepted := 0
	for _, body := range leanSeeds {
		in, ok := decodeRequestInput([]byte(body))
		status, want := huma(body)
		if ok {
			accepted++
			if status != http.StatusOK || !reflect.DeepEqual(in, want) {
				t.Errorf("%s: lean %+v, huma %d %+v", body, in, status, want)
			}
		}
	}
	// The valid bodies (the first five, 64 characters of household, an
	// invalid UTF-8 byte that both read as U+FFFD) take the lean path.
	if accepted != 7 {
		t.Errorf("the lean path accepted %d of the seeds, want the 7 valid ones", accepted)
	}
}

func FuzzLeanRequestInputAsHuma(f *testing.F) {
	for _, s := range leanSeeds {
		f.Add(s)
	}
	huma := asHuma(f)
	f.Fuzz(func(t *testing.T, body string) {
		in, ok := decodeRequestInput([]byte(body))
		if !ok {
			return
		}
		if status, want := huma(body); status != http.StatusOK || !reflect.DeepEqual(in, want) {
			t.Errorf("%q: lean %+v, huma %d %+v", body, in, status, want)
		}
	})
}
