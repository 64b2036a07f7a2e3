package cli

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/senda-platform/senda/internal/config"
	"github.com/senda-platform/senda/internal/seal"
	"github.com/senda-platform/senda/internal/store"
)

func benchApp(b *testing.B) *App {
	b.Helper()
	cfg := config.Default()
	cfg.DataDir = b.TempDir()
	db, err := store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(cfg.DataDir, "senda.db")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	app, err := NewApp(context.Background(), cfg, db, seal.New(), slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	return app
}

// BenchmarkAPIVersionInProcess measures GET /api/v1/version through the whole
// middleware stack (request ID, language, headers, metrics, JSON log line),
// without the network.
func BenchmarkAPIVersionInProcess(b *testing.B) {
	h := benchApp(b).Handler
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req := httptest.NewRequest("GET", "/api/v1/version", nil)
		for pb.Next() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != 200 {
				b.Fatalf("got %d", w.Code)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkAPIVersionLoopback measures the same route over loopback HTTP with
// keep-alive clients, next to a bare net/http JSON handler measured the same way.
func BenchmarkAPIVersionLoopback(b *testing.B) {
	for _, tc := range []struct {
		name string
		h    http.Handler
	}{
		{"senda", benchApp(b).Handler},
		{"bare", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"version":"dev","reference_version":"x"}`))
		})},
	} {
		b.Run(tc.name, func(b *testing.B) {
			srv := httptest.NewServer(tc.h)
			defer srv.Close()
			tr := &http.Transport{MaxIdleConnsPerHost: 256}
			c := &http.Client{Transport: tr}
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := c.Get(srv.URL + "/api/v1/version")
					if err != nil {
						b.Fatal(err)
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}
