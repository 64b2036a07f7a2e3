// Package access declares who may use each route. Every route of the API and
// the web is registered with a Rule; a route without one cannot be added.
package access

// Role is what a signed-in account is allowed to do.
type Role string

// Roles.
const (
	Admin            Role = "admin"
	ProgrammeManager Role = "programme_manager"
	Caseworker       Role = "caseworker"
	PortOfficer      Role = "port_officer"
	Analyst          Role = "analyst"
	Auditor          Role = "auditor"
	Helper           Role = "helper"
	Applicant        Role = "applicant"
)

// AllRoles lists every role.
var AllRoles = []Role{Admin, ProgrammeManager, Caseworker, PortOfficer, Analyst, Auditor, Helper, Applicant}

// Rule says who may call a route: anyone (Public), or a signed-in account
// holding one of Roles.
type Rule struct {
	Public bool
	Roles  []Role
}

// Public lets anyone call the route, signed in or not.
var Public = Rule{Public: true}

// Roles returns a rule allowing the given roles.
func Roles(r ...Role) Rule { return Rule{Roles: r} }

// Allows reports whether a caller with role (empty when not signed in) may
// call the route.
func (r Rule) Allows(role Role) bool {
	if r.Public {
		return true
	}
	for _, x := range r.Roles {
		if x == role {
			return true
		}
	}
	return false
}

// SignedIn lets any signed-in account call the route.
var SignedIn = Rule{Roles: AllRoles}

// Staff lets every role but applicants and helpers call the route.
var Staff = Rule{Roles: []Role{Admin, ProgrammeManager, Caseworker, PortOfficer, Analyst, Auditor}}

// ValidRole reports whether r is a known role.
func ValidRole(r Role) bool {
	for _, x := range AllRoles {
		if x == r {
			return true
		}
	}
	return false
}
