/* SPDX-License-Identifier: MIT
 * tinyfleetd's log: one line per message on stderr, prefixed with its syslog priority
 * ("<3>tinyfleetd: ...") so journald files it at the right level, and rate limits for
 * messages that input from the network can repeat at line rate (one `struct log_limit`
 * per cause, embedded by its caller). Each line goes out in a single write(2), so lines
 * from several processes sharing the descriptor never interleave.
 */
#ifndef PROJ_DAEMON_UTIL_LOG_H
#define PROJ_DAEMON_UTIL_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

#if defined(__GNUC__)
#define LOG_PRINTF(fmt_idx, arg_idx) __attribute__((format(printf, fmt_idx, arg_idx)))
#else
#define LOG_PRINTF(fmt_idx, arg_idx)
#endif

/* Longest line written, prefix and newline included; longer messages end in "...". */
#define LOG_LINE_MAX 1024

/*
 * log_init() - set where and what to log. Without a call: ident "tinyfleetd", fd 2,
 * minimum level LOG_INFO.
 * @ident:     in, the program name after the priority prefix; the string must outlive all
 *             logging (a literal or argv[0]).
 * @fd:        in, the descriptor lines are written to (2 for the daemon; tests pass a pipe).
 * @min_level: in, LOG_EMERG..LOG_DEBUG: messages of a lower priority (a numerically
 *             higher level) are dropped.
 * Call before any other thread logs.
 */
void log_init(const char *ident, int fd, int min_level);

/* log_set_level() - change the minimum level (LOG_EMERG..LOG_DEBUG; others are clamped). */
void log_set_level(int min_level);

/* log_enabled() - whether a message at @prio would be written; lets callers skip costly
 * formatting of debug output. */
bool log_enabled(int prio);

/*
 * log_msg() - write one line "<prio>ident: message\n". Control characters in the message
 * (a newline in a peer's string, say) are written as '?' so one call is always one journal
 * entry. Any thread; failures to write are ignored (there is nowhere to report them).
 * @prio: in, LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG, ...
 */
void log_msg(int prio, const char *fmt, ...) LOG_PRINTF(2, 3);
void log_vmsg(int prio, const char *fmt, va_list ap) LOG_PRINTF(2, 0);

#define log_error(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)  log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)    log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)   log_msg(LOG_DEBUG, __VA_ARGS__)

/* log_now_ms() - CLOCK_MONOTONIC in milliseconds, the clock log_limited() uses. */
uint64_t log_now_ms(void);

/*
 * A rate limit for one kind of message: at most @burst lines per window of @window_ms;
 * the rest are counted, and the first message after the window has ended is preceded by
 * one line "N similar messages suppressed" (with @what when set). Embed one per cause
 * (a refusal reason, a failing peer, ...), initialise with LOG_LIMIT_INIT or
 * log_limit_init(). Not thread-safe: one owner, one thread.
 */
struct log_limit {
    const char *what;    /* names the messages in the suppression line, may be NULL */
    unsigned burst;      /* lines written per window */
    uint64_t window_ms;  /* window length, ms */
    uint64_t start_ms;   /* monotonic ms at which the current window began */
    unsigned printed;    /* lines written in the current window */
    uint64_t suppressed; /* lines dropped in the current window */
    int suppressed_prio; /* priority of the last dropped line, for the summary */
    bool started;        /* a window is running */
};

#define LOG_LIMIT_INIT(what_, burst_, window_ms_)                                                  \
    {                                                                                              \
        .what = (what_), .burst = (burst_), .window_ms = (window_ms_)                              \
    }

/* log_limit_init() - same as LOG_LIMIT_INIT. @what: in, a string that outlives @l, or NULL. */
void log_limit_init(struct log_limit *l, const char *what, unsigned burst, uint64_t window_ms);

/*
 * log_limited_at() - log through @l at monotonic time @now_ms (tests pass a fake clock;
 * the daemon may pass uv_now()).
 * Return: true when the line was written, false when it was suppressed (or below the
 * minimum level, which does not use up the burst).
 */
bool log_limited_at(struct log_limit *l, uint64_t now_ms, int prio, const char *fmt, ...)
    LOG_PRINTF(4, 5);

/* log_limited() - log_limited_at() with now_ms = log_now_ms(). */
bool log_limited(struct log_limit *l, int prio, const char *fmt, ...) LOG_PRINTF(3, 4);

/*
 * log_limit_flush() - write the suppression line now if lines were dropped and the window
 * has ended at @now_ms (or @force), then start afresh. For a timer or for shutdown, so a
 * burst that stopped is still accounted for.
 * Return: the number of suppressed lines reported (0 when nothing was written).
 */
uint64_t log_limit_flush(struct log_limit *l, uint64_t now_ms, bool force);

#endif
