package appointments_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/draw"
	"github.com/senda-platform/senda/internal/appointments"
	"github.com/senda-platform/senda/internal/jobs"
	"github.com/senda-platform/senda/internal/seal"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
)

// fakeBeacon answers with a fixed value once its round time has come.
type fakeBeacon struct {
	clock *clock
	value string
}

func (f fakeBeacon) After(_ context.Context, t time.Time) (draw.Beacon, error) {
	if !f.clock.Now().After(t.Add(3 * time.Second)) {
		return draw.Beacon{}, &senda.Error{Code: senda.CodeUnavailable, Key: "appointments.beacon"}
	}
	return draw.Beacon{Source: "https://beacon.example/chain", Round: t.Unix() / 3, Value: f.value}, nil
}

// The jobs run a day by themselves: the plan draws the seed before the
// window opens, the close freezes the requests when it closes, the draw
// waits for the beacon, then allocates and publishes; the release frees
// unconfirmed seats at the deadline.
func TestJobsRunTheDayWithABeacon(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// Failed jobs are retried at the real time, so the test's days lie
		// ahead of it.
		day := time.Now().AddDate(0, 1, 0).Format(appointments.DateLayout)
		next := addDate(day, 1)
		reqDay, _ := time.ParseInLocation(appointments.DateLayout, addDate(day, -1), eastern)
		at := func(h, m, s int) time.Time {
			return reqDay.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second)
		}
		clk := &clock{}
		clk.Set(at(9, 0, 0))
		cfg := appointments.Default()
		cfg.Beacon = fakeBeacon{clock: clk, value: strings.Repeat("ab", 32)}
		e := newEnvKeys(t, db, cfg, seal.New(), clk)
		runner := jobs.NewRunner(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
		runner.Backoff = func(int) time.Duration { return 0 }
		svc, err := appointments.New(db, e.keys, e.outbox, runner, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(svc.Close)
		svc.ActsFor = e.svc.ActsFor
		e.svc = svc
		e.week("POE-SYS", slot("08:00", 3))
		runAll := func() {
			t.Helper()
			for i := 0; i < 50 && runner.RunOne(ctx); i++ {
			}
		}
		if err := svc.Start(ctx); err != nil {
			t.Fatal(err)
		}
		runAll()
		if _, err := svc.Draw(ctx, day); senda.ErrorCode(err) != senda.CodeNotFound {
			t.Fatalf("before the commit time: %v", err)
		}
		clk.Set(at(11, 0, 0)) // an hour before the window
		runAll()
		info, err := svc.Draw(ctx, day)
		if err != nil || info.Status != "open" || len(info.Commitment) != 64 {
			t.Fatalf("commitment before the window: %+v %v", info, err)
		}
		clk.Set(at(15, 0, 0))
		a := e.newApplicant(2, "es")
		e.mustRequest(a, "POE-SYS")
		// The close runs at the closing time; the beacon is not there yet.
		clk.Set(at(23, 59, 0))
		runAll()
		if info, _ = svc.Draw(ctx, day); info.Status != "closed" || info.RequestsRoot == "" {
			t.Fatalf("after the close: %+v", info)
		}
		clk.Set(at(23, 59, 10))
		runAll()
		info, _ = svc.Draw(ctx, day)
		if info.Status != "published" || info.Beacon == nil || info.Guarantee != "seed_and_beacon" || info.Seed == "" {
			t.Fatalf("after the beacon: %+v", info)
		}
		rec := verifiedRecord(t, svc, day)
		if rec.Beacon == nil || rec.Beacon.Value != strings.Repeat("ab", 32) {
			t.Fatalf("record beacon: %+v", rec.Beacon)
		}
		ap := e.live(a)
		if ap == nil {
			t.Fatal("not allocated")
		}
		if msgs, _, _ := e.outbox.List(ctx, 10); len(msgs) != 1 || msgs[0].Template != "appointments.msg.allocated" || msgs[0].Language != "es" {
			t.Fatalf("messages after the draw: %+v", msgs)
		}
		// Nobody confirms: the release job frees the seats at the deadline.
		clk.Set(ap.ConfirmBy.Add(time.Second))
		runAll()
		if got, _ := svc.Get(ctx, a.caller, ap.ID); got.Status != "released" {
			t.Fatalf("after the deadline: %s", got.Status)
		}
		reqs, _ := svc.Requests(ctx, a.caller, "")
		if len(reqs) != 1 || reqs[0].Status != "allocated" {
			t.Fatalf("request status: %+v", reqs)
		}
		// The plan of the next date ran too.
		clk.Set(at(24+11, 30, 0))
		runAll()
		if info, err := svc.Draw(ctx, next); err != nil || info.Status != "open" {
			t.Fatalf("next date: %+v %v", info, err)
		}
		checkInvariants(t, db)
	})
}

// Without an answer from the beacon within BeaconTimeout, the draw goes
// ahead and says it has none.
func TestBeaconTimeout(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cfg := appointments.Default()
		clk := &clock{}
		cfg.Beacon = fakeBeacon{clock: &clock{}, value: "00"} // never ready
		e := newEnvKeys(t, db, cfg, seal.New(), clk)
		const day = "2025-03-02"
		clk.Set(afterClose(day, 1))
		if _, err := e.svc.Execute(ctx, admin, day); !isKey(err, "appointments.beacon_pending") {
			t.Fatalf("beacon pending: %v", err)
		}
		clk.Set(afterClose(day, 1).Add(11 * time.Minute))
		info := e.execute(day)
		if info.Status != "published" || info.Beacon != nil || info.Guarantee != "seed_only" || !strings.Contains(info.BeaconNote, "unavailable") {
			t.Fatalf("after the timeout: %+v", info)
		}
		verifiedRecord(t, e.svc, day)
	})
}

// The drand client picks the first round after the close and reads it.
func TestDrand(t *testing.T) {
	genesis := time.Date(2023, 8, 23, 15, 9, 27, 0, time.UTC)
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.URL.Path)
		switch {
		case r.URL.Path == "/chain/info":
			fmt.Fprintf(w, `{"public_key":"x","period":3,"genesis_time":%d,"hash":"chain","groupHash":"g","schemeID":"bls-unchained-g1-rfc9380","metadata":{"beaconID":"quicknet"}}`, genesis.Unix())
		case strings.HasPrefix(r.URL.Path, "/chain/public/"):
			round := strings.TrimPrefix(r.URL.Path, "/chain/public/")
			if round == "1000" {
				http.Error(w, "too early", http.StatusTooEarly)
				return
			}
			fmt.Fprintf(w, `{"round":%s,"randomness":"%s","signature":"s"}`, round, strings.Repeat("CD", 32))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	d := appointments.Drand{URL: srv.URL + "/chain/"}
	// Round r is produced at genesis + (r-1)*3 s: the first after
	// genesis + 10 s is round 5 (genesis + 12 s).
	b, err := d.After(context.Background(), genesis.Add(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if b.Round != 5 || b.Value != strings.Repeat("cd", 32) || b.Source != srv.URL+"/chain" {
		t.Fatalf("beacon %+v", b)
	}
	// Exactly on a round's time, the next round: produced after it.
	if b, _ := d.After(context.Background(), genesis.Add(12*time.Second)); b.Round != 6 {
		t.Fatalf("on a round's time: got round %d, want 6", b.Round)
	}
	if _, err := d.After(context.Background(), genesis.Add(998*3*time.Second)); senda.ErrorCode(err) != senda.CodeUnavailable {
		t.Fatalf("a round not produced yet: %v", err)
	}
}
