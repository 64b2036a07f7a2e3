package http

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/household"
	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/audit"
	"github.com/senda-platform/senda/internal/households"
	"github.com/senda-platform/senda/internal/seal"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/mrz"
)

// Caller returns who calls, for services that audit: the principal, the
// sealed client address, the request ID and, for a helper, the applicant
// named in X-On-Behalf-Of.
func (s *Server) Caller(ctx context.Context, keys *seal.Keyring) households.Caller {
	c := households.Caller{Principal: access.From(ctx), RequestID: RequestID(ctx)}
	if keys != nil {
		if addr := remoteAddr(ctx); addr != "" {
			c.Remote = audit.SealRemote(keys, addr)
		}
	}
	if r := requestFrom(ctx); r != nil && c.Role == access.Helper {
		c.OnBehalfOf = r.Header.Get("X-On-Behalf-Of")
	}
	return c
}

type householdBody struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"128" doc:"Send the same key when repeating the same request after a lost answer: it is done once"`
	Body           household.Household
}

type householdOut struct {
	Body *household.Household
}

// RegisterHouseholds adds registration, search, privacy and duplicate review.
func (s *Server) RegisterHouseholds(svc *households.Service) {
	tags := []string{"Households"}
	registrars := access.Roles(access.Applicant, access.Helper, access.Caseworker, access.Admin)
	staff := access.Roles(access.Caseworker, access.Admin)
	Register(s, registrars, huma.Operation{OperationID: "create-household", Method: "POST", Path: "/api/v1/households", Tags: tags, DefaultStatus: 201,
		Summary: "Register a household", Description: "Every problem is answered at once. A draft (status \"draft\") may be incomplete. Helpers act for an applicant named in X-On-Behalf-Of, with their recorded consent.",
		Errors: []int{409, 422}},
		func(ctx context.Context, in *householdBody) (*householdOut, error) {
			in.Body.ID = ""
			h, err := svc.Save(ctx, s.Caller(ctx, svc.Keys), &in.Body, in.IdempotencyKey)
			return &householdOut{h}, err
		})
	type idIn struct {
		ID string `path:"id" maxLength:"64"`
	}
	Register(s, registrars, huma.Operation{OperationID: "get-household", Method: "GET", Path: "/api/v1/households/{id}", Tags: tags,
		Summary: "Read a household; households outside your scope answer 404"},
		func(ctx context.Context, in *idIn) (*householdOut, error) {
			h, err := svc.Get(ctx, s.Caller(ctx, svc.Keys), in.ID)
			return &householdOut{h}, err
		})
	type updateIn struct {
		ID             string `path:"id" maxLength:"64"`
		IdempotencyKey string `header:"Idempotency-Key" maxLength:"128"`
		Body           household.Household
	}
	Register(s, registrars, huma.Operation{OperationID: "update-household", Method: "PUT", Path: "/api/v1/households/{id}", Tags: tags,
		Summary: "Update a household; send the version you read", Errors: []int{409, 422}},
		func(ctx context.Context, in *updateIn) (*householdOut, error) {
			in.Body.ID = in.ID
			h, err := svc.Save(ctx, s.Caller(ctx, svc.Keys), &in.Body, in.IdempotencyKey)
			return &householdOut{h}, err
		})
	type listIn struct {
		After string `query:"after" maxLength:"64" doc:"Continue after this id"`
		Limit int    `query:"limit" minimum:"1" maximum:"500" default:"100"`
	}
	Register(s, registrars, huma.Operation{OperationID: "list-households", Method: "GET", Path: "/api/v1/households", Tags: tags,
		Summary: "Households you may see, without names"},
		func(ctx context.Context, in *listIn) (*struct{ Body []households.Summary }, error) {
			l, err := svc.List(ctx, s.Caller(ctx, svc.Keys), in.After, in.Limit)
			return &struct{ Body []households.Summary }{l}, err
		})
	type searchIn struct {
		Document string `query:"document" maxLength:"32" doc:"Exact document number"`
		Phone    string `query:"phone" maxLength:"32" doc:"Exact phone number"`
	}
	Register(s, staff, huma.Operation{OperationID: "search-households", Method: "GET", Path: "/api/v1/households/search", Tags: tags,
		Summary: "Find households by exact document or phone number"},
		func(ctx context.Context, in *searchIn) (*struct{ Body []households.Summary }, error) {
			kind, value := "document", in.Document
			if value == "" {
				kind, value = "phone", in.Phone
			}
			l, err := svc.FindBy(ctx, s.Caller(ctx, svc.Keys), kind, value)
			return &struct{ Body []households.Summary }{l}, err
		})
	Register(s, registrars, huma.Operation{OperationID: "export-household", Method: "GET", Path: "/api/v1/households/{id}/export", Tags: tags,
		Summary: "Everything held about a household: now, every earlier version, and who saw it"},
		func(ctx context.Context, in *idIn) (*struct{ Body *households.Everything }, error) {
			e, err := svc.Export(ctx, s.Caller(ctx, svc.Keys), in.ID)
			return &struct{ Body *households.Everything }{e}, err
		})
	Register(s, access.Roles(access.Applicant, access.Caseworker, access.Admin), huma.Operation{OperationID: "delete-household", Method: "DELETE", Path: "/api/v1/households/{id}", Tags: tags,
		DefaultStatus: 204, Summary: "Erase a household once retention rules allow", Errors: []int{409}},
		func(ctx context.Context, in *idIn) (*emptyOut, error) {
			return &emptyOut{}, svc.Delete(ctx, s.Caller(ctx, svc.Keys), in.ID, s.Retention...)
		})

	dtags := []string{"Duplicates and fraud review"}
	type pairsIn struct {
		Status string `query:"status" enum:"open,confirmed,dismissed" default:"open"`
		Limit  int    `query:"limit" minimum:"1" maximum:"500" default:"50"`
	}
	Register(s, staff, huma.Operation{OperationID: "list-duplicates", Method: "GET", Path: "/api/v1/duplicates", Tags: dtags,
		Summary: "Likely-same-person pairs to confirm or dismiss; nothing is merged automatically"},
		func(ctx context.Context, in *pairsIn) (*struct{ Body []households.PairView }, error) {
			l, err := svc.Pairs(ctx, s.Caller(ctx, svc.Keys), in.Status, in.Limit)
			return &struct{ Body []households.PairView }{l}, err
		})
	type decideIn struct {
		ID   string `path:"id" maxLength:"64"`
		Body struct {
			Decision string `json:"decision" enum:"confirmed,dismissed"`
		}
	}
	Register(s, staff, huma.Operation{OperationID: "decide-duplicate", Method: "POST", Path: "/api/v1/duplicates/{id}/decision", Tags: dtags,
		DefaultStatus: 204, Summary: "Confirm or dismiss a pair"},
		func(ctx context.Context, in *decideIn) (*emptyOut, error) {
			return &emptyOut{}, svc.Decide(ctx, s.Caller(ctx, svc.Keys), in.ID, in.Body.Decision)
		})
	type scanOut struct {
		Body struct {
			Pairs int `json:"pairs"`
		}
	}
	Register(s, access.Roles(access.Admin), huma.Operation{OperationID: "scan-duplicates", Method: "POST", Path: "/api/v1/duplicates/scan", Tags: dtags,
		Summary: "Look for likely-same-person pairs across all households now"},
		func(ctx context.Context, _ *struct{}) (*scanOut, error) {
			out := &scanOut{}
			var err error
			out.Body.Pairs, err = svc.FindDuplicates(ctx, 0.6)
			return out, err
		})
	type sharedIn struct {
		Kind string `query:"kind" enum:"phone,address,email" default:"phone"`
		Min  int    `query:"min" minimum:"2" maximum:"1000" default:"5"`
	}
	type cluster struct {
		Households []households.Summary `json:"households"`
	}
	Register(s, staff, huma.Operation{OperationID: "shared-contacts", Method: "GET", Path: "/api/v1/fraud/shared-contacts", Tags: dtags,
		Summary: "Many households behind one phone, email or address: a pattern that often means someone is exploiting applicants"},
		func(ctx context.Context, in *sharedIn) (*struct{ Body []cluster }, error) {
			c := s.Caller(ctx, svc.Keys)
			out := []cluster{}
			err := s.DB.View(ctx, func(tx *store.Tx) error {
				groups, err := tx.IndexCounts(ctx, in.Kind, in.Min)
				if err != nil {
					return err
				}
				for _, ids := range groups {
					var cl cluster
					for _, id := range ids {
						r, err := tx.Household(ctx, id)
						if err != nil {
							return err
						}
						if c.Scope.Contains(r.Place) {
							cl.Households = append(cl.Households, households.Summary{ID: r.ID, Receipt: r.Receipt, Place: r.Place, Status: r.Status, Size: r.Size, Nationality: r.Nationality})
						}
					}
					if len(cl.Households) >= in.Min {
						out = append(out, cl)
					}
				}
				return nil
			})
			return &struct{ Body []cluster }{out}, err
		})

	type mrzIn struct {
		Body struct {
			Lines []string `json:"lines" minItems:"2" maxItems:"3" doc:"The lines of the machine-readable zone"`
		}
	}
	type mrzOut struct {
		Body *mrz.Document
	}
	Register(s, access.SignedIn, huma.Operation{OperationID: "parse-mrz", Method: "POST", Path: "/api/v1/mrz", Tags: tags,
		Summary: "Read a passport or ID card's machine-readable zone (ICAO 9303 TD1, TD3), checking every check digit"},
		func(ctx context.Context, in *mrzIn) (*mrzOut, error) {
			d, err := mrz.Parse(in.Body.Lines...)
			if err != nil {
				return nil, prefixFields(err, "body.")
			}
			return &mrzOut{d}, nil
		})

	atags := []string{"Audit trail"}
	Register(s, access.Roles(access.Applicant), huma.Operation{OperationID: "my-access-log", Method: "GET", Path: "/api/v1/me/access-log", Tags: atags,
		Summary: "Who viewed, changed or shared my record"},
		func(ctx context.Context, _ *struct{}) (*struct{ Body []audit.Entry }, error) {
			p := access.From(ctx)
			es, err := audit.Search(ctx, s.DB, audit.Filter{Subject: p.AccountID, Limit: 500})
			for i := range es {
				es[i].Remote, es[i].RequestID = "", ""
			}
			if es == nil {
				es = []audit.Entry{}
			}
			return &struct{ Body []audit.Entry }{es}, err
		})
	type auditIn struct {
		Subject    string `query:"subject" maxLength:"64"`
		Actor      string `query:"actor" maxLength:"80"`
		RecordType string `query:"record_type" maxLength:"40"`
		RecordID   string `query:"record_id" maxLength:"64"`
		Action     string `query:"action" maxLength:"60"`
		AfterSeq   int64  `query:"after_seq" minimum:"0"`
		Limit      int    `query:"limit" minimum:"1" maximum:"1000" default:"100"`
	}
	filter := func(in *auditIn) audit.Filter {
		return audit.Filter{Subject: in.Subject, ActorID: in.Actor, RecordType: in.RecordType, RecordID: in.RecordID, Action: in.Action, AfterSeq: in.AfterSeq, Limit: in.Limit}
	}
	Register(s, access.Roles(access.Auditor), huma.Operation{OperationID: "search-audit", Method: "GET", Path: "/api/v1/audit", Tags: atags,
		Summary: "Search the audit trail"},
		func(ctx context.Context, in *auditIn) (*struct{ Body []audit.Entry }, error) {
			es, err := audit.Search(ctx, s.DB, filter(in))
			if es == nil {
				es = []audit.Entry{}
			}
			return &struct{ Body []audit.Entry }{es}, err
		})
	type exportIn struct {
		auditIn
		Reason string `query:"reason" required:"true" minLength:"3" maxLength:"300" doc:"Why you need this export; it is recorded"`
	}
	Register(s, access.Roles(access.Auditor), huma.Operation{OperationID: "export-audit", Method: "GET", Path: "/api/v1/audit/export", Tags: atags,
		Summary: "Export the audit trail as JSON Lines; the export itself is recorded with its reason"},
		func(ctx context.Context, in *exportIn) (*huma.StreamResponse, error) {
			c := s.Caller(ctx, svc.Keys)
			f := filter(&in.auditIn)
			f.Limit = 0
			return &huma.StreamResponse{Body: func(hctx huma.Context) {
				hctx.SetHeader("Content-Type", "application/jsonl")
				hctx.SetHeader("Content-Disposition", `attachment; filename="senda-audit-`+time.Now().UTC().Format("20060102")+`.jsonl"`)
				w := hctx.BodyWriter()
				actor := audit.Actor{ID: c.Actor(), Role: string(c.Role), Scope: string(c.Scope), Remote: c.Remote, RequestID: c.RequestID}
				if err := audit.ExportAudited(ctx, s.DB, actor, in.Reason, f, w); err != nil {
					io.WriteString(w, `{"error":"export interrupted"}`+"\n")
				}
			}}, nil
		})
}

// prefixFields puts a location prefix on a Senda error's field errors.
func prefixFields(err error, prefix string) error {
	se, ok := err.(*senda.Error)
	if !ok {
		return err
	}
	c := *se
	c.Fields = append([]senda.FieldError(nil), se.Fields...)
	for i := range c.Fields {
		if !strings.HasPrefix(c.Fields[i].Location, prefix) {
			c.Fields[i].Location = prefix + c.Fields[i].Location
		}
	}
	return &c
}
