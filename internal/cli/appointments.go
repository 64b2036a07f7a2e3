package cli

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/appointments"
	"github.com/senda-platform/senda/internal/config"
	"github.com/senda-platform/senda/internal/jobs"
)

// wireAppointments builds the appointment service on the app's store,
// registers its routes and jobs, and lets it keep households that still
// hold appointments from deletion.
func (app *App) wireAppointments(cfg config.Config, log *slog.Logger) error {
	svc, err := appointments.New(app.DB, app.Keys, app.Outbox, app.Runner, appointmentsConfig(cfg))
	if err != nil {
		return err
	}
	svc.Log = log
	svc.ActsFor = app.Auth.ActsFor
	svc.ObserveIntake = app.HTTP.Metrics().ObserveIntake
	app.Appointments = svc
	app.HTTP.RegisterAppointments(svc)
	app.HTTP.Retention = append(app.HTTP.Retention, svc.Retention)
	return nil
}

// appointmentsConfig is the appointment service's configuration: its
// defaults, with the window, confirmation, priority share and beacon that
// cfg sets.
func appointmentsConfig(cfg config.Config) appointments.Config {
	a := appointments.Default()
	if cfg.WindowZone != "" {
		a.WindowZone = cfg.WindowZone
	}
	if cfg.WindowOpens != "" && cfg.WindowCloses != "" {
		a.WindowOpens, a.WindowCloses = cfg.WindowOpens, cfg.WindowCloses
	}
	a.LeadDays = cfg.WindowLeadDays
	if cfg.ConfirmWindow > 0 {
		a.ConfirmWindow = cfg.ConfirmWindow
	}
	a.PriorityShareBP = cfg.PriorityShareBP
	if cfg.BeaconURL != "" {
		a.Beacon = appointments.Drand{URL: cfg.BeaconURL}
	}
	return a
}

// startAppointments queues the plan of the next draw; the jobs then keep
// themselves going.
func (app *App) startAppointments(ctx context.Context, log *slog.Logger) {
	if err := app.Appointments.Start(ctx); err != nil {
		log.Warn("cannot plan the next draw", "err", oneLine(err))
	}
}

// runDrawCommand adds `senda draw execute` to `senda draw run|verify`.
func runDrawCommand(ctx context.Context, env *Env, args []string) error {
	if len(args) > 0 && args[0] == "execute" {
		return runDrawExecute(ctx, env, args[1:])
	}
	return runDraw(ctx, env, args)
}

// runDrawExecute implements `senda draw execute --date YYYY-MM-DD`: it runs
// every step of that date's draw that is due now (commitment, close,
// beacon, allocation, publication). Each step runs once: running the
// command twice, or on two nodes, does nothing more.
func runDrawExecute(ctx context.Context, env *Env, args []string) error {
	cfg := config.Default()
	fs := newFlags("draw execute")
	cfg.Bind(fs, false)
	date := fs.String("date", "", "service date, YYYY-MM-DD")
	beacon := fs.String("beacon-url", "", "drand chain URL whose round after the close is mixed into the draw, e.g. https://api.drand.sh/52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if _, err := appointments.ParseDate(*date); err != nil {
		return usagef("say --date YYYY-MM-DD")
	}
	if err := cfg.Validate(); err != nil {
		return usageErr{err}
	}
	db, err := migrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := loadReference(ctx, db); err != nil {
		return fmt.Errorf("cannot load reference data: %s", oneLine(err))
	}
	keys, err := keyring(cfg)
	if err != nil {
		return err
	}
	acfg := appointments.Default()
	if *beacon != "" {
		acfg.Beacon = appointments.Drand{URL: *beacon}
	}
	svc, err := appointments.New(db, keys, jobs.NewOutbox(db, keys, jobs.DevSender{}, nil), nil, acfg)
	if err != nil {
		return err
	}
	defer svc.Close()
	c := appointments.Caller{Principal: operator}
	info, err := svc.Execute(ctx, c, *date)
	if err != nil {
		if senda.ErrorCode(err) == senda.CodeUnavailable {
			return fmt.Errorf("the draw for %s is waiting for its beacon: run the command again in a few seconds (%s)", *date, oneLine(err))
		}
		return fmt.Errorf("draw for %s: %s", *date, oneLine(err))
	}
	switch info.Status {
	case "open":
		fmt.Fprintf(env.Stdout, "draw for %s: open until %s; commitment %s\n", info.ServiceDate, info.ClosesAt.Format(time.RFC3339), info.Commitment)
	default:
		fmt.Fprintf(env.Stdout, "draw for %s: %s; %d requests, %d allocations; requests root %s; seed %s; %s\n", info.ServiceDate, info.Status,
			info.Requests, info.Allocations, info.RequestsRoot, info.Seed, guarantee(info))
	}
	return nil
}

func guarantee(d appointments.DrawInfo) string {
	if d.Beacon != nil {
		return fmt.Sprintf("beacon %s round %d", d.Beacon.Source, d.Beacon.Round)
	}
	return "no beacon (" + d.BeaconNote + ")"
}
