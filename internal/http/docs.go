package http

import (
	"html/template"
	"net/http"
	"sort"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/senda-platform/senda/internal/i18n"
)

// docs renders the OpenAPI document as one light HTML page, on the server,
// with no script: readable on any device and offline-printable.
func (s *Server) docs(w http.ResponseWriter, r *http.Request) {
	type op struct {
		Method, Path, Summary, Description string
		Params                             []*huma.Param
		Request                            string
		Responses                          []string
	}
	type group struct {
		Tag string
		Ops []op
	}
	doc := s.api.OpenAPI()
	groups := map[string]*group{}
	for path, item := range doc.Paths {
		for method, o := range map[string]*huma.Operation{"GET": item.Get, "POST": item.Post, "PUT": item.Put, "PATCH": item.Patch, "DELETE": item.Delete} {
			if o == nil {
				continue
			}
			tag := "API"
			if len(o.Tags) > 0 {
				tag = o.Tags[0]
			}
			g := groups[tag]
			if g == nil {
				g = &group{Tag: tag}
				groups[tag] = g
			}
			x := op{Method: method, Path: path, Summary: o.Summary, Description: o.Description, Params: o.Parameters}
			if o.RequestBody != nil {
				for _, mt := range o.RequestBody.Content {
					if mt.Schema != nil {
						x.Request = strings.TrimPrefix(mt.Schema.Ref, "#/components/schemas/")
					}
				}
			}
			for code := range o.Responses {
				x.Responses = append(x.Responses, code)
			}
			sort.Strings(x.Responses)
			g.Ops = append(g.Ops, x)
		}
	}
	var gs []*group
	for _, g := range groups {
		sort.Slice(g.Ops, func(i, j int) bool { return g.Ops[i].Path+g.Ops[i].Method < g.Ops[j].Path+g.Ops[j].Method })
		gs = append(gs, g)
	}
	sort.Slice(gs, func(i, j int) bool { return gs[i].Tag < gs[j].Tag })
	type schema struct {
		Name   string
		Fields [][3]string
	}
	var schemas []schema
	for name, sc := range doc.Components.Schemas.Map() {
		x := schema{Name: name}
		for pname, p := range sc.Properties {
			typ := p.Type
			if p.Ref != "" {
				typ = strings.TrimPrefix(p.Ref, "#/components/schemas/")
			}
			if p.Items != nil {
				item := p.Items.Type
				if p.Items.Ref != "" {
					item = strings.TrimPrefix(p.Items.Ref, "#/components/schemas/")
				}
				typ = "[]" + item
			}
			x.Fields = append(x.Fields, [3]string{pname, typ, p.Description})
		}
		sort.Slice(x.Fields, func(i, j int) bool { return x.Fields[i][0] < x.Fields[j][0] })
		schemas = append(schemas, x)
	}
	sort.Slice(schemas, func(i, j int) bool { return schemas[i].Name < schemas[j].Name })
	lang := Lang(r.Context())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	docsPage.Execute(w, map[string]any{
		"Lang": lang, "T": func(k string) string { return i18n.T(lang, k, nil) },
		"Title": doc.Info.Title, "Version": doc.Info.Version, "Description": doc.Info.Description, "Groups": gs, "Schemas": schemas,
	})
}

var docsPage = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}} {{.Version}}</title><link rel="stylesheet" href="/static/senda.css"></head>
<body><main class="wrap">
<h1>{{.Title}} <small>{{.Version}}</small></h1>
<p>{{.Description}}</p>
<p><a href="/api/openapi.json">{{call .T "docs.download"}}</a></p>
<h2>{{call .T "docs.operations"}}</h2>
{{range .Groups}}<section><h3>{{.Tag}}</h3>
{{range .Ops}}<article class="op"><h4><code>{{.Method}} {{.Path}}</code></h4><p>{{.Summary}}</p>{{if .Description}}<p>{{.Description}}</p>{{end}}
{{if .Params}}<table><tr><th>{{call $.T "docs.parameter"}}</th><th>in</th><th>{{call $.T "docs.description"}}</th></tr>{{range .Params}}<tr><td><code>{{.Name}}</code>{{if .Required}}*{{end}}</td><td>{{.In}}</td><td>{{.Description}}</td></tr>{{end}}</table>{{end}}
{{if .Request}}<p>{{call $.T "docs.body"}}: <a href="#schema-{{.Request}}">{{.Request}}</a></p>{{end}}
<p>{{call $.T "docs.responses"}}: {{range .Responses}}<code>{{.}}</code> {{end}}</p></article>
{{end}}</section>{{end}}
<h2>{{call .T "docs.schemas"}}</h2>
{{range .Schemas}}<section id="schema-{{.Name}}"><h3>{{.Name}}</h3><table>{{range .Fields}}<tr><td><code>{{index . 0}}</code></td><td>{{index . 1}}</td><td>{{index . 2}}</td></tr>{{end}}</table></section>
{{end}}</main></body></html>`))
