package main

import (
	"math"
	"time"
)

// tidalPeriod is the period of the principal lunar semi-diurnal tide (the M2 constituent):
// 12.4206 hours, so each high water comes about 50 minutes later than the one a day before.
const tidalPeriod = 12*time.Hour + 25*time.Minute + 14*time.Second

// Harbour is a one-constituent tide model: the water rises and falls as a cosine between the
// mean low and the mean high water, with high waters every tidalPeriod after a known one.
// Real tide tables add dozens of constituents (springs and neaps, the sun, the shape of the
// coast); this is enough to be readable, not to navigate by.
type Harbour struct {
	Name       string
	HighWater  time.Time // one observed high water; every other follows from it
	HighHeight float64   // metres above chart datum at high water
	LowHeight  float64   // metres above chart datum at low water
}

// Height is the height of the tide at t, in metres above chart datum.
func (h Harbour) Height(t time.Time) float64 {
	mid := (h.HighHeight + h.LowHeight) / 2
	amplitude := (h.HighHeight - h.LowHeight) / 2
	return mid + amplitude*math.Cos(h.phase(t))
}

// Rising tells whether the tide is coming in (flooding) at t.
func (h Harbour) Rising(t time.Time) bool {
	// The height is a cosine of the phase, so it grows where the sine is negative.
	return math.Sin(h.phase(t)) < 0
}

// NextHigh is the first high water after t.
func (h Harbour) NextHigh(t time.Time) time.Time {
	return next(h.HighWater, t)
}

// NextLow is the first low water after t: low waters fall half a period after high waters.
func (h Harbour) NextLow(t time.Time) time.Time {
	return next(h.HighWater.Add(tidalPeriod/2), t)
}

// phase is where t falls in the tidal cycle, in radians: 0 at high water, π at low water.
func (h Harbour) phase(t time.Time) float64 {
	return 2 * math.Pi * float64(t.Sub(h.HighWater)) / float64(tidalPeriod)
}

// next is the first instant after t of the series reference + k·tidalPeriod (k any integer).
func next(reference, t time.Time) time.Time {
	cycles := t.Sub(reference) / tidalPeriod // whole periods, rounded towards zero
	candidate := reference.Add(cycles * tidalPeriod)
	for !candidate.After(t) {
		candidate = candidate.Add(tidalPeriod)
	}
	for candidate.Add(-tidalPeriod).After(t) { // t before the reference: step back
		candidate = candidate.Add(-tidalPeriod)
	}
	return candidate
}
