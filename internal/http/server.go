// Package http serves Senda's JSON API under /api/v1, its OpenAPI document
// (generated from the handlers' types) and the operational endpoints. Errors
// are RFC 9457 problem details, localised to the request's language.
package http

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/households"
	"github.com/senda-platform/senda/internal/store"
)

// Route is one registered route and its access rule.
type Route struct {
	Method  string
	Pattern string
	Rule    access.Rule
	API     bool
}

// Server is Senda's HTTP front: API, operations and the web pages mounted by
// other packages through Handle.
type Server struct {
	DB      *store.DB
	Log     *slog.Logger
	Version string
	// TrustProxy honours X-Forwarded-Proto from a load balancer.
	TrustProxy bool

	// Retention lists the checks that may keep a household from deletion.
	Retention []households.Retention
	// Auth resolves the caller of each request; nil means everyone is
	// anonymous.
	Auth Authenticator

	mux     *http.ServeMux
	api     huma.API
	metrics *Metrics
	routes  []Route
}

// Authenticator resolves the caller of a request: anonymous when it carries
// no credentials, an unauthorized error when they are wrong.
type Authenticator interface {
	Authenticate(ctx context.Context, r *http.Request) (access.Principal, error)
}

// Config of a Server.
type Config struct {
	Auth       Authenticator
	DB         *store.DB
	Log        *slog.Logger
	Version    string
	Metrics    *Metrics
	TrustProxy bool
}

// New returns a server with the operational and reference routes.
func New(c Config) *Server {
	s := &Server{DB: c.DB, Log: c.Log, Version: c.Version, TrustProxy: c.TrustProxy, Auth: c.Auth, mux: http.NewServeMux(), metrics: c.Metrics}
	if s.metrics == nil {
		s.metrics = NewMetrics(c.DB)
	}
	cfg := huma.DefaultConfig("Senda API", c.Version)
	cfg.Info.License = &huma.License{Name: "Apache-2.0", Identifier: "Apache-2.0"}
	cfg.Info.Description = "Senda: safe, orderly and lawful migration pathways. Errors are RFC 9457 problem details (application/problem+json) localised to Accept-Language (es, en, ht, pt, fr)."
	cfg.OpenAPIPath = ""
	cfg.DocsPath = ""
	cfg.SchemasPath = ""
	// Senda serves no JSON Schema documents of its own (the OpenAPI
	// document holds them), so answers carry no $schema field or Link
	// header pointing at one.
	cfg.CreateHooks = nil
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer":  {Type: "http", Scheme: "bearer", Description: "API token (senda token create)"},
		"session": {Type: "apiKey", In: "cookie", Name: "senda_session", Description: "Browser session after sign-in"},
	}
	cfg.Components.Schemas = huma.NewMapRegistry("#/components/schemas/", schemaNamer())
	s.api = humago.New(s.mux, cfg)
	s.registerOps()
	s.registerReference()
	return s
}

// API returns the huma API for registering operations.
func (s *Server) API() huma.API { return s.api }

// Metrics returns the server's metrics.
func (s *Server) Metrics() *Metrics { return s.metrics }

// Routes lists every registered route with its rule.
func (s *Server) Routes() []Route {
	out := append([]Route(nil), s.routes...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Pattern != out[j].Pattern {
			return out[i].Pattern < out[j].Pattern
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// Handle registers a non-API route ("GET /path") with its access rule.
func (s *Server) Handle(pattern string, rule access.Rule, h http.Handler) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "", pattern
	}
	s.routes = append(s.routes, Route{Method: method, Pattern: path, Rule: rule})
	s.mux.Handle(pattern, s.enforce(rule, h))
}

// Register adds an API operation with its access rule.
func Register[I, O any](s *Server, rule access.Rule, op huma.Operation, h func(context.Context, *I) (*O, error)) {
	s.routes = append(s.routes, Route{Method: op.Method, Pattern: op.Path, Rule: rule, API: true})
	if op.Metadata == nil {
		op.Metadata = map[string]any{}
	}
	op.Metadata["access"] = rule
	api := s.api
	op.Middlewares = append(huma.Middlewares{func(hctx huma.Context, next func(huma.Context)) {
		if status := denied(rule, access.From(hctx.Context())); status != 0 {
			huma.WriteErr(api, hctx, status, "")
			return
		}
		next(hctx)
	}}, op.Middlewares...)
	if !rule.Public {
		op.Security = []map[string][]string{{"bearer": {}}, {"session": {}}}
	}
	if len(op.Errors) == 0 {
		// Every operation may answer with these problems.
		op.Errors = []int{http.StatusUnprocessableEntity, http.StatusTooManyRequests, http.StatusInternalServerError}
		if !rule.Public {
			op.Errors = append(op.Errors, http.StatusUnauthorized, http.StatusForbidden)
		}
		if strings.Contains(op.Path, "{") {
			op.Errors = append(op.Errors, http.StatusNotFound)
		}
	}
	huma.Register(s.api, op, h)
}

// Handler returns the whole server behind its middleware.
func (s *Server) Handler() http.Handler {
	return s.middleware(s.mux)
}

// OpenAPI returns the generated OpenAPI 3.1 document as JSON.
func (s *Server) OpenAPI() ([]byte, error) {
	return json.MarshalIndent(s.api.OpenAPI(), "", "  ")
}

func (s *Server) registerOps() {
	s.Handle("GET /healthz", access.Public, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	}))
	s.Handle("GET /readyz", access.Public, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := s.DB.Ping(r.Context()); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("database unreachable\n"))
			return
		}
		if err := s.DB.CheckSchema(r.Context()); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("database not migrated to this version\n"))
			return
		}
		w.Write([]byte("ready\n"))
	}))
	s.Handle("GET /metrics", access.Public, promhttp.HandlerFor(s.metrics.Registry, promhttp.HandlerOpts{}))
	s.Handle("GET /api/openapi.json", access.Public, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := s.OpenAPI()
		if err != nil {
			writeProblem(w, r, NewProblem(r.Context(), Lang(r.Context()), 500))
			return
		}
		w.Header().Set("Content-Type", "application/openapi+json")
		w.Write(b)
	}))
	s.Handle("GET /api/docs", access.Public, http.HandlerFunc(s.docs))
	// Anything else under /api is a problem document, not a web page.
	s.Handle("/api/", access.Public, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, NewProblem(r.Context(), Lang(r.Context()), http.StatusNotFound))
	}))
	type versionOut struct {
		Body struct {
			Version          string `json:"version" doc:"Senda's version"`
			ReferenceVersion string `json:"reference_version" doc:"Version of the reference data"`
		}
	}
	Register(s, access.Public, huma.Operation{OperationID: "get-version", Method: "GET", Path: "/api/v1/version", Summary: "Senda's version", Tags: []string{"Operations"}},
		func(ctx context.Context, _ *struct{}) (*versionOut, error) {
			out := &versionOut{}
			out.Body.Version = s.Version
			out.Body.ReferenceVersion = referenceVersion
			return out, nil
		})
}

// schemaNamer names schemas by their Go type name, qualified by package
// when two packages use the same name (audit.Entry and profile.Entry become
// AuditEntry and ProfileEntry).
func schemaNamer() func(t reflect.Type, hint string) string {
	var mu sync.Mutex
	seen := map[string]reflect.Type{}
	return func(t reflect.Type, hint string) string {
		name := huma.DefaultSchemaNamer(t, hint)
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Name() == "" || t.PkgPath() == "" {
			return name
		}
		mu.Lock()
		defer mu.Unlock()
		if prev, ok := seen[name]; ok && prev != t {
			pkg := path.Base(t.PkgPath())
			name = strings.ToUpper(pkg[:1]) + pkg[1:] + name
		}
		seen[name] = t
		return name
	}
}

// denied returns 0 when p may call a route with rule, else the status to
// answer: 401 to sign in, 403 for a role the rule does not allow.
func denied(rule access.Rule, p access.Principal) int {
	switch {
	case rule.Allows(p.Role):
		return 0
	case p.Anonymous():
		return http.StatusUnauthorized
	}
	return http.StatusForbidden
}

// enforce guards a non-API route. Pages send an anonymous visitor to sign in.
func (s *Server) enforce(rule access.Rule, h http.Handler) http.Handler {
	if rule.Public {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status := denied(rule, access.From(r.Context()))
		switch {
		case status == 0:
			h.ServeHTTP(w, r)
		case status == http.StatusUnauthorized && !strings.HasPrefix(r.URL.Path, "/api/") && r.Method == http.MethodGet:
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		default:
			writeProblem(w, r, NewProblem(r.Context(), Lang(r.Context()), status))
		}
	})
}

func writeProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	p.Instance = r.URL.Path
	for k, v := range p.headers {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}
