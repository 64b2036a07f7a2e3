package appointments

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/draw"
)

// Beacon is a public source of randomness that no one controls alone. After
// returns the first value it produced strictly after t; an error with code
// unavailable means it has not produced one yet.
type Beacon interface {
	After(ctx context.Context, t time.Time) (draw.Beacon, error)
}

// Drand reads a drand network's HTTP API: URL is the chain's base address,
// such as https://api.drand.sh/52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971
// (the "quicknet" chain, a round every 3 seconds). The round chosen is the
// first whose time is after t; the record names the chain, the round and
// its randomness, which anyone can look up and check against the chain's
// public key with drand's own tools.
type Drand struct {
	URL    string
	Client *http.Client
}

type drandInfo struct {
	Period      int64 `json:"period"`
	GenesisTime int64 `json:"genesis_time"`
}

type drandRound struct {
	Round      int64  `json:"round"`
	Randomness string `json:"randomness"`
}

func (d Drand) get(ctx context.Context, path string, v any) error {
	c := d.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(d.URL, "/")+path, nil)
	if err != nil {
		return senda.Wrap(err, "appointments.beacon")
	}
	resp, err := c.Do(req)
	if err != nil {
		return &senda.Error{Code: senda.CodeUnavailable, Key: "appointments.beacon", Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &senda.Error{Code: senda.CodeUnavailable, Key: "appointments.beacon", Err: fmt.Errorf("beacon answered %d", resp.StatusCode)}
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return &senda.Error{Code: senda.CodeUnavailable, Key: "appointments.beacon", Err: err}
	}
	if err := json.Unmarshal(b, v); err != nil {
		return &senda.Error{Code: senda.CodeUnavailable, Key: "appointments.beacon", Err: err}
	}
	return nil
}

// Round returns the first round of a chain whose time is strictly after t.
func (i drandInfo) round(t time.Time) int64 {
	if t.Unix() < i.GenesisTime {
		return 1
	}
	// Round r is produced at genesis + (r-1)*period.
	return (t.Unix()-i.GenesisTime)/i.Period + 2
}

// After implements Beacon.
func (d Drand) After(ctx context.Context, t time.Time) (draw.Beacon, error) {
	var info drandInfo
	if err := d.get(ctx, "/info", &info); err != nil {
		return draw.Beacon{}, err
	}
	if info.Period <= 0 {
		return draw.Beacon{}, &senda.Error{Code: senda.CodeUnavailable, Key: "appointments.beacon", Err: fmt.Errorf("beacon info without a period")}
	}
	r := info.round(t)
	var out drandRound
	if err := d.get(ctx, "/public/"+strconv.FormatInt(r, 10), &out); err != nil {
		return draw.Beacon{}, err
	}
	if out.Round != r || out.Randomness == "" {
		return draw.Beacon{}, &senda.Error{Code: senda.CodeUnavailable, Key: "appointments.beacon", Err: fmt.Errorf("beacon round %d not available", r)}
	}
	return draw.Beacon{Source: strings.TrimSuffix(d.URL, "/"), Round: r, Value: strings.ToLower(out.Randomness)}, nil
}
