/* SPDX-License-Identifier: MIT
 * RFC 3339 UTC times with milliseconds (see rfc3339.h).
 */
#include "util/rfc3339.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t rfc3339_now_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
        return 0; /* cannot fail with CLOCK_REALTIME; 0 is "the epoch", harmless */
    }
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rfc3339_format(int64_t ms, char out[RFC3339_LEN])
{
    /* Floor division, so times before 1970 still get a millisecond part of 0..999. */
    int64_t sec = ms / 1000 - (ms % 1000 < 0 ? 1 : 0);
    int milli = (int)(ms - sec * 1000);
    time_t t = (time_t)sec;
    struct tm tm;
    char date[24];

    if (gmtime_r(&t, &tm) == NULL || strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        (void)snprintf(out, RFC3339_LEN, "@%lld", (long long)ms);
        return;
    }
    (void)snprintf(out, RFC3339_LEN, "%s.%03dZ", date, milli);
}

int rfc3339_parse(const char *text, int64_t *ms)
{
    struct tm tm;
    const char *rest;
    int milli = 0;
    int digits = 0;
    time_t t;

    memset(&tm, 0, sizeof(tm));
    rest = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
    if (rest == NULL) {
        return -EINVAL;
    }
    if (*rest == '.') {
        for (rest++; *rest >= '0' && *rest <= '9'; rest++, digits++) {
            if (digits < 3) {
                milli = milli * 10 + (*rest - '0');
            }
        }
        if (digits == 0) {
            return -EINVAL;
        }
        for (; digits < 3; digits++) {
            milli *= 10;
        }
    }
    if (strcmp(rest, "Z") != 0) {
        return -EINVAL;
    }
    t = timegm(&tm);
    if (t == (time_t)-1) {
        return -EINVAL;
    }
    *ms = (int64_t)t * 1000 + milli;
    return 0;
}
