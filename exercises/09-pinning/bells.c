/*
 * bells: ship's time. For a moment (now, or a UTC time given), print the local time in the
 * ship's time zone, the watch it falls in, and the bells last struck.
 *
 *   bells [--zone ZONE] [TIME]
 *     ZONE  an IANA time zone such as Europe/Lisbon (default: $TZ, else UTC)
 *     TIME  a UTC time, YYYY-MM-DDTHH:MMZ or YYYY-MM-DDTHH:MM:SSZ (default: now)
 *
 *   $ bells --zone Asia/Tokyo 2024-05-01T14:30Z
 *   2024-05-01 23:30 JST (Asia/Tokyo): first watch, 7 bells
 *
 * A ship's day is six four-hour watches (the 16-20 one split into two "dog watches"). A bell is
 * struck every half hour, one more each time, so 8 bells ends each watch. Bells here are counted
 * straight through the dog watches, as most fleets do today.
 *
 * Time zones come from the tzdata files (/usr/share/zoneinfo, or $TZDIR), which the C library
 * reads at run time: an image without them cannot name any zone but UTC. bells checks for the
 * file rather than let the C library fall back to UTC without a word.
 *
 * Exit status: 0 on success, 2 on a usage error or a time zone without data.
 */
#define _GNU_SOURCE /* strptime, timegm, setenv */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: bells [--zone ZONE] [TIME]\n"
    "  ZONE  an IANA time zone such as Europe/Lisbon (default: $TZ, else UTC)\n"
    "  TIME  a UTC time, YYYY-MM-DDTHH:MMZ or YYYY-MM-DDTHH:MM:SSZ (default: now)\n";

/* The watch that local hour (0-23) falls in. */
static const char *watch(int hour) {
    if (hour < 4) return "middle watch";
    if (hour < 8) return "morning watch";
    if (hour < 12) return "forenoon watch";
    if (hour < 16) return "afternoon watch";
    if (hour < 18) return "first dog watch";
    if (hour < 20) return "last dog watch";
    return "first watch";
}

/* The bells last struck at local hour:minute: one per half hour since the watch began, and 8 on
 * the hour that begins a watch (the bells that ended the previous one). */
static int bells(int hour, int minute) {
    int half_hours = (hour * 60 + minute) / 30;
    int struck = half_hours % 8;
    return struck == 0 ? 8 : struck;
}

/* Parses a UTC time, YYYY-MM-DDTHH:MM[:SS]Z, into *out. Returns 0, or -1 if it is not one. */
static int parse_utc(const char *text, time_t *out) {
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *rest = strptime(text, "%Y-%m-%dT%H:%M", &tm);
    if (rest != NULL && rest[0] == ':') {
        rest = strptime(rest, ":%S", &tm);
    }
    if (rest == NULL || strcmp(rest, "Z") != 0) {
        return -1;
    }
    *out = timegm(&tm);
    return 0;
}

/* Whether the tzdata file for zone exists. UTC needs none: the C library knows it by heart. */
static int zone_known(const char *zone, char *path, size_t size) {
    if (strcmp(zone, "UTC") == 0) {
        return 1;
    }
    if (zone[0] == '/' || strstr(zone, "..") != NULL) {
        return 0;
    }
    const char *dir = getenv("TZDIR");
    snprintf(path, size, "%s/%s", dir && dir[0] ? dir : "/usr/share/zoneinfo", zone);
    return access(path, R_OK) == 0;
}

int main(int argc, char **argv) {
    const char *zone = getenv("TZ");
    const char *when = NULL;
    if (zone == NULL || zone[0] == '\0') {
        zone = "UTC";
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--zone") == 0 && i + 1 < argc) {
            zone = argv[++i];
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (argv[i][0] != '-' && when == NULL) {
            when = argv[i];
        } else {
            fputs(usage, stderr);
            return 2;
        }
    }

    time_t t = time(NULL);
    if (when != NULL && parse_utc(when, &t) != 0) {
        fprintf(stderr, "bells: %s is not a UTC time such as 2024-05-01T14:30Z\n", when);
        return 2;
    }

    char path[512] = "";
    if (!zone_known(zone, path, sizeof path)) {
        if (path[0] == '\0') {
            fprintf(stderr, "bells: %s is not a time zone name\n", zone);
        } else {
            fprintf(stderr, "bells: no time zone data for %s: no file %s (a misspelt zone, or an image "
                            "without the tzdata files)\n", zone, path);
        }
        return 2;
    }
    if (setenv("TZ", zone, 1) != 0) {
        perror("bells: setenv");
        return 2;
    }
    tzset();

    struct tm local;
    char stamp[64];
    if (localtime_r(&t, &local) == NULL || strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M %Z", &local) == 0) {
        fputs("bells: cannot convert the time\n", stderr);
        return 2;
    }
    int struck = bells(local.tm_hour, local.tm_min);
    printf("%s (%s): %s, %d bell%s\n", stamp, zone, watch(local.tm_hour), struck, struck == 1 ? "" : "s");
    return 0;
}
