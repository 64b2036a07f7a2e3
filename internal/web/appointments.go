package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
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

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/appointments"
	sendahttp "github.com/senda-platform/senda/internal/http"
	"github.com/senda-platform/senda/internal/i18n"
	"github.com/senda-platform/senda/reference"
)

// apptMaxForm bounds the body of an appointment form post.
const apptMaxForm = 32 << 10

// tzCookie remembers the time zone an applicant chose for the times shown.
const tzCookie = "senda_tz"

// defaultZone is where most applicants wait: central Mexico.
const defaultZone = "America/Mexico_City"

// apptPages serves the appointment pages: the applicant's request, result,
// confirmation and appointment pages, the port officer's day and check-in,
// the programme manager's capacity and closures, and the public draw pages.
type apptPages struct {
	web  *Web
	srv  *sendahttp.Server
	svc  *appointments.Service
	done *replays
}

// MountAppointments registers the appointment pages on s. It panics when
// the embedded templates do not parse, which every test of this package
// shows.
func MountAppointments(s *sendahttp.Server, svc *appointments.Service, log *slog.Logger) {
	w, err := parseAppt(log)
	if err != nil {
		panic(fmt.Sprintf("web templates: %v", err))
	}
	p := &apptPages{web: w, srv: s, svc: svc, done: newReplays(4096)}
	h := func(f func(http.ResponseWriter, *http.Request)) http.Handler { return http.HandlerFunc(f) }
	holders := access.Roles(access.Applicant, access.Helper)
	officers := access.Roles(access.PortOfficer, access.Admin)
	managers := access.Roles(access.ProgrammeManager, access.Admin)
	closureViewers := access.Roles(access.ProgrammeManager, access.Admin, access.PortOfficer)

	s.Handle("GET /appointments", access.Public, h(p.index))
	s.Handle("GET /appointments/request", holders, h(p.requestForm))
	s.Handle("POST /appointments/request", holders, h(p.request))
	s.Handle("GET /requests/{date}", holders, h(p.result))
	s.Handle("POST /requests/{date}/withdraw", holders, h(p.withdraw))
	s.Handle("GET /appointments/{id}", holders, h(p.appointment))
	s.Handle("GET /appointments/{id}/confirm", holders, h(p.confirmForm))
	s.Handle("POST /appointments/{id}/confirm", holders, h(p.confirm))
	s.Handle("POST /appointments/{id}/cancel", holders, h(p.cancel))

	s.Handle("GET /port", officers, h(p.ports))
	s.Handle("GET /port/{code}", officers, h(p.portDay))
	s.Handle("POST /port/{code}/checkin", officers, h(p.checkIn))
	s.Handle("POST /port/{code}/no-show/{id}", officers, h(p.noShow))

	s.Handle("GET /capacity", managers, h(p.capacityIndex))
	s.Handle("GET /capacity/{code}", managers, h(p.capacity))
	s.Handle("POST /capacity/{code}/template", managers, h(p.setTemplate))
	s.Handle("POST /capacity/{code}/override", managers, h(p.setOverride))
	s.Handle("POST /capacity/{code}/override/delete", managers, h(p.deleteOverride))
	s.Handle("GET /closures", closureViewers, h(p.closures))
	s.Handle("POST /closures", managers, h(p.createClosure))
	s.Handle("GET /closures/{id}", closureViewers, h(p.closure))
	s.Handle("POST /closures/{id}/reopen", managers, h(p.reopen))

	s.Handle("GET /draws", access.Public, h(p.draws))
	s.Handle("GET /draws/{date}", access.Public, h(p.draw))
}

// apptPrefixes name the templates of these pages; appt_helpers.html holds
// the pieces they share.
var apptPrefixes = []string{"appt_", "port_", "capacity_", "draw_"}

const apptHelpers = "templates/appt_helpers.html"

// parseAppt parses each appointment page with the layout and the shared
// helpers.
func parseAppt(log *slog.Logger) (*Web, error) {
	w := &Web{log: log, pages: map[string]*template.Template{}}
	entries, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	funcs := template.FuncMap{"t": func(string) string { return "" }, "tf": func(string, ...any) string { return "" }}
	for _, e := range entries {
		name := strings.TrimSuffix(strings.TrimPrefix(e, "templates/"), ".html")
		if e == apptHelpers || !hasAnyPrefix(name, apptPrefixes) {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", apptHelpers, e)
		if err != nil {
			return nil, err
		}
		w.pages[name] = t
	}
	t, err := template.New("error").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/error.html")
	if err != nil {
		return nil, err
	}
	w.pages["error"] = t
	return w, nil
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// ---- Replayed forms ----

// replays remembers, on this node, which form posts (by their idempotency
// key and actor) were already carried out and where they led, so that a
// form sent twice is done once. Actions that the service makes idempotent
// need nothing more; creating a closure also checks the database for the
// same closure made a moment ago, which covers several nodes.
type replays struct {
	mu    sync.Mutex
	max   int
	to    map[string]string
	order []string
}

func newReplays(max int) *replays { return &replays{max: max, to: map[string]string{}} }

func (r *replays) get(actor, key string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	to, ok := r.to[actor+" "+key]
	return to, ok
}

func (r *replays) put(actor, key, to string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := actor + " " + key
	if _, ok := r.to[k]; !ok {
		r.order = append(r.order, k)
	}
	r.to[k] = to
	for len(r.order) > r.max {
		delete(r.to, r.order[0])
		r.order = r.order[1:]
	}
}

// ---- Requests of a page ----

// apReq is one request to an appointment page: the language, the caller,
// the time zone the times are written in.
type apReq struct {
	lang string
	c    appointments.Caller
	// forQ keeps a helper's applicant on every link ("?for=...").
	forQ string
	zone *time.Location
	// key is the idempotency key of a posted form ("" on a GET).
	key string
}

func (a *apReq) t(key string) string { return i18n.T(a.lang, key, nil) }

func (a *apReq) tf(key string, args map[string]any) string { return i18n.T(a.lang, key, args) }

// with adds a query to a path that may already carry the helper's query.
func (a *apReq) with(path, query string) string {
	p := path + a.forQ
	if query == "" {
		return p
	}
	if a.forQ != "" {
		return p + "&" + query
	}
	return p + "?" + query
}

var dayKeys = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// when writes an instant as weekday, date and time in loc.
func (a *apReq) when(t time.Time, loc *time.Location) string {
	l := t.In(loc)
	return a.tf("apptweb.when", map[string]any{"weekday": a.t("apptweb.day." + dayKeys[l.Weekday()]), "date": l.Format(time.DateOnly), "time": l.Format("15:04")})
}

// whenZone is when followed by the zone's name.
func (a *apReq) whenZone(t time.Time, loc *time.Location) string {
	return a.tf("apptweb.when_zone", map[string]any{"when": a.when(t, loc), "zone": zoneLabel(loc.String())})
}

// whenLocal is when at a location, said to be its local time.
func (a *apReq) whenLocal(t time.Time, code string) string {
	return a.tf("apptweb.when_local", map[string]any{"when": a.when(t, locZone(code)), "location": locName(a.lang, code)})
}

// day writes a service date with its weekday.
func (a *apReq) day(date string) string {
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return date
	}
	return a.tf("apptweb.day_date", map[string]any{"weekday": a.t("apptweb.day." + dayKeys[d.Weekday()]), "date": date})
}

// apZone is a time zone applicants can choose, named by its cities.
type apZone struct{ Name, Cities string }

// apZones are the time zones of central and northern Mexico, west to east.
var apZones = []apZone{
	{"America/Tijuana", "Tijuana, Mexicali"},
	{"America/Hermosillo", "Hermosillo, Nogales"},
	{"America/Mazatlan", "Culiacán, Mazatlán, La Paz, Tepic"},
	{"America/Ciudad_Juarez", "Ciudad Juárez"},
	{"America/Chihuahua", "Chihuahua"},
	{"America/Matamoros", "Matamoros, Reynosa, Nuevo Laredo, Piedras Negras"},
	{"America/Monterrey", "Monterrey, Saltillo, Durango"},
	{"America/Mexico_City", "Ciudad de México, Guadalajara, Puebla"},
	{"America/Merida", "Mérida, Campeche"},
	{"America/Cancun", "Cancún, Chetumal"},
	{"America/New_York", "New York"},
}

// zoneLabel names a zone by its cities when it is one of apZones.
func zoneLabel(name string) string {
	for _, z := range apZones {
		if z.Name == name {
			return z.Cities
		}
	}
	return strings.ReplaceAll(name, "_", " ")
}

func knownZone(name string) bool {
	for _, z := range apZones {
		if z.Name == name {
			return true
		}
	}
	return false
}

// req reads the common parts of a request. A helper names the applicant
// they act for with "for"; a chosen time zone ("tz") is remembered.
func (p *apptPages) req(rw http.ResponseWriter, r *http.Request) *apReq {
	r.Body = http.MaxBytesReader(rw, r.Body, apptMaxForm)
	r.ParseForm()
	a := &apReq{lang: sendahttp.Lang(r.Context()), c: p.srv.Caller(r.Context(), p.svc.Keys)}
	if a.c.Role == access.Helper {
		if v := r.Form.Get("for"); v != "" && len(v) <= 64 {
			a.c.OnBehalfOf = v
		}
		if a.c.OnBehalfOf != "" {
			a.forQ = "?for=" + url.QueryEscape(a.c.OnBehalfOf)
		}
	}
	zone := defaultZone
	if c, err := r.Cookie(tzCookie); err == nil && knownZone(c.Value) {
		zone = c.Value
	}
	if v := r.Form.Get("tz"); knownZone(v) {
		if v != zone {
			http.SetCookie(rw, &http.Cookie{Name: tzCookie, Value: v, Path: "/", MaxAge: int((365 * 24 * time.Hour).Seconds()),
				HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
		}
		zone = v
	}
	a.zone, _ = time.LoadLocation(zone)
	if a.zone == nil {
		a.zone = time.UTC
	}
	if r.Method == http.MethodPost {
		a.key = postedKey(r)
	}
	return a
}

// replayed redirects a form already carried out to where it led.
func (p *apptPages) replayed(rw http.ResponseWriter, r *http.Request, a *apReq) bool {
	if to, ok := p.done.get(a.c.Actor(), a.key); ok {
		http.Redirect(rw, r, to, http.StatusSeeOther)
		return true
	}
	return false
}

// finish remembers a form as done and sends the browser on.
func (p *apptPages) finish(rw http.ResponseWriter, r *http.Request, a *apReq, to string) {
	p.done.put(a.c.Actor(), a.key, to)
	http.Redirect(rw, r, to, http.StatusSeeOther)
}

// render writes a page that answers to one person and is never cached.
func (p *apptPages) render(rw http.ResponseWriter, r *http.Request, status int, name string, data any) {
	rw.Header().Set("Cache-Control", "no-store")
	p.web.Render(rw, r, status, name, data)
}

// ---- Shared page data ----

// apLink is a link.
type apLink struct{ Label, URL string }

// apAlert is a localised message box, with the errors no field shows.
type apAlert struct {
	Title, Detail string
	Items         []string
	Links         []apLink
	// OK makes it a confirmation rather than an error.
	OK bool
}

// apOption is one choice of a select.
type apOption struct {
	Value, Label string
	Selected     bool
}

// apField is one localised form field.
type apField struct {
	ID, Name, Label, Hint, Kind, Value, Error string
	Optional                                  string
	Options                                   []apOption
	Rows, MaxLength                           int
	InputMode, Autocomplete, Capitalize       string
	// Checked ticks a checkbox.
	Checked bool
}

// DescribedBy lists the ids of the field's hint and error.
func (f apField) DescribedBy() string { return describedBy(f.ID, f.Hint, f.Error) }

// apForm is a form: where it posts, its key and fields.
type apForm struct {
	Action, Key, Submit string
	Fields              []apField
	// Hidden are extra hidden inputs (name, value).
	Hidden []apLink
	// Secondary styles the button as a secondary action.
	Secondary bool
}

// apMessage is a page that only says something.
type apMessage struct {
	Title, Detail string
	Links         []apLink
}

// message renders a page that says one thing.
func (p *apptPages) message(rw http.ResponseWriter, r *http.Request, status int, title, detail string, links ...apLink) {
	p.render(rw, r, status, "appt_message", apMessage{Title: title, Detail: detail, Links: links})
}

// fatal answers an error that no form on the page can show: not found as
// the not-found page, a refusal with its own message, anything unexpected
// logged and shown as the generic error page.
func (p *apptPages) fatal(rw http.ResponseWriter, r *http.Request, a *apReq, err error) {
	status, alert, _ := p.failure(r, a, err, nil)
	if status == http.StatusNotFound {
		p.render(rw, r, status, "error", ErrorPage{Title: "page.not_found.title", Body: "page.not_found.body"})
		return
	}
	p.message(rw, r, status, alert.Title, alert.Detail)
}

// failure turns a service error into a status, an alert and the messages of
// the fields fld places ("" for none: they go to the alert). Internal causes
// are logged, never shown.
func (p *apptPages) failure(r *http.Request, a *apReq, err error, fld func(loc string) string) (int, *apAlert, map[string]string) {
	errs := map[string]string{}
	var se *senda.Error
	if !errors.As(err, &se) || se.Code == senda.CodeInternal || se.Code == "" {
		p.web.log.Error("page", "request_id", sendahttp.RequestID(r.Context()), "route", r.Pattern, "err", err)
		return http.StatusInternalServerError, &apAlert{Title: a.t("error.internal.title"), Detail: a.t("error.internal.detail")}, errs
	}
	args := map[string]any{}
	for k, v := range se.Args {
		args[k] = v
	}
	// Times in arguments are written in the reader's zone.
	for _, k := range []string{"confirm_by", "next_open_at"} {
		if s, ok := args[k].(string); ok {
			if t, err := time.Parse(time.RFC3339, s); err == nil {
				args[k] = a.whenZone(t, a.zone)
				if k == "next_open_at" {
					args["next_open"] = args[k]
				}
			}
		}
	}
	if s, ok := args["status"].(string); ok {
		args["status"] = a.t("apptweb.status." + s)
	}
	// Reasons come as message keys.
	if s, ok := args["reasons"].(string); ok {
		var texts []string
		for _, k := range strings.Split(s, ", ") {
			texts = append(texts, strings.TrimSuffix(a.t(k), "."))
		}
		args["reasons"] = strings.Join(texts, "; ")
	}
	key := se.Key
	if key == "" || !i18n.Has(key+".title") {
		key = errorKey(se.Code)
	}
	alert := &apAlert{Title: a.tf(key+".title", args), Detail: a.tf(key+".detail", args)}
	for _, fe := range se.Fields {
		msg := a.tf(fe.Key, fe.Args)
		name := ""
		if fld != nil {
			name = fld(fe.Location)
		}
		if name == "" {
			alert.Items = append(alert.Items, msg)
			continue
		}
		if prev := errs[name]; prev != "" && !strings.Contains(prev, msg) {
			msg = prev + " " + msg
		}
		errs[name] = msg
	}
	return sendahttp.Status(se.Code), alert, errs
}

// invalidAlert is the alert of a form with field errors.
func (a *apReq) invalidAlert() *apAlert {
	return &apAlert{Title: a.t("error.invalid.title"), Detail: a.t("error.invalid.detail")}
}

// locName is a location's name in the reader's language.
func locName(lang, code string) string {
	l, ok := reference.Location(code)
	if !ok {
		return code
	}
	if lang == "es" {
		return l.SpanishName()
	}
	return l.Name
}

func locZone(code string) *time.Location {
	if l, ok := reference.Location(code); ok {
		if z, err := l.Zone(); err == nil {
			return z
		}
	}
	return time.UTC
}

// portOptions lists the ports, with none or value selected.
func portOptions(lang, value, none string) []apOption {
	out := []apOption{{Value: "", Label: none}}
	for _, pt := range reference.Ports() {
		out = append(out, apOption{Value: pt.Code, Label: locName(lang, pt.Code), Selected: pt.Code == value})
	}
	return out
}

// zoneForm is the small form that changes the time zone of the times shown.
type zoneForm struct {
	Action  string
	For     string
	Current string
	Options []apOption
}

func (a *apReq) zoneForm(action string) zoneForm {
	z := zoneForm{Action: action, For: a.c.OnBehalfOf, Current: zoneLabel(a.zone.String())}
	for _, o := range apZones {
		z.Options = append(z.Options, apOption{Value: o.Name, Label: o.Cities, Selected: o.Name == a.zone.String()})
	}
	return z
}

// ---- Applicant: the appointments home ----

type apIndexPage struct {
	Window      string
	Open        bool
	Holder      bool
	Anonymous   bool
	RequestURL  string
	SignInURL   string
	Zone        zoneForm
	Requests    []apRequestRow
	Appts       []apApptRow
	StaffLinks  []apLink
	PublicLinks []apLink
}

type apRequestRow struct {
	Date, ID, Status, URL string
}

type apApptRow struct {
	Code, Place, When, Status, URL string
}

// windowText says whether requests are taken now and until when, or when
// they open next.
func (p *apptPages) windowText(a *apReq, now time.Time) (string, bool, appointments.Window) {
	w := p.svc.WindowAt(now, a.zone.String())
	if w.Open {
		return a.tf("apptweb.window.open", map[string]any{"service_date": a.day(w.ServiceDate), "closes": a.whenZone(w.ClosesAt, a.zone)}), true, w
	}
	return a.tf("apptweb.window.closed", map[string]any{"service_date": a.day(w.ServiceDate), "opens": a.whenZone(w.OpensAt, a.zone)}), false, w
}

func (p *apptPages) index(rw http.ResponseWriter, r *http.Request) {
	a := p.req(rw, r)
	ctx := r.Context()
	d := apIndexPage{Zone: a.zoneForm("/appointments"), Anonymous: a.c.Anonymous()}
	d.Window, d.Open, _ = p.windowText(a, p.svc.DB.Now())
	d.SignInURL = "/signin?next=" + url.QueryEscape("/appointments")
	d.PublicLinks = []apLink{{a.t("apptweb.draws.title"), "/draws"}}
	switch a.c.Role {
	case access.Applicant, access.Helper:
		d.Holder = true
		d.RequestURL = a.with("/appointments/request", "")
		reqs, err := p.svc.Requests(ctx, a.c, "")
		if err != nil {
			p.fatal(rw, r, a, err)
			return
		}
		for _, q := range reqs {
			d.Requests = append(d.Requests, apRequestRow{Date: a.day(q.ServiceDate), ID: q.ID, Status: a.t("apptweb.request_status." + q.Status),
				URL: a.with("/requests/"+q.ServiceDate, "")})
		}
		appts, err := p.svc.Mine(ctx, a.c, "")
		if err != nil {
			p.fatal(rw, r, a, err)
			return
		}
		for _, ap := range appts {
			d.Appts = append(d.Appts, apApptRow{Code: ap.Code, Place: locName(a.lang, ap.Location), When: a.whenLocal(ap.Start, ap.Location),
				Status: a.t("apptweb.status." + ap.Status), URL: a.with("/appointments/"+ap.ID, "")})
		}
	case access.PortOfficer:
		d.StaffLinks = []apLink{{a.t("apptweb.port.title"), "/port"}, {a.t("apptweb.closures.title"), "/closures"}}
	case access.ProgrammeManager:
		d.StaffLinks = []apLink{{a.t("apptweb.capacity.title"), "/capacity"}, {a.t("apptweb.closures.title"), "/closures"}}
	case access.Admin:
		d.StaffLinks = []apLink{{a.t("apptweb.capacity.title"), "/capacity"}, {a.t("apptweb.closures.title"), "/closures"}, {a.t("apptweb.port.title"), "/port"}}
	}
	p.render(rw, r, http.StatusOK, "appt_index", d)
}

// ---- Applicant: asking for an appointment ----

type apRequestPage struct {
	Window   string
	Open     bool
	Zone     zoneForm
	Alert    *apAlert
	Notice   string
	Form     apForm
	Back     apLink
	Draws    apLink
	Register *apLink
}

var prefNames = []string{"pref1", "pref2", "pref3"}

func (p *apptPages) requestPage(a *apReq, now time.Time, values map[string]string, errs map[string]string) apRequestPage {
	d := apRequestPage{Zone: a.zoneForm("/appointments/request"), Back: apLink{a.t("apptweb.back"), a.with("/appointments", "")},
		Draws: apLink{a.t("apptweb.draws.title"), "/draws"}}
	var w appointments.Window
	d.Window, d.Open, w = p.windowText(a, now)
	if !d.Open {
		return d
	}
	key := a.key
	if key == "" {
		key = newKey()
	}
	d.Form = apForm{Action: "/appointments/request", Key: key, Submit: a.t("apptweb.request.submit"),
		Hidden: []apLink{{"service_date", w.ServiceDate}}}
	if a.c.OnBehalfOf != "" {
		d.Form.Hidden = append(d.Form.Hidden, apLink{"for", a.c.OnBehalfOf})
	}
	for i, n := range prefNames {
		f := apField{ID: n, Name: n, Kind: "select", Label: a.t("apptweb.request." + n), Error: errs[n],
			Options: portOptions(a.lang, values[n], a.t("apptweb.request.none"))}
		if i == 0 {
			f.Hint = a.t("apptweb.request.pref1_hint")
		} else {
			f.Optional = a.t("apptweb.optional")
		}
		d.Form.Fields = append(d.Form.Fields, f)
	}
	return d
}

func (p *apptPages) requestForm(rw http.ResponseWriter, r *http.Request) {
	a := p.req(rw, r)
	now := p.svc.DB.Now()
	values := map[string]string{}
	// A request already sent for the open date is shown to be replaced.
	w := p.svc.WindowAt(now, a.zone.String())
	var notice string
	if w.Open {
		reqs, err := p.svc.Requests(r.Context(), a.c, "")
		if err != nil {
			p.fatal(rw, r, a, err)
			return
		}
		for _, q := range reqs {
			if q.ServiceDate == w.ServiceDate && q.Status == "live" {
				for i, pref := range q.Preferences {
					if i < len(prefNames) {
						values[prefNames[i]] = pref
					}
				}
				notice = a.tf("apptweb.request.replace", map[string]any{"id": q.ID})
				break
			}
		}
	}
	d := p.requestPage(a, now, values, nil)
	d.Notice = notice
	p.render(rw, r, http.StatusOK, "appt_request", d)
}

func (p *apptPages) request(rw http.ResponseWriter, r *http.Request) {
	a := p.req(rw, r)
	if p.replayed(rw, r, a) {
		return
	}
	values := map[string]string{}
	var prefs []string
	var from []string // the field each preference came from
	for _, n := range prefNames {
		v := strings.TrimSpace(r.PostForm.Get(n))
		values[n] = v
		if v != "" {
			prefs = append(prefs, v)
			from = append(from, n)
		}
	}
	errs := map[string]string{}
	if len(prefs) == 0 {
		errs["pref1"] = a.t("apptweb.request.choose")
	}
	date := r.PostForm.Get("service_date")
	if _, err := appointments.ParseDate(date); err != nil {
		date = ""
	}
	now := p.svc.DB.Now()
	if len(errs) > 0 {
		d := p.requestPage(a, now, values, errs)
		d.Alert = a.invalidAlert()
		p.render(rw, r, http.StatusUnprocessableEntity, "appt_request", d)
		return
	}
	q, err := p.svc.Submit(r.Context(), a.c, appointments.RequestInput{Preferences: prefs, ServiceDate: date, TimeZone: a.zone.String()})
	if err == nil {
		flag := "sent=1"
		if q.Replaced {
			flag = "replaced=1"
		}
		p.finish(rw, r, a, a.with("/requests/"+q.ServiceDate, flag))
		return
	}
	status, alert, errs := p.failure(r, a, err, func(loc string) string {
		if loc == "body.preferences" {
			return "pref1"
		}
		if rest, ok := strings.CutPrefix(loc, "body.preferences["); ok {
			if i, err := strconv.Atoi(strings.TrimSuffix(rest, "]")); err == nil && i >= 0 && i < len(from) {
				return from[i]
			}
		}
		return ""
	})
	d := p.requestPage(a, now, values, errs)
	var se *senda.Error
	errors.As(err, &se)
	switch {
	case se != nil && se.Key == "appointments.household_draft":
		d.Register = &apLink{a.t("apptweb.request.register"), "/register" + a.forQ}
	case se != nil && se.Code == senda.CodeInvalid && len(alert.Items) > 0 && len(errs) == 0 && hasField(se, "body.household_id"):
		alert.Detail = a.t("apptweb.request.no_household")
		alert.Items = nil
		d.Register = &apLink{a.t("apptweb.request.register"), "/register" + a.forQ}
	case se != nil && se.Key == "appointments.has_appointment":
		alert.Links = []apLink{{a.t("apptweb.index.title"), a.with("/appointments", "")}}
	}
	d.Alert = alert
	p.render(rw, r, status, "appt_request", d)
}

func hasField(se *senda.Error, loc string) bool {
	for _, f := range se.Fields {
		if f.Location == loc {
			return true
		}
	}
	return false
}

// ---- Applicant: the result of a request ----

type apResultPage struct {
	Title     string
	Notice    string
	ID        string
	Date      string
	Prefs     []string
	Status    string
	Detail    string
	Next      *apLink
	Withdraw  *apForm
	DrawLink  apLink
	Back      apLink
	Allocated bool
}

// findRequest returns the caller's request for a date.
func (p *apptPages) findRequest(ctx context.Context, a *apReq, date string) (*appointments.Request, error) {
	reqs, err := p.svc.Requests(ctx, a.c, "")
	if err != nil {
		return nil, err
	}
	for i := range reqs {
		if reqs[i].ServiceDate == date {
			return &reqs[i], nil
		}
	}
	return nil, &senda.Error{Code: senda.CodeNotFound, Key: "error.not_found"}
}

func (p *apptPages) result(rw http.ResponseWriter, r *http.Request) {
	a := p.req(rw, r)
	ctx := r.Context()
	date := r.PathValue("date")
	if _, err := appointments.ParseDate(date); err != nil {
		p.fatal(rw, r, a, &senda.Error{Code: senda.CodeNotFound})
		return
	}
	q, err := p.findRequest(ctx, a, date)
	if err != nil {
		p.fatal(rw, r, a, err)
		return
	}
	now := p.svc.DB.Now()
	d := apResultPage{Title: a.tf("apptweb.result.title", map[string]any{"service_date": a.day(date)}), ID: q.ID, Date: a.day(date),
		Status: a.t("apptweb.request_status." + q.Status), DrawLink: apLink{a.t("apptweb.result.draw_link"), "/draws/" + date},
		Back: apLink{a.t("apptweb.back"), a.with("/appointments", "")}}
	for _, pref := range q.Preferences {
		d.Prefs = append(d.Prefs, locName(a.lang, pref))
	}
	switch {
	case r.Form.Get("sent") != "":
		d.Notice = a.t("apptweb.result.sent")
	case r.Form.Get("replaced") != "":
		d.Notice = a.t("apptweb.result.replaced")
	case r.Form.Get("withdrawn") != "":
		d.Notice = a.t("apptweb.result.withdrawn")
	}
	w := p.svc.WindowFor(now, date, a.zone.String())
	switch q.Status {
	case "live":
		if w.Open {
			d.Detail = a.tf("apptweb.result.waiting", map[string]any{"closes": a.whenZone(w.ClosesAt, a.zone)})
			d.Next = &apLink{a.t("apptweb.result.change"), a.with("/appointments/request", "")}
			d.Withdraw = &apForm{Action: a.with("/requests/"+date+"/withdraw", ""), Key: newKey(), Submit: a.t("apptweb.result.withdraw"), Secondary: true}
		} else {
			d.Detail = a.t("apptweb.result.drawing")
		}
	case "allocated":
		d.Allocated = true
		d.Detail = a.t("apptweb.result.allocated")
		appts, err := p.svc.Mine(ctx, a.c, q.HouseholdID)
		if err != nil {
			p.fatal(rw, r, a, err)
			return
		}
		for _, ap := range appts {
			if ap.RequestID == q.ID {
				d.Next = &apLink{a.tf("apptweb.result.see", map[string]any{"code": ap.Code}), a.with("/appointments/"+ap.ID, "")}
				if ap.Status == "allocated" {
					d.Detail = a.tf("apptweb.result.allocated_confirm", map[string]any{"confirm_by": a.whenZone(ap.ConfirmBy, a.zone)})
				}
			}
		}
	case "unallocated":
		next := p.svc.WindowAt(now, a.zone.String())
		d.Detail = a.tf("apptweb.result.unallocated", map[string]any{"opens": a.whenZone(next.OpensAt, a.zone)})
		if next.Open {
			d.Detail = a.t("apptweb.result.unallocated_open")
		}
		d.Next = &apLink{a.t("apptweb.request.title"), a.with("/appointments/request", "")}
	default:
		d.Detail = a.t("apptweb.result.detail." + q.Status)
	}
	p.render(rw, r, http.StatusOK, "appt_result", d)
}

func (p *apptPages) withdraw(rw http.ResponseWriter, r *http.Request) {
	a := p.req(rw, r)
	if p.replayed(rw, r, a) {
		return
	}
	date := r.PathValue("date")
	if _, err := appointments.ParseDate(date); err != nil {
		p.fatal(rw, r, a, &senda.Error{Code: senda.CodeNotFound})
		return
	}
	q, err := p.findRequest(r.Context(), a, date)
	if err != nil {
		p.fatal(rw, r, a, err)
		return
	}
	to := a.with("/requests/"+date, "withdrawn=1")
	if q.Status == "withdrawn" {
		p.finish(rw, r, a, to)
		return
	}
	if err := p.svc.Withdraw(r.Context(), a.c, q.HouseholdID, date); err != nil {
		p.fatal(rw, r, a, err)
		return
	}
	p.finish(rw, r, a, to)
}

// ---- Applicant: an appointment ----

type apApptPage struct {
	Title      string
	Notice     string
	Code       string
	Status     string
	StatusNote string
	Rows       []apLink // label, value
	Confirm    *apLink
	Confirmed  bool
	QR         string
	QRAlt      string
	Show       []apField
	ShowAction string
	For        string
	Print      string
	Calendar   string
	Cancel     *apForm
	Back       apLink
}

// showOf reads which facts the pass shows from the checkboxes of the page.
func showOf(v url.Values) string {
	if v.Get("shown") == "" {
		return "date,port"
	}
	var out []string
	for _, s := range []string{"name", "date", "port"} {
		if v.Get("show_"+s) != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, ",")
}

func (p *apptPages) appointment(rw http.ResponseWriter, r *http.Request) {
	a := p.req(rw, r)
	ap, err := p.svc.Get(r.Context(), a.c, r.PathValue("id"))
	if err != nil {
		p.fatal(rw, r, a, err)
		return
	}
	p.render(rw, r, http.StatusOK, "appt_view", p.apptPage(a, ap, r.Form))
}

func (p *apptPages) apptPage(a *apReq, ap *appointments.Appointment, q url.Values) apApptPage {
	place := locName(a.lang, ap.Location)
	if pt, ok := reference.Port(ap.Location); ok && pt.Crossing != "" {
		place += " — " + pt.Crossing
	}
	d := apApptPage{Title: a.tf("apptweb.appt.title", map[string]any{"code": ap.Code}), Code: ap.Code, Status: a.t("apptweb.status." + ap.Status),
		StatusNote: a.t("apptweb.appt.note." + ap.Status), Back: apLink{a.t("apptweb.back"), a.with("/appointments", "")}, For: a.c.OnBehalfOf}
	d.Rows = []apLink{
		{a.t("apptweb.appt.place"), place},
		{a.t("apptweb.appt.when"), a.whenLocal(ap.Start, ap.Location)},
		{a.t("apptweb.appt.persons"), strconv.Itoa(ap.Size)},
		{a.t("apptweb.appt.request_id"), ap.RequestID},
		{a.t("apptweb.appt.phase"), a.t("apptweb.phase." + ap.Phase)},
	}
	if ap.Moves > 0 {
		d.Rows = append(d.Rows, apLink{a.t("apptweb.appt.moves"), strconv.Itoa(ap.Moves)})
	}
	switch {
	case q.Get("confirmed") != "":
		d.Notice = a.t("apptweb.appt.confirmed_now")
	case q.Get("cancelled") != "":
		d.Notice = a.t("apptweb.appt.cancelled_now")
	}
	id := url.PathEscape(ap.ID)
	switch ap.Status {
	case "allocated":
		d.StatusNote = a.tf("apptweb.appt.note.allocated", map[string]any{"confirm_by": a.whenZone(ap.ConfirmBy, a.zone)})
		d.Confirm = &apLink{a.t("apptweb.confirm.title"), a.with("/appointments/"+ap.ID+"/confirm", "")}
	case "confirmed":
		d.Confirmed = true
		show := showOf(q)
		sq := "show=" + url.QueryEscape(show)
		d.QR = "/api/v1/appointments/" + id + "/qr.png?" + sq
		d.QRAlt = a.tf("apptweb.appt.qr_alt", map[string]any{"code": ap.Code})
		d.Print = "/api/v1/appointments/" + id + "/print?" + sq + "&lang=" + a.lang
		d.ShowAction = "/appointments/" + ap.ID
		for _, s := range []string{"name", "date", "port"} {
			f := apField{ID: "show-" + s, Name: "show_" + s, Kind: "checkbox", Label: a.t("apptweb.appt.show_" + s), Value: "1"}
			f.Checked = strings.Contains(show, s)
			d.Show = append(d.Show, f)
		}
	}
	if ap.Status == "allocated" || ap.Status == "confirmed" {
		d.Calendar = "/api/v1/appointments/" + id + "/calendar.ics?lang=" + a.lang
		d.Cancel = &apForm{Action: a.with("/appointments/"+ap.ID+"/cancel", ""), Key: newKey(), Submit: a.t("apptweb.appt.cancel"), Secondary: true}
	}
	return d
}

func (p *apptPages) cancel(rw http.ResponseWriter, r *http.Request) {
	a := p.req(rw, r)
	if p.replayed(rw, r, a) {
		return
	}
	id := r.PathValue("id")
	if _, err := p.svc.Cancel(r.Context(), a.c, id); err != nil {
		p.fatal(rw, r, a, err)
		return
	}
	p.finish(rw, r, a, a.with("/appointments/"+id, "cancelled=1"))
}

// ---- Applicant: confirming ----

type apConfirmPage struct {
	Title    string
	Lead     string
	Alert    *apAlert
	Form     apForm
	InPerson string
	Code     string
	Back     apLink
}

// mxState is a Mexican state and a point in it (its capital), for a
// location given without a device.
type mxState struct {
	Code     string
	Lat, Lon float64
}

// mxStates are the states of Mexico with their capitals' coordinates.
var mxStates = []mxState{
	{"MX-AGU", 21.88, -102.29}, {"MX-BCN", 32.62, -115.45}, {"MX-BCS", 24.14, -110.31}, {"MX-CAM", 19.85, -90.53},
	{"MX-CHP", 16.75, -93.12}, {"MX-CHH", 28.63, -106.09}, {"MX-CMX", 19.43, -99.13}, {"MX-COA", 25.42, -101.00},
	{"MX-COL", 19.24, -103.72}, {"MX-DUR", 24.02, -104.66}, {"MX-GUA", 21.02, -101.26}, {"MX-GRO", 17.55, -99.50},
	{"MX-HID", 20.10, -98.76}, {"MX-JAL", 20.67, -103.35}, {"MX-MEX", 19.29, -99.66}, {"MX-MIC", 19.70, -101.19},
	{"MX-MOR", 18.92, -99.23}, {"MX-NAY", 21.50, -104.89}, {"MX-NLE", 25.69, -100.32}, {"MX-OAX", 17.07, -96.72},
	{"MX-PUE", 19.04, -98.21}, {"MX-QUE", 20.59, -100.39}, {"MX-ROO", 18.50, -88.30}, {"MX-SLP", 22.15, -100.98},
	{"MX-SIN", 24.81, -107.39}, {"MX-SON", 29.07, -110.96}, {"MX-TAB", 17.99, -92.93}, {"MX-TAM", 23.74, -99.15},
	{"MX-TLA", 19.32, -98.24}, {"MX-VER", 19.54, -96.91}, {"MX-YUC", 20.97, -89.62}, {"MX-ZAC", 22.77, -102.58},
}

func stateOptions(none, value string) []apOption {
	out := []apOption{{Value: "", Label: none}}
	for _, s := range mxStates {
		name := s.Code
		if sd, ok := reference.Subdivision(s.Code); ok {
			name = sd.Name
		}
		out = append(out, apOption{Value: s.Code, Label: name, Selected: s.Code == value})
	}
	sort.SliceStable(out[1:], func(i, j int) bool { return out[1+i].Label < out[1+j].Label })
	return out
}

func (p *apptPages) confirmPage(a *apReq, ap *appointments.Appointment, values, errs map[string]string) apConfirmPage {
	key := a.key
	if key == "" {
		key = newKey()
	}
	d := apConfirmPage{Title: a.t("apptweb.confirm.title"), Code: ap.Code,
		Lead: a.tf("apptweb.confirm.lead", map[string]any{"code": ap.Code, "confirm_by": a.whenZone(ap.ConfirmBy, a.zone)}),
		Back: apLink{a.t("apptweb.back"), a.with("/appointments/"+ap.ID, "")}}
	d.Form = apForm{Action: a.with("/appointments/"+ap.ID+"/confirm", ""), Key: key, Submit: a.t("apptweb.confirm.submit"),
		Fields: []apField{
			{ID: "where", Name: "where", Kind: "select", Label: a.t("apptweb.confirm.where"), Hint: a.t("apptweb.confirm.where_hint"),
				Error: errs["where"], Options: stateOptions(a.t("apptweb.confirm.where_none"), values["where"])},
			{ID: "liveness", Name: "liveness", Kind: "text", Label: a.tf("apptweb.confirm.liveness", map[string]any{"digits": ap.Challenge}),
				Hint: a.t("apptweb.confirm.liveness_hint"), Error: errs["liveness"], Value: values["liveness"], MaxLength: 6, InputMode: "numeric", Autocomplete: "off"},
		}}
	return d
}

func (p *apptPages) confirmForm(rw http.ResponseWriter, r *http.Request) {
	a := p.req(rw, r)
	ap, err := p.svc.Get(r.Context(), a.c, r.PathValue("id"))
	if err != nil {
		p.fatal(rw, r, a, err)
		return
	}
	if ap.Status != "allocated" {
		http.Redirect(rw, r, a.with("/appointments/"+ap.ID, ""), http.StatusSeeOther)
		return
	}
	p.render(rw, r, http.StatusOK, "appt_confirm", p.confirmPage(a, ap, nil, nil))
}

func (p *apptPages) confirm(rw http.ResponseWriter, r *http.Request) {
	a := p.req(rw, r)
	if p.replayed(rw, r, a) {
		return
	}
	ctx := r.Context()
	ap, err := p.svc.Get(ctx, a.c, r.PathValue("id"))
	if err != nil {
		p.fatal(rw, r, a, err)
		return
	}
	to := a.with("/appointments/"+ap.ID, "confirmed=1")
	if ap.Status == "confirmed" {
		p.finish(rw, r, a, to)
		return
	}
	values := map[string]string{"where": r.PostForm.Get("where"), "liveness": strings.TrimSpace(r.PostForm.Get("liveness"))}
	var ev appointments.Evidence
	errs := map[string]string{}
	if values["where"] == "" {
		errs["where"] = a.t("validation.required")
	}
	for _, s := range mxStates {
		if s.Code == values["where"] {
			lat, lon := s.Lat, s.Lon
			ev.Latitude, ev.Longitude = &lat, &lon
		}
	}
	if values["where"] != "" && ev.Latitude == nil {
		errs["where"] = a.t("validation.required")
	}
	if values["liveness"] == "" {
		errs["liveness"] = a.t("validation.required")
	} else if utf8.RuneCountInString(values["liveness"]) > 64 {
		errs["liveness"] = a.tf("validation.max_length", map[string]any{"max": 64})
	}
	if len(errs) > 0 {
		d := p.confirmPage(a, ap, values, errs)
		d.Alert = a.invalidAlert()
		p.render(rw, r, http.StatusUnprocessableEntity, "appt_confirm", d)
		return
	}
	ev.Liveness = values["liveness"]
	_, _, err = p.svc.Confirm(ctx, a.c, ap.ID, ev)
	if err == nil {
		p.finish(rw, r, a, to)
		return
	}
	status, alert, errs := p.failure(r, a, err, func(loc string) string {
		switch loc {
		case "body.region":
			return "where"
		case "body.liveness":
			return "liveness"
		}
		return ""
	})
	var se *senda.Error
	if errors.As(err, &se) && se.Code == senda.CodeConflict {
		// Too late, or no longer allocated: the appointment says why.
		p.message(rw, r, status, alert.Title, alert.Detail, apLink{a.tf("apptweb.appt.title", map[string]any{"code": ap.Code}), a.with("/appointments/"+ap.ID, "")})
		return
	}
	d := p.confirmPage(a, ap, values, errs)
	d.Alert = alert
	if se != nil && se.Key == "appointments.check_failed" {
		alert.Detail = "" // the in-person box says it, with the code
		d.InPerson = a.tf("apptweb.confirm.in_person", map[string]any{"code": ap.Code, "confirm_by": a.whenZone(ap.ConfirmBy, a.zone)})
	}
	p.render(rw, r, status, "appt_confirm", d)
}

// ---- Port officers ----

type apPortsPage struct {
	Ports []apLink
}

// portsOf lists the ports in the caller's scope.
func portsOf(c appointments.Caller, lang string) []apLink {
	var out []apLink
	for _, pt := range reference.Ports() {
		if c.Scope.Contains(appointments.Place(pt.Code)) {
			out = append(out, apLink{locName(lang, pt.Code), "/port/" + pt.Code})
		}
	}
	return out
}

func (p *apptPages) ports(rw http.ResponseWriter, r *http.Request) {
	a := p.req(rw, r)
	list := portsOf(a.c, a.lang)
	if len(list) == 1 {
		http.Redirect(rw, r, list[0].URL, http.StatusSeeOther)
		return
	}
	p.render(rw, r, http.StatusOK, "port_index", apPortsPage{Ports: list})
}

type apPortPage struct {
	Title    string
	Date     string
	DateForm apForm
	Alert    *apAlert
	Notice   string
	CheckIn  apForm
	Arrived  *apArrived
	Rows     []apArrivalRow
	Counts   string
	Back     apLink
}

type apArrived struct {
	Title   string
	Rows    []apLink
	Members []string
}

type apArrivalRow struct {
	Time, Code, Persons, Status string
	NoShow                      *apForm
}

// port starts a port officer's page: the request, the port (or office) of
// the path and, when withDate, the ?date= asked for (empty for today). An
// unknown port, or a date that is not YYYY-MM-DD, answers the not found
// page and ok is false.
func (p *apptPages) port(rw http.ResponseWriter, r *http.Request, withDate bool) (a *apReq, code, date string, ok bool) {
	a = p.req(rw, r)
	l, ok := reference.Location(r.PathValue("code"))
	if withDate {
		date = r.Form.Get("date")
		if _, err := appointments.ParseDate(date); date != "" && err != nil {
			ok = false
		}
	}
	if !ok {
		p.fatal(rw, r, a, &senda.Error{Code: senda.CodeNotFound})
		return a, "", "", false
	}
	return a, l.Code, date, true
}

func (p *apptPages) portPage(ctx context.Context, a *apReq, code, date string) (apPortPage, error) {
	loc := locZone(code)
	if date == "" {
		date = p.svc.DB.Now().In(loc).Format(time.DateOnly)
	}
	d := apPortPage{Title: a.tf("apptweb.port.day", map[string]any{"location": locName(a.lang, code), "service_date": a.day(date)}), Date: date,
		Back: apLink{a.t("apptweb.port.title"), "/port"}}
	d.DateForm = apForm{Action: "/port/" + code, Submit: a.t("apptweb.port.show_day"), Secondary: true,
		Fields: []apField{{ID: "date", Name: "date", Kind: "date", Label: a.t("apptweb.port.date"), Value: date}}}
	d.CheckIn = apForm{Action: "/port/" + code + "/checkin", Key: newKey(), Submit: a.t("apptweb.port.checkin_submit"),
		Hidden: []apLink{{"date", date}},
		Fields: []apField{{ID: "code", Name: "code", Kind: "text", Label: a.t("apptweb.port.code"), Hint: a.t("apptweb.port.code_hint"),
			MaxLength: 20, Autocomplete: "off", Capitalize: "characters"}}}
	list, err := p.svc.Arrivals(ctx, a.c, code, date)
	if err != nil {
		return d, err
	}
	now := p.svc.DB.Now()
	counts := map[string]int{}
	for _, ap := range list {
		counts[ap.Status]++
		row := apArrivalRow{Time: ap.Start.In(loc).Format("15:04"), Code: ap.Code, Persons: strconv.Itoa(ap.Size), Status: a.t("apptweb.status." + ap.Status)}
		if (ap.Status == "confirmed" || ap.Status == "allocated") && !now.Before(ap.Start) {
			row.NoShow = &apForm{Action: "/port/" + code + "/no-show/" + ap.ID, Key: newKey(), Submit: a.t("apptweb.port.no_show"), Secondary: true,
				Hidden: []apLink{{"date", date}}}
		}
		d.Rows = append(d.Rows, row)
	}
	d.Counts = a.tf("apptweb.port.counts", map[string]any{"total": len(list), "checked_in": counts["checked_in"], "no_show": counts["no_show"],
		"waiting": counts["confirmed"]})
	return d, nil
}

func (p *apptPages) portDay(rw http.ResponseWriter, r *http.Request) {
	a, code, date, ok := p.port(rw, r, true)
	if !ok {
		return
	}
	d, err := p.portPage(r.Context(), a, code, date)
	if err != nil {
		p.fatal(rw, r, a, err)
		return
	}
	if r.Form.Get("done") == "no_show" {
		d.Notice = a.t("apptweb.port.no_show_done")
	}
	p.render(rw, r, http.StatusOK, "port_day", d)
}

// checkIn checks a household in by its code and shows the names to check
// against the travellers' documents. The names are shown in the answer to
// the post itself, never put in a link or kept for a later page.
func (p *apptPages) checkIn(rw http.ResponseWriter, r *http.Request) {
	a, code, _, ok := p.port(rw, r, false)
	if !ok {
		return
	}
	date := r.PostForm.Get("date")
	if _, err := appointments.ParseDate(date); err != nil {
		date = ""
	}
	ctx := r.Context()
	typed := strings.TrimSpace(r.PostForm.Get("code"))
	var arr *appointments.Arrival
	var err error
	if typed == "" {
		err = &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid", Fields: []senda.FieldError{{Location: "body.code", Key: "validation.required"}}}
	} else {
		arr, err = p.svc.CheckIn(ctx, a.c, appointments.CheckInInput{Code: typed})
	}
	var status int
	var alert *apAlert
	var errs map[string]string
	if err != nil {
		if senda.ErrorCode(err) == senda.CodeNotFound {
			err = &senda.Error{Code: senda.CodeNotFound, Key: "error.invalid", Fields: []senda.FieldError{{Location: "body.code", Key: "apptweb.port.code_unknown"}}}
		}
		status, alert, errs = p.failure(r, a, err, func(loc string) string {
			if loc == "body.code" {
				return "code"
			}
			return ""
		})
		if senda.ErrorCode(err) == senda.CodeNotFound {
			alert = a.invalidAlert()
		}
	}
	d, perr := p.portPage(ctx, a, code, date)
	if perr != nil {
		p.fatal(rw, r, a, perr)
		return
	}
	if err != nil {
		d.Alert = alert
		d.CheckIn.Fields[0].Value = typed
		d.CheckIn.Fields[0].Error = errs["code"]
		p.render(rw, r, status, "port_day", d)
		return
	}
	d.Arrived = &apArrived{Title: a.tf("apptweb.port.arrived", map[string]any{"code": arr.Code}), Members: arr.Members, Rows: []apLink{
		{a.t("apptweb.appt.place"), locName(a.lang, arr.Location)},
		{a.t("apptweb.appt.when"), a.whenLocal(arr.Start, arr.Location)},
		{a.t("apptweb.appt.persons"), strconv.Itoa(arr.Size)},
	}}
	p.render(rw, r, http.StatusOK, "port_day", d)
}

func (p *apptPages) noShow(rw http.ResponseWriter, r *http.Request) {
	a, code, _, ok := p.port(rw, r, false)
	if !ok {
		return
	}
	if p.replayed(rw, r, a) {
		return
	}
	q := url.Values{"done": {"no_show"}}
	if date := r.PostForm.Get("date"); date != "" {
		if _, err := appointments.ParseDate(date); err == nil {
			q.Set("date", date)
		}
	}
	to := "/port/" + code + "?" + q.Encode()
	_, err := p.svc.NoShow(r.Context(), a.c, r.PathValue("id"))
	var se *senda.Error
	if errors.As(err, &se) && se.Key == "appointments.not_live" && se.Args["status"] == "no_show" {
		err = nil // marked already
	}
	if err != nil {
		p.fatal(rw, r, a, err)
		return
	}
	p.finish(rw, r, a, to)
}

// ---- Programme managers: capacity ----

type apLocationsPage struct {
	Ports, Offices []apLink
}

func (p *apptPages) capacityIndex(rw http.ResponseWriter, r *http.Request) {
	a := p.req(rw, r)
	var d apLocationsPage
	for _, l := range reference.Locations() {
		if !a.c.Scope.Contains(appointments.Place(l.Code)) {
			continue
		}
		link := apLink{locName(a.lang, l.Code) + " (" + l.Code + ")", "/capacity/" + l.Code}
		if l.Kind == reference.KindPort {
			d.Ports = append(d.Ports, link)
		} else {
			d.Offices = append(d.Offices, link)
		}
	}
	p.render(rw, r, http.StatusOK, "capacity_index", d)
}

type apCapacityPage struct {
	Title    string
	Notice   string
	Alert    *apAlert
	Template apForm
	Override apForm
	Delete   apForm
	Period   apForm
	Days     []apCapacityDay
	Links    []apLink
	Back     apLink
}

type apCapacityDay struct {
	Date  string
	Slots []apSlotRow
}

type apSlotRow struct {
	Start, Capacity, Booked, Held, Free, State string
}

// weekOrder is the order of the template's days on the page.
var weekOrder = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

func weekDay(w *appointments.Week, d time.Weekday) *[]appointments.SlotSpec {
	return [7]*[]appointments.SlotSpec{&w.Sun, &w.Mon, &w.Tue, &w.Wed, &w.Thu, &w.Fri, &w.Sat}[d]
}

// slotsText writes slots one per line, "HH:MM capacity".
func slotsText(specs []appointments.SlotSpec) string {
	var b strings.Builder
	for _, s := range specs {
		fmt.Fprintf(&b, "%s %d\n", s.Start, s.Capacity)
	}
	return b.String()
}

var slotLineRe = regexp.MustCompile(`^\s*(\d{1,2}:\d{2})\s*[ ,;=\t]\s*(\d{1,6})\s*$`)

// parseSlots reads slots written one per line, "HH:MM capacity". It
// returns the message of the first line it cannot read, or "".
func (a *apReq) parseSlots(text string) ([]appointments.SlotSpec, string) {
	out := []appointments.SlotSpec{}
	for i, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		m := slotLineRe.FindStringSubmatch(line)
		if m == nil {
			return nil, a.tf("apptweb.capacity.line", map[string]any{"line": i + 1})
		}
		start := m[1]
		if len(start) == 4 {
			start = "0" + start
		}
		n, _ := strconv.Atoi(m[2])
		out = append(out, appointments.SlotSpec{Start: start, Capacity: n})
	}
	return out, ""
}

// capacityCode reads the location of the path, in the caller's scope.
func capacityCode(r *http.Request, c appointments.Caller) (string, bool) {
	l, ok := reference.Location(r.PathValue("code"))
	if !ok || !c.Scope.Contains(appointments.Place(l.Code)) {
		return "", false
	}
	return l.Code, true
}

func (p *apptPages) capacityPage(ctx context.Context, a *apReq, code, from string, week *appointments.Week, values, errs map[string]string) (apCapacityPage, error) {
	loc := locZone(code)
	if _, err := appointments.ParseDate(from); err != nil {
		from = p.svc.DB.Now().In(loc).Format(time.DateOnly)
	}
	fromT, _ := time.Parse(time.DateOnly, from)
	to := fromT.AddDate(0, 0, 13).Format(time.DateOnly)
	d := apCapacityPage{Title: a.tf("apptweb.capacity.location", map[string]any{"location": locName(a.lang, code)}),
		Back:  apLink{a.t("apptweb.capacity.title"), "/capacity"},
		Links: []apLink{{a.t("apptweb.closures.title"), "/closures?location=" + code}}}
	if week == nil {
		w, err := p.svc.Template(ctx, code)
		if err != nil {
			return d, err
		}
		week = &w
	}
	key := a.key
	if key == "" {
		key = newKey()
	}
	d.Template = apForm{Action: "/capacity/" + code + "/template", Key: key, Submit: a.t("apptweb.capacity.template_submit")}
	for _, wd := range weekOrder {
		n := dayKeys[wd]
		v, ok := values[n]
		if !ok {
			v = slotsText(*weekDay(week, wd))
		}
		d.Template.Fields = append(d.Template.Fields, apField{ID: "day-" + n, Name: n, Kind: "textarea", Rows: 3, Label: a.t("apptweb.day." + n),
			Value: v, Error: errs[n]})
	}
	d.Override = apForm{Action: "/capacity/" + code + "/override", Key: newKey(), Submit: a.t("apptweb.capacity.override_submit"),
		Fields: []apField{
			{ID: "override-date", Name: "date", Kind: "date", Label: a.t("apptweb.capacity.date"), Value: values["date"], Error: errs["date"]},
			{ID: "override-slots", Name: "slots", Kind: "textarea", Rows: 4, Label: a.t("apptweb.capacity.slots"), Hint: a.t("apptweb.capacity.override_hint"),
				Value: values["slots"], Error: errs["slots"]},
		}}
	d.Delete = apForm{Action: "/capacity/" + code + "/override/delete", Key: newKey(), Submit: a.t("apptweb.capacity.delete_submit"), Secondary: true,
		Fields: []apField{{ID: "delete-date", Name: "date", Kind: "date", Label: a.t("apptweb.capacity.date"), Value: values["delete_date"], Error: errs["delete_date"]}}}
	d.Period = apForm{Action: "/capacity/" + code, Submit: a.t("apptweb.capacity.show"), Secondary: true,
		Fields: []apField{{ID: "from", Name: "from", Kind: "date", Label: a.t("apptweb.capacity.from"), Value: from}}}
	slots, err := p.svc.Capacity(ctx, code, from, to)
	if err != nil {
		return d, err
	}
	for _, s := range slots {
		if len(d.Days) == 0 || d.Days[len(d.Days)-1].Date != a.day(s.ServiceDate) {
			d.Days = append(d.Days, apCapacityDay{Date: a.day(s.ServiceDate)})
		}
		state := a.t("apptweb.capacity.state.open")
		switch {
		case s.Suspended:
			state = a.t("apptweb.capacity.state.suspended")
		case s.Planned:
			state = a.t("apptweb.capacity.state.planned")
		}
		day := &d.Days[len(d.Days)-1]
		day.Slots = append(day.Slots, apSlotRow{Start: s.LocalStart, Capacity: strconv.Itoa(s.Capacity), Booked: strconv.Itoa(s.Booked),
			Held: strconv.Itoa(s.Held), Free: strconv.Itoa(s.Free), State: state})
	}
	return d, nil
}

var capacityNotices = map[string]string{"template": "apptweb.capacity.saved_template", "override": "apptweb.capacity.saved_override",
	"override_deleted": "apptweb.capacity.deleted_override"}

func (p *apptPages) capacity(rw http.ResponseWriter, r *http.Request) {
	a := p.req(rw, r)
	code, ok := capacityCode(r, a.c)
	if !ok {
		p.fatal(rw, r, a, &senda.Error{Code: senda.CodeNotFound})
		return
	}
	d, err := p.capacityPage(r.Context(), a, code, r.Form.Get("from"), nil, nil, nil)
	if err != nil {
		p.fatal(rw, r, a, err)
		return
	}
	if k, ok := capacityNotices[r.Form.Get("saved")]; ok {
		d.Notice = a.t(k)
	}
	p.render(rw, r, http.StatusOK, "capacity_location", d)
}

// capacityFailed shows the capacity page again with the errors of a form.
func (p *apptPages) capacityFailed(rw http.ResponseWriter, r *http.Request, a *apReq, code string, week *appointments.Week, values map[string]string,
	status int, alert *apAlert, errs map[string]string) {
	d, err := p.capacityPage(r.Context(), a, code, values["date"], week, values, errs)
	if err != nil {
		p.fatal(rw, r, a, err)
		return
	}
	d.Alert = alert
	p.render(rw, r, status, "capacity_location", d)
}

func (p *apptPages) setTemplate(rw http.ResponseWriter, r *http.Request) {
	a := p.req(rw, r)
	code, ok := capacityCode(r, a.c)
	if !ok {
		p.fatal(rw, r, a, &senda.Error{Code: senda.CodeNotFound})
		return
	}
	if p.replayed(rw, r, a) {
		return
	}
	var week appointments.Week
	values, errs := map[string]string{}, map[string]string{}
	for _, wd := range weekOrder {
		n := dayKeys[wd]
		values[n] = r.PostForm.Get(n)
		specs, msg := a.parseSlots(values[n])
		if msg != "" {
			errs[n] = msg
			continue
		}
		*weekDay(&week, wd) = specs
	}
	if len(errs) > 0 {
		p.capacityFailed(rw, r, a, code, &week, values, http.StatusUnprocessableEntity, a.invalidAlert(), errs)
		return
	}
	if _, err := p.svc.SetTemplate(r.Context(), a.c, code, week); err != nil {
		status, alert, errs := p.failure(r, a, err, func(loc string) string {
			for _, n := range dayKeys {
				if strings.HasPrefix(loc, "body."+n) {
					return n
				}
			}
			return ""
		})
		p.capacityFailed(rw, r, a, code, &week, values, status, alert, errs)
		return
	}
	p.finish(rw, r, a, "/capacity/"+code+"?saved=template")
}

func (p *apptPages) setOverride(rw http.ResponseWriter, r *http.Request) {
	a := p.req(rw, r)
	code, ok := capacityCode(r, a.c)
	if !ok {
		p.fatal(rw, r, a, &senda.Error{Code: senda.CodeNotFound})
		return
	}
	if p.replayed(rw, r, a) {
		return
	}
	values := map[string]string{"date": strings.TrimSpace(r.PostForm.Get("date")), "slots": r.PostForm.Get("slots")}
	errs := map[string]string{}
	if _, err := appointments.ParseDate(values["date"]); err != nil {
		errs["date"] = a.t("validation.date")
	}
	specs, msg := a.parseSlots(values["slots"])
	if msg != "" {
		errs["slots"] = msg
	}
	if len(errs) > 0 {
		p.capacityFailed(rw, r, a, code, nil, values, http.StatusUnprocessableEntity, a.invalidAlert(), errs)
		return
	}
	if _, err := p.svc.SetOverride(r.Context(), a.c, code, values["date"], specs); err != nil {
		status, alert, errs := p.failure(r, a, err, func(loc string) string {
			switch {
			case loc == "path.date":
				return "date"
			case strings.HasPrefix(loc, "body.slots"):
				return "slots"
			}
			return ""
		})
		p.capacityFailed(rw, r, a, code, nil, values, status, alert, errs)
		return
	}
	p.finish(rw, r, a, "/capacity/"+code+"?saved=override&from="+values["date"])
}

func (p *apptPages) deleteOverride(rw http.ResponseWriter, r *http.Request) {
	a := p.req(rw, r)
	code, ok := capacityCode(r, a.c)
	if !ok {
		p.fatal(rw, r, a, &senda.Error{Code: senda.CodeNotFound})
		return
	}
	if p.replayed(rw, r, a) {
		return
	}
	date := strings.TrimSpace(r.PostForm.Get("date"))
	values := map[string]string{"delete_date": date}
	if _, err := appointments.ParseDate(date); err != nil {
		p.capacityFailed(rw, r, a, code, nil, values, http.StatusUnprocessableEntity, a.invalidAlert(), map[string]string{"delete_date": a.t("validation.date")})
		return
	}
	err := p.svc.DeleteOverride(r.Context(), a.c, code, date)
	if senda.ErrorCode(err) == senda.CodeNotFound {
		p.capacityFailed(rw, r, a, code, nil, values, http.StatusNotFound, a.invalidAlert(), map[string]string{"delete_date": a.t("apptweb.capacity.no_override")})
		return
	}
	if err != nil {
		status, alert, errs := p.failure(r, a, err, func(loc string) string {
			if loc == "path.date" {
				return "delete_date"
			}
			return ""
		})
		p.capacityFailed(rw, r, a, code, nil, values, status, alert, errs)
		return
	}
	p.finish(rw, r, a, "/capacity/"+code+"?saved=override_deleted&from="+date)
}

// ---- Closures ----

type apClosuresPage struct {
	Alert    *apAlert
	Rows     []apClosureRow
	Form     *apForm
	Location string
	Back     apLink
}

type apClosureRow struct {
	Place, Period, Reason, State, URL string
}

// period writes a closure's period in its location's time.
func (a *apReq) period(code string, from, until time.Time) string {
	loc := locZone(code)
	return a.tf("apptweb.closures.period", map[string]any{"from": a.when(from, loc), "until": a.when(until, loc), "zone": zoneLabel(loc.String())})
}

func (p *apptPages) closuresPage(ctx context.Context, a *apReq, location string, values, errs map[string]string) (apClosuresPage, error) {
	d := apClosuresPage{Location: location, Back: apLink{a.t("apptweb.index.title"), "/appointments"}}
	list, err := p.svc.Closures(ctx, a.c, location, p.svc.DB.Now())
	if err != nil {
		return d, err
	}
	for _, c := range list {
		state := a.t("apptweb.closures.active")
		if c.ReopenedAt != nil {
			state = a.t("apptweb.closures.reopened")
		}
		d.Rows = append(d.Rows, apClosureRow{Place: locName(a.lang, c.Location), Period: a.period(c.Location, c.From, c.Until), Reason: c.Reason,
			State: state, URL: "/closures/" + c.ID})
	}
	if a.c.Role != access.ProgrammeManager && a.c.Role != access.Admin {
		return d, nil
	}
	if values == nil {
		values = map[string]string{"location": location}
	}
	var locs []apOption
	locs = append(locs, apOption{Value: "", Label: a.t("apptweb.request.none")})
	for _, l := range reference.Locations() {
		if a.c.Scope.Contains(appointments.Place(l.Code)) {
			locs = append(locs, apOption{Value: l.Code, Label: locName(a.lang, l.Code) + " (" + l.Code + ")", Selected: l.Code == values["location"]})
		}
	}
	key := a.key
	if key == "" {
		key = newKey()
	}
	d.Form = &apForm{Action: "/closures", Key: key, Submit: a.t("apptweb.closures.submit"), Fields: []apField{
		{ID: "location", Name: "location", Kind: "select", Label: a.t("apptweb.closures.location"), Options: locs, Error: errs["location"]},
		{ID: "from-date", Name: "from_date", Kind: "date", Label: a.t("apptweb.closures.from_date"), Hint: a.t("apptweb.closures.local_hint"),
			Value: values["from_date"], Error: errs["from_date"]},
		{ID: "from-time", Name: "from_time", Kind: "time", Label: a.t("apptweb.closures.from_time"), Value: values["from_time"], Error: errs["from_time"]},
		{ID: "until-date", Name: "until_date", Kind: "date", Label: a.t("apptweb.closures.until_date"), Value: values["until_date"], Error: errs["until_date"]},
		{ID: "until-time", Name: "until_time", Kind: "time", Label: a.t("apptweb.closures.until_time"), Value: values["until_time"], Error: errs["until_time"]},
		{ID: "starts", Name: "starts", Kind: "text", Label: a.t("apptweb.closures.starts"), Hint: a.t("apptweb.closures.starts_hint"),
			Optional: a.t("apptweb.optional"), Value: values["starts"], Error: errs["starts"], MaxLength: 600},
		{ID: "reason", Name: "reason", Kind: "textarea", Rows: 3, Label: a.t("apptweb.closures.reason"), Hint: a.t("apptweb.closures.reason_hint"),
			Value: values["reason"], Error: errs["reason"], MaxLength: 300},
	}}
	return d, nil
}

func (p *apptPages) closures(rw http.ResponseWriter, r *http.Request) {
	a := p.req(rw, r)
	location := r.Form.Get("location")
	if location != "" {
		l, ok := reference.Location(location)
		if !ok {
			p.fatal(rw, r, a, &senda.Error{Code: senda.CodeNotFound})
			return
		}
		location = l.Code
	}
	d, err := p.closuresPage(r.Context(), a, location, nil, nil)
	if err != nil {
		p.fatal(rw, r, a, err)
		return
	}
	p.render(rw, r, http.StatusOK, "capacity_closures", d)
}

var hhmmRe = regexp.MustCompile(`^\d{1,2}:\d{2}$`)

// localTime reads a date and a local time at a location.
func localTime(date, clock string, loc *time.Location) (time.Time, bool) {
	t, err := time.ParseInLocation("2006-01-02 15:04", date+" "+clock, loc)
	return t, err == nil
}

func (p *apptPages) createClosure(rw http.ResponseWriter, r *http.Request) {
	a := p.req(rw, r)
	if p.replayed(rw, r, a) {
		return
	}
	ctx := r.Context()
	values := map[string]string{}
	for _, n := range []string{"location", "from_date", "from_time", "until_date", "until_time", "starts", "reason"} {
		values[n] = strings.TrimSpace(r.PostForm.Get(n))
	}
	errs := map[string]string{}
	code := ""
	if l, ok := reference.Location(values["location"]); ok {
		code = l.Code
	} else {
		errs["location"] = a.t("validation.required")
	}
	if values["from_time"] == "" {
		values["from_time"] = "00:00"
	}
	if values["until_time"] == "" {
		values["until_time"] = "00:00"
	}
	loc := locZone(code)
	from, okFrom := localTime(values["from_date"], values["from_time"], loc)
	until, okUntil := localTime(values["until_date"], values["until_time"], loc)
	if !okFrom {
		errs["from_date"] = a.t("validation.date")
	}
	if !okUntil {
		errs["until_date"] = a.t("validation.date")
	}
	var starts []string
	for _, s := range strings.FieldsFunc(values["starts"], func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		if !hhmmRe.MatchString(s) {
			errs["starts"] = a.t("appointments.slot_start")
			break
		}
		if len(s) == 4 {
			s = "0" + s
		}
		starts = append(starts, s)
	}
	if values["reason"] == "" {
		errs["reason"] = a.t("validation.required")
	}
	if len(errs) > 0 {
		p.closuresFailed(rw, r, a, values, http.StatusUnprocessableEntity, a.invalidAlert(), errs)
		return
	}
	in := appointments.ClosureInput{Location: code, From: from, Until: until, Starts: starts, Reason: values["reason"]}
	if id := p.sameClosure(ctx, a, in); id != "" {
		p.finish(rw, r, a, "/closures/"+id+"?created=1")
		return
	}
	c, err := p.svc.CreateClosure(ctx, a.c, in)
	if err != nil {
		status, alert, errs := p.failure(r, a, err, func(loc string) string {
			switch {
			case loc == "body.location":
				return "location"
			case loc == "body.until":
				return "until_date"
			case loc == "body.from":
				return "from_date"
			case loc == "body.reason":
				return "reason"
			case strings.HasPrefix(loc, "body.starts"):
				return "starts"
			}
			return ""
		})
		p.closuresFailed(rw, r, a, values, status, alert, errs)
		return
	}
	p.finish(rw, r, a, "/closures/"+c.ID+"?created=1")
}

// sameClosure finds the closure this caller made a moment ago with the very
// same inputs: the same form sent twice, perhaps to another node.
func (p *apptPages) sameClosure(ctx context.Context, a *apReq, in appointments.ClosureInput) string {
	now := p.svc.DB.Now()
	list, err := p.svc.Closures(ctx, a.c, in.Location, in.From.Add(-time.Second))
	if err != nil {
		return ""
	}
	starts := append([]string(nil), in.Starts...)
	sort.Strings(starts)
	for _, c := range list {
		if c.CreatedBy == a.c.Actor() && now.Sub(c.CreatedAt) < 10*time.Minute && c.ReopenedAt == nil && c.From.Equal(in.From.UTC().Truncate(time.Second)) &&
			c.Until.Equal(in.Until.UTC().Truncate(time.Second)) && c.Reason == in.Reason && strings.Join(c.Starts, ",") == strings.Join(starts, ",") {
			return c.ID
		}
	}
	return ""
}

func (p *apptPages) closuresFailed(rw http.ResponseWriter, r *http.Request, a *apReq, values map[string]string, status int, alert *apAlert, errs map[string]string) {
	d, err := p.closuresPage(r.Context(), a, values["location"], values, errs)
	if err != nil {
		p.fatal(rw, r, a, err)
		return
	}
	d.Alert = alert
	p.render(rw, r, status, "capacity_closures", d)
}

type apClosurePage struct {
	Title  string
	Notice string
	Rows   []apLink
	Moves  []apMoveRow
	Reopen *apForm
	Back   apLink
}

type apMoveRow struct {
	Code, From, To, Outcome, Notified string
}

func (p *apptPages) closure(rw http.ResponseWriter, r *http.Request) {
	a := p.req(rw, r)
	ctx := r.Context()
	c, err := p.svc.ClosureReport(ctx, a.c, r.PathValue("id"))
	if err != nil {
		p.fatal(rw, r, a, err)
		return
	}
	d := apClosurePage{Title: a.tf("apptweb.closure.title", map[string]any{"location": locName(a.lang, c.Location)}),
		Back: apLink{a.t("apptweb.closures.title"), "/closures?location=" + c.Location}}
	starts := a.t("apptweb.closure.all_slots")
	if len(c.Starts) > 0 {
		starts = strings.Join(c.Starts, ", ")
	}
	state := a.t("apptweb.closures.active")
	if c.ReopenedAt != nil {
		state = a.tf("apptweb.closure.reopened_at", map[string]any{"when": a.when(*c.ReopenedAt, locZone(c.Location))})
	}
	d.Rows = []apLink{
		{a.t("apptweb.closures.location"), locName(a.lang, c.Location) + " (" + c.Location + ")"},
		{a.t("apptweb.closure.period"), a.period(c.Location, c.From, c.Until)},
		{a.t("apptweb.closures.starts"), starts},
		{a.t("apptweb.closures.reason"), c.Reason},
		{a.t("apptweb.closure.state"), state},
		{a.t("apptweb.closure.moved"), strconv.Itoa(len(c.Moves))},
	}
	switch {
	case r.Form.Get("created") != "":
		d.Notice = a.tf("apptweb.closure.created", map[string]any{"count": len(c.Moves)})
	case r.Form.Get("reopened") != "":
		d.Notice = a.t("apptweb.closure.reopened_now")
	}
	for i, m := range c.Moves {
		row := apMoveRow{Code: m.AppointmentID, From: a.moveSlot(m.From), To: a.t("apptweb.closure.nowhere"), Outcome: a.t("apptweb.closure.outcome." + m.Outcome),
			Notified: a.t("apptweb.no")}
		if m.To != nil {
			row.To = a.moveSlot(*m.To)
		}
		if m.Notified {
			row.Notified = a.t("apptweb.yes")
		}
		// The code is what staff and households quote; look it up while
		// the report is of a reasonable size.
		if i < 500 {
			if ap, err := p.svc.Get(ctx, a.c, m.AppointmentID); err == nil {
				row.Code = ap.Code
			}
		}
		d.Moves = append(d.Moves, row)
	}
	if c.ReopenedAt == nil && (a.c.Role == access.ProgrammeManager || a.c.Role == access.Admin) {
		d.Reopen = &apForm{Action: "/closures/" + c.ID + "/reopen", Key: newKey(), Submit: a.t("apptweb.closure.reopen")}
	}
	p.render(rw, r, http.StatusOK, "capacity_closure", d)
}

func (a *apReq) moveSlot(s appointments.SlotRef) string {
	return locName(a.lang, s.Location) + ", " + a.when(s.Start, locZone(s.Location))
}

func (p *apptPages) reopen(rw http.ResponseWriter, r *http.Request) {
	a := p.req(rw, r)
	if p.replayed(rw, r, a) {
		return
	}
	id := r.PathValue("id")
	_, err := p.svc.Reopen(r.Context(), a.c, id)
	var se *senda.Error
	if errors.As(err, &se) && se.Key == "appointments.closure_reopened" {
		err = nil
	}
	if err != nil {
		p.fatal(rw, r, a, err)
		return
	}
	p.finish(rw, r, a, "/closures/"+url.PathEscape(id)+"?reopened=1")
}

// ---- The public draw pages ----

type apDrawsPage struct {
	Rows   []apDrawRow
	Verify string
}

type apDrawRow struct {
	Date, Status, Requests, Allocations, URL string
}

func (p *apptPages) draws(rw http.ResponseWriter, r *http.Request) {
	a := p.req(rw, r)
	now := p.svc.DB.Now()
	list, err := p.svc.Draws(r.Context(), now.AddDate(0, 0, -30).Format(time.DateOnly), now.AddDate(0, 0, 7).Format(time.DateOnly))
	if err != nil {
		p.fatal(rw, r, a, err)
		return
	}
	d := apDrawsPage{Verify: "/static/verify/verify.html"}
	for _, x := range list {
		row := apDrawRow{Date: a.day(x.ServiceDate), Status: a.t("apptweb.draw.status." + x.Status), URL: "/draws/" + x.ServiceDate, Requests: "—", Allocations: "—"}
		if x.Status != "open" {
			row.Requests = strconv.Itoa(x.Requests)
		}
		if x.Status == "drawn" || x.Status == "published" {
			row.Allocations = strconv.Itoa(x.Allocations)
		}
		d.Rows = append(d.Rows, row)
	}
	rw.Header().Set("Cache-Control", "no-cache")
	p.web.Render(rw, r, http.StatusOK, "draw_index", d)
}

type apDrawPage struct {
	Title  string
	Status string
	Steps  []apDrawStep
	Record string
	Verify string
	Back   apLink
	Zone   string
}

// apDrawStep is one stage of a draw: what is public, once it is.
type apDrawStep struct {
	Title, When string
	Done        bool
	Rows        []apLink
	Note        string
}

func (p *apptPages) draw(rw http.ResponseWriter, r *http.Request) {
	a := p.req(rw, r)
	date := r.PathValue("date")
	if _, err := appointments.ParseDate(date); err != nil {
		p.fatal(rw, r, a, &senda.Error{Code: senda.CodeNotFound})
		return
	}
	info, err := p.svc.Draw(r.Context(), date)
	if senda.ErrorCode(err) == senda.CodeNotFound {
		w := p.svc.WindowFor(p.svc.DB.Now(), date, a.zone.String())
		p.message(rw, r, http.StatusNotFound, a.tf("apptweb.draw.title", map[string]any{"service_date": a.day(date)}),
			a.tf("apptweb.draw.none", map[string]any{"opens": a.whenZone(w.OpensAt, a.zone)}), apLink{a.t("apptweb.draws.title"), "/draws"})
		return
	}
	if err != nil {
		p.fatal(rw, r, a, err)
		return
	}
	zone := a.zone
	d := apDrawPage{Title: a.tf("apptweb.draw.title", map[string]any{"service_date": a.day(date)}), Status: a.t("apptweb.draw.status." + info.Status),
		Record: "/api/v1/draws/" + date, Verify: "/static/verify/verify.html", Back: apLink{a.t("apptweb.draws.title"), "/draws"}, Zone: zoneLabel(zone.String())}
	closed := info.Status != "open"
	published := info.Status == "published"
	d.Steps = []apDrawStep{
		{Title: a.t("apptweb.draw.step.commit"), When: a.tf("apptweb.draw.before", map[string]any{"when": a.whenZone(info.OpensAt, zone)}), Done: true,
			Rows: []apLink{{a.t("apptweb.draw.commitment"), info.Commitment}}, Note: a.t("apptweb.draw.commit_note")},
		{Title: a.t("apptweb.draw.step.close"), When: a.whenZone(info.ClosesAt, zone), Done: closed, Note: a.t("apptweb.draw.close_note")},
		{Title: a.t("apptweb.draw.step.publish"), Done: published, Note: a.t("apptweb.draw.publish_note")},
	}
	if closed {
		d.Steps[1].Rows = []apLink{{a.t("apptweb.draw.requests_root"), info.RequestsRoot}, {a.t("apptweb.draw.requests"), strconv.Itoa(info.Requests)}}
	}
	if info.PublishedAt != nil {
		d.Steps[2].When = a.whenZone(*info.PublishedAt, zone)
	}
	if published {
		guarantee := a.t("apptweb.draw.guarantee." + info.Guarantee)
		if info.Beacon != nil {
			guarantee = a.tf("apptweb.draw.beacon", map[string]any{"source": info.Beacon.Source, "round": info.Beacon.Round})
		}
		d.Steps[2].Rows = []apLink{{a.t("apptweb.draw.seed"), info.Seed}, {a.t("apptweb.draw.requests"), strconv.Itoa(info.Requests)},
			{a.t("apptweb.draw.allocations"), strconv.Itoa(info.Allocations)}, {a.t("apptweb.draw.guarantee"), guarantee},
			{a.t("apptweb.draw.priority_share"), a.tf("apptweb.draw.percent", map[string]any{"percent": strconv.FormatFloat(float64(info.PriorityShareBP)/100, 'f', -1, 64)})}}
	}
	rw.Header().Set("Cache-Control", "no-cache")
	p.web.Render(rw, r, http.StatusOK, "draw_view", d)
}
