package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	sendahttp "github.com/senda-platform/senda/internal/http"
)

// runOpenAPI prints the OpenAPI document generated from the handlers, without
// a database: the same document /api/openapi.json serves.
func runOpenAPI(ctx context.Context, env *Env, args []string) error {
	fs := newFlags("openapi")
	if err := parse(fs, args); err != nil {
		return err
	}
	srv := sendahttp.New(sendahttp.Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: version(), Metrics: sendahttp.NewMetrics(nil)})
	b, err := srv.OpenAPI()
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, string(b))
	return nil
}
