package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/appointments"
	"github.com/senda-platform/senda/internal/audit"
	"github.com/senda-platform/senda/internal/auth"
	"github.com/senda-platform/senda/internal/config"
	"github.com/senda-platform/senda/internal/eligibility"
	"github.com/senda-platform/senda/internal/households"
	sendahttp "github.com/senda-platform/senda/internal/http"
	"github.com/senda-platform/senda/internal/jobs"
	"github.com/senda-platform/senda/internal/seal"
	"github.com/senda-platform/senda/internal/statsvc"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/web"
	"github.com/senda-platform/senda/reference"
)

// openStore connects to the configured database, with a message that says
// what to do when it cannot.
func openStore(ctx context.Context, cfg config.Config) (*store.DB, error) {
	db, err := store.Open(ctx, store.Options{DatabaseURL: cfg.DatabaseURL, SQLitePath: cfg.SQLitePath()})
	if err != nil {
		var se *senda.Error
		cause := err
		if errors.As(err, &se) && se.Err != nil {
			cause = se.Err
		}
		if cfg.DatabaseURL != "" {
			return nil, fmt.Errorf("cannot reach the database at %s (%v): check --database-url and that PostgreSQL is running", config.Redacted(cfg.DatabaseURL), cause)
		}
		return nil, fmt.Errorf("cannot open the database in %s (%v): check that --data names a writable directory", cfg.DataDir, cause)
	}
	return db, nil
}

// migrated opens the store and applies pending migrations.
func migrated(ctx context.Context, cfg config.Config) (*store.DB, error) {
	db, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		if senda.ErrorCode(err) == senda.CodeUnavailable {
			return nil, fmt.Errorf("%s", oneLine(err))
		}
		return nil, fmt.Errorf("cannot migrate the database: %s", oneLine(err))
	}
	return db, nil
}

// keyFile is where the data keys live unless SENDA_KEYS gives them.
func keyFile(cfg config.Config) string {
	if p := os.Getenv("SENDA_KEYS_FILE"); p != "" {
		return p
	}
	return filepath.Join(cfg.DataDir, "keys.json")
}

// keyring loads the data keys: SENDA_KEYS (the key file's JSON) or the key
// file, created on first run.
func keyring(cfg config.Config) (*seal.Keyring, error) {
	if v := os.Getenv("SENDA_KEYS"); v != "" {
		k, err := seal.Parse([]byte(v))
		if err != nil {
			return nil, fmt.Errorf("SENDA_KEYS: %v", err)
		}
		return k, nil
	}
	path := keyFile(cfg)
	k, err := seal.LoadOrCreate(path)
	if err != nil {
		return nil, fmt.Errorf("data keys %s: %v", path, err)
	}
	return k, nil
}

func loadReference(ctx context.Context, db *store.DB) error {
	var locs []store.Location
	for _, l := range reference.Locations() {
		locs = append(locs, store.Location{Code: l.Code, Kind: string(l.Kind), Country: l.Country, Name: l.Name, TimeZone: l.TimeZone, Latitude: l.Lat, Longitude: l.Lon})
	}
	return db.LoadLocations(ctx, reference.Version, locs)
}

func (env *Env) logger() *slog.Logger {
	if env.Log != nil {
		return env.Log
	}
	return slog.New(slog.NewJSONHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// App is a running Senda: the pieces serve wires together. Tests and
// benchmarks build one too.
type App struct {
	DB     *store.DB
	Keys   *seal.Keyring
	HTTP   *sendahttp.Server
	Runner *jobs.Runner
	Outbox *jobs.Outbox
	Auth   *auth.Service
	// Households is the household registry.
	Households *households.Service
	Handler    http.Handler
	// Appointments is the appointment programme and its daily draw.
	Appointments *appointments.Service
}

// NewApp wires an App on an open, migrated store.
func NewApp(ctx context.Context, cfg config.Config, db *store.DB, keys *seal.Keyring, log *slog.Logger) (*App, error) {
	if err := loadReference(ctx, db); err != nil {
		return nil, fmt.Errorf("cannot load reference data: %s", oneLine(err))
	}
	// Security-relevant changes made through the store (accounts, sessions,
	// tokens, consent) go to the audit trail in their own transaction.
	db.Audit = func(ctx context.Context, tx *store.Tx, c store.Change) error {
		p := access.From(ctx)
		role := string(p.Role)
		if role == "" {
			role = "anonymous"
		}
		e := audit.Entry{ActorID: p.Actor(), ActorRole: role, ActorScope: string(p.Scope), Action: c.Action,
			RecordType: c.RecordType, RecordID: c.RecordID, Subject: c.Subject, Fields: c.Fields, RequestID: sendahttp.RequestID(ctx)}
		if addr := sendahttp.RemoteAddr(ctx); addr != "" {
			e.Remote = audit.SealRemote(keys, addr)
		}
		_, err := audit.Append(ctx, tx, e)
		return err
	}
	metrics := sendahttp.NewMetrics(db)
	srv := sendahttp.New(sendahttp.Config{DB: db, Log: log, Version: version(), Metrics: metrics})
	runner := jobs.NewRunner(db, log)
	runner.Observe = metrics.ObserveJob
	var sender jobs.Sender = jobs.DevSender{}
	if cfg.WebhookURL != "" {
		secret, err := os.ReadFile(cfg.WebhookSecretFile)
		if err != nil {
			return nil, fmt.Errorf("--webhook-secret-file: %v", err)
		}
		sender = &jobs.WebhookSender{URL: cfg.WebhookURL, Secret: secret}
	}
	app := &App{DB: db, Keys: keys, HTTP: srv, Runner: runner, Outbox: jobs.NewOutbox(db, keys, sender, runner)}
	app.Auth = auth.New(db, keys, app.Outbox)
	srv.Auth = app.Auth
	srv.RegisterAuth(app.Auth)
	app.Households = &households.Service{DB: db, Keys: keys, ActsFor: app.Auth.ActsFor}
	srv.RegisterHouseholds(app.Households)
	elig := eligibility.New(db, keys, app.Households, log)
	srv.RegisterEligibility(elig)
	if err := app.wireAppointments(cfg, log); err != nil {
		return nil, err
	}
	statsSvc := statsvc.New(db)
	srv.RegisterStats(statsSvc)
	if _, err := web.Mount(srv, log); err != nil {
		return nil, err
	}
	if err := web.MountStats(srv, statsSvc, log); err != nil {
		return nil, err
	}
	if err := web.MountAuth(srv, app.Auth, auth.OIDCConfig{Issuer: cfg.OIDCIssuer, ClientID: cfg.OIDCClientID, ClientSecretFile: cfg.OIDCClientSecretFile, RedirectURL: cfg.OIDCRedirectURL}, log); err != nil {
		return nil, err
	}
	web.MountHouseholds(srv, app.Households, log)
	web.MountPathways(srv, elig, log)
	web.MountAppointments(srv, app.Appointments, log)
	// Cross-site form posts and fetches are refused on every route
	// (Sec-Fetch-Site / Origin checks); same-origin pages and API clients
	// without a browser pass.
	app.Handler = http.NewCrossOriginProtection().Handler(srv.Handler())
	return app, nil
}

func runServe(ctx context.Context, env *Env, args []string) error {
	cfg, fs, err := configFlags("serve", args, true)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	log := env.logger()
	db, err := migrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	keys, err := keyring(cfg)
	if err != nil {
		return err
	}
	if os.Getenv("SENDA_KEYS") == "" {
		// Pick up `senda keys rotate` run by another process.
		defer keys.Follow(keyFile(cfg), 5*time.Second)()
	}
	app, err := NewApp(ctx, cfg, db, keys, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("address %s is already in use: stop the other program or choose another with --addr", cfg.Addr)
		}
		return fmt.Errorf("cannot listen on %s (%v): choose another address with --addr", cfg.Addr, err)
	}
	hs := &http.Server{Handler: app.Handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 120 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	engine := "sqlite"
	if cfg.DatabaseURL != "" {
		engine = "postgres"
	}
	log.Info("senda listening", "addr", "http://"+ln.Addr().String(), "database", engine, "version", version())
	if env.OnListen != nil {
		env.OnListen(ln.Addr().String())
	}
	runCtx, stopJobs := context.WithCancel(ctx)
	jobsDone := make(chan struct{})
	app.startAppointments(runCtx, log)
	go func() { app.Runner.Run(runCtx, 4, cfg.ShutdownGrace); close(jobsDone) }()
	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()
	select {
	case err := <-serveErr:
		stopJobs()
		<-jobsDone
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests and jobs in flight", "grace", cfg.ShutdownGrace.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	stopJobs()
	err = hs.Shutdown(sctx)
	<-jobsDone
	log.Info("stopped")
	if err != nil {
		return fmt.Errorf("shutdown: %v", err)
	}
	return nil
}

func runMigrate(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || (args[0] != "up" && args[0] != "status") {
		return usagef("say up or status")
	}
	cfg, fs, err := configFlags("migrate", args[1:], false)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if args[0] == "up" {
		db, err := migrated(ctx, cfg)
		if err != nil {
			return err
		}
		defer db.Close()
		cur, _, _ := db.SchemaVersions(ctx)
		fmt.Fprintf(env.Stdout, "database is at schema version %d\n", cur)
		return nil
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := db.MigrationStatuses(ctx)
	if err != nil {
		return fmt.Errorf("cannot read migration status: %s", oneLine(err))
	}
	pending := 0
	for _, s := range st {
		state := "applied"
		if !s.Applied {
			state = "pending"
			pending++
		}
		fmt.Fprintf(env.Stdout, "%05d  %-8s %s\n", s.Version, state, s.Source)
	}
	if err := db.CheckSchema(ctx); err != nil && pending == 0 {
		return fmt.Errorf("%s", oneLine(err))
	}
	return nil
}

func runOutbox(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] != "list" {
		return usagef("say list")
	}
	cfg := config.Default()
	fs := newFlags("outbox")
	cfg.Bind(fs, false)
	limit := fs.Int("limit", 20, "how many messages")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	db, err := migrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	keys, err := keyring(cfg)
	if err != nil {
		return err
	}
	ob := jobs.NewOutbox(db, keys, jobs.DevSender{}, nil)
	list, raw, err := ob.List(ctx, *limit)
	if err != nil {
		return fmt.Errorf("%s", oneLine(err))
	}
	for i, m := range list {
		fmt.Fprintf(env.Stdout, "%s  %-8s %-8s %-3s %-28s %s\n", raw[i].CreatedAt.Format(time.RFC3339), m.Channel, raw[i].Status, m.Language, m.Template, m.Recipient)
	}
	return nil
}
