package appointments

import (
	"bytes"
	"context"
	"encoding/base64"
	"html/template"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/households"
	"github.com/senda-platform/senda/internal/i18n"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/reference"
)

// Show says what a pass shows besides its code.
type Show struct {
	Name bool // the principal applicant's first given name
	Date bool // the service date and local start time
	Port bool // the location
}

// ParseShow reads "name,date,port" (any subset, in any order).
func ParseShow(s string) (Show, error) {
	var sh Show
	for _, p := range strings.Split(s, ",") {
		switch strings.TrimSpace(p) {
		case "":
		case "name":
			sh.Name = true
		case "date":
			sh.Date = true
		case "port":
			sh.Port = true
		default:
			return sh, invalid("query.show", "validation.one_of", map[string]any{"options": "name, date, port"})
		}
	}
	return sh, nil
}

// Pass is a confirmed appointment's signed pass.
type Pass struct {
	Code   string `json:"code"`
	Token  string `json:"token" doc:"The signed pass the QR code carries"`
	Claims Claims `json:"claims"`
	QRPNG  string `json:"qr_png" doc:"The QR code as a PNG image, base64"`
}

// Pass issues a signed pass for a confirmed appointment, showing only what
// the holder chose.
func (s *Service) Pass(ctx context.Context, c Caller, id string, show Show) (*Pass, error) {
	k, err := s.signingKey(ctx)
	if err != nil {
		return nil, err
	}
	var claims Claims
	err = s.DB.Update(ctx, func(tx *store.Tx) error {
		a, holder, err := s.load(ctx, tx, c, id, false)
		if err != nil {
			return err
		}
		if !holder {
			return forbidden("appointments.holder_only")
		}
		if a.Status != "confirmed" {
			return conflict("appointments.not_confirmed", map[string]any{"status": a.Status})
		}
		claims = Claims{Code: FormatCode(a.Code), IssuedAt: tx.Now.Unix()}
		fields := []string{"code"}
		if show.Date {
			l := a.Start.In(zoneOf(a.Location))
			claims.Date, claims.Time = l.Format(DateLayout), l.Format("15:04")
			fields = append(fields, "date")
		}
		if show.Port {
			claims.Port = a.Location
			fields = append(fields, "port")
		}
		if show.Name {
			h, err := tx.Household(ctx, a.HouseholdID)
			if err != nil {
				return err
			}
			full, err := households.Open(s.Keys, h)
			if err != nil {
				return err
			}
			if p := full.Principal(); p != nil {
				claims.Name = strings.Fields(p.GivenNames + " ")[0]
			}
			fields = append(fields, "members[0].given_names")
		}
		return record(ctx, tx, c, "appointment.pass", "appointment", id, s.subjectOf(ctx, tx, a.HouseholdID), fields...)
	})
	if err != nil {
		return nil, err
	}
	token := k.sign(claims)
	claims.Version, claims.KeyID = 1, k.id
	png, err := qrcode.Encode(token, qrcode.Medium, 384)
	if err != nil {
		return nil, senda.Wrap(err, "appointments.qr")
	}
	return &Pass{Code: claims.Code, Token: token, Claims: claims, QRPNG: base64.StdEncoding.EncodeToString(png)}, nil
}

// Calendar returns an appointment as an iCalendar file (RFC 5545, CRLF line
// ends, long lines folded), in lang.
func (s *Service) Calendar(ctx context.Context, c Caller, id, lang string) ([]byte, error) {
	var a store.AppointmentRow
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		a, _, err = s.load(ctx, tx, c, id, false)
		if err != nil {
			return err
		}
		if a.Status != "allocated" && a.Status != "confirmed" {
			return conflict("appointments.not_live", map[string]any{"status": a.Status})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ICS(a, lang, s.DB.Now()), nil
}

// ICS writes one appointment as an iCalendar file.
func ICS(a store.AppointmentRow, lang string, now time.Time) []byte {
	name, place := a.Location, a.Location
	var lat, lon float64
	if l, ok := reference.Location(a.Location); ok {
		name, lat, lon = l.Name, l.Lat, l.Lon
		if lang == "es" {
			name = l.SpanishName()
		}
		place = name
		if p, ok := reference.Port(a.Location); ok && p.Crossing != "" {
			place = name + " — " + p.Crossing
		}
	}
	args := map[string]any{"location": name, "code": FormatCode(a.Code)}
	const stamp = "20060102T150405Z"
	var b bytes.Buffer
	line := func(s string) {
		b.WriteString(fold(s))
		b.WriteString("\r\n")
	}
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:-//Senda//Appointments//" + strings.ToUpper(lang))
	line("CALSCALE:GREGORIAN")
	line("METHOD:PUBLISH")
	line("BEGIN:VEVENT")
	line("UID:" + a.ID + "@senda")
	line("DTSTAMP:" + now.UTC().Format(stamp))
	line("DTSTART:" + a.Start.UTC().Format(stamp))
	line("DTEND:" + a.Start.Add(time.Hour).UTC().Format(stamp))
	line("SUMMARY:" + icsText(i18n.T(lang, "appointments.ics.summary", args)))
	line("LOCATION:" + icsText(place))
	line("DESCRIPTION:" + icsText(i18n.T(lang, "appointments.ics.description", args)))
	if lat != 0 || lon != 0 {
		line("GEO:" + formatFloat(lat) + ";" + formatFloat(lon))
	}
	line("STATUS:CONFIRMED")
	line("BEGIN:VALARM")
	line("ACTION:DISPLAY")
	line("DESCRIPTION:" + icsText(i18n.T(lang, "appointments.ics.summary", args)))
	line("TRIGGER:-PT12H")
	line("END:VALARM")
	line("END:VEVENT")
	line("END:VCALENDAR")
	return b.Bytes()
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// icsText escapes a TEXT value (RFC 5545 section 3.3.11).
func icsText(s string) string {
	r := strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`)
	return r.Replace(s)
}

// fold splits a content line into lines of at most 75 octets, never inside
// a UTF-8 sequence; each continuation starts with a space.
func fold(s string) string {
	if len(s) <= 75 {
		return s
	}
	var b strings.Builder
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		limit = 74 // the leading space counts
	}
	b.WriteString(s)
	return b.String()
}

var printPage = template.Must(template.New("print").Parse(`<!doctype html>
<html lang="{{.Lang}}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title></head>
<body>
<main>
<h1>{{.Title}}</h1>
<p><strong>{{.CodeLabel}}</strong> <code>{{.Code}}</code></p>
{{if .Date}}<p>{{.When}}</p>{{end}}
{{if .Port}}<p>{{.Where}}</p>{{end}}
{{if .Name}}<p>{{.Name}}</p>{{end}}
<p><img src="{{.QR}}" width="384" height="384" alt="{{.QRAlt}}"></p>
<p>{{.Verify}}</p>
</main>
</body>
</html>
`))

// PrintPage renders a printable page with a confirmed appointment's code and
// signed QR code, showing only what the holder chose.
func (s *Service) PrintPage(ctx context.Context, c Caller, id, lang string, show Show) ([]byte, error) {
	p, err := s.Pass(ctx, c, id, show)
	if err != nil {
		return nil, err
	}
	where := p.Claims.Port
	if l, ok := reference.Location(where); ok {
		where = l.Name + " (" + l.Code + ")"
	}
	args := map[string]any{"code": p.Code, "date": p.Claims.Date, "time": p.Claims.Time, "location": where}
	data := map[string]any{
		"Lang": lang, "Title": i18n.T(lang, "appointments.print.title", args), "CodeLabel": i18n.T(lang, "appointments.print.code", args),
		"Code": p.Code, "Date": p.Claims.Date, "When": i18n.T(lang, "appointments.print.when", args), "Port": p.Claims.Port,
		"Where": i18n.T(lang, "appointments.print.where", args), "Name": p.Claims.Name, "QR": template.URL("data:image/png;base64," + p.QRPNG),
		"QRAlt": i18n.T(lang, "appointments.print.qr", args), "Verify": i18n.T(lang, "appointments.print.verify", args),
	}
	var b bytes.Buffer
	if err := printPage.Execute(&b, data); err != nil {
		return nil, senda.Wrap(err, "appointments.print")
	}
	return b.Bytes(), nil
}
