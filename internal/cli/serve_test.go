package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/senda-platform/senda/internal/appointments"
	"github.com/senda-platform/senda/internal/config"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
)

// syncBuffer is a goroutine-safe buffer for a command's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Running is a real `senda serve` started on port 0.
type Running struct {
	URL    string
	Log    *syncBuffer
	cancel context.CancelFunc
	done   chan int
	once   sync.Once
	code   int
}

// Stop sends the equivalent of SIGTERM and returns the exit code.
func (r *Running) Stop() int {
	r.once.Do(func() {
		r.cancel()
		r.code = <-r.done
	})
	return r.code
}

// MustServe starts `senda serve` with args on a free port, on engine e.
func MustServe(t testing.TB, e store.Dialect, args ...string) *Running {
	t.Helper()
	base := []string{"serve", "--addr", "127.0.0.1:0"}
	if e == store.Postgres {
		base = append(base, "--database-url", storetest.NewSchema(t), "--data", t.TempDir())
	} else {
		base = append(base, "--data", filepath.Join(t.TempDir(), "data"))
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Running{Log: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	addr := make(chan string, 1)
	env := &Env{Stdout: io.Discard, Stderr: r.Log, OnListen: func(a string) { addr <- a }}
	go func() { r.done <- Main(ctx, env, append(base, args...)) }()
	select {
	case a := <-addr:
		r.URL = "http://" + a
	case code := <-r.done:
		t.Fatalf("serve exited with %d: %s", code, r.Log.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start in 30 s")
	}
	t.Cleanup(func() { r.Stop() })
	return r
}

func get(t *testing.T, c *http.Client, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestServeEndToEnd(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			srv := MustServe(t, e)
			c := &http.Client{}
			resp, body := get(t, c, srv.URL+"/healthz")
			if resp.StatusCode != 200 || resp.Header.Get("X-Request-ID") == "" {
				t.Fatalf("healthz: got %d, request id %q", resp.StatusCode, resp.Header.Get("X-Request-ID"))
			}
			if resp, body = get(t, c, srv.URL+"/readyz"); resp.StatusCode != 200 {
				t.Fatalf("readyz: got %d %s", resp.StatusCode, body)
			}
			resp, body = get(t, c, srv.URL+"/api/v1/reference/ports")
			var ports struct {
				Items []struct {
					Code     string
					TimeZone string `json:"time_zone"`
				}
			}
			json.Unmarshal(body, &ports)
			if resp.StatusCode != 200 || len(ports.Items) != 8 {
				t.Fatalf("ports: got %d with %d items: %s", resp.StatusCode, len(ports.Items), body)
			}
			// A client's own request ID is echoed.
			if resp, _ = get(t, c, srv.URL+"/api/v1/version", "X-Request-ID", "client-req-12345"); resp.Header.Get("X-Request-ID") != "client-req-12345" {
				t.Errorf("got request id %q, want the client's", resp.Header.Get("X-Request-ID"))
			}
			// Validation errors: problem+json, localised, every field.
			resp, body = get(t, c, srv.URL+"/api/v1/reference/subdivisions?country=1", "Accept-Language", "ht")
			var p struct {
				Type, Title, Detail, Code string
				RequestID                 string `json:"request_id"`
				Status                    int
				Errors                    []struct{ Location, Message, Code string }
			}
			json.Unmarshal(body, &p)
			if resp.StatusCode != 422 || resp.Header.Get("Content-Type") != "application/problem+json" || len(p.Errors) == 0 {
				t.Fatalf("bad query: got %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			if !strings.Contains(string(body), "Gen kèk repons") || p.Errors[0].Location != "query.country" {
				t.Errorf("problem not in Haitian Creole or without the field: %s", body)
			}
			resp, body = get(t, c, srv.URL+"/api/v1/reference/subdivisions?country=ZZ", "Accept-Language", "es")
			if resp.StatusCode != 422 || !strings.Contains(string(body), "código de dos letras") {
				t.Errorf("unknown country: got %d %s", resp.StatusCode, body)
			}
			resp, body = get(t, c, srv.URL+"/api/v1/nope", "Accept-Language", "fr")
			if resp.StatusCode != 404 || !strings.Contains(string(body), "Introuvable") || !strings.Contains(string(body), "urn:senda:problem:not_found") {
				t.Errorf("unknown API path: got %d %s", resp.StatusCode, body)
			}
			resp, body = get(t, c, srv.URL+"/api/openapi.json")
			var doc struct {
				OpenAPI string
				Paths   map[string]any
			}
			json.Unmarshal(body, &doc)
			if resp.StatusCode != 200 || !strings.HasPrefix(doc.OpenAPI, "3.1") || doc.Paths["/api/v1/reference/ports"] == nil {
				t.Errorf("openapi: got %d, version %q, %d paths", resp.StatusCode, doc.OpenAPI, len(doc.Paths))
			}
			if resp, body = get(t, c, srv.URL+"/api/docs"); resp.StatusCode != 200 || !strings.Contains(string(body), "/api/v1/reference/ports") {
				t.Errorf("docs: got %d", resp.StatusCode)
			}
			resp, body = get(t, c, srv.URL+"/metrics")
			if resp.StatusCode != 200 || !strings.Contains(string(body), `senda_http_requests_total{method="GET",route="GET /healthz",status="200"}`) ||
				!strings.Contains(string(body), "go_sql_open_connections") || !strings.Contains(string(body), "senda_jobs{") {
				t.Errorf("metrics lack requests by route, pool or jobs:\n%.2000s", body)
			}
			// No personal data or query strings in logs: only route patterns.
			if strings.Contains(srv.Log.String(), "country=ZZ") {
				t.Error("a query string reached the log")
			}
			if code := srv.Stop(); code != 0 {
				t.Fatalf("serve exited with %d after SIGTERM: %s", code, srv.Log.String())
			}
		})
	}
}

func TestHomePageLanguages(t *testing.T) {
	srv := MustServe(t, store.SQLite)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, body := get(t, c, srv.URL+"/", "Accept-Language", "pt-BR,pt;q=0.9")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `lang="pt"`) || !strings.Contains(string(body), "Registe a sua família") {
		t.Fatalf("home in Portuguese: got %d\n%s", resp.StatusCode, body)
	}
	if len(body) > 50<<10 {
		t.Errorf("home page is %d bytes, want under 50 KB", len(body))
	}
	if strings.Contains(string(body), "<script") || strings.Contains(string(body), "style=") {
		t.Error("home page needs script or inline style")
	}
	// Switching language without JavaScript: a link, a cookie, a redirect back.
	resp, body = get(t, c, srv.URL+"/lang/ht?next=/", "Accept-Language", "pt")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `lang="ht"`) || !strings.Contains(string(body), "Enskri fanmi ou") {
		t.Fatalf("after switching to ht: got %d\n%.500s", resp.StatusCode, body)
	}
	// The switcher keeps the page's query: a chart stays the chart it was.
	resp, body = get(t, c, srv.URL+"/draws?date=2025-03-02&x=a%26b")
	link := regexp.MustCompile(`href="(/lang/en\?next=[^"]*)"`).FindSubmatch(body)
	if link == nil {
		t.Fatalf("no switcher link to English on %s", resp.Request.URL)
	}
	if resp, _ = get(t, c, srv.URL+html.UnescapeString(string(link[1]))); resp.Request.URL.RequestURI() != "/draws?date=2025-03-02&x=a%26b" {
		t.Errorf("switching language went to %s, want the same page and query", resp.Request.URL.RequestURI())
	}
	if resp, _ = get(t, c, srv.URL+"/lang/ht?next=https://evil.example/"); resp.Request.URL.Host != strings.TrimPrefix(srv.URL, "http://") {
		t.Errorf("language switch redirected off-site to %s", resp.Request.URL)
	}
	resp, body = get(t, c, srv.URL+"/nope")
	if resp.StatusCode != 404 || !strings.Contains(string(body), "Nou pa jwenn paj la") {
		t.Errorf("404 page: got %d", resp.StatusCode)
	}
	resp, _ = get(t, c, srv.URL+"/static/senda.css")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Errorf("css: got %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if csp == "" || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
}

func run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(context.Background(), &Env{Stdout: &out, Stderr: &errb, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, args)
	return code, out.String(), errb.String()
}

// Bad input: one line that says what to do, and a non-zero exit.
func TestBadInvocations(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown flag", []string{"serve", "--colour", "red"}, 2, "flag provided but not defined: -colour"},
		{"unknown command", []string{"fly"}, 2, "unknown command"},
		{"bad database url", []string{"serve", "--database-url", "mysql://x"}, 2, "must be a postgres:// URL"},
		{"unreachable database", []string{"migrate", "up", "--database-url", "postgres://nobody:secret@127.0.0.1:1/senda?connect_timeout=2"}, 1, "cannot reach the database at postgres://nobody:xxxxx@127.0.0.1:1/senda"},
		{"port in use", []string{"serve", "--data", dir, "--addr", ln.Addr().String()}, 1, "is already in use: stop the other program or choose another with --addr"},
		{"bad addr", []string{"serve", "--addr", "nowhere"}, 2, "--addr must be HOST:PORT"},
		{"migrate without verb", []string{"migrate"}, 2, "say up or status"},
		{"bad window zone", []string{"serve", "--window-zone", "Mars/Olympus"}, 2, "--window-zone must be an IANA time zone"},
		{"bad window time", []string{"serve", "--window-opens", "noon"}, 2, "--window-opens and --window-closes must be HH:MM"},
		{"window closing first", []string{"serve", "--window-opens", "18:00", "--window-closes", "09:00"}, 2, "--window-closes must be later the same day"},
		{"bad lead days", []string{"serve", "--window-lead-days", "-1"}, 2, "--window-lead-days must be between 0 and 60"},
		{"bad priority share", []string{"serve", "--priority-share-bp", "12000"}, 2, "--priority-share-bp must be between 0 and 10000"},
		{"bad beacon", []string{"serve", "--beacon-url", "drand"}, 2, "--beacon-url must be the http(s) address of a drand chain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("got exit %d, stderr %q; want exit %d containing %q", code, stderr, tt.code, tt.want)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") > 1 || strings.Contains(stderr, "secret") {
				t.Errorf("stderr is not one safe line: %q", stderr)
			}
		})
	}
}

func TestMigrateAndNewerSchema(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			var flags []string
			if e == store.Postgres {
				flags = []string{"--database-url", storetest.NewSchema(t)}
			} else {
				flags = []string{"--data", t.TempDir()}
			}
			code, out, stderr := run(append([]string{"migrate", "status"}, flags...)...)
			if code != 0 || !strings.Contains(out, "pending") {
				t.Fatalf("status on a new database: %d %q %q", code, out, stderr)
			}
			if code, out, stderr = run(append([]string{"migrate", "up"}, flags...)...); code != 0 || !strings.Contains(out, "schema version") {
				t.Fatalf("up: %d %q %q", code, out, stderr)
			}
			if code, out, _ = run(append([]string{"migrate", "status"}, flags...)...); code != 0 || strings.Contains(out, "pending") {
				t.Fatalf("status after up: %d %q", code, out)
			}
			o := store.Options{}
			if e == store.Postgres {
				o.DatabaseURL = flags[1]
			} else {
				o.SQLitePath = filepath.Join(flags[1], "senda.db")
			}
			db, err := store.Open(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			db.Writer().Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, true)`)
			db.Close()
			code, _, stderr = run(append([]string{"serve", "--addr", "127.0.0.1:0"}, flags...)...)
			if code != 1 || !strings.Contains(stderr, "newer than this build knows") || !strings.Contains(stderr, "run a newer senda") {
				t.Errorf("serve on a newer schema: got %d %q", code, stderr)
			}
		})
	}
}

func TestVersionCommand(t *testing.T) {
	code, out, _ := run("version")
	if code != 0 || !strings.HasPrefix(out, "senda ") {
		t.Errorf("got %d %q", code, out)
	}
}

// The request window set on the command line is the one served.
func TestServeWindowFlags(t *testing.T) {
	srv := MustServe(t, store.SQLite, "--window-zone", "America/Bogota", "--window-opens", "08:00", "--window-closes", "09:30", "--window-lead-days", "3")
	resp, body := get(t, &http.Client{}, srv.URL+"/api/v1/appointments/window")
	var w struct {
		ServiceDate string    `json:"service_date"`
		OpensAt     time.Time `json:"opens_at"`
		ClosesAt    time.Time `json:"closes_at"`
		TimeZone    string    `json:"time_zone"`
	}
	if err := json.Unmarshal(body, &w); err != nil || resp.StatusCode != 200 {
		t.Fatalf("window: %d %s", resp.StatusCode, body)
	}
	if w.TimeZone != "America/Bogota" || w.OpensAt.Format("15:04") != "08:00" || w.ClosesAt.Format("15:04") != "09:30" {
		t.Fatalf("window %+v, want 08:00 to 09:30 America/Bogota", w)
	}
	if got := w.OpensAt.AddDate(0, 0, 3).Format("2006-01-02"); got != w.ServiceDate {
		t.Fatalf("service date %s, want three days after the window (%s)", w.ServiceDate, got)
	}
}

// The default settings are exactly the appointment service's defaults.
func TestAppointmentDefaults(t *testing.T) {
	if diff := cmp.Diff(appointments.Default(), appointmentsConfig(config.Default()), cmpopts.IgnoreUnexported(appointments.Config{})); diff != "" {
		t.Fatalf("defaults (-service +serve):\n%s", diff)
	}
}
