package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/senda-platform/senda/internal/config"
	"github.com/senda-platform/senda/internal/seal"
)

// runKeys implements `senda keys rotate`: a new primary data key is written
// to the key file, running servers pick it up (they re-read the file every
// few seconds and whenever they meet an unknown key), then every sealed value
// is re-encrypted under the new key in small transactions while Senda keeps
// serving. Old keys stay in the file: the audit trail's sealed addresses and
// backups still need them.
func runKeys(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] != "rotate" {
		return usagef("say rotate")
	}
	cfg := config.Default()
	fs := newFlags("keys")
	cfg.Bind(fs, false)
	grace := fs.Duration("grace", 15*time.Second, "how long to wait for running servers to pick up the new key before re-encrypting")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if os.Getenv("SENDA_KEYS") != "" {
		return fmt.Errorf("the data keys come from SENDA_KEYS: rotate them in their source (add a key, make it primary, restart), or use a key file with SENDA_KEYS_FILE")
	}
	path := keyFile(cfg)
	keys, err := seal.LoadOrCreate(path)
	if err != nil {
		return fmt.Errorf("data keys %s: %v", path, err)
	}
	db, err := migrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	id := keys.Rotate()
	if err := keys.WriteFile(path); err != nil {
		return fmt.Errorf("cannot write %s: %v", path, err)
	}
	fmt.Fprintf(env.Stdout, "new primary data key %d written to %s\n", id, path)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(*grace):
	}
	n, err := db.Reseal(ctx, func(ct []byte, place string) ([]byte, bool, error) {
		if seal.KeyID(ct) == id {
			return ct, false, nil
		}
		pt, err := keys.Open(ct, place)
		if err != nil {
			return nil, false, err
		}
		return keys.Seal(pt, place), true, nil
	})
	if err != nil {
		return fmt.Errorf("re-encryption stopped after %d values (run it again to finish): %s", n, oneLine(err))
	}
	fmt.Fprintf(env.Stdout, "%d values re-encrypted under key %d\n", n, id)
	return nil
}
