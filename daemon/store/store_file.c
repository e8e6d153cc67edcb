/* SPDX-License-Identifier: MIT
 * The daemon's hold on its database file (store_int.h): one daemon per database, by an
 * advisory lock (flock(2)) on the database file itself, which the CLI never takes, so the CLI
 * opens the database as before; and the check that the path still names the file the
 * connection writes, since a file deleted under an open connection takes every later commit
 * with it, silently. Uses nothing of the store but its fields: store.c calls it.
 */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "store/store_int.h"

/* One line of /proc/locks ("1: FLOCK ADVISORY WRITE 1234 08:02:131074 0 EOF", device numbers
 * in hex): the pid when it is a flock() held on the file of @st, else -1. A waiter's line
 * has "->" after the number and does not match. */
static int holder_of(char *line, const struct stat *st)
{
    char *save = NULL;
    char *tok[6];
    char *end;
    unsigned long maj;
    unsigned long min;
    unsigned long long ino;
    long pid;
    int i;

    for (i = 0; i < 6; i++) {
        tok[i] = strtok_r(i == 0 ? line : NULL, " \t\n", &save);
        if (tok[i] == NULL) {
            return -1;
        }
    }
    if (strcmp(tok[1], "FLOCK") != 0) {
        return -1;
    }
    errno = 0;
    pid = strtol(tok[4], &end, 10);
    if (errno != 0 || *end != '\0' || pid <= 0 || pid > INT_MAX) {
        return -1;
    }
    maj = strtoul(tok[5], &end, 16);
    min = *end == ':' ? strtoul(end + 1, &end, 16) : ULONG_MAX;
    ino = *end == ':' ? strtoull(end + 1, &end, 10) : ULLONG_MAX;
    if (errno != 0 || *end != '\0' || maj != major(st->st_dev) || min != minor(st->st_dev) ||
        ino != (unsigned long long)st->st_ino) {
        return -1;
    }
    return (int)pid;
}

/* The pid that holds a flock() on the file of @st, from /proc/locks, or -1. */
static int lock_holder(const struct stat *st)
{
    FILE *f = fopen("/proc/locks", "re");
    char line[256];
    int pid = -1;

    if (f == NULL) {
        return -1;
    }
    while (pid < 0 && fgets(line, sizeof(line), f) != NULL) {
        pid = holder_of(line, st);
    }
    (void)fclose(f);
    return pid;
}

/* "pid 1234 (tinyfleetd)" for @pid into @out. */
static void describe_pid(int pid, char *out, size_t cap)
{
    char path[64];
    char comm[64] = "";
    FILE *f;

    (void)snprintf(path, sizeof(path), "/proc/%d/comm", pid);
    f = fopen(path, "re");
    if (f != NULL) {
        if (fgets(comm, sizeof(comm), f) != NULL) {
            comm[strcspn(comm, "\n")] = '\0';
        }
        (void)fclose(f);
    }
    (void)snprintf(out, cap, comm[0] != '\0' ? "pid %d (%s)" : "pid %d%s", pid, comm);
}

int store__file_hold(struct store *s, const char *path, int wal_fd)
{
    struct stat st;
    struct stat wst;
    char who[96];
    int fd;
    int e;

    /* Read-only is enough for flock(), and never creates anything. */
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0 || (wal_fd >= 0 && fstat(wal_fd, &wst) < 0)) {
        e = errno;
        (void)snprintf(s->errmsg, sizeof(s->errmsg), "%.200s: %s", path, strerror(e));
        goto fail;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        e = errno;
        if (e != EWOULDBLOCK) {
            (void)snprintf(s->errmsg, sizeof(s->errmsg), "%.200s: cannot lock it: %s", path,
                           strerror(e));
            goto fail;
        }
        e = lock_holder(&st);
        if (e > 0) {
            describe_pid(e, who, sizeof(who));
        } else {
            (void)snprintf(who, sizeof(who), "another process");
        }
        (void)snprintf(s->errmsg, sizeof(s->errmsg),
                       "in use by another daemon, %s: stop it first, or give this one a "
                       "[storage] path of its own",
                       who);
        e = EAGAIN;
        goto fail;
    }
    /* Kept open until store_close(), after the connection: closing any descriptor of the
     * file would drop SQLite's own POSIX locks on it (fcntl(2)). */
    s->file_fd = fd;
    s->file_path = path;
    s->file_dev = st.st_dev;
    s->file_ino = st.st_ino;
    s->wal_checked = wal_fd >= 0;
    if (s->wal_checked) {
        s->wal_dev = wst.st_dev;
        s->wal_ino = wst.st_ino;
    }
    return 0;
fail:
    if (fd >= 0) {
        (void)close(fd);
    }
    return -e;
}

/* @path still names the file @dev, @ino (it was not deleted, renamed or replaced)? */
static bool same_file(const char *path, dev_t dev, ino_t ino)
{
    struct stat now;

    return stat(path, &now) == 0 && now.st_dev == dev && now.st_ino == ino;
}

int store__file_check(struct store *s)
{
    const char *path = s->file_path;
    char wal[PATH_MAX];

    if (s->file_fd < 0) {
        return 0;
    }
    /* Two stat(2) calls per commit: about 100 instructions of user space each (callgrind). */
    if (!s->file_gone && !same_file(path, s->file_dev, s->file_ino)) {
        s->file_gone = true;
    }
    if (!s->file_gone && s->wal_checked &&
        (snprintf(wal, sizeof(wal), "%s-wal", path) >= (int)sizeof(wal) ||
         !same_file(wal, s->wal_dev, s->wal_ino))) {
        s->file_gone = true;
    }
    if (!s->file_gone) {
        return 0;
    }
    (void)snprintf(s->errmsg, sizeof(s->errmsg),
                   "the database file %.120s or its -wal was deleted or replaced while "
                   "tinyfleetd ran: nothing written since can be kept",
                   path);
    return -ESTALE;
}
