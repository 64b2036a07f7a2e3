package cli

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/storetest"
)

// An applicant registers a four-person household through the API, in
// Spanish and in Haitian Creole: errors come back localised, every field at
// once, and the form can be sent twice safely.
func TestRegisterFourPersonHouseholdThroughAPI(t *testing.T) {
	family, err := os.ReadFile("../households/testdata/family.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range storetest.Engines {
		for _, lang := range []string{"es", "ht"} {
			t.Run(string(e)+"/"+lang, func(t *testing.T) {
				app := NewTestApp(t, e)
				w := app.Do("POST", "/api/v1/accounts", "", []byte(`{"phone":"+52 656 123 4567","password":"mi familia unida 2024","language":"`+lang+`"}`))
				if w.Code != 201 {
					t.Fatalf("create account: %d %s", w.Code, w.Body)
				}
				w = app.Do("POST", "/api/v1/auth/signin", "", []byte(`{"login":"+526561234567","password":"mi familia unida 2024"}`))
				if w.Code != 200 {
					t.Fatalf("sign in: %d %s", w.Code, w.Body)
				}
				cookie := w.Result().Cookies()[0]
				send := func(method, path, idem string, body []byte) *httptest.ResponseRecorder {
					req := httptest.NewRequest(method, path, strings.NewReader(string(body)))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Accept-Language", lang)
					if idem != "" {
						req.Header.Set("Idempotency-Key", idem)
					}
					req.AddCookie(cookie)
					rw := httptest.NewRecorder()
					app.Handler.ServeHTTP(rw, req)
					return rw
				}
				// A form with three mistakes: all three come back, localised.
				bad := strings.Replace(strings.Replace(strings.Replace(string(family), `"1988"`, `"1988-02-30"`, 1), `"Valentina"`, `""`, 1), `"+52 1 656 123 4567"`, `"12"`, 1)
				w = send("POST", "/api/v1/households", "", []byte(bad))
				var p struct {
					Title  string
					Errors []struct{ Location, Message string }
				}
				json.Unmarshal(w.Body.Bytes(), &p)
				if w.Code != 422 || len(p.Errors) != 3 {
					t.Fatalf("bad form: got %d with %d errors: %s", w.Code, len(p.Errors), w.Body)
				}
				wantTitle := map[string]string{"es": "Algunas respuestas deben corregirse", "ht": "Gen kèk repons ki bezwen korije"}[lang]
				if p.Title != wantTitle || strings.Contains(p.Errors[0].Message, ".") && strings.HasPrefix(p.Errors[0].Message, "household.") {
					t.Errorf("problem not localised: %s", w.Body)
				}
				// The good form, sent twice with one idempotency key: one household.
				for i := 0; i < 2; i++ {
					w = send("POST", "/api/v1/households", "form-42", family)
					if w.Code != 201 {
						t.Fatalf("register (try %d): %d %s", i+1, w.Code, w.Body)
					}
				}
				var h struct {
					ID, Receipt string
					Members     []struct{ ID string }
				}
				json.Unmarshal(w.Body.Bytes(), &h)
				if len(h.Members) != 4 || h.Receipt == "" {
					t.Fatalf("household: %s", w.Body)
				}
				w = send("GET", "/api/v1/households", "", nil)
				var list []struct{ ID string }
				json.Unmarshal(w.Body.Bytes(), &list)
				if len(list) != 1 {
					t.Fatalf("applicant sees %d households, want 1", len(list))
				}
				// Another applicant, a caseworker elsewhere: 404.
				other := app.Token(t, access.Caseworker, "GT")
				if w := app.Do("GET", "/api/v1/households/"+h.ID, other, nil); w.Code != 404 {
					t.Fatalf("a Guatemala caseworker: got %d, want 404", w.Code)
				}
				if w := app.Do("GET", "/api/v1/households/"+h.ID, app.Token(t, access.Caseworker, "MX"), nil); w.Code != 200 {
					t.Fatalf("a Mexico caseworker: got %d, want 200", w.Code)
				}
				// The applicant sees who viewed their record.
				w = send("GET", "/api/v1/me/access-log", "", nil)
				if w.Code != 200 || !strings.Contains(w.Body.String(), `"actor_role":"caseworker"`) {
					t.Fatalf("access log: %d %s", w.Code, w.Body)
				}
				// And downloads everything held about them.
				if w = send("GET", "/api/v1/households/"+h.ID+"/export", "", nil); w.Code != 200 || !strings.Contains(w.Body.String(), "Valentina") {
					t.Fatalf("export: %d", w.Code)
				}
			})
		}
	}
}

func TestHouseholdsImportCommand(t *testing.T) {
	family, _ := os.ReadFile("../households/testdata/family.json")
	var compact bytes.Buffer
	json.Compact(&compact, family)
	dir := t.TempDir()
	file := filepath.Join(dir, "h.jsonl")
	os.WriteFile(file, []byte(compact.String()+"\n"+`{"members":[]}`+"\n"), 0o600)
	code, out, stderr := run("households", "import", "--data", dir, file)
	if code != 1 || !strings.Contains(out, "1 created") || !strings.Contains(stderr, "line 2: members") {
		t.Fatalf("first import: %d %q %q", code, out, stderr)
	}
	code, out, _ = run("households", "import", "--data", dir, file)
	if !strings.Contains(out, "0 created, 1 already there") {
		t.Fatalf("second import: %d %q", code, out)
	}
}

func TestMRZCommand(t *testing.T) {
	code, out, _ := run("mrz", "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
	if code != 0 || !strings.Contains(out, `"document_number": "L898902C3"`) {
		t.Fatalf("good zone: %d %s", code, out)
	}
	code, _, stderr := run("mrz", "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C37UTO7408122F1204159ZE184226B<<<<<10")
	if code != 1 || !strings.Contains(stderr, "document_number") {
		t.Fatalf("bad check digit: %d %q", code, stderr)
	}
}
