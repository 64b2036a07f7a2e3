package http

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/validation"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/i18n"
)

// Problem is an RFC 9457 problem details document. Type is stable per error
// code; Title and Detail are localised to the request's language; Errors
// lists every field to fix at once.
type Problem struct {
	Type      string         `json:"type" doc:"Stable identifier of the kind of problem" example:"urn:senda:problem:invalid"`
	Title     string         `json:"title" doc:"Short localised summary"`
	Status    int            `json:"status" doc:"HTTP status code"`
	Detail    string         `json:"detail,omitempty" doc:"Localised explanation of what to do"`
	Instance  string         `json:"instance,omitempty" doc:"The path of the request"`
	RequestID string         `json:"request_id,omitempty" doc:"Quote it when asking for help"`
	Code      string         `json:"code" enum:"invalid,not_found,conflict,forbidden,unauthorized,unavailable,internal,too_many_requests" doc:"Error code"`
	Errors    []ProblemField `json:"errors,omitempty" doc:"Every field that needs fixing"`

	headers http.Header
}

// ProblemField is one field to fix.
type ProblemField struct {
	Location string `json:"location" doc:"Where the problem is, e.g. body.members[2].birth_date"`
	Code     string `json:"code" doc:"Stable message key"`
	Message  string `json:"message" doc:"Localised text saying what to fix"`
}

func (p *Problem) Error() string             { return p.Title }
func (p *Problem) GetStatus() int            { return p.Status }
func (p *Problem) ContentType(string) string { return "application/problem+json" }
func (p *Problem) GetHeaders() http.Header   { return p.headers }
func problemType(code string) string         { return "urn:senda:problem:" + code }
func statusCode(status int) (code, key string) {
	switch status {
	case 400, 422:
		return "invalid", "error.invalid"
	case 401:
		return "unauthorized", "error.unauthorized"
	case 403:
		return "forbidden", "error.forbidden"
	case 404:
		return "not_found", "error.not_found"
	case 405:
		return "invalid", "error.method"
	case 406:
		return "invalid", "error.not_acceptable"
	case 409, 412:
		return "conflict", "error.conflict"
	case 413:
		return "invalid", "error.too_large"
	case 429:
		return "too_many_requests", "error.too_many"
	case 503, 504:
		return "unavailable", "error.unavailable"
	}
	return "internal", "error.internal"
}

// Status maps a Senda error code to an HTTP status.
func Status(code senda.Code) int {
	switch code {
	case senda.CodeInvalid:
		return http.StatusUnprocessableEntity
	case senda.CodeNotFound:
		return http.StatusNotFound
	case senda.CodeConflict:
		return http.StatusConflict
	case senda.CodeForbidden:
		return http.StatusForbidden
	case senda.CodeUnavailable:
		return http.StatusServiceUnavailable
	case senda.CodeUnauthorized:
		return http.StatusUnauthorized
	case senda.CodeTooMany:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// NewProblem builds the problem document for err in lang. Internal causes
// never reach the client.
func NewProblem(ctx context.Context, lang string, status int, errs ...error) *Problem {
	var se *senda.Error
	for _, e := range errs {
		if e != nil && errors.As(e, &se) {
			status = Status(se.Code)
			break
		}
	}
	code, key := statusCode(status)
	p := &Problem{Type: problemType(code), Status: status, Code: code, RequestID: RequestID(ctx)}
	args := map[string]any{}
	if se != nil {
		for k, v := range se.Args {
			args[k] = v
		}
		if se.Key != "" && i18n.Has(se.Key+".title") {
			key = se.Key
		}
		for _, f := range se.Fields {
			p.Errors = append(p.Errors, ProblemField{Location: f.Location, Code: f.Key, Message: i18n.T(lang, f.Key, f.Args)})
		}
		if secs, ok := se.Args["retry_after"]; ok {
			p.headers = http.Header{"Retry-After": {fmt.Sprint(secs)}}
			args["seconds"] = secs
		}
	}
	for _, e := range errs {
		var d *huma.ErrorDetail
		if e != nil && errors.As(e, &d) {
			k, a := validationKey(d.Message)
			p.Errors = append(p.Errors, ProblemField{Location: d.Location, Code: k, Message: i18n.T(lang, k, a)})
		}
	}
	p.Title = i18n.T(lang, key+".title", args)
	p.Detail = i18n.T(lang, key+".detail", args)
	return p
}

// validationKey turns one of huma's validation messages into a catalogue key
// and its arguments. Messages are recognised by the library's own message
// templates, not free text.
func validationKey(msg string) (string, map[string]any) {
	for _, t := range validationTemplates {
		if m := t.re.FindStringSubmatch(msg); m != nil {
			args := map[string]any{}
			if t.fixed != "" {
				args[t.args[0]] = t.fixed
				return t.key, args
			}
			for i, name := range t.args {
				if i+1 < len(m) {
					args[name] = m[i+1]
				}
			}
			return t.key, args
		}
	}
	if strings.Contains(msg, "unmarshal") || strings.Contains(msg, "JSON") || strings.Contains(msg, "EOF") {
		return "validation.body", nil
	}
	return "validation.invalid", nil
}

type validationTemplate struct {
	re   *regexp.Regexp
	key  string
	args []string
	// fixed, when set, is the value of the only argument.
	fixed string
}

var validationTemplates = func() []validationTemplate {
	type tpl struct {
		format, key string
		args        []string
	}
	list := []tpl{
		{validation.MsgExpectedRequiredProperty, "validation.required", []string{"field"}},
		{validation.MsgUnexpectedProperty, "validation.unexpected", nil},
		{validation.MsgExpectedRFC3339Date, "validation.date", nil},
		{validation.MsgExpectedRFC3339DateTime, "validation.datetime", nil},
		{validation.MsgExpectedRFC5322Email, "validation.email", []string{"reason"}},
		{validation.MsgExpectedOneOf, "validation.one_of", []string{"options"}},
		{validation.MsgExpectedMinimumNumber, "validation.min", []string{"min"}},
		{validation.MsgExpectedMaximumNumber, "validation.max", []string{"max"}},
		{validation.MsgExpectedMinLength, "validation.min_length", []string{"min"}},
		{validation.MsgExpectedMaxLength, "validation.max_length", []string{"max"}},
		{validation.MsgExpectedMinItems, "validation.min_items", []string{"min"}},
		{validation.MsgExpectedMaxItems, "validation.max_items", []string{"max"}},
		{validation.MsgExpectedMatchPattern, "validation.pattern", []string{"pattern"}},
		{validation.MsgExpectedBePattern, "validation.pattern", []string{"pattern"}},
		{validation.MsgExpectedArrayItemsUnique, "validation.unique", nil},
	}
	out := make([]validationTemplate, 0, len(list))
	for _, t := range list {
		pat := regexp.QuoteMeta(t.format)
		for _, verb := range []string{"%v", "%s", "%d"} {
			pat = strings.ReplaceAll(pat, verb, "(.*)")
		}
		out = append(out, validationTemplate{re: regexp.MustCompile("^" + pat + "$"), key: t.key, args: t.args})
	}
	// Type mismatches: the expected type becomes the argument.
	for format, name := range map[string]string{
		validation.MsgExpectedBoolean: "boolean", validation.MsgExpectedNumber: "number", validation.MsgExpectedInteger: "integer",
		validation.MsgExpectedString: "string", validation.MsgExpectedArray: "array", validation.MsgExpectedObject: "object",
	} {
		out = append(out, validationTemplate{re: regexp.MustCompile("^" + regexp.QuoteMeta(format) + "()$"), key: "validation.type", args: []string{"expected"}, fixed: name})
	}
	return out
}()

func init() {
	huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
		return NewProblem(context.Background(), i18n.Default, status, errs...)
	}
	huma.NewErrorWithContext = func(hctx huma.Context, status int, msg string, errs ...error) huma.StatusError {
		ctx := hctx.Context()
		p := NewProblem(ctx, Lang(ctx), status, errs...)
		for k, vs := range p.headers {
			for _, v := range vs {
				hctx.SetHeader(k, v)
			}
		}
		return p
	}
}
