//go:build !cgo

package main

// Beacon's almanac is C (almanac.c), called through cgo, so Beacon cannot be built with
// CGO_ENABLED=0. This name is left undefined on purpose, so that the compiler's error says why.
var _ = beaconNeedsCgoDoNotBuildWithCGO_ENABLED0
