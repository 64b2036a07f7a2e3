package http

import (
	"context"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/eligibility"
	"github.com/senda-platform/senda/policy"
	"github.com/senda-platform/senda/profile"
)

// parseDate reads an optional YYYY-MM-DD query value; empty is the zero
// time (today, for the service).
func parseDate(loc, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, ok := profile.Date(s).Time()
	if !ok {
		return time.Time{}, &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid", Fields: []senda.FieldError{{Location: loc, Key: "validation.date"}}}
	}
	return t, nil
}

// RegisterEligibility adds self-screening, household screening with stored
// results, and the policy versions, drafts, what-if reports and bulk runs.
func (s *Server) RegisterEligibility(svc *eligibility.Service) {
	tags := []string{"Eligibility"}
	type screenIn struct {
		AsOf     string   `query:"as_of" format:"date" doc:"Screening date (YYYY-MM-DD); today when absent"`
		Programs []string `query:"program,explode" maxItems:"20" doc:"Programmes to screen for; every programme when absent"`
		Body     profile.Profile
	}
	type screenOut struct {
		Body struct {
			PolicyVersion string          `json:"policy_version" doc:"The policy version that decided"`
			AsOf          profile.Date    `json:"as_of"`
			Results       []policy.Result `json:"results" doc:"One result per programme, with every criterion's outcome and explanation in the request's language"`
		}
	}
	Register(s, access.Public, huma.Operation{OperationID: "screen-profile", Method: "POST", Path: "/api/v1/screen", Tags: tags,
		Summary: "Which pathways may fit a person: a screening profile in, one result per programme out; nothing is stored",
		Description: "The body is one screening profile (docs/profile.schema.json): every answer may be left out for \"I don't know\". " +
			"Each programme is eligible (meets the published threshold criteria to be considered, never \"will be approved\"), ineligible or needs_info, " +
			"with each criterion's outcome, explanation, what the person can do, and the questions whose answers would decide it."},
		func(ctx context.Context, in *screenIn) (*screenOut, error) {
			asOf, err := parseDate("query.as_of", in.AsOf)
			if err != nil {
				return nil, err
			}
			rs, err := svc.ScreenProfile(ctx, in.Body, asOf, Lang(ctx), in.Programs...)
			if err != nil {
				return nil, prefixFields(err, "body.")
			}
			out := &screenOut{}
			out.Body.Results = rs
			if asOf.IsZero() {
				asOf = svc.Today()
			}
			out.Body.AsOf = profile.DateOf(asOf)
			if len(rs) > 0 {
				out.Body.PolicyVersion = rs[0].PolicyVersion
			}
			return out, nil
		})

	type idIn struct {
		ID string `path:"id" maxLength:"64"`
	}
	registrars := access.Roles(access.Applicant, access.Helper, access.Caseworker, access.Admin)
	Register(s, registrars, huma.Operation{OperationID: "household-eligibility", Method: "GET", Path: "/api/v1/households/{id}/eligibility", Tags: tags,
		Summary: "Screen a household now: every member against every programme with the version in effect today; the results are stored with that version"},
		func(ctx context.Context, in *idIn) (*struct{ Body *eligibility.HouseholdResults }, error) {
			hr, err := svc.ScreenHousehold(ctx, s.Caller(ctx, svc.Keys), in.ID, Lang(ctx))
			return &struct{ Body *eligibility.HouseholdResults }{hr}, err
		})
	type historyIn struct {
		ID    string `path:"id" maxLength:"64"`
		Limit int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
	}
	Register(s, registrars, huma.Operation{OperationID: "household-eligibility-history", Method: "GET", Path: "/api/v1/households/{id}/eligibility/history", Tags: tags,
		Summary: "Stored screenings of a household, newest first, each with the policy version that decided it"},
		func(ctx context.Context, in *historyIn) (*struct {
			Body []eligibility.HouseholdResults
		}, error) {
			l, err := svc.Stored(ctx, s.Caller(ctx, svc.Keys), in.ID, Lang(ctx), in.Limit)
			return &struct {
				Body []eligibility.HouseholdResults
			}{l}, err
		})

	ptags := []string{"Policy versions"}
	Register(s, access.Public, huma.Operation{OperationID: "list-policy-versions", Method: "GET", Path: "/api/v1/policy/versions", Tags: ptags,
		Summary: "Policy versions: the version in effect on a date is the one with the latest effective date on or before it"},
		func(ctx context.Context, _ *struct{}) (*struct{ Body []eligibility.Version }, error) {
			l, err := svc.Versions(ctx, Lang(ctx))
			return &struct{ Body []eligibility.Version }{l}, err
		})
	type versionIn struct {
		Version string `path:"version" maxLength:"64"`
	}
	type sourceOut struct {
		ContentType        string `header:"Content-Type"`
		ContentDisposition string `header:"Content-Disposition"`
		Body               []byte
	}
	Register(s, access.Public, huma.Operation{OperationID: "get-policy-source", Method: "GET", Path: "/api/v1/policy/versions/{version}/source", Tags: ptags,
		Summary: "A policy version as one YAML file, to start a draft from"},
		func(ctx context.Context, in *versionIn) (*sourceOut, error) {
			name, b, err := svc.Source(ctx, in.Version)
			if err != nil {
				return nil, err
			}
			return &sourceOut{ContentType: "application/yaml; charset=utf-8", ContentDisposition: `attachment; filename="` + name + `"`, Body: b}, nil
		})

	managers := access.Roles(access.ProgrammeManager, access.Admin)
	type uploadIn struct {
		Name    string `query:"name" maxLength:"100" doc:"File name the problems will name"`
		RawBody []byte `contentType:"application/yaml" maxLength:"1048576"`
	}
	Register(s, managers, huma.Operation{OperationID: "upload-policy-draft", Method: "POST", Path: "/api/v1/policy/drafts", Tags: ptags, DefaultStatus: 201,
		Summary:     "Upload a policy pack (one YAML file) as a draft",
		Description: "A pack that does not load is refused with every problem at once, each located by file, programme and criterion. Nothing in effect changes until the draft is published.",
		Errors:      []int{409, 422}},
		func(ctx context.Context, in *uploadIn) (*struct{ Body *eligibility.Draft }, error) {
			d, err := svc.Upload(ctx, s.Caller(ctx, svc.Keys), in.Name, in.RawBody)
			return &struct{ Body *eligibility.Draft }{d}, err
		})
	Register(s, managers, huma.Operation{OperationID: "list-policy-drafts", Method: "GET", Path: "/api/v1/policy/drafts", Tags: ptags,
		Summary: "Uploaded packs, drafts and published"},
		func(ctx context.Context, _ *struct{}) (*struct{ Body []eligibility.Draft }, error) {
			l, err := svc.Drafts(ctx, s.Caller(ctx, svc.Keys))
			return &struct{ Body []eligibility.Draft }{l}, err
		})
	type whatIfIn struct {
		ID   string `path:"id" maxLength:"64"`
		Body *struct {
			AsOf string `json:"as_of,omitempty" format:"date" doc:"Date to compare on; today, or the draft's effective date when later, when absent"`
		}
	}
	Register(s, managers, huma.Operation{OperationID: "policy-draft-what-if", Method: "POST", Path: "/api/v1/policy/drafts/{id}/what-if", Tags: ptags,
		Summary: "Who would gain or lose eligibility: the draft and the version in effect run over every registered household",
		Description: "Counts by programme and transition, broken down by nationality and office, with a sample of the households affected " +
			"(receipts; the principal's name only for households within your scope)."},
		func(ctx context.Context, in *whatIfIn) (*struct{ Body *eligibility.WhatIf }, error) {
			var asOf time.Time
			if in.Body != nil {
				var err error
				if asOf, err = parseDate("body.as_of", in.Body.AsOf); err != nil {
					return nil, err
				}
			}
			w, err := svc.WhatIfDraft(ctx, s.Caller(ctx, svc.Keys), in.ID, asOf)
			return &struct{ Body *eligibility.WhatIf }{w}, err
		})
	Register(s, managers, huma.Operation{OperationID: "publish-policy-draft", Method: "POST", Path: "/api/v1/policy/drafts/{id}/publish", Tags: ptags,
		Summary: "Publish a draft: it decides screenings from its effective date (today or later); stored results keep their version",
		Errors:  []int{409, 422}},
		func(ctx context.Context, in *idIn) (*struct{ Body *eligibility.Draft }, error) {
			d, err := svc.Publish(ctx, s.Caller(ctx, svc.Keys), in.ID)
			return &struct{ Body *eligibility.Draft }{d}, err
		})
	type runIn struct {
		Body *struct {
			AsOf string `json:"as_of,omitempty" format:"date" doc:"Screening date; today when absent"`
		}
	}
	Register(s, managers, huma.Operation{OperationID: "run-eligibility", Method: "POST", Path: "/api/v1/policy/runs", Tags: ptags,
		Summary: "Screen every registered household now and store the results under one run"},
		func(ctx context.Context, in *runIn) (*struct{ Body *eligibility.Run }, error) {
			var asOf time.Time
			if in.Body != nil {
				var err error
				if asOf, err = parseDate("body.as_of", in.Body.AsOf); err != nil {
					return nil, err
				}
			}
			r, err := svc.RunAll(ctx, s.Caller(ctx, svc.Keys), asOf)
			return &struct{ Body *eligibility.Run }{r}, err
		})
}
