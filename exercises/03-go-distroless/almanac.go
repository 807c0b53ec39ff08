package main

// #cgo LDFLAGS: -lm
// #include "almanac.h"
import "C"

import (
	"fmt"
	"time"
)

// sunOn asks the C almanac (almanac.c, through cgo) when the sun rises and sets on the calendar
// day date (its year, month and day; the clock and zone are ignored) at latitude and longitude.
func sunOn(latitude, longitude float64, date time.Time) (rise, set time.Time, err error) {
	day := time.Date(date.Year(), date.Month(), date.Day(), 0, 0, 0, 0, time.UTC)
	var r, s C.longlong
	answer := C.almanac_sun(C.double(latitude), C.double(longitude), C.longlong(day.Unix()/86400), &r, &s)
	if answer != C.ALMANAC_RISES_AND_SETS {
		return time.Time{}, time.Time{}, fmt.Errorf("the sun does not both rise and set at latitude %.2f on %s", latitude, day.Format(time.DateOnly))
	}
	return time.Unix(int64(r), 0), time.Unix(int64(s), 0), nil
}
