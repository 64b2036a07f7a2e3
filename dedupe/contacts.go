package dedupe

import (
	"cmp"
	"log/slog"
	"slices"
	"strings"
)

// Contact is one household's contact details as the fraud checks need them.
type Contact struct {
	HouseholdID string
	// AccountID is the account that registered the household.
	AccountID string
	Phones    []string
	Emails    []string
	Address   string
	// Surnames are the surnames of the household's members: households at
	// one address that share a surname word are taken as related.
	Surnames []string
}

// ClusterKind names what the households of a cluster share.
type ClusterKind string

// Kinds of clusters.
const (
	KindAccount ClusterKind = "account"
	KindPhone   ClusterKind = "phone"
	KindEmail   ClusterKind = "email"
	KindAddress ClusterKind = "address"
)

// Cluster is a set of households that share one account, phone number,
// email address or address, more of them than the options allow.
type Cluster struct {
	Kind ClusterKind
	// Key is the shared value, normalised (PhoneKey, EmailKey, AddressKey,
	// or the account ID). It is personal data: LogValue leaves it out.
	Key        string
	Households []string // sorted
	// Unrelated counts the groups of households that share no surname word
	// with each other (for an address); for the other kinds it is the
	// number of households.
	Unrelated int
}

// LogValue leaves the shared value out of logs.
func (c Cluster) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("kind", string(c.Kind)),
		slog.Int("households", len(c.Households)),
		slog.Int("unrelated", c.Unrelated),
	)
}

// ClusterOptions are the thresholds of SharedContacts: a cluster is reported
// when its count exceeds them. Zero values take the defaults.
type ClusterOptions struct {
	MaxPerAccount          int // households registered by one account; default 3
	MaxPerPhone            int // households giving one phone number; default 3
	MaxPerEmail            int // households giving one email address; default 3
	MaxUnrelatedPerAddress int // unrelated households at one address; default 3
}

// Defaults of ClusterOptions.
const (
	DefaultMaxPerContact = 3
)

// SharedContacts returns the accounts, phone numbers and email addresses
// used by more households than allowed, and the addresses where more
// unrelated households than allowed are registered: patterns of one person
// registering households in bulk, or of an address used as a mailbox. The
// clusters are sorted by the number of households (largest first), then by
// kind and key. Like Candidates, it only points at records to review.
func SharedContacts(households []Contact, opts ClusterOptions) []Cluster {
	def := func(v int) int {
		if v <= 0 {
			return DefaultMaxPerContact
		}
		return v
	}
	opts.MaxPerAccount = def(opts.MaxPerAccount)
	opts.MaxPerPhone = def(opts.MaxPerPhone)
	opts.MaxPerEmail = def(opts.MaxPerEmail)
	opts.MaxUnrelatedPerAddress = def(opts.MaxUnrelatedPerAddress)

	type group map[string]map[string]bool // key -> household IDs
	add := func(g group, key, hh string) {
		if key == "" {
			return
		}
		if g[key] == nil {
			g[key] = map[string]bool{}
		}
		g[key][hh] = true
	}
	accounts, phones, emails, addresses := group{}, group{}, group{}, group{}
	surnames := map[string][]string{}
	for _, h := range households {
		add(accounts, strings.TrimSpace(h.AccountID), h.HouseholdID)
		for _, p := range h.Phones {
			add(phones, PhoneKey(p), h.HouseholdID)
		}
		for _, e := range h.Emails {
			add(emails, EmailKey(e), h.HouseholdID)
		}
		add(addresses, AddressKey(h.Address), h.HouseholdID)
		surnames[h.HouseholdID] = append(surnames[h.HouseholdID], Tokens(h.Surnames)...)
	}
	var out []Cluster
	collect := func(kind ClusterKind, g group, limit int, related bool) {
		for key, set := range g {
			if len(set) <= limit {
				continue
			}
			ids := make([]string, 0, len(set))
			for id := range set {
				ids = append(ids, id)
			}
			slices.Sort(ids)
			unrelated := len(ids)
			if related {
				unrelated = unrelatedGroups(ids, surnames)
				if unrelated <= limit {
					continue
				}
			}
			out = append(out, Cluster{Kind: kind, Key: key, Households: ids, Unrelated: unrelated})
		}
	}
	collect(KindAccount, accounts, opts.MaxPerAccount, false)
	collect(KindPhone, phones, opts.MaxPerPhone, false)
	collect(KindEmail, emails, opts.MaxPerEmail, false)
	collect(KindAddress, addresses, opts.MaxUnrelatedPerAddress, true)
	slices.SortFunc(out, func(a, b Cluster) int {
		if c := cmp.Compare(len(b.Households), len(a.Households)); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	return out
}

// unrelatedGroups counts the groups of households linked by a shared
// surname word.
func unrelatedGroups(ids []string, surnames map[string][]string) int {
	parent := make([]int, len(ids))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	owner := map[string]int{}
	for i, id := range ids {
		for _, s := range surnames[id] {
			if j, ok := owner[s]; ok {
				parent[find(i)] = find(j)
			} else {
				owner[s] = i
			}
		}
	}
	groups := 0
	for i := range parent {
		if find(i) == i {
			groups++
		}
	}
	return groups
}

// PhoneKey normalises a phone number: its last 8 digits, which are the
// subscriber number in the region's numbering plans, so that +502 5555-1234,
// 00502 55551234 and 5555 1234 agree, and so do +58 414 1234567 and
// 0414-1234567. Numbers of fewer than 7 digits give "".
func PhoneKey(s string) string {
	digits := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; '0' <= c && c <= '9' {
			digits = append(digits, c)
		}
	}
	if len(digits) < 7 {
		return ""
	}
	if len(digits) > 8 {
		digits = digits[len(digits)-8:]
	}
	return string(digits)
}

// EmailKey normalises an email address: lower case, without a +tag in the
// local part, and for Gmail without dots in it. Text without one @ gives "".
func EmailKey(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") {
		return ""
	}
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	if domain == "gmail.com" || domain == "googlemail.com" {
		local = strings.ReplaceAll(local, ".", "")
		domain = "gmail.com"
	}
	return local + "@" + domain
}

// addressWords rewrites words of addresses to one spelling; an empty
// spelling drops the word.
var addressWords = map[string]string{
	"calle": "c", "cl": "c", "cll": "c", "rue": "c", "rua": "c", "street": "c", "st": "c",
	"avenida": "av", "ave": "av", "avda": "av", "avenue": "av",
	"carrera": "cra", "cr": "cra", "kr": "cra", "kra": "cra",
	"diagonal": "dg", "transversal": "tv",
	"numero": "", "num": "", "nro": "", "no": "", "n": "",
	"casa": "", "barrio": "", "sector": "", "residencial": "", "urbanizacion": "", "urb": "",
	"apartamento": "apt", "apto": "apt", "apt": "apt", "depto": "apt", "departamento": "apt", "dpto": "apt",
	"colonia": "col", "col": "col", "zona": "z", "edificio": "ed", "edif": "ed", "piso": "p",
	"interior": "int", "manzana": "mz", "mza": "mz", "lote": "lt", "kilometro": "km",
	"de": "", "del": "", "la": "", "las": "", "los": "", "el": "", "y": "",
}

// AddressKey normalises an address for grouping: folded like names (case,
// accents), common words rewritten to one abbreviation (Calle -> c, Avenida
// -> av, Apartamento -> apt ...), filler words dropped (número, casa,
// barrio, de, la ...), and the remaining words sorted, so that "Calle 5 #
// 10-20, Zona 1" and "zona 1, calle 5 no. 10 20" agree. Empty input gives "".
func AddressKey(s string) string {
	words := strings.Fields(Fold(s))
	out := words[:0]
	for _, w := range words {
		if r, ok := addressWords[w]; ok {
			w = r
		}
		if w != "" {
			out = append(out, w)
		}
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}
