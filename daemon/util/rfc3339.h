/* SPDX-License-Identifier: MIT
 * Times as the JSON of the CLI and of MQTT messages give them: RFC 3339 UTC with
 * milliseconds, "2026-11-25T23:11:19.123Z". Any thread.
 */
#ifndef PROJ_DAEMON_UTIL_RFC3339_H
#define PROJ_DAEMON_UTIL_RFC3339_H

#include <stdint.h>

#define RFC3339_LEN 32u /* room for any time, NUL included */

/* rfc3339_now_ms() - the wall clock (CLOCK_REALTIME) in Unix ms: the clock every stored and
 * published time is on. */
int64_t rfc3339_now_ms(void);

/* rfc3339_format() - Unix ms @ms into @out; a time gmtime() cannot show becomes "@<ms>". */
void rfc3339_format(int64_t ms, char out[RFC3339_LEN]);

/* rfc3339_parse() - the inverse, for "YYYY-MM-DDTHH:MM:SS[.fff]Z" (UTC only, as written by
 * rfc3339_format()). Return: 0 and *@ms, or -EINVAL. */
int rfc3339_parse(const char *text, int64_t *ms);

#endif
