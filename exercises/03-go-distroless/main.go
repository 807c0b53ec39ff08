// Beacon: a lighthouse's status service, on the standard library's net/http only.
//
//	GET /        → "Beacon is lit" and how long it has been burning
//	GET /health  → "ok", for health checks
//
// It listens on $PORT (default 8080) and $HOST (default 0.0.0.0) and writes nothing to disk,
// so it runs on a read-only root filesystem as an unprivileged user. Built with CGO_ENABLED=0
// it is one static binary that needs no libc, no shell and no other file in the image.
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

// getenv returns the environment variable key, or fallback when it is unset or empty.
func getenv(key, fallback string) string {
	if value := os.Getenv(key); value != "" {
		return value
	}
	return fallback
}

// newMux wires the routes; started is when the beacon was lit.
func newMux(started time.Time) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "Beacon is lit: the lighthouse has been shining for %s.\n",
			time.Since(started).Round(time.Second))
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
		Handler:           newMux(time.Now()),
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
