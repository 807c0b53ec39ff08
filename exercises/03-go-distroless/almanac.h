/* The lighthouse authority's almanac: when the sun rises and sets at a place on a given day.
 * The lamp controller's firmware is built from this same file, so the page Beacon serves and the
 * lamp agree to the second. Plain C99 on the C library and its maths library (libm). */
#ifndef ALMANAC_H
#define ALMANAC_H

/* What the sun does on a day, at a latitude. */
enum almanac_day {
    ALMANAC_RISES_AND_SETS = 0, /* *rise and *set are written */
    ALMANAC_MIDNIGHT_SUN = 1,   /* the sun never sets: the lamp stays dark */
    ALMANAC_POLAR_NIGHT = 2     /* the sun never rises: the lamp burns all day */
};

/* Sunrise and sunset on the UTC day `unix_day` (days since 1970-01-01) at `latitude` (degrees,
 * north positive) and `longitude` (degrees, east positive), as Unix seconds, with the standard
 * refraction of 0.833 degrees. Accurate to about a minute between the polar circles. */
enum almanac_day almanac_sun(double latitude, double longitude, long long unix_day, long long *rise, long long *set);

#endif
