// Beacon: a lighthouse's status service. The lamp burns from sunset to sunrise, and the keepers
// read every time in the lighthouse's own local time.
//
//	GET /             → "Beacon is lit from sunset to sunrise", today's times and the lamp now
//	GET /?date=DATE   → the times on another day (YYYY-MM-DD)
//	GET /health       → "ok", for health checks
//
// It listens on $PORT (default 8080) and $HOST (default 0.0.0.0) and writes nothing to disk.
// What it needs from the image it runs in:
//   - the C library: sunrise and sunset come from the lighthouse authority's almanac, C code
//     (almanac.c) called through cgo, so the binary is linked against glibc (libc.so.6, libm.so.6)
//     and started by its loader, /lib64/ld-linux-x86-64.so.2;
//   - time zone data: the lighthouse's zone is loaded from /usr/share/zoneinfo at start, and
//     Beacon refuses to start without it rather than show the keepers UTC.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Lighthouse is where the beacon stands: its place on the globe and its time zone.
type Lighthouse struct {
	Name                string
	Latitude, Longitude float64 // degrees, north and east positive
	Zone                string  // an IANA time zone name
}

// capeRoca is the lighthouse this service watches.
var capeRoca = Lighthouse{Name: "Cabo da Roca", Latitude: 38.7804, Longitude: -9.4989, Zone: "Europe/Lisbon"}

// getenv returns the environment variable key, or fallback when it is unset or empty.
func getenv(key, fallback string) string {
	if value := os.Getenv(key); value != "" {
		return value
	}
	return fallback
}

// report writes the lamp's times on the day of date and, when now is that day, the lamp now.
func report(w http.ResponseWriter, l Lighthouse, zone *time.Location, date, now time.Time) error {
	rise, set, err := sunOn(l.Latitude, l.Longitude, date.In(zone))
	if err != nil {
		return err
	}
	const clock = "15:04 MST"
	fmt.Fprintf(w, "Beacon is lit from sunset to sunrise at %s lighthouse (times in %s).\n", l.Name, l.Zone)
	fmt.Fprintf(w, "  %s  dark at sunrise %s, lit at sunset %s\n",
		date.In(zone).Format(time.DateOnly), rise.In(zone).Format(clock), set.In(zone).Format(clock))
	if now.In(zone).Format(time.DateOnly) == date.In(zone).Format(time.DateOnly) {
		state := "dark"
		if now.Before(rise) || now.After(set) {
			state = "lit"
		}
		fmt.Fprintf(w, "  now %s: the lamp is %s\n", now.In(zone).Format(clock), state)
	}
	return nil
}

// newMux wires the routes; now tells the time (time.Now, or a fixed clock in tests).
func newMux(l Lighthouse, zone *time.Location, now func() time.Time) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		date := now()
		if day := r.URL.Query().Get("date"); day != "" {
			parsed, err := time.ParseInLocation(time.DateOnly, day, zone)
			if err != nil {
				http.Error(w, "date must be a day such as 2026-06-21", http.StatusBadRequest)
				return
			}
			date = parsed
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := report(w, l, zone, date, now()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	return mux
}

func main() {
	zone, err := time.LoadLocation(capeRoca.Zone)
	if err != nil {
		log.Fatalf("beacon: no time zone data for %s, so no local times (%v): the image needs /usr/share/zoneinfo", capeRoca.Zone, err)
	}
	addr := net.JoinHostPort(getenv("HOST", "0.0.0.0"), getenv("PORT", "8080"))
	server := &http.Server{
		Addr:              addr,
		Handler:           newMux(capeRoca, zone, time.Now),
		ReadHeaderTimeout: 5 * time.Second,
	}

	// In a container this process is PID 1: handle SIGTERM ourselves so `docker stop`
	// shuts down cleanly instead of waiting 10 seconds and killing it.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		server.Shutdown(shutdown)
	}()

	log.Printf("beacon listening on http://%s", addr)
	if err := server.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
	log.Print("beacon extinguished")
}
