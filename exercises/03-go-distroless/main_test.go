package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// get serves path on Beacon at capeRoca with the clock stopped at now.
func get(t *testing.T, path string, now time.Time) (int, string) {
	t.Helper()
	zone, err := time.LoadLocation(capeRoca.Zone)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	newMux(capeRoca, zone, func() time.Time { return now }).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

func TestRoutes(t *testing.T) {
	now := time.Date(2026, time.December, 21, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		path   string
		status int
		body   string
	}{
		{"/", http.StatusOK, "Beacon is lit from sunset to sunrise"},
		{"/health", http.StatusOK, "ok"},
		{"/?date=21.12.2026", http.StatusBadRequest, "date must be"},
		{"/nope", http.StatusNotFound, "not found"},
	} {
		if status, body := get(t, tc.path, now); status != tc.status || !strings.Contains(body, tc.body) {
			t.Errorf("GET %s = %d %q, want %d containing %q", tc.path, status, body, tc.status, tc.body)
		}
	}
}

// The almanac's times, in the lighthouse's local time on both sides of the change to summer time
// (within a minute of the published ones for Lisbon, 15 km east), and the lamp by the clock.
func TestLocalTimes(t *testing.T) {
	evening := time.Date(2026, time.December, 21, 18, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		path string
		now  time.Time
		want []string
	}{
		{"/?date=2026-06-21", evening, []string{"2026-06-21  dark at sunrise 06:14 WEST, lit at sunset 21:07 WEST"}},
		{"/?date=2026-03-28", evening, []string{"sunrise 06:30 WET", "sunset 18:57 WET"}},
		{"/?date=2026-03-29", evening, []string{"sunrise 07:28 WEST", "sunset 19:58 WEST"}},
		{"/", evening, []string{"2026-12-21  dark at sunrise 07:53 WET, lit at sunset 17:20 WET", "now 18:00 WET: the lamp is lit"}},
		{"/", evening.Add(-6 * time.Hour), []string{"now 12:00 WET: the lamp is dark"}},
	} {
		_, body := get(t, tc.path, tc.now)
		for _, want := range tc.want {
			if !strings.Contains(body, want) {
				t.Errorf("GET %s at %s = %q, want it to contain %q", tc.path, tc.now, body, want)
			}
		}
	}
}
