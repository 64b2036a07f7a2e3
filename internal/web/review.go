package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

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

// mountReview registers the household view and list and the review queues.
func (p *regPages) mountReview(s *sendahttp.Server) {
	h := func(f func(http.ResponseWriter, *http.Request)) http.Handler { return http.HandlerFunc(f) }
	staff := access.Roles(access.Caseworker, access.Admin)
	s.Handle("GET /households", staff, h(p.list))
	s.Handle("GET /households/{id}", access.Roles(access.Applicant, access.Caseworker, access.Admin), h(p.view))
	s.Handle("GET /review/duplicates", staff, h(p.duplicates))
	s.Handle("POST /review/duplicates/{id}", staff, h(p.decide))
	s.Handle("GET /review/fraud", staff, h(p.fraud))
}

// ---- The household view ----

// hhPage is the data of the household view.
type hhPage struct {
	Title   string
	Receipt string
	Rows    []regRow
	Members []hhMember
	Export  string
	Back    *regLink
	Edit    *regLink
}

// hhMember is one person of the household view.
type hhMember struct {
	Name    string
	Rows    []regRow
	Answers []regRow
}

func (p *regPages) view(rw http.ResponseWriter, r *http.Request) {
	f := p.flow(rw, r)
	h, err := p.svc.Get(r.Context(), f.caller, r.PathValue("id"))
	if err != nil {
		p.fatal(rw, r, err)
		return
	}
	f.h = h
	d := hhPage{Title: f.t("household.view.title"), Receipt: h.Receipt, Export: "/api/v1/households/" + h.ID + "/export"}
	d.Rows = []regRow{
		{f.t("household.view.status"), f.t("household.status." + h.Status)},
		{f.t("household.view.version"), strconv.Itoa(h.Version)},
		{f.t("household.view.updated"), h.Updated.UTC().Format("2006-01-02 15:04 UTC")},
		{f.t("household.view.place"), h.Place},
		{f.t("household.view.size"), strconv.Itoa(h.Size())},
		{f.t("register.field.us_address"), addressText(h.Address, f.t("register.review.none"))},
	}
	if h.Language != "" {
		d.Rows = append(d.Rows, regRow{f.t("household.view.language"), i18n.Names[h.Language]})
	}
	if c := h.Consent; c != nil {
		d.Rows = append(d.Rows, regRow{f.t("household.view.consent"), c.GivenAt.UTC().Format("2006-01-02") + " · " + f.optT("register.consent.method.", c.Method) + " · " + c.Purpose})
	}
	for _, m := range h.Members {
		d.Members = append(d.Members, hhMember{Name: personName(m), Rows: f.memberRows(m), Answers: f.screeningAnswers(m.Screening)})
	}
	switch f.caller.Role {
	case access.Caseworker, access.Admin:
		d.Back = &regLink{Label: f.t("household.list.title"), URL: "/households"}
	case access.Applicant:
		if h.Status == "draft" {
			d.Edit = &regLink{Label: f.t("household.view.continue"), URL: "/register/" + h.ID + "/review"}
		}
	}
	p.render(rw, r, http.StatusOK, "household_view", d)
}

// memberRows are what the household view shows of a person besides the
// screening answers.
func (f *regFlow) memberRows(m household.Member) []regRow {
	none := f.t("register.review.none")
	or := func(s string) string {
		if s == "" {
			return none
		}
		return s
	}
	rows := []regRow{
		{f.t("household.view.relationship"), f.t("register.rel." + string(m.Relationship))},
		{f.t("household.view.given_names"), or(m.GivenNames)},
		{f.t("household.view.surnames"), or(strings.Join(m.Surnames, " · "))},
		{f.t("register.field.birth"), f.birthText(m.BirthDate)},
		{f.t("register.field.sex"), or(f.optT("register.sex.", m.Sex))},
		{f.t("register.field.phone"), or(m.Phone)},
	}
	if m.Email != "" {
		rows = append(rows, regRow{f.t("household.view.email"), m.Email})
	}
	if len(m.Languages) > 0 {
		rows = append(rows, regRow{f.t("household.view.languages"), strings.Join(m.Languages, ", ")})
	}
	if len(m.Documents) == 0 {
		rows = append(rows, regRow{f.t("household.view.documents"), none})
	}
	for _, d := range m.Documents {
		v := d.Number
		if d.IssuingState != "" {
			v += " · " + d.IssuingState
		}
		if d.ExpiryDate != "" {
			v += " · " + f.tf("register.review.expires", map[string]any{"date": d.ExpiryDate})
		}
		rows = append(rows, regRow{f.t("register.doc." + d.Type), v})
	}
	return rows
}

// countryPaths are the screening answers that hold country codes.
var countryPaths = map[string]bool{"nationality": true, "current_country": true, "other_nationalities": true,
	"permanent_residence_countries": true, "refugee_status_countries": true}

// screeningAnswers lists every answered screening fact with its
// plain-words question, in the schema's order. Unanswered ones ("I don't
// know") are left out.
func (f *regFlow) screeningAnswers(s profile.Person) []regRow {
	b, _ := json.Marshal(s)
	var m map[string]any
	json.Unmarshal(b, &m)
	var out []regRow
	for _, path := range profile.Paths() {
		v, ok := m[path]
		if !ok || strings.Contains(path, ".") || path == "role" {
			continue
		}
		out = append(out, regRow{profile.Question(f.lang, path), f.answerText(path, v)})
	}
	return out
}

func (f *regFlow) answerText(path string, v any) string {
	switch x := v.(type) {
	case bool:
		if x {
			return f.t("register.answer.yes")
		}
		return f.t("register.answer.no")
	case string:
		if countryPaths[path] {
			return countryName(f.lang, x)
		}
		if sub, ok := reference.Subdivision(x); ok && path == "current_region" {
			return sub.Name + " (" + x + ")"
		}
		return x
	case []any:
		if len(x) == 0 {
			return f.t("register.review.none")
		}
		var parts []string
		for _, e := range x {
			parts = append(parts, f.answerText(path, e))
		}
		return strings.Join(parts, ", ")
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// ---- The list of households ----

// hhListPage is the data of the household list.
type hhListPage struct {
	Document, Phone string
	Searched        bool
	Rows            []hhRow
	Next            string
	Alert           *regAlert
	Errors          map[string]string
}

// hhRow is a household in a list: no names.
type hhRow struct {
	Receipt, Place, Status, Nationality, URL string
	Size                                     int
}

func (f *regFlow) rows(list []households.Summary) []hhRow {
	var out []hhRow
	for _, s := range list {
		out = append(out, hhRow{Receipt: s.Receipt, Place: s.Place, Status: f.t("household.status." + s.Status),
			Nationality: countryName(f.lang, s.Nationality), Size: s.Size, URL: "/households/" + s.ID})
	}
	return out
}

const hhPageSize = 50

func (p *regPages) list(rw http.ResponseWriter, r *http.Request) {
	f := p.flow(rw, r)
	q := r.URL.Query()
	d := hhListPage{Document: strings.TrimSpace(q.Get("document")), Phone: strings.TrimSpace(q.Get("phone")), Errors: map[string]string{}}
	var list []households.Summary
	var err error
	switch {
	case len(d.Document) > 32 || len(d.Phone) > 32:
		d.Errors["document"] = f.tf("validation.max_length", map[string]any{"max": 32})
	case d.Document != "":
		d.Searched = true
		list, err = p.svc.FindBy(r.Context(), f.caller, "document", d.Document)
	case d.Phone != "":
		d.Searched = true
		list, err = p.svc.FindBy(r.Context(), f.caller, "phone", d.Phone)
	default:
		after := q.Get("after")
		if len(after) > 64 {
			after = ""
		}
		list, err = p.svc.List(r.Context(), f.caller, after, hhPageSize)
		if len(list) == hhPageSize {
			d.Next = "/households?after=" + url.QueryEscape(list[len(list)-1].ID)
		}
	}
	if err != nil {
		p.fatal(rw, r, err)
		return
	}
	d.Rows = f.rows(list)
	status := http.StatusOK
	if len(d.Errors) > 0 {
		status = http.StatusUnprocessableEntity
		d.Alert = &regAlert{Title: f.t("error.invalid.title"), Detail: f.t("error.invalid.detail")}
	}
	p.render(rw, r, status, "household_list", d)
}

// ---- Duplicates ----

// dupPage is the data of the duplicates queue.
type dupPage struct {
	Notice string
	Pairs  []dupPair
}

type dupPair struct {
	Score   string
	Reasons []string
	A, B    dupSide
	Action  string
}

type dupSide struct{ Name, BirthDate, Receipt, URL string }

var dupNotices = map[string]string{"confirmed": "review.done.confirmed", "dismissed": "review.done.dismissed", "already": "review.done.already"}

func (p *regPages) duplicates(rw http.ResponseWriter, r *http.Request) {
	f := p.flow(rw, r)
	pairs, err := p.svc.Pairs(r.Context(), f.caller, "open", 50)
	if err != nil {
		p.fatal(rw, r, err)
		return
	}
	var d dupPage
	if k, ok := dupNotices[r.URL.Query().Get("done")]; ok {
		d.Notice = f.t(k)
	}
	side := func(s households.PairSide) dupSide {
		return dupSide{Name: s.Name, BirthDate: f.birthText(profile.PartialDate(s.BirthDate)), Receipt: s.Receipt, URL: "/households/" + s.Household}
	}
	for _, pv := range pairs {
		dp := dupPair{Score: fmt.Sprintf("%.0f%%", pv.Score*100), A: side(pv.A), B: side(pv.B), Action: "/review/duplicates/" + pv.ID}
		for _, reason := range pv.Reasons {
			k := "review.reason." + reason
			if !i18n.Has(k) {
				dp.Reasons = append(dp.Reasons, reason)
				continue
			}
			dp.Reasons = append(dp.Reasons, f.t(k))
		}
		d.Pairs = append(d.Pairs, dp)
	}
	p.render(rw, r, http.StatusOK, "review_duplicates", d)
}

func (p *regPages) decide(rw http.ResponseWriter, r *http.Request) {
	f := p.flow(rw, r)
	decision := r.PostForm.Get("decision")
	err := p.svc.Decide(r.Context(), f.caller, r.PathValue("id"), decision)
	switch senda.ErrorCode(err) {
	case "":
		http.Redirect(rw, r, "/review/duplicates?done="+decision, http.StatusSeeOther)
	case senda.CodeConflict:
		// Decided already, perhaps by the same button pressed twice.
		http.Redirect(rw, r, "/review/duplicates?done=already", http.StatusSeeOther)
	case senda.CodeInvalid:
		p.render(rw, r, http.StatusUnprocessableEntity, "error", ErrorPage{Title: "error.invalid.title", Body: "review.decision_invalid"})
	default:
		p.fatal(rw, r, err)
	}
}

// ---- Fraud patterns ----

// fraudPage is the data of the fraud queue.
type fraudPage struct {
	Min      int
	Mins     []regOption
	Sections []fraudSection
}

type fraudSection struct {
	Heading, Lead string
	Clusters      [][]hhRow
}

func (p *regPages) fraud(rw http.ResponseWriter, r *http.Request) {
	f := p.flow(rw, r)
	min, err := strconv.Atoi(r.URL.Query().Get("min"))
	if err != nil || min < 2 || min > 1000 {
		min = 3
	}
	d := fraudPage{Min: min}
	for _, n := range []int{2, 3, 5, 10, 20} {
		d.Mins = append(d.Mins, regOption{Value: strconv.Itoa(n), Label: strconv.Itoa(n), Selected: n == min})
	}
	ctx := r.Context()
	err = p.srv.DB.View(ctx, func(tx *store.Tx) error {
		for _, kind := range []string{"phone", "address"} {
			sec := fraudSection{Heading: f.t("review.fraud." + kind), Lead: f.tf("review.fraud."+kind+"_lead", map[string]any{"min": min})}
			groups, err := tx.IndexCounts(ctx, kind, min)
			if err != nil {
				return err
			}
			for _, ids := range groups {
				var cl []households.Summary
				for _, id := range ids {
					row, err := tx.Household(ctx, id)
					if err != nil {
						return err
					}
					if f.caller.Scope.Contains(row.Place) {
						cl = append(cl, households.Summary{ID: row.ID, Receipt: row.Receipt, Place: row.Place, Status: row.Status, Size: row.Size, Nationality: row.Nationality})
					}
				}
				if len(cl) >= min {
					sec.Clusters = append(sec.Clusters, f.rows(cl))
				}
			}
			// Largest clusters first; the same order on every visit.
			sort.Slice(sec.Clusters, func(i, j int) bool {
				a, b := sec.Clusters[i], sec.Clusters[j]
				if len(a) != len(b) {
					return len(a) > len(b)
				}
				return a[0].Receipt < b[0].Receipt
			})
			d.Sections = append(d.Sections, sec)
		}
		return nil
	})
	if err != nil {
		p.fatal(rw, r, err)
		return
	}
	p.render(rw, r, http.StatusOK, "review_fraud", d)
}
