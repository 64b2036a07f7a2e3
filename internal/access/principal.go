package access

import (
	"context"
	"strings"
)

// Principal is who is calling: an account signed in through a session, or an
// API token. The zero Principal is an anonymous caller.
type Principal struct {
	AccountID string
	TokenID   string
	Kind      string // "staff", "applicant" or "token"
	Role      Role
	Scope     Scope
	// SessionHash identifies the browser session, when there is one.
	SessionHash string
}

// Anonymous reports whether nobody is signed in.
func (p Principal) Anonymous() bool { return p.Role == "" }

// Actor is how the principal appears in the audit log.
func (p Principal) Actor() string {
	if p.AccountID != "" {
		return p.AccountID
	}
	if p.TokenID != "" {
		return "token:" + p.TokenID
	}
	return "anonymous"
}

type principalKey struct{}

// With returns ctx carrying p.
func With(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// From returns the caller of ctx (anonymous when none).
func From(ctx context.Context) Principal {
	p, _ := ctx.Value(principalKey{}).(Principal)
	return p
}

// Scope is where a role applies: "*" (everywhere), a country ("GT"), or one
// office or port within it ("GT/SMO-GUA", "US/POE-SYS").
type Scope string

// ParseScope validates a scope.
func ParseScope(s string) (Scope, bool) {
	if s == "*" {
		return "*", true
	}
	country, place, hasPlace := strings.Cut(s, "/")
	if len(country) != 2 || !upper(country) {
		return "", false
	}
	if hasPlace {
		if len(place) < 3 || len(place) > 32 || strings.Contains(place, "/") {
			return "", false
		}
		for _, r := range place {
			if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return "", false
			}
		}
	}
	return Scope(s), true
}

func upper(s string) bool {
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

// Contains reports whether a record held at place (a country, or
// "COUNTRY/OFFICE") is inside the scope.
func (s Scope) Contains(place string) bool {
	switch {
	case s == "*":
		return true
	case s == "":
		return false
	case string(s) == place:
		return true
	case !strings.Contains(string(s), "/"):
		return strings.HasPrefix(place, string(s)+"/")
	}
	return false
}

// Covers reports whether s includes all of other (a caller may only hand out
// scopes it covers).
func (s Scope) Covers(other Scope) bool {
	if s == "*" {
		return true
	}
	if other == "*" {
		return false
	}
	return s.Contains(string(other))
}
