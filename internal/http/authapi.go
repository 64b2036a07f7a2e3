package http

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/auth"
	"github.com/senda-platform/senda/internal/store"
)

type remoteKey struct{}

// RemoteAddr returns the client address of the request in ctx, as seen by
// this node.
func RemoteAddr(ctx context.Context) string { return remoteAddr(ctx) }

func remoteAddr(ctx context.Context) string {
	s, _ := ctx.Value(remoteKey{}).(string)
	return s
}

type signInIn struct {
	Body struct {
		Login    string `json:"login" minLength:"3" maxLength:"254" doc:"Email address or phone number"`
		Password string `json:"password" minLength:"1" maxLength:"1024"`
	}
}

type codeIn struct {
	Body struct {
		Login string `json:"login" minLength:"3" maxLength:"254" doc:"Email address or phone number"`
	}
}

type codeVerifyIn struct {
	Body struct {
		Login string `json:"login" minLength:"3" maxLength:"254"`
		Code  string `json:"code" minLength:"4" maxLength:"12"`
	}
}

// Me describes the caller.
type Me struct {
	AccountID string `json:"account_id,omitempty"`
	TokenID   string `json:"token_id,omitempty"`
	Kind      string `json:"kind" enum:"staff,applicant,token"`
	Role      string `json:"role"`
	Scope     string `json:"scope"`
}

type sessionOut struct {
	SetCookie http.Cookie `header:"Set-Cookie"`
	Body      Me
}

type emptyOut struct{}

func me(p access.Principal) Me {
	return Me{AccountID: p.AccountID, TokenID: p.TokenID, Kind: p.Kind, Role: string(p.Role), Scope: string(p.Scope)}
}

// SessionCookie returns the cookie that carries a session.
func (s *Server) SessionCookie(r *http.Request, value string, maxAge time.Duration) http.Cookie {
	secure := r != nil && (r.TLS != nil || s.TrustProxy && r.Header.Get("X-Forwarded-Proto") == "https")
	c := http.Cookie{Name: auth.SessionCookie, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secure}
	if value == "" {
		c.MaxAge = -1
	} else {
		c.MaxAge = int(maxAge.Seconds())
	}
	return c
}

type requestKey struct{}

func requestFrom(ctx context.Context) *http.Request {
	r, _ := ctx.Value(requestKey{}).(*http.Request)
	return r
}

// RegisterAuth adds sign-in, accounts, tokens, sessions and helper consent.
func (s *Server) RegisterAuth(svc *auth.Service) {
	tags := []string{"Accounts and sign-in"}
	Register(s, access.Public, huma.Operation{OperationID: "sign-in", Method: "POST", Path: "/api/v1/auth/signin", Tags: tags,
		Summary: "Sign in with an email or phone number and a password", Errors: []int{401, 422, 429}},
		func(ctx context.Context, in *signInIn) (*sessionOut, error) {
			tok, a, err := svc.SignIn(ctx, in.Body.Login, in.Body.Password, remoteAddr(ctx))
			if err != nil {
				return nil, err
			}
			return &sessionOut{SetCookie: s.SessionCookie(requestFrom(ctx), tok, svc.SessionMax),
				Body: Me{AccountID: a.ID, Kind: a.Kind, Role: a.Role, Scope: a.Scope}}, nil
		})
	Register(s, access.Public, huma.Operation{OperationID: "request-code", Method: "POST", Path: "/api/v1/auth/code", Tags: tags, DefaultStatus: 202,
		Summary: "Send a one-time sign-in code", Description: "Always answers 202, whether or not the login exists.", Errors: []int{422, 429}},
		func(ctx context.Context, in *codeIn) (*emptyOut, error) {
			return &emptyOut{}, svc.RequestCode(ctx, in.Body.Login, remoteAddr(ctx))
		})
	Register(s, access.Public, huma.Operation{OperationID: "verify-code", Method: "POST", Path: "/api/v1/auth/code/verify", Tags: tags,
		Summary: "Sign in with a one-time code", Errors: []int{401, 422, 429}},
		func(ctx context.Context, in *codeVerifyIn) (*sessionOut, error) {
			tok, a, err := svc.VerifyCode(ctx, in.Body.Login, in.Body.Code, remoteAddr(ctx))
			if err != nil {
				return nil, err
			}
			return &sessionOut{SetCookie: s.SessionCookie(requestFrom(ctx), tok, svc.SessionMax),
				Body: Me{AccountID: a.ID, Kind: a.Kind, Role: a.Role, Scope: a.Scope}}, nil
		})
	Register(s, access.SignedIn, huma.Operation{OperationID: "sign-out", Method: "POST", Path: "/api/v1/auth/signout", Tags: tags, DefaultStatus: 204,
		Summary: "Sign out of this session"},
		func(ctx context.Context, _ *struct{}) (*struct {
			SetCookie http.Cookie `header:"Set-Cookie"`
		}, error) {
			r := requestFrom(ctx)
			if c, err := r.Cookie(auth.SessionCookie); err == nil {
				if err := svc.SignOut(ctx, c.Value); err != nil {
					return nil, err
				}
			}
			return &struct {
				SetCookie http.Cookie `header:"Set-Cookie"`
			}{s.SessionCookie(r, "", 0)}, nil
		})
	Register(s, access.SignedIn, huma.Operation{OperationID: "get-me", Method: "GET", Path: "/api/v1/me", Tags: tags, Summary: "Who am I"},
		func(ctx context.Context, _ *struct{}) (*struct{ Body Me }, error) {
			return &struct{ Body Me }{me(access.From(ctx))}, nil
		})

	type newApplicantIn struct {
		Body struct {
			Email    string `json:"email,omitempty" maxLength:"254" doc:"Email address; give an email or a phone number"`
			Phone    string `json:"phone,omitempty" maxLength:"32" doc:"Phone number with country code, e.g. +52 55 1234 5678"`
			Password string `json:"password,omitempty" maxLength:"1024" doc:"Optional: without one, sign in with one-time codes"`
			Language string `json:"language,omitempty" enum:"es,en,ht,pt,fr" doc:"Language for messages"`
		}
	}
	Register(s, access.Public, huma.Operation{OperationID: "create-applicant-account", Method: "POST", Path: "/api/v1/accounts", Tags: tags, DefaultStatus: 201,
		Summary: "Create an applicant account", Errors: []int{409, 422, 429}},
		func(ctx context.Context, in *newApplicantIn) (*struct{ Body Me }, error) {
			lang := in.Body.Language
			if lang == "" {
				lang = Lang(ctx)
			}
			a, err := svc.CreateAccount(ctx, auth.NewAccount{Kind: "applicant", Email: in.Body.Email, Phone: in.Body.Phone, Password: in.Body.Password, Language: lang})
			if err != nil {
				return nil, err
			}
			return &struct{ Body Me }{Me{AccountID: a.ID, Kind: a.Kind, Role: a.Role, Scope: a.Scope}}, nil
		})

	s.registerAdmin(svc)
	s.registerHelpers(svc)
}

// AccountView is an account as administrators see it.
type AccountView struct {
	ID           string    `json:"id"`
	Kind         string    `json:"kind"`
	Role         string    `json:"role"`
	Scope        string    `json:"scope"`
	Email        string    `json:"email,omitempty"`
	Organisation string    `json:"organisation,omitempty"`
	Flagged      bool      `json:"flagged" doc:"A helper acting for an unusual number of households, to review"`
	Disabled     bool      `json:"disabled"`
	CreatedAt    time.Time `json:"created_at"`
}

// TokenView is an API token without its secret.
type TokenView struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Scope     string    `json:"scope"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	Revoked   bool      `json:"revoked"`
}

func tokenView(t store.Token) TokenView {
	return TokenView{ID: t.ID, Name: t.Name, Role: t.Role, Scope: t.Scope, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, Revoked: !t.RevokedAt.IsZero()}
}

func notFound() error { return &senda.Error{Code: senda.CodeNotFound, Key: "error.not_found"} }

func (s *Server) registerAdmin(svc *auth.Service) {
	tags := []string{"Administration"}
	admin := access.Roles(access.Admin)
	view := func(a store.Account) AccountView {
		email, _ := svc.Contact(a)
		return AccountView{ID: a.ID, Kind: a.Kind, Role: a.Role, Scope: a.Scope, Email: email, Organisation: a.Organisation,
			Flagged: !a.FlaggedAt.IsZero(), Disabled: !a.DisabledAt.IsZero(), CreatedAt: a.CreatedAt}
	}
	// An administrator manages only staff within their own scope; anything
	// else answers 404, like an account that does not exist.
	visible := func(p access.Principal, a store.Account) bool {
		return a.Kind == "staff" && p.Scope.Covers(access.Scope(a.Scope))
	}
	Register(s, admin, huma.Operation{OperationID: "list-staff", Method: "GET", Path: "/api/v1/admin/accounts", Tags: tags, Summary: "Staff accounts in my scope"},
		func(ctx context.Context, _ *struct{}) (*struct{ Body []AccountView }, error) {
			p := access.From(ctx)
			var out []AccountView
			err := s.DB.View(ctx, func(tx *store.Tx) error {
				as, err := tx.Accounts(ctx, "staff", 10000)
				for _, a := range as {
					if visible(p, a) {
						out = append(out, view(a))
					}
				}
				return err
			})
			if out == nil {
				out = []AccountView{}
			}
			return &struct{ Body []AccountView }{out}, err
		})
	type newStaffIn struct {
		Body struct {
			Email        string `json:"email" maxLength:"254"`
			Name         string `json:"name,omitempty" maxLength:"200"`
			Password     string `json:"password" maxLength:"1024"`
			Role         string `json:"role" enum:"admin,programme_manager,caseworker,port_officer,analyst,auditor,helper"`
			Scope        string `json:"scope" maxLength:"40" doc:"*, a country (GT) or an office or port (GT/SMO-GUA)"`
			Organisation string `json:"organisation,omitempty" maxLength:"200" doc:"Accredited organisation of a helper"`
		}
	}
	Register(s, admin, huma.Operation{OperationID: "create-staff", Method: "POST", Path: "/api/v1/admin/accounts", Tags: tags, DefaultStatus: 201,
		Summary: "Create a staff or helper account", Errors: []int{409, 422}},
		func(ctx context.Context, in *newStaffIn) (*struct{ Body AccountView }, error) {
			p := access.From(ctx)
			if !p.Scope.Covers(access.Scope(in.Body.Scope)) {
				return nil, &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid", Fields: []senda.FieldError{{Location: "body.scope", Key: "auth.scope_wider"}}}
			}
			a, err := svc.CreateAccount(ctx, auth.NewAccount{Kind: "staff", Role: access.Role(in.Body.Role), Scope: access.Scope(in.Body.Scope),
				Email: in.Body.Email, Name: in.Body.Name, Password: in.Body.Password, Organisation: in.Body.Organisation, Language: Lang(ctx)})
			if err != nil {
				return nil, err
			}
			return &struct{ Body AccountView }{view(a)}, nil
		})
	type updateIn struct {
		ID   string `path:"id" maxLength:"64"`
		Body struct {
			Role     string `json:"role" enum:"admin,programme_manager,caseworker,port_officer,analyst,auditor,helper"`
			Scope    string `json:"scope" maxLength:"40"`
			Disabled bool   `json:"disabled"`
		}
	}
	Register(s, admin, huma.Operation{OperationID: "update-staff", Method: "PUT", Path: "/api/v1/admin/accounts/{id}/access", Tags: tags,
		Summary: "Change a staff account's role, scope or whether it is disabled; disabling ends its sessions"},
		func(ctx context.Context, in *updateIn) (*struct{ Body AccountView }, error) {
			p := access.From(ctx)
			if _, ok := access.ParseScope(in.Body.Scope); !ok || !p.Scope.Covers(access.Scope(in.Body.Scope)) {
				return nil, &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid", Fields: []senda.FieldError{{Location: "body.scope", Key: "auth.scope"}}}
			}
			var a store.Account
			err := s.DB.Update(ctx, func(tx *store.Tx) (err error) {
				if a, err = tx.Account(ctx, in.ID); err != nil || !visible(p, a) {
					return notFound()
				}
				if err := tx.UpdateAccountAccess(ctx, in.ID, in.Body.Role, in.Body.Scope, in.Body.Disabled); err != nil {
					return err
				}
				if in.Body.Disabled {
					if _, err := tx.RevokeSessions(ctx, "", in.ID); err != nil {
						return err
					}
				}
				a, err = tx.Account(ctx, in.ID)
				return err
			})
			if err != nil {
				return nil, err
			}
			return &struct{ Body AccountView }{view(a)}, nil
		})
	type idIn struct {
		ID string `path:"id" maxLength:"64"`
	}
	type revokedOut struct {
		Body struct {
			Revoked int64 `json:"revoked"`
		}
	}
	Register(s, admin, huma.Operation{OperationID: "revoke-sessions", Method: "POST", Path: "/api/v1/admin/accounts/{id}/sessions/revoke", Tags: tags,
		Summary: "End every session of an account"},
		func(ctx context.Context, in *idIn) (*revokedOut, error) {
			p := access.From(ctx)
			out := &revokedOut{}
			err := s.DB.Update(ctx, func(tx *store.Tx) error {
				a, err := tx.Account(ctx, in.ID)
				if err != nil || !(visible(p, a) || p.Scope == "*") {
					return notFound()
				}
				out.Body.Revoked, err = tx.RevokeSessions(ctx, "", in.ID)
				return err
			})
			return out, err
		})
	Register(s, admin, huma.Operation{OperationID: "list-tokens", Method: "GET", Path: "/api/v1/admin/tokens", Tags: tags, Summary: "API tokens in my scope"},
		func(ctx context.Context, _ *struct{}) (*struct{ Body []TokenView }, error) {
			p := access.From(ctx)
			out := []TokenView{}
			err := s.DB.View(ctx, func(tx *store.Tx) error {
				ts, err := tx.Tokens(ctx)
				for _, t := range ts {
					if p.Scope.Covers(access.Scope(t.Scope)) {
						out = append(out, tokenView(t))
					}
				}
				return err
			})
			return &struct{ Body []TokenView }{out}, err
		})
	type newTokenIn struct {
		Body struct {
			Name     string `json:"name,omitempty" maxLength:"100"`
			Role     string `json:"role" enum:"admin,programme_manager,caseworker,port_officer,analyst,auditor,helper"`
			Scope    string `json:"scope" maxLength:"40"`
			TTLHours int    `json:"ttl_hours" minimum:"1" maximum:"8784"`
		}
	}
	type newTokenOut struct {
		Body struct {
			Token  string    `json:"token" doc:"The secret: shown once, never again"`
			Detail TokenView `json:"detail"`
		}
	}
	Register(s, admin, huma.Operation{OperationID: "create-token", Method: "POST", Path: "/api/v1/admin/tokens", Tags: tags, DefaultStatus: 201,
		Summary: "Create an API token; its secret is shown once"},
		func(ctx context.Context, in *newTokenIn) (*newTokenOut, error) {
			secret, t, err := svc.CreateToken(ctx, access.From(ctx), in.Body.Name, access.Role(in.Body.Role), access.Scope(in.Body.Scope), time.Duration(in.Body.TTLHours)*time.Hour)
			if err != nil {
				return nil, err
			}
			out := &newTokenOut{}
			out.Body.Token, out.Body.Detail = secret, tokenView(t)
			return out, nil
		})
	Register(s, admin, huma.Operation{OperationID: "revoke-token", Method: "DELETE", Path: "/api/v1/admin/tokens/{id}", Tags: tags, DefaultStatus: 204,
		Summary: "Revoke an API token"},
		func(ctx context.Context, in *idIn) (*emptyOut, error) {
			p := access.From(ctx)
			err := s.DB.Update(ctx, func(tx *store.Tx) error {
				ts, err := tx.Tokens(ctx)
				if err != nil {
					return err
				}
				for _, t := range ts {
					if t.ID == in.ID && p.Scope.Covers(access.Scope(t.Scope)) {
						return tx.RevokeToken(ctx, in.ID)
					}
				}
				return notFound()
			})
			return &emptyOut{}, err
		})
}

// GrantView is an applicant's consent for a helper.
type GrantView struct {
	ID        string     `json:"id"`
	HelperID  string     `json:"helper_id"`
	Purpose   string     `json:"purpose"`
	GrantedAt time.Time  `json:"granted_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

func (s *Server) registerHelpers(svc *auth.Service) {
	tags := []string{"Helpers"}
	applicant := access.Roles(access.Applicant)
	Register(s, applicant, huma.Operation{OperationID: "list-my-helpers", Method: "GET", Path: "/api/v1/me/helpers", Tags: tags,
		Summary: "Helpers I allowed to act for me, including revoked ones"},
		func(ctx context.Context, _ *struct{}) (*struct{ Body []GrantView }, error) {
			p := access.From(ctx)
			out := []GrantView{}
			err := s.DB.View(ctx, func(tx *store.Tx) error {
				gs, err := tx.Grants(ctx, "", p.AccountID, true)
				for _, g := range gs {
					v := GrantView{ID: g.ID, HelperID: g.HelperID, Purpose: g.Purpose, GrantedAt: g.GrantedAt}
					if !g.RevokedAt.IsZero() {
						r := g.RevokedAt
						v.RevokedAt = &r
					}
					out = append(out, v)
				}
				return err
			})
			return &struct{ Body []GrantView }{out}, err
		})
	type grantIn struct {
		Body struct {
			HelperID string `json:"helper_id" maxLength:"64"`
			Purpose  string `json:"purpose" minLength:"3" maxLength:"200" doc:"What the helper may do for me, in my words"`
		}
	}
	Register(s, applicant, huma.Operation{OperationID: "grant-helper", Method: "POST", Path: "/api/v1/me/helpers", Tags: tags, DefaultStatus: 201,
		Summary: "Allow a helper of an accredited organisation to act for me"},
		func(ctx context.Context, in *grantIn) (*struct{ Body GrantView }, error) {
			g, err := svc.GrantHelper(ctx, access.From(ctx), in.Body.HelperID, in.Body.Purpose)
			if err != nil {
				return nil, err
			}
			return &struct{ Body GrantView }{GrantView{ID: g.ID, HelperID: g.HelperID, Purpose: g.Purpose, GrantedAt: time.Now().UTC()}}, nil
		})
	type idIn struct {
		ID string `path:"id" maxLength:"64"`
	}
	Register(s, applicant, huma.Operation{OperationID: "revoke-helper", Method: "DELETE", Path: "/api/v1/me/helpers/{id}", Tags: tags, DefaultStatus: 204,
		Summary: "Withdraw a helper's permission"},
		func(ctx context.Context, in *idIn) (*emptyOut, error) {
			p := access.From(ctx)
			err := s.DB.Update(ctx, func(tx *store.Tx) error { return tx.RevokeGrant(ctx, in.ID, p.AccountID) })
			if senda.ErrorCode(err) == senda.CodeConflict {
				return nil, notFound()
			}
			return &emptyOut{}, err
		})
}
