package http

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/senda-platform/senda/internal/access"
)

// Every answer carries the security headers, and what one handler adds to
// them never reaches the next answer: their values are shared.
func TestSecurityHeadersStayTheSame(t *testing.T) {
	s := New(Config{Log: slog.New(slog.DiscardHandler), Version: "test"})
	s.Handle("GET /adds", access.Public, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Content-Security-Policy", "img-src *")
		w.Header().Add("X-Frame-Options", "SAMEORIGIN")
	}))
	h := s.Handler()
	for i := range 3 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/adds", nil))
		for k, v := range securityHeaders {
			got := w.Header()[k]
			if len(got) == 0 || got[0] != v[0] || len(v) != 1 {
				t.Fatalf("answer %d: %s is %q, shared value %q", i, k, got, v)
			}
		}
		if got := w.Header()["X-Frame-Options"]; !slices.Equal(got, []string{"DENY", "SAMEORIGIN"}) {
			t.Fatalf("answer %d: the handler's own addition: %q", i, got)
		}
	}
}
