// Quay: the platform team's small static file server, on the Go standard library only. It does
// for a static site what the notice board's nginx configuration does, and nothing else.
//
//	quay [-root DIR]
//
// What it does:
//   - serves the files under DIR (default $SITE_ROOT, else "site"), for GET and HEAD only;
//   - a folder's address redirects to the same address with a trailing slash, which serves the
//     folder's index.html; there are no folder listings;
//   - a missing file, or any path with a part that starts with a dot (.git, .env), answers 404
//     with DIR/404.html when there is one;
//   - every answer carries X-Content-Type-Options: nosniff; the content type comes from the file
//     extension; Last-Modified, If-Modified-Since and Range requests work as in net/http;
//   - GET /healthz answers "ok", for health checks;
//   - one access-log line per request on standard output.
//
// It listens on $HOST:$PORT (default 0.0.0.0:8080), writes nothing to disk, needs no privileges
// and stops cleanly on SIGTERM. Built with CGO_ENABLED=0 it is one static binary.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path"
	"strings"
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

// site serves the files of one folder.
type site struct {
	files fs.FS
}

func (s site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if r.URL.Path == "/healthz" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
		return
	}
	name, ok := fileName(r.URL.Path)
	if !ok {
		s.notFound(w, r)
		return
	}
	file, info, err := s.open(name)
	if err != nil {
		s.notFound(w, r)
		return
	}
	if info.IsDir() {
		file.Close()
		if !strings.HasSuffix(r.URL.Path, "/") {
			// Redirect to the cleaned name, never to the raw path: "//example.com" must not
			// become a redirect to another host.
			target := "/" + name + "/"
			if r.URL.RawQuery != "" {
				target += "?" + r.URL.RawQuery
			}
			http.Redirect(w, r, target, http.StatusMovedPermanently)
			return
		}
		if file, info, err = s.open(path.Join(name, "index.html")); err != nil {
			s.notFound(w, r)
			return
		}
	}
	defer file.Close()
	content, ok := file.(io.ReadSeeker)
	if !ok {
		http.Error(w, "internal server error", http.StatusInternalServerError)
		return
	}
	http.ServeContent(w, r, info.Name(), info.ModTime(), content)
}

// open opens a file or folder of the site and stats it.
func (s site) open(name string) (fs.File, fs.FileInfo, error) {
	file, err := s.files.Open(name)
	if err != nil {
		return nil, nil, err
	}
	info, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, nil, err
	}
	return file, info, nil
}

// notFound answers 404, with the site's 404.html when it has one.
func (s site) notFound(w http.ResponseWriter, r *http.Request) {
	file, info, err := s.open("404.html")
	if err != nil || info.IsDir() {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	defer file.Close()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	if r.Method != http.MethodHead {
		io.Copy(w, file)
	}
}

// fileName turns a URL path into a name in the site ("." for the top), refusing any part that
// starts with a dot. path.Clean has already removed every "..".
func fileName(urlPath string) (string, bool) {
	name := strings.TrimPrefix(path.Clean("/"+urlPath), "/")
	if name == "" {
		return ".", true
	}
	for _, part := range strings.Split(name, "/") {
		if strings.HasPrefix(part, ".") {
			return "", false
		}
	}
	return name, fs.ValidPath(name)
}

// recorder remembers the status and size of an answer, for the access log.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// accessLog writes one line per request, in nginx's "combined" format.
func accessLog(out *log.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		client, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			client = r.RemoteAddr
		}
		out.Printf("%s - - [%s] %q %d %d %q %q", client, time.Now().Format("02/Jan/2006:15:04:05 -0700"),
			fmt.Sprintf("%s %s %s", r.Method, r.RequestURI, r.Proto), rec.status, rec.bytes, r.Referer(), r.UserAgent())
	})
}

func main() {
	root := flag.String("root", getenv("SITE_ROOT", "site"), "the folder to serve")
	flag.Parse()
	log.SetPrefix("quay: ")
	if info, err := os.Stat(*root); err != nil || !info.IsDir() {
		log.Fatalf("-root %s is not a folder", *root)
	}

	addr := net.JoinHostPort(getenv("HOST", "0.0.0.0"), getenv("PORT", "8080"))
	server := &http.Server{
		Addr:              addr,
		Handler:           accessLog(log.New(os.Stdout, "", 0), site{files: os.DirFS(*root)}),
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       65 * time.Second,
		MaxHeaderBytes:    16 << 10,
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

	log.Printf("serving %s on http://%s", *root, addr)
	if err := server.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
	log.Print("stopped")
}
