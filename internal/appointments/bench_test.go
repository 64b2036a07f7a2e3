package appointments_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/senda-platform/senda/draw"
	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/appointments"
	"github.com/senda-platform/senda/internal/auth"
	sendahttp "github.com/senda-platform/senda/internal/http"
	"github.com/senda-platform/senda/internal/jobs"
	"github.com/senda-platform/senda/internal/seal"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/internal/storetest"
)

var (
	intakeDuration   = flag.Duration("intake.duration", 5*time.Second, "how long BenchmarkIntake loads the API on each engine (60s for the full run)")
	intakeClients    = flag.Int("intake.clients", 64, "concurrent clients of BenchmarkIntake and BenchmarkFirstComeFirstServed")
	intakeHouseholds = flag.Int("intake.households", 20000, "households that request in BenchmarkIntake")
	drawRequests     = flag.Int("draw.requests", 1_000_000, "requests in BenchmarkDraw1M")
	intakeGather     = flag.Duration("intake.gather", 0, "how long the intake writer gathers requests (0: the default)")
	intakeWriters    = flag.Int("intake.writers", 0, "intake writers in BenchmarkIntake (0: the default of the engine)")
	intakeSlices     = flag.Int("intake.slices", 4, "how many times BenchmarkIntake alternates between the bare handler and Senda, so that the machine's drift weighs on both alike (1 with -intake.cpuprofile)")
	intakeProfile    = flag.String("intake.cpuprofile", "", "write a processor profile of BenchmarkIntake's measured load (not the calibration) to this file, suffixed with the engine")
)

// benchLocations are the eight ports of the draw benchmarks.
var benchLocations = []string{"POE-BRO", "POE-HID", "POE-LRD", "POE-EGP", "POE-ELP", "POE-NOG", "POE-CLX", "POE-SYS"}

// seedHouseholds stores n applicant accounts, each with a session and a
// registered household in Mexico, in bulk, and returns the session
// cookies and household ids.
func seedHouseholds(b *testing.B, db *store.DB, keys *seal.Keyring, n int) (cookies, ids []string, sizes []int) {
	b.Helper()
	ctx := context.Background()
	fam := family(b)
	rng := mrand.New(mrand.NewPCG(7, 7))
	for start := 0; start < n; start += 2000 {
		err := db.Update(ctx, func(tx *store.Tx) error {
			for i := start; i < min(start+2000, n); i++ {
				acct, hid := store.NewID(), store.NewID()
				if err := tx.CreateAccount(ctx, store.Account{ID: acct, Kind: "applicant", Role: "applicant", Scope: "*", Language: "es"}); err != nil {
					return err
				}
				h := *fam
				size := 1 + rng.IntN(4)
				h.Members = fam.Members[:size]
				h.ID = hid
				data, _ := json.Marshal(h)
				if err := tx.InsertHousehold(ctx, store.HouseholdRow{ID: hid, Receipt: fmt.Sprintf("MX-B%07d", i), Place: "MX", OwnerAccount: acct,
					CreatedBy: acct, Status: "submitted", Size: size, Nationality: "VE", Data: keys.Seal(data, "households.data/"+hid)}); err != nil {
					return err
				}
				tok := make([]byte, 24)
				rand.Read(tok)
				cookie := "ss_" + base64.RawURLEncoding.EncodeToString(tok)
				sum := sha256.Sum256([]byte(cookie))
				if err := tx.CreateSession(ctx, store.Session{IDHash: hex.EncodeToString(sum[:]), AccountID: acct, ExpiresAt: tx.Now.Add(240 * time.Hour)}); err != nil {
					return err
				}
				cookies, ids, sizes = append(cookies, cookie), append(ids, hid), append(sizes, size)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return cookies, ids, sizes
}

// apiServer serves the real API (middleware, sign-in, appointments) on
// loopback.
func apiServer(b *testing.B, db *store.DB, keys *seal.Keyring, svc *appointments.Service, extra func(*sendahttp.Server)) *httptest.Server {
	b.Helper()
	log := slog.New(slog.DiscardHandler)
	srv := sendahttp.New(sendahttp.Config{DB: db, Log: log, Version: "bench"})
	srv.Auth = auth.New(db, keys, jobs.NewOutbox(db, keys, jobs.DevSender{}, nil))
	srv.RegisterAppointments(svc)
	svc.ObserveIntake = srv.Metrics().ObserveIntake // as the server wires it
	if extra != nil {
		extra(srv)
	}
	ts := httptest.NewServer(http.NewCrossOriginProtection().Handler(srv.Handler()))
	b.Cleanup(ts.Close)
	return ts
}

// bareServer is the calibration: a bare net/http handler that reads the
// same JSON and answers a JSON document of the same shape.
func bareServer(b *testing.B) *httptest.Server {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in appointments.RequestInput
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(appointments.Request{ID: "ABCDEFGHIJKLMNOPQRSTUVWXYZ", ServiceDate: "2025-03-02", Preferences: in.Preferences, Status: "live"})
	}))
	b.Cleanup(ts.Close)
	return ts
}

// load is the outcome of a load run.
type load struct {
	requests, errors int64
	elapsed          time.Duration
	p50, p99         time.Duration
	cpu              time.Duration // used by the whole process: clients, server and database
	busy             time.Duration // used by the whole machine (0 where /proc/stat is missing): with PostgreSQL's server
	latencies        []time.Duration
}

// add merges another run of the same load into l.
func (l *load) add(o load) {
	l.requests, l.errors = l.requests+o.requests, l.errors+o.errors
	l.elapsed, l.cpu, l.busy = l.elapsed+o.elapsed, l.cpu+o.cpu, l.busy+o.busy
	l.latencies = append(l.latencies, o.latencies...)
	slices.Sort(l.latencies)
	if n := len(l.latencies); n > 0 {
		l.p50, l.p99 = l.latencies[n/2], l.latencies[n*99/100]
	}
}

// busyTime is the processor time the whole machine has spent outside idle
// and waiting for input, from /proc/stat (0 where it is missing).
func busyTime() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		if i != 3 && i != 4 && i < 8 { // idle, iowait; guest time is counted in user already
			busy += n
		}
	}
	return time.Duration(busy) * time.Second / 100 // USER_HZ
}

// cpuTime is the processor time the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (l load) rps() float64 { return float64(l.requests) / l.elapsed.Seconds() }

// runLoad sends POST requests from clients workers for d, each worker
// going through its own households in turn, and measures every answer.
func runLoad(url string, clients int, d time.Duration, cookies []string, body func(i int) []byte) load {
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients, DisableCompression: true}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var reqs, errs atomic.Int64
	lat := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	cpu0, busy0 := cpuTime(), busyTime()
	start := time.Now()
	deadline := start.Add(d)
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := lat[w][:0]
			for k := 0; time.Now().Before(deadline); k++ {
				i := w + k*clients
				i %= len(cookies)
				req, _ := http.NewRequest("POST", url, bytes.NewReader(body(i)))
				req.Header.Set("Content-Type", "application/json")
				req.AddCookie(&http.Cookie{Name: "senda_session", Value: cookies[i]})
				t0 := time.Now()
				resp, err := c.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				mine = append(mine, time.Since(t0))
				reqs.Add(1)
				if err != nil || resp.StatusCode != http.StatusOK {
					errs.Add(1)
				}
			}
			lat[w] = mine
		}()
	}
	wg.Wait()
	var out load
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	out.add(load{requests: reqs.Load(), errors: errs.Load(), elapsed: time.Since(start), cpu: cpuTime() - cpu0, busy: busyTime() - busy0, latencies: all})
	return out
}

// BenchmarkIntake measures durable request intake through the whole HTTP
// API during a window: the real middleware, session sign-in, validation,
// eligibility and the group-committing intake writer, every request
// acknowledged only once its transaction is on disk (SQLite with
// synchronous=FULL, PostgreSQL with its defaults), from -intake.clients
// clients on loopback. Next to it, in the same run and under the same load,
// a bare net/http JSON handler. Run for a minute with -intake.duration=60s.
func BenchmarkIntake(b *testing.B) {
	for _, e := range storetest.Engines {
		b.Run(string(e), func(b *testing.B) {
			db := storetest.New(b, e)
			keys := seal.New()
			now := time.Date(2025, 3, 1, 13, 0, 0, 0, eastern)
			db.Now = func() time.Time { return now }
			loadLocations(b, db)
			cfg := appointments.Default()
			cfg.IntakeWriters = *intakeWriters
			cfg.IntakeGather = *intakeGather
			svc, err := appointments.New(db, keys, jobs.NewOutbox(db, keys, jobs.DevSender{}, nil), nil, cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer svc.Close()
			cookies, _, _ := seedHouseholds(b, db, keys, *intakeHouseholds)
			api := apiServer(b, db, keys, svc, nil)
			// Batches stored, how many requests they held, and how many
			// went through one statement on remembered households.
			var batches, batched, remembered atomic.Int64
			observe := svc.ObserveIntake
			svc.ObserveIntake = func(path, outcome string, n int, d time.Duration) {
				observe(path, outcome, n, d)
				if outcome == appointments.IntakeStored {
					batches.Add(1)
					batched.Add(int64(n))
					if path == appointments.IntakeRemembered {
						remembered.Add(1)
					}
				}
			}
			bare := bareServer(b)
			bodies := make([][]byte, len(benchLocations))
			for i := range bodies {
				bodies[i], _ = json.Marshal(appointments.RequestInput{Preferences: []string{benchLocations[i], benchLocations[(i+3)%8]}})
			}
			body := func(i int) []byte { return bodies[i%len(bodies)] }
			// Warm up, then measure the bare handler and Senda in turn.
			url := api.URL + "/api/v1/appointment-requests"
			runLoad(bare.URL, *intakeClients, 300*time.Millisecond, cookies, body)
			runLoad(url, *intakeClients, 300*time.Millisecond, cookies, body)
			b.ResetTimer()
			var senda, calib load
			n := max(1, *intakeSlices)
			if *intakeProfile != "" {
				n = 1
			}
			// What intake leaves in its journal is folded into the requests
			// and the audit trail after each turn, as when intake is quiet or
			// the window closes; never while the bare handler is measured.
			var fold time.Duration
			settle := func() {
				t0 := time.Now()
				if err := svc.Settle(context.Background()); err != nil {
					b.Fatal(err)
				}
				fold += time.Since(t0)
			}
			settle() // the warm-up's
			fold = 0
			batches.Store(0)
			batched.Store(0)
			remembered.Store(0)
			for range b.N {
				// In turns, so that the machine's drift (these machines
				// are shared) weighs on both alike.
				for range n {
					calib.add(runLoad(bare.URL, *intakeClients, *intakeDuration/2/time.Duration(n), cookies, body))
					stop := profile(b, *intakeProfile, string(e))
					senda.add(runLoad(url, *intakeClients, *intakeDuration/time.Duration(n), cookies, body))
					stop()
					settle()
				}
			}
			b.StopTimer()
			var stored int
			db.View(context.Background(), func(tx *store.Tx) error {
				return tx.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM appointment_requests`).Scan(&stored)
			})
			b.ReportMetric(senda.rps(), "req/s")
			b.ReportMetric(float64(senda.p99.Microseconds())/1000, "p99-ms")
			b.ReportMetric(calib.rps(), "bare-req/s")
			b.ReportMetric(float64(calib.p99.Microseconds())/1000, "bare-p99-ms")
			b.ReportMetric(senda.rps()/calib.rps(), "ratio-rps")
			b.ReportMetric(float64(senda.p99)/float64(calib.p99), "ratio-p99")
			b.ReportMetric(float64(senda.requests), "requests")
			b.ReportMetric(float64(senda.cpu.Microseconds())/float64(senda.requests), "cpu-us/req")
			b.ReportMetric(float64(calib.cpu.Microseconds())/float64(calib.requests), "bare-cpu-us/req")
			b.ReportMetric(senda.cpu.Seconds()/senda.elapsed.Seconds(), "cores")
			b.ReportMetric(senda.busy.Seconds()/senda.elapsed.Seconds(), "machine-cores")
			b.ReportMetric(calib.busy.Seconds()/calib.elapsed.Seconds(), "bare-machine-cores")
			b.ReportMetric(float64(senda.errors), "errors")
			b.ReportMetric(float64(stored), "stored-requests")
			b.ReportMetric(fold.Seconds(), "fold-s")
			if n := batches.Load(); n > 0 {
				b.ReportMetric(float64(batched.Load())/float64(n), "batch-requests")
				b.ReportMetric(float64(remembered.Load())/float64(n), "remembered-share")
			}
		})
	}
}

// profile starts a processor profile to file (suffixed with engine) when
// file is set, and returns what stops it.
func profile(b *testing.B, file, engine string) (stop func()) {
	if file == "" {
		return func() {}
	}
	f, err := os.Create(file + "." + engine)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// bulkRequests stores n random requests for date straight into the table
// (a million through the API would take the intake benchmark's time).
func bulkRequests(b *testing.B, db *store.DB, date string, n int) {
	b.Helper()
	ctx := context.Background()
	rng := mrand.New(mrand.NewPCG(1, 2))
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	sizes := []int{1, 1, 1, 1, 1, 1, 2, 2, 3, 3, 4, 5, 6}
	row := func() []any {
		perm := rng.Perm(len(benchLocations))
		prefs := make([]string, 1+rng.IntN(3))
		for j := range prefs {
			prefs[j] = benchLocations[perm[j]]
		}
		var id [16]byte
		for j := range id {
			id[j] = byte(rng.Uint32())
		}
		return []any{store.NewID(), base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(id[:]), date, store.NewID(), sizes[rng.IntN(len(sizes))],
			store.Micros(base.Add(-time.Duration(rng.IntN(120*24*3600)) * time.Second)), strings.Join(prefs, ",")}
	}
	const head = `INSERT INTO appointment_requests (key, id, service_date, household_id, size, registered_at, preferences, status, created_at, updated_at) VALUES `
	const per = 500 // rows per statement on PostgreSQL
	for start := 0; start < n; start += 100 * per {
		err := db.Update(ctx, func(tx *store.Tx) error {
			end := min(start+100*per, n)
			if db.Dialect == store.SQLite {
				// SQLite binds by name: many parameters in one statement
				// cost their square, so one prepared row at a time.
				stmt, err := tx.PrepareContext(ctx, head+`($1, $2, $3, $4, $5, $6, $7, 'live', 0, 0)`)
				if err != nil {
					return err
				}
				defer stmt.Close()
				for range end - start {
					if _, err := stmt.ExecContext(ctx, row()...); err != nil {
						return err
					}
				}
				return nil
			}
			for s := start; s < end; s += per {
				var q strings.Builder
				q.WriteString(head)
				var args []any
				for i := s; i < min(s+per, end); i++ {
					if i > s {
						q.WriteByte(',')
					}
					k := len(args)
					fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, 'live', 0, 0)", k+1, k+2, k+3, k+4, k+5, k+6, k+7)
					args = append(args, row()...)
				}
				if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// calibrate does the least any draw must do: scan the requests, compute
// one HMAC-SHA256 per request and sort the HMACs.
func calibrate(reqs []draw.Request, key []byte) time.Duration {
	t0 := time.Now()
	persons := 0
	for i := range reqs {
		persons += reqs[i].Size + len(reqs[i].Preferences) + len(reqs[i].ID)
	}
	keys := make([][sha256.Size]byte, len(reqs))
	mac := hmac.New(sha256.New, key)
	var id []byte
	for i := range reqs {
		id = append(id[:0], reqs[i].ID...)
		mac.Reset()
		mac.Write(id)
		mac.Sum(keys[i][:0])
	}
	slices.SortFunc(keys, func(a, b [sha256.Size]byte) int { return bytes.Compare(a[:], b[:]) })
	if persons < 0 {
		panic("unreachable")
	}
	return time.Since(t0)
}

// BenchmarkDraw1M runs the draw of a day of a million requests over 8
// locations of 20 slots, from reading the frozen requests to committing the
// allocations, appointments and slot counts, next to the calibration (scan
// + a million HMACs + sorting a million keys) measured in the same run.
// The close (which freezes the requests and computes their root) is
// reported apart.
func BenchmarkDraw1M(b *testing.B) {
	for _, e := range storetest.Engines {
		b.Run(string(e), func(b *testing.B) {
			ctx := context.Background()
			db := storetest.New(b, e)
			const date = "2025-03-02"
			clk := &clock{}
			clk.Set(inWindow(date, 1))
			env := newEnvKeys(b, db, appointments.Default(), seal.New(), clk)
			var specs []appointments.SlotSpec
			for h := range 20 {
				specs = append(specs, slot(fmt.Sprintf("%02d:%02d", 7+h/3, 20*(h%3)), 9))
			}
			for _, l := range benchLocations {
				if _, err := env.svc.SetOverride(ctx, manager, l, date, specs); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := env.svc.CommitDraw(ctx, date); err != nil {
				b.Fatal(err)
			}
			bulkRequests(b, db, date, *drawRequests)
			clk.Set(afterClose(date, 1))
			t0 := time.Now()
			if _, err := env.svc.CloseDraw(ctx, admin, date); err != nil {
				b.Fatal(err)
			}
			closeTime := time.Since(t0)
			rec, _, err := env.svc.Record(ctx, date)
			if err != nil {
				b.Fatal(err)
			}
			var in struct {
				Requests []draw.Request `json:"requests"`
			}
			if err := json.Unmarshal(rec, &in); err != nil {
				b.Fatal(err)
			}
			key := draw.LotteryKey(make([]byte, 32), make([]byte, 32), nil)
			reset := func() {
				err := db.Update(ctx, func(tx *store.Tx) error {
					for _, q := range []string{
						`DELETE FROM draw_allocations WHERE service_date = $1`,
						`DELETE FROM appointments WHERE draw_date = $1`,
						`UPDATE draws SET status = 'closed', allocation_count = 0, drawn_at = NULL WHERE service_date = $1`,
						`UPDATE slots SET used = 0, held = capacity, held_by = $1 WHERE service_date = $1`,
						`UPDATE appointment_requests SET status = 'live' WHERE service_date = $1 AND status IN ('allocated', 'void')`,
					} {
						if _, err := tx.ExecContext(ctx, q, date); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			var drawTime, calib time.Duration
			allocs := 0
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				if i > 0 {
					reset()
				}
				calib += calibrate(in.Requests, key)
				b.StartTimer()
				t0 := time.Now()
				ran, err := env.svc.RunDraw(ctx, admin, date)
				drawTime += time.Since(t0)
				if err != nil || !ran {
					b.Fatalf("draw: %v %v", ran, err)
				}
				info, _ := env.svc.Draw(ctx, date)
				allocs = info.Allocations
			}
			n := float64(b.N)
			b.ReportMetric(float64(calib.Nanoseconds())/n, "calib-ns/op")
			b.ReportMetric(float64(drawTime)/float64(calib), "ratio")
			b.ReportMetric(float64(allocs), "allocations")
			b.ReportMetric(float64(closeTime.Milliseconds()), "close-ms")
		})
	}
}

// BenchmarkFirstComeFirstServed shows why the window exists: under the
// same load, half the clients on a slow connection (50 ms more per
// request), the old first-come-first-served slot grab gives the fast half
// nearly every seat within moments of opening, while the window and the
// draw give each half its share. It reports the share of seated households
// that are on slow connections both ways, and how long the grab took to
// sell out.
func BenchmarkFirstComeFirstServed(b *testing.B) {
	for _, e := range storetest.Engines {
		b.Run(string(e), func(b *testing.B) {
			ctx := context.Background()
			db := storetest.New(b, e)
			keys := seal.New()
			const date = "2025-03-02"
			clk := &clock{}
			clk.Set(inWindow(date, 1))
			db.Now = clk.Now
			env := newEnvKeys(b, db, appointments.Default(), keys, clk)
			var specs []appointments.SlotSpec
			for h := range 20 {
				specs = append(specs, slot(fmt.Sprintf("%02d:%02d", 7+h/3, 20*(h%3)), 9))
			}
			for _, l := range benchLocations {
				if _, err := env.svc.SetOverride(ctx, manager, l, date, specs); err != nil {
					b.Fatal(err)
				}
			}
			households := 4 * 1440
			cookies, ids, _ := seedHouseholds(b, db, keys, households)
			slow := func(i int) bool { return i%2 == 1 }
			// The grab: each request takes the earliest slot with room at
			// its household's preferred port, in its own transaction.
			grab := func(srv *sendahttp.Server) {
				srv.Handle("POST /bench/grab", access.Roles(access.Applicant), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					p := access.From(r.Context())
					var in appointments.RequestInput
					json.NewDecoder(r.Body).Decode(&in)
					got := false
					err := db.Update(r.Context(), func(tx *store.Tx) error {
						hs, err := tx.HouseholdsOwnedBy(r.Context(), p.AccountID, 1)
						if err != nil || len(hs) == 0 {
							return err
						}
						for _, l := range in.Preferences {
							slots, err := tx.SlotsOn(r.Context(), date, l)
							if err != nil {
								return err
							}
							for _, sl := range slots {
								if sl.Free() >= hs[0].Size {
									if got, err = tx.TakeSeats(r.Context(), l, sl.Start, hs[0].Size, true); err != nil || got {
										return err
									}
								}
							}
						}
						return nil
					})
					if err != nil {
						http.Error(w, "error", 500)
						return
					}
					w.Header().Set("Content-Type", "application/json")
					fmt.Fprintf(w, `{"seated":%v}`, got)
				}))
			}
			api := apiServer(b, db, keys, env.svc, grab)
			// Lay the date's slots out so that the grab can take them.
			if err := env.svc.LayOut(ctx, date); err != nil {
				b.Fatal(err)
			}
			body := func(i int) []byte {
				p, _ := json.Marshal(appointments.RequestInput{Preferences: []string{benchLocations[i%8], benchLocations[(i+3)%8]}})
				return p
			}
			var sellout time.Duration
			var fcfsSlow, fcfsAll int
			for range b.N {
				b.StopTimer()
				if err := db.Update(ctx, func(tx *store.Tx) error {
					_, err := tx.ExecContext(ctx, `UPDATE slots SET used = 0`)
					return err
				}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				seated := make([]bool, households)
				var mu sync.Mutex
				start := time.Now()
				var wg sync.WaitGroup
				tr := &http.Transport{MaxIdleConnsPerHost: *intakeClients}
				c := &http.Client{Transport: tr}
				for w := range *intakeClients {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := w; i < households; i += *intakeClients {
							if slow(w) {
								time.Sleep(50 * time.Millisecond)
							}
							req, _ := http.NewRequest("POST", api.URL+"/bench/grab", bytes.NewReader(body(i)))
							req.AddCookie(&http.Cookie{Name: "senda_session", Value: cookies[i]})
							resp, err := c.Do(req)
							if err != nil {
								continue
							}
							var out struct{ Seated bool }
							json.NewDecoder(resp.Body).Decode(&out)
							resp.Body.Close()
							if out.Seated {
								mu.Lock()
								seated[i] = true
								sellout = time.Since(start)
								mu.Unlock()
							}
						}
					}()
				}
				wg.Wait()
				tr.CloseIdleConnections()
				fcfsSlow, fcfsAll = 0, 0
				for i, s := range seated {
					if s {
						fcfsAll++
						if slow(i % *intakeClients) {
							fcfsSlow++
						}
					}
				}
			}
			b.StopTimer()
			// The same households and load through the window, then the draw.
			// (The draw's slots are those the grab left: give them back.)
			db.Update(ctx, func(tx *store.Tx) error {
				_, err := tx.ExecContext(ctx, `UPDATE slots SET used = 0`)
				return err
			})
			var wg sync.WaitGroup
			for w := range *intakeClients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					tr := &http.Transport{}
					c := &http.Client{Transport: tr}
					for i := w; i < households; i += *intakeClients {
						if slow(w) {
							time.Sleep(50 * time.Millisecond)
						}
						req, _ := http.NewRequest("POST", api.URL+"/api/v1/appointment-requests", bytes.NewReader(body(i)))
						req.Header.Set("Content-Type", "application/json")
						req.AddCookie(&http.Cookie{Name: "senda_session", Value: cookies[i]})
						if resp, err := c.Do(req); err == nil {
							io.Copy(io.Discard, resp.Body)
							resp.Body.Close()
						}
					}
				}()
			}
			wg.Wait()
			clk.Set(afterClose(date, 1))
			if _, err := env.svc.Execute(ctx, admin, date); err != nil {
				b.Fatal(err)
			}
			index := map[string]int{}
			for i, id := range ids {
				index[id] = i
			}
			drawSlow, drawAll := 0, 0
			db.View(ctx, func(tx *store.Tx) error {
				rows, err := tx.QueryContext(ctx, `SELECT household_id FROM appointments WHERE draw_date = $1`, date)
				if err != nil {
					return err
				}
				defer rows.Close()
				for rows.Next() {
					var h string
					rows.Scan(&h)
					drawAll++
					if slow(index[h] % *intakeClients) {
						drawSlow++
					}
				}
				return rows.Err()
			})
			b.ReportMetric(float64(sellout.Milliseconds()), "fcfs-sellout-ms")
			b.ReportMetric(float64(fcfsAll), "fcfs-seated")
			b.ReportMetric(float64(fcfsSlow)/float64(max(fcfsAll, 1)), "fcfs-slow-share")
			b.ReportMetric(float64(drawAll), "draw-seated")
			b.ReportMetric(float64(drawSlow)/float64(max(drawAll, 1)), "draw-slow-share")
		})
	}
}
