package cli

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/audit"
	"github.com/senda-platform/senda/internal/auth"
	"github.com/senda-platform/senda/internal/config"
	"github.com/senda-platform/senda/internal/i18n"
	"github.com/senda-platform/senda/internal/jobs"
	"github.com/senda-platform/senda/internal/store"
)

// operator is the local operator running a command on the server itself.
var operator = access.Principal{Kind: "token", TokenID: "cli", Role: access.Admin, Scope: "*"}

func authService(ctx context.Context, cfg config.Config) (*auth.Service, func(), error) {
	db, err := migrated(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	keys, err := keyring(cfg)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	db.Audit = func(ctx context.Context, tx *store.Tx, c store.Change) error {
		_, err := audit.Append(ctx, tx, audit.Entry{ActorID: "cli", ActorRole: string(access.Admin), ActorScope: "*", Action: c.Action,
			RecordType: c.RecordType, RecordID: c.RecordID, Subject: c.Subject, Fields: c.Fields})
		return err
	}
	return auth.New(db, keys, jobs.NewOutbox(db, keys, jobs.DevSender{}, nil)), func() { db.Close() }, nil
}

// fieldErrors renders a Senda error's fields in English, one line.
func fieldErrors(err error) error {
	se, ok := err.(*senda.Error)
	if !ok || len(se.Fields) == 0 {
		return fmt.Errorf("%s", oneLine(err))
	}
	var parts []string
	for _, f := range se.Fields {
		parts = append(parts, "--"+strings.TrimPrefix(f.Location, "body.")+": "+i18n.T("en", f.Key, f.Args))
	}
	return fmt.Errorf("%s", strings.Join(parts, "; "))
}

func runToken(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return usagef("say create")
	}
	cfg := config.Default()
	fs := newFlags("token")
	cfg.Bind(fs, false)
	role := fs.String("role", "", "role: "+rolesList())
	scope := fs.String("scope", "", "*, a country (GT) or an office or port (GT/SMO-GUA)")
	ttl := fs.Duration("ttl", 24*time.Hour, "how long the token is valid")
	name := fs.String("name", "", "what the token is for")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *role == "" || *scope == "" {
		return usagef("--role and --scope are required")
	}
	svc, done, err := authService(ctx, cfg)
	if err != nil {
		return err
	}
	defer done()
	secret, _, err := svc.CreateToken(ctx, operator, *name, access.Role(*role), access.Scope(*scope), *ttl)
	if err != nil {
		return fieldErrors(err)
	}
	fmt.Fprintln(env.Stdout, secret)
	return nil
}

func runAccount(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return usagef("say create")
	}
	cfg := config.Default()
	fs := newFlags("account")
	cfg.Bind(fs, false)
	email := fs.String("email", "", "email address to sign in with")
	role := fs.String("role", "", "role: "+rolesList())
	scope := fs.String("scope", "", "*, a country (GT) or an office or port (GT/SMO-GUA)")
	name := fs.String("name", "", "display name")
	org := fs.String("organisation", "", "accredited organisation (helpers)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	pw, _ := bufio.NewReader(env.Stdin).ReadString('\n')
	svc, done, err := authService(ctx, cfg)
	if err != nil {
		return err
	}
	defer done()
	a, err := svc.CreateAccount(ctx, auth.NewAccount{Kind: "staff", Role: access.Role(*role), Scope: access.Scope(*scope),
		Email: *email, Name: *name, Password: strings.TrimRight(pw, "\r\n"), Organisation: *org, Language: "en"})
	if err != nil {
		return fieldErrors(err)
	}
	fmt.Fprintln(env.Stdout, a.ID)
	return nil
}

func rolesList() string {
	var rs []string
	for _, r := range access.AllRoles {
		rs = append(rs, string(r))
	}
	return strings.Join(rs, ", ")
}
