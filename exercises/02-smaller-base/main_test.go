package main

import (
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHighAndLowWaters(t *testing.T) {
	ref := harbour.HighWater
	if got := harbour.Height(ref); math.Abs(got-3.6) > 1e-9 {
		t.Errorf("height at high water = %.3f, want 3.6", got)
	}
	if got := harbour.Height(ref.Add(tidalPeriod / 2)); math.Abs(got-0.8) > 1e-9 {
		t.Errorf("height at low water = %.3f, want 0.8", got)
	}
	for _, tc := range []struct {
		name      string
		at        time.Time
		low, high time.Time
		rising    bool
	}{
		{"at high water", ref, ref.Add(tidalPeriod / 2), ref.Add(tidalPeriod), false},
		{"just after low water", ref.Add(tidalPeriod/2 + time.Minute), ref.Add(3 * tidalPeriod / 2), ref.Add(tidalPeriod), true},
		{"before the reference", ref.Add(-time.Hour), ref.Add(tidalPeriod / 2), ref, true},
		{"months later", ref.Add(1000*tidalPeriod + time.Hour), ref.Add(1000*tidalPeriod + tidalPeriod/2), ref.Add(1001 * tidalPeriod), false},
	} {
		if got := harbour.NextLow(tc.at); !got.Equal(tc.low) {
			t.Errorf("%s: next low = %s, want %s", tc.name, got, tc.low)
		}
		if got := harbour.NextHigh(tc.at); !got.Equal(tc.high) {
			t.Errorf("%s: next high = %s, want %s", tc.name, got, tc.high)
		}
		if got := harbour.Rising(tc.at); got != tc.rising {
			t.Errorf("%s: rising = %v, want %v", tc.name, got, tc.rising)
		}
	}
}

func TestRoutes(t *testing.T) {
	clock := func() time.Time { return harbour.HighWater }
	mux := newMux(harbour, clock)
	for _, tc := range []struct {
		path   string
		status int
		body   string
	}{
		{"/", http.StatusOK, "Tidewatch for Shipshape Harbour"},
		{"/", http.StatusOK, "at    2024-01-01 04:07  3.6 m, falling"},
		{"/?at=2024-01-01T10:00:00Z", http.StatusOK, "low   2024-01-01 10:19  0.8 m"},
		{"/?at=yesterday", http.StatusBadRequest, "RFC 3339"},
		{"/health", http.StatusOK, "ok"},
		{"/nope", http.StatusNotFound, "not found"},
	} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.body) {
			t.Errorf("GET %s = %d %q, want %d containing %q", tc.path, rec.Code, rec.Body.String(), tc.status, tc.body)
		}
	}
}
