/* SPDX-License-Identifier: MIT
 * Priority-prefixed logging to a descriptor and per-cause rate limits (log.h). A line is
 * formatted into a stack buffer and written with one write(2): stdio buffering would split
 * or delay lines, and journald reads the "<N>" prefix only at the start of each line.
 */
#include "util/log.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *log_ident = "tinyfleetd";
static int log_fd = 2;
static int log_min = LOG_INFO;

static int clamp_level(int level)
{
    if (level < LOG_EMERG) {
        return LOG_EMERG;
    }
    if (level > LOG_DEBUG) {
        return LOG_DEBUG;
    }
    return level;
}

void log_init(const char *ident, int fd, int min_level)
{
    log_ident = ident != NULL ? ident : "tinyfleetd";
    log_fd = fd;
    log_min = clamp_level(min_level);
}

void log_set_level(int min_level)
{
    log_min = clamp_level(min_level);
}

bool log_enabled(int prio)
{
    return clamp_level(prio) <= log_min;
}

static void write_all(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(log_fd, buf, len);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return;
        }
        buf += n;
        len -= (size_t)n;
    }
}

void log_vmsg(int prio, const char *fmt, va_list ap)
{
    char line[LOG_LINE_MAX];
    int head;
    int body;
    size_t len;
    size_t i;

    prio = clamp_level(prio);
    if (prio > log_min) {
        return;
    }
    head = snprintf(line, sizeof(line), "<%d>%s: ", prio, log_ident);
    if (head < 0 || (size_t)head >= sizeof(line) / 2) {
        /* Only an absurd ident gets here; keep the priority so journald still files it. */
        head = snprintf(line, sizeof(line), "<%d>", prio);
    }
    /* Room for the newline is kept back so a truncated line still ends as a line. */
    body = vsnprintf(line + head, sizeof(line) - (size_t)head - 1, fmt, ap);
    if (body < 0) {
        body = 0;
        line[head] = '\0';
    }
    len = (size_t)head + (size_t)body;
    if (len > sizeof(line) - 2) {
        len = sizeof(line) - 2;
        memcpy(line + len - 3, "...", 3);
    }
    /* A newline or escape in text that came from a peer must not start a forged line. */
    for (i = (size_t)head; i < len; i++) {
        unsigned char ch = (unsigned char)line[i];

        if (ch < 0x20 || ch == 0x7f) {
            line[i] = '?';
        }
    }
    line[len++] = '\n';
    write_all(line, len);
}

void log_msg(int prio, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vmsg(prio, fmt, ap);
    va_end(ap);
}

uint64_t log_now_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        return 0;
    }
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void log_limit_init(struct log_limit *l, const char *what, unsigned burst, uint64_t window_ms)
{
    assert(l != NULL);
    memset(l, 0, sizeof(*l));
    l->what = what;
    l->burst = burst;
    l->window_ms = window_ms;
}

static void report_suppressed(const struct log_limit *l)
{
    if (l->what != NULL) {
        log_msg(l->suppressed_prio,
                "%" PRIu64 " similar messages suppressed (%s) in the last %" PRIu64 " s",
                l->suppressed, l->what, (l->window_ms + 999u) / 1000u);
    } else {
        log_msg(l->suppressed_prio,
                "%" PRIu64 " similar messages suppressed in the last %" PRIu64 " s", l->suppressed,
                (l->window_ms + 999u) / 1000u);
    }
}

uint64_t log_limit_flush(struct log_limit *l, uint64_t now_ms, bool force)
{
    uint64_t n;

    assert(l != NULL);
    n = l->suppressed;
    if (!l->started || (!force && now_ms - l->start_ms < l->window_ms)) {
        return 0;
    }
    if (n > 0) {
        report_suppressed(l);
    }
    l->started = false;
    l->printed = 0;
    l->suppressed = 0;
    return n;
}

static bool limited_v(struct log_limit *l, uint64_t now_ms, int prio, const char *fmt, va_list ap)
    LOG_PRINTF(4, 0);

static bool limited_v(struct log_limit *l, uint64_t now_ms, int prio, const char *fmt, va_list ap)
{
    assert(l != NULL && fmt != NULL);
    if (!log_enabled(prio)) {
        return false;
    }
    /* A clock that went backwards (a test, or a caller mixing clocks) starts a new window
     * rather than suppressing for a very long time. */
    if (l->started && (now_ms < l->start_ms || now_ms - l->start_ms >= l->window_ms)) {
        (void)log_limit_flush(l, now_ms, true);
    }
    if (!l->started) {
        l->started = true;
        l->start_ms = now_ms;
        l->printed = 0;
        l->suppressed = 0;
    }
    if (l->printed >= l->burst) {
        l->suppressed++;
        l->suppressed_prio = clamp_level(prio);
        return false;
    }
    l->printed++;
    log_vmsg(prio, fmt, ap);
    return true;
}

bool log_limited_at(struct log_limit *l, uint64_t now_ms, int prio, const char *fmt, ...)
{
    va_list ap;
    bool written;

    va_start(ap, fmt);
    written = limited_v(l, now_ms, prio, fmt, ap);
    va_end(ap);
    return written;
}

bool log_limited(struct log_limit *l, int prio, const char *fmt, ...)
{
    va_list ap;
    bool written;

    va_start(ap, fmt);
    written = limited_v(l, log_now_ms(), prio, fmt, ap);
    va_end(ap);
    return written;
}
