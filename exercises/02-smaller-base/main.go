// Tidewatch: the harbour's tide service, on the standard library's net/http only.
//
//	GET /             → "Tidewatch", the tide now, and the next low and high water
//	GET /?at=TIME     → the same for another moment (RFC 3339, such as 2024-05-01T14:30:00Z)
//	GET /health       → "ok", for health checks
//
// It listens on $PORT (default 8080) and $HOST (default 0.0.0.0), writes nothing to disk and
// gives every time in UTC, so it needs no time zone data. Built with CGO_ENABLED=0 it is one
// static binary that needs no C library and no other file in the image.
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

// harbour is the one harbour this service watches (a made-up one, with plausible numbers).
var harbour = Harbour{
	Name:       "Shipshape Harbour",
	HighWater:  time.Date(2024, time.January, 1, 4, 7, 0, 0, time.UTC),
	HighHeight: 3.6,
	LowHeight:  0.8,
}

// getenv returns the environment variable key, or fallback when it is unset or empty.
func getenv(key, fallback string) string {
	if value := os.Getenv(key); value != "" {
		return value
	}
	return fallback
}

// report writes the tide at t and the next low and high water after it.
func report(w http.ResponseWriter, h Harbour, t time.Time) {
	const layout = "2006-01-02 15:04"
	direction := "falling"
	if h.Rising(t) {
		direction = "rising"
	}
	low, high := h.NextLow(t), h.NextHigh(t)
	fmt.Fprintf(w, "Tidewatch for %s (times in UTC)\n", h.Name)
	fmt.Fprintf(w, "  at    %s  %.1f m, %s\n", t.UTC().Format(layout), h.Height(t), direction)
	fmt.Fprintf(w, "  low   %s  %.1f m\n", low.UTC().Format(layout), h.Height(low))
	fmt.Fprintf(w, "  high  %s  %.1f m\n", high.UTC().Format(layout), h.Height(high))
	fmt.Fprintln(w, "A one-constituent model: good enough for a workshop, not for navigation.")
}

// newMux wires the routes; now tells the time (time.Now, or a fixed clock in tests).
func newMux(h Harbour, now func() time.Time) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		t := now()
		if at := r.URL.Query().Get("at"); at != "" {
			parsed, err := time.Parse(time.RFC3339, at)
			if err != nil {
				http.Error(w, "at must be an RFC 3339 time, such as 2024-05-01T14:30:00Z", http.StatusBadRequest)
				return
			}
			t = parsed
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		report(w, h, t)
	})
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	return mux
}

func main() {
	addr := net.JoinHostPort(getenv("HOST", "0.0.0.0"), getenv("PORT", "8080"))
	server := &http.Server{
		Addr:              addr,
		Handler:           newMux(harbour, time.Now),
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

	log.Printf("tidewatch listening on http://%s", addr)
	if err := server.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
	log.Print("tidewatch stopped")
}
