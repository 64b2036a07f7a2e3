package web

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/eligibility"
	sendahttp "github.com/senda-platform/senda/internal/http"
	"github.com/senda-platform/senda/internal/i18n"
	"github.com/senda-platform/senda/policy"
	"github.com/senda-platform/senda/profile"
	"github.com/senda-platform/senda/reference"
)

// pathMaxForm bounds the body of a questionnaire post; pathMaxUpload that
// of a pack upload.
const (
	pathMaxForm   = 64 << 10
	pathMaxUpload = eligibility.MaxPackBytes + 64<<10
)

// pathPages serves "what may fit me" (/pathways: a short questionnaire
// anyone may answer, nothing stored; a registered household's results) and
// the programme managers' policy console (/policy).
type pathPages struct {
	web *Web
	srv *sendahttp.Server
	svc *eligibility.Service
}

// MountPathways registers the pathways pages and the policy console. It
// panics when the embedded templates do not parse, which every test of
// this package shows.
func MountPathways(s *sendahttp.Server, svc *eligibility.Service, log *slog.Logger) {
	w := &Web{log: log, pages: map[string]*template.Template{}}
	if err := w.parse(); err != nil {
		panic(fmt.Sprintf("web templates: %v", err))
	}
	p := &pathPages{web: w, srv: s, svc: svc}
	h := func(f func(http.ResponseWriter, *http.Request)) http.Handler { return http.HandlerFunc(f) }
	s.Handle("GET /pathways", access.Public, h(p.questionnaire))
	s.Handle("POST /pathways", access.Public, h(p.screen))
	s.Handle("GET /pathways/households/{id}", access.Roles(access.Applicant, access.Helper, access.Caseworker, access.Admin), h(p.household))
	managers := access.Roles(access.ProgrammeManager, access.Admin)
	s.Handle("GET /policy", managers, h(p.console))
	s.Handle("POST /policy/drafts", managers, h(p.upload))
	s.Handle("POST /policy/drafts/{id}/what-if", managers, h(p.whatIf))
	s.Handle("POST /policy/drafts/{id}/publish", managers, h(p.publish))
}

func (p *pathPages) render(rw http.ResponseWriter, r *http.Request, status int, name string, data any) {
	rw.Header().Set("Cache-Control", "no-store")
	p.web.Render(rw, r, status, name, data)
}

// fatal answers an error no form can show.
func (p *pathPages) fatal(rw http.ResponseWriter, r *http.Request, err error) {
	switch senda.ErrorCode(err) {
	case senda.CodeNotFound:
		p.render(rw, r, http.StatusNotFound, "error", ErrorPage{Title: "page.not_found.title", Body: "page.not_found.body"})
		return
	case senda.CodeForbidden:
		p.render(rw, r, http.StatusForbidden, "error", ErrorPage{Title: "error.forbidden.title", Body: "error.forbidden.detail"})
		return
	case senda.CodeInvalid:
		p.render(rw, r, http.StatusUnprocessableEntity, "error", ErrorPage{Title: "error.invalid.title", Body: "error.invalid.detail"})
		return
	}
	p.web.log.Error("page", "request_id", sendahttp.RequestID(r.Context()), "route", r.Pattern, "err", err)
	p.render(rw, r, http.StatusInternalServerError, "error", ErrorPage{Title: "error.internal.title", Body: "error.internal.detail"})
}

// ---- The questions ----

// pathQuestion is one profile field the questionnaire can ask.
type pathQuestion struct {
	path  string // the field's question path, also the form field name
	kind  string // tri, country, countries, region, text, date, partial_date, enum, int, dates, entries
	enum  []string
	index []int // of the field in profile.Person
	// household is the index of a field of profile.Household instead.
	household []int
}

var (
	pathQuestionsOnce sync.Once
	pathQuestions     map[string]pathQuestion
)

// questionFor describes the field at path, if the questionnaire can ask it.
func questionFor(path string) (pathQuestion, bool) {
	pathQuestionsOnce.Do(func() {
		pathQuestions = map[string]pathQuestion{}
		// The household's yes/no facts (the members are asked when the
		// family registers).
		ht := reflect.TypeFor[profile.Household]()
		for i := range ht.NumField() {
			f := ht.Field(i)
			if f.Type == reflect.TypeFor[*bool]() {
				name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
				pathQuestions["household."+name] = pathQuestion{path: "household." + name, kind: "tri", household: f.Index}
			}
		}
		t := reflect.TypeFor[profile.Person]()
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			q := pathQuestion{path: name, index: f.Index}
			switch ft := f.Type; {
			case name == "id":
				continue
			case name == "current_region":
				q.kind = "region"
			case name == "current_city":
				q.kind = "text"
			case ft == reflect.TypeFor[*bool]():
				q.kind = "tri"
			case ft == reflect.TypeFor[*profile.Date]():
				q.kind = "date"
			case ft == reflect.TypeFor[*profile.PartialDate]():
				q.kind = "partial_date"
			case ft == reflect.TypeFor[*int]():
				q.kind = "int"
			case ft == reflect.TypeFor[[]string]():
				q.kind = "countries"
			case ft == reflect.TypeFor[[]profile.Date]():
				q.kind = "dates"
			case ft == reflect.TypeFor[[]profile.Entry]():
				q.kind = "entries"
			case ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.String && f.Tag.Get("enum") != "":
				q.kind, q.enum = "enum", strings.Split(f.Tag.Get("enum"), ",")
			case ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.String:
				q.kind = "country"
			default:
				continue
			}
			pathQuestions[name] = q
		}
	})
	q, ok := pathQuestions[path]
	return q, ok
}

// pathSections are the questions asked first, by section.
var pathSections = []struct {
	key   string
	paths []string
}{
	{"about", []string{"role", "nationality", "other_nationalities", "birth_date", "married"}},
	{"where", []string{"current_country", "current_region", "arrival_date_in_current_country", "host_country_status"}},
	{"documents", []string{"has_passport", "passport_expiry_date", "us_entry_documents"}},
	{"history", []string{"irregular_entries", "us_removal_order_dates"}},
	{"us", []string{"us_immigration_status", "us_parole_expiry_date", "us_supporter_with_i134a", "job_offer_h2", "job_offer_h2_category"}},
}

func basePaths() map[string]bool {
	out := map[string]bool{}
	for _, s := range pathSections {
		for _, p := range s.paths {
			out[p] = true
		}
	}
	return out
}

// fieldID is the HTML id of a question's input.
func fieldID(path string) string { return "q-" + strings.NewReplacer("_", "-", ".", "-").Replace(path) }

// ---- Reading the answers ----

// readAnswers reads the questions asked from the form into a profile.
func readAnswers(g *regForm, qs []pathQuestion) profile.Profile {
	pr := profile.Profile{Person: profile.Person{ID: "me"}}
	pv := reflect.ValueOf(&pr.Person).Elem()
	for _, q := range qs {
		if q.household != nil {
			if b := g.tri(q.path); b != nil {
				if pr.Household == nil {
					pr.Household = &profile.Household{}
				}
				reflect.ValueOf(pr.Household).Elem().FieldByIndex(q.household).Set(reflect.ValueOf(b))
			}
			continue
		}
		f := pv.FieldByIndex(q.index)
		setString := func(s string) {
			v := reflect.New(f.Type().Elem())
			v.Elem().SetString(s)
			f.Set(v)
		}
		switch q.kind {
		case "tri":
			if b := g.tri(q.path); b != nil {
				f.Set(reflect.ValueOf(b))
			}
		case "country":
			if c := g.country(q.path, false); c != nil {
				setString(*c)
			}
		case "region":
			if s := g.get(q.path); s != "" {
				if _, ok := reference.Subdivision(s); ok {
					setString(s)
				} else {
					g.fail(q.path, "validation.one_of", map[string]any{"options": "ISO 3166-2"})
				}
			}
		case "text":
			if s := g.text(q.path, false, 100); s != "" {
				setString(s)
			}
		case "date":
			if d := g.date(q.path, false); d != nil {
				setString(string(*d))
			}
		case "partial_date":
			if d := g.partialDate(q.path, false); d != "" {
				setString(string(d))
			}
		case "enum":
			if s := g.choice(q.path, false, q.enum...); s != "" {
				setString(s)
			}
		case "int":
			if s := g.get(q.path); s != "" {
				n, err := strconv.Atoi(s)
				if err != nil || n < 0 || n > 1000 {
					g.fail(q.path, "validation.max", map[string]any{"max": 1000})
					continue
				}
				f.Set(reflect.ValueOf(&n))
			}
		case "countries":
			switch s := g.get(q.path); s {
			case "", "unknown":
			case "none":
				f.Set(reflect.ValueOf([]string{}))
			default:
				if c := g.country(q.path, false); c != nil {
					f.Set(reflect.ValueOf([]string{*c}))
				}
			}
		case "dates", "entries":
			switch g.get(q.path) {
			case "", "unknown":
				continue
			case "none":
				f.Set(reflect.MakeSlice(f.Type(), 0, 0))
				continue
			case "yes":
			default:
				g.fail(q.path, "validation.one_of", map[string]any{"options": "none, yes, unknown"})
				continue
			}
			d := g.date(q.path+"_date", false)
			if d == nil && g.errorOf(q.path+"_date") == "" {
				g.fail(q.path+"_date", "validation.required", nil)
			}
			if q.kind == "dates" {
				if d != nil {
					f.Set(reflect.ValueOf([]profile.Date{*d}))
				}
				continue
			}
			c := g.country(q.path+"_country", true)
			if d != nil && c != nil {
				f.Set(reflect.ValueOf([]profile.Entry{{Country: *c, Date: *d}}))
			}
		}
	}
	return pr
}

// ---- Building the form ----

type pathFields struct {
	lang string
	g    *regForm
}

func (b pathFields) t(key string) string { return i18n.T(b.lang, key, nil) }

func (b pathFields) base(kind, name, label string) regField {
	return regField{Kind: kind, Name: name, ID: fieldID(name), Label: label, Value: b.g.value(name, ""), Error: b.g.errorOf(name)}
}

func (b pathFields) options(name string, opts []regOption) []regOption {
	return selectOptions(opts, b.g.value(name, ""))
}

// fields returns the inputs of one question.
func (b pathFields) fields(q pathQuestion) []regField {
	label := profile.Question(b.lang, q.path)
	unknown := regOption{Value: "", Label: b.t("pathways.answer.unknown")}
	switch q.kind {
	case "tri":
		f := b.base("radio", q.path, label)
		if f.Value == "" {
			f.Value = "unknown"
		}
		f.Options = selectOptions([]regOption{{Value: "yes", Label: b.t("pathways.answer.yes")}, {Value: "no", Label: b.t("pathways.answer.no")},
			{Value: "unknown", Label: b.t("pathways.answer.unknown")}}, f.Value)
		return []regField{f}
	case "country":
		f := b.base("select", q.path, label)
		f.Options = b.options(q.path, append([]regOption{unknown}, countryOptions(b.lang)...))
		return []regField{f}
	case "countries":
		f := b.base("select", q.path, label)
		f.Options = b.options(q.path, append([]regOption{unknown, {Value: "none", Label: b.t("pathways.answer.none")}}, countryOptions(b.lang)...))
		return []regField{f}
	case "region":
		f := b.base("select", q.path, label)
		f.Options = []regOption{unknown}
		f.Groups = regionGroups(b.lang, "", f.Value)
		return []regField{f}
	case "text":
		f := b.base("text", q.path, label)
		f.MaxLength = 100
		return []regField{f}
	case "date":
		return []regField{b.base("date", q.path, label)}
	case "int":
		f := b.base("text", q.path, label)
		f.InputMode, f.MaxLength = "numeric", 4
		return []regField{f}
	case "enum":
		f := b.base("select", q.path, label)
		opts := []regOption{unknown}
		for _, v := range q.enum {
			key := "pathways.option." + q.path + "." + v
			l := b.t(key)
			if l == key {
				l = v // codes such as visa categories read the same in every language
			}
			opts = append(opts, regOption{Value: v, Label: l})
		}
		f.Options = b.options(q.path, opts)
		return []regField{f}
	case "partial_date":
		f := b.base("partial_date", q.path, label)
		f.Hint = b.t("pathways.birth_hint")
		f.Parts = &regDateParts{Year: b.g.value(q.path+"_year", ""), Day: b.g.value(q.path+"_day", ""),
			YearLabel: b.t("pathways.year"), MonthLabel: b.t("pathways.month"), DayLabel: b.t("pathways.day")}
		opts := []regOption{{Value: "", Label: b.t("pathways.month_unknown")}}
		for i := 1; i <= 12; i++ {
			opts = append(opts, regOption{Value: strconv.Itoa(i), Label: fmt.Sprintf("%02d", i)})
		}
		f.Options = selectOptions(opts, b.g.value(q.path+"_month", ""))
		return []regField{f}
	case "dates", "entries":
		f := b.base("radio", q.path, label)
		if f.Value == "" {
			f.Value = "unknown"
		}
		f.Options = selectOptions([]regOption{{Value: "none", Label: b.t("pathways.answer.never")}, {Value: "yes", Label: b.t("pathways.answer.yes")},
			{Value: "unknown", Label: b.t("pathways.answer.unknown")}}, f.Value)
		out := []regField{f}
		if q.kind == "entries" {
			c := b.base("select", q.path+"_country", b.t("pathways.if_yes_country"))
			c.Options = b.options(q.path+"_country", append([]regOption{{Value: "", Label: b.t("pathways.choose")}}, countryOptions(b.lang)...))
			out = append(out, c)
		}
		return append(out, b.base("date", q.path+"_date", b.t("pathways.if_yes_date")))
	}
	return nil
}

// ---- Pages ----

// pathPage is what the pathways templates receive.
type pathPage struct {
	Title, Lead string
	Alert       *regAlert
	// The questionnaire.
	Sets  []regFieldset
	Asked string
	// Results, after answering.
	Results *pathResults
	// Households the signed-in applicant registered, to screen.
	Households []regLink
	// Members are a household's results, one per person.
	Members []pathMember
	Receipt string
}

type pathMember struct {
	Name, Role string
	Results    *pathResults
}

type pathResults struct {
	Version    string
	Groups     []pathGroup
	Disclaimer string
}

type pathGroup struct {
	Class, Title, Lead string
	Closed             bool
	Programs           []pathProgram
}

type pathProgram struct {
	ID, Name, Description, HandledBy string
	Criteria                         []pathCriterion
	Hints                            []string
	Questions                        []regLink
	Sources                          []regLink
}

type pathCriterion struct {
	Class, State, Text string
}

// results arranges results for a page: may fit, need to know more, does
// not fit; each criterion explained, what the person can do, and for
// undecided criteria the questions to answer (linked to the form when
// linkQuestions).
func (p *pathPages) results(lang string, rs []policy.Result, pack *policy.Pack, linkQuestions bool) *pathResults {
	t := func(key string, args map[string]any) string { return i18n.T(lang, key, args) }
	out := &pathResults{Disclaimer: t("pathways.disclaimer", nil)}
	if len(rs) > 0 {
		out.Version = t("pathways.version", map[string]any{"version": rs[0].PolicyVersion, "date": string(rs[0].AsOf)})
	}
	groups := map[policy.Outcome]*pathGroup{
		policy.Eligible:   {Class: "fit", Title: t("pathways.fit.title", nil), Lead: t("pathways.fit.lead", nil)},
		policy.NeedsInfo:  {Class: "more", Title: t("pathways.more.title", nil), Lead: t("pathways.more.lead", nil)},
		policy.Ineligible: {Class: "nofit", Title: t("pathways.nofit.title", nil), Lead: t("pathways.nofit.lead", nil), Closed: true},
	}
	for _, r := range rs {
		pr, _ := pack.Program(r.Program)
		pp := pathProgram{ID: r.Program, Name: pr.Name.In(lang), Description: pr.Description.In(lang), HandledBy: pr.HandledBy}
		seenHint, seenQ := map[string]bool{}, map[string]bool{}
		for _, c := range r.Criteria {
			pc := pathCriterion{Class: "ok", State: t("pathways.criterion.met", nil), Text: c.Explanation}
			switch {
			case c.Passed == nil:
				pc.Class, pc.State = "unknown", t("pathways.criterion.undecided", nil)
				if len(c.Needs) > 0 {
					var qs []string
					for _, n := range c.Needs {
						qs = append(qs, "“"+profile.Question(lang, n)+"”")
					}
					pc.Text = strings.Replace(pc.Text, strings.Join(c.Needs, ", "), strings.Join(qs, " "), 1)
				}
				for _, n := range c.Needs {
					if seenQ[n] {
						continue
					}
					seenQ[n] = true
					l := regLink{Label: profile.Question(lang, n)}
					if _, ok := questionFor(n); ok && linkQuestions {
						l.URL = "#" + fieldID(n)
					}
					pp.Questions = append(pp.Questions, l)
				}
			case !*c.Passed:
				pc.Class, pc.State = "no", t("pathways.criterion.not_met", nil)
			}
			pp.Criteria = append(pp.Criteria, pc)
			if c.Hint != "" && !seenHint[c.Hint] {
				seenHint[c.Hint] = true
				pp.Hints = append(pp.Hints, c.Hint)
			}
		}
		for _, s := range pr.Sources {
			if len(pp.Sources) < 2 && strings.HasPrefix(s.URL, "https://") {
				label := s.Title
				if label == "" {
					label = s.URL
				}
				pp.Sources = append(pp.Sources, regLink{Label: label, URL: s.URL})
			}
		}
		g := groups[r.Result]
		g.Programs = append(g.Programs, pp)
	}
	for _, o := range []policy.Outcome{policy.Eligible, policy.NeedsInfo, policy.Ineligible} {
		if g := groups[o]; len(g.Programs) > 0 {
			out.Groups = append(out.Groups, *g)
		}
	}
	return out
}

// form builds the questionnaire: the first questions, then those asked
// since (asked), then those the results need.
func (p *pathPages) form(lang string, g *regForm, asked []string) ([]regFieldset, []pathQuestion) {
	b := pathFields{lang: lang, g: g}
	var sets []regFieldset
	var qs []pathQuestion
	for _, s := range pathSections {
		fs := regFieldset{Legend: i18n.T(lang, "pathways.section."+s.key, nil)}
		for _, path := range s.paths {
			q, _ := questionFor(path)
			qs = append(qs, q)
			fs.Fields = append(fs.Fields, b.fields(q)...)
		}
		sets = append(sets, fs)
	}
	if len(asked) > 0 {
		fs := regFieldset{Legend: i18n.T(lang, "pathways.section.more", nil), Hint: i18n.T(lang, "pathways.section.more_hint", nil)}
		for _, path := range asked {
			q, _ := questionFor(path)
			qs = append(qs, q)
			fs.Fields = append(fs.Fields, b.fields(q)...)
		}
		sets = append(sets, fs)
	}
	return sets, qs
}

// askedPaths reads the extra questions already shown, keeping those the
// questionnaire knows.
func askedPaths(v string) []string {
	base := basePaths()
	seen := map[string]bool{}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if _, ok := questionFor(s); ok && !base[s] && !seen[s] && len(out) < 40 {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func (p *pathPages) page(lang string) pathPage {
	return pathPage{Title: i18n.T(lang, "pathways.title", nil), Lead: i18n.T(lang, "pathways.lead", nil)}
}

// questionnaire shows the questions; a signed-in applicant also sees
// their registered households.
func (p *pathPages) questionnaire(rw http.ResponseWriter, r *http.Request) {
	lang := sendahttp.Lang(r.Context())
	pg := p.page(lang)
	g := newRegForm(&regFlow{lang: lang}, nil, p.svc.Now())
	pg.Sets, _ = p.form(lang, g, nil)
	if c := p.srv.Caller(r.Context(), p.svc.Keys); c.Role == access.Applicant {
		l, err := p.svc.Households.List(r.Context(), c, "", 20)
		if err != nil {
			p.fatal(rw, r, err)
			return
		}
		for _, h := range l {
			pg.Households = append(pg.Households, regLink{Label: i18n.T(lang, "pathways.household.link", map[string]any{"receipt": h.Receipt}),
				URL: "/pathways/households/" + url.PathEscape(h.ID)})
		}
	}
	p.render(rw, r, http.StatusOK, "pathways_questions", pg)
}

// screen reads the answers and shows the results with the questionnaire
// again, grown by the questions that would settle what is undecided.
// Nothing is stored.
func (p *pathPages) screen(rw http.ResponseWriter, r *http.Request) {
	lang := sendahttp.Lang(r.Context())
	r.Body = http.MaxBytesReader(rw, r.Body, pathMaxForm)
	if err := r.ParseForm(); err != nil {
		p.render(rw, r, http.StatusBadRequest, "error", ErrorPage{Title: "error.invalid.title", Body: "error.invalid.detail"})
		return
	}
	pg := p.page(lang)
	g := newRegForm(&regFlow{lang: lang}, r.PostForm, p.svc.Now())
	g.posted = true
	asked := askedPaths(r.PostForm.Get("asked"))
	_, qs := p.form(lang, g, asked)
	prof := readAnswers(g, qs)
	var rs []policy.Result
	if len(g.errs) == 0 {
		var err error
		rs, err = p.svc.ScreenProfile(r.Context(), prof, time.Time{}, lang)
		var se *senda.Error
		switch {
		case errors.As(err, &se) && se.Code == senda.CodeInvalid:
			for _, fe := range se.Fields {
				name, _, _ := strings.Cut(fe.Location, "[")
				if _, ok := questionFor(name); ok {
					g.fail(name, fe.Key, fe.Args)
				}
			}
			if len(g.errs) == 0 {
				g.items = append(g.items, regLink{Label: i18n.T(lang, "error.invalid.detail", nil)})
			}
		case err != nil:
			p.fatal(rw, r, err)
			return
		}
	}
	status := http.StatusOK
	if len(g.errs) > 0 || len(g.items) > 0 {
		status = http.StatusUnprocessableEntity
		pg.Alert = &regAlert{Title: i18n.T(lang, "error.invalid.title", nil), Detail: i18n.T(lang, "error.invalid.detail", nil), Items: g.items}
		for _, name := range sortedErrNames(g.errs) {
			pg.Alert.Items = append(pg.Alert.Items, regLink{Label: g.errs[name], URL: "#" + fieldID(strings.TrimSuffix(strings.TrimSuffix(name, "_date"), "_country"))})
		}
	} else {
		pack, err := p.svc.At(r.Context(), p.svc.Today())
		if err != nil {
			p.fatal(rw, r, err)
			return
		}
		pg.Results = p.results(lang, rs, pack, true)
		// Ask next what would settle the undecided criteria.
		base := basePaths()
		seen := map[string]bool{}
		for _, a := range asked {
			seen[a] = true
		}
		for _, res := range rs {
			for _, c := range res.Criteria {
				for _, n := range c.Needs {
					if _, ok := questionFor(n); ok && !base[n] && !seen[n] {
						seen[n] = true
						asked = append(asked, n)
					}
				}
			}
		}
	}
	pg.Sets, _ = p.form(lang, g, asked)
	pg.Asked = strings.Join(asked, ",")
	p.render(rw, r, status, "pathways_questions", pg)
}

func sortedErrNames(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// household screens a registered household now and shows each member's
// results; the results are stored with their version.
func (p *pathPages) household(rw http.ResponseWriter, r *http.Request) {
	lang := sendahttp.Lang(r.Context())
	c := p.srv.Caller(r.Context(), p.svc.Keys)
	if c.Role == access.Helper {
		if v := r.URL.Query().Get("for"); v != "" && len(v) <= 64 {
			c.OnBehalfOf = v
		}
	}
	hr, err := p.svc.ScreenHousehold(r.Context(), c, r.PathValue("id"), lang)
	if err != nil {
		p.fatal(rw, r, err)
		return
	}
	reg, err := p.svc.Registry(r.Context())
	if err != nil {
		p.fatal(rw, r, err)
		return
	}
	pack, err := reg.Version(hr.PolicyVersion)
	if err != nil {
		p.fatal(rw, r, err)
		return
	}
	pg := pathPage{Title: i18n.T(lang, "pathways.household.title", nil), Lead: i18n.T(lang, "pathways.household.lead", nil), Receipt: hr.Receipt}
	for _, m := range hr.Members {
		pg.Members = append(pg.Members, pathMember{Name: m.Name, Role: i18n.T(lang, "pathways.option.role."+m.Role, nil), Results: p.results(lang, m.Results, pack, false)})
	}
	p.render(rw, r, http.StatusOK, "pathways_household", pg)
}

// ---- The policy console ----

type consolePage struct {
	Notice   string
	Alert    *regAlert
	Versions []consoleVersion
	Drafts   []eligibility.Draft
	Today    string
	WhatIf   *whatIfView
}

type consoleVersion struct {
	eligibility.Version
	SourceURL string
}

type whatIfView struct {
	Draft    eligibility.Draft
	W        *eligibility.WhatIf
	Changes  []whatIfChange
	Programs []policy.ProgramDiff
}

type whatIfChange struct {
	Program, From, To string
	Count             int
	Nationality       string
	Office            string
}

func (p *pathPages) consolePage(r *http.Request) (*consolePage, error) {
	lang := sendahttp.Lang(r.Context())
	c := p.srv.Caller(r.Context(), p.svc.Keys)
	vs, err := p.svc.Versions(r.Context(), lang)
	if err != nil {
		return nil, err
	}
	ds, err := p.svc.Drafts(r.Context(), c)
	if err != nil {
		return nil, err
	}
	cp := &consolePage{Drafts: ds, Today: string(profile.DateOf(p.svc.Today()))}
	for _, v := range vs {
		cp.Versions = append(cp.Versions, consoleVersion{Version: v, SourceURL: "/api/v1/policy/versions/" + url.PathEscape(v.Version) + "/source"})
	}
	return cp, nil
}

func (p *pathPages) console(rw http.ResponseWriter, r *http.Request) {
	cp, err := p.consolePage(r)
	if err != nil {
		p.fatal(rw, r, err)
		return
	}
	if v := r.URL.Query().Get("published"); v != "" && len(v) <= 64 {
		cp.Notice = i18n.T(sendahttp.Lang(r.Context()), "policy.console.published", map[string]any{"version": v})
	}
	if v := r.URL.Query().Get("uploaded"); v != "" && len(v) <= 64 {
		cp.Notice = i18n.T(sendahttp.Lang(r.Context()), "policy.console.uploaded", map[string]any{"version": v})
	}
	p.render(rw, r, http.StatusOK, "policy_console", cp)
}

// consoleError shows the console with an error from the service.
func (p *pathPages) consoleError(rw http.ResponseWriter, r *http.Request, err error) {
	var se *senda.Error
	if !errors.As(err, &se) || (se.Code != senda.CodeInvalid && se.Code != senda.CodeConflict) {
		p.fatal(rw, r, err)
		return
	}
	lang := sendahttp.Lang(r.Context())
	cp, cerr := p.consolePage(r)
	if cerr != nil {
		p.fatal(rw, r, cerr)
		return
	}
	key := se.Key
	if !i18n.Has(key + ".title") {
		key = "error." + string(se.Code)
	}
	cp.Alert = &regAlert{Title: i18n.T(lang, key+".title", se.Args), Detail: i18n.T(lang, key+".detail", se.Args)}
	for _, f := range se.Fields {
		cp.Alert.Items = append(cp.Alert.Items, regLink{Label: f.Location + ": " + i18n.T(lang, f.Key, f.Args)})
	}
	status := http.StatusUnprocessableEntity
	if se.Code == senda.CodeConflict {
		status = http.StatusConflict
	}
	p.render(rw, r, status, "policy_console", cp)
}

// upload takes a pack from a file input or a text area.
func (p *pathPages) upload(rw http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(rw, r.Body, pathMaxUpload)
	name, data := "", []byte(nil)
	if err := r.ParseMultipartForm(pathMaxUpload); err == nil {
		defer r.MultipartForm.RemoveAll()
		if f, hdr, err := r.FormFile("pack"); err == nil {
			defer f.Close()
			data, err = io.ReadAll(io.LimitReader(f, eligibility.MaxPackBytes+1))
			if err != nil {
				p.consoleError(rw, r, &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid"})
				return
			}
			name = hdr.Filename
		}
	} else {
		r.ParseForm()
	}
	if len(data) == 0 {
		data = []byte(r.FormValue("source"))
		name = r.FormValue("name")
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		p.consoleError(rw, r, &senda.Error{Code: senda.CodeInvalid, Key: "policy.empty_pack"})
		return
	}
	d, err := p.svc.Upload(r.Context(), p.srv.Caller(r.Context(), p.svc.Keys), name, data)
	if err != nil {
		p.consoleError(rw, r, err)
		return
	}
	http.Redirect(rw, r, "/policy?uploaded="+url.QueryEscape(d.Version)+"#drafts", http.StatusSeeOther)
}

// whatIf runs a draft over every registered household and shows who would
// gain or lose eligibility.
func (p *pathPages) whatIf(rw http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(rw, r.Body, pathMaxForm)
	r.ParseForm()
	var asOf time.Time
	if v := r.PostForm.Get("as_of"); v != "" {
		t, ok := profile.Date(v).Time()
		if !ok {
			p.consoleError(rw, r, &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid", Fields: []senda.FieldError{{Location: "as_of", Key: "validation.date"}}})
			return
		}
		asOf = t
	}
	c := p.srv.Caller(r.Context(), p.svc.Keys)
	w, err := p.svc.WhatIfDraft(r.Context(), c, r.PathValue("id"), asOf)
	if err != nil {
		p.consoleError(rw, r, err)
		return
	}
	cp, err := p.consolePage(r)
	if err != nil {
		p.fatal(rw, r, err)
		return
	}
	v := &whatIfView{W: w, Programs: w.Report.Programs}
	for _, d := range cp.Drafts {
		if d.ID == w.DraftID {
			v.Draft = d
		}
	}
	for _, ch := range w.Report.Changes {
		v.Changes = append(v.Changes, whatIfChange{Program: ch.Program, From: string(ch.From), To: string(ch.To), Count: ch.Count,
			Nationality: ch.Breakdown(policy.AttrNationality, "?"), Office: ch.Breakdown(eligibility.AttrOffice, "?")})
	}
	cp.WhatIf = v
	p.render(rw, r, http.StatusOK, "policy_whatif", cp)
}

// publish makes a draft the version in effect from its date.
func (p *pathPages) publish(rw http.ResponseWriter, r *http.Request) {
	d, err := p.svc.Publish(r.Context(), p.srv.Caller(r.Context(), p.svc.Keys), r.PathValue("id"))
	if err != nil {
		p.consoleError(rw, r, err)
		return
	}
	http.Redirect(rw, r, "/policy?published="+url.QueryEscape(d.Version), http.StatusSeeOther)
}
