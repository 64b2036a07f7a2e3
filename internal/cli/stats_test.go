package cli

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
)

// The published Southwest Land Border file, beside the repository.
var statsSWFile = filepath.Join("..", "..", "..", "shared", "data", "cbp", "sw-land-border-encounters-fy22-fy25-aug.csv")

// dbArgs returns the flags that select a fresh database of engine e.
func statsDBArgs(t *testing.T, e store.Dialect) []string {
	if e == store.Postgres {
		return []string{"--database-url", storetest.NewSchema(t), "--data", t.TempDir()}
	}
	return []string{"--data", t.TempDir()}
}

// newerSWRelease writes a "newer release" of the Southwest file into dir: a
// copy with one count revised (Border Patrol, single adults, Mexico, Title 8
// apprehensions, February 2024: 27,810 -> 27,815), one cell dropped (Field
// Operations, FMUA, Guatemala, Title 8 inadmissibles, March 2024: 320) and
// September 2025 added as a copy of August 2025's 30 cells.
func newerSWRelease(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(statsSWFile)
	if err != nil {
		t.Fatal(err)
	}
	var out, sep []string
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\r\n"), "\r\n") {
		switch l {
		case "2024,FYTD,FEB,U.S. Border Patrol,Single Adults,Mexico,Title 8,Apprehensions,27810":
			l = strings.TrimSuffix(l, "27810") + "27815"
		case "2024,FYTD,MAR,Office of Field Operations,FMUA,Guatemala,Title 8,Inadmissibles,320":
			continue
		}
		if strings.HasPrefix(l, "2025 (FYTD),FYTD,AUG,") {
			sep = append(sep, strings.Replace(l, ",AUG,", ",SEP,", 1))
		}
		out = append(out, l)
	}
	path := filepath.Join(dir, "sw-fy25-sep.csv")
	if err := os.WriteFile(path, []byte(strings.Join(append(out, sep...), "\r\n")+"\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func statsRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, stderr := run(args...)
	if code != 0 {
		t.Fatalf("senda %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	return out
}

// Published monthly totals of the Southwest Land Border file, each summed by
// hand (awk over column 9 of the CSV lines with the named Fiscal Year,
// Month (abbv) and other columns), recomputed through the commands.
func TestStatsCommandsRecomputePublishedTotals(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			db := statsDBArgs(t, e)
			out := statsRun(t, append([]string{"stats", "import", statsSWFile}, db...)...)
			if want := "sw-land-border-encounters-fy22-fy25-aug.csv: cbp-sw-land-border version 1: 1936 cells over 47 months (2021-10 to 2025-08); 1936 added, 0 removed, 0 changed\n"; out != want {
				t.Errorf("import: got %q, want %q", out, want)
			}
			query := func(args ...string) string {
				return statsRun(t, append(append([]string{"stats", "query", "--format", "csv"}, args...), db...)...)
			}
			tests := []struct {
				name string
				args []string
				want string
			}{
				// FY2024 DEC, JAN, FEB: 301,981 (the file's highest month), 176,195, 189,913.
				{"months", []string{"--by", "month", "--from", "2023-12", "--to", "2024-02"}, "month,encounters\n2023-12,301981\n2024-01,176195\n2024-02,189913\n"},
				// FY2024 FEB by component: Field Operations 49,272, Border Patrol 140,641.
				{"components", []string{"--by", "component", "--where", "month=2024-02"}, "component,encounters\nOffice of Field Operations,49272\nU.S. Border Patrol,140641\n"},
				// FY2024 FEB, Citizenship Grouping Mexico: 62,994 (matched by ISO code).
				{"Mexico", []string{"--where", "citizenship=MX", "--where", "month=2024-02"}, "encounters\n62994\n"},
				// FY2023 DEC, Office of Field Operations: 30,297.
				{"OFO Dec 2022", []string{"--where", "component=office of field operations", "--from", "2022-12", "--to", "2022-12"}, "encounters\n30297\n"},
				// FY2025 AUG (the last month): 9,740.
				{"Aug 2025", []string{"--by", "month", "--from", "2025-08"}, "month,encounters\n2025-08,9740\n"},
				// Fiscal year 2024: 2,135,005; the whole file: 7,421,677.
				{"FY2024", []string{"--by", "fiscal_year", "--where", "fiscal_year=2024"}, "fiscal_year,encounters\n2024,2135005\n"},
				{"total", nil, "encounters\n7421677\n"},
				// "A new December record": December 2023 ranks first of four Decembers.
				{"rank", []string{"--by", "month", "--where", "month=2023-12", "--compare", "rank,mom"}, "month,encounters,rank,rank_of,mom_prev,mom_change,mom_pct\n2023-12,301981,1,4,242399,59582,24.58\n"},
			}
			for _, tt := range tests {
				if got := query(tt.args...); got != tt.want {
					t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
				}
			}

			// Importing the same file again changes nothing.
			out = statsRun(t, append([]string{"stats", "import", statsSWFile}, db...)...)
			if !strings.Contains(out, "cbp-sw-land-border unchanged: the same file is version 1") {
				t.Errorf("second import: got %q", out)
			}
			if got := query(); got != "encounters\n7421677\n" {
				t.Errorf("total after re-import: got %q", got)
			}

			// A newer release replaces the months it covers, recording what changed.
			newer := newerSWRelease(t, t.TempDir())
			out = statsRun(t, append([]string{"stats", "import", newer}, db...)...)
			if want := "sw-fy25-sep.csv: cbp-sw-land-border version 2: 1965 cells over 48 months (2021-10 to 2025-09); 30 added, 1 removed, 1 changed\n"; out != want {
				t.Errorf("newer release: got %q, want %q", out, want)
			}
			// Field Operations, March 2024: 51,886 before, less the dropped 320.
			if got := query("--by", "month", "--from", "2024-02", "--to", "2024-03", "--where", "component=Office of Field Operations"); got != "month,encounters\n2024-02,49272\n2024-03,51566\n" {
				t.Errorf("Field Operations after the revision: got %q", got)
			}
			if got := query("--where", "month=2024-02"); got != "encounters\n189918\n" {
				t.Errorf("February 2024 after revision: got %q, want 189918", got)
			}

			// Exports withhold small cells.
			exp := statsRun(t, append([]string{"stats", "export", "--by", "citizenship", "--fiscal", "--where", "demographic=Accompanied Minors", "--where", "component=Office of Field Operations"}, db...)...)
			lines := strings.Split(strings.TrimSpace(exp), "\n")
			if lines[0] != "citizenship,iso,2022,2023,2024,2025,total" || !strings.HasPrefix(lines[len(lines)-1], "total,") || !strings.Contains(exp, ",x") {
				t.Errorf("export: got\n%s", exp)
			}
		})
	}
}

// Bad input: every problem named with its file, line and column, and
// nothing from the file imported.
func TestStatsImportBadFiles(t *testing.T) {
	good, err := os.ReadFile(statsSWFile)
	if err != nil {
		t.Fatal(err)
	}
	header, rest, _ := strings.Cut(string(good), "\r\n")
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, file, content, want string
	}{
		{"unknown layout", "people.csv", "name,age\r\nAna,3\r\n", "people.csv: line 1: This is not a layout Senda knows"},
		{"missing column", "nocount.csv", strings.Replace(header, ",Encounter Count", "", 1) + "\r\n2024,FYTD,FEB,U.S. Border Patrol,Single Adults,Mexico,Title 8,Apprehensions\r\n",
			"nocount.csv: line 1: The column “Encounter Count” is missing."},
		{"count not a number", "notanumber.csv", header + "\r\n" + strings.Replace(rest, "Apprehensions,27810", "Apprehensions,2781O", 1),
			"notanumber.csv: line 1328, column 9 (Encounter Count): “2781O” is not a whole number of encounters."},
		{"truncated", "truncated.csv", string(good[:len(good)/2]), "truncated.csv: line 979: This line has 8 fields, the header 9 (is the line cut short?)."},
	}
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			db := statsDBArgs(t, e)
			statsRun(t, append([]string{"stats", "import", statsSWFile}, db...)...)
			for _, tt := range tests {
				path := write(tt.file, tt.content)
				// A good file beside a bad one is not imported either.
				code, out, stderr := run(append([]string{"stats", "import", newerSWRelease(t, t.TempDir()), path}, db...)...)
				if code != 1 || out != "" || !strings.Contains(stderr, tt.want) || !strings.Contains(stderr, "nothing was imported") {
					t.Errorf("%s: got exit %d, stdout %q, stderr %q; want exit 1 and %q", tt.name, code, out, stderr, tt.want)
				}
			}
			if got := statsRun(t, append([]string{"stats", "query", "--format", "csv"}, db...)...); got != "encounters\n7421677\n" {
				t.Errorf("after the bad files: got %q, want the first release's total", got)
			}
		})
	}
}

func TestStatsQueryErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"stats", "query", "--by", "colour"}, 1, "by: “colour” is not a dimension"},
		{[]string{"stats", "query", "--where", "month=Feb"}, 1, "where[0]: “Feb” is not a month: write YYYY-MM"},
		{[]string{"stats", "query", "--from", "2024-05", "--to", "2024-01"}, 1, "to: The range ends (2024-01) before it starts (2024-05)."},
		{[]string{"stats", "query", "--format", "xml"}, 1, "format: “xml” is not a format"},
		{[]string{"stats", "query"}, 1, "no statistics imported yet: run senda stats import FILE first"},
		{[]string{"stats", "import"}, 2, "give one or more files"},
		{[]string{"stats", "import", filepath.Join(dir, "missing.csv")}, 1, "missing.csv: There is no file missing.csv."},
		{[]string{"stats", "export", "--threshold", "0"}, 2, "--threshold must be at least 1"},
		{[]string{"stats", "export", "--by", "a,b,c"}, 2, "by: Give one dimension for the rows"},
		{[]string{"stats", "fly"}, 2, "say import, query or export"},
	}
	for _, tt := range tests {
		code, _, stderr := run(append(tt.args, "--data", dir)...)
		if code != tt.code || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") > 2 {
			t.Errorf("%v: got %d %q, want %d and %q on one line", tt.args, code, stderr, tt.code, tt.want)
		}
	}
}

// The API answers the same query as the command, imports need an analyst
// or an administrator, and every version's changes are public.
func TestStatsAPI(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			app := NewTestApp(t, e)
			data, err := os.ReadFile(statsSWFile)
			if err != nil {
				t.Fatal(err)
			}
			if w := app.Do("GET", "/api/v1/stats/encounters", "", nil); w.Code != 404 {
				t.Errorf("query before any import: got %d, want 404: %s", w.Code, w.Body)
			}
			upload := func(token string, body []byte) *httptest.ResponseRecorder {
				var buf bytes.Buffer
				mw := multipart.NewWriter(&buf)
				fw, _ := mw.CreateFormFile("file", "sw.csv")
				fw.Write(body)
				mw.Close()
				req := httptest.NewRequest("POST", "/api/v1/stats/import", &buf)
				req.Header.Set("Content-Type", mw.FormDataContentType())
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				rw := httptest.NewRecorder()
				app.Handler.ServeHTTP(rw, req)
				return rw
			}
			if w := upload(app.Token(t, access.Caseworker, "*"), data); w.Code != 403 {
				t.Errorf("caseworker import: got %d, want 403", w.Code)
			}
			analyst := app.Token(t, access.Analyst, "*")
			w := upload(analyst, data)
			var imp struct {
				Dataset   string
				Version   int
				Unchanged bool
				Rows      int
			}
			json.Unmarshal(w.Body.Bytes(), &imp)
			if w.Code != 200 || imp.Dataset != "cbp-sw-land-border" || imp.Version != 1 || imp.Rows != 1936 {
				t.Fatalf("analyst import: %d %s", w.Code, w.Body)
			}
			// The same bytes as a raw body: nothing changes.
			req := httptest.NewRequest("POST", "/api/v1/stats/import?name=again.csv", bytes.NewReader(data))
			req.Header.Set("Content-Type", "text/csv")
			req.Header.Set("Authorization", "Bearer "+analyst)
			rw := httptest.NewRecorder()
			app.Handler.ServeHTTP(rw, req)
			json.Unmarshal(rw.Body.Bytes(), &imp)
			if rw.Code != 200 || !imp.Unchanged || imp.Version != 1 {
				t.Errorf("raw re-import: %d %s", rw.Code, rw.Body)
			}
			// A bad file: every problem, localised, with its line and column.
			bad := bytes.Replace(data, []byte("Apprehensions,27810"), []byte("Apprehensions,-3"), 1)
			req = httptest.NewRequest("POST", "/api/v1/stats/import?name=bad.csv", bytes.NewReader(bad))
			req.Header.Set("Authorization", "Bearer "+analyst)
			req.Header.Set("Accept-Language", "es")
			rw = httptest.NewRecorder()
			app.Handler.ServeHTTP(rw, req)
			var prob struct {
				Title  string
				Errors []struct{ Location, Code, Message string }
			}
			json.Unmarshal(rw.Body.Bytes(), &prob)
			if rw.Code != 422 || prob.Title != "El archivo no se importó" || len(prob.Errors) != 1 ||
				prob.Errors[0].Location != "bad.csv: line 1328, column 9 (Encounter Count)" || prob.Errors[0].Message != "«-3» no es un número entero de encuentros." {
				t.Errorf("bad file: %d %s", rw.Code, rw.Body)
			}

			// The CLI's CSV, through the API.
			w = app.Do("GET", "/api/v1/stats/encounters?by=month&from=2023-12&to=2024-02&format=csv", "", nil)
			if want := "month,encounters\n2023-12,301981\n2024-01,176195\n2024-02,189913\n"; w.Code != 200 || w.Body.String() != want || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") {
				t.Errorf("CSV query: %d %q", w.Code, w.Body)
			}
			w = app.Do("GET", "/api/v1/stats/encounters?by=month&where=month%3D2024-01&where=month%3D2023-01&compare=yoy", "", nil)
			var res struct {
				Dataset  string
				Columns  []string
				Rows     []map[string]any
				Warnings []any
			}
			json.Unmarshal(w.Body.Bytes(), &res)
			want := []map[string]any{
				{"month": "2023-01", "encounters": 157358.0, "yoy_prev": 154874.0, "yoy_change": 2484.0, "yoy_pct": 1.6},
				{"month": "2024-01", "encounters": 176195.0, "yoy_prev": 157358.0, "yoy_change": 18837.0, "yoy_pct": 11.97},
			}
			if diff := cmp.Diff(want, res.Rows); w.Code != 200 || diff != "" || res.Dataset != "cbp-sw-land-border" {
				t.Errorf("JSON query: %d, rows (-want +got):\n%s\n%s", w.Code, diff, w.Body)
			}
			w = app.Do("GET", "/api/v1/stats/encounters?by=month&where=month%3D2024-1", "", nil)
			json.Unmarshal(w.Body.Bytes(), &prob)
			if w.Code != 422 || len(prob.Errors) != 1 || prob.Errors[0].Location != "query.where[0]" {
				t.Errorf("bad filter: %d %s", w.Code, w.Body)
			}

			// A newer release, and what it changed.
			newer, _ := os.ReadFile(newerSWRelease(t, t.TempDir()))
			if w := upload(app.Token(t, access.Admin, "*"), newer); w.Code != 200 {
				t.Fatalf("admin import: %d %s", w.Code, w.Body)
			}
			w = app.Do("GET", "/api/v1/stats/datasets/cbp-sw-land-border/versions/2/diff?limit=2", "", nil)
			var d struct {
				Version, Added, Removed, Changed, NextOffset int `json:",omitempty"`
				Cells                                        []struct {
					Change, Month string
					Before, After int64
				}
			}
			json.Unmarshal(w.Body.Bytes(), &d)
			if w.Code != 200 || d.Version != 2 || d.Added != 30 || d.Removed != 1 || d.Changed != 1 || len(d.Cells) != 2 || d.Cells[0].Before != 27810 || d.Cells[0].After != 27815 {
				t.Errorf("diff: %d %s", w.Code, w.Body)
			}
			if w := app.Do("GET", "/api/v1/stats/datasets/cbp-sw-land-border/versions/9/diff", "", nil); w.Code != 404 {
				t.Errorf("diff of a missing version: got %d, want 404", w.Code)
			}
			w = app.Do("GET", "/api/v1/stats/datasets", "", nil)
			if w.Code != 200 || !strings.Contains(w.Body.String(), `"version":2`) {
				t.Errorf("datasets: %d %s", w.Code, w.Body)
			}
			w = app.Do("GET", "/api/v1/stats/export?by=citizenship,month&from=2025-01&threshold=10000", "", nil)
			if w.Code != 200 || !strings.HasPrefix(w.Body.String(), "citizenship,iso,2025-01,") || !strings.Contains(w.Body.String(), ",x") {
				t.Errorf("export: %d %s", w.Code, w.Body)
			}

			// Operational numbers are for analysts and administrators, in their scope.
			if w := app.Do("GET", "/api/v1/stats/operations?by=month", "", nil); w.Code != 401 {
				t.Errorf("anonymous operations: got %d, want 401", w.Code)
			}
			w = app.Do("GET", "/api/v1/stats/operations?by=metric&format=csv", analyst, nil)
			if w.Code != 200 || w.Body.String() != "metric,count\n" {
				t.Errorf("operations with no registrations: %d %q", w.Code, w.Body)
			}
		})
	}
}

// The dashboards render on the server with SVG charts and no inline style.
func TestStatsPages(t *testing.T) {
	app := NewTestApp(t, store.SQLite)
	if w := app.Do("GET", "/stats", "", nil); w.Code != 200 || !strings.Contains(w.Body.String(), "Todavía no se ha importado") {
		t.Fatalf("empty dashboard: %d", w.Code)
	}
	data, _ := os.ReadFile(statsSWFile)
	req := httptest.NewRequest("POST", "/api/v1/stats/import?name=sw.csv", bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer "+app.Token(t, access.Admin, "*"))
	rw := httptest.NewRecorder()
	app.Handler.ServeHTTP(rw, req)
	if rw.Code != 200 {
		t.Fatalf("import: %d %s", rw.Code, rw.Body)
	}
	req = httptest.NewRequest("GET", "/stats?month=2024-02&by=citizenship", nil)
	req.Header.Set("Accept-Language", "en")
	rw = httptest.NewRecorder()
	app.Handler.ServeHTTP(rw, req)
	body := rw.Body.String()
	for _, want := range []string{`<svg class="chart chart-line"`, `<svg class="chart chart-bar"`, "189,913", "Highest month on record: 2023-12, with 301,981 encounters.",
		"2024-02 by Citizenship", "February in each year", `href="/api/v1/stats/encounters?by=citizenship&amp;compare=share&amp;dataset=cbp-sw-land-border&amp;format=csv&amp;where=month%3D2024-02"`} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	if strings.Contains(body, "style=") || strings.Contains(body, "<script") {
		t.Errorf("dashboard has an inline style or a script")
	}
	if w := app.Do("GET", "/analyst", app.Token(t, access.Caseworker, "*"), nil); w.Code != 403 {
		t.Errorf("caseworker on /analyst: got %d, want 403", w.Code)
	}
	w := app.Do("GET", "/analyst?dataset=cbp-sw-land-border&by=component&where=month%3D2024-02&compare=share", app.Token(t, access.Analyst, "*"), nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "140.641") || !strings.Contains(w.Body.String(), `chart-bar`) {
		t.Errorf("analyst query: %d", w.Code)
	}
	w = app.Do("GET", "/analyst?by=colour", app.Token(t, access.Admin, "*"), nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "«colour» no es una dimensión") {
		t.Errorf("analyst bad query: %d", w.Code)
	}
}

// Any body sent to the import either imports a file or is refused with a
// problem listing what is wrong, and a refused body changes nothing.
func FuzzStatsImport(f *testing.F) {
	app := NewTestApp(f, store.SQLite)
	token := app.Token(f, access.Analyst, "*")
	good, err := os.ReadFile(statsSWFile)
	if err != nil {
		f.Fatal(err)
	}
	lines := strings.SplitAfter(string(good), "\r\n")
	for _, s := range []string{
		strings.Join(lines[:4], ""),
		strings.Join(lines[:3], "") + "2024,FYTD,FEB,U.S. Border Patrol,Single Adults,Mexico,Title 8,Apprehensions,1e3\r\n",
		strings.Join(lines[:3], "") + `2024,FYTD,"FEB`,
		"\xef\xbb\xbf" + lines[0],
		"PK\x03\x04garbage",
		"",
		"Fiscal Year,Month (abbv)\n2024,FEB\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		before := app.Do("GET", "/api/v1/stats/datasets", "", nil).Body.String()
		req := httptest.NewRequest("POST", "/api/v1/stats/import?name=fuzz.csv", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		rw := httptest.NewRecorder()
		app.Handler.ServeHTTP(rw, req)
		switch {
		case rw.Code == 200:
		case rw.Code == 400 && len(body) == 0: // the body is required
		case rw.Code == 422:
			if after := app.Do("GET", "/api/v1/stats/datasets", "", nil).Body.String(); after != before {
				t.Fatalf("a refused body changed the datasets:\n%s\n%s", before, after)
			}
			if !strings.Contains(rw.Body.String(), `"location":"fuzz.csv`) {
				t.Fatalf("refused without naming the file: %s", rw.Body)
			}
		default:
			t.Fatalf("body %q: got %d %s", body, rw.Code, rw.Body)
		}
	})
}
