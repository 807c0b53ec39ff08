package main

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func TestSite(t *testing.T) {
	files := fstest.MapFS{
		"index.html":         {Data: []byte("<h1>Saltmarsh Harbour notice board</h1>")},
		"style.css":          {Data: []byte("body {}")},
		"notices/index.html": {Data: []byte("Notices to mariners")},
		"empty/.keep":        {Data: []byte("")},
		"404.html":           {Data: []byte("Nothing moored here")},
		".env":               {Data: []byte("SECRET=1")},
	}
	handler := accessLog(log.New(io.Discard, "", 0), site{files: files})
	for _, tc := range []struct {
		method, path string
		status       int
		body, header string
	}{
		{"GET", "/", 200, "notice board", "text/html; charset=utf-8"},
		{"GET", "/index.html", 200, "notice board", "text/html; charset=utf-8"},
		{"HEAD", "/", 200, "", "text/html; charset=utf-8"},
		{"GET", "/style.css", 200, "body", "text/css; charset=utf-8"},
		{"GET", "/notices", 301, "", ""},
		{"GET", "/notices/", 200, "Notices to mariners", ""},
		{"GET", "/empty/", 404, "Nothing moored here", ""},
		{"GET", "/nope.html", 404, "Nothing moored here", "text/html; charset=utf-8"},
		{"GET", "/.env", 404, "Nothing moored here", ""},
		{"GET", "/notices/../.env", 404, "Nothing moored here", ""},
		{"GET", "/healthz", 200, "ok", "text/plain; charset=utf-8"},
		{"POST", "/", 405, "method not allowed", ""},
	} {
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.body) {
			t.Errorf("%s %s = %d %q, want %d containing %q", tc.method, tc.path, rec.Code, rec.Body.String(), tc.status, tc.body)
		}
		if tc.header != "" && rec.Header().Get("Content-Type") != tc.header {
			t.Errorf("%s %s: Content-Type %q, want %q", tc.method, tc.path, rec.Header().Get("Content-Type"), tc.header)
		}
		if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s %s: no X-Content-Type-Options: nosniff", tc.method, tc.path)
		}
	}
}

func TestFolderRedirectStaysOnThisHost(t *testing.T) {
	files := fstest.MapFS{"example.com/index.html": {Data: []byte("x")}}
	rec := httptest.NewRecorder()
	site{files: files}.ServeHTTP(rec, httptest.NewRequest("GET", "//example.com", nil))
	if got := rec.Header().Get("Location"); rec.Code != http.StatusMovedPermanently || got != "/example.com/" {
		t.Errorf("GET //example.com = %d, Location %q; want 301 to /example.com/", rec.Code, got)
	}
}
