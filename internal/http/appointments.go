package http

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"time"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"

	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/appointments"
)

// apptFileOut is a response whose body is written as it is.
type apptFileOut struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	CacheControl       string `header:"Cache-Control"`
	DrawStatus         string `header:"X-Senda-Draw-Status"`
	Body               []byte
}

// RegisterAppointments adds appointments: the public draw records and pass
// verification, requests, confirmation, passes and calendar files for
// households, capacity and closures for programme managers, arrivals and
// check-in for port officers.
func (s *Server) RegisterAppointments(svc *appointments.Service) {
	holders := access.Roles(access.Applicant, access.Helper)
	viewers := access.Roles(access.Applicant, access.Helper, access.Admin, access.Caseworker, access.ProgrammeManager, access.PortOfficer)
	managers := access.Roles(access.ProgrammeManager, access.Admin)
	officers := access.Roles(access.PortOfficer, access.Admin)
	caller := func(ctx context.Context) appointments.Caller { return s.Caller(ctx, svc.Keys) }

	// Draws: public, without personal data.
	dtags := []string{"Draws"}
	type dateIn struct {
		ServiceDate string `path:"service_date" maxLength:"10" doc:"YYYY-MM-DD" example:"2025-03-01"`
	}
	Register(s, access.Public, huma.Operation{OperationID: "get-draw-record", Method: "GET", Path: "/api/v1/draws/{service_date}", Tags: dtags,
		Summary: "The draw record of a date (senda-draw/1)",
		Description: "Readable without signing in and free of personal data (docs/draw/SPEC.md). Before the window closes it holds the commitment only; " +
			"after the close the frozen slots and requests with the requests root; after the draw the seed and the allocations, and then `senda draw verify` " +
			"or the verifier page checks it. X-Senda-Draw-Status gives the status."},
		func(ctx context.Context, in *dateIn) (*apptFileOut, error) {
			b, info, err := svc.Record(ctx, in.ServiceDate)
			if err != nil {
				return nil, err
			}
			cache := "no-cache"
			if info.Status == "published" {
				cache = "public, max-age=3600"
			}
			return &apptFileOut{ContentType: "application/json", CacheControl: cache, DrawStatus: info.Status,
				ContentDisposition: `inline; filename="senda-draw-` + in.ServiceDate + `.json"`, Body: b}, nil
		})
	Register(s, access.Public, huma.Operation{OperationID: "get-draw-status", Method: "GET", Path: "/api/v1/draws/{service_date}/status", Tags: dtags,
		Summary: "Where the draw of a date stands: times, commitment, requests root, beacon, counts"},
		func(ctx context.Context, in *dateIn) (*struct{ Body appointments.DrawInfo }, error) {
			d, err := svc.Draw(ctx, in.ServiceDate)
			return &struct{ Body appointments.DrawInfo }{d}, err
		})
	type drawsIn struct {
		From string `query:"from" format:"date" doc:"First date (default: 30 days ago)"`
		To   string `query:"to" format:"date" doc:"Last date (default: 7 days ahead)"`
	}
	Register(s, access.Public, huma.Operation{OperationID: "list-draws", Method: "GET", Path: "/api/v1/draws", Tags: dtags,
		Summary: "Draws between two dates, newest first"},
		func(ctx context.Context, in *drawsIn) (*struct{ Body []appointments.DrawInfo }, error) {
			now := svc.DB.Now()
			if in.From == "" {
				in.From = now.AddDate(0, 0, -30).Format(appointments.DateLayout)
			}
			if in.To == "" {
				in.To = now.AddDate(0, 0, 7).Format(appointments.DateLayout)
			}
			l, err := svc.Draws(ctx, in.From, in.To)
			return &struct{ Body []appointments.DrawInfo }{l}, err
		})
	Register(s, access.Roles(access.Admin), huma.Operation{OperationID: "execute-draw", Method: "POST", Path: "/api/v1/draws/{service_date}/execute", Tags: dtags,
		Summary: "Run every step of a date's draw that is due now", Description: "Commitment, close, beacon, allocation, publication: each runs once; calling again does nothing more."},
		func(ctx context.Context, in *dateIn) (*struct{ Body appointments.DrawInfo }, error) {
			d, err := svc.Execute(ctx, caller(ctx), in.ServiceDate)
			return &struct{ Body appointments.DrawInfo }{d}, err
		})

	// Requests and appointments of households.
	atags := []string{"Appointments"}
	type windowIn struct {
		TimeZone string `query:"time_zone" maxLength:"64" doc:"Write the times in this time zone (IANA)" example:"America/Tijuana"`
	}
	Register(s, access.Public, huma.Operation{OperationID: "get-request-window", Method: "GET", Path: "/api/v1/appointments/window", Tags: atags,
		Summary: "The request window open now, or the next one"},
		func(ctx context.Context, in *windowIn) (*struct{ Body appointments.Window }, error) {
			return &struct{ Body appointments.Window }{svc.WindowAt(svc.DB.Now(), in.TimeZone)}, nil
		})
	type submitIn struct {
		Body appointments.RequestInput
	}
	// One handler behind both paths of the request: the lean one and huma's.
	submit := func(ctx context.Context, in appointments.RequestInput) (*appointments.Request, error) {
		return svc.Submit(ctx, caller(ctx), in)
	}
	Register(s, holders, huma.Operation{OperationID: "request-appointment", Method: "POST", Path: "/api/v1/appointment-requests", Tags: atags,
		Summary: "Ask for an appointment on the date whose window is open",
		Description: "One request per household and date: sending again replaces it (and keeps its id). The whole household travels together and counts " +
			"against capacity. Outside the window the answer (409, appointments.window_closed) gives the next opening in your time zone. " +
			"Answered only once the request is safely stored.",
		Errors: []int{409, 422},
		// Thousands a second while a window is open: see lean.
		Middlewares: huma.Middlewares{lean(s.api, decodeRequestInput, func(ctx context.Context, in appointments.RequestInput) (any, error) {
			return submit(ctx, in)
		})}},
		func(ctx context.Context, in *submitIn) (*struct{ Body *appointments.Request }, error) {
			r, err := submit(ctx, in.Body)
			return &struct{ Body *appointments.Request }{r}, err
		})
	type householdIn struct {
		HouseholdID string `query:"household_id" maxLength:"64" doc:"Only this household"`
	}
	Register(s, holders, huma.Operation{OperationID: "list-appointment-requests", Method: "GET", Path: "/api/v1/appointment-requests", Tags: atags,
		Summary: "Your requests, with your request ids"},
		func(ctx context.Context, in *householdIn) (*struct{ Body []appointments.Request }, error) {
			l, err := svc.Requests(ctx, caller(ctx), in.HouseholdID)
			return &struct{ Body []appointments.Request }{l}, err
		})
	type withdrawIn struct {
		ServiceDate string `path:"service_date" maxLength:"10"`
		HouseholdID string `query:"household_id" maxLength:"64"`
	}
	Register(s, holders, huma.Operation{OperationID: "withdraw-appointment-request", Method: "DELETE", Path: "/api/v1/appointment-requests/{service_date}", Tags: atags,
		DefaultStatus: 204, Summary: "Take back your request for a date while its window is open", Errors: []int{409}},
		func(ctx context.Context, in *withdrawIn) (*emptyOut, error) {
			return &emptyOut{}, svc.Withdraw(ctx, caller(ctx), in.HouseholdID, in.ServiceDate)
		})
	Register(s, holders, huma.Operation{OperationID: "list-appointments", Method: "GET", Path: "/api/v1/appointments", Tags: atags,
		Summary: "Your appointments"},
		func(ctx context.Context, in *householdIn) (*struct{ Body []appointments.Appointment }, error) {
			l, err := svc.Mine(ctx, caller(ctx), in.HouseholdID)
			return &struct{ Body []appointments.Appointment }{l}, err
		})
	type idIn struct {
		ID string `path:"id" maxLength:"64"`
	}
	type apptOut struct {
		Body *appointments.Appointment
	}
	Register(s, viewers, huma.Operation{OperationID: "get-appointment", Method: "GET", Path: "/api/v1/appointments/{id}", Tags: atags,
		Summary: "One appointment; outside your reach it answers 404"},
		func(ctx context.Context, in *idIn) (*apptOut, error) {
			a, err := svc.Get(ctx, caller(ctx), in.ID)
			return &apptOut{a}, err
		})
	type confirmIn struct {
		ID   string `path:"id" maxLength:"64"`
		Body appointments.Evidence
	}
	Register(s, holders, huma.Operation{OperationID: "confirm-appointment", Method: "POST", Path: "/api/v1/appointments/{id}/confirm", Tags: atags,
		Summary: "Confirm an allocated appointment before its deadline",
		Description: "The checks run in turn (location inside the allowed region, liveness). When one fails nothing changes and the answer " +
			"(422, appointments.check_failed) lists each failure: you can then confirm in person at a partner office with your code. " +
			"Unconfirmed appointments are released at the deadline.",
		Errors: []int{409, 422}},
		func(ctx context.Context, in *confirmIn) (*apptOut, error) {
			a, _, err := svc.Confirm(ctx, caller(ctx), in.ID, in.Body)
			return &apptOut{a}, err
		})
	type inPersonIn struct {
		ID   string `path:"id" maxLength:"64"`
		Body struct {
			Office string `json:"office" minLength:"3" maxLength:"32" doc:"The partner office where the household came" example:"SMO-GUA"`
		}
	}
	Register(s, access.Roles(access.Caseworker, access.Admin), huma.Operation{OperationID: "confirm-appointment-in-person", Method: "POST",
		Path: "/api/v1/appointments/{id}/confirm-in-person", Tags: atags, Errors: []int{409},
		Summary: "Confirm an appointment for a household that came to a partner office"},
		func(ctx context.Context, in *inPersonIn) (*apptOut, error) {
			a, err := svc.ConfirmInPerson(ctx, caller(ctx), in.ID, in.Body.Office)
			return &apptOut{a}, err
		})
	Register(s, access.Roles(access.Applicant, access.Helper, access.Caseworker, access.Admin), huma.Operation{OperationID: "cancel-appointment",
		Method: "POST", Path: "/api/v1/appointments/{id}/cancel", Tags: atags, Errors: []int{409},
		Summary: "Give an appointment back; its seats go to the next draw that runs before it"},
		func(ctx context.Context, in *idIn) (*apptOut, error) {
			a, err := svc.Cancel(ctx, caller(ctx), in.ID)
			return &apptOut{a}, err
		})
	type showIn struct {
		ID   string `path:"id" maxLength:"64"`
		Show string `query:"show" maxLength:"20" default:"date,port" doc:"What the pass shows besides the code: any of name, date, port" example:"name,date,port"`
	}
	Register(s, holders, huma.Operation{OperationID: "get-appointment-pass", Method: "GET", Path: "/api/v1/appointments/{id}/pass", Tags: atags, Errors: []int{409},
		Summary: "The signed pass of a confirmed appointment, with its QR code",
		Description: "The pass is base64url(JSON claims) \".\" base64url(Ed25519 signature); anyone can verify it offline with the key at " +
			"/api/v1/appointments/public-key. It shows only what you chose."},
		func(ctx context.Context, in *showIn) (*struct{ Body *appointments.Pass }, error) {
			sh, err := appointments.ParseShow(in.Show)
			if err != nil {
				return nil, err
			}
			p, err := svc.Pass(ctx, caller(ctx), in.ID, sh)
			return &struct{ Body *appointments.Pass }{p}, err
		})
	Register(s, holders, huma.Operation{OperationID: "get-appointment-qr", Method: "GET", Path: "/api/v1/appointments/{id}/qr.png", Tags: atags, Errors: []int{409},
		Summary: "The QR code of the signed pass, as a PNG image"},
		func(ctx context.Context, in *showIn) (*apptFileOut, error) {
			sh, err := appointments.ParseShow(in.Show)
			if err != nil {
				return nil, err
			}
			p, err := svc.Pass(ctx, caller(ctx), in.ID, sh)
			if err != nil {
				return nil, err
			}
			png, _ := base64.StdEncoding.DecodeString(p.QRPNG)
			return &apptFileOut{ContentType: "image/png", CacheControl: "no-store", Body: png}, nil
		})
	Register(s, holders, huma.Operation{OperationID: "print-appointment", Method: "GET", Path: "/api/v1/appointments/{id}/print", Tags: atags, Errors: []int{409},
		Summary: "A printable page with the code and the signed QR code"},
		func(ctx context.Context, in *showIn) (*apptFileOut, error) {
			sh, err := appointments.ParseShow(in.Show)
			if err != nil {
				return nil, err
			}
			b, err := svc.PrintPage(ctx, caller(ctx), in.ID, Lang(ctx), sh)
			if err != nil {
				return nil, err
			}
			return &apptFileOut{ContentType: "text/html; charset=utf-8", CacheControl: "no-store", Body: b}, nil
		})
	Register(s, holders, huma.Operation{OperationID: "get-appointment-calendar", Method: "GET", Path: "/api/v1/appointments/{id}/calendar.ics", Tags: atags,
		Errors: []int{409}, Summary: "The appointment as a calendar file (iCalendar, RFC 5545)"},
		func(ctx context.Context, in *idIn) (*apptFileOut, error) {
			b, err := svc.Calendar(ctx, caller(ctx), in.ID, Lang(ctx))
			if err != nil {
				return nil, err
			}
			return &apptFileOut{ContentType: "text/calendar; charset=utf-8", CacheControl: "no-store",
				ContentDisposition: `attachment; filename="senda-appointment.ics"`, Body: b}, nil
		})
	Register(s, access.Public, huma.Operation{OperationID: "get-pass-public-key", Method: "GET", Path: "/api/v1/appointments/public-key", Tags: atags,
		Summary: "The Ed25519 public key that verifies appointment passes offline"},
		func(ctx context.Context, _ *struct{}) (*struct{ Body appointments.PublicKey }, error) {
			k, err := svc.PublicKey(ctx)
			return &struct{ Body appointments.PublicKey }{k}, err
		})
	type verifyIn struct {
		Body struct {
			Token string `json:"token" minLength:"3" maxLength:"2048" doc:"The pass read from the QR code"`
		}
	}
	Register(s, access.Public, huma.Operation{OperationID: "verify-pass", Method: "POST", Path: "/api/v1/appointments/verify", Tags: atags,
		Summary: "Check a pass's signature and see what it shows", Description: "No sign-in needed. Checks the signature only: whether the " +
			"appointment still stands is for port officers to see at check-in."},
		func(ctx context.Context, in *verifyIn) (*struct{ Body appointments.Claims }, error) {
			c, err := svc.VerifyPass(ctx, in.Body.Token)
			return &struct{ Body appointments.Claims }{c}, err
		})

	// Capacity and closures.
	ctags := []string{"Capacity and closures"}
	type codeIn struct {
		Code string `path:"code" maxLength:"32" doc:"Location code" example:"POE-SYS"`
	}
	Register(s, access.Staff, huma.Operation{OperationID: "get-capacity-template", Method: "GET", Path: "/api/v1/locations/{code}/template", Tags: ctags,
		Summary: "The weekly capacity template of a location"},
		func(ctx context.Context, in *codeIn) (*struct{ Body appointments.Week }, error) {
			w, err := svc.Template(ctx, in.Code)
			return &struct{ Body appointments.Week }{w}, err
		})
	type templateIn struct {
		Code string `path:"code" maxLength:"32"`
		Body appointments.Week
	}
	Register(s, managers, huma.Operation{OperationID: "set-capacity-template", Method: "PUT", Path: "/api/v1/locations/{code}/template", Tags: ctags, Errors: []int{409, 422},
		Summary:     "Replace the weekly capacity template of a location (local start times)",
		Description: "Dates already laid out follow, unless a slot would drop below the persons it holds (409)."},
		func(ctx context.Context, in *templateIn) (*struct{ Body appointments.Week }, error) {
			w, err := svc.SetTemplate(ctx, caller(ctx), in.Code, in.Body)
			return &struct{ Body appointments.Week }{w}, err
		})
	type overrideIn struct {
		Code string `path:"code" maxLength:"32"`
		Date string `path:"date" maxLength:"10"`
		Body struct {
			Slots []appointments.SlotSpec `json:"slots" maxItems:"96" doc:"The slots that day; empty takes no one"`
		}
	}
	type slotsOut struct {
		Body struct {
			Slots []appointments.SlotSpec `json:"slots"`
		}
	}
	Register(s, managers, huma.Operation{OperationID: "set-capacity-override", Method: "PUT", Path: "/api/v1/locations/{code}/overrides/{date}", Tags: ctags,
		Errors: []int{409, 422}, Summary: "Set the slots of a location on one date, instead of its template"},
		func(ctx context.Context, in *overrideIn) (*slotsOut, error) {
			l, err := svc.SetOverride(ctx, caller(ctx), in.Code, in.Date, in.Body.Slots)
			out := &slotsOut{}
			out.Body.Slots = l
			return out, err
		})
	type overrideDelIn struct {
		Code string `path:"code" maxLength:"32"`
		Date string `path:"date" maxLength:"10"`
	}
	Register(s, managers, huma.Operation{OperationID: "delete-capacity-override", Method: "DELETE", Path: "/api/v1/locations/{code}/overrides/{date}", Tags: ctags,
		DefaultStatus: 204, Errors: []int{409}, Summary: "Remove a date override: the template applies again"},
		func(ctx context.Context, in *overrideDelIn) (*emptyOut, error) {
			return &emptyOut{}, svc.DeleteOverride(ctx, caller(ctx), in.Code, in.Date)
		})
	type capacityIn struct {
		Code string `path:"code" maxLength:"32"`
		From string `query:"from" maxLength:"10" doc:"First date (default today)"`
		To   string `query:"to" maxLength:"10" doc:"Last date (default from + 13 days; at most 62 days)"`
	}
	Register(s, access.Staff, huma.Operation{OperationID: "get-capacity", Method: "GET", Path: "/api/v1/locations/{code}/capacity", Tags: ctags,
		Summary: "Slots of a location by date: capacity, booked, held, free, suspended"},
		func(ctx context.Context, in *capacityIn) (*struct{ Body []appointments.SlotView }, error) {
			if in.From == "" {
				in.From = svc.DB.Now().Format(appointments.DateLayout)
			}
			if in.To == "" {
				if t, err := time.Parse(appointments.DateLayout, in.From); err == nil {
					in.To = t.AddDate(0, 0, 13).Format(appointments.DateLayout)
				}
			}
			l, err := svc.Capacity(ctx, in.Code, in.From, in.To)
			return &struct{ Body []appointments.SlotView }{l}, err
		})
	type closureIn struct {
		Body appointments.ClosureInput
	}
	type closureOut struct {
		Body *appointments.Closure
	}
	Register(s, managers, huma.Operation{OperationID: "create-closure", Method: "POST", Path: "/api/v1/closures", Tags: ctags, DefaultStatus: 201,
		Summary: "Suspend a location, or some of its slots, for a period",
		Description: "Every appointment hit moves at once: to the household's next preferred open location on the same date where there is room, " +
			"otherwise to the first later date with room, ahead of that date's draw. Each household is told in its language. The answer lists every move."},
		func(ctx context.Context, in *closureIn) (*closureOut, error) {
			c, err := svc.CreateClosure(ctx, caller(ctx), in.Body)
			return &closureOut{c}, err
		})
	type closuresIn struct {
		Location string    `query:"location" maxLength:"32"`
		Since    time.Time `query:"since" doc:"Closures ending after this time (default: now)"`
	}
	Register(s, access.Roles(access.ProgrammeManager, access.Admin, access.PortOfficer), huma.Operation{OperationID: "list-closures", Method: "GET",
		Path: "/api/v1/closures", Tags: ctags, Summary: "Closures in your scope"},
		func(ctx context.Context, in *closuresIn) (*struct{ Body []appointments.Closure }, error) {
			since := in.Since
			if since.IsZero() {
				since = svc.DB.Now()
			}
			l, err := svc.Closures(ctx, caller(ctx), in.Location, since)
			return &struct{ Body []appointments.Closure }{l}, err
		})
	Register(s, access.Roles(access.ProgrammeManager, access.Admin, access.PortOfficer), huma.Operation{OperationID: "get-closure", Method: "GET",
		Path: "/api/v1/closures/{id}", Tags: ctags, Summary: "A closure and the report of every appointment it moved"},
		func(ctx context.Context, in *idIn) (*closureOut, error) {
			c, err := svc.ClosureReport(ctx, caller(ctx), in.ID)
			return &closureOut{c}, err
		})
	Register(s, managers, huma.Operation{OperationID: "reopen-closure", Method: "POST", Path: "/api/v1/closures/{id}/reopen", Tags: ctags, Errors: []int{409},
		Summary: "Reopen: the slots take appointments again (moved appointments stay where they went)"},
		func(ctx context.Context, in *idIn) (*closureOut, error) {
			c, err := svc.Reopen(ctx, caller(ctx), in.ID)
			return &closureOut{c}, err
		})

	// Port arrivals.
	ptags := []string{"Port arrivals"}
	type arrivalsIn struct {
		Code string `path:"code" maxLength:"32"`
		Date string `query:"date" maxLength:"10" doc:"Default: today at the port"`
	}
	Register(s, officers, huma.Operation{OperationID: "list-arrivals", Method: "GET", Path: "/api/v1/locations/{code}/arrivals", Tags: ptags,
		Summary: "The day's appointments at your port"},
		func(ctx context.Context, in *arrivalsIn) (*struct{ Body []appointments.Appointment }, error) {
			l, err := svc.Arrivals(ctx, caller(ctx), in.Code, in.Date)
			return &struct{ Body []appointments.Appointment }{l}, err
		})
	type checkInIn struct {
		Body appointments.CheckInInput
	}
	Register(s, officers, huma.Operation{OperationID: "check-in", Method: "POST", Path: "/api/v1/checkins", Tags: ptags, Errors: []int{404, 409, 422},
		Summary: "Check a household in by its code or its pass", Description: "Answers with the members' names to check against their documents."},
		func(ctx context.Context, in *checkInIn) (*struct{ Body *appointments.Arrival }, error) {
			a, err := svc.CheckIn(ctx, caller(ctx), in.Body)
			return &struct{ Body *appointments.Arrival }{a}, err
		})
	Register(s, officers, huma.Operation{OperationID: "mark-no-show", Method: "POST", Path: "/api/v1/appointments/{id}/no-show", Tags: ptags, Errors: []int{409},
		Summary: "Mark that a household did not come; it may request again"},
		func(ctx context.Context, in *idIn) (*apptOut, error) {
			a, err := svc.NoShow(ctx, caller(ctx), in.ID)
			return &apptOut{a}, err
		})
}

// decodeRequestInput decodes the body of an appointment request as huma
// would, when the RequestInput schema plainly accepts it: a JSON object of
// its own fields only, preferences one to three strings, household and
// time zone at most 64 characters, the date a calendar date. It reports
// false for anything else, which huma then decodes and, if need be,
// refuses with its own problem.
func decodeRequestInput(b []byte) (appointments.RequestInput, bool) {
	var in appointments.RequestInput
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return in, false
	}
	hasPrefs := false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return in, false
		}
		key, _ := t.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return in, false
		}
		s, isString := v.(string)
		switch key {
		case "preferences":
			list, ok := v.([]any)
			if !ok || len(list) < 1 || len(list) > 3 {
				return in, false
			}
			prefs := make([]string, len(list))
			for i, p := range list {
				if prefs[i], ok = p.(string); !ok {
					return in, false
				}
			}
			in.Preferences, hasPrefs = prefs, true
		case "household_id":
			if !isString || utf8.RuneCountInString(s) > 64 {
				return in, false
			}
			in.HouseholdID = s
		case "time_zone":
			if !isString || utf8.RuneCountInString(s) > 64 {
				return in, false
			}
			in.TimeZone = s
		case "service_date":
			if _, err := time.Parse(time.DateOnly, s); !isString || err != nil {
				return in, false
			}
			in.ServiceDate = s
		default:
			return in, false
		}
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return in, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return in, false
	}
	return in, hasPrefs
}
