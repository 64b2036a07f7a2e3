package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/senda-platform/senda/internal/config"
	"github.com/senda-platform/senda/internal/seal"
	"github.com/senda-platform/senda/internal/store"
)

// runOpenAPI prints the OpenAPI document generated from the handlers: the
// same document /api/openapi.json serves. It wires the whole application on
// a throwaway embedded database so that every route is in it.
func runOpenAPI(ctx context.Context, env *Env, args []string) error {
	fs := newFlags("openapi")
	if err := parse(fs, args); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "senda-openapi-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg := config.Default()
	cfg.DataDir = dir
	db, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(dir, "senda.db")})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	app, err := NewApp(ctx, cfg, db, seal.New(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	b, err := app.HTTP.OpenAPI()
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, string(b))
	return nil
}
