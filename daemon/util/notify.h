/* SPDX-License-Identifier: MIT
 * The systemd notification protocol (sd_notify(3)) without libsystemd: one datagram of
 * "KEY=value" lines to the AF_UNIX socket named by $NOTIFY_SOCKET ('@' = abstract
 * namespace). Everything here is a no-op returning 0 when the variable is unset, so the
 * daemon behaves the same under systemd, in a terminal and in tests.
 */
#ifndef PROJ_DAEMON_UTIL_NOTIFY_H
#define PROJ_DAEMON_UTIL_NOTIFY_H

#include <stdint.h>

#if defined(__GNUC__)
#define NOTIFY_PRINTF(fmt_idx, arg_idx) __attribute__((format(printf, fmt_idx, arg_idx)))
#else
#define NOTIFY_PRINTF(fmt_idx, arg_idx)
#endif

/*
 * notify_send() - send @state, newline-separated assignments such as "READY=1\nSTATUS=up".
 * Return: 1 when sent, 0 when $NOTIFY_SOCKET is unset or empty, -EAFNOSUPPORT when it names
 * neither a path nor an abstract socket, -ENAMETOOLONG, or the negative errno of
 * socket()/sendmsg(). Any thread; opens and closes its own socket each time.
 */
int notify_send(const char *state);

/* notify_sendf() - notify_send() of a formatted state (at most 1 KiB). */
int notify_sendf(const char *fmt, ...) NOTIFY_PRINTF(1, 2);

/* notify_ready() - "READY=1", with "STATUS=@status" when @status is not NULL. */
int notify_ready(const char *status);

/* notify_reloading() - "RELOADING=1" and MONOTONIC_USEC (CLOCK_MONOTONIC, µs), which
 * systemd 253 and later require to match a reload with the READY=1 that ends it. */
int notify_reloading(void);

/* notify_stopping() - "STOPPING=1". */
int notify_stopping(void);

/* notify_watchdog() - "WATCHDOG=1": the service is alive. */
int notify_watchdog(void);

/* notify_status() - "STATUS=...", a line systemctl status shows. */
int notify_status(const char *fmt, ...) NOTIFY_PRINTF(1, 2);

/*
 * notify_watchdog_usec() - the watchdog interval systemd expects pings within: the value of
 * $WATCHDOG_USEC, µs. Ping at half of it.
 * Return: 0 when the watchdog is off for this process: the variable is unset, not a positive
 * decimal number, or $WATCHDOG_PID is set and is not getpid() (the variables were inherited
 * from a parent).
 */
uint64_t notify_watchdog_usec(void);

#endif
