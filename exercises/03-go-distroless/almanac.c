/* The sunrise equation, as the NOAA solar calculator simplifies it (see almanac.h). */
#include <math.h>

#include "almanac.h"

#define DEGREES (M_PI / 180.0)
/* The Julian date of 2000-01-01 12:00 UTC (J2000.0) and of the Unix epoch. */
#define J2000 2451545.0
#define UNIX_EPOCH 2440587.5

static double sin_deg(double degrees) { return sin(degrees * DEGREES); }

static long long unix_seconds(double julian_date) { return llround((julian_date - UNIX_EPOCH) * 86400.0); }

enum almanac_day almanac_sun(double latitude, double longitude, long long unix_day, long long *rise, long long *set) {
    /* Days since J2000.0 to the solar noon nearest the day, then the sun's mean anomaly, its
     * equation of the centre and its ecliptic longitude. */
    double noon = (double)(unix_day - 10957) - longitude / 360.0 + 0.0008;
    double anomaly = fmod(357.5291 + 0.98560028 * noon, 360.0);
    double centre = 1.9148 * sin_deg(anomaly) + 0.0200 * sin_deg(2 * anomaly) + 0.0003 * sin_deg(3 * anomaly);
    double ecliptic = fmod(anomaly + centre + 180.0 + 102.9372, 360.0);
    double transit = J2000 + noon + 0.0053 * sin_deg(anomaly) - 0.0069 * sin_deg(2 * ecliptic);
    double declination = asin(sin_deg(ecliptic) * sin_deg(23.4397));
    double hour_angle = (sin_deg(-0.833) - sin_deg(latitude) * sin(declination)) / (cos(latitude * DEGREES) * cos(declination));
    if (hour_angle < -1.0)
        return ALMANAC_MIDNIGHT_SUN;
    if (hour_angle > 1.0)
        return ALMANAC_POLAR_NIGHT;
    double half_day = acos(hour_angle) / DEGREES / 360.0;
    *rise = unix_seconds(transit - half_day);
    *set = unix_seconds(transit + half_day);
    return ALMANAC_RISES_AND_SETS;
}
