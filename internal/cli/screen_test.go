package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/senda-platform/senda/internal/i18n"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
	"github.com/senda-platform/senda/profile"
)

// runWith runs a command with stdin.
func runWith(stdin string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(context.Background(), &Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, args)
	return code, out.String(), errb.String()
}

type screenLine struct {
	ID       string `json:"id"`
	Line     int    `json:"line"`
	Error    string `json:"error"`
	Program  string `json:"program"`
	Result   string `json:"result"`
	Criteria []struct {
		ID          string `json:"id"`
		Passed      *bool  `json:"passed"`
		Explanation string `json:"explanation"`
	} `json:"criteria"`
	PolicyVersion string `json:"policy_version"`
}

func screenLines(t *testing.T, out string) []screenLine {
	t.Helper()
	var ls []screenLine
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var s screenLine
		if err := json.Unmarshal([]byte(l), &s); err != nil {
			t.Fatalf("output line %q: %v", l, err)
		}
		ls = append(ls, s)
	}
	return ls
}

const (
	chnvApplicant = `{"id":"p1","nationality":"VE","current_country":"MX","birth_date":"1990-05-17","has_passport":true,"passport_expiry_date":"2027-01-01","us_supporter_with_i134a":true,"us_removal_order_dates":[],"irregular_entries":[],"other_nationalities":[],"permanent_residence_countries":[],"refugee_status_countries":[],"role":"principal"}`
	unanswered    = `{"id":"p2"}`
)

// senda screen: JSON Lines in, one line per person and programme out, in
// input order; a bad line is replaced by an error line and the exit code
// says so after every other line is written.
func TestScreenCommand(t *testing.T) {
	code, out, stderr := runWith(chnvApplicant+"\n\n"+unanswered+"\n", "screen", "--as-of", "2023-03-01")
	if code != 0 {
		t.Fatalf("got exit %d: %s", code, stderr)
	}
	ls := screenLines(t, out)
	if len(ls) != 24 || ls[0].ID != "p1" || ls[12].ID != "p2" {
		t.Fatalf("got %d lines (first %q, 13th %q), want 12 per person in input order", len(ls), ls[0].ID, ls[12].ID)
	}
	for _, l := range ls {
		if l.Program == "chnv_parole" && l.ID == "p1" && (l.Result != "eligible" || l.PolicyVersion != "2025.1" || l.Criteria[0].ID != "open" || l.Criteria[0].Explanation == "") {
			t.Errorf("p1 chnv_parole: %+v", l)
		}
		if l.Program == "chnv_parole" && l.ID == "p2" && l.Result != "needs_info" {
			t.Errorf("p2 chnv_parole: got %s, want needs_info", l.Result)
		}
	}
	// One programme, in Haitian Creole.
	code, out, _ = runWith(chnvApplicant+"\n", "screen", "--as-of", "2023-03-01", "--program", "chnv_parole", "--lang", "ht")
	if ls := screenLines(t, out); code != 0 || len(ls) != 1 || !strings.Contains(ls[0].Criteria[0].Explanation, "Pwogram") {
		t.Fatalf("one programme in Creole: %d %s", code, out)
	}
	// A bad line: the others are written, then exit 1 naming it.
	code, out, stderr = runWith(unanswered+"\n"+`{"id":"p3","birth_date":"1990-13"}`+"\n"+chnvApplicant+"\n", "screen", "--as-of", "2023-03-01", "--program", "frp")
	ls = screenLines(t, out)
	if code != 1 || len(ls) != 3 || ls[1].Line != 2 || ls[1].Error != "profile.invalid" || ls[2].ID != "p1" {
		t.Fatalf("bad line: exit %d, output %s", code, out)
	}
	if !strings.Contains(stderr, "line 2: birth_date") {
		t.Errorf("stderr does not name the line and field: %q", stderr)
	}
	// Usage errors.
	if code, _, stderr := runWith("", "screen", "--as-of", "2023-03-01", "--program", "nope"); code != 2 || !strings.Contains(stderr, "nope") {
		t.Errorf("unknown programme: %d %q", code, stderr)
	}
	if code, _, _ := runWith("", "screen"); code != 2 {
		t.Errorf("no --as-of: got exit %d, want 2", code)
	}
	if code, _, stderr := runWith("", "screen", "--as-of", "2019-01-01"); code != 1 || !strings.Contains(stderr, "no policy version") {
		t.Errorf("before every version: %d %q", code, stderr)
	}
}

// A pack given with --policy that does not load is refused naming the
// file, the programme and the criterion.
func TestScreenCommandRefusesABadPack(t *testing.T) {
	dir := t.TempDir()
	pack := filepath.Join(dir, "bad.yaml")
	src, err := os.ReadFile(filepath.Join("..", "..", "policy", "packs", "2025.1", "12_ead_parolee.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	head, err := os.ReadFile(filepath.Join("..", "..", "policy", "packs", "2025.1", "pack.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(head)+"\n"+string(src), "person.us_immigration_status == 'parolee'", "person.us_immigration_status == 7", 1)
	if bad == string(head)+"\n"+string(src) {
		t.Fatal("the EAD programme has changed: update the test's edit")
	}
	os.WriteFile(pack, []byte(bad), 0o600)
	code, _, stderr := runWith(unanswered+"\n", "screen", "--as-of", "2024-01-01", "--policy", pack)
	if code != 1 || !strings.Contains(stderr, "bad.yaml: programs[ead_parolee].criteria[") {
		t.Fatalf("bad pack: exit %d, %q", code, stderr)
	}
	// The good pack from the same directory layout screens.
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte(string(head)+"\n"+string(src)), 0o600)
	code, out, stderr := runWith(unanswered+"\n", "screen", "--as-of", "2024-01-01", "--policy", good)
	if ls := screenLines(t, out); code != 0 || len(ls) != 1 || ls[0].Program != "ead_parolee" {
		t.Fatalf("good pack: %d %q %s", code, stderr, out)
	}
}

// Self-screening through the API: a profile in, results out in the
// request's language; invalid answers all reported; nothing stored.
func TestScreenAPI(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			app := NewTestApp(t, e)
			for lang, want := range map[string]string{"es": "El programa", "ht": "Pwogram nan"} {
				req := httptest.NewRequest("POST", "/api/v1/screen?as_of=2023-03-01&program=chnv_parole&program=frp", strings.NewReader(chnvApplicant))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Accept-Language", lang)
				w := httptest.NewRecorder()
				app.Handler.ServeHTTP(w, req)
				var out struct {
					PolicyVersion string `json:"policy_version"`
					AsOf          string `json:"as_of"`
					Results       []struct {
						Program, Result, Lang string
						Criteria              []struct{ Explanation string }
					}
				}
				json.Unmarshal(w.Body.Bytes(), &out)
				if w.Code != 200 || len(out.Results) != 2 || out.PolicyVersion != "2025.1" || out.AsOf != "2023-03-01" {
					t.Fatalf("%s: %d %s", lang, w.Code, w.Body)
				}
				if r := out.Results[0]; r.Program != "chnv_parole" || r.Result != "eligible" || r.Lang != lang || !strings.HasPrefix(r.Criteria[0].Explanation, want) {
					t.Errorf("%s: %+v", lang, r)
				}
			}
			// Every invalid answer at once, localised, located in the body.
			req := httptest.NewRequest("POST", "/api/v1/screen", strings.NewReader(`{"id":"x","role":"principal","birth_date":"1990-13","household":{"members":[{"relationship":"principal"}]}}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept-Language", "ht")
			w := httptest.NewRecorder()
			app.Handler.ServeHTTP(w, req)
			var p struct {
				Title  string
				Errors []struct{ Location, Code, Message string }
			}
			json.Unmarshal(w.Body.Bytes(), &p)
			if w.Code != 422 || len(p.Errors) != 2 || p.Title != i18n.T("ht", "profile.invalid.title", nil) {
				t.Fatalf("invalid profile: %d %s", w.Code, w.Body)
			}
			for _, fe := range p.Errors {
				if !strings.HasPrefix(fe.Location, "body.") || fe.Message == fe.Code {
					t.Errorf("field error %+v not located or not localised", fe)
				}
			}
			// Nothing was stored.
			var runs int
			app.DB.View(context.Background(), func(tx *store.Tx) error {
				return tx.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM eligibility_runs`).Scan(&runs)
			})
			if runs != 0 {
				t.Errorf("self-screening stored %d runs", runs)
			}
		})
	}
}

// The "what may fit me" page: the questionnaire in five languages, and the
// results of a full run with reasons and next steps; nothing stored.
func TestPathwaysPage(t *testing.T) {
	app := NewTestApp(t, store.SQLite)
	for _, lang := range i18n.Languages {
		w := app.Do("GET", "/pathways?lang="+lang, "", nil)
		if w.Code != 200 || !strings.Contains(w.Body.String(), "<h1>"+htmlEscape(i18n.T(lang, "pathways.title", nil))+"</h1>") ||
			!strings.Contains(w.Body.String(), htmlEscape(profile.Question(lang, "us_supporter_with_i134a"))) {
			t.Fatalf("%s: %d", lang, w.Code)
		}
	}
	form := url.Values{"role": {"principal"}, "nationality": {"VE"}, "birth_date_year": {"1990"}, "birth_date_month": {"5"}, "birth_date_day": {"17"},
		"current_country": {"US"}, "us_immigration_status": {"parolee"}, "us_parole_expiry_date": {"2099-06-30"}, "irregular_entries": {"none"},
		"us_removal_order_dates": {"none"}, "has_passport": {"yes"}, "married": {"unknown"}}
	req := httptest.NewRequest("POST", "/pathways?lang=es", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	app.Handler.ServeHTTP(w, req)
	body := w.Body.String()
	if w.Code != 200 {
		t.Fatalf("answers: %d %s", w.Code, body)
	}
	for _, key := range []string{"pathways.fit.title", "pathways.nofit.title", "pathways.next", "pathways.why"} {
		if !strings.Contains(body, htmlEscape(i18n.T("es", key, nil))) {
			t.Errorf("results lack %s", key)
		}
	}
	if !strings.Contains(body, `data-program="ead_parolee"`) || !strings.Contains(body, "Revise las otras vías que están abiertas ahora.") {
		t.Errorf("results lack the EAD programme or the hint of a closed programme")
	}
	// A bad date comes back next to its field, with what was typed kept.
	form.Set("us_parole_expiry_date", "2099-02-30")
	req = httptest.NewRequest("POST", "/pathways?lang=ht", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w = httptest.NewRecorder()
	app.Handler.ServeHTTP(w, req)
	if w.Code != 422 || !strings.Contains(w.Body.String(), `id="q-us-parole-expiry-date-error"`) || !strings.Contains(w.Body.String(), `value="1990"`) {
		t.Errorf("bad date: %d", w.Code)
	}
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}
