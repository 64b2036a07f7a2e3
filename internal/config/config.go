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
}

// Env names the environment variables that mirror flags.
var Env = map[string]string{
	"data":           "SENDA_DATA",
	"database-url":   "SENDA_DATABASE_URL",
	"addr":           "SENDA_ADDR",
	"webhook-url":    "SENDA_WEBHOOK_URL",
	"oidc-issuer":    "SENDA_OIDC_ISSUER",
	"oidc-client-id": "SENDA_OIDC_CLIENT_ID",
}

// Default returns the zero-configuration settings.
func Default() Config {
	return Config{DataDir: "senda-data", Addr: "127.0.0.1:8080", ShutdownGrace: 20 * time.Second}
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
	return errors.Join(errs...)
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
