package cli

import (
	"strings"
	"testing"

	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/store"
)

// FuzzHouseholdEndpoint sends hostile bodies to the registration endpoint:
// never a server error, always a problem document or a household.
func FuzzHouseholdEndpoint(f *testing.F) {
	app := NewTestApp(f, store.SQLite)
	tok := app.Token(f, access.Caseworker, "MX")
	for _, s := range []string{`{}`, `{"members":[]}`, `{"members":[{"relationship":"principal","given_names":"Ñandú","surnames":["Ö"],"birth_date":"2000-02-29","screening":{"id":"x"}}],"place":"MX"}`,
		`{"members":[{"screening":{"irregular_entries":[{"country":"US","date":"2099-99-99"}]}}]}`, `null`, `"x"`, `{"members":[{"documents":[{"number":"` + strings.Repeat("9", 40) + `"}]}]}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		w := app.Do("POST", "/api/v1/households", tok, []byte(body))
		if w.Code >= 500 {
			t.Fatalf("body %q: %d %s", body, w.Code, w.Body)
		}
		if w.Code != 201 && !strings.HasPrefix(w.Header().Get("Content-Type"), "application/problem+json") {
			t.Fatalf("body %q: %d without a problem document", body, w.Code)
		}
	})
}
