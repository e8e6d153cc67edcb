/* SPDX-License-Identifier: MIT
 * sd_notify(3) by hand (notify.h): systemd documents the protocol as stable, and the
 * daemon needs only the datagram, not libsystemd. The kernel attaches our credentials when
 * systemd's socket asks for them (SO_PASSCRED), so nothing but the text is sent.
 */
#include "util/notify.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/un.h>

#define NOTIFY_STATE_MAX 1024

int notify_send(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa;
    socklen_t salen;
    size_t plen;
    int fd = -1;
    int rc = 1;

    assert(state != NULL);
    if (path == NULL || path[0] == '\0') {
        return 0;
    }
    if (path[0] != '/' && path[0] != '@') {
        return -EAFNOSUPPORT; /* vsock: addresses are for VMs, not for this daemon */
    }
    plen = strlen(path);
    if (plen > sizeof(sa.sun_path)) {
        return -ENAMETOOLONG;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, plen);
    if (path[0] == '@') {
        /* Abstract namespace: a leading NUL, and the length counts exactly the name. */
        sa.sun_path[0] = '\0';
        salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
    } else {
        if (plen == sizeof(sa.sun_path)) {
            return -ENAMETOOLONG; /* no room for the terminating NUL */
        }
        salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + 1);
    }
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        rc = -errno;
        goto out;
    }
    if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (const struct sockaddr *)&sa, salen) < 0) {
        rc = -errno;
        goto out;
    }
out:
    if (fd >= 0) {
        (void)close(fd);
    }
    return rc;
}

static int notify_vsendf(const char *fmt, va_list ap) NOTIFY_PRINTF(1, 0);

static int notify_vsendf(const char *fmt, va_list ap)
{
    char state[NOTIFY_STATE_MAX];
    int n;

    n = vsnprintf(state, sizeof(state), fmt, ap);
    if (n < 0) {
        return -EINVAL;
    }
    /* A cut STATUS line is better than none. */
    return notify_send(state);
}

int notify_sendf(const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = notify_vsendf(fmt, ap);
    va_end(ap);
    return rc;
}

int notify_ready(const char *status)
{
    if (status == NULL) {
        return notify_send("READY=1");
    }
    return notify_sendf("READY=1\nSTATUS=%s", status);
}

int notify_reloading(void)
{
    struct timespec ts;
    unsigned long long usec = 0;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0) {
        usec = (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000u;
    }
    return notify_sendf("RELOADING=1\nMONOTONIC_USEC=%llu", usec);
}

int notify_stopping(void)
{
    return notify_send("STOPPING=1");
}

int notify_watchdog(void)
{
    return notify_send("WATCHDOG=1");
}

int notify_status(const char *fmt, ...)
{
    char status[NOTIFY_STATE_MAX - 8];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(status, sizeof(status), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return -EINVAL;
    }
    /* STATUS is one line: a newline inside would start a bogus assignment. */
    for (char *p = status; *p != '\0'; p++) {
        if (*p == '\n') {
            *p = ' ';
        }
    }
    return notify_sendf("STATUS=%s", status);
}

static int parse_u64(const char *s, unsigned long long *out)
{
    char *end = NULL;

    if (s == NULL || *s < '0' || *s > '9') {
        return -EINVAL;
    }
    errno = 0;
    *out = strtoull(s, &end, 10);
    if (*end != '\0' || errno == ERANGE) {
        return -EINVAL;
    }
    return 0;
}

uint64_t notify_watchdog_usec(void)
{
    const char *pid = getenv("WATCHDOG_PID");
    unsigned long long usec = 0;
    unsigned long long p = 0;

    if (parse_u64(getenv("WATCHDOG_USEC"), &usec) < 0 || usec == 0) {
        return 0;
    }
    if (pid != NULL && pid[0] != '\0' &&
        (parse_u64(pid, &p) < 0 || p != (unsigned long long)getpid())) {
        return 0;
    }
    return (uint64_t)usec;
}
