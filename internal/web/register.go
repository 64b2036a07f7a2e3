package web

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/household"
	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/households"
	sendahttp "github.com/senda-platform/senda/internal/http"
	"github.com/senda-platform/senda/internal/i18n"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/profile"
	"github.com/senda-platform/senda/reference"
)

// regMaxForm bounds the body of a registration form post.
const regMaxForm = 64 << 10

// regPages serves household registration, the household view and list, and
// the duplicate and fraud review queues.
type regPages struct {
	web *Web
	srv *sendahttp.Server
	svc *households.Service
	// now is the clock for the checks of dates against today.
	now func() time.Time
}

// MountHouseholds registers the applicant's registration flow
// (/register...), the household view and list (/households...) and the
// duplicate and fraud review queues (/review/...). It panics when the
// embedded templates do not parse, which every test of this package shows.
func MountHouseholds(s *sendahttp.Server, svc *households.Service, log *slog.Logger) {
	w := &Web{log: log, pages: map[string]*template.Template{}}
	if err := w.parse(); err != nil {
		panic(fmt.Sprintf("web templates: %v", err))
	}
	p := &regPages{web: w, srv: s, svc: svc, now: time.Now}
	h := func(f func(http.ResponseWriter, *http.Request)) http.Handler { return http.HandlerFunc(f) }
	reg := access.Roles(access.Applicant, access.Helper)
	s.Handle("GET /register", reg, h(p.start))
	s.Handle("POST /register", reg, h(p.create))
	s.Handle("GET /register/{id}/{step}", reg, h(p.show))
	s.Handle("POST /register/{id}/{step}", reg, h(p.save))
	s.Handle("POST /register/{id}/members/{member}/remove", reg, h(p.removeMember))
	p.mountReview(s)
}

// ---- Page data ----

// regPage is what the registration templates receive.
type regPage struct {
	Title   string
	Lead    string
	Steps   []regLink
	Notice  string
	Alert   *regAlert
	Action  string
	Key     string
	Version int
	Sets    []regFieldset
	Submit  string
	// Continue, when set, is a second submit button (name "next").
	Continue string
	Back     *regLink
	// Members lists the people added so far (members step).
	Members        []regMember
	MembersHeading string
	// Review is the summary of the review step.
	Review []regSection
	// Receipt is shown large once the household is submitted.
	Receipt string
	// Links lead elsewhere: earlier registrations, the household view.
	Links []regLink
	// Choices are the applicants a helper acts for.
	Choices []regLink
}

// regLink is a link, or a step of the progress list.
type regLink struct {
	Label   string
	URL     string
	Current bool
	Done    bool
	Hint    string
}

// regAlert is a localised message box with the errors not shown next to a
// field on this page.
type regAlert struct {
	Title, Detail string
	Items         []regLink
}

// regFieldset groups fields under a legend.
type regFieldset struct {
	Legend string
	Hint   string
	Fields []regField
}

// regField is one question of a form, already localised.
type regField struct {
	Name, ID     string
	Label        string
	Hint         string
	Kind         string // text, tel, email, date, select, radio, partial_date, checkbox
	Value        string
	Error        string
	Required     bool
	Optional     string // the localised "optional" marker of a field that may be left empty
	Autocomplete string
	InputMode    string
	Capitalize   string
	MaxLength    int
	Options      []regOption
	Groups       []regGroup
	// Checked ticks a checkbox.
	Checked bool
	// Parts are the year, month and day of a partial date.
	Parts *regDateParts
}

// DescribedBy lists the ids of the field's hint and error.
func (f regField) DescribedBy() string { return describedBy(f.ID, f.Hint, f.Error) }

// describedBy is the aria-describedby of a field with id: the ids of its
// hint and error, when it has them.
func describedBy(id, hint, err string) string {
	var ids []string
	if hint != "" {
		ids = append(ids, id+"-hint")
	}
	if err != "" {
		ids = append(ids, id+"-error")
	}
	return strings.Join(ids, " ")
}

type regOption struct {
	Value, Label string
	Selected     bool
}

type regGroup struct {
	Label   string
	Options []regOption
}

type regDateParts struct {
	Year, Day                       string
	YearLabel, MonthLabel, DayLabel string
}

// regMember is a person in the members list, with a button to remove them.
type regMember struct {
	Name, Detail string
	RemoveURL    string
	RemoveLabel  string
	Key          string
	Version      int
}

// regSection is one part of the review: a heading, rows and a link to
// change them.
type regSection struct {
	Heading   string
	ChangeURL string
	Change    string
	Rows      []regRow
}

type regRow struct{ Label, Value string }

// ---- Steps ----

var regSteps = []string{"principal", "members", "screening", "address", "review"}

// regFlow is one request of the registration flow.
type regFlow struct {
	lang   string
	caller households.Caller
	// forQ is the query that keeps a helper's applicant on every link.
	forQ string
	h    *household.Household
}

func (f *regFlow) url(id, step string) string { return "/register/" + id + "/" + step + f.forQ }

func (f *regFlow) t(key string) string { return i18n.T(f.lang, key, nil) }

func (f *regFlow) tf(key string, args map[string]any) string { return i18n.T(f.lang, key, args) }

func (p *regPages) render(rw http.ResponseWriter, r *http.Request, status int, name string, data any) {
	rw.Header().Set("Cache-Control", "no-store")
	p.web.Render(rw, r, status, name, data)
}

func (p *regPages) notFound(rw http.ResponseWriter, r *http.Request) {
	p.render(rw, r, http.StatusNotFound, "error", ErrorPage{Title: "page.not_found.title", Body: "page.not_found.body"})
}

// fatal answers an error that no form can show: not found as the not-found
// page, anything unexpected logged and shown as the generic error page.
func (p *regPages) fatal(rw http.ResponseWriter, r *http.Request, err error) {
	switch senda.ErrorCode(err) {
	case senda.CodeNotFound:
		p.notFound(rw, r)
		return
	case senda.CodeInvalid:
		p.render(rw, r, http.StatusUnprocessableEntity, "error", ErrorPage{Title: "error.invalid.title", Body: "error.invalid.detail"})
		return
	case senda.CodeForbidden:
		p.render(rw, r, http.StatusForbidden, "error", ErrorPage{Title: "error.forbidden.title", Body: "error.forbidden.detail"})
		return
	}
	p.web.log.Error("page", "request_id", sendahttp.RequestID(r.Context()), "route", r.Pattern, "err", err)
	p.render(rw, r, http.StatusInternalServerError, "error", ErrorPage{Title: "error.internal.title", Body: "error.internal.detail"})
}

// flow reads the caller and, for a helper, the applicant they act for.
func (p *regPages) flow(rw http.ResponseWriter, r *http.Request) *regFlow {
	r.Body = http.MaxBytesReader(rw, r.Body, regMaxForm)
	r.ParseForm()
	f := &regFlow{lang: sendahttp.Lang(r.Context()), caller: p.srv.Caller(r.Context(), p.svc.Keys)}
	if f.caller.Role == access.Helper {
		if v := r.Form.Get("for"); v != "" && len(v) <= 64 {
			f.caller.OnBehalfOf = v
		}
		if f.caller.OnBehalfOf != "" {
			f.forQ = "?for=" + url.QueryEscape(f.caller.OnBehalfOf)
		}
	}
	return f
}

// progress is the list of steps, linking back to those already reached.
func (f *regFlow) progress(id, current string) []regLink {
	var out []regLink
	reached := id != ""
	for _, s := range regSteps {
		l := regLink{Label: f.t("register.step." + s), Current: s == current}
		if reached && s != current && id != "" {
			l.URL = f.url(id, s)
		}
		if s == current {
			reached = false
		}
		out = append(out, l)
	}
	return out
}

// newKey is a fresh idempotency key for a form being shown.
func newKey() string {
	b := make([]byte, 18)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

var keyRe = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

// postedKey keeps the key of a form sent back with errors, so the corrected
// form is still one request.
func postedKey(r *http.Request) string {
	if k := r.PostForm.Get("idem"); keyRe.MatchString(k) {
		return k
	}
	return newKey()
}

// ---- Start ----

// start resumes the caller's latest draft, or shows the first step of a new
// registration. A helper first picks the applicant they act for.
func (p *regPages) start(rw http.ResponseWriter, r *http.Request) {
	f := p.flow(rw, r)
	ctx := r.Context()
	if f.caller.Role == access.Helper {
		ok, err := p.actsFor(r, f)
		if err != nil {
			p.fatal(rw, r, err)
			return
		}
		if !ok {
			p.chooseApplicant(rw, r, f)
			return
		}
	}
	var list []households.Summary
	var err error
	if f.caller.AccountID != "" {
		// A token has no account and so no registrations of its own.
		list, err = p.svc.List(ctx, f.caller, "", 500)
	}
	if err != nil {
		p.fatal(rw, r, err)
		return
	}
	var draft string
	var links []regLink
	for _, s := range list {
		switch {
		case s.Status == "draft" && s.ID > draft:
			draft = s.ID
		case s.Status != "draft":
			links = append(links, regLink{Label: f.tf("register.start.earlier", map[string]any{"receipt": s.Receipt}), URL: "/households/" + s.ID})
		}
	}
	if draft != "" {
		h, err := p.svc.Get(ctx, f.caller, draft)
		if err != nil {
			p.fatal(rw, r, err)
			return
		}
		step := "principal"
		if m := h.Principal(); m != nil && m.GivenNames != "" {
			step = "members"
		}
		sep := "?"
		if f.forQ != "" {
			sep = "&"
		}
		http.Redirect(rw, r, f.url(draft, step)+sep+"resumed=1", http.StatusSeeOther)
		return
	}
	f.h = &household.Household{Status: "draft"}
	d := p.principalPage(f, "", nil)
	d.Links = links
	p.render(rw, r, http.StatusOK, "register_step", d)
}

// actsFor reports whether a helper named an applicant whose live consent
// they hold.
func (p *regPages) actsFor(r *http.Request, f *regFlow) (bool, error) {
	if f.caller.OnBehalfOf == "" || p.svc.ActsFor == nil {
		return false, nil
	}
	return p.svc.ActsFor(r.Context(), f.caller.AccountID, f.caller.OnBehalfOf)
}

// chooseApplicant lists the applicants whose consent a helper holds.
func (p *regPages) chooseApplicant(rw http.ResponseWriter, r *http.Request, f *regFlow) {
	d := regPage{Title: f.t("register.for.title"), Lead: f.t("register.for.lead")}
	if f.caller.AccountID == "" {
		p.render(rw, r, http.StatusOK, "register_for", d)
		return
	}
	err := p.srv.DB.View(r.Context(), func(tx *store.Tx) error {
		gs, err := tx.Grants(r.Context(), f.caller.AccountID, "", false)
		for _, g := range gs {
			d.Choices = append(d.Choices, regLink{Label: g.ApplicantID, Hint: g.Purpose, URL: "/register?for=" + url.QueryEscape(g.ApplicantID)})
		}
		return err
	})
	if err != nil {
		p.fatal(rw, r, err)
		return
	}
	p.render(rw, r, http.StatusOK, "register_for", d)
}

// ---- Showing a step ----

// load reads the household of the flow, answering 404 for one the caller
// may not see.
func (p *regPages) load(rw http.ResponseWriter, r *http.Request, f *regFlow) bool {
	if f.caller.Role == access.Helper {
		if ok, err := p.actsFor(r, f); err != nil || !ok {
			if err != nil {
				p.fatal(rw, r, err)
			} else {
				p.notFound(rw, r)
			}
			return false
		}
	}
	h, err := p.svc.Get(r.Context(), f.caller, r.PathValue("id"))
	if err != nil {
		p.fatal(rw, r, err)
		return false
	}
	f.h = h
	return true
}

func validStep(s string) bool {
	for _, x := range regSteps {
		if x == s {
			return true
		}
	}
	return s == "done"
}

func (p *regPages) show(rw http.ResponseWriter, r *http.Request) {
	step := r.PathValue("step")
	if !validStep(step) {
		p.notFound(rw, r)
		return
	}
	f := p.flow(rw, r)
	if !p.load(rw, r, f) {
		return
	}
	id := f.h.ID
	if f.h.Status != "draft" && step != "done" {
		http.Redirect(rw, r, f.url(id, "done"), http.StatusSeeOther)
		return
	}
	var d regPage
	switch step {
	case "principal":
		d = p.principalPage(f, "", nil)
	case "members":
		d = p.membersPage(f, "", nil)
	case "screening":
		d = p.screeningPage(f, "", nil)
	case "address":
		d = p.addressPage(f, "", nil)
	case "review":
		d = p.reviewPage(f, "", nil)
		p.render(rw, r, http.StatusOK, "register_review", d)
		return
	case "done":
		if f.h.Status == "draft" {
			http.Redirect(rw, r, f.url(id, "review"), http.StatusSeeOther)
			return
		}
		p.render(rw, r, http.StatusOK, "register_done", p.donePage(f))
		return
	}
	if r.URL.Query().Get("resumed") != "" {
		d.Notice = f.t("register.resumed")
	}
	p.render(rw, r, http.StatusOK, "register_step", d)
}

// ---- Saving a step ----

// regForm is a posted form being applied to a household: the values, the
// field errors found so far and the errors for the alert.
type regForm struct {
	f      *regFlow
	v      url.Values
	errs   map[string]string
	items  []regLink
	today  string
	posted bool
}

func newRegForm(f *regFlow, v url.Values, now time.Time) *regForm {
	if v == nil {
		v = url.Values{}
	}
	return &regForm{f: f, v: v, errs: map[string]string{}, today: now.UTC().Format(time.DateOnly)}
}

func (g *regForm) get(name string) string { return strings.TrimSpace(g.v.Get(name)) }

// fail records a field error; several on one field are joined.
func (g *regForm) fail(name, key string, args map[string]any) {
	msg := g.f.tf(key, args)
	if prev := g.errs[name]; prev != "" {
		if strings.Contains(prev, msg) {
			return
		}
		msg = prev + " " + msg
	}
	g.errs[name] = msg
}

// text reads a required or optional text field of at most max characters.
func (g *regForm) text(name string, required bool, max int) string {
	s := strings.Join(strings.Fields(g.get(name)), " ")
	switch {
	case s == "" && required:
		g.fail(name, "validation.required", nil)
	case utf8.RuneCountInString(s) > max:
		g.fail(name, "validation.max_length", map[string]any{"max": max})
	}
	return s
}

// choice reads a value that must be one of options (or empty when not
// required).
func (g *regForm) choice(name string, required bool, options ...string) string {
	s := g.get(name)
	if s == "" {
		if required {
			g.fail(name, "validation.required", nil)
		}
		return ""
	}
	for _, o := range options {
		if s == o {
			return s
		}
	}
	g.fail(name, "validation.one_of", map[string]any{"options": strings.Join(options, ", ")})
	return ""
}

// country reads an ISO 3166-1 alpha-2 country.
func (g *regForm) country(name string, required bool) *string {
	s := strings.ToUpper(g.get(name))
	if s == "" {
		if required {
			g.fail(name, "validation.required", nil)
		}
		return nil
	}
	if _, ok := reference.Country(s); !ok {
		g.fail(name, "validation.country", nil)
		return nil
	}
	return &s
}

// date reads a full date; notAfterToday refuses a date in the future.
func (g *regForm) date(name string, notAfterToday bool) *profile.Date {
	s := g.get(name)
	if s == "" {
		return nil
	}
	d := profile.Date(s)
	if !d.Valid() {
		g.fail(name, "validation.date", nil)
		return nil
	}
	if notAfterToday && s > g.today {
		g.fail(name, "register.error.future", nil)
		return nil
	}
	return &d
}

var digitsRe = regexp.MustCompile(`^[0-9]+$`)

// partialDate reads a birth date given as year, month and day, where the day
// or the day and month may be left empty.
func (g *regForm) partialDate(name string, required bool) profile.PartialDate {
	y, m, d := g.get(name+"_year"), g.get(name+"_month"), g.get(name+"_day")
	if y == "" {
		if required || m != "" || d != "" {
			g.fail(name, "register.error.year", nil)
		}
		return ""
	}
	year, err := strconv.Atoi(y)
	if !digitsRe.MatchString(y) || len(y) != 4 || err != nil || year < 1900 || y > g.today[:4] {
		g.fail(name, "register.error.year", nil)
		return ""
	}
	if m == "" {
		if d != "" {
			g.fail(name, "register.error.day_without_month", nil)
			return ""
		}
		return profile.PartialDate(y)
	}
	month, err := strconv.Atoi(m)
	if err != nil || month < 1 || month > 12 {
		g.fail(name, "validation.one_of", map[string]any{"options": "1-12"})
		return ""
	}
	ym := fmt.Sprintf("%s-%02d", y, month)
	if d == "" {
		return profile.PartialDate(ym)
	}
	day, err := strconv.Atoi(d)
	if !digitsRe.MatchString(d) || err != nil || day < 1 || day > 31 {
		g.fail(name, "household.birth_date", nil)
		return ""
	}
	full := profile.PartialDate(fmt.Sprintf("%s-%02d", ym, day))
	if !full.Valid() {
		g.fail(name, "household.birth_date", nil)
		return ""
	}
	if string(full) > g.today {
		g.fail(name, "household.birth_date_future", nil)
		return ""
	}
	return full
}

// tri reads a yes / no / I don't know answer.
func (g *regForm) tri(name string) *bool {
	switch g.get(name) {
	case "yes":
		return profile.Ptr(true)
	case "no":
		return profile.Ptr(false)
	case "", "unknown":
		return nil
	}
	g.fail(name, "validation.one_of", map[string]any{"options": "yes, no, unknown"})
	return nil
}

// serviceErrors places the errors of the household service: on the field
// of this page that fld names, else in the alert.
func (g *regForm) serviceErrors(err error, fld func(loc string) string) {
	var se *senda.Error
	if !errors.As(err, &se) {
		return
	}
	for _, fe := range se.Fields {
		msg := g.f.tf(fe.Key, fe.Args)
		if name := fld(fe.Location); name != "" {
			g.fail(name, fe.Key, fe.Args)
			continue
		}
		g.items = append(g.items, regLink{Label: g.f.where(fe.Location) + msg, URL: g.f.stepOf(fe.Location)})
	}
}

// memberRe splits "members[2].screening.current_region".
var memberRe = regexp.MustCompile(`^members\[(\d+)\](?:\.(.*))?$`)

// where names the person an error is about, for the alert.
func (f *regFlow) where(loc string) string {
	m := memberRe.FindStringSubmatch(loc)
	if m == nil || f.h == nil {
		return ""
	}
	i, _ := strconv.Atoi(m[1])
	if i >= len(f.h.Members) {
		return ""
	}
	if n := personName(f.h.Members[i]); n != "" {
		return n + ": "
	}
	return ""
}

// stepOf is the step whose page can fix an error at loc.
func (f *regFlow) stepOf(loc string) string {
	if f.h == nil || f.h.ID == "" {
		return ""
	}
	step := "review"
	switch m := memberRe.FindStringSubmatch(loc); {
	case strings.HasPrefix(loc, "us_address"):
		step = "address"
	case loc == "place" || loc == "consent":
		step = "principal"
	case m != nil:
		i, _ := strconv.Atoi(m[1])
		switch {
		case strings.HasPrefix(m[2], "documents"):
			step = "screening"
		case i < len(f.h.Members) && f.h.Members[i].Relationship == profile.RelPrincipal:
			step = "principal"
		default:
			step = "members"
		}
	case loc == "members":
		step = "members"
	}
	return f.url(f.h.ID, step)
}

// memberField maps the fields of member i to the inputs of a person form.
func memberField(i int) func(loc string) string {
	prefix := fmt.Sprintf("members[%d].", i)
	names := map[string]string{"relationship": "relationship", "given_names": "given_names", "surnames": "surname1",
		"birth_date": "birth", "sex": "sex", "phone": "phone", "screening": "nationality",
		"screening.current_region": "current_region"}
	return func(loc string) string {
		switch loc {
		case "place":
			return "current_country"
		case "consent":
			return "consent"
		}
		if rest, ok := strings.CutPrefix(loc, prefix); ok {
			return names[rest]
		}
		return ""
	}
}

// save applies a posted step to the draft and goes on to the next step.
func (p *regPages) save(rw http.ResponseWriter, r *http.Request) {
	step := r.PathValue("step")
	if !validStep(step) || step == "done" {
		p.notFound(rw, r)
		return
	}
	f := p.flow(rw, r)
	if !p.load(rw, r, f) {
		return
	}
	h := f.h
	if h.Status != "draft" {
		http.Redirect(rw, r, f.url(h.ID, "done"), http.StatusSeeOther)
		return
	}
	g := newRegForm(f, r.PostForm, p.now())
	g.posted = true
	key := postedKey(r)
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	next := ""
	var fld func(string) string
	switch step {
	case "principal":
		i := p.applyPrincipal(g, h, false)
		fld, next = memberField(i), "members"
	case "members":
		if r.PostForm.Get("next") == "continue" && personFormEmpty(g) {
			http.Redirect(rw, r, f.url(h.ID, "screening"), http.StatusSeeOther)
			return
		}
		i := p.applyMember(g, h)
		fld, next = memberField(i), "members"
		if r.PostForm.Get("next") == "continue" {
			next = "screening"
		}
	case "screening":
		p.applyScreening(g, h)
		fld, next = screeningField(h), "address"
	case "address":
		applyAddress(g, h)
		fld, next = func(loc string) string {
			if strings.HasPrefix(loc, "us_address") {
				return "line1"
			}
			return ""
		}, "review"
	case "review":
		h.Status = "submitted"
		fld, next = func(string) string { return "" }, "done"
	}
	// The household's own checks run too, so every error shows at once.
	if err := h.Validate(true); err != nil {
		g.serviceErrors(err, fld)
	}
	if len(g.errs) == 0 && len(g.items) == 0 {
		h.Version = version
		saved, err := p.svc.Save(r.Context(), f.caller, h, key)
		switch {
		case err == nil:
			http.Redirect(rw, r, f.url(saved.ID, next), http.StatusSeeOther)
			return
		case reused(err):
			// The same form was sent before: it is done.
			http.Redirect(rw, r, f.url(h.ID, next), http.StatusSeeOther)
			return
		case senda.ErrorCode(err) == senda.CodeInvalid:
			g.serviceErrors(err, fld)
		case senda.ErrorCode(err) == senda.CodeConflict:
			// Someone changed the draft since this form was shown: show it
			// afresh with what was typed.
			if fresh, gerr := p.svc.Get(r.Context(), f.caller, h.ID); gerr == nil {
				f.h = fresh
			}
			g.items = append(g.items, regLink{Label: f.t("error.conflict.detail")})
		default:
			p.fatal(rw, r, err)
			return
		}
	}
	if step == "review" {
		h.Status = "draft"
	}
	p.renderStep(rw, r, f, step, key, g)
}

// renderStep shows a step again with the errors of g and what was typed.
func (p *regPages) renderStep(rw http.ResponseWriter, r *http.Request, f *regFlow, step, key string, g *regForm) {
	var d regPage
	name := "register_step"
	id := ""
	if f.h != nil {
		id = f.h.ID
	}
	switch step {
	case "principal":
		d = p.principalPage(f, key, g)
	case "members":
		d = p.membersPage(f, key, g)
	case "screening":
		d = p.screeningPage(f, key, g)
	case "address":
		d = p.addressPage(f, key, g)
	case "review":
		d = p.reviewPage(f, key, g)
		name = "register_review"
	}
	if id == "" {
		d.Steps = f.progress("", step)
	}
	status := http.StatusUnprocessableEntity
	d.Alert = &regAlert{Title: f.t("error.invalid.title"), Detail: f.t("error.invalid.detail"), Items: g.items}
	if len(g.errs) == 0 && len(g.items) == 1 && g.items[0].URL == "" && g.items[0].Label == f.t("error.conflict.detail") {
		d.Alert = &regAlert{Title: f.t("error.conflict.title"), Detail: f.t("error.conflict.detail")}
		status = http.StatusConflict
	}
	p.render(rw, r, status, name, d)
}

func reused(err error) bool {
	var se *senda.Error
	return errors.As(err, &se) && se.Key == "household.idempotency_reused"
}

// create saves the first step as a new draft.
func (p *regPages) create(rw http.ResponseWriter, r *http.Request) {
	f := p.flow(rw, r)
	if f.caller.Role == access.Helper {
		if ok, err := p.actsFor(r, f); err != nil || !ok {
			if err != nil {
				p.fatal(rw, r, err)
			} else {
				p.notFound(rw, r)
			}
			return
		}
	}
	h := &household.Household{Status: "draft", Language: f.lang}
	f.h = h
	g := newRegForm(f, r.PostForm, p.now())
	g.posted = true
	key := postedKey(r)
	i := p.applyPrincipal(g, h, f.caller.Role == access.Helper)
	if err := h.Validate(true); err != nil {
		g.serviceErrors(err, memberField(i))
	}
	if len(g.errs) == 0 && len(g.items) == 0 {
		saved, err := p.svc.Save(r.Context(), f.caller, h, key)
		switch {
		case err == nil:
			http.Redirect(rw, r, f.url(saved.ID, "members"), http.StatusSeeOther)
			return
		case reused(err):
			http.Redirect(rw, r, "/register"+f.forQ, http.StatusSeeOther)
			return
		case senda.ErrorCode(err) == senda.CodeInvalid:
			h.ID = ""
			g.serviceErrors(err, memberField(i))
		default:
			p.fatal(rw, r, err)
			return
		}
	}
	h.ID = ""
	p.renderStep(rw, r, f, "principal", key, g)
}

// removeMember takes a person (never the principal) off the draft.
func (p *regPages) removeMember(rw http.ResponseWriter, r *http.Request) {
	f := p.flow(rw, r)
	if !p.load(rw, r, f) {
		return
	}
	h := f.h
	if h.Status != "draft" {
		http.Redirect(rw, r, f.url(h.ID, "done"), http.StatusSeeOther)
		return
	}
	mid := r.PathValue("member")
	kept := h.Members[:0:0]
	found := false
	for _, m := range h.Members {
		if m.ID == mid && m.Relationship != profile.RelPrincipal {
			found = true
			continue
		}
		kept = append(kept, m)
	}
	if !found {
		// Already removed, perhaps by the same button pressed twice.
		http.Redirect(rw, r, f.url(h.ID, "members"), http.StatusSeeOther)
		return
	}
	h.Members = kept
	h.Version, _ = strconv.Atoi(r.PostForm.Get("version"))
	_, err := p.svc.Save(r.Context(), f.caller, h, postedKey(r))
	if err != nil && !reused(err) && senda.ErrorCode(err) != senda.CodeConflict {
		p.fatal(rw, r, err)
		return
	}
	http.Redirect(rw, r, f.url(h.ID, "members"), http.StatusSeeOther)
}

// ---- Applying forms ----

// applyPrincipal applies step 1 and returns the principal's index.
func (p *regPages) applyPrincipal(g *regForm, h *household.Household, consent bool) int {
	i := -1
	for j := range h.Members {
		if h.Members[j].Relationship == profile.RelPrincipal {
			i = j
		}
	}
	if i < 0 {
		h.Members = append([]household.Member{{Relationship: profile.RelPrincipal}}, h.Members...)
		i = 0
	}
	m := &h.Members[i]
	applyPerson(g, m, true)
	m.Phone = g.text("phone", false, 32)
	if m.Phone != "" {
		m.Phone = household.NormalizePhone(m.Phone)
	}
	s := &m.Screening
	old := s.CurrentCountry
	s.CurrentCountry = g.country("current_country", true)
	s.CurrentRegion = nil
	if reg := strings.ToUpper(g.get("current_region")); reg != "" {
		if _, ok := reference.Subdivision(reg); !ok {
			g.fail("current_region", "household.region", nil)
		} else if s.CurrentCountry != nil && !strings.HasPrefix(reg, *s.CurrentCountry+"-") {
			g.fail("current_region", "register.error.region_country", nil)
		} else {
			s.CurrentRegion = &reg
		}
	}
	s.CurrentCity = nil
	if c := g.text("current_city", false, 100); c != "" {
		s.CurrentCity = &c
	}
	s.ArrivalDateInCurrentCountry = g.date("arrival_date", true)
	// Everyone travels together: members added before follow the principal.
	for j := range h.Members {
		o := &h.Members[j].Screening
		if j != i && (o.CurrentCountry == nil || old != nil && *o.CurrentCountry == *old) {
			o.CurrentCountry = s.CurrentCountry
		}
	}
	if consent {
		if g.get("consent") != "yes" {
			g.fail("consent", "household.consent_required", nil)
		}
		method := g.choice("consent_method", true, "in_person", "phone", "written", "app")
		at := g.date("consent_date", true)
		if at == nil && g.errs["consent_date"] == "" {
			g.fail("consent_date", "validation.required", nil)
		}
		if at != nil && method != "" {
			t, _ := at.Time()
			h.Consent = &household.Consent{Purpose: g.f.t("register.consent.purpose"), GivenAt: t, Method: method}
		}
	}
	return i
}

// applyPerson applies the fields every person has.
func applyPerson(g *regForm, m *household.Member, nationalityRequired bool) {
	m.GivenNames = g.text("given_names", true, 200)
	s1, s2 := g.text("surname1", true, 100), g.text("surname2", false, 100)
	m.Surnames = nil
	for _, s := range []string{s1, s2} {
		if s != "" {
			m.Surnames = append(m.Surnames, s)
		}
	}
	m.BirthDate = g.partialDate("birth", true)
	m.Sex = g.choice("sex", nationalityRequired, "F", "M", "X")
	m.Screening.Nationality = g.country("nationality", nationalityRequired)
}

var memberRelationships = []string{"spouse", "child", "parent", "sibling", "other"}

// personFormEmpty reports whether nothing was typed in the add-a-person form.
func personFormEmpty(g *regForm) bool {
	for _, n := range []string{"relationship", "given_names", "surname1", "surname2", "birth_year", "birth_month", "birth_day", "sex", "nationality"} {
		if g.get(n) != "" {
			return false
		}
	}
	return true
}

// applyMember adds the person of the members step and returns their index.
func (p *regPages) applyMember(g *regForm, h *household.Household) int {
	var m household.Member
	m.Relationship = profile.Relationship(g.choice("relationship", true, memberRelationships...))
	applyPerson(g, &m, false)
	if pr := h.Principal(); pr != nil {
		m.Screening.CurrentCountry = pr.Screening.CurrentCountry
	}
	h.Members = append(h.Members, m)
	return len(h.Members) - 1
}

var memberIDRe = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)

// screeningName is the input name of a screening answer of a member.
func screeningName(m household.Member, i int, q string) string {
	id := m.ID
	if !memberIDRe.MatchString(id) {
		id = strconv.Itoa(i)
	}
	return "m_" + id + "_" + q
}

// applyScreening applies the screening answers of every member.
func (p *regPages) applyScreening(g *regForm, h *household.Household) {
	for i := range h.Members {
		m := &h.Members[i]
		s := &m.Screening
		name := func(q string) string { return screeningName(*m, i, q) }
		s.HasPassport = g.tri(name("passport"))
		s.PassportExpiryDate = nil
		number := household.NormalizeDocument(g.get(name("passport_number")))
		var docs []household.Document
		for _, d := range m.Documents {
			if d.Type != "passport" {
				docs = append(docs, d)
			}
		}
		if s.HasPassport == nil || *s.HasPassport {
			s.PassportExpiryDate = g.date(name("passport_expiry"), false)
			if number != "" {
				d := household.Document{Type: "passport", Number: number}
				if s.PassportExpiryDate != nil {
					d.ExpiryDate = string(*s.PassportExpiryDate)
				}
				docs = append(docs, d)
			}
		}
		m.Documents = docs
		s.USSupporterWithI134A = g.tri(name("i134a"))
		s.USEntryDocuments = g.tri(name("us_entry"))
	}
}

// screeningField maps a document error to the passport number of its member.
func screeningField(h *household.Household) func(string) string {
	return func(loc string) string {
		m := memberRe.FindStringSubmatch(loc)
		if m == nil || !strings.HasPrefix(m[2], "documents") {
			return ""
		}
		i, _ := strconv.Atoi(m[1])
		if i >= len(h.Members) {
			return ""
		}
		if strings.HasSuffix(m[2], "expiry_date") {
			return screeningName(h.Members[i], i, "passport_expiry")
		}
		return screeningName(h.Members[i], i, "passport_number")
	}
}

var zipRe = regexp.MustCompile(`^[0-9]{5}(-[0-9]{4})?$`)

// applyAddress applies the US destination address; all empty means not
// known yet.
func applyAddress(g *regForm, h *household.Household) {
	a := household.Address{Line1: g.text("line1", false, 200), Line2: g.text("line2", false, 200), City: g.text("city", false, 100),
		State: strings.ToUpper(g.get("state")), ZIP: g.get("zip")}
	if a == (household.Address{}) {
		h.Address = nil
		return
	}
	if a.Line1 == "" {
		g.fail("line1", "validation.required", nil)
	}
	if a.City == "" {
		g.fail("city", "validation.required", nil)
	}
	if a.State == "" {
		g.fail("state", "validation.required", nil)
	} else if usStateName(a.State) == "" {
		g.fail("state", "register.error.state", nil)
	}
	if a.ZIP == "" {
		g.fail("zip", "validation.required", nil)
	} else if !zipRe.MatchString(a.ZIP) {
		g.fail("zip", "register.error.zip", nil)
	}
	h.Address = &a
}

// ---- Building the pages ----

// value is what a field shows: what was posted, else the saved value.
func (g *regForm) value(name, saved string) string {
	if g != nil && g.posted {
		return g.get(name)
	}
	return saved
}

func (g *regForm) errorOf(name string) string {
	if g == nil {
		return ""
	}
	return g.errs[name]
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func triValue(b *bool) string {
	switch {
	case b == nil:
		return "unknown"
	case *b:
		return "yes"
	}
	return "no"
}

// fields builds localised fields.
type regFields struct {
	f *regFlow
	g *regForm
}

func (b regFields) field(kind, name, label, hint string, required bool, saved string) regField {
	fd := regField{Kind: kind, Name: name, ID: strings.ReplaceAll(name, "_", "-"), Label: b.f.t(label), Required: required,
		Value: b.g.value(name, saved), Error: b.g.errorOf(name)}
	if hint != "" {
		fd.Hint = b.f.t(hint)
	}
	if !required {
		fd.Optional = b.f.t("register.optional")
	}
	return fd
}

func (b regFields) text(name, label, hint string, required bool, saved string, max int) regField {
	fd := b.field("text", name, label, hint, required, saved)
	fd.MaxLength = max
	return fd
}

func (b regFields) sel(name, label, hint string, required bool, saved string, opts []regOption) regField {
	fd := b.field("select", name, label, hint, required, saved)
	fd.Options = selectOptions(append([]regOption{{Value: "", Label: b.f.t("register.choose")}}, opts...), fd.Value)
	return fd
}

func selectOptions(opts []regOption, value string) []regOption {
	out := make([]regOption, len(opts))
	for i, o := range opts {
		o.Selected = o.Value == value
		out[i] = o
	}
	return out
}

func (b regFields) tri(name, label, hint string, saved *bool) regField {
	fd := b.field("radio", name, label, hint, true, triValue(saved))
	fd.Optional = ""
	if fd.Value == "" {
		fd.Value = "unknown"
	}
	fd.Options = selectOptions([]regOption{{Value: "yes", Label: b.f.t("register.answer.yes")}, {Value: "no", Label: b.f.t("register.answer.no")},
		{Value: "unknown", Label: b.f.t("register.answer.unknown")}}, fd.Value)
	return fd
}

func (b regFields) partialDate(name, label string, saved profile.PartialDate) regField {
	parts := strings.Split(string(saved), "-")
	for len(parts) < 3 {
		parts = append(parts, "")
	}
	fd := b.field("partial_date", name, label, "register.field.birth_hint", true, "")
	fd.Parts = &regDateParts{Year: b.g.value(name+"_year", parts[0]), Day: b.g.value(name+"_day", strings.TrimPrefix(parts[2], "0")),
		YearLabel: b.f.t("register.field.year"), MonthLabel: b.f.t("register.field.month"), DayLabel: b.f.t("register.field.day")}
	month := b.g.value(name+"_month", strings.TrimPrefix(parts[1], "0"))
	month = strings.TrimPrefix(month, "0")
	opts := []regOption{{Value: "", Label: b.f.t("register.field.month_unknown")}}
	for i := 1; i <= 12; i++ {
		opts = append(opts, regOption{Value: strconv.Itoa(i), Label: b.f.t(fmt.Sprintf("register.month.%d", i))})
	}
	fd.Options = selectOptions(opts, month)
	return fd
}

// personFields are the fields of step 1 and of the add-a-person form.
func (b regFields) person(m household.Member, nationalityRequired bool) []regField {
	sexes := []regOption{{Value: "F", Label: b.f.t("register.sex.F")}, {Value: "M", Label: b.f.t("register.sex.M")}, {Value: "X", Label: b.f.t("register.sex.X")}}
	given := b.text("given_names", "register.field.given_names", "register.field.names_hint", true, m.GivenNames, 200)
	given.Autocomplete, given.Capitalize = "off", "words"
	sn := append(append([]string(nil), m.Surnames...), "", "")
	s1 := b.text("surname1", "register.field.surname1", "", true, sn[0], 100)
	s2 := b.text("surname2", "register.field.surname2", "register.field.surname2_hint", false, strings.Join(sn[1:], " "), 100)
	s1.Autocomplete, s1.Capitalize, s2.Autocomplete, s2.Capitalize = "off", "words", "off", "words"
	return []regField{
		given, s1, s2,
		b.partialDate("birth", "register.field.birth", m.BirthDate),
		b.sel("sex", "register.field.sex", "register.field.sex_hint", nationalityRequired, m.Sex, sexes),
		b.sel("nationality", "register.field.nationality", "", nationalityRequired, deref(m.Screening.Nationality), countryOptions(b.f.lang)),
	}
}

func (p *regPages) principalPage(f *regFlow, key string, g *regForm) regPage {
	h := f.h
	var m household.Member
	if pr := h.Principal(); pr != nil {
		m = *pr
	}
	id := h.ID
	if key == "" {
		key = newKey()
	}
	d := regPage{Title: f.t("register.principal.title"), Lead: f.t("register.principal.lead"), Steps: f.progress(id, "principal"),
		Key: key, Version: h.Version, Submit: f.t("register.save_continue")}
	d.Action = "/register" + f.forQ
	if id != "" {
		d.Action = f.url(id, "principal")
	}
	b := regFields{f, g}
	phone := b.text("phone", "register.field.phone", "register.field.phone_hint", false, m.Phone, 32)
	phone.Kind, phone.Autocomplete, phone.InputMode = "tel", "tel", "tel"
	you := regFieldset{Legend: f.t("register.principal.you"), Fields: append(b.person(m, true), phone)}
	s := m.Screening
	country := deref(s.CurrentCountry)
	if g != nil && g.posted {
		country = strings.ToUpper(g.get("current_country"))
	}
	city := b.text("current_city", "register.field.city", "", false, deref(s.CurrentCity), 100)
	arrival := b.field("date", "arrival_date", "register.field.arrival", "register.field.arrival_hint", false, dateString(s.ArrivalDateInCurrentCountry))
	region := b.field("select", "current_region", "register.field.region", "register.field.region_hint", false, deref(s.CurrentRegion))
	region.Options = selectOptions([]regOption{{Value: "", Label: f.t("register.choose")}}, region.Value)
	region.Groups = regionGroups(f.lang, country, region.Value)
	where := regFieldset{Legend: f.t("register.principal.where"), Fields: []regField{
		b.sel("current_country", "register.field.country", "", true, deref(s.CurrentCountry), countryOptions(f.lang)),
		region, city, arrival,
	}}
	d.Sets = []regFieldset{you, where}
	if f.caller.Role == access.Helper && id == "" {
		c := b.field("checkbox", "consent", "register.consent.given", "register.consent.hint", true, "")
		c.Value, c.Checked = "yes", g != nil && g.posted && g.get("consent") == "yes"
		methods := []regOption{}
		for _, k := range []string{"in_person", "phone", "written", "app"} {
			methods = append(methods, regOption{Value: k, Label: f.t("register.consent.method." + k)})
		}
		today := p.now().UTC().Format(time.DateOnly)
		d.Sets = append(d.Sets, regFieldset{Legend: f.t("register.consent.legend"), Hint: f.t("register.consent.lead"), Fields: []regField{
			c,
			b.sel("consent_method", "register.consent.method", "", true, "", methods),
			b.field("date", "consent_date", "register.consent.date", "", true, today),
		}})
	}
	return d
}

func dateString(d *profile.Date) string {
	if d == nil {
		return ""
	}
	return string(*d)
}

// stepPage is the frame of one step of the household's registration: its
// title and lead, the progress, the form (its idempotency key, a new one
// when key is empty, the version it edits and where it posts) and the way
// back to the step before.
func (f *regFlow) stepPage(key, step, back, titleKey, leadKey, submitKey string) regPage {
	if key == "" {
		key = newKey()
	}
	return regPage{Title: f.t(titleKey), Lead: f.t(leadKey), Steps: f.progress(f.h.ID, step),
		Key: key, Version: f.h.Version, Action: f.url(f.h.ID, step), Submit: f.t(submitKey),
		Back: &regLink{Label: f.t("register.back"), URL: f.url(f.h.ID, back)}}
}

func (p *regPages) membersPage(f *regFlow, key string, g *regForm) regPage {
	h := f.h
	d := f.stepPage(key, "members", "principal", "register.members.title", "register.members.lead", "register.members.add")
	d.Continue = f.t("register.members.continue")
	d.MembersHeading = f.t("register.members.list")
	for _, m := range h.Members {
		rm := regMember{Name: personName(m), Detail: f.t("register.rel."+string(m.Relationship)) + " · " + f.birthText(m.BirthDate)}
		if m.Relationship != profile.RelPrincipal && m.ID != "" {
			rm.RemoveURL = "/register/" + h.ID + "/members/" + m.ID + "/remove" + f.forQ
			rm.RemoveLabel = f.tf("register.members.remove_label", map[string]any{"name": rm.Name})
			rm.Key, rm.Version = newKey(), h.Version
		}
		d.Members = append(d.Members, rm)
	}
	b := regFields{f, g}
	rels := []regOption{}
	for _, r := range memberRelationships {
		rels = append(rels, regOption{Value: r, Label: f.t("register.rel." + r)})
	}
	fields := append([]regField{b.sel("relationship", "register.field.relationship", "", true, "", rels)}, b.person(household.Member{}, false)...)
	d.Sets = []regFieldset{{Legend: f.t("register.members.add_legend"), Hint: f.t("register.members.add_hint"), Fields: fields}}
	return d
}

func (p *regPages) screeningPage(f *regFlow, key string, g *regForm) regPage {
	h := f.h
	d := f.stepPage(key, "screening", "members", "register.screening.title", "register.screening.lead", "register.save_continue")
	b := regFields{f, g}
	for i, m := range h.Members {
		s := m.Screening
		name := func(q string) string { return screeningName(m, i, q) }
		number := ""
		for _, doc := range m.Documents {
			if doc.Type == "passport" {
				number = doc.Number
			}
		}
		hp := b.tri(name("passport"), "profile.q.has_passport", "", s.HasPassport)
		hp.Label = profile.Question(f.lang, "has_passport")
		num := b.text(name("passport_number"), "register.field.passport_number", "register.field.passport_number_hint", false, number, 32)
		num.Autocomplete, num.Capitalize = "off", "characters"
		exp := b.field("date", name("passport_expiry"), "register.field.passport_expiry", "register.field.passport_expiry_hint", false, dateString(s.PassportExpiryDate))
		exp.Label = profile.Question(f.lang, "passport_expiry_date")
		i134 := b.tri(name("i134a"), "", "register.field.i134a_hint", s.USSupporterWithI134A)
		i134.Label = profile.Question(f.lang, "us_supporter_with_i134a")
		entry := b.tri(name("us_entry"), "", "", s.USEntryDocuments)
		entry.Label = profile.Question(f.lang, "us_entry_documents")
		legend := personName(m)
		hint := ""
		if m.Relationship != profile.RelPrincipal {
			hint = f.tf("register.screening.for_member", map[string]any{"name": legend})
		}
		d.Sets = append(d.Sets, regFieldset{Legend: legend, Hint: hint, Fields: []regField{hp, num, exp, i134, entry}})
	}
	return d
}

func (p *regPages) addressPage(f *regFlow, key string, g *regForm) regPage {
	h := f.h
	d := f.stepPage(key, "address", "screening", "register.address.title", "register.address.lead", "register.save_continue")
	var a household.Address
	if h.Address != nil {
		a = *h.Address
	}
	b := regFields{f, g}
	l1 := b.text("line1", "register.field.line1", "register.field.line1_hint", true, a.Line1, 200)
	l1.Autocomplete = "address-line1"
	l2 := b.text("line2", "register.field.line2", "", false, a.Line2, 200)
	l2.Autocomplete = "address-line2"
	city := b.text("city", "register.field.us_city", "", true, a.City, 100)
	city.Autocomplete = "address-level2"
	states := []regOption{}
	for _, s := range usStates {
		states = append(states, regOption{Value: s[0], Label: s[1]})
	}
	state := b.sel("state", "register.field.state", "", true, a.State, states)
	zip := b.text("zip", "register.field.zip", "register.field.zip_hint", true, a.ZIP, 10)
	zip.InputMode, zip.Autocomplete = "numeric", "postal-code"
	d.Sets = []regFieldset{{Legend: f.t("register.address.legend"), Hint: f.t("register.address.hint"), Fields: []regField{l1, l2, city, state, zip}}}
	return d
}

func (p *regPages) reviewPage(f *regFlow, key string, g *regForm) regPage {
	h := f.h
	d := f.stepPage(key, "review", "address", "register.review.title", "register.review.lead", "register.review.submit")
	for _, m := range h.Members {
		step := "members"
		if m.Relationship == profile.RelPrincipal {
			step = "principal"
		}
		sec := regSection{Heading: personName(m), ChangeURL: f.url(h.ID, step), Change: f.t("register.review.change")}
		sec.Rows = f.personRows(m)
		d.Review = append(d.Review, sec)
	}
	addr := regSection{Heading: f.t("register.address.legend"), ChangeURL: f.url(h.ID, "address"), Change: f.t("register.review.change")}
	addr.Rows = []regRow{{Label: f.t("register.field.us_address"), Value: addressText(h.Address, f.t("register.review.none"))}}
	d.Review = append(d.Review, addr)
	return d
}

// personRows are the answers about one person, for the review and the
// household view.
func (f *regFlow) personRows(m household.Member) []regRow {
	none := f.t("register.review.none")
	or := func(s string) string {
		if s == "" {
			return none
		}
		return s
	}
	s := m.Screening
	rows := []regRow{
		{f.t("register.field.relationship"), f.t("register.rel." + string(m.Relationship))},
		{f.t("register.field.birth"), f.birthText(m.BirthDate)},
		{f.t("register.field.sex"), or(f.optT("register.sex.", m.Sex))},
		{f.t("register.field.nationality"), or(countryName(f.lang, deref(s.Nationality)))},
	}
	if m.Phone != "" {
		rows = append(rows, regRow{f.t("register.field.phone"), m.Phone})
	}
	if m.Relationship == profile.RelPrincipal {
		where := countryName(f.lang, deref(s.CurrentCountry))
		if r, ok := reference.Subdivision(deref(s.CurrentRegion)); ok {
			where = r.Name + ", " + where
		}
		if c := deref(s.CurrentCity); c != "" {
			where = c + ", " + where
		}
		rows = append(rows, regRow{f.t("register.principal.where"), or(where)}, regRow{f.t("register.field.arrival"), or(dateString(s.ArrivalDateInCurrentCountry))})
	}
	for _, d := range m.Documents {
		v := d.Number
		if d.ExpiryDate != "" {
			v += " · " + f.tf("register.review.expires", map[string]any{"date": d.ExpiryDate})
		}
		rows = append(rows, regRow{f.t("register.doc." + d.Type), v})
	}
	rows = append(rows,
		regRow{profile.Question(f.lang, "has_passport"), f.answer(s.HasPassport)},
		regRow{profile.Question(f.lang, "us_supporter_with_i134a"), f.answer(s.USSupporterWithI134A)},
		regRow{profile.Question(f.lang, "us_entry_documents"), f.answer(s.USEntryDocuments)})
	return rows
}

func (f *regFlow) optT(prefix, v string) string {
	if v == "" {
		return ""
	}
	return f.t(prefix + v)
}

func (f *regFlow) answer(b *bool) string { return f.t("register.answer." + triValue(b)) }

// birthText writes a possibly partial birth date.
func (f *regFlow) birthText(d profile.PartialDate) string {
	s := string(d)
	switch len(s) {
	case 4:
		return f.tf("register.birth.year_only", map[string]any{"year": s})
	case 7:
		m, _ := strconv.Atoi(s[5:])
		return f.tf("register.birth.month_year", map[string]any{"month": f.t(fmt.Sprintf("register.month.%d", m)), "year": s[:4]})
	case 10:
		return s
	}
	return f.t("register.review.none")
}

func addressText(a *household.Address, none string) string {
	if a == nil || a.Line1 == "" {
		return none
	}
	parts := []string{a.Line1}
	if a.Line2 != "" {
		parts = append(parts, a.Line2)
	}
	parts = append(parts, a.City+", "+a.State+" "+a.ZIP)
	return strings.Join(parts, ", ")
}

func personName(m household.Member) string {
	return strings.TrimSpace(m.GivenNames + " " + strings.Join(m.Surnames, " "))
}

func (p *regPages) donePage(f *regFlow) regPage {
	h := f.h
	d := regPage{Title: f.t("register.done.title"), Lead: f.t("register.done.lead"), Receipt: h.Receipt}
	if f.caller.Role == access.Applicant {
		d.Links = append(d.Links, regLink{Label: f.t("register.done.view"), URL: "/households/" + h.ID})
	}
	return d
}

// ---- Reference lists ----

var (
	countryMu    sync.Mutex
	countryCache = map[string][]regOption{}
)

// displayTag is the language whose country names a page shows: Haitian
// Creole reads the French names.
func displayTag(lang string) language.Tag {
	if lang == "ht" {
		return language.French
	}
	t, err := language.Parse(lang)
	if err != nil {
		return language.Spanish
	}
	return t
}

// countryName is the name of an ISO 3166-1 country in lang.
func countryName(lang, code string) string {
	if code == "" {
		return ""
	}
	if r, err := language.ParseRegion(code); err == nil {
		if n := display.Regions(displayTag(lang)).Name(r); n != "" {
			return n
		}
	}
	if c, ok := reference.Country(code); ok {
		return c.Common
	}
	return code
}

// countryOptions lists every country by its name in lang, in that
// language's alphabetical order.
func countryOptions(lang string) []regOption {
	countryMu.Lock()
	defer countryMu.Unlock()
	if o, ok := countryCache[lang]; ok {
		return o
	}
	var out []regOption
	for _, c := range reference.Countries() {
		out = append(out, regOption{Value: c.Alpha2, Label: countryName(lang, c.Alpha2)})
	}
	col := collate.New(displayTag(lang), collate.Loose)
	sort.SliceStable(out, func(i, j int) bool { return col.CompareString(out[i].Label, out[j].Label) < 0 })
	countryCache[lang] = out
	return out
}

// regionGroups lists the states and regions held, grouped by country: only
// those of the chosen country once one is chosen.
func regionGroups(lang, country, selected string) []regGroup {
	var out []regGroup
	for _, c := range reference.Countries() {
		if country != "" && c.Alpha2 != country {
			continue
		}
		subs := reference.Subdivisions(c.Alpha2)
		if len(subs) == 0 {
			continue
		}
		g := regGroup{Label: countryName(lang, c.Alpha2)}
		for _, s := range subs {
			g.Options = append(g.Options, regOption{Value: s.Code, Label: s.Name, Selected: s.Code == selected})
		}
		sort.SliceStable(g.Options, func(i, j int) bool { return g.Options[i].Label < g.Options[j].Label })
		out = append(out, g)
	}
	return out
}

// usStates are the US states, the District of Columbia and the territories.
var usStates = [][2]string{
	{"AL", "Alabama"}, {"AK", "Alaska"}, {"AZ", "Arizona"}, {"AR", "Arkansas"}, {"CA", "California"}, {"CO", "Colorado"},
	{"CT", "Connecticut"}, {"DE", "Delaware"}, {"DC", "District of Columbia"}, {"FL", "Florida"}, {"GA", "Georgia"},
	{"HI", "Hawaii"}, {"ID", "Idaho"}, {"IL", "Illinois"}, {"IN", "Indiana"}, {"IA", "Iowa"}, {"KS", "Kansas"},
	{"KY", "Kentucky"}, {"LA", "Louisiana"}, {"ME", "Maine"}, {"MD", "Maryland"}, {"MA", "Massachusetts"},
	{"MI", "Michigan"}, {"MN", "Minnesota"}, {"MS", "Mississippi"}, {"MO", "Missouri"}, {"MT", "Montana"},
	{"NE", "Nebraska"}, {"NV", "Nevada"}, {"NH", "New Hampshire"}, {"NJ", "New Jersey"}, {"NM", "New Mexico"},
	{"NY", "New York"}, {"NC", "North Carolina"}, {"ND", "North Dakota"}, {"OH", "Ohio"}, {"OK", "Oklahoma"},
	{"OR", "Oregon"}, {"PA", "Pennsylvania"}, {"RI", "Rhode Island"}, {"SC", "South Carolina"}, {"SD", "South Dakota"},
	{"TN", "Tennessee"}, {"TX", "Texas"}, {"UT", "Utah"}, {"VT", "Vermont"}, {"VA", "Virginia"}, {"WA", "Washington"},
	{"WV", "West Virginia"}, {"WI", "Wisconsin"}, {"WY", "Wyoming"}, {"AS", "American Samoa"}, {"GU", "Guam"},
	{"MP", "Northern Mariana Islands"}, {"PR", "Puerto Rico"}, {"VI", "U.S. Virgin Islands"},
}

func usStateName(code string) string {
	for _, s := range usStates {
		if s[0] == code {
			return s[1]
		}
	}
	return ""
}
