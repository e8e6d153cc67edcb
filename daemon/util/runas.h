/* SPDX-License-Identifier: MIT
 * Who tinyfleetd runs as: [gateway] user, taken on when the daemon is started as root
 * (outside systemd, whose unit starts it as that user already), and the check that the
 * database can be written by whoever it runs as. The database is opened with the user's
 * effective ids, so every file SQLite creates is the user's; the sockets are bound as root
 * (a port below 1024 works); then the ids are dropped for good, before the loop runs.
 * Startup only, main thread.
 */
#ifndef PROJ_DAEMON_UTIL_RUNAS_H
#define PROJ_DAEMON_UTIL_RUNAS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#if defined(__GNUC__)
#define RUNAS_MUST_CHECK __attribute__((warn_unused_result))
#else
#define RUNAS_MUST_CHECK
#endif

#define RUNAS_GROUPS_MAX 64 /* supplementary groups kept of the user's */

/* A user to run as. */
struct runas {
    bool active;   /* started as root with a user set: runas_enter() and runas_drop() act */
    char name[64]; /* the user's name */
    uid_t uid;     /* its uid */
    gid_t gid;     /* its primary group */
    int ngroups;   /* entries of @groups */
    gid_t groups[RUNAS_GROUPS_MAX]; /* its supplementary groups, the primary one included */
};

/*
 * runas_lookup() - find @user in the user database (getpwnam_r, getgrouplist).
 * @out: out, the user (@out->active false: the caller decides).
 * @err: out, on failure one line naming the user.
 * Return: 0; -ENOENT when there is no such user; -EIO when the lookup itself failed.
 */
RUNAS_MUST_CHECK int runas_lookup(const char *user, struct runas *out, char *err, size_t cap);

/*
 * runas_init() - what [gateway] user @user means for this process. Started as root with a
 * non-empty @user: the user is looked up and @out is active. Otherwise @out is inactive; when
 * @user names someone else than who runs the process, @note says so (one line; "" else).
 * Return: 0; -ENOENT (no such user: @err says so and that the daemon refuses); -EIO.
 */
RUNAS_MUST_CHECK int runas_init(const char *user, struct runas *out, char *note, size_t note_cap,
                                char *err, size_t cap);

/* runas_enter() - take @r's ids as the effective ones (groups, gid, uid), so files created
 * and access checks are the user's; a no-op when inactive. Return: 0 or -errno. */
RUNAS_MUST_CHECK int runas_enter(const struct runas *r);

/* runas_leave() - back to root's effective ids after runas_enter(); a no-op when inactive.
 * Return: 0 or -errno. */
RUNAS_MUST_CHECK int runas_leave(const struct runas *r);

/* runas_drop() - become @r for good (real, effective and saved ids) and check that root
 * cannot be taken back; a no-op when inactive. Return: 0 or -errno (-EPERM when root could
 * be regained). */
RUNAS_MUST_CHECK int runas_drop(const struct runas *r);

/*
 * runas_check_db() - whether the process, with its effective ids, can write the SQLite
 * database @path: the file and its -wal and -shm files where they exist, and their
 * directory (SQLite creates the -wal and -shm files there).
 * @err: out, on failure one line naming the file, its owner and mode, who the daemon runs as
 *       and the owner it needs.
 * Return: 0; the negative errno of the failed check (-EACCES, -EROFS, -ENOENT for a missing
 * directory, ...).
 */
RUNAS_MUST_CHECK int runas_check_db(const char *path, char *err, size_t cap);

#endif
