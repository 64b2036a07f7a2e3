package cli

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/i18n"
	"github.com/senda-platform/senda/internal/storetest"
)

// The edit of the H-2A list's end date that the tests publish: Mexican
// workers with an H-2A offer become eligible again.
const (
	h2aUntil2025 = "as_of <= date('2025-11-08')"
	h2aUntil2027 = "as_of <= date('2027-11-08')"
)

// worker is a one-person household with an H-2A job offer, as the API
// takes it.
func worker(given, nationality string) []byte {
	return []byte(`{"place":"MX","members":[{"relationship":"principal","given_names":"` + given + `","surnames":["Prueba"],"birth_date":"1991-02-03",
		"screening":{"id":"w","nationality":"` + nationality + `","current_country":"MX","job_offer_h2":true,"job_offer_h2_category":"h2a"}}]}`)
}

// draftSource is the shipped version as one file with a new version and
// effective date, and the H-2A edit when edit is set.
func draftSource(t *testing.T, app *App, version, effective string, edit bool) []byte {
	t.Helper()
	w := app.Do("GET", "/api/v1/policy/versions/2025.1/source", "", nil)
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/yaml") {
		t.Fatalf("source: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	src := strings.Replace(w.Body.String(), `version: "2025.1"`, `version: "`+version+`"`, 1)
	src = strings.Replace(src, "effective_from: 2021-03-09", "effective_from: "+effective, 1)
	if edit {
		src = strings.Replace(src, h2aUntil2025, h2aUntil2027, 1)
	}
	return []byte(src)
}

func doYAML(app *App, path, bearer string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/yaml")
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("Accept-Language", "pt")
	w := httptest.NewRecorder()
	app.Handler.ServeHTTP(w, req)
	return w
}

// Versions, drafts, what-if and publishing through the API; a household's
// screening stored with its version.
func TestPolicyAPI(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			app := NewTestApp(t, e)
			admin := app.Token(t, access.Admin, "*")
			pm := app.Token(t, access.ProgrammeManager, "*")
			cw := app.Token(t, access.Caseworker, "MX")
			w := app.Do("POST", "/api/v1/households", admin, worker("Ana", "MX"))
			var hh struct{ ID, Receipt string }
			json.Unmarshal(w.Body.Bytes(), &hh)
			if w.Code != 201 {
				t.Fatalf("register: %d %s", w.Code, w.Body)
			}
			w = app.Do("GET", "/api/v1/policy/versions", "", nil)
			var vs []struct {
				Version  string `json:"version"`
				InEffect bool   `json:"in_effect"`
				Source   string `json:"source"`
			}
			json.Unmarshal(w.Body.Bytes(), &vs)
			if w.Code != 200 || len(vs) != 1 || vs[0].Version != "2025.1" || !vs[0].InEffect || vs[0].Source != "shipped" {
				t.Fatalf("versions: %d %s", w.Code, w.Body)
			}
			tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)

			// A bad pack: refused, each problem located by file, programme
			// and criterion, in the caller's language.
			bad := bytes.Replace(draftSource(t, app, "2026.1", tomorrow, true), []byte("person.job_offer_h2 && person.job_offer_h2_category == 'h2a'"), []byte("person.job_offer_h2 && person.job_offer_h2_category"), 1)
			w = doYAML(app, "/api/v1/policy/drafts?name=h2.yaml", pm, bad)
			var p struct {
				Title  string
				Errors []struct{ Location, Code, Message string }
			}
			json.Unmarshal(w.Body.Bytes(), &p)
			if w.Code != 422 || p.Title != i18n.T("pt", "policy.invalid_pack.title", nil) || len(p.Errors) == 0 {
				t.Fatalf("bad pack: %d %s", w.Code, w.Body)
			}
			if fe := p.Errors[0]; fe.Location != "h2.yaml: programs[h2a].criteria[job_offer]" || !strings.HasPrefix(fe.Code, "policy.expr_") || !strings.HasPrefix(fe.Message, "A regra") {
				t.Errorf("field error: %+v", fe)
			}
			if w := doYAML(app, "/api/v1/policy/drafts", cw, bad); w.Code != 403 {
				t.Errorf("caseworker upload: got %d, want 403", w.Code)
			}

			w = doYAML(app, "/api/v1/policy/drafts?name=h2.yaml", pm, draftSource(t, app, "2026.1", tomorrow, true))
			var d struct{ ID, Version, Status string }
			json.Unmarshal(w.Body.Bytes(), &d)
			if w.Code != 201 || d.Version != "2026.1" || d.Status != "draft" {
				t.Fatalf("upload: %d %s", w.Code, w.Body)
			}
			w = app.Do("POST", "/api/v1/policy/drafts/"+d.ID+"/what-if", pm, []byte(`{}`))
			var wi struct {
				Households int
				Report     struct {
					Affected int
					Programs []struct {
						Program string
						Gained  int
					}
				}
				Sample []struct{ Receipt, Name string }
			}
			json.Unmarshal(w.Body.Bytes(), &wi)
			if w.Code != 200 || wi.Households != 1 || wi.Report.Affected != 1 || len(wi.Sample) != 1 || wi.Sample[0].Receipt != hh.Receipt || wi.Sample[0].Name != "Ana Prueba" {
				t.Fatalf("what-if: %d %s", w.Code, w.Body)
			}
			w = app.Do("POST", "/api/v1/policy/drafts/"+d.ID+"/publish", pm, nil)
			if w.Code != 200 || !strings.Contains(w.Body.String(), `"status":"published"`) {
				t.Fatalf("publish: %d %s", w.Code, w.Body)
			}
			if w := app.Do("POST", "/api/v1/policy/drafts/"+d.ID+"/publish", pm, nil); w.Code != 409 {
				t.Errorf("publish twice: got %d, want 409", w.Code)
			}
			if w := app.Do("GET", "/api/v1/policy/versions", "", nil); !strings.Contains(w.Body.String(), `"version":"2026.1"`) {
				t.Errorf("versions after publishing: %s", w.Body)
			}

			// Screening the household: today's version decides and the
			// results are stored with it.
			w = app.Do("GET", "/api/v1/households/"+hh.ID+"/eligibility", cw, nil)
			var hr struct {
				PolicyVersion string `json:"policy_version"`
				Members       []struct {
					Results []struct{ Program, Result, PolicyVersion string }
				}
			}
			json.Unmarshal(w.Body.Bytes(), &hr)
			if w.Code != 200 || hr.PolicyVersion != "2025.1" || len(hr.Members) != 1 || len(hr.Members[0].Results) != 12 {
				t.Fatalf("household eligibility: %d %s", w.Code, w.Body)
			}
			if w := app.Do("GET", "/api/v1/households/"+hh.ID+"/eligibility", app.Token(t, access.Caseworker, "GT"), nil); w.Code != 404 {
				t.Errorf("caseworker of GT: got %d, want 404", w.Code)
			}
			w = app.Do("GET", "/api/v1/households/"+hh.ID+"/eligibility/history", cw, nil)
			if w.Code != 200 || strings.Count(w.Body.String(), `"run_id"`) != 1 || !strings.Contains(w.Body.String(), `"policy_version":"2025.1"`) {
				t.Fatalf("history: %d %s", w.Code, w.Body)
			}
			// A bulk run over every household.
			w = app.Do("POST", "/api/v1/policy/runs", pm, []byte(`{}`))
			if w.Code != 200 || !strings.Contains(w.Body.String(), `"profiles":1`) {
				t.Fatalf("run: %d %s", w.Code, w.Body)
			}
		})
	}
}

// multipartPack is a console upload of one pack file.
func multipartPack(name string, data []byte) (string, *bytes.Buffer) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, _ := mw.CreateFormFile("pack", name)
	fw.Write(data)
	mw.Close()
	return mw.FormDataContentType(), &b
}

// The console: versions, upload (refused with every problem, or kept as a
// draft), what-if and publishing, for programme managers only.
func TestPolicyConsole(t *testing.T) {
	app := NewTestApp(t, "sqlite")
	pm := app.Token(t, access.ProgrammeManager, "*")
	app.Do("POST", "/api/v1/households", app.Token(t, access.Admin, "*"), worker("Ana", "MX"))
	send := func(method, path, ctype string, body *bytes.Buffer) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, body)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		req.Header.Set("Authorization", "Bearer "+pm)
		req.Header.Set("Accept-Language", "fr")
		w := httptest.NewRecorder()
		app.Handler.ServeHTTP(w, req)
		return w
	}
	if w := app.Do("GET", "/policy", "", nil); w.Code != 303 {
		t.Fatalf("anonymous: got %d, want a redirect to sign in", w.Code)
	}
	if w := app.Do("GET", "/policy", app.Token(t, access.Caseworker, "*"), nil); w.Code != 403 {
		t.Fatalf("caseworker: got %d, want 403", w.Code)
	}
	w := send("GET", "/policy", "", &bytes.Buffer{})
	if w.Code != 200 || !strings.Contains(w.Body.String(), i18n.T("fr", "policy.console.title", nil)) || !strings.Contains(w.Body.String(), "2025.1") {
		t.Fatalf("console: %d", w.Code)
	}
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	src := draftSource(t, app, "2026.2", tomorrow, true)
	bad := bytes.Replace(src, []byte("expr: person.us_supporter_with_i134a"), []byte("expr: person.us_supporter_with_i134a.size()"), 1)
	ct, body := multipartPack("chnv.yaml", bad)
	w = send("POST", "/policy/drafts", ct, body)
	if w.Code != 422 || !strings.Contains(w.Body.String(), "chnv.yaml: programs[chnv_parole].criteria[supporter]") {
		t.Fatalf("bad upload: %d", w.Code)
	}
	ct, body = multipartPack("h2.yaml", src)
	w = send("POST", "/policy/drafts", ct, body)
	if w.Code != 303 || !strings.HasPrefix(w.Header().Get("Location"), "/policy?uploaded=2026.2") {
		t.Fatalf("upload: %d %s", w.Code, w.Header().Get("Location"))
	}
	w = send("GET", "/policy", "", &bytes.Buffer{})
	id := draftIDFrom(w.Body.String())
	if id == "" {
		t.Fatalf("no what-if form for the draft")
	}
	w = send("POST", "/policy/drafts/"+id+"/what-if", "application/x-www-form-urlencoded", bytes.NewBufferString(url.Values{"as_of": {tomorrow}}.Encode()))
	if w.Code != 200 || !strings.Contains(w.Body.String(), `id="whatif-summary"`) || !strings.Contains(w.Body.String(), "Ana Prueba") ||
		!strings.Contains(w.Body.String(), i18n.T("fr", "policy.whatif.gained", nil)) {
		t.Fatalf("what-if: %d", w.Code)
	}
	w = send("POST", "/policy/drafts/"+id+"/publish", "application/x-www-form-urlencoded", &bytes.Buffer{})
	if w.Code != 303 || w.Header().Get("Location") != "/policy?published=2026.2" {
		t.Fatalf("publish: %d %s", w.Code, w.Header().Get("Location"))
	}
	w = send("POST", "/policy/drafts/"+id+"/publish", "application/x-www-form-urlencoded", &bytes.Buffer{})
	if w.Code != 409 || !strings.Contains(w.Body.String(), i18n.T("fr", "policy.not_draft.title", nil)) {
		t.Fatalf("publish twice: %d", w.Code)
	}
}

// draftIDFrom finds the draft of the first what-if form of a console page.
func draftIDFrom(s string) string {
	i := strings.Index(s, `action="/policy/drafts/`)
	if i < 0 {
		return ""
	}
	rest := s[i+len(`action="/policy/drafts/`):]
	j := strings.Index(rest, "/what-if")
	if j < 0 {
		return ""
	}
	return rest[:j]
}

// senda policy diff: a pack file against a version, over every household
// in the store; counts and receipts, never a name.
func TestPolicyDiffCommand(t *testing.T) {
	dir := t.TempDir()
	var lines []string
	for _, h := range [][]byte{worker("Ana", "MX"), worker("Carla", "VE")} {
		var c bytes.Buffer
		json.Compact(&c, h)
		lines = append(lines, c.String())
	}
	file := filepath.Join(dir, "h.jsonl")
	os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	if code, out, stderr := run("households", "import", "--data", dir, file); code != 0 {
		t.Fatalf("import: %d %s %s", code, out, stderr)
	}
	code, out, stderr := run("policy", "versions", "--data", dir)
	if code != 0 || !strings.Contains(out, "2025.1") {
		t.Fatalf("versions: %d %s %s", code, out, stderr)
	}
	app := NewTestApp(t, "sqlite")
	pack := filepath.Join(dir, "h2.yaml")
	os.WriteFile(pack, draftSource(t, app, "2026.1", "2026-12-01", true), 0o600)
	code, out, stderr = run("policy", "diff", "--data", dir, "--from", "2025.1", "--to", pack, "--as-of", "2026-12-01")
	if code != 0 {
		t.Fatalf("diff: %d %s", code, stderr)
	}
	for _, want := range []string{"2025.1 -> 2026.1 as of 2026-12-01: 2 households, 2 people screened, 1 affected", "h2a: needs_info -> eligible: 1", "by nationality: MX 1", "by office: MX 1", "MX"} {
		if !strings.Contains(out, want) {
			t.Errorf("diff output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Ana") || strings.Contains(out, "Prueba") {
		t.Errorf("diff output names a person:\n%s", out)
	}
	code, out, _ = run("policy", "diff", "--data", dir, "--from", "2025.1", "--to", pack, "--as-of", "2026-12-01", "--format", "json")
	var rep struct {
		Report struct{ Affected int }
		Sample []struct{ Receipt, Name string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 || rep.Report.Affected != 1 || len(rep.Sample) != 1 || rep.Sample[0].Name != "" {
		t.Fatalf("json diff: %d %v %s", code, err, out)
	}
	// A bad pack is refused naming the file, programme and criterion.
	os.WriteFile(pack, bytes.Replace(draftSource(t, app, "2026.1", "2026-12-01", true), []byte(h2aUntil2027), []byte("as_of <= '2027'"), 1), 0o600)
	code, _, stderr = run("policy", "diff", "--data", dir, "--from", "2025.1", "--to", pack)
	if code != 1 || !strings.Contains(stderr, "h2.yaml: programs[h2a].criteria[eligible_country]") {
		t.Fatalf("bad pack: %d %q", code, stderr)
	}
	if code, _, stderr := run("policy", "diff", "--data", dir, "--from", "1999.1", "--to", filepath.Join("..", "..", "policy", "packs", "2025.1")); code != 1 || !strings.Contains(stderr, "no version") {
		t.Fatalf("unknown version: %d %q", code, stderr)
	}
	// Screen every household and store the results.
	code, out, stderr = run("policy", "run", "--data", dir)
	if code != 0 || !strings.Contains(out, "2 households, 2 profiles") {
		t.Fatalf("run: %d %s %s", code, out, stderr)
	}
}
