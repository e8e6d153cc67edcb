/* SPDX-License-Identifier: MIT
 * [gateway] user and the database's writability (runas.h). The ids change in the order that
 * keeps the right to change them until the end: supplementary groups and gid while still
 * root, uid last; setuid() as root sets the real, effective and saved uid, so the drop
 * cannot be undone, which runas_drop() checks.
 */
#include "util/runas.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#define PW_BUF_LEN 4096 /* getpwnam_r()'s strings; a user entry is far smaller */

int runas_lookup(const char *user, struct runas *out, char *err, size_t cap)
{
    struct passwd pw;
    struct passwd *found = NULL;
    char buf[PW_BUF_LEN];
    int n = RUNAS_GROUPS_MAX;
    int rc;

    assert(user != NULL && out != NULL && err != NULL);
    memset(out, 0, sizeof(*out));
    rc = getpwnam_r(user, &pw, buf, sizeof(buf), &found);
    if (rc != 0) {
        (void)snprintf(err, cap, "cannot look up user '%s': %s", user, strerror(rc));
        return -EIO;
    }
    if (found == NULL) {
        (void)snprintf(err, cap, "no user '%s' on this system", user);
        return -ENOENT;
    }
    (void)snprintf(out->name, sizeof(out->name), "%s", user);
    out->uid = pw.pw_uid;
    out->gid = pw.pw_gid;
    if (getgrouplist(user, pw.pw_gid, out->groups, &n) < 0) {
        /* More groups than we keep: the primary one is enough for the database. */
        out->groups[0] = pw.pw_gid;
        n = 1;
    }
    out->ngroups = n;
    return 0;
}

int runas_init(const char *user, struct runas *out, char *note, size_t note_cap, char *err,
               size_t cap)
{
    struct passwd *me;
    int rc;

    assert(user != NULL && out != NULL && note != NULL && note_cap > 0);
    memset(out, 0, sizeof(*out));
    note[0] = '\0';
    if (user[0] == '\0') {
        return 0;
    }
    if (getuid() != 0 || geteuid() != 0) {
        me = getpwuid(geteuid());
        if (me == NULL || strcmp(me->pw_name, user) != 0) {
            (void)snprintf(note, note_cap,
                           "[gateway] user is '%s' but tinyfleetd was started as uid %u, not "
                           "root: it keeps running as uid %u",
                           user, (unsigned)geteuid(), (unsigned)geteuid());
        }
        return 0;
    }
    rc = runas_lookup(user, out, err, cap);
    if (rc == 0) {
        out->active = true;
    }
    return rc;
}

int runas_enter(const struct runas *r)
{
    assert(r != NULL);
    if (!r->active) {
        return 0;
    }
    if (setgroups((size_t)r->ngroups, r->groups) < 0 || setegid(r->gid) < 0 ||
        seteuid(r->uid) < 0) {
        return -errno;
    }
    return 0;
}

int runas_leave(const struct runas *r)
{
    assert(r != NULL);
    if (!r->active) {
        return 0;
    }
    /* The saved uid is still 0, so root comes back; then its group. */
    if (seteuid(0) < 0 || setegid(0) < 0) {
        return -errno;
    }
    return 0;
}

int runas_drop(const struct runas *r)
{
    assert(r != NULL);
    if (!r->active) {
        return 0;
    }
    if (geteuid() != 0 && seteuid(0) < 0) {
        return -errno;
    }
    if (setgroups((size_t)r->ngroups, r->groups) < 0 || setgid(r->gid) < 0 || setuid(r->uid) < 0) {
        return -errno;
    }
    if (r->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
        return -EPERM;
    }
    return 0;
}

/* "NAME" of @uid, else its number. */
static void user_name(uid_t uid, char *out, size_t cap)
{
    const struct passwd *pw = getpwuid(uid);

    if (pw != NULL) {
        (void)snprintf(out, cap, "%s", pw->pw_name);
    } else {
        (void)snprintf(out, cap, "%u", (unsigned)uid);
    }
}

static void group_name(gid_t gid, char *out, size_t cap)
{
    const struct group *gr = getgrgid(gid);

    if (gr != NULL) {
        (void)snprintf(out, cap, "%s", gr->gr_name);
    } else {
        (void)snprintf(out, cap, "%u", (unsigned)gid);
    }
}

/* Whether @path (the database @db or one of its files) can be accessed with @mode by the
 * effective ids; @must_exist: a missing file is an error (else it is fine: it will be
 * created). Fills @err on failure. */
static int check_one(const char *db, const char *path, int mode, bool must_exist, const char *what,
                     char *err, size_t cap)
{
    char owner[64];
    char group[64];
    char me[64];
    struct stat st;
    int e;

    if (faccessat(AT_FDCWD, path, mode, AT_EACCESS) == 0) {
        return 0;
    }
    e = errno;
    if (e == ENOENT && !must_exist) {
        return 0;
    }
    user_name(geteuid(), me, sizeof(me));
    if (e == ENOENT || stat(path, &st) < 0) {
        (void)snprintf(err, cap, "cannot open the database %s: %s %s: %s", db, what, path,
                       strerror(e));
        return -e;
    }
    user_name(st.st_uid, owner, sizeof(owner));
    group_name(st.st_gid, group, sizeof(group));
    (void)snprintf(err, cap,
                   "cannot write the database: %s %s is owned by %s:%s, mode %04o, and "
                   "tinyfleetd runs as %s: it must be writable by %s (chown %s %s)",
                   what, path, owner, group, (unsigned)(st.st_mode & 07777), me, me, me, path);
    return -e;
}

int runas_check_db(const char *path, char *err, size_t cap)
{
    static const char *const suffix[] = {"-wal", "-shm"};
    char dir[4096];
    char side[4096 + 8];
    const char *slash;
    size_t i;
    int rc;

    assert(path != NULL && err != NULL);
    slash = strrchr(path, '/');
    if (slash == NULL) {
        (void)snprintf(dir, sizeof(dir), ".");
    } else if (slash == path) {
        (void)snprintf(dir, sizeof(dir), "/");
    } else {
        (void)snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    }
    /* W and X: SQLite creates the -wal and -shm files beside the database, and the database
     * itself on a first start. */
    rc = check_one(path, dir, W_OK | X_OK, true, "the directory", err, cap);
    if (rc == 0) {
        rc = check_one(path, path, R_OK | W_OK, false, "the file", err, cap);
    }
    for (i = 0; rc == 0 && i < sizeof(suffix) / sizeof(suffix[0]); i++) {
        (void)snprintf(side, sizeof(side), "%s%s", path, suffix[i]);
        rc = check_one(path, side, R_OK | W_OK, false, "the file", err, cap);
    }
    return rc;
}
