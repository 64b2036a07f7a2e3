package http

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"time"

	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/i18n"
	"github.com/senda-platform/senda/internal/store"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	langKey
)

// RequestID returns the request's ID.
func RequestID(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey).(string)
	return s
}

// Lang returns the request's negotiated language.
func Lang(ctx context.Context) string {
	if s, ok := ctx.Value(langKey).(string); ok {
		return s
	}
	return i18n.Default
}

// WithLang returns ctx carrying lang.
func WithLang(ctx context.Context, lang string) context.Context {
	return context.WithValue(ctx, langKey, lang)
}

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// statusWriter remembers the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	size   int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.size += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// securityHeaders go on every answer. Their values are shared, never
// changed: each holds exactly one element, so that adding to one copies it,
// and net/http copies them all when it writes the header.
var securityHeaders = http.Header{
	"X-Content-Type-Options":     {"nosniff"},
	"Referrer-Policy":            {"no-referrer"},
	"X-Frame-Options":            {"DENY"},
	"Cross-Origin-Opener-Policy": {"same-origin"},
	"Permissions-Policy":         {"camera=(), microphone=(), geolocation=(self)"},
	"Content-Security-Policy":    {"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"},
}

// hsts goes on answers over HTTPS.
var hsts = []string{"max-age=63072000; includeSubDomains"}

// middleware wraps the mux: request ID, language, security headers, recovery,
// metrics and one structured log line per request. The log line carries the
// route pattern, never the path or query (which can hold identifiers), and
// nothing personal.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-ID")
		if !validRequestID.MatchString(id) {
			id = store.NewID()
		}
		lang := i18n.Negotiate(r)
		ctx := context.WithValue(r.Context(), requestIDKey, id)
		ctx = WithLang(ctx, lang)
		ctx = context.WithValue(ctx, remoteKey{}, r.RemoteAddr)
		r = r.WithContext(ctx)
		h := w.Header()
		h.Set("X-Request-ID", id)
		h.Set("Content-Language", lang)
		for k, v := range securityHeaders {
			h[k] = v
		}
		if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" && s.TrustProxy {
			h["Strict-Transport-Security"] = hsts
		}
		sw := &statusWriter{ResponseWriter: w}
		if s.Auth != nil {
			p, err := s.Auth.Authenticate(ctx, r)
			if err != nil {
				s.metrics.observe("unauthenticated", r.Method, http.StatusUnauthorized, time.Since(start))
				writeProblem(sw, r, NewProblem(ctx, lang, http.StatusUnauthorized, err))
				return
			}
			ctx = access.With(ctx, p)
		}
		{
			// Handlers that set cookies need the request itself.
			ctx = context.WithValue(ctx, requestKey{}, r)
			r = r.WithContext(ctx)
		}
		defer func() {
			if p := recover(); p != nil {
				s.Log.Error("panic", "request_id", id, "route", r.Pattern, "panic", p, "stack", string(debug.Stack()))
				if sw.status == 0 {
					writeProblem(sw, r, NewProblem(ctx, lang, http.StatusInternalServerError))
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			d := time.Since(start)
			s.metrics.observe(route, r.Method, sw.status, d)
			s.Log.LogAttrs(ctx, slog.LevelInfo, "request",
				slog.String("request_id", id), slog.String("method", r.Method), slog.String("route", route),
				slog.Int("status", sw.status), slog.Int("bytes", sw.size), slog.Duration("duration", d))
		}()
		next.ServeHTTP(sw, r)
	})
}
