package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/senda-platform/senda/internal/seal"
	"github.com/senda-platform/senda/internal/store"
)

// senda keys rotate re-encrypts personal data under a new key while a
// server keeps serving it.
func TestKeysRotateWhileServing(t *testing.T) {
	dir := t.TempDir()
	srv := MustServe(t, store.SQLite, "--data", dir)
	tok := strings.TrimSpace(mustRun(t, "token", "create", "--data", dir, "--role", "caseworker", "--scope", "MX"))
	family, _ := os.ReadFile("../households/testdata/family.json")
	do := func(method, path string, body []byte) (int, []byte) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	code, body := do("POST", "/api/v1/households", family)
	if code != 201 {
		t.Fatalf("register: %d %s", code, body)
	}
	var h struct{ ID string }
	json.Unmarshal(body, &h)

	out := mustRun(t, "keys", "rotate", "--data", dir, "--grace", "0s")
	if !strings.Contains(out, "new primary data key 2") || !strings.Contains(out, "values re-encrypted under key 2") {
		t.Fatalf("rotate: %s", out)
	}
	// The running server reads data sealed under the key it did not start with.
	if code, body := do("GET", "/api/v1/households/"+h.ID, nil); code != 200 || !strings.Contains(string(body), "María José") {
		t.Fatalf("read after rotation: %d %s", code, body)
	}
	db, err := store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(dir, "senda.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var data []byte
	db.Reader().QueryRow(`SELECT data FROM households WHERE id = $1`, h.ID).Scan(&data)
	if seal.KeyID(data) != 2 {
		t.Fatalf("household sealed under key %d after rotation, want 2", seal.KeyID(data))
	}
	// New writes by the server use the new key once it has followed the file.
	if code, body := do("POST", "/api/v1/households", family); code != 201 {
		t.Fatalf("register after rotation: %d %s", code, body)
	}
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, stderr := run(args...)
	if code != 0 {
		t.Fatalf("senda %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	return out
}
