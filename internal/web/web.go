// Package web serves Senda's server-rendered pages: one layout, every string
// from the message catalogues, light enough for a weak phone connection and
// usable without JavaScript.
package web

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/senda-platform/senda/internal/access"
	sendahttp "github.com/senda-platform/senda/internal/http"
	"github.com/senda-platform/senda/internal/i18n"
	assets "github.com/senda-platform/senda/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// Web renders pages.
type Web struct {
	log   *slog.Logger
	pages map[string]*template.Template
}

// Page is what every template receives.
type Page struct {
	Lang      string
	Path      string
	RequestID string
	Languages []struct{ Code, Name string }
	// SignedIn is true when the request carries a live session or token.
	SignedIn bool
	Data     any
}

// Mount registers the pages and static files on s.
func Mount(s *sendahttp.Server, log *slog.Logger) (*Web, error) {
	w := &Web{log: log, pages: map[string]*template.Template{}}
	if err := w.parse(); err != nil {
		return nil, err
	}
	static, err := fs.Sub(assets.Static, "static")
	if err != nil {
		return nil, err
	}
	fileServer := http.StripPrefix("/static/", http.FileServerFS(static))
	s.Handle("GET /static/", access.Public, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Cache-Control", "public, max-age=86400")
		fileServer.ServeHTTP(rw, r)
	}))
	s.Handle("GET /{$}", access.Public, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.Render(rw, r, http.StatusOK, "home", nil)
	}))
	s.Handle("GET /lang/{code}", access.Public, http.HandlerFunc(w.switchLanguage))
	s.Handle("/", access.Public, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.Render(rw, r, http.StatusNotFound, "error", ErrorPage{Title: "page.not_found.title", Body: "page.not_found.body"})
	}))
	return w, nil
}

// ErrorPage names the catalogue keys of an error page.
type ErrorPage struct{ Title, Body string }

func (w *Web) parse() error {
	entries, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := strings.TrimSuffix(strings.TrimPrefix(e, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		// "t" is rebound per request to the request's language.
		t, err := template.New(name).Funcs(template.FuncMap{"t": func(string) string { return "" }, "tf": func(string, ...any) string { return "" }}).
			ParseFS(templateFS, "templates/layout.html", e)
		if err != nil {
			return err
		}
		w.pages[name] = t
	}
	return nil
}

// Render writes page name in the request's language.
func (w *Web) Render(rw http.ResponseWriter, r *http.Request, status int, name string, data any) {
	lang := sendahttp.Lang(r.Context())
	t, err := w.pages[name].Clone()
	if err != nil {
		w.log.Error("template", "page", name, "err", err)
		http.Error(rw, "internal error", http.StatusInternalServerError)
		return
	}
	t.Funcs(template.FuncMap{
		"t": func(key string) string { return i18n.T(lang, key, nil) },
		"tf": func(key string, kv ...any) string {
			args := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				if k, ok := kv[i].(string); ok {
					args[k] = kv[i+1]
				}
			}
			return i18n.T(lang, key, args)
		},
	})
	p := Page{Lang: lang, Path: r.URL.RequestURI(), RequestID: sendahttp.RequestID(r.Context()), SignedIn: !access.From(r.Context()).Anonymous(), Data: data}
	for _, l := range i18n.Languages {
		p.Languages = append(p.Languages, struct{ Code, Name string }{l, i18n.Names[l]})
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		w.log.Error("render", "page", name, "err", err)
		http.Error(rw, "internal error", http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.Header().Set("Vary", "Accept-Language, Cookie")
	rw.WriteHeader(status)
	rw.Write(buf.Bytes())
}

// switchLanguage remembers the chosen language in a cookie and goes back to
// the page the person was on. It works without JavaScript.
func (w *Web) switchLanguage(rw http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if !i18n.Supported(code) {
		w.Render(rw, r, http.StatusNotFound, "error", ErrorPage{Title: "page.not_found.title", Body: "page.not_found.body"})
		return
	}
	http.SetCookie(rw, &http.Cookie{Name: i18n.CookieName, Value: code, Path: "/", MaxAge: int((365 * 24 * time.Hour).Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	http.Redirect(rw, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
}

// localPath keeps a redirect on this site: anything else goes home.
func localPath(next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || u.IsAbs() || u.Host != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return "/"
	}
	return u.RequestURI()
}
