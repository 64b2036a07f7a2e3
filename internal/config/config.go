// Package config holds Senda's one validated configuration, read from flags
// and the environment. Nothing else in Senda reads the environment.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Config is what every command needs. It is validated once and passed down.
type Config struct {
	// DataDir holds the embedded SQLite database and the local key file.
	DataDir string
	// DatabaseURL selects PostgreSQL when set (postgres://...).
	DatabaseURL string
	// Addr is where serve listens.
	Addr string
	// WebhookURL, when set, sends outgoing messages to a gateway instead of
	// recording them with the development sender.
	WebhookURL string
	// WebhookSecretFile holds the key that signs webhook bodies.
	WebhookSecretFile string
	// ShutdownGrace bounds how long in-flight requests and jobs may run on
	// SIGTERM.
	ShutdownGrace time.Duration
	// OIDCIssuer turns on staff sign-in through an OpenID Connect provider.
	OIDCIssuer string
	// OIDCClientID is Senda's client at the provider.
	OIDCClientID string
	// OIDCClientSecretFile holds the client secret (empty for a public client).
	OIDCClientSecretFile string
	// OIDCRedirectURL is the callback registered at the provider; empty
	// derives it from each request.
	OIDCRedirectURL string

	// The daily appointment request window: it opens and closes at these
	// times (HH:MM) in WindowZone, WindowLeadDays days before the service
	// date it takes requests for.
	WindowZone, WindowOpens, WindowCloses string
	WindowLeadDays                        int
	// ConfirmWindow is how long an allocated household has to confirm.
	ConfirmWindow time.Duration
	// PriorityShareBP is the share of each location's seats, in basis
	// points, given first to the longest-registered households.
	PriorityShareBP int
	// BeaconURL, when set, is a drand chain's HTTP address whose first
	// round after each window's close is mixed into that day's draw.
	BeaconURL string
}

// Env names the environment variables that mirror flags.
var Env = map[string]string{
	"data":           "SENDA_DATA",
	"database-url":   "SENDA_DATABASE_URL",
	"addr":           "SENDA_ADDR",
	"webhook-url":    "SENDA_WEBHOOK_URL",
	"oidc-issuer":    "SENDA_OIDC_ISSUER",
	"oidc-client-id": "SENDA_OIDC_CLIENT_ID",
	"window-zone":    "SENDA_WINDOW_ZONE",
	"window-opens":   "SENDA_WINDOW_OPENS",
	"window-closes":  "SENDA_WINDOW_CLOSES",
	"beacon-url":     "SENDA_BEACON_URL",
}

// Default returns the zero-configuration settings.
func Default() Config {
	return Config{DataDir: "senda-data", Addr: "127.0.0.1:8080", ShutdownGrace: 20 * time.Second,
		WindowZone: "America/New_York", WindowOpens: "12:00", WindowCloses: "23:59", WindowLeadDays: 1,
		ConfirmWindow: 23 * time.Hour, PriorityShareBP: 2500}
}

// Bind registers the flags every command accepts on fs; withServe adds the
// flags of serve. Defaults come from the environment when set.
func (c *Config) Bind(fs *flag.FlagSet, withServe bool) {
	fs.StringVar(&c.DataDir, "data", envOr("data", c.DataDir), "directory of the embedded SQLite database (env SENDA_DATA)")
	fs.StringVar(&c.DatabaseURL, "database-url", envOr("database-url", c.DatabaseURL), "PostgreSQL URL, postgres://...; empty for embedded SQLite (env SENDA_DATABASE_URL)")
	if withServe {
		fs.StringVar(&c.Addr, "addr", envOr("addr", c.Addr), "HOST:PORT to listen on (env SENDA_ADDR)")
		fs.StringVar(&c.WebhookURL, "webhook-url", envOr("webhook-url", c.WebhookURL), "gateway URL that receives outgoing messages; empty records them locally (env SENDA_WEBHOOK_URL)")
		fs.StringVar(&c.WebhookSecretFile, "webhook-secret-file", c.WebhookSecretFile, "file holding the key that signs webhook bodies")
		fs.DurationVar(&c.ShutdownGrace, "shutdown-grace", c.ShutdownGrace, "how long in-flight work may run after SIGTERM")
		fs.StringVar(&c.OIDCIssuer, "oidc-issuer", envOr("oidc-issuer", c.OIDCIssuer), "issuer URL of the OpenID Connect provider for staff sign-in; empty turns it off (env SENDA_OIDC_ISSUER)")
		fs.StringVar(&c.OIDCClientID, "oidc-client-id", envOr("oidc-client-id", c.OIDCClientID), "client ID of Senda at the OpenID Connect provider (env SENDA_OIDC_CLIENT_ID)")
		fs.StringVar(&c.OIDCClientSecretFile, "oidc-client-secret-file", c.OIDCClientSecretFile, "file holding the OpenID Connect client secret; empty for a public client")
		fs.StringVar(&c.OIDCRedirectURL, "oidc-redirect-url", c.OIDCRedirectURL, "callback URL registered at the provider, https://HOST/signin/oidc/callback; empty derives it from each request")
		fs.StringVar(&c.WindowZone, "window-zone", envOr("window-zone", c.WindowZone), "IANA time zone of the daily request window (env SENDA_WINDOW_ZONE)")
		fs.StringVar(&c.WindowOpens, "window-opens", envOr("window-opens", c.WindowOpens), "HH:MM the request window opens (env SENDA_WINDOW_OPENS)")
		fs.StringVar(&c.WindowCloses, "window-closes", envOr("window-closes", c.WindowCloses), "HH:MM the request window closes, later the same day (env SENDA_WINDOW_CLOSES)")
		fs.IntVar(&c.WindowLeadDays, "window-lead-days", c.WindowLeadDays, "days between a window and the service date it takes requests for")
		fs.DurationVar(&c.ConfirmWindow, "confirm-window", c.ConfirmWindow, "how long an allocated household has to confirm")
		fs.IntVar(&c.PriorityShareBP, "priority-share-bp", c.PriorityShareBP, "share of each location's seats, in basis points, given first to the longest-registered households")
		fs.StringVar(&c.BeaconURL, "beacon-url", envOr("beacon-url", c.BeaconURL), "drand chain HTTP address whose first round after each close enters the draw; empty draws without a beacon (env SENDA_BEACON_URL)")
	}
}

func envOr(flagName, def string) string {
	if v, ok := os.LookupEnv(Env[flagName]); ok && v != "" {
		return v
	}
	return def
}

// Validate checks the configuration and returns one error per problem,
// joined, each saying what to fix.
func (c *Config) Validate() error {
	var errs []error
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			errs = append(errs, fmt.Errorf("--database-url must be a postgres:// URL, for example postgres://user@127.0.0.1:5432/senda"))
		}
	} else if strings.TrimSpace(c.DataDir) == "" {
		errs = append(errs, errors.New("--data must name a directory"))
	}
	if c.Addr != "" {
		if _, _, err := net.SplitHostPort(c.Addr); err != nil {
			errs = append(errs, fmt.Errorf("--addr must be HOST:PORT, for example 127.0.0.1:8080"))
		}
	}
	if c.WebhookURL != "" {
		u, err := url.Parse(c.WebhookURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("--webhook-url must be an http(s) URL"))
		}
	}
	if c.WindowZone != "" {
		if _, err := time.LoadLocation(c.WindowZone); err != nil || c.WindowZone == "Local" {
			errs = append(errs, fmt.Errorf("--window-zone must be an IANA time zone, for example America/New_York"))
		}
	}
	o, ok1 := minutes(c.WindowOpens)
	cl, ok2 := minutes(c.WindowCloses)
	switch {
	case c.WindowOpens == "" && c.WindowCloses == "":
	case !ok1 || !ok2:
		errs = append(errs, fmt.Errorf("--window-opens and --window-closes must be HH:MM, for example 12:00 and 23:59"))
	case cl <= o:
		errs = append(errs, fmt.Errorf("--window-closes must be later the same day than --window-opens"))
	}
	if c.WindowLeadDays < 0 || c.WindowLeadDays > 60 {
		errs = append(errs, fmt.Errorf("--window-lead-days must be between 0 and 60"))
	}
	if c.ConfirmWindow < 0 || c.ConfirmWindow > 7*24*time.Hour {
		errs = append(errs, fmt.Errorf("--confirm-window must be a duration up to 168h, for example 23h"))
	}
	if c.PriorityShareBP < 0 || c.PriorityShareBP > 10000 {
		errs = append(errs, fmt.Errorf("--priority-share-bp must be between 0 and 10000"))
	}
	if c.BeaconURL != "" {
		u, err := url.Parse(c.BeaconURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("--beacon-url must be the http(s) address of a drand chain, for example https://api.drand.sh/<chain hash>"))
		}
	}
	return errors.Join(errs...)
}

// minutes parses HH:MM into minutes after midnight.
func minutes(s string) (int, bool) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, false
	}
	return t.Hour()*60 + t.Minute(), true
}

// SQLitePath is the database file under DataDir.
func (c *Config) SQLitePath() string { return filepath.Join(c.DataDir, "senda.db") }

// Redacted returns the database URL without its password, for messages.
func Redacted(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
